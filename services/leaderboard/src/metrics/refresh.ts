import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { checkFilters, dateParam, findMetric, resolveOptions, sql, type QueryEngine, type QueryResult, type Row, type Sql } from '@peak/analytics';
import { lakeEnd } from '@peak/churn';
import { flipGeneration, generationKey, DEFAULT_KEY_PREFIX, META_FIELD, withDeadline, writeGeneration, type CachePointer } from './cache.js';
import { batchQuery, checkBatch, deriveAnswer, type Answer } from './derive.js';
import { buildHistories, historyField, historyQueries } from './history.js';
import { CACHE_PLAN, combinationField, planCombinations, rangeDates, RANGES, type BatchKind, type CachedMetric, type Combination, type FilterSet, type FilterValues, type RangeDates, type RangePreset } from './plan.js';

export type RefreshMetricsOptions = {
  engine: QueryEngine;
  redis: Redis;
  /** The clock of `refreshedAt` and of the order between refreshes (tests fix it). */
  now?: () => Date;
  /** What to compute (default CACHE_PLAN; tests use a smaller one). */
  plan?: readonly CachedMetric[];
  keyPrefix?: string;
  /** Queries run at once (DuckDB shares the process's cores; Athena queues per workgroup). */
  concurrency?: number;
  queryTimeoutMs?: number;
  redisTimeoutMs?: number;
};

/** What the refresher stores as `meta`: the refresh, what it covers and what it cost; the list route serves it. */
export type CacheMeta = {
  generation: string;
  asOf: string;
  refreshedAt: string;
  startedAt: string;
  ranges: RangeDates[];
  filterValues: FilterValues;
  metrics: { id: string; title: string; category: string; ranges: RangePreset[]; filterSets: FilterSet[]; panel: string }[];
  /** `histories`: members with a `history|…` field (the at-risk members as of asOf); their queries are in `queries`. */
  cost: { combinations: number; queries: number; histories: number; elapsedMs: number };
};

export type MetricsRefreshResult =
  | ({ outcome: 'refreshed' | 'superseded' } & Pick<CacheMeta, 'generation' | 'asOf' | 'refreshedAt'> & CacheMeta['cost'])
  | { outcome: 'empty-lake'; elapsedMs: number };

export const DEFAULT_REFRESH_CONCURRENCY = 2;
/** A refresh runs in the background: a slow query may take long, a stuck one must not block the next batch's refresh. */
export const DEFAULT_REFRESH_QUERY_TIMEOUT_MS = 120_000;
export const DEFAULT_REFRESH_REDIS_TIMEOUT_MS = 10_000;

/** Locations (of classes or home studios) and the class types and instructors on the schedule from `from` to `to`. */
async function readFilterValues(engine: QueryEngine, from: string, to: string, timeoutMs: number): Promise<FilterValues> {
  const locationsSql = 'SELECT location_id AS value FROM dim_classes UNION SELECT home_location_id FROM dim_members';
  const locations = await engine.query(`SELECT DISTINCT value FROM (${locationsSql}) AS known WHERE value IS NOT NULL ORDER BY value`, { timeoutMs });
  const schedule = sql`SELECT DISTINCT location_id, class_type, instructor_id FROM dim_classes
  WHERE local_date BETWEEN ${dateParam(from)} AND ${dateParam(to)} ORDER BY location_id, class_type, instructor_id`;
  const scheduled = await engine.query(schedule.text, { params: schedule.params, timeoutMs });
  const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
  const pairs = (column: 'class_type' | 'instructor_id') => {
    const byLocation: Record<string, string[]> = {};
    for (const row of scheduled.rows) (byLocation[String(row.location_id)] ??= []).push(String(row[column]));
    return Object.fromEntries(Object.entries(byLocation).map(([location, values]) => [location, sorted(values)]));
  };
  return {
    locations: locations.rows.map((r) => String(r.value)),
    classTypes: sorted(scheduled.rows.map((r) => String(r.class_type))),
    instructors: sorted(scheduled.rows.map((r) => String(r.instructor_id))),
    classTypesByLocation: pairs('class_type'),
    instructorsByLocation: pairs('instructor_id'),
  };
}

/** Runs `work` on every item, at most `limit` at a time, keeping the items' order. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** One combination as runMetric would run it: the catalog's SQL with the options' defaults. */
function buildCombination(combination: Combination, asOf: string) {
  const metric = findMetric(combination.metric);
  const range = rangeDates(combination.range, asOf);
  const filters = checkFilters({ from: range.from, to: range.to, ...combination.filters });
  const options = resolveOptions(metric);
  return { combination, metric, range, options, query: metric.build(filters, options) };
}
type Built = ReturnType<typeof buildCombination>;

type BatchJob = { kind: BatchKind; range: RangeDates; combinations: Built[] };

/** The queries of a plan's batched combinations: one per batch kind and range, with the combinations each answers. */
function batchJobs(plan: readonly CachedMetric[], built: readonly Built[]): (BatchJob & { query: Sql })[] {
  const kindOf = new Map<string, BatchKind>();
  for (const { metric, batch } of plan) {
    if (batch === undefined) continue;
    checkBatch(metric, batch);
    kindOf.set(metric, batch);
  }
  const jobs = new Map<string, BatchJob>();
  for (const b of built) {
    const kind = kindOf.get(b.metric.id);
    if (kind === undefined) continue;
    const id = `${kind}|${b.range.preset}`;
    const job = jobs.get(id) ?? { kind, range: b.range, combinations: [] };
    job.combinations.push(b);
    jobs.set(id, job);
  }
  return [...jobs.values()].map((job) => ({ ...job, query: batchQuery(job.kind, job.range.from, job.range.to, job.combinations.map((b) => b.combination.filters)) }));
}

/**
 * The members listed by the plan's unfiltered at_risk_members answer as of asOf: the same for every current range (the
 * list depends on `to` only). None when the plan does not cache that answer (no table to drill down from).
 */
function atRiskRowsOf(built: readonly Built[], resultOf: (query: Sql) => QueryResult | undefined, asOf: string): Row[] {
  const answer = built.find((b) => b.metric.id === 'at_risk_members' && b.range.to === asOf && Object.keys(b.combination.filters).length === 0);
  return answer ? (resultOf(answer.query)?.rows ?? []) : [];
}

/**
 * Computes every combination of the plan over the lake as it is now and makes it the cache's current generation
 * (see cache.ts). Runs on `batch-processed`, never on the request path. The lake's last day with a check-in is the
 * answers' `asOf`, and every range preset ends on it. The combinations of a batched metric (plan.ts, `batch`) come
 * from one query per batch kind and range, run first (they are the long ones), each answer worked out from its rows
 * (derive.ts); every other combination runs the catalog's SQL, once per distinct SQL (e.g. `active_members` only
 * reads the days up to `to`). The filter values come from the lake itself, so runMetric's look-up of each value is
 * skipped: the rows are the same, with one query per combination instead of up to three. Then the at-risk members'
 * histories (history.ts), from their rows, into the same generation.
 */
export async function refreshMetricsCache(options: RefreshMetricsOptions): Promise<MetricsRefreshResult> {
  const { engine, redis } = options;
  const now = options.now ?? (() => new Date());
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_REFRESH_QUERY_TIMEOUT_MS;
  const redisTimeoutMs = options.redisTimeoutMs ?? DEFAULT_REFRESH_REDIS_TIMEOUT_MS;
  const startedAt = now().toISOString();
  const clock = performance.now();
  const elapsedMs = () => Math.round(performance.now() - clock);

  const asOf = await lakeEnd(engine);
  if (asOf === undefined) return { outcome: 'empty-lake', elapsedMs: elapsedMs() };
  const ranges = RANGES.map((preset) => rangeDates(preset, asOf));
  const earliest = ranges.map((r) => r.from).sort()[0] ?? asOf;
  const filterValues = await readFilterValues(engine, earliest, asOf, timeoutMs);
  const plan = options.plan ?? CACHE_PLAN;
  const built = planCombinations(plan, filterValues).map((c) => buildCombination(c, asOf));

  const concurrency = options.concurrency ?? DEFAULT_REFRESH_CONCURRENCY;
  const run = (query: Sql) => engine.query(query.text, { params: query.params, timeoutMs });
  const sameSql = (query: Sql) => JSON.stringify([query.text, query.params]);
  // The batch queries first (the long ones), then each distinct SQL of the other combinations.
  const batches = batchJobs(plan, built);
  const batchOf = new Map(batches.flatMap((job, i) => job.combinations.map((b) => [b, { kind: job.kind, index: i }] as const)));
  const distinct = new Map<string, Sql>();
  for (const b of built) if (!batchOf.has(b)) distinct.set(sameSql(b.query), b.query);
  const queries = [...batches.map((job) => job.query), ...distinct.values()];
  const results = await mapConcurrently(queries, concurrency, run);
  const resultBySql = new Map<string, QueryResult>(queries.map((query, i) => [sameSql(query), results[i] as QueryResult]));
  const resultOf = (query: Sql) => resultBySql.get(sameSql(query));
  const answerOf = (b: Built): Answer | undefined => {
    const batch = batchOf.get(b);
    return batch ? deriveAnswer(batch.kind, b.metric.id, results[batch.index] as QueryResult, b.combination.filters) : resultOf(b.query);
  };

  const atRisk = atRiskRowsOf(built, resultOf, asOf);
  const historyJobs = historyQueries(atRisk.map((r) => String(r.member_id)), asOf);
  const historyRows = await mapConcurrently(historyJobs, concurrency, async ({ part, query }) => ({ part, rows: (await run(query)).rows }));

  const refreshedAt = now().toISOString();
  const generation = `${startedAt.replace(/[^0-9]/g, '')}-${randomBytes(4).toString('hex')}`;
  const fields = new Map<string, string>();
  for (const b of built) {
    const { combination, metric, range, options: values } = b;
    const result = answerOf(b);
    // The response body itself, asOf and refreshedAt included: the route sends it as stored.
    const body = { metric: metric.id, title: metric.title, asOf, refreshedAt, range, filters: combination.filters, options: values, columns: result?.columns ?? [], rows: result?.rows ?? [] };
    fields.set(combinationField(combination), JSON.stringify(body));
  }
  const histories = buildHistories(atRisk, asOf, refreshedAt, historyRows);
  for (const [memberId, body] of histories) fields.set(historyField(memberId), body);
  const cost = { combinations: built.length, queries: queries.length + historyJobs.length, histories: histories.size, elapsedMs: elapsedMs() };
  const meta: CacheMeta = {
    generation, asOf, refreshedAt, startedAt, ranges, filterValues, cost,
    metrics: plan.map(({ metric, ranges: metricRanges, filterSets, panel }) => {
      const m = findMetric(metric);
      return { id: m.id, title: m.title, category: m.category, ranges: [...metricRanges], filterSets: [...filterSets], panel };
    }),
  };
  fields.set(META_FIELD, JSON.stringify(meta));

  const key = generationKey(prefix, generation);
  const pointer: CachePointer = { generation, asOf, refreshedAt, startedAt };
  try {
    await writeGeneration(redis, key, fields, redisTimeoutMs);
    const flipped = (await flipGeneration(redis, prefix, pointer, redisTimeoutMs)) === 'flipped';
    if (!flipped) await withDeadline(redis.del(key), redisTimeoutMs, `deleting ${key}`);
    return { outcome: flipped ? 'refreshed' : 'superseded', generation, asOf, refreshedAt, ...cost, elapsedMs: elapsedMs() };
  } catch (err) {
    // It would expire anyway; no need to keep a half-written generation for a week.
    await withDeadline(redis.del(key), redisTimeoutMs, `deleting ${key}`).catch(() => undefined);
    throw err;
  }
}

/**
 * One refresh at a time per process, however many `batch-processed` messages arrive: a request during a refresh
 * queues exactly one more (it must see the batch that just landed), and every request waiting for it shares it.
 */
export function coalescedRefresher(refresh: () => Promise<MetricsRefreshResult>): () => Promise<MetricsRefreshResult> {
  let running: Promise<MetricsRefreshResult> | undefined;
  let queued: Promise<MetricsRefreshResult> | undefined;
  const start = (): Promise<MetricsRefreshResult> => {
    const run = refresh().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };
  return () => {
    if (!running) return start();
    queued ??= running.catch(() => undefined).then(() => {
      queued = undefined;
      return start();
    });
    return queued;
  };
}
