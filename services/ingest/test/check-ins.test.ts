import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { SendMessageBatchCommandInput, SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import t from 'tap';
import Value from 'typebox/value';
import { attendanceEvent, datasets, type AttendanceRow, type BatchRecord } from '@peak/contracts';
import { localAwsEnv } from '@peak/local-stack';
import { buildForTest, closedEndpoint, localClients, spawnService, useSqsEmulator } from '@peak/service-kit/testing';
import { buildApp, HEARTBEAT_MS, INGEST_ERRORS, MAX_CHECKINS_BODY_BYTES, readConfig, STALE_AFTER_MS } from '@peak/ingest';
import { ANNEX, API_KEYS, attendanceEventsFor, DOOR, filesUnder, ingestApp, ManualClock, MEMBERSHIP, rawLandedFor, today } from './helpers.js';

const emu = await useSqsEmulator(t, { buckets: ['peak-lake'] });
const sqs = localClients.sqs(t, emu.endpoint);
const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));

const URL_ = '/v1/events/check-ins';
const JSON_ = { 'content-type': 'application/json' } as const;
let serial = 0;
/** A valid check-in with a fresh id (the queue is shared by every test of the file). */
const checkin = (over: Partial<AttendanceRow> = {}): AttendanceRow => ({
  checkin_id: `K${process.pid}-${++serial}`,
  member_id: `M${String(serial % 977).padStart(6, '0')}`,
  ...(serial % 3 === 0 ? {} : { class_id: `C${String(serial % 311).padStart(7, '0')}` }),
  location_id: ['downtown', 'uptown', 'riverside'][serial % 3] ?? 'downtown',
  checked_in_at: new Date(Date.UTC(2026, 0, 5, 6, 0, serial % 3600)).toISOString().replace('.000Z', 'Z'),
  method: (['card', 'app', 'kiosk', 'front_desk'] as const)[serial % 4] ?? 'card',
  ...over,
});
const checkins = (n: number) => Array.from({ length: n }, () => checkin());

type Refusal = { code: string; message: string; errors?: { index: number; field: string; message: string }[] };

/** An ingest app whose spool lives in the test's own folder (the lake too, unless given). */
async function checkinApp(t: Parameters<typeof ingestApp>[0], opts: { env?: Record<string, string>; lakeDir?: string; spoolDir?: string; clock?: ManualClock; client?: typeof sqs } = {}) {
  const spoolDir = opts.spoolDir ?? join(t.testdir(), 'spool');
  const lakeDir = opts.lakeDir ?? join(spoolDir, '..', 'lake');
  const built = await ingestApp(t, opts.client ?? sqs, { lakeDir, clock: opts.clock, env: { CHECKIN_SPOOL_DIR: spoolDir, ...opts.env } });
  const post = (payload: unknown, headers: Record<string, string> = DOOR) =>
    built.app.inject({ method: 'POST', url: URL_, headers: { ...JSON_, ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
  return { ...built, spoolDir, post };
}

/** The raw objects, records and NDJSON rows of every batch in a lake folder, oldest first. */
async function batchesIn(lakeDir: string) {
  const files = await filesUnder(lakeDir);
  const records = await Promise.all(
    files.filter((f) => /^batches\/\d[^/]*\.json$/.test(f)).map(async (f) => JSON.parse(await readFile(join(lakeDir, f), 'utf8')) as BatchRecord),
  );
  return Promise.all(
    records.map(async (record) => {
      const text = await readFile(join(lakeDir, record.objectKey), 'utf8');
      return { record, text, rows: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AttendanceRow) };
    }),
  );
}

/** Segment files in a spool (any lake). */
async function segmentsIn(spoolDir: string): Promise<string[]> {
  const files = await readdir(spoolDir, { recursive: true }).catch(() => []);
  return files.filter((f) => f.endsWith('.ndjson')).sort();
}

t.test('one check-in or many: 202, and one attendance-event each on the queue, matching the contract', async (t) => {
  const { post } = await checkinApp(t);
  const one = checkin();
  const single = await post(one);
  t.equal(single.statusCode, 202);
  t.same(single.json(), { accepted: 1, queued: 1 });

  const many = checkins(37); // four SendMessageBatch calls of at most 10
  const batch = await post(many, ANNEX);
  t.equal(batch.statusCode, 202);
  t.same(batch.json(), { accepted: 37, queued: 37 });

  const ids = [one, ...many].map((c) => c.checkin_id);
  const events = await attendanceEventsFor(sqs, ids);
  t.equal(events.length, 38, 'one message per check-in, none twice');
  t.same(events.map((e) => e.checkin.checkin_id).sort(), [...ids].sort());
  t.ok(events.every((e) => Value.Check(attendanceEvent, e)), 'every message matches the attendance-event contract');
  const byId = new Map(events.map((e) => [e.checkin.checkin_id, e]));
  t.same(byId.get(one.checkin_id), { type: 'attendance-event', version: 1, checkin: one, receivedAt: byId.get(one.checkin_id)?.receivedAt }, 'the check-in as sent');
  t.ok(Math.abs(Date.parse(byId.get(one.checkin_id)?.receivedAt ?? '') - Date.now()) < 60_000, 'receivedAt is the time ingest accepted it');
});

t.test('flush on close: one NDJSON batch per source in the raw zone, recorded and announced like an upload', async (t) => {
  const { app, post, lakeDir, spoolDir } = await checkinApp(t);
  const door = checkins(3);
  const desk = checkins(2);
  t.equal((await post(door.slice(0, 2))).statusCode, 202);
  t.equal((await post(desk, ANNEX)).statusCode, 202);
  t.equal((await post(door[2])).statusCode, 202);
  t.same(app.checkins.stats(), { buffered: 5, waiting: 0, batches: 0 }, 'buffered, nothing written yet');
  t.same(await batchesIn(lakeDir), [], 'the lake is untouched until a flush');
  t.equal((await segmentsIn(spoolDir)).length, 1, 'the check-ins are in one spool segment');

  await app.close();
  const batches = await batchesIn(lakeDir);
  t.equal(batches.length, 2, 'one batch per source');
  const bySource = Object.fromEntries(batches.map((b) => [b.record.source, b]));
  t.same(bySource['door-system']?.rows, door, 'door-system: its check-ins, in the order accepted');
  t.same(bySource['door-system-annex']?.rows, desk, 'door-system-annex: its check-ins');
  for (const { record, rows, text } of batches) {
    t.match(record, { dataset: 'attendance', format: 'ndjson', compression: 'none', status: 'received', attempts: 0, bytes: Buffer.byteLength(text) }, `${record.source}: the record`);
    t.match(record.objectKey, new RegExp(`^raw/attendance/dt=${today()}/${record.batchId}\\.ndjson$`), `${record.source}: raw/attendance/dt=<date>/<batchId>.ndjson`);
    t.ok(rows.every((r) => Value.Check(datasets.attendance.row, r)), `${record.source}: every line is a row the attendance contract accepts`);
    t.ok(text.endsWith('\n') && !text.includes('\n\n'), `${record.source}: one object per line`);
  }
  const announced = await rawLandedFor(sqs, batches.map((b) => b.record.batchId));
  t.equal(announced.length, 2, 'a raw-landed message for each');
  t.match(announced.find((m) => m.source === 'door-system'), { type: 'raw-landed', dataset: 'attendance', format: 'ndjson', objectKey: bySource['door-system']?.record.objectKey });
  t.same(await segmentsIn(spoolDir), [], 'the spool segment is removed once the batches are in the lake');
  t.same(await readdir(spoolDir), [], 'and the spool folder of the lake is removed with it');
});

t.test('flush by count: a batch as soon as CHECKIN_BATCH_MAX_EVENTS check-ins are buffered', async (t) => {
  const { app, post, lakeDir } = await checkinApp(t, { env: { CHECKIN_BATCH_MAX_EVENTS: '3' } });
  const sent = checkins(7);
  t.equal((await post(sent.slice(0, 2))).statusCode, 202);
  await app.checkins.idle();
  t.same(await batchesIn(lakeDir), [], '2 of 3: no batch');
  t.equal((await post(sent.slice(2, 4))).statusCode, 202);
  await app.checkins.idle();
  let batches = await batchesIn(lakeDir);
  t.equal(batches.length, 1, 'the 3rd check-in makes a batch');
  t.same(batches[0]?.rows, sent.slice(0, 3), 'of exactly the first 3 (a request is split at the limit)');
  t.same(app.checkins.stats(), { buffered: 1, waiting: 0, batches: 1 }, 'the 4th waits in the next segment');
  t.equal((await post(sent.slice(4, 7))).statusCode, 202, '3 more: the next segment fills up');
  await app.checkins.idle();
  batches = await batchesIn(lakeDir);
  t.same(batches.map((b) => b.rows.length), [3, 3]);
  t.same(batches.flatMap((b) => b.rows), sent.slice(0, 6), 'in the order accepted');
  t.equal(app.checkins.stats().buffered, 1);
  t.equal((await rawLandedFor(sqs, batches.map((b) => b.record.batchId))).length, 2, 'each announced');
});

t.test('flush by time: CHECKIN_BATCH_MAX_SECONDS after the first buffered check-in (an injected clock)', async (t) => {
  const clock = new ManualClock();
  const { app, post, lakeDir } = await checkinApp(t, { clock, env: { CHECKIN_BATCH_MAX_SECONDS: '60' } });
  const first = checkin();
  t.equal((await post(first)).statusCode, 202);
  clock.tick(30_000);
  const second = checkin();
  t.equal((await post(second)).statusCode, 202, 'a later check-in does not move the deadline');
  clock.tick(29_999);
  await app.checkins.idle();
  t.same(await batchesIn(lakeDir), [], '59.999 s after the first: still buffered');
  clock.tick(1);
  await app.checkins.idle();
  const batches = await batchesIn(lakeDir);
  t.equal(batches.length, 1, '60 s after the first: flushed');
  t.same(batches[0]?.rows, [first, second]);
  t.equal(app.checkins.stats().buffered, 0);

  clock.tick(10 * 60_000);
  await app.checkins.idle();
  t.equal((await batchesIn(lakeDir)).length, 1, 'an empty buffer makes no batch, however long it waits');
  const third = checkin();
  t.equal((await post(third)).statusCode, 202);
  clock.tick(60_000);
  await app.checkins.idle();
  t.same((await batchesIn(lakeDir)).map((b) => b.rows), [[first, second], [third]], 'the timer starts again with the next first check-in');
});

t.test('a flush that fails keeps its segment and is retried with backoff; nothing is lost', async (t) => {
  const clock = new ManualClock();
  const { app, post, lakeDir, spoolDir } = await checkinApp(t, { clock });
  const sent = checkins(2);
  t.equal((await post(sent)).statusCode, 202);
  await writeFile(join(lakeDir, 'raw'), 'a file where the raw zone folder belongs: every raw write fails');
  clock.tick(60_000);
  await app.checkins.idle();
  t.same(app.checkins.stats(), { buffered: 0, waiting: 1, batches: 0 }, 'the flush failed: the segment waits');
  t.equal((await segmentsIn(spoolDir)).length, 1, 'still on disk');
  clock.tick(1_000);
  await app.checkins.idle();
  t.equal(app.checkins.stats().waiting, 1, 'failed again after 1 s; the next try waits 2 s');
  await rm(join(lakeDir, 'raw'));
  clock.tick(1_999);
  await app.checkins.idle();
  t.equal(app.checkins.stats().waiting, 1, 'not before');
  clock.tick(1);
  await app.checkins.idle();
  t.same(app.checkins.stats(), { buffered: 0, waiting: 0, batches: 1 }, 'written');
  t.same((await batchesIn(lakeDir)).map((b) => b.rows), [sent]);
  t.same(await segmentsIn(spoolDir), []);
});

t.test('crash recovery: a killed process leaves its spool segment; the next start flushes it first, as one batch', async (t) => {
  const dir = t.testdir({ lake: {}, spool: {} });
  const lakeDir = join(dir, 'lake');
  const spoolDir = join(dir, 'spool');
  const env = {
    ...localAwsEnv({ sqs: emu.endpoint, s3: emu.endpoint, sesv2: await closedEndpoint(), dynamodb: await closedEndpoint() }),
    LAKE_URI: pathToFileURL(lakeDir).href,
    INGEST_API_KEYS: API_KEYS,
    CHECKIN_SPOOL_DIR: spoolDir,
    LOG_LEVEL: 'warn',
  };
  const child = await spawnService(t, server, env);
  const sent = checkins(5);
  for (const part of [sent.slice(0, 2), sent.slice(2)]) {
    const res = await fetch(`${child.url}${URL_}`, { method: 'POST', headers: { ...JSON_, ...DOOR }, body: JSON.stringify(part) });
    t.equal(res.status, 202, 'accepted by the process');
  }
  await child.stop('SIGKILL');
  const [segment] = await segmentsIn(spoolDir);
  t.ok(segment, 'the killed process left a spool segment');
  t.same(await filesUnder(lakeDir), [], 'and nothing in the lake');
  // The write of a request that was never answered, cut short by the crash.
  await writeFile(join(spoolDir, segment ?? ''), '{"source":"door-system","receivedAt":"2026-', { flag: 'a' });
  const leftover = await readFile(join(spoolDir, segment ?? ''));

  const { app } = await checkinApp(t, { lakeDir, spoolDir });
  const batches = await batchesIn(lakeDir);
  t.equal(batches.length, 1, 'flushed before the new app answered anything: one batch');
  t.same(batches[0]?.rows, sent, 'with every accepted check-in, the cut line left out');
  t.match(batches[0]?.record, { source: 'door-system', status: 'received' });
  t.equal((await rawLandedFor(sqs, [batches[0]?.record.batchId ?? ''])).length, 1, 'announced');
  t.same(await segmentsIn(spoolDir), [], 'the segment is gone');
  t.same(app.checkins.stats(), { buffered: 0, waiting: 0, batches: 1 });
  await app.close();

  // A crash after the lake write but before the segment was removed: the segment is flushed again.
  await mkdir(dirname(join(spoolDir, segment ?? '')), { recursive: true }); // the emptied spool folder was removed
  await writeFile(join(spoolDir, segment ?? ''), leftover);
  const again = await checkinApp(t, { lakeDir, spoolDir });
  t.equal((await batchesIn(lakeDir)).length, 1, 'the same bytes again: the existing batch, no second one');
  t.equal(again.app.checkins.stats().batches, 0);
  t.same(await segmentsIn(spoolDir), [], 'and the segment is removed');
});

t.test('a live process keeps its segments: a second process on the same spool does not take them', async (t) => {
  const { app: first, post, spoolDir, lakeDir } = await checkinApp(t);
  t.equal((await post(checkins(2))).statusCode, 202);
  const { app: second } = await checkinApp(t, { spoolDir, lakeDir });
  t.same(second.checkins.stats(), { buffered: 0, waiting: 0, batches: 0 }, 'nothing adopted');
  t.same(await batchesIn(lakeDir), []);
  await first.close();
  t.equal((await batchesIn(lakeDir)).length, 1, 'the owner flushes its own check-ins');
});

t.test('a process that stops marking itself alive (another host, frozen) is taken for dead: its segments are adopted within a minute', async (t) => {
  const { app: stale, post, spoolDir, lakeDir } = await checkinApp(t);
  const sent = checkins(3);
  t.equal((await post(sent)).statusCode, 202);
  const clock = new ManualClock();
  const { app: watcher } = await checkinApp(t, { spoolDir, lakeDir, clock });
  clock.tick(HEARTBEAT_MS);
  await watcher.checkins.idle();
  t.same(await batchesIn(lakeDir), [], 'a heartbeat 10 s old is alive');
  clock.tick(STALE_AFTER_MS);
  await watcher.checkins.idle();
  t.same((await batchesIn(lakeDir)).map((b) => b.rows), [sent], 'older than a minute: adopted and flushed by the watcher');
  t.equal(watcher.checkins.stats().batches, 1);
  await stale.close();
  t.equal((await batchesIn(lakeDir)).length, 1, 'the taken-for-dead process finds its segment gone at close and writes nothing twice');
});

t.test('the spool cannot be written: 503 SPOOL_FAILED; the next request works once it can', async (t) => {
  const { app, post, spoolDir, lakeDir } = await checkinApp(t);
  const [folder] = await readdir(spoolDir);
  await rm(join(spoolDir, folder ?? ''), { recursive: true });
  await writeFile(join(spoolDir, folder ?? ''), 'a file where the spool folder belongs');
  const res = await post(checkins(2));
  t.equal(res.statusCode, 503);
  t.match(res.json(), { code: 'SPOOL_FAILED', message: /could not be kept on disk.*Send the same request again/ });
  t.equal(INGEST_ERRORS.SPOOL_FAILED, 503);
  t.equal(app.checkins.stats().buffered, 0);
  await rm(join(spoolDir, folder ?? ''));
  await mkdir(join(spoolDir, folder ?? ''));
  const sent = checkins(2);
  t.equal((await post(sent)).statusCode, 202, 'accepted again');
  await app.close();
  t.same((await batchesIn(lakeDir)).map((b) => b.rows), [sent]);
});

t.test('invalid items: 400 listing each problem with its index; nothing published, nothing kept', async (t) => {
  const { app, post } = await checkinApp(t);
  const good = checkin();
  const items: unknown[] = [
    good,
    { ...checkin(), member_id: undefined },
    checkin({ method: 'door' as 'card' }),
    { ...checkin(), checked_in_at: '2026-01-05 06:52:40', class_id: null },
    checkin({ location_id: 'down town' }),
    { ...checkin(), checkin_id: good.checkin_id },
  ];
  const res = await post(items);
  t.equal(res.statusCode, 400);
  const body = res.json<Refusal>();
  t.equal(body.code, 'INVALID_CHECKINS');
  t.match(body.message, /^5 check-in\(s\) are invalid; nothing was accepted/);
  t.same(body.errors, [
    { index: 1, field: 'member_id', message: 'is required' },
    { index: 2, field: 'method', message: 'must be one of app, card, front_desk, kiosk' },
    { index: 3, field: 'class_id', message: 'must be a string, not null; leave class_id out when there is none' },
    { index: 3, field: 'checked_in_at', message: 'must be an ISO 8601 date-time with a UTC offset, e.g. 2026-01-05T06:52:40Z' },
    { index: 4, field: 'location_id', message: 'must be 1 to 64 characters of A-Z a-z 0-9 _ . : - (it has 9)' },
    { index: 5, field: 'checkin_id', message: 'the same checkin_id as item 0; send each check-in once' },
  ]);
  const dupes = await post([checkin({ checkin_id: 'K-dup' }), checkin(), checkin({ checkin_id: 'K-dup' })]);
  t.match(dupes.json(), { code: 'INVALID_CHECKINS', errors: [{ index: 2, field: 'checkin_id', message: /same checkin_id as item 0/ }] }, 'duplicates within one request');
  t.same(await attendanceEventsFor(sqs, [good.checkin_id, 'K-dup']), [], 'nothing published');
  t.same(app.checkins.stats(), { buffered: 0, waiting: 0, batches: 0 }, 'nothing kept');
  t.equal(INGEST_ERRORS.INVALID_CHECKINS, 400);
});

t.test('size limits: 500 check-ins are fine, 501 are 413 TOO_MANY_CHECKINS, a body over 1 MiB 413 BODY_TOO_LARGE', async (t) => {
  const { app, post } = await checkinApp(t);
  const ok = await post(checkins(500));
  t.equal(ok.statusCode, 202);
  t.same(ok.json(), { accepted: 500, queued: 500 });
  const tooMany = await post(checkins(501));
  t.equal(tooMany.statusCode, 413);
  t.match(tooMany.json(), { code: 'TOO_MANY_CHECKINS', message: /holds 501 check-ins; at most 500.*split it/ });
  const huge = await post({ ...checkin(), member_id: 'M'.repeat(MAX_CHECKINS_BODY_BYTES) });
  t.equal(huge.statusCode, 413);
  t.match(huge.json(), { code: 'BODY_TOO_LARGE', message: /larger than 1048576 bytes/ });
  for (const code of ['TOO_MANY_CHECKINS', 'BODY_TOO_LARGE'] as const) t.equal(INGEST_ERRORS[code], 413, `${code} is documented as 413`);
  t.equal(app.checkins.stats().buffered, 500, 'only the 500 were kept');
});

t.test('hostile and malformed input: precise 4xx, never a 500, nothing kept, no prototype touched', async (t) => {
  const { app } = await checkinApp(t);
  const valid = JSON.stringify(checkin()).slice(1, -1);
  const cases: [string, string | Buffer, Record<string, string>, number, Record<string, unknown>][] = [
    ['__proto__ key', `{"__proto__":{"polluted":true},${valid}}`, {}, 400, { code: 'INVALID_CHECKINS', errors: [{ index: 0, field: '__proto__', message: /is not a check-in field; the fields are checkin_id, member_id/ }] }],
    ['constructor.prototype', `[{${valid}},{"constructor":{"prototype":{"polluted":true}},${valid.replace(/K[^"]+/, 'Kother')}}]`, {}, 400, { errors: [{ index: 1, field: 'constructor', message: /not a check-in field/ }] }],
    ['a 200 kB string', JSON.stringify(checkin({ member_id: 'M'.repeat(200_000) })), {}, 400, { errors: [{ index: 0, field: 'member_id', message: 'must be 1 to 64 characters of A-Z a-z 0-9 _ . : - (it has 200000)' }] }],
    ['a 100 kB key', `{"${'k'.repeat(100_000)}":1,${valid}}`, {}, 400, { errors: [{ index: 0, field: `${'k'.repeat(64)}…` }] }],
    ['thousands of unknown keys', `{${Array.from({ length: 5000 }, (_, i) => `"x${i}":1`).join(',')},${valid}}`, {}, 400, { errors: Array.from({ length: 5 }, (_, i) => ({ field: `x${i}` })) }],
    ['a number where a string belongs', JSON.stringify({ ...checkin(), checkin_id: 12345 }), {}, 400, { errors: [{ index: 0, field: 'checkin_id', message: 'must be a string, not a number' }] }],
    ['an object as a value', JSON.stringify({ ...checkin(), method: { $ne: null } }), {}, 400, { errors: [{ field: 'method', message: /must be one of/ }] }],
    ['null, an array and a string as items', JSON.stringify([null, [checkin()], 'K1']), {}, 400, { errors: [{ index: 0, field: '', message: 'is null; each item must be a check-in object' }, { index: 1, message: /is an array/ }, { index: 2, message: /is a string/ }] }],
    ['a string body', '"K000001"', {}, 400, { code: 'INVALID_CHECKINS', message: /The body is a string; send one check-in object or a JSON array/ }],
    ['null body', 'null', {}, 400, { code: 'INVALID_CHECKINS', message: /The body is null/ }],
    ['an empty array', '[]', {}, 400, { code: 'INVALID_CHECKINS', message: /empty/ }],
    ['100,000 nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, {}, 400, { code: 'INVALID_CHECKINS', errors: [{ index: 0, message: /is an array/ }] }],
    ['not JSON', '{"checkin_id": "K1",', {}, 400, { code: 'INVALID_JSON', message: /not valid JSON/ }],
    ['an empty JSON body', '', {}, 400, { code: 'INVALID_JSON' }],
    ['text/plain', JSON.stringify(checkin()), { 'content-type': 'text/plain' }, 415, { code: 'UNSUPPORTED_MEDIA_TYPE', message: /Content-Type text\/plain is not accepted; send .* application\/json/ }],
    ['NDJSON', `${JSON.stringify(checkin())}\n`, { 'content-type': 'application/x-ndjson' }, 415, { code: 'UNSUPPORTED_MEDIA_TYPE' }],
    ['gzip', JSON.stringify(checkin()), { 'content-encoding': 'gzip' }, 415, { code: 'UNSUPPORTED_MEDIA_TYPE', message: /Content-Encoding gzip/ }],
  ];
  for (const [name, payload, headers, status, body] of cases) {
    const res = await app.inject({ method: 'POST', url: URL_, headers: { ...JSON_, ...DOOR, ...headers }, payload });
    t.equal(res.statusCode, status, `${name}: ${status}`);
    t.match(res.json(), body, `${name}: ${String(body.code ?? 'listed')}`);
    t.ok(res.body.length < 10_000, `${name}: the answer does not echo the input (${res.body.length} bytes)`);
    const code = res.json<Refusal>().code as keyof typeof INGEST_ERRORS;
    t.equal(INGEST_ERRORS[code], status, `${name}: ${code} is documented with that status`);
  }
  const noBody = await app.inject({ method: 'POST', url: URL_, headers: DOOR });
  t.equal(noBody.statusCode, 400);
  t.match(noBody.json(), { code: 'EMPTY_BODY' });
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
  t.same(app.checkins.stats(), { buffered: 0, waiting: 0, batches: 0 }, 'nothing kept');
});

t.test('API keys: 401 without one, 403 for an unknown one; the source comes from the key', async (t) => {
  const { app, post, lakeDir } = await checkinApp(t);
  const missing = await app.inject({ method: 'POST', url: URL_, headers: JSON_, payload: checkin() });
  t.equal(missing.statusCode, 401);
  t.match(missing.json(), { code: 'UNAUTHENTICATED' });
  t.equal((await post(checkin(), { 'x-api-key': 'door-key-000000000002' })).statusCode, 403);
  const wrong = await post(checkin(), MEMBERSHIP);
  t.equal(wrong.statusCode, 403, 'a valid key of a system that does not own attendance');
  t.match(wrong.json(), { code: 'WRONG_SOURCE', message: /belongs to membership-system, but attendance come from door-system/ });
  t.equal((await post(checkin(), ANNEX)).statusCode, 202, 'x-api-key works, for an instance of the door system too');
  await app.close();
  t.same((await batchesIn(lakeDir)).map((b) => b.record.source), ['door-system-annex']);
});

t.test('SQS down: 503 PUBLISH_FAILED, nothing kept, so the door system sends it again', async (t) => {
  const down = localClients.sqs(t, await closedEndpoint());
  const { app, post, spoolDir } = await checkinApp(t, { client: down });
  const res = await post(checkins(3));
  t.equal(res.statusCode, 503);
  t.match(res.json(), { code: 'PUBLISH_FAILED', message: /nothing was kept\. Send the same request again/ });
  t.equal(INGEST_ERRORS.PUBLISH_FAILED, 503);
  t.same(app.checkins.stats(), { buffered: 0, waiting: 0, batches: 0 });
  t.same(await segmentsIn(spoolDir), [], 'no spool segment');
});

/** A real SQS client that makes SQS refuse one entry of SendMessageBatch calls, the way SQS reports it in `Failed`. */
function failingEntry(times: number, senderFault = false) {
  const client = localClients.sqs(t, emu.endpoint);
  const state = { failed: 0, calls: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendMessageBatchCommand') return next(args);
      state.calls += 1;
      const input = args.input as SendMessageBatchCommandInput;
      const victim = state.failed < times ? input.Entries?.[0] : undefined;
      if (!victim) return next(args);
      state.failed += 1;
      const failed = { Id: victim.Id, Code: 'InternalError', SenderFault: senderFault, Message: 'injected' };
      const rest = input.Entries?.slice(1) ?? [];
      // SQS refuses an empty batch: when the victim is the only entry, SQS is not asked at all.
      if (rest.length === 0) return { output: { Successful: [], Failed: [failed], $metadata: {} } as SendMessageBatchCommandOutput, response: {} };
      const out = await next({ ...args, input: { ...input, Entries: rest } });
      const output = out.output as SendMessageBatchCommandOutput;
      output.Failed = [...(output.Failed ?? []), failed];
      return out;
    },
    { step: 'initialize', name: 'failOneEntry' },
  );
  return { client, state };
}

t.test('SendMessageBatch entries that SQS fails are sent again; each check-in reaches the queue once', async (t) => {
  const { client, state } = failingEntry(2);
  const { post } = await checkinApp(t, { client });
  const sent = checkins(12);
  const res = await post(sent);
  t.equal(res.statusCode, 202);
  t.equal(state.calls, 4, 'two SendMessageBatch calls (10 + 2), each failing one entry, and one retry of each');
  const events = await attendanceEventsFor(sqs, sent.map((c) => c.checkin_id));
  t.same(events.map((e) => e.checkin.checkin_id).sort(), sent.map((c) => c.checkin_id).sort(), 'all 12, once each');
});

t.test('entries SQS keeps failing: 503 PUBLISH_FAILED after 3 sends, nothing kept; a sender fault is not retried', async (t) => {
  for (const [senderFault, sends] of [[false, 3], [true, 1]] as const) {
    const { client, state } = failingEntry(Infinity, senderFault);
    const { app, post, spoolDir } = await checkinApp(t, { client });
    const res = await post(checkins(1));
    t.equal(res.statusCode, 503);
    t.match(res.json(), { code: 'PUBLISH_FAILED' });
    t.equal(state.calls, sends, `senderFault ${senderFault}: ${sends} sends`);
    t.same(app.checkins.stats().buffered, 0);
    t.same(await segmentsIn(spoolDir), []);
  }
});

t.test('server.ts with an S3 lake: SIGTERM flushes the buffer into the bucket before the process exits', async (t) => {
  const spoolDir = t.testdir();
  const env = {
    ...localAwsEnv({ sqs: emu.endpoint, s3: emu.endpoint, sesv2: await closedEndpoint(), dynamodb: await closedEndpoint() }),
    LAKE_URI: 's3://peak-lake/checkins-test',
    INGEST_API_KEYS: API_KEYS,
    CHECKIN_SPOOL_DIR: spoolDir,
    LOG_LEVEL: 'warn',
  };
  const child = await spawnService(t, server, env);
  const sent = checkins(4);
  const res = await fetch(`${child.url}${URL_}`, { method: 'POST', headers: { ...JSON_, ...DOOR }, body: JSON.stringify(sent) });
  t.equal(res.status, 202);
  t.equal(await child.stop('SIGTERM'), 0, 'exits 0');
  const listed = await emu.s3.send(new ListObjectsV2Command({ Bucket: 'peak-lake', Prefix: 'checkins-test/raw/attendance/' }));
  t.equal(listed.KeyCount, 1, 'one raw object in the bucket');
  const object = await emu.s3.send(new GetObjectCommand({ Bucket: 'peak-lake', Key: listed.Contents?.[0]?.Key }));
  const rows = (await object.Body?.transformToString())?.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AttendanceRow);
  t.same(rows, sent);
  t.same(await segmentsIn(spoolDir), [], 'nothing left in the spool');
});

t.test('a spool folder that cannot be made stops the service at boot, naming the path', async (t) => {
  const dir = t.testdir({ 'not-a-folder': 'a file' });
  const config = readConfig({ LAKE_URI: pathToFileURL(dir).href, INGEST_API_KEYS: API_KEYS, CHECKIN_SPOOL_DIR: join(dir, 'not-a-folder') });
  await t.rejects(buildApp(config, { sqs }), { code: /^(EEXIST|ENOTDIR)$/, message: /not-a-folder/ });
});

t.test('OpenAPI documents the check-ins route', async (t) => {
  const app = await buildForTest(t, () => buildApp(readConfig({ LAKE_URI: pathToFileURL(t.testdir()).href, INGEST_API_KEYS: API_KEYS, CHECKIN_SPOOL_DIR: join(t.testdirName, 'spool') }), { sqs }));
  const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, { post?: { requestBody?: unknown; responses?: Record<string, unknown> } }> }>();
  const route = spec.paths['/v1/events/check-ins']?.post;
  t.ok(route?.requestBody, 'with its body');
  t.same(Object.keys(route?.responses ?? {}).sort(), ['202', '400', '401', '403', '413', '415', '503']);
});
