import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchStopJobRunCommand,
  ConcurrentRunsExceededException,
  GetJobRunCommand,
  StartJobRunCommand,
  type GlueClient,
  type JobRunState,
} from '@aws-sdk/client-glue';
import { batchProcessedMessage, PERMANENT, type BatchDeps, type BatchOutcome, type Delivery } from './process-batch.js';

/** What the worker needs to run a batch as a Glue job run instead of in-process. */
export type GlueExecutorOptions = {
  glue: GlueClient;
  /** The Glue job (`peak-<stage>-etl`); its default arguments carry the lake, bundles and queue. */
  jobName: string;
  /** First wait between GetJobRun calls; doubles up to `pollMaxMs`. */
  pollMinMs: number;
  pollMaxMs: number;
  /** How long one delivery waits for its run to end before giving up (the run is then stopped). */
  runTimeoutMs: number;
  /** How long one delivery keeps retrying a start Glue refuses for concurrency before giving up. */
  startWaitMs: number;
};

/** States after which a run does nothing more (EXPIRED: a run that waited too long and never ran). */
const ENDED = new Set<JobRunState>(['SUCCEEDED', 'FAILED', 'ERROR', 'TIMEOUT', 'STOPPED', 'EXPIRED']);

export class GlueRunError extends Error {
  override name = 'GlueRunError';
}

/**
 * processBatch's counterpart when the batch runs as an AWS Glue job run (services/etl/glue/peak_etl_job.py):
 * starts the run with `--batch_id`, waits for it while sqs-consumer's heartbeat keeps the message hidden,
 * and returns when it SUCCEEDED (the message is then deleted); any other end throws, so SQS redelivers.
 * The job writes the batch record and announces; this only reads the record, except on the last allowed
 * receive when the job could not mark the batch itself (it never started, was stopped or timed out):
 * then the batch is failed here, as processBatch's last receive does.
 */
export async function processBatchOnGlue(batchId: string, delivery: Delivery, deps: BatchDeps, opts: GlueExecutorOptions): Promise<BatchOutcome> {
  const { registry, log } = deps;
  const before = await registry.get(batchId);
  if (!before) throw new Error(`batch ${batchId} has no record in the lake (was it uploaded through ingest?)`);
  const done = settled(before);
  if (done) return done; // a repeated delivery: no run to pay for

  let runId: string | undefined;
  try {
    const started = await startRun(batchId, deps, opts);
    if ('outcome' in started) return started.outcome;
    runId = started.runId;
    log.info({ batchId, runId, jobName: opts.jobName }, 'glue run started');
    const run = await waitForRun(runId, opts);
    if (run.state !== 'SUCCEEDED') throw new GlueRunError(`glue run ${runId} of ${opts.jobName} ended ${run.state}${run.message ? `: ${run.message}` : ''}`);
    const after = await registry.get(batchId);
    const outcome = after && settled(after, false);
    // SUCCEEDED leaves the batch processed or failed for good; anything else is a job bug worth a retry.
    if (!outcome) throw new GlueRunError(`glue run ${runId} succeeded but batch ${batchId} is ${after?.status ?? 'without a record'}`);
    log.info({ batchId, runId, status: after.status }, 'glue run succeeded');
    return outcome;
  } catch (err) {
    if (delivery.receiveCount < delivery.maxReceiveCount) {
      log.warn({ batchId, runId, err, receiveCount: delivery.receiveCount }, 'glue run failed; the message will be redelivered');
      throw err;
    }
    // The last receive: the job marks the batch failed when its own attempts run out; if it could not
    // (the run never reached the record, or was cut off), mark it here, so the batch never stays processing.
    const now = await registry.get(batchId);
    if (now && (now.status === 'received' || now.status === 'processing')) {
      const error = `gave up after ${delivery.receiveCount} attempts: ${(err as Error).message}`;
      if (now.status === 'received') await registry.update(batchId, { status: 'processing' }); // failed only from processing
      const failed = await registry.update(batchId, { status: 'failed', error });
      await deps.announce(batchProcessedMessage(failed, deps.now?.() ?? new Date()));
      log.warn({ batchId, runId, error }, 'batch failed');
    }
    throw err; // the message goes on to the DLQ, where operators look
  }
}

/** The outcome of a batch the job has finished with, or undefined while it still has work. */
function settled(record: NonNullable<Awaited<ReturnType<BatchDeps['registry']['get']>>>, beforeRun = true): BatchOutcome | undefined {
  if (record.status === 'processed') return beforeRun ? { kind: 'skipped', reason: 'already processed (a repeated delivery)' } : { kind: 'processed', record };
  if (record.status === 'failed' && (!beforeRun || record.error?.startsWith(PERMANENT))) return beforeRun ? { kind: 'skipped', reason: 'already failed for good' } : { kind: 'failed', record };
  return undefined;
}

/**
 * StartJobRun; a refusal for concurrency (another batch's run, or a run of this batch from an earlier
 * delivery still going) is retried within this delivery, so it does not use up one of the message's receives.
 */
async function startRun(batchId: string, deps: BatchDeps, opts: GlueExecutorOptions): Promise<{ runId: string } | { outcome: BatchOutcome }> {
  const deadline = Date.now() + opts.startWaitMs;
  for (let wait = opts.pollMinMs; ; wait = Math.min(opts.pollMaxMs, wait * 2)) {
    try {
      const out = await opts.glue.send(new StartJobRunCommand({ JobName: opts.jobName, Arguments: { '--batch_id': batchId } }));
      if (!out.JobRunId) throw new GlueRunError(`StartJobRun of ${opts.jobName} returned no run id`);
      return { runId: out.JobRunId };
    } catch (err) {
      if (!(err instanceof ConcurrentRunsExceededException)) throw err;
      if (Date.now() + wait > deadline) throw new GlueRunError(`glue job ${opts.jobName} refused to start for ${Math.round(opts.startWaitMs / 1000)} s: ${err.message}`);
      deps.log.info({ batchId, waitMs: wait }, 'glue job at its concurrent-run limit; waiting to start');
      await sleep(wait);
      // The run holding the slot may have been this batch's own (an earlier delivery's): it may be done now.
      const record = await deps.registry.get(batchId);
      const done = record && settled(record);
      if (done) return { outcome: done };
    }
  }
}

async function waitForRun(runId: string, opts: GlueExecutorOptions): Promise<{ state: JobRunState; message?: string }> {
  const deadline = Date.now() + opts.runTimeoutMs;
  for (let wait = opts.pollMinMs; ; wait = Math.min(opts.pollMaxMs, wait * 2)) {
    const { JobRun: run } = await opts.glue.send(new GetJobRunCommand({ JobName: opts.jobName, RunId: runId }));
    const state = run?.JobRunState;
    if (state && ENDED.has(state)) return { state, message: run?.ErrorMessage };
    if (Date.now() >= deadline) {
      // Stop it, so that a run nobody waits for does not go on beside the next delivery's.
      await opts.glue.send(new BatchStopJobRunCommand({ JobName: opts.jobName, JobRunIds: [runId] })).catch(() => {});
      throw new GlueRunError(`glue run ${runId} of ${opts.jobName} still ${state ?? 'unknown'} after ${Math.round(opts.runTimeoutMs / 1000)} s; asked Glue to stop it`);
    }
    await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
  }
}
