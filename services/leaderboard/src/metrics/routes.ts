import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { findMetric, METRICS } from '@peak/analytics';
import type { ServiceApp } from '@peak/service-kit';
import { queryRuleFormatter } from '../refusals.js';
import { CacheUnavailableError, DEFAULT_KEY_PREFIX, META_FIELD, readCurrent, readField, type CachePointer } from './cache.js';
import { MetricsApiError, type MetricsErrorCode } from './errors.js';
import { historyField } from './history.js';
import { CACHE_PLAN, combinationField, filterSetOf, NOT_CACHED_METRICS, type Combination, type FilterSet } from './plan.js';
import type { CacheMeta } from './refresh.js';
import { answerRefusals, catalogRefusals, historyParams, memberHistory, metricAnswer, metricParams, metricQuery, METRIC_QUERY_NAMES, METRIC_QUERY_RULES, metricsCatalog } from './schemas.js';

export type MetricsRoutesOptions = {
  /** The service's client (`app.redis`); its commands fail fast while disconnected. */
  redis: Redis;
  keyPrefix?: string;
  /** A request waits this long for each Redis command at most, then answers 503 (a hung Redis never hangs a request). */
  redisTimeoutMs?: number;
  /** Retry-After of the 503s, in seconds. */
  retryAfterSeconds?: number;
};

export const DEFAULT_REDIS_READ_TIMEOUT_MS = 500;
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

const WARMING_MESSAGE =
  'the metrics cache is warming: no refresh has completed yet (one runs each time a batch is processed, and the cache expires 7 days after the last one); try again shortly';

const FILTER_SET_WORDS: Record<FilterSet, string> = {
  none: 'no filter',
  location: 'location',
  classType: 'classType',
  'location+classType': 'location with classType (pairs on the schedule)',
  instructor: 'instructor',
  'location+instructor': 'location with instructor (pairs on the schedule)',
};

/** The filter of a request whose value the lake does not have, with the values it has. */
function unknownFilterValue(meta: CacheMeta, filters: Combination['filters']): MetricsApiError | undefined {
  const known = { location: meta.filterValues.locations, classType: meta.filterValues.classTypes, instructor: meta.filterValues.instructors };
  for (const name of ['location', 'classType', 'instructor'] as const) {
    const value = filters[name];
    if (value !== undefined && !known[name].includes(value)) {
      const list = known[name].length ? `known: ${known[name].join(', ')}` : 'the lake has none yet';
      return new MetricsApiError('UNKNOWN_FILTER_VALUE', `no ${name} ${JSON.stringify(value)} in the data (as of ${meta.asOf}); ${list}`);
    }
  }
  return undefined;
}

/** Why a well-formed request has no cached answer, in words that say what is cached instead. */
function explainMiss(meta: CacheMeta, { metric, range, filters }: Combination): MetricsApiError {
  const planned = meta.metrics.find((m) => m.id === metric);
  if (!planned) return new MetricsApiError('NOT_CACHED', `${metric} is not cached; the cached metrics are ${meta.metrics.map((m) => m.id).join(', ')}`);
  const unknown = unknownFilterValue(meta, filters);
  if (unknown) return unknown;
  if (!planned.ranges.includes(range)) return new MetricsApiError('NOT_CACHED', `${metric} is cached for range ${planned.ranges.join(', ')}; not ${range}`);
  const set = filterSetOf(filters);
  if (!set || !planned.filterSets.includes(set)) {
    const asked = Object.keys(filters).join(' with ');
    return new MetricsApiError('NOT_CACHED', `${metric} is cached with ${planned.filterSets.map((s) => FILTER_SET_WORDS[s]).join('; or ')}; not with ${asked}`);
  }
  const [name, pairs] = filters.classType !== undefined ? ['classType', meta.filterValues.classTypesByLocation] : ['instructor', meta.filterValues.instructorsByLocation];
  const atLocation = pairs[filters.location ?? '']?.join(', ') || 'none';
  return new MetricsApiError('NOT_CACHED', `no ${filters.classType ?? filters.instructor} classes at ${filters.location} in the cached period (${meta.ranges.map((r) => r.from).sort()[0]} to ${meta.asOf}); the ${name} values there: ${atLocation}`);
}

/** Refuses a query parameter the route does not take or one given twice; an empty value is the same as none. */
const checkQueryNames = (names: readonly string[]) => async (request: FastifyRequest) => {
  const query = request.query as Record<string, unknown>;
  for (const [name, value] of Object.entries(query)) {
    if (!names.includes(name)) {
      const takes = names.length ? `this route takes ${names.join(', ')}` : 'this route takes none';
      throw new MetricsApiError('BAD_REQUEST', `unknown query parameter ${JSON.stringify(name.slice(0, 64))}; ${takes}`);
    }
    if (Array.isArray(value)) throw new MetricsApiError('BAD_REQUEST', `${name} is given ${value.length} times; give it once`);
    if (value === '') delete query[name]; // `?location=` (a cleared filter) is the same as no location
  }
};

/** The refresher stored the response body itself: sent as it is, without parsing and serialising it again. */
function sendStored(reply: FastifyReply, body: string): void {
  reply.type('application/json; charset=utf-8').send(body);
}

/** `/v1/metrics` (the register prefix): the analytics catalog's metrics as the last refresh computed them, from Redis only. */
export async function metricsRoutes(app: ServiceApp, opts: MetricsRoutesOptions): Promise<void> {
  const { redis } = opts;
  const prefix = opts.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const timeoutMs = opts.redisTimeoutMs ?? DEFAULT_REDIS_READ_TIMEOUT_MS;
  const retryAfter = String(opts.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);

  // Said in full, not as the shell's generic 5xx: what to do is wait, and the code alone does not say how long.
  const unavailable = (reply: FastifyReply, code: MetricsErrorCode, message: string) => {
    reply.code(503).header('retry-after', retryAfter).send({ code, message });
  };
  /** Answers from the cache with `work`: a Redis down or too slow is a 503 with Retry-After; no refresh yet is WARMING. */
  const fromCache = async (reply: FastifyReply, work: (pointer: CachePointer) => Promise<void>): Promise<void> => {
    try {
      const pointer = await readCurrent(redis, prefix, timeoutMs);
      if (pointer) await work(pointer);
      else unavailable(reply, 'WARMING', WARMING_MESSAGE);
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
      reply.log.warn({ err: err.message }, 'metrics cache unavailable'); // the details (hosts, ports) stay in the log
      unavailable(reply, 'CACHE_UNAVAILABLE', `the metrics cache (Redis) is not answering; try again in ${retryAfter} s`);
    }
  };
  const readMeta = async (pointer: CachePointer): Promise<CacheMeta | undefined> => {
    const raw = await readField(redis, prefix, pointer, META_FIELD, timeoutMs);
    return raw === null ? undefined : (JSON.parse(raw) as CacheMeta);
  };

  app.setSchemaErrorFormatter(queryRuleFormatter(METRIC_QUERY_RULES));

  app.get(
    '/',
    {
      schema: {
        tags: ['metrics'],
        summary: 'What the metrics cache holds',
        description:
          'The last refresh (`asOf`: the lake\'s last day of data; `refreshedAt`), every range preset and its days, the filter values, and for each cached metric the ranges ' +
          'and filter combinations cached and its columns. 503 WARMING until the first refresh after a batch.',
        response: { 200: metricsCatalog, ...catalogRefusals },
      },
    },
    (_request, reply) =>
      fromCache(reply, async (pointer) => {
        const meta = await readMeta(pointer);
        if (!meta) return unavailable(reply, 'WARMING', WARMING_MESSAGE);
        const cached = new Set(meta.metrics.map((m) => m.id));
        reply.send({
          asOf: meta.asOf, refreshedAt: meta.refreshedAt, ranges: meta.ranges, filterValues: meta.filterValues,
          cost: { ...meta.cost, histories: meta.cost.histories ?? 0 }, // a generation written before histories existed has none
          metrics: meta.metrics.map((m) => ({ ...m, columns: [...findMetric(m.id).columns] })),
          notCached: METRICS.filter((m) => !cached.has(m.id)).map((m) => ({ id: m.id, reason: NOT_CACHED_METRICS[m.id] ?? 'not in the refresh plan' })),
        });
      }),
  );

  // Its own path below `members/`: a member id can never be taken for a metric id, nor the reverse.
  app.get(
    '/members/:memberId/history',
    {
      schema: {
        tags: ['metrics'],
        summary: 'An at-risk member\'s recent history, from the cache',
        description:
          'The drill-down of the at_risk_members table: the member\'s profile (dim_members), their at_risk_members row, check-ins per local week for the 26 weeks ' +
          'ending with asOf\'s week, their last 10 check-ins (local day and time, studio, class) and their bookings for the classes of the 90 days ending on asOf by ' +
          'status — computed by the same refresh as the metrics, never a query on the lake. Only the members at risk as of `asOf` (the rows of ' +
          'GET /v1/metrics/at_risk_members) have one: any other member id is a 404 NO_HISTORY. 503 WARMING before the first refresh; 503 CACHE_UNAVAILABLE when Redis is down.',
        params: historyParams,
        response: { 200: memberHistory, ...answerRefusals },
      },
      preValidation: checkQueryNames([]),
    },
    async (request, reply) => {
      const { memberId } = request.params;
      return fromCache(reply, async (pointer) => {
        const history = await readField(redis, prefix, pointer, historyField(memberId), timeoutMs);
        if (history !== null) return sendStored(reply, history);
        const meta = await readMeta(pointer);
        if (!meta) return unavailable(reply, 'WARMING', WARMING_MESSAGE);
        throw new MetricsApiError(
          'NO_HISTORY',
          `no history cached for ${memberId}: histories are kept for the ${meta.cost.histories ?? 0} members at risk as of ${meta.asOf} (the at-risk list is GET /v1/metrics/at_risk_members)`,
        );
      });
    },
  );

  app.get(
    '/:metric',
    {
      schema: {
        tags: ['metrics'],
        summary: 'One metric for a range and filters, from the cache',
        description:
          'The rows of a catalog metric (docs/metrics.md) for a range preset ending on the lake\'s last day and optional location, classType or instructor, as the ' +
          'last refresh computed them: never a query on the lake. `asOf` and `refreshedAt` say how fresh it is. A combination the refresh does not compute is a 404 ' +
          'NOT_CACHED saying what is cached (GET /v1/metrics lists it all); 503 WARMING before the first refresh; 503 CACHE_UNAVAILABLE when Redis is down.',
        params: metricParams,
        querystring: metricQuery,
        response: { 200: metricAnswer, ...answerRefusals },
      },
      preValidation: checkQueryNames(METRIC_QUERY_NAMES),
    },
    async (request, reply) => {
      const { metric } = request.params;
      const { range, ...filters } = request.query;
      if (!METRICS.some((m) => m.id === metric)) {
        throw new MetricsApiError('UNKNOWN_METRIC', `unknown metric ${JSON.stringify(metric)}; the cached metrics are ${CACHE_PLAN.map((m) => m.metric).join(', ')}`);
      }
      const leftOut = NOT_CACHED_METRICS[metric];
      if (leftOut) throw new MetricsApiError('NOT_CACHED', `${metric} is in the analytics catalog but not cached: ${leftOut}`);
      const combination: Combination = { metric, range, filters };
      return fromCache(reply, async (pointer) => {
        const answer = await readField(redis, prefix, pointer, combinationField(combination), timeoutMs);
        if (answer !== null) return sendStored(reply, answer);
        const meta = await readMeta(pointer);
        if (!meta) return unavailable(reply, 'WARMING', WARMING_MESSAGE);
        throw explainMiss(meta, combination);
      });
    },
  );
}
