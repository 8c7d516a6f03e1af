/**
 * The boards in real Redis: studio-time periods, one script call per check-in that counts it once on every board,
 * exact ties, expiry, and a rebuild from a generated lake that gives the same ranks as the stream of the same check-ins.
 */
import t from 'tap';
import { Redis } from 'ioredis';
import { DuckDbEngine } from '@peak/analytics';
import { buildSampleLake } from '@peak/churn';
import { useRedis } from '@peak/service-kit/testing';
import { StudioCalendar } from '../src/boards/periods.js';
import { BoardAnswerCache } from '../src/boards/cache.js';
import { LiveHub } from '../src/boards/live.js';
import { catchUpFromLake, openSpans, rebuildFromLake, RebuildBusyError } from '../src/boards/rebuild.js';
import { BoardReader, BoardStore, displayName, KEYS, MAX_CLASSES, packScore, percentileOf, unpackScore, type CheckinToApply } from '../src/boards/store.js';

const server = await useRedis(t);
const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
t.teardown(() => redis.disconnect());
const ny = new StudioCalendar('America/New_York');
let clock = Date.parse('2026-12-09T15:00:00Z'); // a Wednesday
const store = new BoardStore(redis, { calendar: ny, graceDays: 7, now: () => clock });
const reader = new BoardReader(redis);
const week = ny.week(clock);
const month = ny.month(clock);
const checkin = (id: string, member: string, at: string, location = 'downtown'): CheckinToApply => ({ checkinId: id, memberId: member, locationId: location, checkedInAt: at });

t.test('periods are weeks (ISO) and months of the studio\'s zone', async (t) => {
  t.same(ny.week(Date.parse('2026-12-09T15:00:00Z')), { period: 'week', key: '2026-W50', start: Date.parse('2026-12-07T05:00:00Z'), end: Date.parse('2026-12-14T05:00:00Z') });
  t.equal(ny.week(Date.parse('2026-12-07T04:59:59Z')).key, '2026-W49', 'Sunday 23:59 in New York is still last week');
  t.same(ny.month(Date.parse('2026-07-01T03:00:00Z')), { period: 'month', key: '2026-06', start: Date.parse('2026-06-01T04:00:00Z'), end: Date.parse('2026-07-01T04:00:00Z') }, 'summer time: midnight is 04:00 UTC');
  t.equal(ny.week(Date.parse('2027-01-01T17:00:00Z')).key, '2026-W53', '1 January 2027 is in 2026\'s week 53');
  t.equal(ny.week(Date.parse('2021-01-03T17:00:00Z')).key, '2020-W53');
  const dst = ny.week(Date.parse('2026-03-05T12:00:00Z')); // clocks go forward on Sunday 8 March
  t.equal((dst.end as number) - (dst.start as number), 7 * 86_400_000 - 3_600_000, 'the week with the spring change is an hour short');
  for (const key of ['2026-W01', '2026-W50', '2026-W53', '2020-W53']) t.equal(ny.parse('week', key)?.key, key, `${key} parses back`);
  t.equal(ny.parse('week', '2027-W53'), undefined, '2027 has no week 53');
  t.equal(ny.parse('month', '2026-13'), undefined);
  t.equal(ny.parse('month', '2026-02')?.start, Date.parse('2026-02-01T05:00:00Z'));
  t.same(ny.parse('all', 'all'), { period: 'all', key: 'all' });
  t.throws(() => new StudioCalendar('Mars/Olympus_Mons'), RangeError);
});

t.test('display names: first name and last initial', async (t) => {
  t.equal(displayName('Anna', 'Kowalski'), 'Anna K.');
  t.equal(displayName(' Ben ', 'o\'Neil'), 'Ben O.');
  t.equal(displayName('Cara', null), 'Cara');
  t.equal(displayName(null, 'Smith'), null, 'no first name: no name (the id is shown)');
  t.equal(displayName('  ', 'Smith'), null);
});

t.test('scores pack classes and the time they were reached into one exact number', async (t) => {
  const at = Math.floor((Date.parse('2156-01-01T00:00:00Z') - Date.parse('2020-01-01T00:00:00Z')) / 1000);
  for (const [classes, seconds] of [[1, 0], [MAX_CLASSES, at], [37, 123_456_789]] as const) {
    const score = packScore(classes, seconds);
    t.ok(Number.isSafeInteger(score), `${classes} classes: ${score} is exact`);
    t.equal(unpackScore(score).classes, classes);
  }
  t.ok(packScore(5, 100) > packScore(5, 200), 'equal classes: reached earlier ranks higher');
  t.ok(packScore(6, 10_000_000) > packScore(5, 0), 'more classes rank higher whenever they were reached');
  t.equal(percentileOf(1, 10), 100);
  t.equal(percentileOf(10, 10), 0);
  t.equal(percentileOf(1, 1), 100);
});

t.test('a check-in counts once on every board it belongs to, however often it arrives', async (t) => {
  await redis.flushdb();
  const c = checkin('K1', 'M1', '2026-12-08T17:00:00Z');
  t.same(await store.apply([c, c]), ['applied', 'duplicate'], 'twice in one call');
  t.same(await store.apply([c]), ['duplicate'], 'and again later');
  for (const location of [undefined, 'downtown']) {
    for (const span of [week, month, { period: 'all' as const, key: 'all' }]) {
      const ref = { ...(location ? { location } : {}), span };
      t.match(await reader.standing(ref, 'M1'), { rank: 1, classes: 1, members: 1, reachedAt: '2026-12-08T17:00:00.000Z' }, `${location ?? 'global'} ${span.key}`);
    }
  }
  t.same(await reader.locations(), ['downtown']);
  t.equal(await reader.standing({ location: 'riverside', span: week }, 'M1'), undefined, 'not on another studio\'s board');
});

t.test('ties go to whoever got there first, in whatever order the check-ins arrive', async (t) => {
  const events = [
    checkin('A1', 'ANNA', '2026-12-07T14:00:00Z'), checkin('A2', 'ANNA', '2026-12-08T14:00:00Z'),
    checkin('B1', 'BEN', '2026-12-07T15:00:00Z'), checkin('B2', 'BEN', '2026-12-08T13:00:00Z'),
    checkin('C1', 'CARA', '2026-12-09T09:00:00Z', 'riverside'),
  ];
  const orders = [events, [...events].reverse(), [events[3], events[0], events[4], events[2], events[1]]];
  const seen: unknown[] = [];
  for (const order of orders) {
    await redis.flushdb();
    for (const e of order) await store.apply([e as CheckinToApply]);
    seen.push((await reader.top({ span: week }, 0, 10)).entries);
  }
  t.same(seen[0], [
    { rank: 1, memberId: 'BEN', name: null, classes: 2, reachedAt: '2026-12-08T13:00:00.000Z' },
    { rank: 2, memberId: 'ANNA', name: null, classes: 2, reachedAt: '2026-12-08T14:00:00.000Z' },
    { rank: 3, memberId: 'CARA', name: null, classes: 1, reachedAt: '2026-12-09T09:00:00.000Z' },
  ], 'Ben reached 2 classes an hour before Anna');
  t.same(seen[1], seen[0], 'reversed arrival, same board');
  t.same(seen[2], seen[0], 'shuffled arrival, same board');
});

t.test('weekly and monthly boards expire after their period and the grace; late check-ins are not counted live', async (t) => {
  await redis.flushdb();
  await store.apply([checkin('E1', 'M1', '2026-12-08T17:00:00Z')]);
  // Redis counts the time to live down from when it was set: compare with the store's clock, give or take 2 s.
  const lives = async (key: string, until: number, what: string) => {
    const ttl = await redis.ttl(key);
    t.ok(Math.abs(ttl - (until - clock) / 1000) <= 2, `${what}: ${ttl} s to live`);
  };
  await lives(KEYS.board({}, week.key), (week.end as number) + 7 * 86_400_000, 'the week: until its end + 7 days');
  await lives(KEYS.board({ location: 'downtown' }, month.key), (month.end as number) + 7 * 86_400_000, 'the month: until its end + 7 days');
  t.equal(await redis.ttl(KEYS.board({}, 'all')), -1, 'all time: never');
  await lives(KEYS.applied(month.key), (month.end as number) + 7 * 86_400_000, 'the record of counted check-ins: as long as the month');
  // October closed on 1 November; with 7 days' grace its check-ins stopped counting live on 8 November.
  t.same(await store.apply([checkin('E2', 'M1', '2026-10-20T17:00:00Z')]), ['late']);
  t.equal((await reader.standing({ span: { period: 'all', key: 'all' } }, 'M1'))?.classes, 1, 'the late one is not on the all-time board');
  // Last week is closed but in its grace: it still counts there.
  const lastWeek = ny.week((week.start as number) - 1);
  t.same(await store.apply([checkin('E3', 'M2', '2026-12-05T17:00:00Z')]), ['applied']);
  t.equal((await reader.standing({ span: lastWeek }, 'M2'))?.classes, 1);
  // A board whose period closed more than the grace ago is skipped, the others still count.
  clock = Date.parse('2026-12-20T15:00:00Z');
  t.same(await store.apply([checkin('E4', 'M3', '2026-12-05T18:00:00Z')]), ['applied'], 'its month is still open');
  t.equal(await reader.standing({ span: lastWeek }, 'M3'), undefined, 'not on the week that closed on 30 Nov + 7 days');
  t.equal((await reader.standing({ span: ny.month(Date.parse('2026-12-05T18:00:00Z')) }, 'M3'))?.classes, 1, 'on the month');
  clock = Date.parse('2026-12-09T15:00:00Z');
});

t.test('around-me fills the window from the other side at the edges', async (t) => {
  await redis.flushdb();
  const batch: CheckinToApply[] = [];
  for (let m = 0; m < 12; m++) for (let k = 0; k <= m; k++) batch.push(checkin(`R${m}-${k}`, `M${String(m).padStart(2, '0')}`, `2026-12-08T${String(10 + k).padStart(2, '0')}:00:00Z`));
  await store.apply(batch);
  const ids = async (member: string, size: number) => (await reader.around({ span: week }, member, size))?.entries.map((e) => `${e.rank}:${e.memberId}`);
  t.same(await ids('M11', 2), ['1:M11', '2:M10', '3:M09', '4:M08', '5:M07'], 'the leader: four below');
  t.same(await ids('M06', 2), ['4:M08', '5:M07', '6:M06', '7:M05', '8:M04'], 'in the middle: two each side');
  t.same(await ids('M00', 2), ['8:M04', '9:M03', '10:M02', '11:M01', '12:M00'], 'the last: four above');
  t.same(await ids('M05', 20), (await reader.top({ span: week }, 0, 12)).entries.map((e) => `${e.rank}:${e.memberId}`), 'a window wider than the board: the whole board');
  t.equal(await reader.around({ span: week }, 'NOBODY', 2), undefined);
  t.match(await reader.standing({ span: week }, 'M06'), { rank: 6, classes: 7, members: 12, percentile: 54.55 });
  t.same((await reader.top({ span: week }, 10, 5)).entries.map((e) => e.rank), [11, 12], 'a page past the end is short');
});

t.test('a rebuild from the lake gives the same boards as the stream of the same check-ins', async (t) => {
  const sample = await buildSampleLake(t.testdir(), { members: 150, days: 45, end: '2026-06-30', seed: 4 });
  const engine = new DuckDbEngine({ lakeRoot: sample.lakeRoot, timeZone: sample.timeZone });
  t.teardown(() => engine.close());
  const now = Date.parse('2026-07-01T16:00:00Z');
  const lakeStore = new BoardStore(redis, { calendar: ny, graceDays: 7, now: () => now });
  const { weeks, months } = openSpans(lakeStore, now);
  t.same([...weeks, ...months].map((s) => s.key), ['2026-W26', '2026-W27', '2026-06', '2026-07'], 'open on 1 July: last and this week, June in its grace, July');

  const snapshot = async () => {
    const keys = (await redis.keys('lb:board:*')).sort();
    return Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await redis.zrange(k, 0, -1, 'WITHSCORES')] as const)));
  };
  // The stream: every class check-in of the lake, in a shuffled order, through the live path (those of closed months are late).
  await redis.flushdb();
  const { rows } = await engine.query(`SELECT checkin_id, member_id, location_id, checked_in_at FROM fact_attendance WHERE class_id IS NOT NULL ORDER BY hash(checkin_id)`);
  const outcomes = await lakeStore.apply(rows.map((r) => checkin(String(r.checkin_id), String(r.member_id), String(r.checked_in_at), String(r.location_id))));
  const lateCount = outcomes.filter((o) => o === 'late').length;
  t.ok(lateCount > 0 && outcomes.includes('applied'), `${outcomes.length - lateCount} counted live, ${lateCount} from closed months`);
  const streamed = await snapshot();

  await redis.flushdb();
  const summary = await rebuildFromLake(engine, lakeStore, now);
  const rebuilt = await snapshot();
  const open = (k: string) => !k.endsWith(':all');
  t.same(Object.fromEntries(Object.entries(rebuilt).filter(([k]) => open(k))), Object.fromEntries(Object.entries(streamed).filter(([k]) => open(k))), 'weekly and monthly boards: identical members, classes and ties');
  t.ok(Object.keys(rebuilt).filter(open).length >= 8, `${Object.keys(rebuilt).length} boards`);
  t.equal(summary.checkinsCounted, rows.length, 'the all-time board counts every class check-in in the lake, late ones too');
  t.equal(await redis.exists(KEYS.rebuilding), 0, 'the lock is released');
  const named = await new BoardReader(redis).top({ span: { period: 'all', key: 'all' } }, 0, 5);
  t.ok(named.entries.every((e) => /^\p{L}[\p{L}' -]* \p{Lu}\.$/u.test(e.name ?? '')), `names from the members export: ${named.entries.map((e) => e.name).join(', ')}`);
  t.match(JSON.parse((await redis.get(KEYS.built)) ?? '{}'), { checkins: rows.length });

  // After the rebuild the live stream counts nothing twice, and a batch caught up from the lake neither.
  const again = await lakeStore.apply(rows.slice(0, 50).map((r) => checkin(String(r.checkin_id), String(r.member_id), String(r.checked_in_at), String(r.location_id))));
  t.ok(again.every((o) => o === 'duplicate' || o === 'late'), 'replayed check-ins are not counted again');
  t.same(await catchUpFromLake(engine, lakeStore, ['2026-06-29', '2026-06-30']).then((x) => x.applied), 0, 'catching up on days already counted adds nothing');
  t.same(await snapshot(), rebuilt, 'the boards are unchanged');

  // A rebuild while another runs is refused; live check-ins wait for it.
  await redis.set(KEYS.rebuilding, 'someone-else', 'PX', 5_000);
  await t.rejects(rebuildFromLake(engine, lakeStore, now), RebuildBusyError);
  t.same(await lakeStore.apply([checkin('NEW1', 'M000001', '2026-07-01T15:00:00Z')]), ['rebuilding']);
  t.equal(await redis.get(KEYS.rebuilding), 'someone-else', 'another\'s lock is left alone');
  await redis.del(KEYS.rebuilding);
  t.same(await lakeStore.apply([checkin('NEW1', 'M000001', '2026-07-01T15:00:00Z')]), ['applied'], 'counted once the rebuild is over');
});

t.test('the answer cache: kept until the board changes, a reset, a lost subscription or its maximum age', async (t) => {
  await redis.flushdb();
  const hub = new LiveHub(redis);
  let clock = 0;
  const cache = new BoardAnswerCache(hub, 1_000, 100, () => clock);
  const stop = await cache.start();
  t.teardown(stop);
  let reads = 0;
  const read = (value: string) => async () => (reads++, value);
  t.equal(await cache.get('global:2026-W50', 'top:0:10', read('a')), 'a');
  t.equal(await cache.get('global:2026-W50', 'top:0:10', read('b')), 'a', 'kept');
  t.equal(reads, 1);
  // A check-in on another board leaves it; one on this board drops it.
  await store.apply([checkin('C1', 'M1', '2026-12-08T17:00:00Z', 'riverside')]);
  await waitForMessage();
  t.equal(await cache.get('global:2026-W50', 'top:0:10', read('c')), 'c', 'the global board changed too (every check-in is on it)');
  t.equal(await cache.get('loc:downtown:2026-W50', 'top:0:10', read('d')), 'd');
  await store.apply([checkin('C2', 'M2', '2026-12-08T18:00:00Z', 'riverside')]);
  await waitForMessage();
  t.equal(await cache.get('loc:downtown:2026-W50', 'top:0:10', read('e')), 'd', 'downtown did not change: still kept');
  clock += 1_001;
  t.equal(await cache.get('loc:downtown:2026-W50', 'top:0:10', read('f')), 'f', 'older than a second: read again');
  await redis.publish(KEYS.live, JSON.stringify({ reset: true }));
  await waitForMessage();
  t.equal(await cache.get('loc:downtown:2026-W50', 'top:0:10', read('g')), 'g', 'a rebuild empties it');
  // An answer read while its board changed is not kept.
  const slow = cache.get('loc:downtown:2026-W50', 'top:0:20', async () => {
    await store.apply([checkin('C3', 'M3', '2026-12-08T19:00:00Z')]);
    await waitForMessage();
    return 'stale';
  });
  t.equal(await slow, 'stale');
  t.equal(await cache.get('loc:downtown:2026-W50', 'top:0:20', read('fresh')), 'fresh', 'the answer that raced a change was not kept');
  // Requests arriving together share one read.
  reads = 0;
  await redis.publish(KEYS.live, JSON.stringify({ reset: true }));
  await waitForMessage();
  const together = await Promise.all([1, 2, 3].map(() => cache.get('loc:downtown:2026-W50', 'top:0:20', async () => {
    reads++;
    await new Promise((r) => setTimeout(r, 20));
    return 'shared';
  })));
  t.same([together, reads], [['shared', 'shared', 'shared'], 1], 'three requests at once, one read');
  // The subscription lost: nothing from memory.
  hub.connected = false;
  t.equal(await cache.get('loc:downtown:2026-W50', 'top:0:20', read('h')), 'h');
  t.equal(await cache.get('loc:downtown:2026-W50', 'top:0:20', read('i')), 'i', 'not kept while changes cannot be heard');
  await hub.close();
});

/** Pub/sub is asynchronous: give the published change a moment to arrive. */
const waitForMessage = () => new Promise((r) => setTimeout(r, 50));
