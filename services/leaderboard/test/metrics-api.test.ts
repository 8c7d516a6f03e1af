/**
 * The metrics API over one full refresh of a generated lake: every answer served is what runMetric computes on the
 * same lake (several metrics, ranges and filter combinations), with its as-of day and refresh time; the list says what
 * is cached; bad input of every kind is a 400 that says what to send, and a combination the refresh does not compute
 * is a 404 NOT_CACHED that says what is cached.
 */
import t from 'tap';
import Value from 'typebox/value';
import { runMetric, type MetricFilters } from '@peak/analytics';
import { useRedis } from '@peak/service-kit/testing';
import { CACHE_PLAN, RANGES, type FilterValues } from '../src/metrics/plan.js';
import { refreshMetricsCache } from '../src/metrics/refresh.js';
import { metricAnswer, metricsCatalog } from '../src/metrics/schemas.js';
import { metricsApp, redisClient, sampleLake, SAMPLE_END } from './metrics-helpers.js';

const lake = await sampleLake(t, t.testdir());
const redis = await redisClient(t, (await useRedis(t)).url);
const REFRESHED_AT = new Date('2026-07-01T06:00:00.000Z');
const refreshed = await refreshMetricsCache({ engine: lake.engine, redis, now: () => REFRESHED_AT });
const app = await metricsApp(t, { redis });

type Body = Record<string, unknown> & { code?: string; message?: string };
const get = async (url: string) => {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, headers: res.headers, body: res.json<Body>() };
};
const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

const catalog = (await get('/v1/metrics')).body as unknown as { filterValues: FilterValues };
const values = catalog.filterValues;
const [location = '', otherLocation = ''] = values.locations;
const classTypeHere = values.classTypesByLocation[location]?.[0] ?? '';
const classTypeElsewhere = values.classTypes.find((c) => !values.classTypesByLocation[location]?.includes(c)) ?? '';
const instructorHere = values.instructorsByLocation[otherLocation]?.[0] ?? '';

t.test('a refresh computes the plan over the lake as of its last day', async (t) => {
  t.match(refreshed, { outcome: 'refreshed', asOf: SAMPLE_END, refreshedAt: REFRESHED_AT.toISOString() });
  if (refreshed.outcome === 'empty-lake') return;
  t.ok(refreshed.combinations > 500, `${refreshed.combinations} combinations`);
  t.ok(refreshed.queries < refreshed.combinations, `identical SQL runs once: ${refreshed.queries} queries`);
  t.same(values.locations, ['downtown', 'lakeside', 'northgate', 'riverside'], 'every studio of the sample');
  t.ok(classTypeHere && classTypeElsewhere && instructorHere, 'the sample has pairs on the schedule and pairs off it');
});

t.test('every answer is what runMetric computes on the same lake, with asOf and refreshedAt', async (t) => {
  const cases: [string, string, Omit<MetricFilters, 'from' | 'to'>, string, string][] = [
    ['active_members', '', {}, '2026-06-01', '2026-06-30'],
    ['active_members', 'previous_30_days', { location }, '2026-05-02', '2026-05-31'],
    ['visits_per_member_per_week', 'last_7_days', { location: otherLocation }, '2026-06-24', '2026-06-30'],
    ['at_risk_members', 'last_90_days', { location }, '2026-04-02', '2026-06-30'],
    ['churn_monthly', 'last_12_months', {}, '2025-07-01', '2026-06-30'],
    ['revenue_monthly', 'previous_90_days', { location }, '2026-01-02', '2026-04-01'],
    ['retention_cohorts', 'last_90_days', { location: otherLocation }, '2026-04-02', '2026-06-30'],
    ['fill_by_class_type', 'previous_7_days', { classType: classTypeHere }, '2026-06-17', '2026-06-23'],
    ['class_fill_heatmap', 'last_30_days', { location, classType: classTypeHere }, '2026-06-01', '2026-06-30'],
    ['instructor_performance', 'last_90_days', { instructor: instructorHere }, '2026-04-02', '2026-06-30'],
    ['instructor_performance', 'last_30_days', { location: otherLocation, instructor: instructorHere }, '2026-06-01', '2026-06-30'],
  ];
  for (const [metric, range, filters, from, to] of cases) {
    const query = new URLSearchParams({ ...(range ? { range } : {}), ...filters }).toString();
    const res = await get(`/v1/metrics/${metric}?${query}`);
    t.equal(res.status, 200, `${metric}?${query}`);
    const expected = await runMetric(lake.engine, { metric, filters: { from, to, ...filters } });
    t.ok(Value.Check(metricAnswer, res.body), 'the body matches its documented schema');
    t.match(res.body, { metric, asOf: SAMPLE_END, refreshedAt: REFRESHED_AT.toISOString(), range: { preset: range || 'last_30_days', from, to }, filters });
    t.same(res.body.rows, json(expected.rows), `${metric}?${query}: the rows runMetric gives (${expected.rows.length})`);
    t.same(res.body.columns, json(expected.columns), 'its columns');
    t.same(res.body.options, expected.options, 'its options (the defaults)');
    t.ok(expected.rows.length > 0, 'a case with rows (an empty answer would prove little)');
  }
  const current = await get('/v1/metrics/active_members?range=last_7_days');
  t.match(current.body.range, { preset: 'last_7_days', previous: 'previous_7_days' }, 'a current range names its previous period');
});

t.test('the list says what is cached, for which ranges and filters, and what it cost', async (t) => {
  const res = await get('/v1/metrics');
  t.equal(res.status, 200);
  t.ok(Value.Check(metricsCatalog, res.body), 'the body matches its documented schema');
  t.match(res.body, { asOf: SAMPLE_END, refreshedAt: REFRESHED_AT.toISOString(), cost: { combinations: refreshed.outcome === 'empty-lake' ? -1 : refreshed.combinations } });
  t.same((res.body.ranges as { preset: string }[]).map((r) => r.preset), [...RANGES]);
  t.match(res.body.ranges, [{ preset: 'last_7_days', from: '2026-06-24', to: SAMPLE_END, previous: 'previous_7_days' }]);
  t.same((res.body.metrics as { id: string }[]).map((m) => m.id), CACHE_PLAN.map((m) => m.metric));
  t.match(res.body.metrics, [{ id: 'active_members', columns: [{ name: 'as_of', description: String }], filterSets: ['none', 'location'] }]);
  t.same((res.body.notCached as { id: string }[]).map((m) => m.id), ['member_features', 'churn_features', 'holdout_retention']);
  const docs = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, { get?: { tags?: string[] } }> }>();
  t.same(docs.paths['/v1/metrics/{metric}']?.get?.tags, ['metrics'], 'OpenAPI documents the answer route');
  t.ok(Object.keys(docs.paths).some((p) => /^\/v1\/metrics\/?$/.test(p)), 'and the list');
});

t.test('bad input: 400 with what to send instead', async (t) => {
  const huge = 'x'.repeat(10_000);
  const cases: [string, string, RegExp][] = [
    ['/v1/metrics/active_members?range=last_year', 'BAD_REQUEST', new RegExp(`^range must be one of ${RANGES.join(', ')}$`)],
    ['/v1/metrics/active_members?range=../../etc/passwd', 'BAD_REQUEST', /^range must be one of/],
    ['/v1/metrics/active_members?location=../etc/passwd', 'BAD_REQUEST', /^location must be an identifier \(letters, digits, _ \. : -, at most 64 characters\), such as downtown$/],
    ["/v1/metrics/active_members?location=' OR 1=1 --", 'BAD_REQUEST', /^location must be an identifier/],
    ['/v1/metrics/active_members?location=%22downtown%22', 'BAD_REQUEST', /^location must be an identifier/],
    [`/v1/metrics/active_members?location=${huge}`, 'BAD_REQUEST', /^location must be an identifier/],
    [`/v1/metrics/fill_by_class_type?classType=${'y'.repeat(65)}`, 'BAD_REQUEST', /^classType must be an identifier/],
    ['/v1/metrics/fill_by_class_type?instructor=a%00b', 'BAD_REQUEST', /^instructor must be an identifier/],
    ['/v1/metrics/active_members?location=downtown&location=riverside', 'BAD_REQUEST', /^location is given 2 times; give it once$/],
    ['/v1/metrics/active_members?range=last_7_days&range=last_7_days&range=last_7_days', 'BAD_REQUEST', /^range is given 3 times; give it once$/],
    ['/v1/metrics/active_members?locaton=downtown', 'BAD_REQUEST', /^unknown query parameter "locaton"; this route takes range, location, classType, instructor$/],
    [`/v1/metrics/active_members?${huge}=1`, 'BAD_REQUEST', /^unknown query parameter "x{64}"; this route takes/],
    ['/v1/metrics/no_such_metric', 'UNKNOWN_METRIC', new RegExp(`^unknown metric "no_such_metric"; the cached metrics are ${CACHE_PLAN.map((m) => m.metric).join(', ')}$`)],
    ['/v1/metrics/Active-Members', 'BAD_REQUEST', /^the metric must be a catalog id \(lowercase letters, digits and _, at most 64 characters\), such as active_members$/],
    ['/v1/metrics/..%2F..%2Fetc%2Fpasswd', 'BAD_REQUEST', /^the metric must be a catalog id/],
    ["/v1/metrics/active_members'%20--", 'BAD_REQUEST', /^the metric must be a catalog id/],
    ['/v1/metrics/active_members?location=atlantis', 'UNKNOWN_FILTER_VALUE', new RegExp(`^no location "atlantis" in the data \\(as of ${SAMPLE_END}\\); known: ${values.locations.join(', ')}$`)],
    ['/v1/metrics/fill_by_class_type?classType=zumba', 'UNKNOWN_FILTER_VALUE', new RegExp(`known: ${values.classTypes.join(', ')}$`)],
    ['/v1/metrics/instructor_performance?instructor=nobody&location=downtown', 'UNKNOWN_FILTER_VALUE', /^no instructor "nobody" in the data/],
  ];
  for (const [url, code, message] of cases) {
    const res = await get(url);
    t.equal(res.status, 400, url.slice(0, 120));
    t.match(res.headers['content-type'], /application\/json/);
    t.match(res.body, { code, message }, `${url.slice(0, 80)}: ${String(res.body.message).slice(0, 200)}`);
  }
  const longName = await get(`/v1/metrics/${huge}`);
  t.equal(longName.status, 414, 'a path segment past the router\'s 100 characters is refused before any route');
  t.match(longName.body, { code: 'FST_ERR_MAX_PARAM_LENGTH' });
  const cleared = await get('/v1/metrics/active_members?range=&location=&classType=');
  t.same(cleared.body, (await get('/v1/metrics/active_members')).body, 'empty values are no filter and the default range');
});

t.test('a combination the refresh does not compute: 404 NOT_CACHED saying what is cached', async (t) => {
  const cases: [string, RegExp][] = [
    ['/v1/metrics/member_features', /^member_features is in the analytics catalog but not cached: it is one row per member/],
    ['/v1/metrics/churn_features?range=last_7_days', /^churn_features is in the analytics catalog but not cached/],
    [`/v1/metrics/active_members?classType=${classTypeHere}`, /^active_members is cached with no filter; or location; not with classType$/],
    [`/v1/metrics/retention_cohorts?range=previous_30_days`, /^retention_cohorts is cached for range last_7_days, last_30_days, last_90_days, last_12_months; not previous_30_days$/],
    [`/v1/metrics/fill_by_class_type?classType=${classTypeHere}&instructor=${instructorHere}`, /^fill_by_class_type is cached with no filter; or location; or classType; .*; not with classType with instructor$/],
    [
      `/v1/metrics/class_fill_heatmap?location=${location}&classType=${classTypeElsewhere}`,
      new RegExp(`^no ${classTypeElsewhere} classes at ${location} in the cached period \\(2024-07-01 to ${SAMPLE_END}\\); the classType values there: ${values.classTypesByLocation[location]?.join(', ')}$`),
    ],
  ];
  for (const [url, message] of cases) {
    const res = await get(url);
    t.equal(res.status, 404, url);
    t.match(res.body, { code: 'NOT_CACHED', message }, `${url}: ${res.body.message}`);
  }
});
