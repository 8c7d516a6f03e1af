import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { inHoldout } from '@peak/contracts';
import { FolderLake } from '@peak/lake';
import { holdoutRows } from '../src/sync/lake-records.js';
import { applyAcks, emptyStoredState, latestRuns, loadSyncedState, newRunId, recordRun, saveSyncedState, STATE_KEY, SyncStateError, type StoredState, type SyncRun } from '../src/sync/state.js';

const lakeIn = (t: Test) => new FolderLake(t.testdir());

t.test('the synced state round-trips through the lake; none yet is the first run', async (t) => {
  const lake = lakeIn(t);
  t.same(await loadSyncedState(lake), { ...emptyStoredState(), ackKeys: [] }, 'no state: empty');
  const failure = { category: 'VALIDATION_ERROR', message: 'bad', firstFailedAt: '2026-06-29T06:00:00Z', lastFailedAt: '2026-06-30T06:00:00Z', attempts: 2 };
  const state: StoredState = {
    members: new Map<string, Record<string, string>>([['M000001', { peak_member_id: 'M000001', peak_visits_30d: '4' }], ['M000002', { peak_member_id: 'M000002', peak_lifecycle_stage: 'cancelled' }]]),
    failures: new Map([['M000003', failure]]),
    holdoutRecorded: new Map([['M000001', '2026-06-30']]),
  };
  await saveSyncedState(lake, state);
  t.same(await loadSyncedState(lake), { ...state, ackKeys: [] }, 'members with different properties, failures and the holdout list');
  t.ok((await lake.head(STATE_KEY))?.bytes, 'stored compressed under crm-sync/');
});

t.test('a damaged or foreign state is refused, never read as empty (that would re-send everyone)', async (t) => {
  const lake = lakeIn(t);
  await lake.putBytes(STATE_KEY, 'not gzip');
  await t.rejects(loadSyncedState(lake), SyncStateError);
  await t.rejects(loadSyncedState(lake), /damaged.*delete it to send every member again/);
  await lake.putBytes(STATE_KEY, gzipSync(JSON.stringify({ version: 9, members: {} })));
  await t.rejects(loadSyncedState(lake), /not a version 2 state/);
});

t.test('runs are recorded and listed newest first', async (t) => {
  const lake = lakeIn(t);
  const run = (at: string, outcome: SyncRun['outcome']): SyncRun => ({
    runId: newRunId(new Date(at), 'abcd'), startedAt: at, finishedAt: at, asOf: '2026-06-30', dryRun: false, fullResync: false, outcome,
    counts: { members: 1, changed: 1, sent: 1, created: 1, updated: 0, failed: 0, retried: 0, unchanged: 0, skipped: 0, duplicates: 0, requests: 1 }, errors: [],
  });
  t.equal(newRunId(new Date('2026-12-07T06:00:00.123Z'), 'ab12'), '2026-12-07T06-00-00-123Z-ab12', 'a run id sorts by time and is a safe key');
  for (const [at, outcome] of [['2026-12-05T06:00:00Z', 'succeeded'], ['2026-12-07T06:00:00Z', 'partial'], ['2026-12-06T06:00:00Z', 'failed']] as const) await recordRun(lake, run(at, outcome));
  t.same((await latestRuns(lake)).map((r) => r.outcome), ['partial', 'failed', 'succeeded']);
  t.same((await latestRuns(lake, 1)).map((r) => r.startedAt), ['2026-12-07T06:00:00Z']);
});

t.test('acks: accepted properties merge into what HubSpot holds; a failure counts attempts until a send succeeds', async (t) => {
  const state = emptyStoredState();
  applyAcks(state, { sent: [{ memberId: 'M1', properties: { a: '1', b: '2' } }], failed: [{ memberId: 'M2', category: 'VALIDATION_ERROR', message: 'x' }], at: '2026-06-29T06:00:00Z' });
  applyAcks(state, { sent: [{ memberId: 'M1', properties: { b: '3' } }], failed: [{ memberId: 'M2', category: 'HTTP_500', message: 'y' }], at: '2026-06-30T06:00:00Z' });
  t.same(state.members.get('M1'), { a: '1', b: '3' }, 'a partial update (a last update) merges');
  t.same(state.failures.get('M2'), { category: 'HTTP_500', message: 'y', firstFailedAt: '2026-06-29T06:00:00Z', lastFailedAt: '2026-06-30T06:00:00Z', attempts: 2 });
  applyAcks(state, { sent: [{ memberId: 'M2', properties: { a: '1' } }], failed: [], at: '2026-07-01T06:00:00Z' });
  t.notOk(state.failures.has('M2'), 'sent at last: the failure is cleared');
});

t.test('the holdout relation: members not listed yet, and those listed long enough ago to fall out of the processed zone\'s year', async (t) => {
  const state = emptyStoredState();
  for (const id of ['M1', 'M2', 'M3']) state.members.set(id, { peak_member_id: id, peak_home_location: 'downtown' });
  state.holdoutRecorded.set('M1', '2026-06-01');
  state.holdoutRecorded.set('M2', '2025-09-01'); // 302 days before the run
  const run = { startedAt: '2026-06-30T06:00:00.000Z' } as SyncRun;
  t.same(holdoutRows(state, [], run).map((r) => [r.member_id, r.assigned_on, r.home_location_id, r.holdout === inHoldout(r.member_id)]), [['M2', '2026-06-30', 'downtown', true], ['M3', '2026-06-30', 'downtown', true]]);
});

t.test('a run deletes only the acks it folded in and its own, never those another run wrote meanwhile', async (t) => {
  const lake = lakeIn(t);
  const ack = (id: string) => JSON.stringify({ sent: [{ memberId: id, properties: { a: '1' } }], failed: [], at: '2026-06-30T06:00:00Z' });
  await lake.putBytes('crm-sync/acks/dead-run/000001.json', ack('M1'));
  const loaded = await loadSyncedState(lake);
  t.same(loaded.ackKeys, ['crm-sync/acks/dead-run/000001.json']);
  await lake.putBytes('crm-sync/acks/this-run/000001.json', ack('M2'));
  await lake.putBytes('crm-sync/acks/other-run/000001.json', ack('M3')); // a run that took over an expired lease
  await saveSyncedState(lake, loaded, { runId: 'this-run', folded: loaded.ackKeys });
  t.same((await lake.list('crm-sync/acks/')).items.map((i) => i.key), ['crm-sync/acks/other-run/000001.json'], 'the other run\'s acks are kept, to fold in next time');
});
