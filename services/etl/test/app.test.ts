import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { queueList, queues } from '@peak/contracts';
import { BatchRegistry, FolderLake, newBatchId } from '@peak/lake';
import { localAwsEnv, waitFor } from '@peak/local-stack';
import { Queues } from '@peak/service-kit';
import {
  buildForTest,
  checkGracefulShutdown,
  checkServiceShell,
  closedEndpoint,
  localClients,
  readiness,
  runWithBadConfig,
  useSqsEmulator,
} from '@peak/service-kit/testing';
import { buildApp, readConfig } from '@peak/etl';
import { landBatch } from './helpers.js';

const server = fileURLToPath(new URL('../src/service/server.ts', import.meta.url));

t.test('etl service', async (t) => {
  const emu = await useSqsEmulator(t, { queues: queueList, buckets: ['peak-lake'] });
  const sqs = localClients.sqs(t, emu.endpoint);
  const dir = t.testdir({ lake: {} });
  const lakeUri = pathToFileURL(join(dir, 'lake')).href;
  const config = (env: Record<string, string> = {}) => readConfig({ LAKE_URI: lakeUri, ETL_WORK_DIR: join(dir, 'work'), ...env });

  t.test('shell: /health, OpenAPI at /docs/json, JSON 404', async (t) => {
    const app = await buildForTest(t, () => buildApp(config(), { sqs, worker: false }));
    await checkServiceShell(t, app);
    const spec = (await app.inject({ url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    t.ok(spec.paths['/v1/worker'], 'the worker status is documented');
  });

  t.test('/ready: 200 when SQS and the lake answer; 503 naming sqs when SQS is down', async (t) => {
    const app = await buildForTest(t, () => buildApp(config(), { sqs, worker: false }));
    t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: { sqs: 'ok', lake: 'ok' } });
    const down = localClients.sqs(t, await closedEndpoint());
    const broken = await buildForTest(t, () => buildApp(config(), { sqs: down, worker: false }));
    t.same(await readiness(broken), { statusCode: 503, status: 'not ready', checks: { sqs: 'unreachable', lake: 'ok' } });
  });

  t.test('the worker takes a landed batch to processed and announces it; /v1/worker counts it', async (t) => {
    const lake = new FolderLake(join(dir, 'lake'));
    const body = 'member_id,email,first_name,last_name,home_location_id,join_date,plan,status,cancelled_on,birth_year,marketing_opt_in,updated_at\n'
      + 'M000001,ada@example.com,Ada,Lovelace,downtown,2026-01-02,unlimited,active,,1990,true,2026-01-02T10:00:00Z\n';
    const { record, message } = await landBatch(lake, 'members', body);
    const { batchId } = record;
    const app = await buildForTest(t, () => buildApp(config(), { sqs }));
    await app.ready();
    const q = new Queues(sqs);
    await q.send(queues.rawLanded, message);
    // The worker counts a batch once its message is handled, a moment after the record says processed.
    await waitFor('the worker to count the batch', async () => (app.inject({ url: '/v1/worker' }).then((r) => (r.json() as { processed: number }).processed === 1)), 30_000, 100);
    t.equal((await new BatchRegistry(lake).get(batchId))?.status, 'processed');
    t.match((await app.inject({ url: '/v1/worker' })).json(), { state: 'running', processed: 1, failed: 0, lastBatch: { batchId, outcome: 'processed' } });
  });

  t.test('POST /v1/batches/:id/replay: admin key required (401/403), unknown batch 404, off without a key', async (t) => {
    const key = 'test-admin-key-0001';
    const app = await buildForTest(t, () => buildApp(config({ ETL_ADMIN_KEY: key }), { sqs, worker: false }));
    const url = `/v1/batches/${newBatchId('members')}/replay`;
    const post = async (a: typeof app, authorization?: string) => {
      const res = await a.inject({ method: 'POST', url, headers: authorization ? { authorization } : {} });
      return { status: res.statusCode, code: (res.json() as { code: string }).code };
    };
    t.same(await post(app), { status: 401, code: 'UNAUTHENTICATED' });
    t.same(await post(app, 'Bearer wrong-key-wrong-key'), { status: 403, code: 'INVALID_API_KEY' });
    t.same(await post(app, `Bearer ${key}`), { status: 404, code: 'BATCH_NOT_FOUND' });
    t.equal((await app.inject({ method: 'POST', url: '/v1/batches/..%2F..%2Fetc/replay', headers: { authorization: `Bearer ${key}` } })).statusCode, 400, 'a hostile id never reaches the lake');
    const off = await buildForTest(t, () => buildApp(config(), { sqs, worker: false }));
    t.same(await post(off, `Bearer ${key}`), { status: 403, code: 'ADMIN_DISABLED' });
  });

  t.test('config: defaults, and a ConfigError naming each bad variable', async (t) => {
    t.match(config(), { PORT: 4004, ETL_VISIBILITY_SECONDS: 300 });
    t.throws(() => readConfig({}), { name: 'ConfigError', message: /LAKE_URI: required but not set/ });
    t.throws(() => readConfig({ LAKE_URI: lakeUri, ETL_VISIBILITY_SECONDS: '5' }), { name: 'ConfigError', message: /ETL_VISIBILITY_SECONDS/ });
  });

  t.test('server.ts: boots from env (S3 lake), logs JSON, exits 0 on SIGTERM', async (t) => {
    const env = { ...localAwsEnv({ sqs: emu.endpoint, s3: emu.endpoint, sesv2: await closedEndpoint(), dynamodb: await closedEndpoint() }), LAKE_URI: 's3://peak-lake', ETL_WORK_DIR: join(dir, 'work') };
    await checkGracefulShutdown(t, server, env);
  });

  t.test('server.ts: a bad environment exits 1 with the problem named', async (t) => {
    const { code, stderr } = await runWithBadConfig(server, {});
    t.equal(code, 1);
    t.match(stderr, /etl: invalid configuration:\n {2}- LAKE_URI: required but not set/);
  });
});
