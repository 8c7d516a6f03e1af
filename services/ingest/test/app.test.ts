import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import type { ConfigError } from '@peak/service-kit';
import { localAwsEnv } from '@peak/local-stack';
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
import { buildApp, readConfig } from '@peak/ingest';

const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const keys = 'membership-system:membership-key-0001,door-system:door-key-000000001';

t.test('ingest', async (t) => {
  const emu = await useSqsEmulator(t, { buckets: ['peak-lake'] });
  const lakeDir = t.testdir({ lake: {} });
  const lakeUri = pathToFileURL(join(lakeDir, 'lake')).href;
  const config = (env: Record<string, string> = {}) => readConfig({ LAKE_URI: lakeUri, INGEST_API_KEYS: keys, ...env });
  const sqs = localClients.sqs(t, emu.endpoint);

  t.test('shell: /health, OpenAPI at /docs/json documenting the batch routes, JSON 404', async (t) => {
    const app = await buildForTest(t, () => buildApp(config(), { sqs }));
    await checkServiceShell(t, app, ['/v1/datasets/{dataset}/batches', '/v1/batches/{id}', '/v1/batches', '/v1/events/check-ins']);
  });

  t.test('/ready: 200 when SQS and the lake folder answer', async (t) => {
    const app = await buildForTest(t, () => buildApp(config(), { sqs }));
    t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: { sqs: 'ok', lake: 'ok' } });
  });

  t.test('/ready: 503 naming sqs when SQS is down', async (t) => {
    const down = localClients.sqs(t, await closedEndpoint());
    const app = await buildForTest(t, () => buildApp(config(), { sqs: down, readinessDetails: true }));
    t.match(await readiness(app), {
      statusCode: 503,
      checks: { sqs: 'unreachable', lake: 'ok' },
      details: { sqs: /^queue raw-landed: connect ECONNREFUSED/ },
    });
  });

  t.test('/ready: 503 naming the lake when its folder is missing, ok once it exists', async (t) => {
    const folder = join(lakeDir, 'later');
    const app = await buildForTest(t, () => buildApp(config({ LAKE_URI: pathToFileURL(folder).href }), { sqs, readinessDetails: true }));
    t.match(await readiness(app), { statusCode: 503, checks: { sqs: 'ok', lake: 'error' }, details: { lake: `folder ${folder} does not exist` } });
    await mkdir(folder);
    t.teardown(() => rm(folder, { recursive: true, force: true }));
    t.match(await readiness(app), { statusCode: 200, checks: { lake: 'ok' } });
  });

  t.test('/ready with an S3 lake: HeadBucket on the lake bucket', async (t) => {
    const s3 = localClients.s3(t, emu.endpoint);
    const good = await buildForTest(t, () => buildApp(config({ LAKE_URI: 's3://peak-lake/v1' }), { sqs, s3 }));
    t.same(await readiness(good), { statusCode: 200, status: 'ready', checks: { sqs: 'ok', lake: 'ok' } });
    const missing = await buildForTest(t, () => buildApp(config({ LAKE_URI: 's3://no-such-lake' }), { sqs, s3, readinessDetails: true }));
    t.match(await readiness(missing), { statusCode: 503, checks: { lake: 'error' }, details: { lake: 'bucket no-such-lake: NotFound (HTTP 404)' } });
  });

  t.test('config: defaults, and a ConfigError naming each bad variable', async (t) => {
    t.match(config(), { PORT: 4001, MAX_UPLOAD_BYTES: 100 * 1024 * 1024, LAKE_URI: lakeUri });
    t.match(config(), { CHECKIN_BATCH_MAX_EVENTS: 5000, CHECKIN_BATCH_MAX_SECONDS: 60, CHECKIN_SPOOL_DIR: join(tmpdir(), 'peak-ingest-spool') }, 'check-in buffer defaults');
    t.throws(() => readConfig({ INGEST_API_KEYS: keys }), { name: 'ConfigError', message: /LAKE_URI: required but not set/ });
    const err = t.throws(() =>
      readConfig({ LAKE_URI: 'http://lake', INGEST_API_KEYS: 'door-system=short', MAX_UPLOAD_BYTES: '0', CHECKIN_BATCH_MAX_EVENTS: '0', CHECKIN_BATCH_MAX_SECONDS: 'soon' }),
    ) as ConfigError;
    t.same(
      err.problems.map((p) => p.split(':')[0]),
      ['LAKE_URI', 'INGEST_API_KEYS', 'MAX_UPLOAD_BYTES', 'CHECKIN_BATCH_MAX_EVENTS', 'CHECKIN_BATCH_MAX_SECONDS'],
    );
  });

  t.test('server.ts: boots from env (S3 lake via AWS_ENDPOINT_URL_S3), logs JSON, exits 0 on SIGTERM', async (t) => {
    const env = { ...localAwsEnv({ sqs: emu.endpoint, s3: emu.endpoint, sesv2: await closedEndpoint(), dynamodb: await closedEndpoint() }), LAKE_URI: 's3://peak-lake', INGEST_API_KEYS: keys };
    await checkGracefulShutdown(t, server, env);
  });

  t.test('server.ts: a bad environment exits 1 with the problem named', async (t) => {
    const { code, stderr } = await runWithBadConfig(server, { INGEST_API_KEYS: keys });
    t.equal(code, 1);
    t.match(stderr, /ingest: invalid configuration:\n {2}- LAKE_URI: required but not set/);
  });
});
