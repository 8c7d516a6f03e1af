/**
 * The leaderboard API end to end: check-ins from SQS (the emulator, through the AWS SDK) onto the boards in real Redis,
 * pages, standings, around-me, live updates over SSE, bad input, and Redis going away and coming back empty (the
 * boards rebuilt from a generated lake, the same ranks as before).
 */
import t from 'tap';
import { DuckDbEngine } from '@peak/analytics';
import { buildSampleLake } from '@peak/churn';
import { queues, type AttendanceEvent } from '@peak/contracts';
import { FolderLake } from '@peak/lake';
import { startRedis, waitFor } from '@peak/local-stack';
import { buildForTest, localClients, useRedis, useSqsEmulator, type Teardown } from '@peak/service-kit/testing';
import { Redis } from 'ioredis';
import { buildApp, readConfig } from '@peak/leaderboard';
import { KEYS } from '../src/boards/store.js';

/**
 * An emulator per test: a consumer stopped mid long-poll can leave its receive open in the emulator, which then hands
 * the next message to nobody (it comes back only after the visibility timeout).
 */
async function sqsFor(t: Teardown) {
  return localClients.sqs(t, (await useSqsEmulator(t)).endpoint);
}
const now = Date.parse('2026-12-09T15:00:00Z');

const event = (id: string, member: string, at: string, extra: Partial<AttendanceEvent['checkin']> = {}): AttendanceEvent => ({
  type: 'attendance-event', version: 1, receivedAt: at,
  checkin: { checkin_id: id, member_id: member, class_id: 'CL1', location_id: 'downtown', checked_in_at: at, method: 'app', ...extra },
});

t.test('check-ins from SQS reach the boards once; the API pages, ranks and refuses bad input in words', async (t) => {
  const [redis, sqs] = [await useRedis(t), await sqsFor(t)];
  const app = await buildForTest(t, () => buildApp(readConfig({ REDIS_URL: redis.url }), { sqs, now: () => now }));
  const send = (e: AttendanceEvent) => app.queues.send(queues.attendanceEvents, e);
  for (const e of [
    event('K1', 'ANNA', '2026-12-07T14:00:00Z'), event('K2', 'ANNA', '2026-12-08T14:00:00Z'),
    event('K3', 'BEN', '2026-12-07T15:00:00Z'), event('K4', 'BEN', '2026-12-08T13:00:00Z'),
    event('K5', 'CARA', '2026-12-09T09:00:00Z', { location_id: 'riverside' }),
    event('K1', 'ANNA', '2026-12-07T14:00:00Z'), // a redelivered copy
    event('G1', 'DAN', '2026-12-09T10:00:00Z', { class_id: undefined }), // open gym: no class, no score
  ]) await send(e);
  const get = (url: string) => app.inject({ method: 'GET', url });
  await waitFor('five class check-ins counted', async () => (await get('/v1/leaderboard/top?period=all')).json<{ board: { members: number } }>().board.members === 3 && (await get('/v1/leaderboard/members/ANNA?period=all')).json<{ standing?: { classes: number } }>().standing?.classes === 2, 20_000);

  const top = (await get('/v1/leaderboard/top?period=week')).json<{ entries: { rank: number; memberId: string; classes: number }[]; board: object }>();
  t.same(top.entries.map((e) => [e.rank, e.memberId, e.classes]), [[1, 'BEN', 2], [2, 'ANNA', 2], [3, 'CARA', 1]], 'Ben reached 2 first; the copy of K1 and the open-gym visit did not count');
  t.match(top.board, { location: null, period: 'week', key: '2026-W50', from: '2026-12-07T05:00:00.000Z', to: '2026-12-14T05:00:00.000Z', expiresAt: '2026-12-21T05:00:00.000Z', members: 3 });
  t.same((await get('/v1/leaderboard/top?location=downtown&period=month&offset=1&limit=1')).json<{ entries: { memberId: string }[] }>().entries.map((e) => e.memberId), ['ANNA'], 'a page of a studio\'s board');
  t.match((await get('/v1/leaderboard/members/ANNA?period=week')).json(), { standing: { rank: 2, classes: 2, members: 3, percentile: 50, reachedAt: '2026-12-08T14:00:00.000Z' } });
  t.same((await get('/v1/leaderboard/members/CARA/around?size=1')).json<{ entries: { memberId: string }[] }>().entries.map((e) => e.memberId), ['BEN', 'ANNA', 'CARA'], 'the last: filled from above');
  const boards = (await get('/v1/leaderboard/boards')).json<{ boards: { location: string | null; period: string; members: number }[]; timeZone: string }>();
  t.equal(boards.timeZone, 'America/New_York');
  t.same(boards.boards.map((b) => `${b.location ?? 'global'}/${b.period}/${b.members}`), ['global/week/3', 'global/month/3', 'global/all/3', 'downtown/week/2', 'downtown/month/2', 'downtown/all/2', 'riverside/week/1', 'riverside/month/1', 'riverside/all/1']);

  const refused = async (url: string, status: number, code: string, message: RegExp) => {
    const res = await get(url);
    t.equal(res.statusCode, status, `${url}: ${status}`);
    t.match(res.json(), { code, message }, `${url}: ${res.json<{ message: string }>().message}`);
  };
  await refused('/v1/leaderboard/top?limit=1000', 400, 'BAD_REQUEST', /^limit must be a whole number from 1 to 100$/);
  await refused('/v1/leaderboard/top?offset=-1', 400, 'BAD_REQUEST', /^offset must be a whole number from 0/);
  await refused('/v1/leaderboard/top?limit=ten', 400, 'BAD_REQUEST', /^limit must be a whole number/);
  await refused('/v1/leaderboard/top?period=year', 400, 'BAD_REQUEST', /^period must be week, month or all$/);
  await refused('/v1/leaderboard/top?limit=5&limit=6', 400, 'BAD_REQUEST', /^limit is given 2 times; give it once$/);
  await refused('/v1/leaderboard/top?sort=asc', 400, 'BAD_REQUEST', /^unknown parameter "sort"; this route takes location, period, key, offset, limit$/);
  await refused('/v1/leaderboard/top?location=uptown', 400, 'UNKNOWN_LOCATION', /^no studio "uptown" has a board; studios: downtown, riverside$/);
  await refused(`/v1/leaderboard/top?location=${encodeURIComponent("'; DROP TABLE--")}`, 400, 'BAD_REQUEST', /^location must be a studio id/);
  await refused(`/v1/leaderboard/top?location=${'x'.repeat(10_000)}`, 400, 'BAD_REQUEST', /^location must be a studio id/);
  await refused('/v1/leaderboard/top?period=week&key=2026-13', 400, 'BAD_PERIOD_KEY', /^"2026-13" is not a week key: use YYYY-Www/);
  await refused('/v1/leaderboard/top?period=week&key=2026-W40', 404, 'BOARD_GONE', /ended more than 7 days ago and its board is no longer kept/);
  await refused('/v1/leaderboard/top?period=month&key=2027-01', 404, 'BOARD_GONE', /has not begun yet/);
  await refused('/v1/leaderboard/members/NOBODY', 404, 'NOT_ON_BOARD', /^NOBODY has no class on global:2026-W50 yet$/);
  await refused(`/v1/leaderboard/members/${encodeURIComponent('../../etc/passwd')}`, 400, 'BAD_REQUEST', /^the member id must be letters, digits/);
  await refused('/v1/leaderboard/members/ANNA/around?size=26', 400, 'BAD_REQUEST', /^size must be a whole number from 0 to 25$/);
  t.equal((await get('/v1/leaderboard/top?period=week&key=2026-W49')).statusCode, 200, 'last week, in its grace, is still served');

  // A message that is not an attendance-event stays on the queue until it reaches the dead-letter queue: never counted.
  await app.queues.sqs.send(new (await import('@aws-sdk/client-sqs')).SendMessageCommand({ QueueUrl: await app.queues.url(queues.attendanceEvents), MessageBody: '{"type":"attendance-event","checkin":{"member_id":"EVE"}}' }));
  await send(event('K6', 'EVE', '2026-12-09T11:00:00Z'));
  await waitFor('the next valid one counted', async () => (await get('/v1/leaderboard/members/EVE')).statusCode === 200, 20_000);
  t.equal((await get('/v1/leaderboard/top?period=all')).json<{ board: { members: number } }>().board.members, 4, 'the malformed message added nobody');
});

t.test('live updates over Server-Sent Events; a stream that goes away leaves nothing behind', async (t) => {
  const [redis, sqs] = [await useRedis(t), await sqsFor(t)];
  const app = await buildForTest(t, () => buildApp(readConfig({ REDIS_URL: redis.url }), { sqs, now: () => now }));
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  await app.queues.send(queues.attendanceEvents, event('L1', 'ANNA', '2026-12-08T14:00:00Z'));
  await waitFor('the first check-in counted', async () => (await app.inject({ method: 'GET', url: '/v1/leaderboard/members/ANNA' })).statusCode === 200, 20_000);

  const abort = new AbortController();
  const res = await fetch(`${base}/v1/leaderboard/live?location=downtown&period=week`, { signal: abort.signal });
  t.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.getReader();
  let text = '';
  const until = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
      text += new TextDecoder().decode(value);
    }
  };
  await until(/event: ready\ndata: \{"board":"loc:downtown:2026-W50"\}/);
  await app.queues.send(queues.attendanceEvents, event('L2', 'BEN', '2026-12-09T09:00:00Z'));
  await app.queues.send(queues.attendanceEvents, event('L3', 'BEN', '2026-12-09T10:00:00Z'));
  await until(/"member":"BEN","classes":2/);
  t.match(text, /event: rank\ndata: \{"member":"BEN","classes":1,"rank":2,"previousRank":null\}/, 'Ben joins the board second');
  t.match(text, /event: rank\ndata: \{"member":"BEN","classes":2,"rank":1,"previousRank":2\}/, 'then passes Anna');
  t.notMatch(text, /global/, 'only the board asked for');

  const probe = new Redis(redis.url);
  t.teardown(() => probe.disconnect());
  t.same(await probe.pubsub('NUMSUB', KEYS.live), [KEYS.live, 1], 'one subscription per process, shared by the streams and the answer cache');
  const clients = async () => (await probe.client('LIST') as string).trim().split('\n').length;
  const during = await clients();
  abort.abort();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(await clients(), during, 'closing the stream opens or leaves no Redis connection');
  t.same(await probe.pubsub('NUMSUB', KEYS.live), [KEYS.live, 1], 'and the shared subscription stays');
  const again = await fetch(`${base}/v1/leaderboard/live?location=downtown&period=week`);
  await again.body?.cancel();
  t.equal(await clients(), during, 'another stream, still no new connection');

  const bad = await fetch(`${base}/v1/leaderboard/live?location=nowhere`);
  t.equal(bad.status, 400, 'a live stream of an unknown studio is refused before it opens');
});

t.test('Redis stops: 503 with Retry-After at once; it comes back empty: the boards are rebuilt from the lake, same ranks', async (t) => {
  const sample = await buildSampleLake(t.testdir(), { members: 150, days: 45, end: '2026-06-30', seed: 4 });
  const engine = new DuckDbEngine({ lakeRoot: sample.lakeRoot, timeZone: sample.timeZone });
  t.teardown(() => engine.close());
  const sqs = await sqsFor(t);
  const first = await startRedis();
  const port = Number(new URL(first.url).port);
  let redis = first;
  t.teardown(() => redis.stop());
  const lakeNow = Date.parse('2026-07-01T16:00:00Z');
  const app = await buildForTest(t, () =>
    buildApp(readConfig({ REDIS_URL: first.url, STUDIO_TIME_ZONE: sample.timeZone }), { sqs, now: () => lakeNow, analytics: { engine, lake: new FolderLake(sample.lakeRoot) } }),
  );
  const get = (url: string) => app.inject({ method: 'GET', url });
  const board = async () => (await get('/v1/leaderboard/top?period=week&limit=100')).json<{ entries: unknown[]; board: { members: number } }>();
  await waitFor('the boards rebuilt from the lake at start', async () => (await get('/v1/leaderboard/boards')).json<{ rebuiltAt: string | null }>().rebuiltAt !== null, 60_000);
  const before = await board();
  t.ok(before.board.members > 20, `${before.board.members} members on this week's board`);

  await redis.stop();
  const t0 = performance.now();
  const down = await get('/v1/leaderboard/top');
  t.equal(down.statusCode, 503);
  t.equal(down.headers['retry-after'], '5');
  t.match(down.json(), { code: 'REDIS_UNAVAILABLE', message: /not answering right now; try again in a few seconds/ });
  t.ok(performance.now() - t0 < 3_000, 'answered at once, not after a hang');

  redis = await startRedis({ port }); // back, and empty (no persistence)
  await waitFor('the boards rebuilt after Redis came back', async () => (await get('/v1/leaderboard/top?period=week')).statusCode === 200 && (await board()).board.members > 0, 60_000);
  t.same(await board(), before, 'exactly the same ranks, classes and ties');
});
