import { unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { datasets, type AttendanceRow } from '@peak/contracts';
import { acceptUpload, type UploadDeps } from '../upload/accept-upload.js';
import type { Declared } from '../upload/declared.js';
import type { Clock } from './clock.js';
import { HEARTBEAT_MS, readSegment, Spool, type Segment, type SpoolEntry } from './spool.js';

export type CheckinBufferOptions = {
  /** CHECKIN_SPOOL_DIR */
  spoolRoot: string;
  /** CHECKIN_BATCH_MAX_EVENTS */
  maxEvents: number;
  /** CHECKIN_BATCH_MAX_SECONDS */
  maxSeconds: number;
  clock: Clock;
  /** What a flush needs to land a batch exactly as an upload does. */
  deps: UploadDeps;
};

export type CheckinBufferStats = {
  /** Check-ins in the open segment. */
  buffered: number;
  /** Closed segments not yet in the lake (a failed flush waits here for its retry). */
  waiting: number;
  /** Batches written to the raw zone since the start. */
  batches: number;
};

const NDJSON: Declared = { contentType: 'application/x-ndjson', format: 'ndjson', gzip: false };
const MAX_RETRY_DELAY_MS = 60_000;
const COLUMNS = datasets.attendance.columns as readonly (keyof AttendanceRow & string)[];

/** A validated row with its keys in contract column order, so the same check-ins always make the same bytes. */
export const canonicalRow = (row: AttendanceRow): AttendanceRow =>
  Object.fromEntries(COLUMNS.filter((c) => row[c] !== undefined).map((c) => [c, row[c]])) as AttendanceRow;

/**
 * The micro-batch buffer of real-time check-ins (the Firehose role). Accepted check-ins are appended
 * to the open segment of the spool and fsynced before `append` resolves. A segment is closed when it
 * holds `maxEvents` check-ins, `maxSeconds` after its first one, or at `close`; a closed segment is
 * flushed: its check-ins become one NDJSON upload per source through `acceptUpload` (raw object, batch
 * record, raw-landed — the path of any upload), and only then is the segment removed. A failed flush
 * keeps the segment and is retried with backoff. Flushing a segment again (after a crash between the
 * lake write and the removal) makes the same bytes, which the content-hash index answers with the
 * batch already made.
 */
export class CheckinBuffer {
  readonly spool: Spool;
  private current: Segment | undefined;
  private readonly waiting: string[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private group: { lines: string[]; written: Promise<void> } | undefined;
  private flushing: Promise<void> | undefined;
  private ageTimer: unknown;
  private retryTimer: unknown;
  private heartbeatTimer: unknown;
  private heartbeatRun: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;
  private batches = 0;

  constructor(private readonly opts: CheckinBufferOptions) {
    this.spool = new Spool(opts.spoolRoot, opts.deps.lake.describe(), opts.clock);
  }

  private get log() {
    return this.opts.deps.log;
  }

  /** Creates the spool folder and this process's mark (a spool it cannot write stops the service from starting). */
  open(): Promise<void> {
    return this.spool.open();
  }

  /** Flushes what stopped processes left in the spool, before anything new arrives; then watches for more. */
  async start(): Promise<void> {
    await this.adoptOrphans();
    this.scheduleHeartbeat();
    await this.idle();
  }

  /** Keeps check-ins on disk; resolves once they are written and fsynced (appends made meanwhile share one fsync). */
  append(entries: readonly SpoolEntry[]): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the check-in buffer is closed'));
    const lines = entries.map((e) => `${JSON.stringify(e)}\n`);
    if (!this.group) {
      const group: { lines: string[]; written: Promise<void> } = { lines: [], written: Promise.resolve() };
      group.written = this.serial(async () => {
        if (this.group === group) this.group = undefined; // later appends form the next group
        await this.write(group.lines);
      });
      this.group = group;
    }
    this.group.lines.push(...lines);
    return this.group.written;
  }

  /** Resolves when nothing is being written or flushed (a flush waiting for its retry does not count). */
  async idle(): Promise<void> {
    for (;;) {
      await this.tail;
      await this.heartbeatRun;
      if (!this.flushing) return;
      await this.flushing;
    }
  }

  stats(): CheckinBufferStats {
    return { buffered: this.current?.count ?? 0, waiting: this.waiting.length, batches: this.batches };
  }

  /**
   * Graceful stop (after the last request was answered): closes the open segment and makes one
   * attempt to flush everything. What cannot be flushed now stays in the spool for the next start.
   */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of [this.heartbeatTimer, this.ageTimer, this.retryTimer]) if (timer !== undefined) this.opts.clock.clearTimeout(timer);
    this.heartbeatTimer = this.ageTimer = this.retryTimer = undefined;
    await this.serial(() => this.closeCurrent()).catch((err: unknown) => this.log.error({ err }, 'could not close the open spool segment'));
    this.kick(); // also segments that were waiting for a retry: one last attempt
    await this.idle();
    if (this.waiting.length > 0) this.log.warn({ segments: this.waiting }, 'check-ins left in the spool: the next start flushes them');
    await this.spool.close().catch((err: unknown) => this.log.warn({ err }, 'could not remove the spool mark'));
  }

  /** Runs spool writes and segment changes one at a time, in order. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(lines: string[]): Promise<void> {
    let done = 0;
    while (done < lines.length) {
      const segment = this.current ?? (this.current = await this.spool.createSegment());
      const part = lines.slice(done, done + this.opts.maxEvents - segment.count);
      try {
        await segment.handle.writeFile(part.join(''));
        await segment.handle.datasync();
      } catch (err) {
        // Whatever reached the file is flushed with it; the request is refused and sent again (duplicates are harmless).
        await this.closeCurrent().catch((e: unknown) => this.log.error({ err: e }, 'could not close a spool segment'));
        throw err;
      }
      if (segment.count === 0) {
        this.ageTimer = this.opts.clock.setTimeout(() => void this.serial(() => this.closeCurrent(segment)).catch((err: unknown) => this.log.error({ err }, 'could not close a spool segment')), this.opts.maxSeconds * 1000);
      }
      segment.count += part.length;
      done += part.length;
      if (segment.count >= this.opts.maxEvents) await this.closeCurrent();
    }
  }

  /** Closes the open segment (only if it is still `which`, when given) and queues it for flushing. */
  private async closeCurrent(which?: Segment): Promise<void> {
    const segment = this.current;
    if (!segment || (which && which !== segment)) return;
    this.current = undefined;
    if (this.ageTimer !== undefined) this.opts.clock.clearTimeout(this.ageTimer);
    this.ageTimer = undefined;
    await segment.handle.close();
    this.waiting.push(segment.path);
    this.kick();
  }

  /** Starts flushing waiting segments, unless a flush runs or waits for its retry. */
  private kick(): void {
    if (this.flushing || this.retryTimer !== undefined || this.waiting.length === 0) return;
    this.flushing = this.flushWaiting().then((ok) => {
      this.flushing = undefined;
      if (ok) return this.kick();
      this.failures += 1;
      if (this.stopped) return;
      const delay = Math.min(1000 * 2 ** (this.failures - 1), MAX_RETRY_DELAY_MS);
      this.retryTimer = this.opts.clock.setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, delay);
    });
  }

  /** Flushes waiting segments in order; false at the first failure (the segment stays first in line). */
  private async flushWaiting(): Promise<boolean> {
    while (this.waiting.length > 0) {
      const path = this.waiting[0] ?? '';
      try {
        await this.flushSegment(path);
      } catch (err) {
        this.log.error({ err, segment: path, failures: this.failures + 1 }, 'could not write buffered check-ins to the lake; retrying');
        return false;
      }
      this.waiting.shift();
      this.failures = 0;
    }
    return true;
  }

  private async flushSegment(path: string): Promise<void> {
    const read = await readSegment(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!read) {
      // Only another process adopting it removes our segment: it took this process for dead (no heartbeat for a minute).
      this.log.error({ segment: path }, 'a spool segment of this process was taken over by another process, which flushes it');
      return;
    }
    const { entries, skipped } = read;
    if (skipped > 0) this.log.warn({ segment: path, skipped }, 'spool lines that are not whole check-ins (a write cut short) were left out');
    const bySource = new Map<string, string[]>();
    for (const { source, checkin } of entries) {
      const lines = bySource.get(source) ?? [];
      lines.push(`${JSON.stringify(canonicalRow(checkin))}\n`);
      bySource.set(source, lines);
    }
    for (const [source, lines] of bySource) {
      const body = Readable.from([Buffer.from(lines.join(''))]);
      // Not MAX_UPLOAD_BYTES: that limits what clients send; these check-ins were accepted already.
      const { record, duplicate } = await acceptUpload(this.opts.deps, { contract: datasets.attendance, source, body, declared: NDJSON, maxBytes: Number.MAX_SAFE_INTEGER });
      if (!duplicate) this.batches += 1;
      this.log.info({ batchId: record.batchId, source, checkins: lines.length, duplicate }, duplicate ? 'buffered check-ins were already in the lake' : 'buffered check-ins written to the raw zone');
    }
    await unlink(path);
  }

  private async adoptOrphans(): Promise<void> {
    const adopted = await this.spool.adoptOrphans();
    if (adopted.length === 0) return;
    this.log.info({ segments: adopted.length }, 'flushing check-ins a stopped process left in the spool');
    this.waiting.push(...adopted);
    this.kick();
  }

  private scheduleHeartbeat(): void {
    this.heartbeatTimer = this.opts.clock.setTimeout(() => {
      this.heartbeatRun = (async () => {
        try {
          if (!(await this.spool.heartbeat())) this.log.error('another process took this one for dead and adopted its spool segments; its mark is made again');
          await this.adoptOrphans();
        } catch (err) {
          this.log.warn({ err }, 'spool heartbeat failed');
        }
        this.heartbeatRun = undefined;
        if (!this.stopped) this.scheduleHeartbeat();
      })();
    }, HEARTBEAT_MS);
  }
}
