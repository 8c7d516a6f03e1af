/**
 * One sync at a time across processes — the CLI, the service's endpoint and schedule, several tasks in AWS: a lock
 * object in the lake, `crm-sync/lock.json`, written only if absent (S3's `If-None-Match: *`; the folder lake links the
 * file into place). Needed because the end of a run deletes every pending ack file: two runs at once would lose acks.
 * Dry runs write no state, so they take no lock.
 *
 * The lock is a lease: one left by a process that died is taken over once `expiresAt` has passed (deleted, then
 * written if absent again). Two processes finding the same expired lock within the same few milliseconds can both
 * win (the second's delete removes the first's new lock); with a daily sync and leases of hours that is accepted.
 * Release and `note` read the lock back and act only if it is still ours; the read and the write are two calls, so
 * they are safe only inside our lease — keep the lease well above the longest run.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Lake } from '@peak/lake';

export const LOCK_KEY = 'crm-sync/lock.json';
export const DEFAULT_LEASE_MS = 2 * 60 * 60 * 1000;

export type SyncLockRecord = {
  /** Unique to one acquisition: what release compares. */
  holder: string;
  /** What started the run: `cli`, `api`, `schedule`. */
  by: string;
  /** The run holding the lock, once it has recorded itself. */
  runId?: string;
  host: string;
  pid: number;
  acquiredAt: string;
  expiresAt: string;
};

/** Who is running a sync, as far as is known (an in-process run not yet under the lock has no lease). */
export type SyncHolder = Omit<SyncLockRecord, 'holder' | 'expiresAt'> & { expiresAt?: string };

export class SyncBusyError extends Error {
  override name = 'SyncBusyError';

  constructor(readonly current: SyncHolder) {
    const run = current.runId ? `run ${current.runId}, ` : '';
    const lease = current.expiresAt ? `; its lock's lease ends ${current.expiresAt}` : '';
    super(`a sync is already running (${run}started by ${current.by} on ${current.host}, pid ${current.pid}, at ${current.acquiredAt})${lease}`);
  }
}

export type LockOptions = {
  by: string;
  leaseMs?: number;
  now?: () => Date;
  host?: string;
  pid?: number;
};

export type SyncLock = {
  readonly record: Readonly<SyncLockRecord>;
  /** Writes the run's id into the lock, so whoever finds it busy learns which run holds it. */
  note(runId: string): Promise<void>;
  /** Deletes the lock if it is still ours; false when it was not (taken over after our lease ended, or deleted by hand). */
  release(): Promise<boolean>;
};

export async function readSyncLock(lake: Lake): Promise<SyncLockRecord | undefined> {
  const bytes = await lake.getBytes(LOCK_KEY);
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as SyncLockRecord;
  } catch (err) {
    throw new Error(`${LOCK_KEY} in ${lake.describe()} is not a lock record (${(err as Error).message}); delete it if no sync is running`);
  }
}

const write = (lake: Lake, record: SyncLockRecord, ifAbsent: boolean) =>
  lake.putBytes(LOCK_KEY, JSON.stringify(record, null, 1), { ifAbsent, contentType: 'application/json' });

/** Takes the lock, or throws SyncBusyError naming who holds it, since when and until when. */
export async function acquireSyncLock(lake: Lake, opts: LockOptions): Promise<SyncLock> {
  const now = opts.now ?? (() => new Date());
  for (let attempt = 0; attempt < 3; attempt++) {
    const at = now();
    const record: SyncLockRecord = {
      holder: randomUUID(),
      by: opts.by,
      host: opts.host ?? hostname(),
      pid: opts.pid ?? process.pid,
      acquiredAt: at.toISOString(),
      expiresAt: new Date(at.getTime() + (opts.leaseMs ?? DEFAULT_LEASE_MS)).toISOString(),
    };
    if (await write(lake, record, true)) return lockHandle(lake, record);
    const current = await readSyncLock(lake);
    if (current && Date.parse(current.expiresAt) > at.getTime()) throw new SyncBusyError(current);
    if (current) await lake.delete(LOCK_KEY); // its lease ended: its holder died; take it over (the race: module comment)
  }
  throw new Error(`could not take ${LOCK_KEY} in ${lake.describe()}: other processes kept taking it`);
}

function lockHandle(lake: Lake, record: SyncLockRecord): SyncLock {
  const ours = async () => (await readSyncLock(lake))?.holder === record.holder;
  return {
    record,
    async note(runId) {
      if (!(await ours())) return;
      record.runId = runId;
      await write(lake, record, false);
    },
    async release() {
      if (!(await ours())) return false;
      await lake.delete(LOCK_KEY);
      return true;
    },
  };
}

/** `fn` under the lock, released after it whatever happens; SyncBusyError when another process holds it. */
export async function withSyncLock<T>(lake: Lake, opts: LockOptions, fn: (lock: SyncLock) => Promise<T>): Promise<T> {
  const lock = await acquireSyncLock(lake, opts);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}
