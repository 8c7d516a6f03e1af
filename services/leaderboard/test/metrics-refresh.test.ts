/**
 * The refresher's guarantees, with a small plan: no answer before the first refresh (503 WARMING), a refresh is all
 * or nothing (readers keep the previous one until the flip; a failed one leaves nothing behind), the later refresh
 * wins, the TTLs are a week (a replaced generation a minute), bursts of batches coalesce; and a Redis that is down or
 * hangs is a 503 with Retry-After within the deadline, never a hang.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DuckDbEngine } from '@peak/analytics';
import { silentEndpoint, useRedis } from '@peak/service-kit/testing';
import { CACHE_TTL_SECONDS, CacheUnavailableError, DEFAULT_KEY_PREFIX, REPLACED_GRACE_SECONDS } from '../src/metrics/cache.js';
import type { CachedMetric } from '../src/metrics/plan.js';
import { coalescedRefresher, refreshMetricsCache, type MetricsRefreshResult } from '../src/metrics/refresh.js';
import { GatedEngine, metricsApp, redisClient, sampleLake, SAMPLE_END } from './metrics-helpers.js';

const dir = t.testdir();
const lake = await sampleLake(t, dir);
const SMALL_PLAN: CachedMetric[] = [{ metric: 'active_members', ranges: ['last_7_days', 'last_30_days'], filterSets: ['none', 'location'], panel: 'test' }];
const at = (hour: number) => () => new Date(Date.UTC(2026, 6, 1, hour));
const URL_ALL = '/v1/metrics/active_members?range=last_7_days';

t.test('before any refresh: 503 WARMING with Retry-After; an empty lake refreshes nothing', async (t) => {
  const redis = await redisClient(t, (await useRedis(t)).url);
  const app = await metricsApp(t, { redis, retryAfterSeconds: 7 });
  for (const url of ['/v1/metrics', URL_ALL]) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 503, url);
    t.equal(res.headers['retry-after'], '7');
    t.match(res.json(), { code: 'WARMING', message: /^the metrics cache is warming: no refresh has completed yet/ });
  }
  const emptyRoot = join(dir, 'empty-lake');
  mkdirSync(emptyRoot, { recursive: true });
  const empty = new DuckDbEngine({ lakeRoot: emptyRoot, timeZone: lake.timeZone });
  t.teardown(() => empty.close());
  t.match(await refreshMetricsCache({ engine: empty, redis, plan: SMALL_PLAN }), { outcome: 'empty-lake' });
  t.equal((await app.inject({ method: 'GET', url: URL_ALL })).statusCode, 503, 'still warming');
  t.same(await redis.keys('*'), [], 'nothing written');
});

t.test('a refresh is all or nothing, and the later one wins', async (t) => {
  const redis = await redisClient(t, (await useRedis(t)).url);
  const app = await metricsApp(t, { redis });
  const refreshedAt = async () => (await app.inject({ method: 'GET', url: URL_ALL })).json<{ refreshedAt?: string; code?: string }>().refreshedAt;
  const generations = () => redis.keys(`${DEFAULT_KEY_PREFIX}:gen:*`);

  const first = await refreshMetricsCache({ engine: lake.engine, redis, plan: SMALL_PLAN, now: at(1) });
  t.match(first, { outcome: 'refreshed', asOf: SAMPLE_END, combinations: 10, queries: 5 }, 'active_members reads only `to`: the two ranges share their SQL');
  t.equal(await refreshedAt(), at(1)().toISOString());
  t.ok((await redis.ttl(`${DEFAULT_KEY_PREFIX}:current`)) > CACHE_TTL_SECONDS - 60, 'the pointer lives a week');

  // Held mid-way: readers still get the first refresh, and its generation is the only one.
  const gated = new GatedEngine(lake.engine);
  gated.hold();
  const second = refreshMetricsCache({ engine: gated, redis, plan: SMALL_PLAN, now: at(2) });
  await gated.waiting;
  t.equal(await refreshedAt(), at(1)().toISOString(), 'during a refresh, the previous one is served');
  t.equal((await generations()).length, 1);
  gated.release();
  t.match(await second, { outcome: 'refreshed' });
  t.equal(await refreshedAt(), at(2)().toISOString(), 'after the flip, the new one');
  const ttls = await Promise.all((await generations()).map((key) => redis.ttl(key)));
  t.same(ttls.map((s) => (s > REPLACED_GRACE_SECONDS ? 'week' : 'grace')).sort(), ['grace', 'week'], 'the replaced generation stays a minute for readers already on it');

  // A refresh that fails half-way leaves the current one and no generation of its own.
  const failing = new GatedEngine(lake.engine);
  failing.failAfter = 4;
  await t.rejects(refreshMetricsCache({ engine: failing, redis, plan: SMALL_PLAN, now: at(3) }), /query 5 failed on purpose/);
  t.equal(await refreshedAt(), at(2)().toISOString(), 'a failed refresh changes nothing');
  t.equal((await generations()).length, 2, 'and leaves no generation behind');

  // An older refresh finishing after a newer one does not replace it.
  const slow = new GatedEngine(lake.engine);
  slow.hold();
  const older = refreshMetricsCache({ engine: slow, redis, plan: SMALL_PLAN, now: at(4) });
  await slow.waiting;
  t.match(await refreshMetricsCache({ engine: lake.engine, redis, plan: SMALL_PLAN, now: at(5) }), { outcome: 'refreshed' });
  slow.release();
  t.match(await older, { outcome: 'superseded' }, 'the refresh that started first, on an older lake, is superseded');
  t.equal(await refreshedAt(), at(5)().toISOString(), 'the later refresh is served');
  t.notOk((await generations()).some((key) => key.includes('20260701040000')), 'and the superseded generation is deleted');
});

t.test('a burst of batches: one refresh at a time, and exactly one more after it', async (t) => {
  let runs = 0;
  let finish: (() => void) | undefined;
  const refresh = coalescedRefresher(async (): Promise<MetricsRefreshResult> => {
    runs += 1;
    await new Promise<void>((resolve) => (finish = resolve));
    return { outcome: 'empty-lake', elapsedMs: runs };
  });
  const first = refresh();
  const burst = [refresh(), refresh(), refresh()];
  t.equal(runs, 1, 'the burst waits for the running refresh');
  finish?.();
  await first;
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(runs, 2, 'then one refresh for the whole burst');
  finish?.();
  t.same((await Promise.all(burst)).map((r) => r.elapsedMs), [2, 2, 2], 'which every caller of the burst shares');
});

t.test('Redis down or hung: 503 CACHE_UNAVAILABLE with Retry-After within the deadline, never a hang', async (t) => {
  const server = await useRedis(t);
  const redis = await redisClient(t, server.url);
  await refreshMetricsCache({ engine: lake.engine, redis, plan: SMALL_PLAN });
  const app = await metricsApp(t, { redis });
  t.equal((await app.inject({ method: 'GET', url: URL_ALL })).statusCode, 200);
  await server.stop();
  for (const url of ['/v1/metrics', URL_ALL]) {
    const started = performance.now();
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 503, `${url}: Redis stopped`);
    t.equal(res.headers['retry-after'], '5');
    t.match(res.json(), { code: 'CACHE_UNAVAILABLE', message: 'the metrics cache (Redis) is not answering; try again in 5 s' });
    t.ok(performance.now() - started < 1000, 'at once');
  }
  await t.rejects(refreshMetricsCache({ engine: lake.engine, redis, plan: SMALL_PLAN, redisTimeoutMs: 500 }), CacheUnavailableError, 'a refresh fails, for the consumer to retry');

  const silent = await silentEndpoint(t);
  // No ready check nor CLIENT SETINFO: the client believes it is connected and sends commands never answered.
  const hung = await redisClient(t, silent.url.replace('http:', 'redis:'), { enableReadyCheck: false, disableClientInfo: true, enableOfflineQueue: true });
  const hungApp = await metricsApp(t, { redis: hung, redisTimeoutMs: 200 });
  const started = performance.now();
  const res = await hungApp.inject({ method: 'GET', url: URL_ALL });
  const waited = performance.now() - started;
  t.equal(res.statusCode, 503, 'a Redis that never answers');
  t.match(res.json(), { code: 'CACHE_UNAVAILABLE', message: 'the metrics cache (Redis) is not answering; try again in 5 s' });
  t.ok(waited >= 190 && waited < 2000, `answered after the deadline (${Math.round(waited)} ms)`);
});
