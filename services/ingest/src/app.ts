import type { SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import { queues } from '@peak/contracts';
import { createServiceApp, type ShellOverrides, sqsOptions, sqsPlugin } from '@peak/service-kit';
import type { Config } from './config.js';
import { lakePlugin } from './lake.js';
import { batchRoutes } from './routes/batches.js';

/** What tests (or the launcher) may inject instead of what the config would build. */
export type AppOverrides = ShellOverrides & {
  sqs?: SQSClient;
  s3?: S3Client;
};

/** Ingest: accepts exports and check-ins from the source systems, lands them in the lake, announces them on SQS. */
export async function buildApp(config: Config, { sqs, s3, ...shell }: AppOverrides = {}) {
  const app = await createServiceApp({
    name: 'ingest',
    description: 'Accepts exports and real-time check-ins from the source systems, lands them in the lake and announces them on SQS.',
    ...shell,
  });
  await app.register(sqsPlugin, sqsOptions(config, [queues.rawLanded, queues.attendanceEvents], sqs));
  await app.register(lakePlugin, { uri: config.LAKE_URI, region: config.AWS_REGION, s3 });
  await app.register(batchRoutes, { prefix: '/v1', apiKeys: config.INGEST_API_KEYS, maxUploadBytes: config.MAX_UPLOAD_BYTES });
  return app;
}
