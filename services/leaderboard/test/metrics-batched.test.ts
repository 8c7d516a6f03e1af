/**
 * The batched metrics of the plan (fill_by_class_type, class_fill_heatmap, instructor_performance) over the sample
 * lake: one query per batch kind and range, and yet every stored body is byte for byte the one a refresh running one
 * query per combination stores, and a sample of the served combinations (every metric and range) is what runMetric answers.
 */
import t from 'tap';
import { runMetric } from '@peak/analytics';
import { useRedis } from '@peak/service-kit/testing';
import { DEFAULT_KEY_PREFIX, generationKey, readCurrent } from '../src/metrics/cache.js';
import { CACHE_PLAN, planCombinations, rangeDates, type CachedMetric, type FilterValues } from '../src/metrics/plan.js';
import { refreshMetricsCache } from '../src/metrics/refresh.js';
import { GatedEngine, metricsApp, redisClient, sampleLake, SAMPLE_END } from './metrics-helpers.js';

const lake = await sampleLake(t, t.testdir());
const redis = await redisClient(t, (await useRedis(t)).url);
const REFRESHED_AT = new Date('2026-07-01T06:00:00.000Z');
const BATCHED = CACHE_PLAN.filter((m) => m.batch !== undefined);
const counting = new GatedEngine(lake.engine);
const refreshed = await refreshMetricsCache({ engine: counting, redis, plan: BATCHED, now: () => REFRESHED_AT });
const app = await metricsApp(t, { redis });
// The same plan refreshed one query per combination, under its own keys: what every batched answer must equal.
const UNBATCHED_PREFIX = '{metrics-unbatched}';
const perCombination = await refreshMetricsCache({ engine: lake.engine, redis, plan: BATCHED.map(({ batch: _batch, ...m }) => m), keyPrefix: UNBATCHED_PREFIX, now: () => REFRESHED_AT });
const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

t.test('the plan batches the three class metrics', async (t) => {
  t.same(BATCHED.map((m) => `${m.metric}: ${m.batch}`), ['fill_by_class_type: fill-grain', 'class_fill_heatmap: fill-grain', 'instructor_performance: by-filter-key']);
});

t.test('they cost one query per batch kind and range', async (t) => {
  const rangesOf = (kind: CachedMetric['batch']) => new Set(BATCHED.filter((m) => m.batch === kind).flatMap((m) => m.ranges));
  const expected = rangesOf('fill-grain').size + rangesOf('by-filter-key').size;
  t.equal(expected, 12, '8 ranges of fill (both fill metrics share them), 4 of instructor_performance');
  t.match(refreshed, { outcome: 'refreshed', asOf: SAMPLE_END, queries: expected, histories: 0 });
  t.equal(counting.queries, expected + 3, 'and 3 to find asOf and the filter values');
  if (refreshed.outcome !== 'refreshed') return;
  t.ok(refreshed.combinations > 500, `for ${refreshed.combinations} combinations`);
});

t.test('a served combination is what runMetric answers (every 7th, all metrics and ranges)', async (t) => {
  const catalog = (await app.inject({ method: 'GET', url: '/v1/metrics' })).json<{ filterValues: FilterValues }>();
  const combinations = planCombinations(BATCHED, catalog.filterValues);
  t.equal(combinations.length, refreshed.outcome === 'refreshed' ? refreshed.combinations : -1, 'all of them');
  // runMetric costs a few queries per call (~20 ms): every 7th combination (all metrics, ranges and filters appear),
  // and the next test holds every stored body to the one-query-per-combination refresh's.
  const sample = combinations.filter((_, i) => i % 7 === 0);
  let rows = 0;
  let same = 0;
  let empty = 0;
  for (const { metric, range, filters } of sample) {
    const { from, to } = rangeDates(range, SAMPLE_END);
    const url = `/v1/metrics/${metric}?${new URLSearchParams({ range, ...filters }).toString()}`;
    const res = await app.inject({ method: 'GET', url });
    const body = res.json<{ columns: unknown; rows: unknown[] }>();
    const expected = await runMetric(lake.engine, { metric, filters: { from, to, ...filters } });
    // One assertion per combination would be ~150 lines of output: count, and report the ones that differ.
    const ok = res.statusCode === 200 && JSON.stringify(body.columns) === JSON.stringify(expected.columns) && JSON.stringify(body.rows) === JSON.stringify(expected.rows);
    if (ok) same++;
    else {
      t.same(body.columns, json(expected.columns), `${url}: columns`);
      t.same(body.rows, json(expected.rows), `${url}: rows`);
    }
    rows += expected.rows.length;
    if (expected.rows.length === 0) empty++;
  }
  t.same(new Set(sample.map((c) => c.metric)), new Set(BATCHED.map((m) => m.metric)), 'the sample has every metric');
  t.same(new Set(sample.map((c) => c.range)), new Set(combinations.map((c) => c.range)), 'and every range');
  t.equal(same, sample.length, `${same} of ${sample.length} combinations: the columns and rows runMetric gives (${rows} rows)`);
  t.ok(empty < sample.length / 10, `${empty} of them empty (a filter value without classes in a short range)`);
});

t.test('every body is byte for byte what one query per combination stores', async (t) => {
  if (perCombination.outcome !== 'refreshed' || refreshed.outcome !== 'refreshed') return t.fail('both refreshes complete');
  t.ok(perCombination.queries > 20 * refreshed.queries, `${perCombination.queries} queries one per combination, ${refreshed.queries} batched`);
  const fields = async (keyPrefix: string) => {
    const pointer = await readCurrent(redis, keyPrefix, 1000);
    const all = await redis.hgetall(generationKey(keyPrefix, pointer?.generation ?? ''));
    return Object.entries(all).filter(([field]) => field.startsWith('answer|')).sort(([a], [b]) => (a < b ? -1 : 1));
  };
  const batched = await fields(DEFAULT_KEY_PREFIX);
  const expected = await fields(UNBATCHED_PREFIX);
  t.equal(batched.length, refreshed.combinations, 'one field per combination');
  t.same(batched.map(([field]) => field), expected.map(([field]) => field), 'the same fields');
  const differ = batched.filter(([field, body], i) => expected[i]?.[0] !== field || expected[i]?.[1] !== body).map(([field]) => field);
  t.same(differ, [], `all ${batched.length} bodies identical`);
});
