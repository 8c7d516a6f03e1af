import type { SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import { queues } from '@peak/contracts';
import { createServiceApp, type ShellOverrides, sqsOptions, sqsPlugin } from '@peak/service-kit';
import type { Clock } from './checkins/clock.js';
import { checkinBufferPlugin } from './checkins/plugin.js';
import type { Config } from './config.js';
import { lakePlugin } from './lake.js';
import { batchRoutes } from './routes/batches.js';
import { checkinRoutes } from './routes/checkins.js';

/** What tests (or the launcher) may inject instead of what the config would build. */
export type AppOverrides = ShellOverrides & {
  sqs?: SQSClient;
  s3?: S3Client;
  /** Drives the check-in buffer's flush timer (tests advance it by hand). */
  clock?: Clock;
};

/** Ingest: accepts exports and check-ins from the source systems, lands them in the lake, announces them on SQS. */
export async function buildApp(config: Config, { sqs, s3, clock, ...shell }: AppOverrides = {}) {
  const app = await createServiceApp({
    name: 'ingest',
    description: 'Accepts exports and real-time check-ins from the source systems, lands them in the lake and announces them on SQS.',
    ...shell,
  });
  await app.register(sqsPlugin, sqsOptions(config, [queues.rawLanded, queues.attendanceEvents], sqs));
  await app.register(lakePlugin, { uri: config.LAKE_URI, region: config.AWS_REGION, s3 });
  await app.register(checkinBufferPlugin, {
    spoolRoot: config.CHECKIN_SPOOL_DIR,
    maxEvents: config.CHECKIN_BATCH_MAX_EVENTS,
    maxSeconds: config.CHECKIN_BATCH_MAX_SECONDS,
    clock,
  });
  await app.register(batchRoutes, { prefix: '/v1', apiKeys: config.INGEST_API_KEYS, maxUploadBytes: config.MAX_UPLOAD_BYTES });
  await app.register(checkinRoutes, { prefix: '/v1', apiKeys: config.INGEST_API_KEYS });
  return app;
}
