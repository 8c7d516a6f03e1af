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

/**
 * One platform per data dir: creates the lock exclusively, refuses while its owner runs, and takes over
 * a lock whose owner died without cleaning up (with a note, since its children may still hold ports).
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
