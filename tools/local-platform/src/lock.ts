import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PlatformError, platformErrorCodes } from './errors.js';

/** What `<dataDir>/platform.lock` holds: who runs the platform and where to find it. */
export type LockInfo = {
  pid: number;
  startedAt: string;
  /** Tells this run's lock from a later run's (a pid alone may be reused). */
  token: string;
  urls: Record<string, string>;
  processes: readonly { name: string; pid: number; port: number; kind: 'in-process' | 'child' }[];
};

export type Lock = {
  path: string;
  update(patch: Pick<LockInfo, 'urls' | 'processes'>): Promise<void>;
  release(): Promise<void>;
};

export const lockPath = (dataDir: string): string => join(dataDir, 'platform.lock');

export async function readLock(dataDir: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(lockPath(dataDir), 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

/** True when `pid` runs and is a Node process (a reused pid of some other program is not us). */
export function isLauncherAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true; // no /proc (not Linux): trust the signal check
  }
}

const ORPHAN_COMMANDS = ['node', 'redis-server'];

/** The command line of `pid`, or undefined when it is gone (or there is no /proc). */
function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/**
 * Children of a launcher that died (SIGKILL, crash) outlive it — they run in their own process groups —
 * and keep the ports. Stop the ones still running what we started; a reused pid runs something else.
 */
export async function stopOrphans(held: LockInfo, note: (line: string) => void, graceMs = 10_000): Promise<void> {
  const orphans = held.processes.filter((p) => {
    if (p.kind !== 'child' || p.pid === process.pid) return false;
    const cmd = commandLine(p.pid);
    return cmd !== undefined && ORPHAN_COMMANDS.some((c) => cmd.includes(c));
  });
  if (orphans.length === 0) return;
  note(`note: stopping what the dead launcher left running: ${orphans.map((o) => `${o.name} (pid ${o.pid})`).join(', ')}`);
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  for (const o of orphans) signal(o.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (orphans.some((o) => commandLine(o.pid) !== undefined) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const o of orphans) if (commandLine(o.pid) !== undefined) signal(o.pid, 'SIGKILL');
}

/**
 * One platform per data dir: creates the lock exclusively, refuses while its owner runs, and takes over
 * a lock whose owner died without cleaning up, stopping the children it left running (they hold the ports).
 */
export async function acquireLock(dataDir: string, urls: Record<string, string>, note: (line: string) => void): Promise<Lock> {
  await mkdir(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  let info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString(), token: randomUUID(), urls, processes: [] };
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, JSON.stringify(info, null, 2) + '\n', { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    const held = await readLock(dataDir);
    if (held && isLauncherAlive(held.pid)) {
      const where = held.urls.dashboard ? ` — its dashboard is at ${held.urls.dashboard}` : '';
      throw new PlatformError(
        `the platform is already running (pid ${held.pid})${where}; stop it with Ctrl-C in its terminal (lock file: ${path})`,
        platformErrorCodes.alreadyRunning,
      );
    }
    note(
      held
        ? `note: taking over a stale lock from pid ${held.pid} (started ${held.startedAt}), which did not stop cleanly`
        : `note: replacing an unreadable lock file at ${path}`,
    );
    if (held) await stopOrphans(held, note);
    await unlink(path).catch(() => undefined);
  }
  const owned = async () => (await readLock(dataDir))?.token === info.token;
  return {
    path,
    async update(patch) {
      info = { ...info, ...patch };
      // Write-then-rename: a reader never sees half a file.
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(info, null, 2) + '\n');
      await rename(tmp, path);
    },
    async release() {
      if (await owned()) await unlink(path).catch(() => undefined);
    },
  };
}
