import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import t, { type Test } from 'tap';
import { queueList, queues, type BatchProcessed } from '@peak/contracts';
import { BatchRegistry, FolderLake } from '@peak/lake';
import { buildForTest, localClients, useSqsEmulator } from '@peak/service-kit/testing';
import { Queues } from '@peak/service-kit';
import { waitFor } from '@peak/local-stack';
import { buildApp, createBatchWorker, GlueRunError, processBatchOnGlue, readConfig, type BatchDeps, type BatchOutcome, type GlueExecutorOptions } from '@peak/etl';
import { startGlueStandIn, type GlueStandIn } from './glue-stand-in.js';
import { landBatch } from './helpers.js';

const JOB = 'peak-test-etl';
const quiet = { info: () => {}, warn: () => {} };
const MEMBERS = `member_id,email,first_name,last_name,home_location_id,join_date,plan,status,cancelled_on,birth_year,marketing_opt_in,updated_at
M000001,ada@example.com,Ada,Lovelace,downtown,2026-01-02,unlimited,active,,1990,true,2026-01-02T10:00:00Z
`;

async function setup(t: Test, maxConcurrentRuns = 1) {
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const registry = new BatchRegistry(lake);
  const announced: BatchProcessed[] = [];
  const deps: BatchDeps = { lake, registry, workDir: join(dir, 'work'), log: quiet, announce: async (m) => void announced.push(m) };
  const glue = await startGlueStandIn({ jobName: JOB, maxConcurrentRuns });
  t.teardown(() => glue.close());
  const options: GlueExecutorOptions = { glue: glue.client, jobName: JOB, pollMinMs: 5, pollMaxMs: 20, runTimeoutMs: 5_000, startWaitMs: 5_000 };
  const { record } = await landBatch(lake, 'members', MEMBERS);
  return { dir, lake, registry, announced, deps, glue, options, batchId: record.batchId };
}

/** What the Glue job does to the record (the real one is run at the end of this file): processing, then the end. */
const fakeJob = (registry: BatchRegistry, end: 'processed' | 'failed' | 'crash', error = 'unusable input: bad header') => async (args: Record<string, string>) => {
  const batchId = args['--batch_id'] ?? '';
  await registry.update(batchId, { status: 'processing' });
  if (end === 'crash') return { state: 'FAILED' as const, errorMessage: 'RuntimeError: reading the references failed' };
  await registry.update(batchId, end === 'processed' ? { status: 'processed', rowsIn: 1, rowsProcessed: 1, rowsQuarantined: 0 } : { status: 'failed', error });
  return { state: 'SUCCEEDED' as const };
};

const operations = (glue: GlueStandIn) => glue.calls.map((c) => c.operation);

t.test('a run that succeeds: started with --batch_id only, polled until SUCCEEDED, the outcome read from the record', async (t) => {
  const s = await setup(t);
  s.glue.script({ execute: fakeJob(s.registry, 'processed') });
  const outcome = await processBatchOnGlue(s.batchId, { receiveCount: 1, maxReceiveCount: 3 }, s.deps, s.options);
  t.match(outcome, { kind: 'processed', record: { batchId: s.batchId, status: 'processed', attempts: 1 } });
  const start = s.glue.calls.find((c) => c.operation === 'StartJobRun');
  t.same(start?.body, { JobName: JOB, Arguments: { '--batch_id': s.batchId } }, 'the job name and only --batch_id: the rest are job defaults');
  t.same(s.glue.runs.map((r) => r.state), ['SUCCEEDED']);
  t.ok(s.glue.calls.filter((c) => c.operation === 'GetJobRun').every((c) => c.body.JobName === JOB && c.body.RunId === s.glue.runs[0]?.id), 'polls its own run');
  t.same(s.announced, [], 'the job announces, not the worker');
});

t.test('a run that ends FAILED (or ERROR, TIMEOUT, STOPPED) throws, so SQS redelivers; the record is left to the job', async (t) => {
  for (const state of ['FAILED', 'ERROR', 'TIMEOUT', 'STOPPED'] as const) {
    const s = await setup(t);
    s.glue.script({ states: ['STARTING', 'RUNNING', state], errorMessage: 'Command failed with exit code 1' });
    const err = await processBatchOnGlue(s.batchId, { receiveCount: 1, maxReceiveCount: 3 }, s.deps, s.options).catch((e: Error) => e);
    t.type(err, GlueRunError, state);
    t.match((err as Error).message, new RegExp(`ended ${state}: Command failed with exit code 1`));
    t.match(await s.registry.get(s.batchId), { status: 'received', attempts: 0 }, 'not marked by the worker before the last receive');
    t.same(s.announced, []);
  }
});

t.test('a unusable batch: the run succeeds with the batch failed for good; a repeated delivery starts no run', async (t) => {
  const s = await setup(t);
  s.glue.script({ execute: fakeJob(s.registry, 'failed') });
  t.match(await processBatchOnGlue(s.batchId, { receiveCount: 1, maxReceiveCount: 3 }, s.deps, s.options), { kind: 'failed', record: { status: 'failed' } });
  const calls = s.glue.calls.length;
  t.match(await processBatchOnGlue(s.batchId, { receiveCount: 2, maxReceiveCount: 3 }, s.deps, s.options), { kind: 'skipped', reason: 'already failed for good' });
  t.equal(s.glue.calls.length, calls, 'no Glue call for a batch already done');
});

t.test('Glue refuses the start for concurrency: retried within the same delivery, no receive used', async (t) => {
  const s = await setup(t);
  s.glue.script({ refuse: true }, { refuse: true }, { execute: fakeJob(s.registry, 'processed') });
  t.match(await processBatchOnGlue(s.batchId, { receiveCount: 1, maxReceiveCount: 3 }, s.deps, s.options), { kind: 'processed' });
  t.same(operations(s.glue).filter((o) => o === 'StartJobRun').length, 3, 'two refusals, then the start');
  t.equal(s.glue.runs.length, 1, 'one run');
});

t.test('a refusal that lasts past the start wait counts as a failed attempt', async (t) => {
  const s = await setup(t);
  s.glue.script(...Array.from({ length: 50 }, () => ({ refuse: true as const })));
  const err = await processBatchOnGlue(s.batchId, { receiveCount: 1, maxReceiveCount: 3 }, s.deps, { ...s.options, startWaitMs: 60 }).catch((e: Error) => e);
  t.match(err, { name: 'GlueRunError', message: /refused to start/ });
  t.equal(s.glue.runs.length, 0);
});

t.test('while refused, the batch may get done by the run holding the slot (an earlier delivery’s): skipped, no second run', async (t) => {
  const s = await setup(t);
  s.glue.script({ refuse: true });
  const options = { ...s.options, pollMinMs: 50 };
  const pending = processBatchOnGlue(s.batchId, { receiveCount: 2, maxReceiveCount: 3 }, s.deps, options);
  await s.registry.update(s.batchId, { status: 'processing' });
  await s.registry.update(s.batchId, { status: 'processed' });
  t.match(await pending, { kind: 'skipped' });
  t.equal(s.glue.runs.length, 0, 'never started');
});

t.test('a run that never ends: stopped after the run timeout, and the delivery fails', async (t) => {
  const s = await setup(t);
  s.glue.script({ states: ['RUNNING'] });
  const err = await processBatchOnGlue(s.batchId, { receiveCount: 1, maxReceiveCount: 3 }, s.deps, { ...s.options, runTimeoutMs: 150 }).catch((e: Error) => e);
  t.match(err, { name: 'GlueRunError', message: /still RUNNING after 0 s; asked Glue to stop it/ });
  t.same(s.glue.calls.at(-1), { operation: 'BatchStopJobRun', body: { JobName: JOB, JobRunIds: [s.glue.runs[0]?.id] } });
  t.equal(s.glue.runs[0]?.state, 'STOPPED');
});

t.test('the last receive: a batch the job could not mark is failed by the worker and announced; one the job marked is not marked twice', async (t) => {
  // The run was cut off (TIMEOUT) after the job moved the record to processing.
  const cut = await setup(t);
  cut.glue.script({ execute: fakeJob(cut.registry, 'crash') });
  const err = await processBatchOnGlue(cut.batchId, { receiveCount: 3, maxReceiveCount: 3 }, cut.deps, cut.options).catch((e: Error) => e);
  t.type(err, GlueRunError, 'still throws: the message goes on to the DLQ');
  t.match(await cut.registry.get(cut.batchId), { status: 'failed', error: /^gave up after 3 attempts: glue run jr_0001 of peak-test-etl ended FAILED: RuntimeError/ });
  t.match(cut.announced, [{ batchId: cut.batchId, status: 'failed' }]);

  // The run never reached the record (e.g. the module install failed): received → processing → failed.
  const never = await setup(t);
  never.glue.script({ states: ['FAILED'], errorMessage: 'ModuleNotFoundError' });
  await processBatchOnGlue(never.batchId, { receiveCount: 3, maxReceiveCount: 3 }, never.deps, never.options).catch(() => {});
  t.match(await never.registry.get(never.batchId), { status: 'failed', attempts: 1, error: /ModuleNotFoundError/ });

  // The job's last attempt marked the batch failed and announced it, then failed the run: nothing more here.
  const marked = await setup(t);
  marked.glue.script({
    execute: async (args) => {
      await marked.registry.update(args['--batch_id'] ?? '', { status: 'processing' });
      await marked.registry.update(args['--batch_id'] ?? '', { status: 'failed', error: 'gave up after 3 attempts: boom' });
      return { state: 'FAILED', errorMessage: 'boom' };
    },
  });
  await processBatchOnGlue(marked.batchId, { receiveCount: 3, maxReceiveCount: 3 }, marked.deps, marked.options).catch(() => {});
  t.match(await marked.registry.get(marked.batchId), { status: 'failed', error: 'gave up after 3 attempts: boom' }, 'the job’s own error kept');
  t.same(marked.announced, [], 'no second announcement');
});

t.test('config: ETL_EXECUTOR=glue needs ETL_GLUE_JOB_NAME; duckdb stays the default', async (t) => {
  const base = { LAKE_URI: 'file:///tmp/lake' };
  t.equal(readConfig(base).ETL_EXECUTOR, 'duckdb');
  t.throws(() => readConfig({ ...base, ETL_EXECUTOR: 'glue' }), /ETL_GLUE_JOB_NAME: required with ETL_EXECUTOR=glue/);
  t.throws(() => readConfig({ ...base, ETL_EXECUTOR: 'spark' }), /ETL_EXECUTOR: must be one of duckdb, glue/);
  t.match(readConfig({ ...base, ETL_EXECUTOR: 'glue', ETL_GLUE_JOB_NAME: JOB, ETL_GLUE_POLL_SECONDS: '0.5' }), {
    ETL_GLUE_JOB_NAME: JOB, ETL_GLUE_POLL_SECONDS: 0.5, ETL_GLUE_RUN_TIMEOUT_SECONDS: 4200, ETL_GLUE_START_WAIT_SECONDS: 3600,
  });
});

/** The worker on a real queue (the SQS emulator) with the Glue executor. */
async function worker(t: Test, s: Awaited<ReturnType<typeof setup>>, outcomes: BatchOutcome[], errors: Error[]) {
  const emu = await useSqsEmulator(t, { queues: queueList });
  const sqs = localClients.sqs(t, emu.endpoint);
  const queueUrl = await new Queues(sqs).url(queues.rawLanded);
  const w = createBatchWorker({
    sqs, queueUrl, visibilitySeconds: 30, retryDelaySeconds: 0, deps: s.deps,
    execute: (id, delivery, deps) => processBatchOnGlue(id, delivery, deps, s.options),
    onOutcome: (o) => outcomes.push(o),
    onError: (e) => errors.push(e),
  });
  t.teardown(() => w.stop());
  const counts = async () => {
    const r = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(r.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(r.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };
  return { w, send: (body: unknown) => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) })), counts };
}

t.test('the worker deletes the message only after SUCCEEDED; a FAILED run is redelivered and run again', async (t) => {
  const s = await setup(t);
  const outcomes: BatchOutcome[] = [];
  const errors: Error[] = [];
  const { w, send, counts } = await worker(t, s, outcomes, errors);
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  s.glue.script(
    { states: ['RUNNING', 'FAILED'], errorMessage: 'first attempt broke' },
    { execute: async (args) => (await held, fakeJob(s.registry, 'processed')(args)) },
  );
  const record = await s.registry.get(s.batchId);
  await send({ type: 'raw-landed', version: 1, batchId: s.batchId, dataset: 'members', objectKey: record?.objectKey, format: 'csv', compression: 'none', contentSha256: record?.contentSha256, bytes: record?.bytes, source: 'test', receivedAt: record?.receivedAt });
  w.start();
  await waitFor('the second run going', async () => s.glue.runs.length === 2, 20_000, 20);
  t.match(errors.map((e) => e.message), [/ended FAILED: first attempt broke/], 'the failed run was a processing error (redelivery)');
  await new Promise((r) => setTimeout(r, 100));
  t.equal(await counts(), 1, 'while the run goes, the message is still in the queue (in flight)');
  release();
  await waitFor('the outcome', async () => outcomes.length === 1, 20_000, 20);
  t.match(outcomes, [{ kind: 'processed' }]);
  await waitFor('the message deleted', async () => (await counts()) === 0, 10_000, 50);
  t.same(s.glue.runs.map((r) => [r.args['--batch_id'], r.state]), [[s.batchId, 'FAILED'], [s.batchId, 'SUCCEEDED']]);
});

// The real job, as glue-job-run.test.ts runs it (Python + the duckdb bridge), started by the worker through the stand-in.
const ROOT = join(import.meta.dirname, '..', '..', '..');
const SCRIPT = join(import.meta.dirname, '..', 'glue', 'peak_etl_job.py');
const BRIDGE = join(import.meta.dirname, 'python', 'duckdb-bridge');

t.test('end to end: worker → Glue (stand-in running peak_etl_job.py) → a processed batch, announced by the job', async (t) => {
  const s = await setup(t);
  s.options.runTimeoutMs = 90_000; // a Python process and a DuckDB bridge to start: seconds, more on a busy machine
  const bundles = join(s.dir, 'bundles');
  const cli = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'services/etl/src/glue/bundle-cli.ts'), '--out', bundles], { cwd: ROOT, encoding: 'utf8' });
  t.equal(cli.status, 0, `etl:bundle ${cli.stderr}`);
  const printed: string[] = [];
  // The job's default arguments, as the Glue job resource sets them (but a folder lake and stdout for the queue).
  const defaults = { '--bundle_uri': join(bundles, '{dataset}.bundle.json'), '--lake_uri': pathToFileURL(join(s.dir, 'lake')).href, '--max_attempts': '3', '--work_dir': join(s.dir, 'py') };
  s.glue.script({
    execute: (args) => new Promise((resolve) => {
      const argv = Object.entries({ ...defaults, ...args }).flat();
      const child = spawn('python3', [SCRIPT, ...argv, '--JOB_ID', 'j_stand_in'], {
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: BRIDGE, DUCKDB_BRIDGE: JSON.stringify([process.execPath, '--import', import.meta.resolve('tsx'), join(BRIDGE, 'server.ts')]) },
      });
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => printed.push(...d.toString('utf8').split('\n').filter(Boolean)));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.on('close', (code) => resolve(code === 0 ? { state: 'SUCCEEDED' } : { state: 'FAILED', errorMessage: stderr.slice(-500) }));
    }),
  });
  const outcomes: BatchOutcome[] = [];
  const errors: Error[] = [];
  const { w, send, counts } = await worker(t, s, outcomes, errors);
  const record = await s.registry.get(s.batchId);
  await send({ type: 'raw-landed', version: 1, batchId: s.batchId, dataset: 'members', objectKey: record?.objectKey, format: 'csv', compression: 'none', contentSha256: record?.contentSha256, bytes: record?.bytes, source: 'test', receivedAt: record?.receivedAt });
  w.start();
  await waitFor('the batch handled', async () => outcomes.length > 0 || errors.length > 0, 60_000, 50);
  t.same(errors.map((e) => e.message), []);
  t.match(outcomes, [{ kind: 'processed', record: { status: 'processed', rowsIn: 1, rowsProcessed: 1, rowsQuarantined: 0, attempts: 1 } }]);
  const done = await s.registry.get(s.batchId);
  t.same((await s.lake.list('processed/members/')).items.map((i) => i.key), done?.processedKeys, 'the job published the files its record lists');
  t.match(printed.map((l) => JSON.parse(l) as BatchProcessed), [{ type: 'batch-processed', batchId: s.batchId, status: 'processed', rowsProcessed: 1 }], 'announced once, by the job');
  t.same(s.announced, [], 'not by the worker');
  await waitFor('the message deleted', async () => (await counts()) === 0, 10_000, 50);
});

t.test('the service with ETL_EXECUTOR=glue: its worker starts the job (client from AWS_ENDPOINT_URL_GLUE) and counts the batch', async (t) => {
  const s = await setup(t);
  s.glue.script({ execute: fakeJob(s.registry, 'processed') });
  const emu = await useSqsEmulator(t, { queues: queueList });
  const sqs = localClients.sqs(t, emu.endpoint);
  // The SDK reads the endpoint (and credentials) from the environment, as in AWS; restored after the test.
  const saved = { ...process.env };
  Object.assign(process.env, { AWS_ENDPOINT_URL_GLUE: s.glue.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  t.teardown(() => void (process.env = saved));
  const config = readConfig({
    LAKE_URI: pathToFileURL(join(s.dir, 'lake')).href, ETL_WORK_DIR: join(s.dir, 'work'),
    ETL_EXECUTOR: 'glue', ETL_GLUE_JOB_NAME: JOB, ETL_GLUE_POLL_SECONDS: '0.02',
  });
  const app = await buildForTest(t, () => buildApp(config, { sqs }));
  await app.ready();
  const record = await s.registry.get(s.batchId);
  await new Queues(sqs).send(queues.rawLanded, { type: 'raw-landed', version: 1, batchId: s.batchId, dataset: 'members', objectKey: record?.objectKey ?? '', format: 'csv', compression: 'none', contentSha256: record?.contentSha256 ?? '', bytes: record?.bytes ?? 0, source: 'test', receivedAt: record?.receivedAt ?? '' });
  await waitFor('the worker to count the batch', async () => (await app.inject({ url: '/v1/worker' })).json<{ processed: number }>().processed === 1, 30_000, 50);
  t.same(s.glue.runs.map((r) => [r.args, r.state]), [[{ '--batch_id': s.batchId }, 'SUCCEEDED']], 'one run of the configured job');
  t.match((await app.inject({ url: '/v1/worker' })).json(), { processed: 1, lastBatch: { batchId: s.batchId, outcome: 'processed' } });
});
