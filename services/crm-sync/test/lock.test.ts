/**
 * The run lock in the lake (crm-sync/lock.json) over a folder lake: one acquirer wins, the others hear who holds it
 * since when and until when; an expired lease is taken over; only the holder's release deletes it.
 */
import t from 'tap';
import { FolderLake } from '@peak/lake';
import { acquireSyncLock, LOCK_KEY, readSyncLock, SyncBusyError, withSyncLock } from '../src/sync/lock.js';

const at = (iso: string) => () => new Date(iso);

t.test('acquirers at once: exactly one wins; the others are told who holds it, since when, until when', async (t) => {
  const lake = new FolderLake(t.testdir());
  const tries = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => acquireSyncLock(lake, { by: `worker-${i}`, pid: 1000 + i, host: 'task-a' })));
  const won = tries.filter((r) => r.status === 'fulfilled');
  const lost = tries.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.equal(won.length, 1, 'one holder');
  t.equal(lost.length, 7);
  const holder = (await readSyncLock(lake))!;
  t.equal(holder.holder, won[0]?.value.record.holder, 'the lock in the lake is the winner\'s');
  for (const r of lost) {
    t.ok(r.reason instanceof SyncBusyError, 'SyncBusyError');
    t.match((r.reason as SyncBusyError).current, { by: holder.by, pid: holder.pid, acquiredAt: holder.acquiredAt, expiresAt: holder.expiresAt });
  }
  t.match((lost[0]?.reason as Error).message, new RegExp(`^a sync is already running \\(started by ${holder.by} on task-a, pid ${holder.pid}, at ${holder.acquiredAt}\\); its lock's lease ends ${holder.expiresAt}$`));
  t.equal(Date.parse(holder.expiresAt) - Date.parse(holder.acquiredAt), 2 * 60 * 60 * 1000, 'a 2 h lease by default');
});

t.test('note: the run id goes into the lock, and the busy message names the run', async (t) => {
  const lake = new FolderLake(t.testdir());
  const lock = await acquireSyncLock(lake, { by: 'api', leaseMs: 60_000 });
  await lock.note('2026-12-07T11-00-00-123Z-3f9a');
  t.equal((await readSyncLock(lake))?.runId, '2026-12-07T11-00-00-123Z-3f9a');
  await t.rejects(acquireSyncLock(lake, { by: 'cli' }), { name: 'SyncBusyError', message: /^a sync is already running \(run 2026-12-07T11-00-00-123Z-3f9a, started by api on / });
  t.equal(await lock.release(), true);
  t.equal(await readSyncLock(lake), undefined, 'released: gone');
  await (await acquireSyncLock(lake, { by: 'cli' })).release();
  t.pass('and free for the next');
});

t.test('an expired lease is taken over; the old holder\'s release then leaves the new lock alone', async (t) => {
  const lake = new FolderLake(t.testdir());
  const dead = await acquireSyncLock(lake, { by: 'schedule', leaseMs: 60_000, now: at('2026-12-07T11:00:00.000Z') });
  await t.rejects(acquireSyncLock(lake, { by: 'cli', now: at('2026-12-07T11:00:59.999Z') }), { name: 'SyncBusyError' }, 'within the lease: busy');
  const next = await acquireSyncLock(lake, { by: 'cli', now: at('2026-12-07T11:01:00.001Z') });
  t.match(await readSyncLock(lake), { by: 'cli', holder: next.record.holder, acquiredAt: '2026-12-07T11:01:00.001Z' }, 'after it: taken over');
  t.equal(await dead.release(), false, 'the old holder does not release what is no longer its lock');
  await dead.note('2026-12-07T11-00-00-000Z-dead');
  t.match(await readSyncLock(lake), { holder: next.record.holder, runId: undefined }, 'nor writes into it');
  t.equal(await next.release(), true);
});

t.test('release by the holder only: a lock deleted by hand and taken by another stays', async (t) => {
  const lake = new FolderLake(t.testdir());
  const first = await acquireSyncLock(lake, { by: 'api' });
  await lake.delete(LOCK_KEY); // an operator sure nothing runs
  const second = await acquireSyncLock(lake, { by: 'cli' });
  t.equal(await first.release(), false);
  t.equal((await readSyncLock(lake))?.holder, second.record.holder);
});

t.test('withSyncLock: released after the work, also when it throws; busy while held', async (t) => {
  const lake = new FolderLake(t.testdir());
  t.equal(await withSyncLock(lake, { by: 'cli' }, async (lock) => {
    await t.rejects(withSyncLock(lake, { by: 'api' }, async () => 'never'), { name: 'SyncBusyError' });
    return lock.record.by;
  }), 'cli');
  t.equal(await readSyncLock(lake), undefined);
  await t.rejects(withSyncLock(lake, { by: 'cli' }, async () => { throw new Error('HubSpot down'); }), { message: 'HubSpot down' });
  t.equal(await readSyncLock(lake), undefined, 'released after a failure too');
});

t.test('a lock file that is not a lock record is reported, not overwritten', async (t) => {
  const lake = new FolderLake(t.testdir());
  await lake.putBytes(LOCK_KEY, 'not json');
  await t.rejects(acquireSyncLock(lake, { by: 'cli' }), { message: /crm-sync\/lock\.json in file:.* is not a lock record .*delete it if no sync is running/ });
  t.equal((await lake.getBytes(LOCK_KEY))?.toString(), 'not json');
});
