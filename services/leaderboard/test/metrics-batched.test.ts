/**
 * The batched metrics of the plan (fill_by_class_type, class_fill_heatmap, instructor_performance) over the sample
 * lake: one query per batch kind and range, and yet **every** combination served is what runMetric answers for it,
 * and every stored body is byte for byte the one a refresh running one query per combination stores.
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

t.test('every combination served is what runMetric answers', async (t) => {
  const catalog = (await app.inject({ method: 'GET', url: '/v1/metrics' })).json<{ filterValues: FilterValues }>();
  const combinations = planCombinations(BATCHED, catalog.filterValues);
  t.equal(combinations.length, refreshed.outcome === 'refreshed' ? refreshed.combinations : -1, 'all of them');
  let rows = 0;
  let same = 0;
  let empty = 0;
  for (const { metric, range, filters } of combinations) {
    const { from, to } = rangeDates(range, SAMPLE_END);
    const url = `/v1/metrics/${metric}?${new URLSearchParams({ range, ...filters }).toString()}`;
    const res = await app.inject({ method: 'GET', url });
    const body = res.json<{ columns: unknown; rows: unknown[] }>();
    const expected = await runMetric(lake.engine, { metric, filters: { from, to, ...filters } });
    // One assertion per combination would be ~1,000 lines of output: count, and report the ones that differ.
    const ok = res.statusCode === 200 && JSON.stringify(body.columns) === JSON.stringify(expected.columns) && JSON.stringify(body.rows) === JSON.stringify(expected.rows);
    if (ok) same++;
    else {
      t.same(body.columns, json(expected.columns), `${url}: columns`);
      t.same(body.rows, json(expected.rows), `${url}: rows`);
    }
    rows += expected.rows.length;
    if (expected.rows.length === 0) empty++;
  }
  t.equal(same, combinations.length, `${same} of ${combinations.length} combinations: the columns and rows runMetric gives (${rows} rows)`);
  t.ok(empty < combinations.length / 10, `${empty} of them empty (a filter value without classes in a short range)`);
});

t.test('every body is byte for byte what one query per combination stores', async (t) => {
  const unbatched = BATCHED.map(({ batch: _batch, ...m }) => m);
  const prefix = '{metrics-unbatched}';
  const perCombination = await refreshMetricsCache({ engine: lake.engine, redis, plan: unbatched, keyPrefix: prefix, now: () => REFRESHED_AT });
  if (perCombination.outcome !== 'refreshed' || refreshed.outcome !== 'refreshed') return t.fail('both refreshes complete');
  t.ok(perCombination.queries > 20 * refreshed.queries, `${perCombination.queries} queries one per combination, ${refreshed.queries} batched`);
  const fields = async (keyPrefix: string) => {
    const pointer = await readCurrent(redis, keyPrefix, 1000);
    const all = await redis.hgetall(generationKey(keyPrefix, pointer?.generation ?? ''));
    return Object.entries(all).filter(([field]) => field.startsWith('answer|')).sort(([a], [b]) => (a < b ? -1 : 1));
  };
  const batched = await fields(DEFAULT_KEY_PREFIX);
  const expected = await fields(prefix);
  t.equal(batched.length, refreshed.combinations, 'one field per combination');
  t.same(batched.map(([field]) => field), expected.map(([field]) => field), 'the same fields');
  const differ = batched.filter(([field, body], i) => expected[i]?.[0] !== field || expected[i]?.[1] !== body).map(([field]) => field);
  t.same(differ, [], `all ${batched.length} bodies identical`);
});
