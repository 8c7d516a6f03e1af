import { join } from 'node:path';
import t from 'tap';
import { batchRecordKey, type BatchRecord, type DatasetName } from '@peak/contracts';
import { localClients, useSqsEmulator } from '@peak/service-kit/testing';
import { BatchNotFoundError, BatchRegistry, BatchTransitionError, FolderLake, newBatchId, S3Lake, type Lake } from '@peak/lake';

const BUCKET = 'registry-test';
const emu = await useSqsEmulator(t, { buckets: [BUCKET], queues: [] });
const s3 = localClients.s3(t, emu.endpoint);
let prefixes = 0;

const implementations: [string, (testdir: string) => Lake][] = [
  ['over a folder lake', (testdir) => new FolderLake(join(testdir, 'lake'))],
  ['over an S3 lake', () => new S3Lake(s3, BUCKET, `registry-${++prefixes}/`)],
];

const T0 = new Date('2026-11-25T09:01:02.123Z');

function record(dataset: DatasetName, receivedAt = T0): BatchRecord {
  const batchId = newBatchId(dataset, receivedAt);
  return {
    batchId,
    dataset,
    source: 'door-system',
    format: 'csv',
    compression: 'none',
    objectKey: `raw/${dataset}/dt=${receivedAt.toISOString().slice(0, 10)}/${batchId}.csv`,
    contentSha256: 'a'.repeat(64),
    bytes: 10,
    receivedAt: receivedAt.toISOString(),
    status: 'received',
    updatedAt: receivedAt.toISOString(),
    attempts: 0,
  };
}

for (const [name, open] of implementations) {
  t.test(`batch registry ${name}`, async (t) => {
    t.test('create once, get, and undefined for unknown or malformed ids', async (t) => {
      const registry = new BatchRegistry(open(t.testdir()));
      const r = record('attendance');
      t.equal(await registry.create(r), true, 'created');
      t.equal(await registry.create({ ...r, bytes: 99 }), false, 'a second create of the same id writes nothing');
      t.same(await registry.get(r.batchId), r, 'read back as written');
      t.equal(await registry.get(newBatchId('attendance')), undefined, 'unknown id');
      for (const id of ['../../etc/passwd', 'by-sha256', '', 'x'.repeat(300)]) t.equal(await registry.get(id), undefined, `not a batch id: ${JSON.stringify(id.slice(0, 20))}`);
      await t.rejects(registry.create({ ...record('members'), dataset: 'attendance' }), /not an id of a attendance batch/, 'the id names the dataset');
      await t.rejects(registry.create({ ...record('members'), bytes: -1 }), { code: 'CONTRACT_VIOLATION' }, 'validated against the contract');
    });

    t.test('status transitions, attempts and updatedAt', async (t) => {
      let now = new Date('2026-11-25T10:00:00.000Z');
      const registry = new BatchRegistry(open(t.testdir()), () => now);
      const r = record('members');
      await registry.create(r);
      await t.rejects(registry.update(r.batchId, { status: 'processed' }), BatchTransitionError, 'received → processed skips processing');
      t.match(await registry.update(r.batchId, { status: 'processing' }), { status: 'processing', attempts: 1, updatedAt: '2026-11-25T10:00:00.000Z' });
      now = new Date('2026-11-25T10:05:00.000Z');
      t.match(await registry.update(r.batchId, { status: 'processing' }), { status: 'processing', attempts: 2 }, 'a redelivery counts as an attempt');
      t.match(await registry.update(r.batchId, { status: 'failed', error: 'DuckDB ran out of memory' }), { status: 'failed', error: 'DuckDB ran out of memory' });
      const retried = await registry.update(r.batchId, { status: 'processing' });
      t.match(retried, { status: 'processing', attempts: 3 }, 'failed → processing: a retry');
      t.notOk('error' in retried, "a new attempt drops the last attempt's error");
      const done = await registry.update(r.batchId, {
        status: 'processed',
        rowsIn: 3,
        rowsProcessed: 2,
        rowsQuarantined: 1,
        reasons: { BAD_TYPE: 1 },
        partitions: ['2026-01-05'],
        quarantineKey: `quarantine/members/${r.batchId}.parquet`,
        processedKeys: [`processed/members/dt=2026-01-05/${r.batchId}__0.parquet`],
      });
      t.match(done, { status: 'processed', rowsIn: 3, attempts: 3, updatedAt: '2026-11-25T10:05:00.000Z', objectKey: r.objectKey });
      t.same(await registry.get(r.batchId), done, 'stored');
      await t.rejects(registry.update(r.batchId, { status: 'processing' }), BatchTransitionError, 'processed is final');
      t.match(await registry.update(r.batchId, { rowsIn: 3 }), { status: 'processed' }, 'a patch without a status is allowed');
      await t.rejects(registry.update(newBatchId('members'), { status: 'processing' }), BatchNotFoundError);
      await t.rejects(registry.update(r.batchId, { rowsIn: -1 }), { code: 'CONTRACT_VIOLATION' });
    });

    t.test('list: ascending by id within an ingest date, dataset filter, paging', async (t) => {
      const registry = new BatchRegistry(open(t.testdir()));
      const day1 = [0, 1, 2, 3, 4].map((i) => record(i % 2 ? 'members' : 'attendance', new Date(T0.getTime() + i * 1000)));
      const day2 = [record('members', new Date('2026-11-26T00:00:00.000Z'))];
      for (const r of [...day1, ...day2].reverse()) await registry.create(r);
      await registry.claimHash('members', 'b'.repeat(64), day1[1]!.batchId);
      const ids = (rs: BatchRecord[]) => rs.map((r) => r.batchId);

      t.same(ids((await registry.list({ date: '2026-11-25', limit: 50 })).items), ids(day1), 'one day, in time order');
      t.same(ids((await registry.list({ date: '2026-11-26', limit: 50 })).items), ids(day2));
      t.same((await registry.list({ date: '2026-11-27', limit: 50 })).items, [], 'a day without batches');
      t.same(ids((await registry.list({ date: '2026-11-25', dataset: 'members', limit: 50 })).items), ids([day1[1]!, day1[3]!]), 'one dataset');
      t.same(ids((await registry.list({ limit: 50 })).items), ids([...day1, ...day2]), 'every day; the hash index is not a record');

      const pages: string[][] = [];
      let after: string | undefined;
      do {
        const page = await registry.list({ date: '2026-11-25', after, limit: 2 });
        pages.push(ids(page.items));
        after = page.next;
      } while (after);
      t.same(pages, [ids(day1.slice(0, 2)), ids(day1.slice(2, 4)), ids(day1.slice(4))], 'pages of 2, next = last id of the page');
      const filtered = await registry.list({ date: '2026-11-25', dataset: 'attendance', limit: 2 });
      t.same(ids(filtered.items), ids([day1[0]!, day1[2]!]));
      t.equal(filtered.next, day1[2]!.batchId, 'next with a dataset filter');
      t.same(ids((await registry.list({ date: '2026-11-25', dataset: 'attendance', after: filtered.next, limit: 2 })).items), ids([day1[4]!]));
    });

    t.test('claimHash: the first batch to land some bytes owns them; racing claims agree on one', async (t) => {
      const lake = open(t.testdir());
      const registry = new BatchRegistry(lake);
      const [a, b] = [newBatchId('classes'), newBatchId('classes')];
      t.equal(await registry.claimHash('classes', 'c'.repeat(64), a), undefined, 'a new claim');
      t.equal(await registry.claimHash('classes', 'c'.repeat(64), b), a, 'the same bytes again: the first batch');
      t.equal(await registry.claimHash('members', 'c'.repeat(64), b), undefined, 'per dataset');
      const racers = Array.from({ length: 6 }, () => newBatchId('signups'));
      const answers = await Promise.all(racers.map((id) => registry.claimHash('signups', 'd'.repeat(64), id)));
      const winners = racers.filter((_, i) => answers[i] === undefined);
      t.equal(winners.length, 1, 'exactly one claim is new');
      t.ok(answers.every((x) => x === undefined || x === winners[0]), 'every other racer is told the winner');
      await t.rejects(registry.claimHash('classes', '../../x', a), TypeError, 'a hash is hex, never a path');
      t.equal(await lake.head(batchRecordKey(a)), undefined, 'claiming does not create a record');
    });
  });
}
