import { request as httpRequest } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import type { BatchRecord } from '@peak/contracts';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { buildForTest, closedEndpoint, localClients, useSqsEmulator } from '@peak/service-kit/testing';
import { buildApp, INGEST_ERRORS, readConfig } from '@peak/ingest';
import { newBatchId } from '@peak/lake';
import { ANNEX, API_KEYS, DOOR, filesUnder, ingestApp, MEMBERSHIP, rawLandedFor, sha256, today } from './helpers.js';

const emu = await useSqsEmulator(t, { buckets: ['peak-lake'] });
const sqs = localClients.sqs(t, emu.endpoint);

const ATTENDANCE_CSV = 'checkin_id,member_id,class_id,location_id,checked_in_at,method\nK1,M1,C1,downtown,2026-01-05T06:52:40Z,card\nK2,M2,,downtown,2026-01-05T07:00:00Z,app\n';
const ATTENDANCE_ROWS = [
  { checkin_id: 'K1', member_id: 'M1', class_id: 'C1', location_id: 'downtown', checked_in_at: '2026-01-05T06:52:40Z', method: 'card' },
  { checkin_id: 'K2', member_id: 'M2', location_id: 'downtown', checked_in_at: '2026-01-05T07:00:00Z', method: 'app' },
];
const ATTENDANCE_JSON = `[\n${ATTENDANCE_ROWS.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`;
const ATTENDANCE_NDJSON = ATTENDANCE_ROWS.map((r) => `${JSON.stringify(r)}\n`).join('');
const UPLOAD = '/v1/datasets/attendance/batches';

type Answer = BatchRecord & { duplicate: boolean; links: { self: string; raw: { key: string; path?: string }; quarantine?: { key: string; path?: string } } };
type Refusal = { code: string; message: string };

t.test('uploads land byte-identical in the raw zone, become a batch and are announced', async (t) => {
  const { app, lakeDir } = await ingestApp(t, sqs);
  const gzippedCsv = gzipSync(ATTENDANCE_CSV);
  const cases = [
    { name: 'CSV', body: ATTENDANCE_CSV, headers: { 'content-type': 'text/csv; charset=utf-8' }, format: 'csv', compression: 'none', ext: 'csv' },
    { name: 'JSON array', body: ATTENDANCE_JSON, headers: { 'content-type': 'application/json' }, format: 'json', compression: 'none', ext: 'json' },
    { name: 'NDJSON', body: ATTENDANCE_NDJSON, headers: { 'content-type': 'application/x-ndjson' }, format: 'ndjson', compression: 'none', ext: 'ndjson' },
    { name: 'gzip CSV (Content-Encoding)', body: gzippedCsv, headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip' }, format: 'csv', compression: 'gzip', ext: 'csv.gz' },
    { name: 'gzip NDJSON (application/gzip)', body: gzipSync(ATTENDANCE_NDJSON), headers: { 'content-type': 'application/gzip' }, format: 'ndjson', compression: 'gzip', ext: 'ndjson.gz' },
    { name: 'gzip found by its magic bytes', body: gzipSync(`\ufeff${ATTENDANCE_CSV}`), headers: { 'content-type': 'application/octet-stream' }, format: 'csv', compression: 'gzip', ext: 'csv.gz' },
    { name: 'JSON objects sent as application/json', body: `\n${ATTENDANCE_NDJSON}`, headers: { 'content-type': 'application/jsonl' }, format: 'ndjson', compression: 'none', ext: 'ndjson' },
    { name: 'a header-only CSV (a day without check-ins)', body: 'checkin_id,member_id,location_id,checked_in_at,method\r\n', headers: { 'content-type': 'text/csv' }, format: 'csv', compression: 'none', ext: 'csv' },
  ] as const;
  const ids: string[] = [];
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: UPLOAD, headers: { ...DOOR, ...c.headers }, payload: c.body });
    t.equal(res.statusCode, 202, `${c.name}: 202 Accepted`);
    const answer = res.json<Answer>();
    const bytes = Buffer.from(c.body);
    t.match(answer, { dataset: 'attendance', source: 'door-system', format: c.format, compression: c.compression, status: 'received', attempts: 0, duplicate: false, bytes: bytes.length, contentSha256: sha256(bytes) }, `${c.name}: the record`);
    t.equal(answer.objectKey, `raw/attendance/dt=${today()}/${answer.batchId}.${c.ext}`, `${c.name}: raw key`);
    t.equal(res.headers.location, `/v1/batches/${answer.batchId}`, `${c.name}: Location`);
    t.same(await readFile(join(lakeDir, answer.objectKey)), bytes, `${c.name}: stored byte-identical`);
    t.same(answer.links.raw, { key: answer.objectKey, path: join(lakeDir, answer.objectKey) }, `${c.name}: link to the raw file`);
    const got = await app.inject({ method: 'GET', url: `/v1/batches/${answer.batchId}`, headers: DOOR });
    const { duplicate: _duplicate, ...record } = answer;
    t.same(got.json(), record, `${c.name}: GET /v1/batches/:id is the same record`);
    ids.push(answer.batchId);
  }
  const messages = await rawLandedFor(sqs, ids);
  t.equal(messages.length, cases.length, 'one raw-landed message per batch');
  const first = (await app.inject({ method: 'GET', url: `/v1/batches/${ids[0]}`, headers: DOOR })).json<Answer>();
  t.same(
    messages.find((m) => m.batchId === ids[0]),
    { type: 'raw-landed', version: 1, batchId: first.batchId, dataset: 'attendance', objectKey: first.objectKey, format: 'csv', compression: 'none', contentSha256: first.contentSha256, bytes: first.bytes, source: 'door-system', receivedAt: first.receivedAt },
    'the message describes the raw object',
  );
  t.same((await filesUnder(lakeDir)).filter((f) => f.startsWith('raw/')).length, cases.length, 'one raw object per upload, no temp files');
});

t.test('an S3 lake (LAKE_URI s3://bucket/prefix): the upload is streamed into the bucket, duplicates found the same way', async (t) => {
  const s3 = localClients.s3(t, emu.endpoint);
  const config = readConfig({ LAKE_URI: 's3://peak-lake/v1', INGEST_API_KEYS: API_KEYS });
  const app = await buildForTest(t, () => buildApp(config, { sqs, s3 }));
  const payload = gzipSync(ATTENDANCE_NDJSON);
  const upload = () => app.inject({ method: 'POST', url: UPLOAD, headers: { ...DOOR, 'content-type': 'application/gzip' }, payload });
  const first = await upload();
  t.equal(first.statusCode, 202);
  const answer = first.json<Answer>();
  t.same(answer.links.raw, { key: answer.objectKey }, 'a lake key, no local path');
  const stored = await s3.send(new GetObjectCommand({ Bucket: 'peak-lake', Key: `v1/${answer.objectKey}` }));
  t.same(Buffer.from((await stored.Body?.transformToByteArray()) ?? []), payload, 'in the bucket under the prefix, byte-identical');
  t.match((await upload()).json(), { batchId: answer.batchId, duplicate: true });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'peak-lake', Prefix: 'v1/raw/' }));
  t.equal(listed.KeyCount, 1, 'one raw object');
  t.equal((await rawLandedFor(sqs, [answer.batchId])).length, 2, 'announced, and again for the duplicate of a received batch');
});

t.test('the same bytes twice: one batch, one raw object; a batch still `received` is announced again', async (t) => {
  const { app, lakeDir, batches } = await ingestApp(t, sqs);
  const upload = () => app.inject({ method: 'POST', url: UPLOAD, headers: { ...DOOR, 'content-type': 'text/csv' }, payload: ATTENDANCE_CSV });
  const first = (await upload()).json<Answer>();
  const again = await upload();
  t.equal(again.statusCode, 200, '200, not 202');
  t.match(again.json(), { batchId: first.batchId, duplicate: true, status: 'received' }, 'the existing batch');
  t.equal(again.headers.location, undefined, 'no Location: nothing was created');
  t.equal((await rawLandedFor(sqs, [first.batchId])).length, 2, 'still received: announced again (repairs a crash before the announcement)');

  await batches.update(first.batchId, { status: 'processing' }); // the ETL took it
  const third = await upload();
  t.match(third.json(), { batchId: first.batchId, duplicate: true, status: 'processing' });
  t.same(await rawLandedFor(sqs, [first.batchId]), [], 'being processed: not announced again');
  t.same((await filesUnder(lakeDir)).filter((f) => f.startsWith('raw/')), [first.objectKey], 'one raw object');
  const other = await app.inject({ method: 'POST', url: '/v1/datasets/members/batches', headers: { ...MEMBERSHIP, 'content-type': 'text/csv' }, payload: 'member_id,email,first_name,last_name,home_location_id,join_date,plan,status,marketing_opt_in,updated_at\n' });
  t.equal(other.statusCode, 202, 'identical bytes of another dataset are another batch');
});

t.test('two identical uploads at once make one batch', async (t) => {
  const { app, lakeDir } = await ingestApp(t, sqs);
  const body = `${ATTENDANCE_CSV}K3,M3,,uptown,2026-01-05T08:00:00Z,kiosk\n`;
  const answers = await Promise.all([1, 2].map(() => app.inject({ method: 'POST', url: UPLOAD, headers: { ...DOOR, 'content-type': 'text/csv' }, payload: body })));
  t.same(answers.map((a) => a.statusCode).sort(), [200, 202], 'one created it, the other is told it is a duplicate');
  const [a, b] = answers.map((r) => r.json<Answer>());
  t.equal(a?.batchId, b?.batchId, 'the same batch');
  const files = await filesUnder(lakeDir);
  t.equal(files.filter((f) => f.startsWith('raw/')).length, 1, 'one raw object');
  t.equal(files.filter((f) => /^batches\/[^/]+\.json$/.test(f)).length, 1, 'one batch record');
  const messages = await rawLandedFor(sqs, [a?.batchId ?? '']);
  t.ok(messages.length >= 1, 'announced (a second announcement of a received batch is allowed)');
});

t.test('a batch whose first upload died between claiming its bytes and recording it is recorded by the next upload', async (t) => {
  const { app, lakeDir, batches } = await ingestApp(t, sqs);
  const orphan = newBatchId('attendance', new Date('2026-01-05T10:00:00.000Z'));
  await batches.claimHash('attendance', sha256(ATTENDANCE_NDJSON), orphan);
  const res = await app.inject({ method: 'POST', url: UPLOAD, headers: { ...DOOR, 'content-type': 'application/x-ndjson' }, payload: ATTENDANCE_NDJSON });
  t.equal(res.statusCode, 200);
  t.match(res.json(), { batchId: orphan, duplicate: true, status: 'received', objectKey: `raw/attendance/dt=2026-01-05/${orphan}.ndjson` });
  t.same(await filesUnder(join(lakeDir, 'raw')), [`attendance/dt=2026-01-05/${orphan}.ndjson`], 'the raw object sits under the claimed id');
  t.equal((await rawLandedFor(sqs, [orphan])).length, 1, 'and is announced');
});

t.test('SQS down: the batch is stored but not announced (503); uploading the file again announces it', async (t) => {
  const { app, lakeDir } = await ingestApp(t, localClients.sqs(t, await closedEndpoint()));
  const res = await app.inject({ method: 'POST', url: UPLOAD, headers: { ...DOOR, 'content-type': 'text/csv' }, payload: ATTENDANCE_CSV });
  t.equal(res.statusCode, 503);
  t.equal(res.json<Refusal>().code, 'ANNOUNCE_FAILED');
  const [record] = (await filesUnder(lakeDir)).filter((f) => f.startsWith('batches/2'));
  const batchId = record?.slice('batches/'.length, -'.json'.length) ?? '';
  const { app: healthy } = await ingestApp(t, sqs, { lakeDir });
  const again = await healthy.inject({ method: 'POST', url: UPLOAD, headers: { ...DOOR, 'content-type': 'text/csv' }, payload: ATTENDANCE_CSV });
  t.match(again.json(), { batchId, duplicate: true, status: 'received' });
  t.equal((await rawLandedFor(sqs, [batchId])).length, 1, 'announced by the second upload');
});

t.test('refusals: status, code, a message saying what to do; nothing stored, no batch', async (t) => {
  const { app, lakeDir } = await ingestApp(t, sqs);
  const csv = { 'content-type': 'text/csv' };
  const gz = gzipSync(ATTENDANCE_CSV);
  const header = 'checkin_id,member_id,class_id,location_id,checked_in_at,method';
  const bigGzip = gzipSync(`${header}\n${Array.from({ length: 20_000 }, (_, i) => `K${i},M${i % 977},,downtown,2026-01-05T06:52:40Z,card`).join('\n')}\n`, { level: 1 });
  const cases: [string, Record<string, string>, string | Buffer, number, string, RegExp][] = [
    ['empty body', csv, '', 400, 'EMPTY_BODY', /empty/],
    ['only blank space', csv, ' \r\n\n', 400, 'EMPTY_BODY', /empty/],
    ['gzip declared, plain sent', { ...csv, 'content-encoding': 'gzip' }, ATTENDANCE_CSV, 400, 'NOT_GZIP', /1f 8b/],
    ['truncated gzip', { ...csv, 'content-encoding': 'gzip' }, gz.subarray(0, gz.length - 12), 400, 'GZIP_CORRUPT', /truncated or corrupt/],
    ['a big gzip cut short (sniffed early, stored, then refused)', { 'content-type': 'text/csv', 'content-encoding': 'gzip' }, bigGzip.subarray(0, bigGzip.length - 8), 400, 'GZIP_CORRUPT', /truncated or corrupt/],
    ['corrupt gzip', { 'content-type': 'application/gzip' }, Buffer.concat([gz.subarray(0, 10), Buffer.alloc(40, 0xff), gz.subarray(50)]), 400, 'GZIP_CORRUPT', /truncated or corrupt/],
    ['NUL bytes', { 'content-type': 'application/octet-stream' }, Buffer.from(`${header}\n\u0000\u0000\u0000binary`), 415, 'BINARY_CONTENT', /NUL bytes/],
    ['UTF-16', csv, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(header, 'utf16le')]), 415, 'BINARY_CONTENT', /UTF-16.*UTF-8/],
    ['an Excel workbook', { 'content-type': 'application/octet-stream' }, Buffer.from('PK\u0003\u0004\u0014\u0000\u0006\u0000', 'latin1'), 415, 'BINARY_CONTENT', /ZIP.*CSV/],
    ['JSON sent as CSV', csv, ATTENDANCE_JSON, 415, 'FORMAT_MISMATCH', /starts with "\[".*application\/json/],
    ['a JSON array sent as NDJSON', { 'content-type': 'application/x-ndjson' }, ATTENDANCE_JSON, 415, 'FORMAT_MISMATCH', /JSON array/],
    ['CSV sent as JSON', { 'content-type': 'application/json' }, ATTENDANCE_CSV, 415, 'FORMAT_MISMATCH', /text\/csv/],
    ['gzip CSV sent as JSON', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gz, 415, 'FORMAT_MISMATCH', /text\/csv/],
    ['duplicate header names', csv, `${header},member_id,method\n`, 400, 'CSV_DUPLICATE_COLUMNS', /"member_id" at columns 2, 7; "method" at columns 6, 8/],
    ['1,001 columns', csv, `${header},${Array.from({ length: 995 }, (_, i) => `extra_${i}`).join(',')}\n`, 400, 'CSV_TOO_MANY_COLUMNS', /1001 columns; at most 1000/],
    ['missing required columns', csv, 'checkin_id,member_id,class_id\nK1,M1,C1\n', 400, 'CSV_MISSING_COLUMNS', /lacks required attendance columns: location_id, checked_in_at, method/],
    ['a semicolon header', csv, `${header.replaceAll(',', ';')}\n`, 400, 'CSV_WRONG_DELIMITER', /semicolon-separated.*comma-separated/],
    ['a tab header', csv, `${header.replaceAll(',', '\t')}\n`, 400, 'CSV_WRONG_DELIMITER', /tab-separated/],
    ['pretty-printed JSON object', { 'content-type': 'application/json' }, JSON.stringify(ATTENDANCE_ROWS[0], null, 2), 400, 'NDJSON_NOT_ONE_OBJECT_PER_LINE', /not one complete JSON object.*JSON array/],
    ['a wrapper object', { 'content-type': 'application/x-ndjson' }, `${JSON.stringify({ data: ATTENDANCE_ROWS })}\n`, 400, 'NDJSON_NOT_ONE_OBJECT_PER_LINE', /none of the attendance columns \(it has: data\)/],
    ['an unaccepted Content-Type', { 'content-type': 'text/plain' }, ATTENDANCE_CSV, 415, 'UNSUPPORTED_MEDIA_TYPE', /text\/csv, application\/json/],
    ['no Content-Type', {}, ATTENDANCE_CSV, 415, 'UNSUPPORTED_MEDIA_TYPE', /\(none\)/],
    ['an unaccepted Content-Encoding', { ...csv, 'content-encoding': 'br' }, ATTENDANCE_CSV, 415, 'UNSUPPORTED_MEDIA_TYPE', /Content-Encoding br/],
  ];
  for (const [name, headers, payload, status, code, message] of cases) {
    const res = await app.inject({ method: 'POST', url: UPLOAD, headers: { ...DOOR, ...headers }, payload });
    t.equal(res.statusCode, status, `${name}: ${status}`);
    t.equal(INGEST_ERRORS[code as keyof typeof INGEST_ERRORS], status, `${name}: ${code} is documented with that status`);
    t.match(res.json(), { code, message }, `${name}: ${code}`);
  }
  t.same(await filesUnder(lakeDir), [], 'nothing in the lake: no raw object, no batch, no temp file');
  t.same(await rawLandedFor(sqs, []), [], 'nothing announced');
});

t.test('MAX_UPLOAD_BYTES: 413 at once from Content-Length, or as soon as a streamed body passes it; the partial object is gone', async (t) => {
  const { app, lakeDir } = await ingestApp(t, sqs, { env: { MAX_UPLOAD_BYTES: String(256 * 1024) } });
  const big = `${'checkin_id,member_id,class_id,location_id,checked_in_at,method\n'}${'K1,M1,C1,downtown,2026-01-05T06:52:40Z,card\n'.repeat(20_000)}`;
  const declared = await app.inject({ method: 'POST', url: UPLOAD, headers: { ...DOOR, 'content-type': 'text/csv' }, payload: big });
  t.equal(declared.statusCode, 413, 'Content-Length over the limit');
  t.match(declared.json(), { code: 'UPLOAD_TOO_LARGE', message: /Content-Length \d+ is over the limit of 262144 bytes/ });
  const streamed = await app.inject({
    method: 'POST',
    url: UPLOAD,
    headers: { ...DOOR, 'content-type': 'text/csv', 'transfer-encoding': 'chunked' },
    payload: Readable.from((function* () {
      for (let i = 0; i < big.length; i += 16 * 1024) yield big.slice(i, i + 16 * 1024);
    })()),
  });
  t.equal(streamed.statusCode, 413, 'a chunked body over the limit');
  t.match(streamed.json(), { code: 'UPLOAD_TOO_LARGE', message: /larger than 262144 bytes/ });
  t.equal(streamed.headers.connection, 'close', 'the rest of the body is not read');
  t.same(await filesUnder(lakeDir), [], 'the partial raw object is deleted (and no batch exists)');
  const small = await app.inject({ method: 'POST', url: UPLOAD, headers: { ...DOOR, 'content-type': 'text/csv' }, payload: ATTENDANCE_CSV });
  t.equal(small.statusCode, 202, 'an upload under the limit still lands');
});

t.test('API keys: Bearer or x-api-key; 401 without one, 403 for an unknown one — on every route', async (t) => {
  const { app, lakeDir } = await ingestApp(t, sqs);
  const post = (headers: Record<string, string>) => app.inject({ method: 'POST', url: UPLOAD, headers: { 'content-type': 'text/csv', ...headers }, payload: ATTENDANCE_CSV });
  const missing = await post({});
  t.equal(missing.statusCode, 401);
  t.equal(missing.headers['www-authenticate'], 'Bearer realm="peak-ingest"', 'WWW-Authenticate says how');
  t.match(missing.json(), { code: 'UNAUTHENTICATED', message: /Authorization: Bearer <key>/ });
  const refused: [Record<string, string>, number][] = [
    [{ authorization: 'Bearer door-key-000000000002' }, 403],
    [{ 'x-api-key': 'door-key' }, 403],
    [{ 'x-api-key': 'door-key-000000000001x' }, 403],
    [{ authorization: 'Basic ZG9vcjprZXk=' }, 401],
  ];
  for (const [headers, status] of refused) t.equal((await post(headers)).statusCode, status, JSON.stringify(headers));
  t.match((await post({ 'x-api-key': 'nope' })).json(), { code: 'INVALID_API_KEY' });
  const wrong = await post(MEMBERSHIP);
  t.equal(wrong.statusCode, 403, 'a valid key of a system that does not own attendance');
  t.match(wrong.json(), { code: 'WRONG_SOURCE', message: /belongs to membership-system, but attendance come from door-system: send them with a door-system key/ });
  t.match((await post(ANNEX)).json(), { source: 'door-system-annex' }, 'x-api-key works; the source comes from the key');
  for (const url of ['/v1/batches', `/v1/batches/${newBatchId('members')}`]) t.equal((await app.inject({ method: 'GET', url })).statusCode, 401, `GET ${url} needs a key`);
  t.equal((await filesUnder(lakeDir)).filter((f) => f.startsWith('raw/')).length, 1, 'only the authenticated upload landed');
});

t.test('hostile dataset names and batch ids: 404, nothing read or written outside the lake', async (t) => {
  const { app, lakeDir } = await ingestApp(t, sqs);
  const datasetsListed = /the datasets are members, classes, signups, attendance, transactions, engagement, class_feedback/;
  const names: [string, number, Record<string, unknown>][] = [
    ['visitors', 404, { code: 'UNKNOWN_DATASET', message: datasetsListed }],
    ['..%2F..%2Fetc', 404, { code: 'UNKNOWN_DATASET', message: /No dataset "\.\.\/\.\.\/etc"/ }],
    ['members%00', 404, { code: 'UNKNOWN_DATASET', message: datasetsListed }],
    ['members%2F..%2Fattendance', 404, { code: 'UNKNOWN_DATASET', message: datasetsListed }],
    ['%2e%2e', 404, { code: 'NOT_FOUND' }], // the URL is normalised to /v1/batches before routing
    ['x'.repeat(150), 414, { code: 'FST_ERR_MAX_PARAM_LENGTH' }], // Fastify's router refuses it first
  ];
  for (const [name, status, body] of names) {
    const res = await app.inject({ method: 'POST', url: `/v1/datasets/${name}/batches`, headers: { ...DOOR, 'content-type': 'text/csv' }, payload: ATTENDANCE_CSV });
    t.equal(res.statusCode, status, `dataset ${name.slice(0, 30)}: ${status}`);
    t.match(res.json(), body, `dataset ${name.slice(0, 30)}: ${String(body.code)}`);
  }
  for (const id of ['..%2F..%2Fetc%2Fpasswd', 'by-sha256', '20261125T090102123Z-attendance-1a2b3c4d.json', '20261325T090102123Z-attendance-1a2b3c4d', '%00']) {
    const res = await app.inject({ method: 'GET', url: `/v1/batches/${id}`, headers: DOOR });
    t.equal(res.statusCode, 404, `batch ${id}`);
    t.match(res.json(), { code: 'BATCH_NOT_FOUND', message: /is not a batch id; ids look like/ });
  }
  const unknown = newBatchId('attendance');
  t.match((await app.inject({ method: 'GET', url: `/v1/batches/${unknown}`, headers: DOOR })).json(), { code: 'BATCH_NOT_FOUND', message: `No batch ${unknown}.` });
  t.equal((await app.inject({ method: 'GET', url: '/v1/batches?after=..%2Fx', headers: DOOR })).statusCode, 400, 'a hostile cursor is a bad request');
  t.same(await filesUnder(lakeDir), [], 'nothing written');
});

t.test('GET /v1/batches: a day in the order received, dataset filter, pages; quarantine links', async (t) => {
  const { app, batches } = await ingestApp(t, sqs);
  const upload = async (url: string, headers: Record<string, string>, payload: string) =>
    (await app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/x-ndjson' }, payload })).json<Answer>();
  const a = await upload(UPLOAD, DOOR, ATTENDANCE_NDJSON);
  const m = await upload('/v1/datasets/members/batches', MEMBERSHIP, '{"member_id":"M1"}\n');
  const b = await upload(UPLOAD, DOOR, `${ATTENDANCE_NDJSON}${ATTENDANCE_NDJSON}`);
  const list = async (query: string) => app.inject({ method: 'GET', url: `/v1/batches${query}`, headers: DOOR });
  const ids = (page: { items: Answer[] }) => page.items.map((i) => i.batchId);

  const all = (await list('')).json<{ date: string; items: Answer[]; next?: string }>();
  t.equal(all.date, today(), 'today (UTC) by default');
  t.same(ids(all), [a.batchId, m.batchId, b.batchId], 'in the order received');
  t.equal(all.next, undefined, 'one page');
  t.same(ids((await list('?dataset=attendance')).json()), [a.batchId, b.batchId], 'one dataset');
  const first = (await list('?limit=2')).json<{ items: Answer[]; next?: string }>();
  t.same(ids(first), [a.batchId, m.batchId]);
  t.equal(first.next, m.batchId, 'next = the last id of the page');
  t.same(ids((await list(`?limit=2&after=${first.next}`)).json()), [b.batchId], 'the page after');
  t.same((await list('?date=2020-01-01')).json(), { date: '2020-01-01', items: [] }, 'a day without batches');
  for (const bad of ['?limit=501', '?limit=0', '?date=2026-13-01', '?date=yesterday', '?dataset=visitors']) t.equal((await list(bad)).statusCode, 400, bad);

  await batches.update(a.batchId, { status: 'processing' });
  const quarantineKey = `quarantine/attendance/${a.batchId}.parquet`;
  await batches.update(a.batchId, { status: 'processed', rowsIn: 2, rowsProcessed: 1, rowsQuarantined: 1, reasons: { UNKNOWN_REFERENCE: 1 }, quarantineKey });
  const processed = (await app.inject({ method: 'GET', url: `/v1/batches/${a.batchId}`, headers: DOOR })).json<Answer>();
  t.match(processed, { status: 'processed', rowsQuarantined: 1, links: { quarantine: { key: quarantineKey, path: join(app.lake.localPath(quarantineKey) ?? '') } } });
  t.notOk((await list('')).json<{ items: Answer[] }>().items.find((i) => i.batchId === m.batchId)?.links.quarantine, 'no quarantine link without quarantined rows');
});

t.test('a 50 MB upload is streamed: the route gets the request stream itself, and the file lands whole', async (t) => {
  const bodies: unknown[] = [];
  const raws: unknown[] = [];
  const { app, lakeDir } = await ingestApp(t, sqs, {
    extend: (built) =>
      built.addHook('preHandler', async (request) => {
        if (request.method === 'POST') {
          bodies.push(request.body);
          raws.push(request.raw);
        }
      }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const row = 'K0000000001,M000001,C0000001,downtown,2026-01-05T06:52:40Z,card\n';
  const header = 'checkin_id,member_id,class_id,location_id,checked_in_at,method\n';
  const rowsPerChunk = Math.floor((64 * 1024) / row.length);
  const chunk = row.repeat(rowsPerChunk);
  const chunks = Math.ceil((50 * 1024 * 1024) / chunk.length);
  const total = header.length + chunks * chunk.length;
  const answer = await new Promise<{ status: number; body: Answer }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: UPLOAD, headers: { ...DOOR, 'content-type': 'text/csv' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer }));
    });
    req.on('error', reject);
    Readable.from((function* () {
      yield header;
      for (let i = 0; i < chunks; i++) yield chunk;
    })()).pipe(req);
  });
  t.equal(answer.status, 202);
  t.equal(answer.body.bytes, total, `all ${total} bytes counted`);
  t.equal(bodies.length, 1, 'one upload');
  t.equal(bodies[0], raws[0], 'the parser handed the route the request stream itself (nothing buffered by Fastify)');
  t.ok(bodies[0] instanceof Readable && !Buffer.isBuffer(bodies[0]), 'a stream, not a buffer');
  const stored = await readFile(join(lakeDir, answer.body.objectKey));
  t.equal(stored.length, total, 'stored whole');
  t.equal(sha256(stored), answer.body.contentSha256, 'the recorded hash is the stored bytes');
  t.ok(stored.subarray(0, header.length).equals(Buffer.from(header)) && stored.subarray(-row.length).equals(Buffer.from(row)), 'first and last bytes as sent');
});

t.test('a body whose first chunk is bigger than the hold-back limit (8 MB in one piece) is still read as plain CSV', async (t) => {
  const { app } = await ingestApp(t, sqs);
  const row = 'K1,M1,C1,downtown,2026-01-05T06:52:40Z,card\n';
  const body = `checkin_id,member_id,class_id,location_id,checked_in_at,method\n${row.repeat(Math.ceil(8_000_000 / row.length))}`;
  const res = await app.inject({ method: 'POST', url: UPLOAD, headers: { ...DOOR, 'content-type': 'text/csv' }, payload: Buffer.from(body) });
  t.equal(res.statusCode, 202, res.body.slice(0, 200));
  t.match(res.json(), { format: 'csv', compression: 'none', bytes: Buffer.byteLength(body) });
});
