import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import fastifyStatic from '@fastify/static';
import type { Redis } from 'ioredis';
import { queues } from '@peak/contracts';
import { createServiceApp, type ShellOverrides, redisPlugin, sqsOptions, sqsPlugin } from '@peak/service-kit';
import type { Config } from './config.js';

/** What tests (or the launcher) may inject instead of what the config would build. */
export type AppOverrides = ShellOverrides & {
  sqs?: SQSClient;
  redis?: Redis;
};

/** The web dashboard's files: served as they are, no build step. */
export const publicDir = fileURLToPath(new URL('../public/', import.meta.url));

/** Leaderboard: live rankings and engagement metrics from Redis, and the web dashboard at `/`. */
export async function buildApp(config: Config, { sqs, redis, ...shell }: AppOverrides = {}) {
  const app = await createServiceApp({
    name: 'leaderboard',
    description: 'Live leaderboards and engagement metrics (Redis), refreshed from check-ins and processed batches; serves the web dashboard at /.',
    ...shell,
  });
  await app.register(redisPlugin, { url: config.REDIS_URL, client: redis });
  await app.register(sqsPlugin, sqsOptions(config, [queues.attendanceEvents, queues.batchProcessed], sqs));
  // The dashboard is files, not API: hidden from the OpenAPI document.
  await app.register(fastifyStatic, { root: publicDir, prefix: '/', schemaHide: true });
  return app;
}
