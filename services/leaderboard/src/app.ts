import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import fastifyStatic from '@fastify/static';
import type { Redis } from 'ioredis';
import { queues } from '@peak/contracts';
import { createServiceApp, type ShellOverrides, redisPlugin, sqsOptions, sqsPlugin } from '@peak/service-kit';
import type { ChurnAnswersOptions, ChurnSource } from './churn/answers.js';
import { churnRoutes } from './churn/routes.js';
import { churnSource } from './churn/source.js';
import type { Config } from './config.js';

/** What tests (or the launcher) may inject instead of what the config would build. */
export type AppOverrides = ShellOverrides & {
  sqs?: SQSClient;
  redis?: Redis;
  /** Engine and lake of the churn API instead of what LAKE_URI opens; the caller closes them. */
  analytics?: ChurnSource;
  /** How the churn API keeps answers (tests shorten the 5 s between looks for a newer scores day). */
  churnAnswers?: Omit<ChurnAnswersOptions, 'timeoutMs'>;
};

/** The web dashboard: dashboard/ built by Vite (scripts/setup.sh builds it when missing or stale). */
export const dashboardDir = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

/** Leaderboard: live rankings and engagement metrics from Redis, the churn scores from the lake, and the web dashboard at `/`. */
export async function buildApp(config: Config, { sqs, redis, analytics, churnAnswers, ...shell }: AppOverrides = {}) {
  const app = await createServiceApp({
    name: 'leaderboard',
    description:
      'Live leaderboards and engagement metrics (Redis), refreshed from check-ins and processed batches; the churn model\'s scores and report from the lake; ' +
      'serves the web dashboard at /.',
    ...shell,
  });
  await app.register(redisPlugin, { url: config.REDIS_URL, client: redis });
  await app.register(sqsPlugin, sqsOptions(config, [queues.attendanceEvents, queues.batchProcessed], sqs));
  await app.register(churnRoutes, { prefix: '/v1/churn', source: churnSource(app, config, analytics), ...(churnAnswers ? { answers: churnAnswers } : {}) });
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
