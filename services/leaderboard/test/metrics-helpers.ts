/**
 * What the metrics tests share: one generated lake per test file (300 members × 120 days through the real ETL), a
 * DuckDB engine over it, a Redis client as the service makes it, and a bare service app with only the metrics routes.
 */
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { DuckDbEngine, type QueryEngine, type QueryOptions, type QueryResult } from '@peak/analytics';
import { buildSampleLake } from '@peak/churn';
import { createServiceApp } from '@peak/service-kit';
import { buildForTest, type Teardown } from '@peak/service-kit/testing';
import { metricsRoutes, type MetricsRoutesOptions } from '../src/metrics/routes.js';

export const SAMPLE_END = '2026-06-30';

export async function sampleLake(t: Teardown, dir: string) {
  const lake = await buildSampleLake(join(dir, 'world'), { members: 300, days: 120, end: SAMPLE_END, seed: 7 });
  const engine = new DuckDbEngine({ lakeRoot: lake.lakeRoot, timeZone: lake.timeZone });
  t.teardown(() => engine.close());
  return { ...lake, engine };
}

/** A client as the service's redis plugin makes it: commands fail at once while disconnected instead of queueing. */
export async function redisClient(t: Teardown, url: string, options: RedisOptions = {}): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, ...options });
  redis.on('error', () => undefined); // a stopped server is what some tests are about
  t.teardown(() => redis.disconnect());
  await redis.connect();
  return redis;
}

/** A bare service app with the metrics routes under /v1/metrics, as app.ts registers them. */
export function metricsApp(t: Teardown, options: MetricsRoutesOptions) {
  return buildForTest(t, async () => {
    const app = await createServiceApp({ name: 'leaderboard-metrics-test', description: 'metrics routes alone' });
    await app.register(metricsRoutes, { prefix: '/v1/metrics', ...options });
    return app;
  });
}

/** An engine that counts queries and can hold them at a gate until released (to catch a refresh mid-way). */
export class GatedEngine implements QueryEngine {
  readonly name: QueryEngine['name'];
  queries = 0;
  failAfter = Number.POSITIVE_INFINITY;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private reached: (() => void) | undefined;
  /** Resolves when a query has reached the closed gate. */
  waiting: Promise<void> = Promise.resolve();

  constructor(private readonly inner: QueryEngine) {
    this.name = inner.name;
  }

  close(): Promise<void> {
    return Promise.resolve(); // the inner engine belongs to the test file
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
    this.waiting = new Promise((resolve) => (this.reached = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async query(sql: string, options?: QueryOptions): Promise<QueryResult> {
    this.queries += 1;
    if (this.queries > this.failAfter) throw new Error(`query ${this.queries} failed on purpose`);
    if (this.gate) {
      this.reached?.();
      await this.gate;
    }
    return this.inner.query(sql, options);
  }
}
