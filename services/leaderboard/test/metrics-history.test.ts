/**
 * The at-risk members' histories: every history served is what plain TypeScript works out from the lake's raw Parquet
 * rows (no view, no metric SQL); exactly the at-risk members have one, counted in the list's cost; the queries are
 * portable and few; bad input is a 400 saying what to send, a member not at risk a 404 NO_HISTORY saying who has one,
 * Redis down a 503; and a history goes with the generation once its member is no longer at risk.
 */
import { join } from 'node:path';
import t from 'tap';
import Value from 'typebox/value';
import { checkPortableSql, DuckDbEngine, placeholdersOutsideWhere, writeLake, type Row } from '@peak/analytics';
import { useRedis } from '@peak/service-kit/testing';
import { DEFAULT_KEY_PREFIX, generationKey, readCurrent } from '../src/metrics/cache.js';
import { historyQueries, type MemberHistory } from '../src/metrics/history.js';
import { CACHE_PLAN } from '../src/metrics/plan.js';
import { refreshMetricsCache } from '../src/metrics/refresh.js';
import { memberHistory, metricsCatalog } from '../src/metrics/schemas.js';
import { GatedEngine, metricsApp, redisClient, sampleLake, SAMPLE_END } from './metrics-helpers.js';

const lake = await sampleLake(t, t.testdir());
const AT_RISK_PLAN = CACHE_PLAN.filter((m) => m.metric === 'at_risk_members');
const REFRESHED_AT = new Date('2026-07-01T06:00:00.000Z');
const counting = new GatedEngine(lake.engine);
const redis = await redisClient(t, (await useRedis(t)).url);
const refreshed = await refreshMetricsCache({ engine: counting, redis, plan: AT_RISK_PLAN, now: () => REFRESHED_AT });
const app = await metricsApp(t, { redis });

type Body = Record<string, unknown> & { code?: string; message?: string };
const get = async (url: string) => {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, headers: res.headers, body: res.json<Body>() };
};
const historyUrl = (memberId: string) => `/v1/metrics/members/${encodeURIComponent(memberId)}/history`;

// ---- the lake as raw rows, and what the history should be, by hand

const rawRows = async (dataset: string): Promise<Row[]> =>
  (await lake.engine.query(`SELECT * FROM read_parquet('${join(lake.lakeRoot, 'processed', dataset, '*', '*.parquet')}')`)).rows;
/** The newest version of each key (the lake keeps every version that arrived). */
function newest(rows: Row[], key: string): Map<string, Row> {
  const out = new Map<string, Row>();
  const version = (r: Row) => `${String(r.updated_at)}|${String(r.dt)}`;
  for (const r of rows) {
    const seen = out.get(String(r[key]));
    if (!seen || version(r) > version(seen)) out.set(String(r[key]), r);
  }
  return out;
}
const wallClock = new Intl.DateTimeFormat('en-CA', { timeZone: lake.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
function local(instant: string) {
  const p = Object.fromEntries(wallClock.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}`, hour: Number(p.hour) };
}
const DAY = 86_400_000;
const days = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY);
const shift = (date: string, n: number) => new Date(Date.parse(date) + n * DAY).toISOString().slice(0, 10);
const isoWeekday = (date: string) => ((new Date(date).getUTCDay() + 6) % 7) + 1;
/** The value counted most often; ties go to the smallest. */
const mode = (values: number[]) => {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? null;
};

const members = newest(await rawRows('members'), 'member_id');
const classes = newest(await rawRows('classes'), 'class_id');
const signups = [...newest(await rawRows('signups'), 'signup_id').values()];
const checkIns = (await rawRows('attendance')).map((r) => ({
  id: String(r.checkin_id), memberId: String(r.member_id), classId: r.class_id === null ? null : String(r.class_id),
  locationId: String(r.location_id), at: String(r.checked_in_at), local: local(String(r.checked_in_at)),
}));

function expectedHistory(memberId: string, asOf: string, refreshedAt: string): MemberHistory {
  const m = members.get(memberId) ?? {};
  const mine = checkIns.filter((c) => c.memberId === memberId && c.local.date <= asOf);
  const lastVisit = mine.map((c) => c.local.date).sort().at(-1) ?? '';
  const usual = mine.filter((c) => days(c.local.date, lastVisit) <= 83);
  const known = days(String(m.join_date), lastVisit);
  const thisMonday = shift(asOf, 1 - isoWeekday(asOf));
  const weeks = Array.from({ length: 26 }, (_, i) => ({ weekStart: shift(thisMonday, -7 * (25 - i)), visits: 0 }));
  for (const c of mine) {
    const week = weeks.find((w) => w.weekStart === shift(c.local.date, 1 - isoWeekday(c.local.date)));
    if (week) week.visits += 1;
  }
  const bookings90d = { attended: 0, no_show: 0, late_cancelled: 0, cancelled: 0, booked: 0 };
  for (const s of signups) {
    const k = classes.get(String(s.class_id));
    if (s.member_id !== memberId || !k || k.cancelled === true) continue;
    const held = local(String(k.starts_at)).date;
    if (days(held, asOf) >= 0 && days(held, asOf) < 90) bookings90d[s.status as keyof typeof bookings90d] += 1;
  }
  return {
    memberId, asOf, refreshedAt,
    member: { firstName: String(m.first_name), lastName: String(m.last_name), homeLocationId: String(m.home_location_id), plan: String(m.plan), status: String(m.status), joinDate: String(m.join_date) },
    atRisk: {
      lastVisit,
      daysSinceLastVisit: days(lastVisit, asOf),
      usualVisitsPerWeek: usual.length / (known >= 77 ? 12 : Math.ceil((known + 1) / 7)),
      usualWeekday: mode(usual.map((c) => isoWeekday(c.local.date))),
      usualHour: mode(usual.map((c) => c.local.hour)),
    },
    weeks,
    recentVisits: mine
      .filter((c) => days(c.local.date, asOf) < 365)
      .sort((a, b) => b.at.localeCompare(a.at) || b.id.localeCompare(a.id))
      .slice(0, 10)
      .map((c) => {
        const k = c.classId === null ? undefined : classes.get(c.classId);
        return { localDate: c.local.date, localTime: c.local.time, locationId: c.locationId, classType: k ? String(k.class_type) : null, className: k ? String(k.class_name) : null, instructorName: k ? String(k.instructor_name) : null };
      }),
    bookings90d,
  };
}

/** At risk as of asOf: an active membership, last check-in 14 to 29 days before (at_risk_members' defaults). */
function expectedAtRisk(asOf: string): string[] {
  const last = new Map<string, string>();
  for (const c of checkIns) if (c.local.date <= asOf && c.local.date > (last.get(c.memberId) ?? '')) last.set(c.memberId, c.local.date);
  const away = (memberId: string) => {
    const lastVisit = last.get(memberId);
    return lastVisit === undefined ? -1 : days(lastVisit, asOf);
  };
  return [...members.keys()].filter((id) => members.get(id)?.status === 'active' && away(id) >= 14 && away(id) <= 29).sort();
}

const atRisk = expectedAtRisk(SAMPLE_END);
const historyMembers = async (client = redis) => {
  const pointer = await readCurrent(client, DEFAULT_KEY_PREFIX, 1000);
  const fields = pointer ? await client.hkeys(generationKey(DEFAULT_KEY_PREFIX, pointer.generation)) : [];
  return fields.filter((f) => f.startsWith('history|')).map((f) => f.slice('history|'.length)).sort();
};

t.test('each history is what the raw lake rows say', async (t) => {
  t.ok(atRisk.length >= 2, `${atRisk.length} members at risk as of ${SAMPLE_END}`);
  const served: MemberHistory[] = [];
  for (const memberId of atRisk) {
    const res = await get(historyUrl(memberId));
    t.equal(res.status, 200, memberId);
    t.ok(Value.Check(memberHistory, res.body), 'the body matches its documented schema');
    t.same(res.body, expectedHistory(memberId, SAMPLE_END, REFRESHED_AT.toISOString()), `${memberId}: profile, at-risk row, weeks, last check-ins, bookings`);
    served.push(res.body as unknown as MemberHistory);
  }
  // Cases that would prove little if absent from the sample.
  t.ok(served.some((h) => h.recentVisits.some((v) => v.classType === null)), 'an open-gym check-in (no class) among the last ones');
  t.ok(served.some((h) => h.recentVisits.length === 10), 'a member with more check-ins than the 10 kept');
  t.ok(served.some((h) => h.bookings90d.attended > 0 && h.bookings90d.no_show + h.bookings90d.late_cancelled > 0), 'bookings of several outcomes');
  t.ok(served.every((h) => h.weeks[0]?.weekStart === '2026-01-05' && h.weeks.at(-1)?.weekStart === '2026-06-29'), 'weeks from 25 weeks before asOf\'s (a Tuesday\'s) Monday');
});

t.test('exactly the at-risk members have a history; the list counts them and their queries', async (t) => {
  const answer = (await get('/v1/metrics/at_risk_members')).body as { rows: { member_id: string }[] };
  t.same(answer.rows.map((r) => r.member_id).sort(), atRisk, 'the at-risk list served is the one worked out by hand');
  t.same(await historyMembers(), atRisk, 'a history field for each of them and no one else');

  const catalog = await get('/v1/metrics');
  t.ok(Value.Check(metricsCatalog, catalog.body), 'the list matches its documented schema');
  const historyQueryCount = historyQueries(atRisk, SAMPLE_END).length;
  t.equal(historyQueryCount, 4, 'four set-based queries for all of them');
  // Besides the plan's, a refresh runs 3: the lake's last day and the filter values.
  t.match(catalog.body.cost, { histories: atRisk.length, queries: counting.queries - 3 });
  t.match(refreshed, { outcome: 'refreshed', histories: atRisk.length, queries: counting.queries - 3 });

  const notAtRisk = [...members.keys()].filter((id) => !atRisk.includes(id)).sort()[0] ?? '';
  for (const memberId of [notAtRisk, 'M999999']) {
    const res = await get(historyUrl(memberId));
    t.equal(res.status, 404, memberId);
    t.same(res.body, {
      code: 'NO_HISTORY',
      message: `no history cached for ${memberId}: histories are kept for the ${atRisk.length} members at risk as of ${SAMPLE_END} (the at-risk list is GET /v1/metrics/at_risk_members)`,
    });
  }
  const docs = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, { get?: { tags?: string[] } }> }>();
  t.same(docs.paths['/v1/metrics/members/{memberId}/history']?.get?.tags, ['metrics'], 'OpenAPI documents the route');
});

t.test('the history queries are portable: Athena-safe parameters, no single-engine SQL', async (t) => {
  const queries = historyQueries(['M000001', 'M000002'], SAMPLE_END);
  t.same(queries.map((q) => q.part), ['members', 'weeks', 'recentVisits', 'bookings']);
  for (const { part, query } of queries) {
    t.same(checkPortableSql(query.text).map((p) => `${p.id}: ${p.text} (line ${p.line}) — ${p.alternative}`), [], part);
    t.same(placeholdersOutsideWhere(query.text), [], `${part}: parameters in WHERE only`);
    t.notOk(query.text.includes('M000001'), `${part}: member ids are parameters`);
  }
  t.equal(historyQueries(Array.from({ length: 1001 }, (_, i) => `M${i}`), SAMPLE_END).length, 12, 'a long list is split into groups of 500');
  t.same(historyQueries([], SAMPLE_END), [], 'nobody at risk: no query');
});

t.test('bad input: 400 saying what a member id is; query parameters are refused', async (t) => {
  const rule = /^the member id must be an identifier \(letters, digits, _ \. : -, at most 64 characters\), such as M000123$/;
  const cases: [string, RegExp][] = [
    [historyUrl('../etc'), rule],
    [historyUrl('M'.repeat(65)), rule],
    [historyUrl('M000 123'), rule],
    [historyUrl('Mé0001'), rule],
    [historyUrl("M0001' OR 1=1 --"), rule],
    [historyUrl('M0001|answer'), rule],
    ['/v1/metrics/members//history', rule],
    [`${historyUrl(atRisk[0] ?? '')}?range=last_7_days`, /^unknown query parameter "range"; this route takes none$/],
  ];
  for (const [url, message] of cases) {
    const res = await get(url);
    t.equal(res.status, 400, url);
    t.match(res.body, { code: 'BAD_REQUEST', message }, `${url}: ${res.body.message}`);
  }
  t.equal((await get(historyUrl(atRisk[0] ?? ''))).status, 200, 'the same member without the parameter');
  t.match((await get('/v1/metrics/members')).body, { code: 'UNKNOWN_METRIC' }, '`members` alone is not a metric');
});

t.test('no refresh yet: 503 WARMING; Redis stopped: 503 CACHE_UNAVAILABLE, both with Retry-After', async (t) => {
  const server = await useRedis(t);
  const client = await redisClient(t, server.url);
  const own = await metricsApp(t, { redis: client });
  const url = historyUrl(atRisk[0] ?? '');
  const warming = await own.inject({ method: 'GET', url });
  t.equal(warming.statusCode, 503);
  t.equal(warming.headers['retry-after'], '5');
  t.match(warming.json(), { code: 'WARMING' });
  await refreshMetricsCache({ engine: lake.engine, redis: client, plan: AT_RISK_PLAN });
  t.equal((await own.inject({ method: 'GET', url })).statusCode, 200);
  await server.stop();
  const down = await own.inject({ method: 'GET', url });
  t.equal(down.statusCode, 503);
  t.equal(down.headers['retry-after'], '5');
  t.same(down.json(), { code: 'CACHE_UNAVAILABLE', message: 'the metrics cache (Redis) is not answering; try again in 5 s' });
});

// Last: it adds a check-in to the lake.
t.test('a member no longer at risk at the next refresh has no history any more', async (t) => {
  const [back = '', stillAway = ''] = atRisk;
  await writeLake(lake.lakeRoot, {
    attendance: [{ checkin_id: 'K999000001', member_id: back, class_id: null, location_id: String(members.get(back)?.home_location_id), checked_in_at: `${SAMPLE_END}T16:00:00Z`, method: 'card' }],
  }, 'came-back');
  const later = new DuckDbEngine({ lakeRoot: lake.lakeRoot, timeZone: lake.timeZone });
  t.teardown(() => later.close());
  t.match(await refreshMetricsCache({ engine: later, redis, plan: AT_RISK_PLAN, now: () => new Date('2026-07-01T07:00:00.000Z') }), { outcome: 'refreshed', asOf: SAMPLE_END, histories: atRisk.length - 1 });
  const gone = await get(historyUrl(back));
  t.equal(gone.status, 404, `${back} came back on ${SAMPLE_END}`);
  t.match(gone.body, { code: 'NO_HISTORY', message: new RegExp(`kept for the ${atRisk.length - 1} members at risk`) });
  t.match((await get(historyUrl(stillAway))).body, { memberId: stillAway, refreshedAt: '2026-07-01T07:00:00.000Z' }, 'the others are there, from the new refresh');
  t.same(await historyMembers(), atRisk.filter((id) => id !== back));
});
