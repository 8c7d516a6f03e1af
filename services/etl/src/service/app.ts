import { rm } from 'node:fs/promises';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { GlueClient } from '@aws-sdk/client-glue';
import type { S3Client } from '@aws-sdk/client-s3';
import Type from 'typebox';
import { dlqName, PeakError, queues, type BatchProcessed } from '@peak/contracts';
import { lakePlugin } from '@peak/lake';
import { createServiceApp, sqsOptions, sqsPlugin, type ShellOverrides } from '@peak/service-kit';
import type { Config } from './config.js';
import type { BatchOutcome } from './process-batch.js';
import { replayQuarantine } from './replay.js';
import { createBatchWorker, watchDeadLetters, type BatchWorker, type BatchWorkerOptions } from './worker.js';
import { processBatchOnGlue, type GlueExecutorOptions } from './glue-executor.js';
import { claimWorkDir } from './work-dir.js';

export type AppOverrides = ShellOverrides & {
  sqs?: SQSClient;
  s3?: S3Client;
  glue?: GlueClient;
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
export async function buildApp(config: Config, { sqs, s3, glue, worker: runWorker = true, ...shell }: AppOverrides = {}) {
  const app = await createServiceApp({
    name: 'etl',
    description: 'Turns each landed raw export into validated Parquet by day and a quarantine with reason codes, then announces the batch.',
    ...shell,
  });
  await app.register(sqsPlugin, sqsOptions(config, [queues.rawLanded, queues.batchProcessed], sqs));
  await app.register(lakePlugin, { uri: config.LAKE_URI, region: config.AWS_REGION, s3 });

  let workDir = config.ETL_WORK_DIR;
  const deps = () => ({
    lake: app.lake,
    registry: app.batches,
    workDir,
    log: app.log,
    announce: async (m: BatchProcessed) => void (await app.queues.send(queues.batchProcessed, m)),
  });
  const execute = glueExecute(config, glue);
  if (config.ETL_EXECUTOR === 'glue' && !glue) app.addHook('onClose', async () => execute.client?.destroy());
  const status: WorkerStatus = { state: runWorker ? 'starting' : 'stopped', processed: 0, failed: 0, skipped: 0 };
  let consumer: BatchWorker | undefined;
  let deadLetters: BatchWorker | undefined;
  let closing = false;

  const replaySchema = {
    summary: 'Replay the quarantine of a batch',
    description: 'Runs the quarantined rows of a processed batch through the checks again (after the cause was fixed, e.g. the member file arrived) and moves the rows that now pass to the processed zone. Needs `Authorization: Bearer <ETL_ADMIN_KEY>`.',
    tags: ['quarantine'],
    params: Type.Object({ batchId: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$', description: 'Batch id' }) }),
    response: {
      200: Type.Object(
        {
          batchId: Type.String(),
          replay: Type.Integer({ description: 'Replay number of this batch (0: nothing to replay)' }),
          rowsTried: Type.Integer({ description: 'Quarantined rows checked again (malformed records cannot be)' }),
          rowsMoved: Type.Integer({ description: 'Rows that passed and moved to the processed zone' }),
          rowsQuarantined: Type.Integer({ description: 'Rows of the batch still quarantined' }),
        },
        { description: 'What the replay did' },
      ),
    },
  };
  app.post<{ Params: { batchId: string } }>('/v1/batches/:batchId/replay', { schema: replaySchema }, async (request) => {
    if (!config.ETL_ADMIN_KEY) throw new PeakError('replay is switched off: set ETL_ADMIN_KEY on the etl service', 'ADMIN_DISABLED', 403);
    const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (given === undefined) throw new PeakError('send Authorization: Bearer <ETL_ADMIN_KEY>', 'UNAUTHENTICATED', 401);
    // Fixed-length digests: the comparison takes the same time whatever was sent.
    const digest = (s: string) => createHash('sha256').update(s).digest();
    if (!timingSafeEqual(digest(given), digest(config.ETL_ADMIN_KEY))) throw new PeakError('that key is not the ETL admin key', 'INVALID_API_KEY', 403);
    const { record: _record, ...result } = await replayQuarantine(request.params.batchId, deps());
    return result;
  });

  app.get('/v1/worker', { schema: { summary: 'What the raw-landed worker has done', tags: ['worker'], response: { 200: workerStatusSchema } } }, async () => status);

  /** The queue URL may not resolve yet (SQS still starting): keep trying, without holding up /health. */
  const start = async () => {
    for (let attempt = 1; !closing; attempt++) {
      try {
        const queueUrl = await app.queues.url(queues.rawLanded);
        const dlqUrl = await app.queues.url({ name: dlqName(queues.rawLanded) });
        if (closing) return; // closed while the URLs resolved: a worker started now would never be stopped
        consumer = createBatchWorker({
          sqs: app.queues.sqs,
          queueUrl,
          visibilitySeconds: config.ETL_VISIBILITY_SECONDS,
          retryDelaySeconds: 5,
          deps: deps(),
          ...(execute.run ? { execute: execute.run } : {}),
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
        deadLetters = watchDeadLetters({ sqs: app.queues.sqs, dlqUrl, deps: deps() });
        deadLetters.start();
        status.state = 'running';
        return;
      } catch (err) {
        app.log.warn({ err, attempt }, 'raw-landed queue not reachable yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * attempt)));
      }
    }
  };
  app.addHook('onReady', async () => {
    workDir = await claimWorkDir(config.ETL_WORK_DIR);
    if (runWorker) void start();
  });
  app.addHook('onClose', async () => {
    closing = true;
    await Promise.all([consumer?.stop(), deadLetters?.stop()]);
    status.state = 'stopped';
    if (workDir !== config.ETL_WORK_DIR) await rm(workDir, { recursive: true, force: true });
  });
  return app;
}

/**
 * ETL_EXECUTOR=glue: each batch is a run of the Glue job, started and awaited by the worker. The client's
 * endpoint comes from AWS_ENDPOINT_URL_GLUE when set (a stand-in in the tests), as for SQS and S3.
 */
function glueExecute(config: Config, given?: GlueClient): { client?: GlueClient; run?: NonNullable<BatchWorkerOptions['execute']> } {
  if (config.ETL_EXECUTOR !== 'glue' || !config.ETL_GLUE_JOB_NAME) return {};
  const client = given ?? new GlueClient({ region: config.AWS_REGION });
  const pollMaxMs = config.ETL_GLUE_POLL_SECONDS * 1000;
  const options: GlueExecutorOptions = {
    glue: client,
    jobName: config.ETL_GLUE_JOB_NAME,
    pollMinMs: Math.min(1000, pollMaxMs),
    pollMaxMs,
    runTimeoutMs: config.ETL_GLUE_RUN_TIMEOUT_SECONDS * 1000,
    startWaitMs: config.ETL_GLUE_START_WAIT_SECONDS * 1000,
  };
  return { client, run: (batchId, delivery, deps) => processBatchOnGlue(batchId, delivery, deps, options) };
}
