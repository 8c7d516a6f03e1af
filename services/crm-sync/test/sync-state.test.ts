import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { FolderLake } from '@peak/lake';
import { latestRuns, loadSyncedState, newRunId, recordRun, saveSyncedState, STATE_KEY, SyncStateError, type SyncRun } from '../src/sync/state.js';

const lakeIn = (t: Test) => new FolderLake(t.testdir());

t.test('the synced state round-trips through the lake; none yet is the first run', async (t) => {
  const lake = lakeIn(t);
  t.same(await loadSyncedState(lake), new Map(), 'no state: empty');
  const state = new Map([['M000001', 'abc'], ['M000002', 'def']]);
  await saveSyncedState(lake, state);
  t.same(await loadSyncedState(lake), state);
  t.ok((await lake.head(STATE_KEY))?.bytes, 'stored compressed under crm-sync/');
});

t.test('a damaged or foreign state is refused, never read as empty (that would re-send everyone)', async (t) => {
  const lake = lakeIn(t);
  await lake.putBytes(STATE_KEY, 'not gzip');
  await t.rejects(loadSyncedState(lake), SyncStateError);
  await t.rejects(loadSyncedState(lake), /damaged.*delete it to send every member again/);
  await lake.putBytes(STATE_KEY, gzipSync(JSON.stringify({ version: 9, members: {} })));
  await t.rejects(loadSyncedState(lake), /not a version 1 state/);
});

t.test('runs are recorded and listed newest first', async (t) => {
  const lake = lakeIn(t);
  const run = (at: string, outcome: SyncRun['outcome']): SyncRun => ({
    runId: newRunId(new Date(at), 'abcd'), startedAt: at, finishedAt: at, asOf: '2026-06-30', dryRun: false, outcome,
    counts: { members: 1, changed: 1, sent: 1, created: 1, updated: 0, failed: 0, unchanged: 0, skipped: 0, duplicates: 0, requests: 1 }, errors: [],
  });
  t.equal(newRunId(new Date('2026-12-07T06:00:00.123Z'), 'ab12'), '2026-12-07T06-00-00-123Z-ab12', 'a run id sorts by time and is a safe key');
  for (const [at, outcome] of [['2026-12-05T06:00:00Z', 'succeeded'], ['2026-12-07T06:00:00Z', 'partial'], ['2026-12-06T06:00:00Z', 'failed']] as const) await recordRun(lake, run(at, outcome));
  t.same((await latestRuns(lake)).map((r) => r.outcome), ['partial', 'failed', 'succeeded']);
  t.same((await latestRuns(lake, 1)).map((r) => r.startedAt), ['2026-12-07T06:00:00Z']);
});
