import { join } from 'node:path';
import t from 'tap';
import { type BatchProcessed } from '@peak/contracts';
import { BatchRegistry, FolderLake, S3Lake, newBatchId, type Lake } from '@peak/lake';
import { localClients, useSqsEmulator } from '@peak/service-kit/testing';
import { processBatch, type BatchDeps } from '@peak/etl';
import { landBatch, query } from './helpers.js';

const BUCKET = 'etl-test';
const emu = await useSqsEmulator(t, { buckets: [BUCKET], queues: [] });
const s3 = localClients.s3(t, emu.endpoint);
let prefixes = 0;
const quiet = { info: () => {}, warn: () => {} };

const MEMBERS = `member_id,email,first_name,last_name,home_location_id,join_date,plan,status,cancelled_on,birth_year,marketing_opt_in,updated_at
M000001,ada@example.com,Ada,Lovelace,downtown,2026-01-02,unlimited,active,,1990,true,2026-01-02T10:00:00Z
M000002,alan@example.com,Alan,Turing,riverside,2026-01-03,unlimited,active,,1985,false,2026-01-03T10:00:00Z
`;
const CHECKINS = `checkin_id,member_id,class_id,location_id,checked_in_at,method
K1,M000001,,downtown,2026-01-05T06:30:00Z,card
K2,M000002,,riverside,2026-01-05T07:30:00Z,app
K3,M999999,,riverside,2026-01-06T07:30:00Z,app
K4,M000001,,downtown,not-a-time,card
`;


/** Deps over a lake; `dir` is the test's own folder (t.testdir() empties it when called again). */
function depsFor(dir: string, lake: Lake) {
  const announced: BatchProcessed[] = [];
  const registry = new BatchRegistry(lake);
  const deps: BatchDeps = { lake, registry, announce: async (m) => void announced.push(m), workDir: join(dir, 'work'), log: quiet };
  return { deps, registry, announced };
}

/** Every object under a prefix with its size, as a reader of the lake would see it. */
async function listing(lake: Lake, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let startAfter: string | undefined;
  do {
    const page = await lake.list(prefix, { startAfter });
    out.push(...page.items.map((i) => i.key));
    startAfter = page.next;
  } while (startAfter);
  return out;
}

/** Rows of a Parquet object in the lake (copied out first when the lake is S3). */
async function rows(lake: Lake, key: string, dir: string, sql = 'SELECT * FROM data ORDER BY ALL'): Promise<Record<string, unknown>[]> {
  const file = lake.localPath(key) ?? join(dir, key.replaceAll('/', '_'));
  if (!lake.localPath(key)) await lake.getToFile(key, file);
  return query(sql.replace('data', `read_parquet('${file}')`));
}

const lakes: [string, (dir: string) => Lake][] = [
  ['folder lake', (dir) => new FolderLake(join(dir, 'lake'))],
  ['S3 lake', () => new S3Lake(s3, BUCKET, `lake-${++prefixes}/`)],
];

for (const [name, open] of lakes) {
  t.test(`${name}: members, then check-ins checked against them; outputs, record and message agree`, async (t) => {
    const dir = t.testdir();
    const lake = open(dir);
    const { deps, announced } = depsFor(dir, lake);
    const members = (await landBatch(lake, 'members', MEMBERS)).record;
    const m = await processBatch(members.batchId, { receiveCount: 1, maxReceiveCount: 3 }, deps);
    t.match(m, { kind: 'processed', record: { status: 'processed', rowsIn: 2, rowsProcessed: 2, rowsQuarantined: 0, attempts: 1 } });
    t.notOk(m.kind === 'processed' && m.record.quarantineKey, 'no quarantine object when nothing is quarantined');

    const checkins = (await landBatch(lake, 'attendance', CHECKINS)).record;
    const c = await processBatch(checkins.batchId, { receiveCount: 1, maxReceiveCount: 3 }, deps);
    if (c.kind !== 'processed') throw new Error(`expected processed, got ${c.kind}`);
    t.match(c.record, { rowsIn: 4, rowsProcessed: 2, rowsQuarantined: 2, reasons: { UNKNOWN_REFERENCE: 1, BAD_TYPE: 1 }, partitions: ['2026-01-05'] });
    t.same(await listing(lake, 'processed/attendance/'), c.record.processedKeys, 'the record lists exactly the published files');
    t.equal(c.record.quarantineKey, `quarantine/attendance/${checkins.batchId}.parquet`);
    const q = await rows(lake, c.record.quarantineKey ?? '', dir, 'SELECT line, reasons, raw_record FROM data ORDER BY line');
    t.same(q, [
      { line: '4', reasons: ['UNKNOWN_REFERENCE'], raw_record: 'K3,M999999,,riverside,2026-01-06T07:30:00Z,app' },
      { line: '5', reasons: ['BAD_TYPE'], raw_record: 'K4,M000001,,downtown,not-a-time,card' },
    ]);
    t.same(announced.map((a) => [a.dataset, a.status, a.rowsIn, a.rowsProcessed, a.rowsQuarantined]), [
      ['members', 'processed', 2, 2, 0],
      ['attendance', 'processed', 4, 2, 2],
    ]);

    // A repeated delivery of a processed batch changes nothing and announces nothing.
    const again = await processBatch(checkins.batchId, { receiveCount: 2, maxReceiveCount: 3 }, deps);
    t.match(again, { kind: 'skipped' });
    t.equal(announced.length, 2);
  });
}

/** A real lake that fails the n-th call of one method: a crash at that point of a batch. */
function crashingLake(lake: Lake, method: 'putFile' | 'putBytes' | 'delete', n: number): Lake & { crashed(): boolean } {
  let calls = 0;
  let fired = false;
  return new Proxy(lake, {
    get(target, prop, receiver) {
      if (prop === 'crashed') return () => fired;
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        if (++calls === n) { fired = true; throw new Error(`crash injected at ${method} #${n}`); }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as Lake & { crashed(): boolean };
}

t.test('a crash at any point of publishing is repaired by the next delivery: same files, no row lost or doubled', async (t) => {
  // Many partitions, so the batch publishes several files.
  const body = ['checkin_id,member_id,class_id,location_id,checked_in_at,method',
    ...Array.from({ length: 40 }, (_, i) => `K${i},M000001,,downtown,2026-01-${String(1 + (i % 8)).padStart(2, '0')}T06:30:00Z,card`),
    'K0,M000001,,downtown,2026-01-01T06:30:00Z,card'].join('\n');
  const top = t.testdir();
  const reference = new FolderLake(join(top, 'reference'));
  const ref = depsFor(top, reference);
  // Check-ins are checked against the members already processed: load those first in every lake.
  const withMembers = async (lake: Lake, deps: BatchDeps) => {
    const members = (await landBatch(lake, 'members', MEMBERS)).record;
    await processBatch(members.batchId, { receiveCount: 1, maxReceiveCount: 3 }, deps);
  };
  await withMembers(reference, ref.deps);
  const refBatch = (await landBatch(reference, 'attendance', body)).record;
  const expected = await processBatch(refBatch.batchId, { receiveCount: 1, maxReceiveCount: 3 }, ref.deps);
  if (expected.kind !== 'processed') throw new Error('reference run failed');
  t.equal(expected.record.processedKeys?.length, 8, 'eight day partitions');

  // putBytes: 1 = status processing, 2 = manifest, 3 = status processed; putFile: each output; announce: the message.
  const points: ['putFile' | 'putBytes' | 'announce', number][] = [['putBytes', 1], ['putBytes', 2], ['putFile', 1], ['putFile', 5], ['putFile', 9], ['announce', 1], ['putBytes', 3]];
  for (const [method, n] of points) {
    await t.test(`crash at ${method} #${n}`, async (t) => {
      const dir = t.testdir();
      const inner = new FolderLake(join(dir, 'lake'));
      await withMembers(inner, depsFor(dir, inner).deps);
      const batch = (await landBatch(inner, 'attendance', body, { at: new Date(refBatch.receivedAt) })).record;
      const crashing = crashingLake(inner, method === 'announce' ? 'putFile' : method, method === 'announce' ? 0 : n);
      const first = depsFor(dir, crashing);
      if (method === 'announce') first.deps.announce = async () => { throw new Error('crash injected at announce'); };
      await t.rejects(processBatch(batch.batchId, { receiveCount: 1, maxReceiveCount: 3 }, first.deps), /crash injected/);
      t.ok(method === 'announce' || crashing.crashed(), 'the crash happened');
      const second = depsFor(dir, inner);
      const done = await processBatch(batch.batchId, { receiveCount: 2, maxReceiveCount: 3 }, second.deps);
      t.match(done, { kind: 'processed', record: { status: 'processed', rowsIn: 41, rowsProcessed: 40, rowsQuarantined: 1, reasons: { DUPLICATE_IN_BATCH: 1 } } });
      const files = await listing(inner, 'processed/attendance/');
      t.equal(files.length, 8, 'one file per day, nothing left over');
      const [n2] = await query(`SELECT count(*) AS n, count(DISTINCT checkin_id) AS ids FROM read_parquet([${files.map((f) => `'${inner.localPath(f)}'`).join(',')}])`);
      t.same(n2, { n: '40', ids: '40' }, 'every row once');
      t.equal(second.announced.length, 1, 'announced once the batch is published');
    });
  }
});

t.test('an unusable file fails the batch at once, with the reason; a retry of it is skipped', async (t) => {
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const { deps, announced } = depsFor(dir, lake);
  const batch = (await landBatch(lake, 'attendance', 'checkin_id,checkin_id,member_id\nK1,K1,M1\n')).record;
  const out = await processBatch(batch.batchId, { receiveCount: 1, maxReceiveCount: 3 }, deps);
  t.match(out, { kind: 'failed', record: { status: 'failed', error: /unusable input: the CSV header names "checkin_id" twice/ } });
  t.match(announced, [{ status: 'failed', error: /checkin_id" twice/ }]);
  t.match(await processBatch(batch.batchId, { receiveCount: 2, maxReceiveCount: 3 }, deps), { kind: 'skipped' });
});

t.test('a transient failure is retried; on the last allowed receive the batch is marked failed before the DLQ', async (t) => {
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const { registry } = depsFor(dir, lake);
  const batch = (await landBatch(lake, 'members', MEMBERS)).record;
  const broken = crashingLake(lake, 'putFile', 1);
  const first = depsFor(dir, broken);
  await t.rejects(processBatch(batch.batchId, { receiveCount: 1, maxReceiveCount: 3 }, first.deps), /crash injected/);
  t.match(await registry.get(batch.batchId), { status: 'processing', attempts: 1 });
  const alwaysBroken = crashingLake(lake, 'putFile', 1);
  const last = depsFor(dir, alwaysBroken);
  await t.rejects(processBatch(batch.batchId, { receiveCount: 3, maxReceiveCount: 3 }, last.deps), /crash injected/);
  t.match(await registry.get(batch.batchId), { status: 'failed', attempts: 2, error: /gave up after 3 attempts: crash injected/ });
  t.match(last.announced, [{ status: 'failed' }]);
});

t.test('a raw object that is gone fails the batch for good', async (t) => {
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const { deps } = depsFor(dir, lake);
  const batch = (await landBatch(lake, 'members', MEMBERS)).record;
  await lake.delete(batch.objectKey);
  t.match(await processBatch(batch.batchId, { receiveCount: 1, maxReceiveCount: 3 }, deps), { kind: 'failed', record: { error: /raw object .* is missing/ } });
});

t.test('an unknown batch id is an error (the message goes to the DLQ)', async (t) => {
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const { deps } = depsFor(dir, lake);
  await t.rejects(processBatch(newBatchId('members'), { receiveCount: 1, maxReceiveCount: 3 }, deps), /has no record in the lake/);
});

t.test('an attempt that quarantines nothing drops the quarantine an interrupted earlier attempt recorded', async (t) => {
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const batch = (await landBatch(lake, 'attendance', CHECKINS.split('\n').slice(0, 3).join('\n'))).record;
  // First attempt: no members yet, so both rows are quarantined; it dies after publishing the quarantine.
  const crashing = crashingLake(lake, 'putBytes', 3);
  await t.rejects(processBatch(batch.batchId, { receiveCount: 1, maxReceiveCount: 3 }, depsFor(dir, crashing).deps), /crash injected/);
  t.match(await new BatchRegistry(lake).get(batch.batchId), { status: 'processing', rowsQuarantined: 2, quarantineKey: `quarantine/attendance/${batch.batchId}.parquet` });
  const { deps } = depsFor(dir, lake);
  const members = (await landBatch(lake, 'members', MEMBERS)).record;
  await processBatch(members.batchId, { receiveCount: 1, maxReceiveCount: 3 }, deps);
  const done = await processBatch(batch.batchId, { receiveCount: 2, maxReceiveCount: 3 }, deps);
  t.match(done, { kind: 'processed', record: { rowsProcessed: 2, rowsQuarantined: 0 } });
  t.notOk(done.kind === 'processed' && 'quarantineKey' in done.record, 'no quarantine key left in the record');
  t.same((await lake.list('quarantine/')).items, [], 'and no quarantine object');
});
