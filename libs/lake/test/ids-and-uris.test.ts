import { join } from 'node:path';
import t from 'tap';
import { S3Client } from '@aws-sdk/client-s3';
import { isValid, messages } from '@peak/contracts';
import { FolderLake, ingestDate, newBatchId, openLake, parseBatchId, parseLakeUri, S3Lake } from '@peak/lake';

t.test('batch ids: time-sortable, name the dataset, fit the contract', async (t) => {
  const at = new Date('2026-11-25T09:01:02.123Z');
  const id = newBatchId('attendance', at);
  t.match(id, /^20261125T090102123Z-attendance-[0-9a-f]{8}$/);
  t.notOk(id.includes('__'), 'no double underscore (the ETL separates file numbers with it)');
  t.ok(isValid(messages.rawLanded.properties.batchId, id), 'matches the contract pattern');
  t.not(newBatchId('attendance', at), id, 'random part: two uploads in one millisecond differ');
  const later = newBatchId('attendance', new Date(at.getTime() + 1));
  t.ok(id < later && later < newBatchId('attendance', new Date('2027-01-01T00:00:00.000Z')), 'sorts by time');
  t.same(parseBatchId(id), { batchId: id, dataset: 'attendance', receivedAt: at, ingestDate: '2026-11-25' });
  t.equal(ingestDate(at), '2026-11-25');
  const longest = newBatchId('transactions');
  t.ok(longest.length <= 64, `at most 64 characters (${longest.length})`);
  for (const bad of ['20261325T090102123Z-attendance-1a2b3c4d', '20261125T250102123Z-attendance-1a2b3c4d', '20261125T090102123Z-visitors-1a2b3c4d',
    '20261125T090102123Z-attendance-1A2B3C4D', '../20261125T090102123Z-attendance-1a2b3c4d', '20261125T090102123Z-attendance-1a2b3c4d.json', '']) {
    t.equal(parseBatchId(bad), undefined, `not a batch id: ${bad}`);
  }
});

t.test('LAKE_URI: a folder, or a bucket with an optional prefix', async (t) => {
  t.same(parseLakeUri('file:///srv/lake'), { kind: 'folder', path: '/srv/lake' });
  t.same(parseLakeUri('s3://peak-dev-lake/v1'), { kind: 's3', bucket: 'peak-dev-lake', prefix: 'v1/' });
  t.same(parseLakeUri('s3://peak-dev-lake/v1/'), { kind: 's3', bucket: 'peak-dev-lake', prefix: 'v1/' });
  t.same(parseLakeUri('s3://peak-dev-lake'), { kind: 's3', bucket: 'peak-dev-lake', prefix: '' });
  for (const bad of ['http://lake', 'not a uri', 's3://UPPER', 's3://b/a//b']) t.throws(() => parseLakeUri(bad), { code: 'LAKE_INVALID_URI' }, bad);
  t.throws(() => parseLakeUri('s3://peak-lake/a//b'), { code: 'LAKE_INVALID_KEY' }, 'the prefix follows the key rules');

  const dir = t.testdir();
  t.type(openLake(`file://${join(dir, 'lake')}`), FolderLake);
  const s3 = new S3Client({ region: 'us-east-1' });
  t.teardown(() => s3.destroy());
  const lake = openLake('s3://peak-lake/v1', { s3 });
  t.type(lake, S3Lake);
  t.equal(lake.describe(), 's3://peak-lake/v1/');
  t.throws(() => openLake('s3://peak-lake'), { code: 'LAKE_INVALID_URI', message: /needs an S3 client/ });
});
