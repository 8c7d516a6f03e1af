import type { SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import Type from 'typebox';
import { queues } from '@peak/contracts';
import { lakePlugin } from '@peak/lake';
import { createServiceApp, sqsOptions, sqsPlugin, type ShellOverrides } from '@peak/service-kit';
import type { Config } from './config.js';
import type { BatchOutcome } from './process-batch.js';
import { createBatchWorker, type BatchWorker } from './worker.js';

export type AppOverrides = ShellOverrides & {
  sqs?: SQSClient;
  s3?: S3Client;
  /** Start the raw-landed worker when the app is ready (default true; tests of the HTTP API turn it off). */
  worker?: boolean;
};

/** What the worker has done since the process started (GET /v1/worker). */
type WorkerStatus = {
  state: 'starting' | 'running' | 'stopped';
  processed: number;
  failed: number;
  skipped: number;
  lastBatch?: { batchId: string; outcome: BatchOutcome['kind']; at: string };
  lastError?: { message: string; at: string };
};

const workerStatusSchema = Type.Object(
  {
    state: Type.Union([Type.Literal('starting'), Type.Literal('running'), Type.Literal('stopped')], { description: 'starting until the queue is found' }),
    processed: Type.Integer({ description: 'Batches published since start' }),
    failed: Type.Integer({ description: 'Batches marked failed since start' }),
    skipped: Type.Integer({ description: 'Repeated deliveries of batches already done' }),
    lastBatch: Type.Optional(Type.Object({ batchId: Type.String(), outcome: Type.String(), at: Type.String({ format: 'date-time' }) })),
    lastError: Type.Optional(Type.Object({ message: Type.String(), at: Type.String({ format: 'date-time' }) })),
  },
  { description: 'The raw-landed worker of this process' },
);

/** ETL: the raw-landed worker (validate, Parquet, quarantine, announce) behind a small status API. */
export async function buildApp(config: Config, { sqs, s3, worker: runWorker = true, ...shell }: AppOverrides = {}) {
  const app = await createServiceApp({
    name: 'etl',
    description: 'Turns each landed raw export into validated Parquet by day and a quarantine with reason codes, then announces the batch.',
    ...shell,
  });
  await app.register(sqsPlugin, sqsOptions(config, [queues.rawLanded, queues.batchProcessed], sqs));
  await app.register(lakePlugin, { uri: config.LAKE_URI, region: config.AWS_REGION, s3 });

  const status: WorkerStatus = { state: runWorker ? 'starting' : 'stopped', processed: 0, failed: 0, skipped: 0 };
  let consumer: BatchWorker | undefined;
  let closing = false;

  app.get('/v1/worker', { schema: { summary: 'What the raw-landed worker has done', tags: ['worker'], response: { 200: workerStatusSchema } } }, async () => status);

  /** The queue URL may not resolve yet (SQS still starting): keep trying, without holding up /health. */
  const start = async () => {
    for (let attempt = 1; !closing; attempt++) {
      try {
        const queueUrl = await app.queues.url(queues.rawLanded);
        consumer = createBatchWorker({
          sqs: app.queues.sqs,
          queueUrl,
          visibilitySeconds: config.ETL_VISIBILITY_SECONDS,
          retryDelaySeconds: 5,
          deps: {
            lake: app.lake,
            registry: app.batches,
            workDir: config.ETL_WORK_DIR,
            log: app.log,
            announce: async (m) => void (await app.queues.send(queues.batchProcessed, m)),
          },
          onOutcome: (o) => {
            const at = new Date().toISOString();
            if (o.kind === 'skipped') status.skipped++;
            else {
              status[o.kind]++;
              status.lastBatch = { batchId: o.record.batchId, outcome: o.kind, at };
            }
          },
          onError: (err) => {
            status.lastError = { message: err.message, at: new Date().toISOString() };
            app.log.warn({ err }, 'raw-landed worker error');
          },
        });
        consumer.start();
        status.state = 'running';
        return;
      } catch (err) {
        app.log.warn({ err, attempt }, 'raw-landed queue not reachable yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * attempt)));
      }
    }
  };
  app.addHook('onReady', async () => {
    if (runWorker) void start();
  });
  app.addHook('onClose', async () => {
    closing = true;
    if (!consumer) return;
    await consumer.stop();
    status.state = 'stopped';
  });
  return app;
}
