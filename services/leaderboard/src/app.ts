import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import fastifyStatic from '@fastify/static';
import type { Redis } from 'ioredis';
import { queues } from '@peak/contracts';
import { createServiceApp, type ShellOverrides, redisPlugin, sqsOptions, sqsPlugin } from '@peak/service-kit';
import type { ChurnAnswersOptions, ChurnSource } from './churn/answers.js';
import { createBoardFeed, type BoardFeed } from './boards/consumers.js';
import { BoardAnswerCache } from './boards/cache.js';
import { LiveHub } from './boards/live.js';
import { StudioCalendar } from './boards/periods.js';
import { rebuildFromLake } from './boards/rebuild.js';
import { boardRoutes } from './boards/routes.js';
import { BoardStore, KEYS } from './boards/store.js';
import { churnRoutes } from './churn/routes.js';
import { churnSource } from './churn/source.js';
import type { Config } from './config.js';
import { coalescedRefresher, refreshMetricsCache } from './metrics/refresh.js';
import { metricsRoutes } from './metrics/routes.js';

/** What tests (or the launcher) may inject instead of what the config would build. */
export type AppOverrides = ShellOverrides & {
  sqs?: SQSClient;
  redis?: Redis;
  /** Engine and lake of the churn API instead of what LAKE_URI opens; the caller closes them. */
  analytics?: ChurnSource;
  /** How the churn API keeps answers (tests shorten the 5 s between looks for a newer scores day). */
  churnAnswers?: Omit<ChurnAnswersOptions, 'timeoutMs'>;
  /** The boards' clock (tests); the real time otherwise. */
  now?: () => number;
};

/** The web dashboard: dashboard/ built by Vite (scripts/setup.sh builds it when missing or stale). */
export const dashboardDir = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

/** Leaderboard: live rankings and engagement metrics from Redis, the churn scores from the lake, and the web dashboard at `/`. */
export async function buildApp(config: Config, { sqs, redis, analytics, churnAnswers, now, ...shell }: AppOverrides = {}) {
  const app = await createServiceApp({
    name: 'leaderboard',
    description:
      'Live leaderboards and engagement metrics (Redis), refreshed from check-ins and processed batches; the churn model\'s scores and report from the lake; ' +
      'serves the web dashboard at /.',
    ...shell,
  });
  await app.register(redisPlugin, { url: config.REDIS_URL, client: redis });
  await app.register(sqsPlugin, sqsOptions(config, [queues.attendanceEvents, queues.batchProcessed], sqs));
  const source = churnSource(app, config, analytics);
  await app.register(churnRoutes, { prefix: '/v1/churn', source, ...(churnAnswers ? { answers: churnAnswers } : {}) });

  await app.register(metricsRoutes, { prefix: '/v1/metrics', redis: app.redis });
  // One refresh at a time; batches landing meanwhile make one more (never a query on the request path).
  const refreshMetrics = source && coalescedRefresher(() => refreshMetricsCache({ engine: source.engine, redis: app.redis }));

  const store = new BoardStore(app.redis, { calendar: new StudioCalendar(config.STUDIO_TIME_ZONE), graceDays: config.BOARD_GRACE_DAYS, ...(now ? { now } : {}) });
  const live = new LiveHub(app.redis, (err) => app.log.warn({ err: err.message }, 'live updates: redis subscriber error'));
  const cache = new BoardAnswerCache(live);
  await app.register(boardRoutes, { prefix: '/v1/leaderboard', store, live, cache, ...(now ? { now } : {}) });
  let feed: BoardFeed | undefined;
  let closing = false;
  /** Queue URLs may not resolve yet (SQS still starting): keep trying without holding up /health. */
  const startFeed = async () => {
    for (let attempt = 1; !closing; attempt++) {
      try {
        const [attendanceQueueUrl, batchQueueUrl] = await Promise.all([app.queues.url(queues.attendanceEvents), app.queues.url(queues.batchProcessed)]);
        if (closing) return; // closed while the URLs resolved: a consumer started now would never be stopped
        feed = createBoardFeed({
          sqs: app.queues.sqs, attendanceQueueUrl, batchQueueUrl, store, log: app.log,
          ...(source ? { engine: source.engine } : {}),
          ...(refreshMetrics ? { onBatch: async () => void app.log.info(await refreshMetrics(), 'metrics cache refreshed') } : {}),
        });
        feed.start();
        return;
      } catch (err) {
        app.log.warn({ err, attempt }, 'leaderboard queues not reachable yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * attempt)));
      }
    }
  };
  /**
   * Redis lost the boards (a restart without persistence) or never had them, and the lake is there: rebuild them, and
   * fill the metrics cache again, in the background. Checked at start and whenever the Redis connection comes back.
   */
  let recovering: Promise<void> | undefined;
  let askedAgain = false;
  /** Refresh the metrics cache once the boards are there: at start (it may be older than its 7 days) and after a rebuild. */
  let metricsWanted = false;
  const recoverIfEmpty = () => {
    if (!source || closing || config.LEADERBOARD_FEED === 'off') return;
    if (recovering) {
      askedAgain = true; // Redis came back while a check ran (perhaps the one its outage broke): check once more after it
      return;
    }
    recovering = (async () => {
      do {
        askedAgain = false;
        try {
          if ((await app.redis.exists(KEYS.built)) === 0) {
            const r = await rebuildFromLake(source.engine, store, now?.());
            app.log.info(r, 'leaderboards rebuilt from the lake (Redis had none)');
            metricsWanted = true; // the cache went with the boards
          }
          if (metricsWanted && refreshMetrics) {
            metricsWanted = false;
            void refreshMetrics().then((m) => app.log.info(m, 'metrics cache refreshed'), (err: Error) => app.log.warn({ err: err.message }, 'metrics cache not refreshed'));
          }
        } catch (err) {
          app.log.warn({ err: (err as Error).message }, 'leaderboards not rebuilt; the next processed batch of check-ins or Redis reconnect will try');
        }
      } while (askedAgain && !closing);
    })().finally(() => (recovering = undefined));
  };
  app.redis.on('ready', recoverIfEmpty);
  app.addHook('onReady', async () => {
    // The answer cache listens for changes; without Redis now it serves nothing from memory until the subscription is up.
    void cache.start().catch((err: Error) => app.log.warn({ err: err.message }, 'board answer cache not listening; reads go to Redis'));
    if (config.LEADERBOARD_FEED === 'off') return;
    void startFeed();
    metricsWanted = true;
    recoverIfEmpty();
  });
  app.addHook('onClose', async () => {
    closing = true;
    app.redis.off('ready', recoverIfEmpty);
    await Promise.all([feed?.stop(), live.close(), recovering]);
  });
  // The dashboard is files, not API: hidden from the OpenAPI document. Hashed assets are immutable; the page is always revalidated.
  if (existsSync(join(dashboardDir, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: dashboardDir, prefix: '/', schemaHide: true, cacheControl: false,
      setHeaders: (res, path) => res.setHeader('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache'),
    });
  } else {
    app.get('/', { schema: { hide: true } }, (_req, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The dashboard is not built: run `npm run dashboard:build` (scripts/setup.sh does it).\n'));
  }
  return app;
}
