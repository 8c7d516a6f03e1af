import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rmdir, stat, unlink, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { AttendanceRow } from '@peak/contracts';
import type { Clock } from './clock.js';

/** One accepted check-in as the spool keeps it: one JSON line each. */
export type SpoolEntry = { source: string; receivedAt: string; checkin: AttendanceRow };

/** How often a process marks itself alive (and looks for orphaned segments). */
export const HEARTBEAT_MS = 10_000;
/** A process whose mark is older than this is taken for dead, wherever it ran. */
export const STALE_AFTER_MS = 6 * HEARTBEAT_MS;

type Owner = { host: string; pid: number; startedAt: string; lake: string };

const SEGMENT = /^(.+)\.(\d{6})\.ndjson$/;
const MARKER = /^(.+)\.owner$/;

const ignoreMissing = (err: unknown): undefined => {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw err;
};

/** An open segment: the file accepted check-ins are appended to until it is closed for flushing. */
export type Segment = { path: string; handle: FileHandle; count: number };

/**
 * The append-only spool of one process, on local disk (or a shared file system), for one lake:
 * `<root>/lake-<hash of the lake URI>/`, so two platforms on one machine never flush each other's
 * check-ins. A process writes a mark `<instance>.owner` (host, pid; its mtime is a heartbeat) and
 * segments `<instance>.<seq>.ndjson`. Segments of a process that is gone — its mark removed, its pid
 * dead on this host, or its heartbeat stale — are orphans: another process adopts them by renaming
 * them to its own name (atomic: only one of two racing processes gets each) and flushes them.
 */
export class Spool {
  readonly dir: string;
  readonly instance: string;
  private seq = 0;

  constructor(
    root: string,
    private readonly lakeUri: string,
    private readonly clock: Clock,
  ) {
    this.dir = join(resolve(root), `lake-${createHash('sha256').update(lakeUri).digest('hex').slice(0, 16)}`);
    this.instance = `${new Date(clock.now()).toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
  }

  /** Creates the folder and this process's mark. */
  async open(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(this.dir, { recursive: true });
      try {
        await this.writeMarker();
        break;
      } catch (err) {
        // The last process of this lake removed the emptied folder in between: make it again.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 3) throw err;
      }
    }
    // For people looking at the folder: which lake its segments belong to.
    await writeFile(join(this.dir, 'LAKE'), `${this.lakeUri}\n`, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await this.heartbeat();
    await syncDir(this.dir);
  }

  /** Marks this process alive now. False when its mark was gone (another process took it for dead); it is made again. */
  async heartbeat(): Promise<boolean> {
    const now = this.clock.now() / 1000;
    try {
      await utimes(this.markerPath(this.instance), now, now);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await this.writeMarker();
      await utimes(this.markerPath(this.instance), now, now);
      return false;
    }
  }

  private writeMarker(): Promise<void> {
    const owner: Owner = { host: hostname(), pid: process.pid, startedAt: new Date(this.clock.now()).toISOString(), lake: this.lakeUri };
    return writeFile(this.markerPath(this.instance), `${JSON.stringify(owner)}\n`, { flush: true });
  }

  /** A new, empty segment of this process (its folder entry is made durable at once). */
  async createSegment(): Promise<Segment> {
    const path = this.nextSegmentPath();
    const handle = await open(path, 'wx');
    await syncDir(this.dir);
    return { path, handle, count: 0 };
  }

  /** Takes over the segments of processes that are gone; returns their new paths, oldest first. */
  async adoptOrphans(): Promise<string[]> {
    const names = (await readdir(this.dir).catch(ignoreMissing)) ?? [];
    const segments = new Map<string, string[]>();
    const marked = new Set<string>();
    for (const name of names.sort()) {
      const segment = SEGMENT.exec(name);
      if (segment?.[1]) segments.set(segment[1], [...(segments.get(segment[1]) ?? []), name]);
      const marker = MARKER.exec(name);
      if (marker?.[1]) marked.add(marker[1]);
    }
    const adopted: string[] = [];
    for (const instance of new Set([...segments.keys(), ...marked])) {
      if (instance === this.instance || !(await this.isGone(instance, marked.has(instance)))) continue;
      for (const name of segments.get(instance) ?? []) {
        const to = this.nextSegmentPath();
        // ENOENT: another process adopted it first.
        if (await rename(join(this.dir, name), to).then(() => true, (err: unknown) => ignoreMissing(err) ?? false)) adopted.push(to);
      }
      await unlink(this.markerPath(instance)).catch(ignoreMissing);
    }
    if (adopted.length > 0) await syncDir(this.dir);
    return adopted;
  }

  /** Removes this process's mark (its remaining segments, if any, become orphans) and the folder if empty. */
  async close(): Promise<void> {
    await unlink(this.markerPath(this.instance)).catch(ignoreMissing);
    const left = await readdir(this.dir).catch(ignoreMissing);
    if (left?.every((n) => n === 'LAKE')) {
      await unlink(join(this.dir, 'LAKE')).catch(ignoreMissing);
      await rmdir(this.dir).catch(() => undefined); // another process may have just started using it
    }
  }

  private async isGone(instance: string, marked: boolean): Promise<boolean> {
    if (!marked) return true;
    const path = this.markerPath(instance);
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]).catch(() => [undefined, undefined] as const);
    if (text === undefined || info === undefined) return true; // removed meanwhile: its owner closed
    const owner = parseOwner(text);
    // On this host a pid answers for itself (not our own pid: that is a sibling in this process, or our previous life in a container).
    if (owner && owner.host === hostname() && owner.pid !== process.pid && !isAlive(owner.pid)) return true;
    return this.clock.now() - info.mtimeMs > STALE_AFTER_MS;
  }

  private markerPath(instance: string): string {
    return join(this.dir, `${instance}.owner`);
  }

  private nextSegmentPath(): string {
    this.seq += 1;
    return join(this.dir, `${this.instance}.${String(this.seq).padStart(6, '0')}.ndjson`);
  }
}

/**
 * The check-ins of a segment. A line that is not a whole entry (the tail of a write cut short by a
 * crash: its request was never answered, so the client sends it again) is counted and left out.
 */
export async function readSegment(path: string): Promise<{ entries: SpoolEntry[]; skipped: number }> {
  const text = await readFile(path, 'utf8');
  const entries: SpoolEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const entry = parseEntry(line);
    if (entry) entries.push(entry);
    else skipped += 1;
  }
  return { entries, skipped };
}

function parseEntry(line: string): SpoolEntry | undefined {
  try {
    const value = JSON.parse(line) as Partial<SpoolEntry> | null;
    if (typeof value?.source === 'string' && typeof value.receivedAt === 'string' && typeof value.checkin === 'object' && value.checkin !== null) {
      return value as SpoolEntry;
    }
  } catch {
    // not JSON: a cut line
  }
  return undefined;
}

function parseOwner(text: string): Owner | undefined {
  try {
    const value = JSON.parse(text) as Partial<Owner>;
    return typeof value.host === 'string' && typeof value.pid === 'number' ? (value as Owner) : undefined;
  } catch {
    return undefined; // a mark cut by a crash: its heartbeat decides
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/** Makes new, renamed and removed entries of a folder durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
