import { join } from 'node:path';
import t from 'tap';
import { type BatchProcessed } from '@peak/contracts';
import { BatchRegistry, FolderLake, newBatchId } from '@peak/lake';
import { processBatch, replayQuarantine, type BatchDeps } from '@peak/etl';
import { landBatch, query } from './helpers.js';

const quiet = { info: () => {}, warn: () => {} };
const MEMBERS = `member_id,email,first_name,last_name,home_location_id,join_date,plan,status,cancelled_on,birth_year,marketing_opt_in,updated_at
M000001,ada@example.com,Ada,Lovelace,downtown,2026-01-02,unlimited,active,,1990,true,2026-01-02T10:00:00Z
M000002,alan@example.com,Alan,Turing,riverside,2026-01-03,unlimited,active,,1985,false,2026-01-03T10:00:00Z
`;
// Line 2 and 3 name members not loaded yet; line 4 is malformed; line 5 repeats K1 (a duplicate in the batch).
const CHECKINS = `checkin_id,member_id,class_id,location_id,checked_in_at,method
K1,M000001,,downtown,2026-01-05T06:30:00Z,card
K2,M000002,,riverside,2026-01-05T07:30:00Z,app
K3,M000002,,riverside
K1,M000001,,downtown,2026-01-05T06:30:00Z,card
K4,M000009,,riverside,2026-01-06T07:30:00Z,app
`;


t.test('check-ins that arrived before their members: replay moves them once the members are in', async (t) => {
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const announced: BatchProcessed[] = [];
  const deps: BatchDeps = { lake, registry: new BatchRegistry(lake), announce: async (m) => void announced.push(m), workDir: join(dir, 'work'), log: quiet };
  const once = { receiveCount: 1, maxReceiveCount: 3 };

  const checkins = (await landBatch(lake, 'attendance', CHECKINS)).record;
  await processBatch(checkins.batchId, once, deps);
  t.match(await deps.registry.get(checkins.batchId), { rowsIn: 5, rowsProcessed: 0, rowsQuarantined: 5, reasons: { UNKNOWN_REFERENCE: 4, MALFORMED_RECORD: 1, DUPLICATE_IN_BATCH: 1 } });

  const early = await replayQuarantine(checkins.batchId, deps);
  t.match(early, { replay: 1, rowsTried: 4, rowsMoved: 0, rowsQuarantined: 5 }, 'nothing passes while the members are missing');

  const members = (await landBatch(lake, 'members', MEMBERS)).record;
  await processBatch(members.batchId, once, deps);
  const r = await replayQuarantine(checkins.batchId, deps);
  t.match(r, { replay: 2, rowsTried: 4, rowsMoved: 2, rowsQuarantined: 3 });
  t.match(r.record, { status: 'processed', rowsIn: 5, rowsProcessed: 2, rowsQuarantined: 3, partitions: ['2026-01-05'] });
  t.equal(r.record.replays?.length, 2, 'both replays recorded');
  t.equal(r.record.quarantineKey, `quarantine/attendance/${checkins.batchId}.r2.parquet`);

  const q = await query(`SELECT line, reasons, raw_record FROM read_parquet('${lake.localPath(r.record.quarantineKey ?? '')}') ORDER BY line`);
  t.same(q, [
    { line: '4', reasons: ['MALFORMED_RECORD'], raw_record: 'K3,M000002,,riverside' },
    { line: '5', reasons: ['DUPLICATE_IN_BATCH'], raw_record: 'K1,M000001,,downtown,2026-01-05T06:30:00Z,card' },
    { line: '6', reasons: ['UNKNOWN_REFERENCE'], raw_record: 'K4,M000009,,riverside,2026-01-06T07:30:00Z,app' },
  ], 'the rows still quarantined keep their original lines and text');
  t.same((await lake.list('quarantine/attendance/')).items.map((i) => i.key), [r.record.quarantineKey], 'the older quarantine objects are gone');

  const processed = r.record.processedKeys ?? [];
  const rows = await query(`SELECT checkin_id FROM read_parquet([${processed.map((k) => `'${lake.localPath(k)}'`).join(',')}]) ORDER BY 1`);
  t.same(rows.map((x) => x.checkin_id), ['K1', 'K2'], 'K1 once, K2 once');
  t.match(announced.at(-1), { batchId: checkins.batchId, rowsProcessed: 2, rowsQuarantined: 3 }, 'the move is announced');

  const again = await replayQuarantine(checkins.batchId, deps);
  t.match(again, { rowsMoved: 0, rowsQuarantined: 3 }, 'a further replay moves nothing twice');
  t.same(again.record.reasons, { ALREADY_PROCESSED: 1, MALFORMED_RECORD: 1, UNKNOWN_REFERENCE: 1 }, 'the repeated K1 is now known as already loaded');
});

t.test('replay refuses batches that are not processed, and unknown ones', async (t) => {
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const deps: BatchDeps = { lake, registry: new BatchRegistry(lake), announce: async () => {}, workDir: join(dir, 'work'), log: quiet };
  const waiting = (await landBatch(lake, 'members', MEMBERS)).record;
  await t.rejects(replayQuarantine(waiting.batchId, deps), { code: 'REPLAY_NOT_POSSIBLE', statusCode: 409, message: /is received/ });
  await t.rejects(replayQuarantine(newBatchId('members'), deps), { code: 'BATCH_NOT_FOUND', statusCode: 404 });
  await processBatch(waiting.batchId, { receiveCount: 1, maxReceiveCount: 3 }, deps);
  t.match(await replayQuarantine(waiting.batchId, deps), { replay: 0, rowsTried: 0, rowsMoved: 0 }, 'nothing quarantined: nothing to do');
});
