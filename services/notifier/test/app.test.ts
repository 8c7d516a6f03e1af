import { fileURLToPath } from 'node:url';
import t from 'tap';
import { localAwsEnv } from '@peak/local-stack';
import {
  buildForTest,
  checkGracefulShutdown,
  checkServiceShell,
  closedEndpoint,
  localClients,
  readiness,
  useSesEmulator,
  useSqsEmulator,
} from '@peak/service-kit/testing';
import { buildApp, readConfig } from '@peak/notifier';

const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));

t.test('notifier', async (t) => {
  const emu = await useSqsEmulator(t);
  const sesEmu = await useSesEmulator(t);
  const sqs = localClients.sqs(t, emu.endpoint);
  const ses = localClients.ses(t, sesEmu.endpoint);

  t.test('shell: /health, OpenAPI at /docs/json, JSON 404', async (t) => {
    const app = await buildForTest(t, () => buildApp(readConfig({}), { sqs, ses }));
    await checkServiceShell(t, app);
  });

  t.test('/ready: 200 with SES and SQS up', async (t) => {
    const app = await buildForTest(t, () => buildApp(readConfig({}), { sqs, ses }));
    t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: { ses: 'ok', sqs: 'ok' } });
  });

  t.test('/ready: 503 naming ses when SES is down, sqs when SQS is down', async (t) => {
    const closed = await closedEndpoint();
    const noSes = await buildForTest(t, () => buildApp(readConfig({}), { sqs, ses: localClients.ses(t, closed) }));
    t.same(await readiness(noSes), { statusCode: 503, status: 'not ready', checks: { ses: 'unreachable', sqs: 'ok' } });
    const noSqs = await buildForTest(t, () => buildApp(readConfig({}), { sqs: localClients.sqs(t, closed), ses }));
    t.same(await readiness(noSqs), { statusCode: 503, status: 'not ready', checks: { ses: 'ok', sqs: 'unreachable' } });
  });

  t.test('config: defaults (PUBLIC_BASE_URL follows PORT), and a ConfigError naming bad values', async (t) => {
    t.match(readConfig({}), { PORT: 4002, SES_FROM_ADDRESS: 'Peak Fitness <hello@peakfitness.example>', PUBLIC_BASE_URL: 'http://127.0.0.1:4002' });
    t.equal(readConfig({ PORT: '8080' }).PUBLIC_BASE_URL, 'http://127.0.0.1:8080');
    t.equal(readConfig({ PUBLIC_BASE_URL: 'https://mail.peakfitness.example/' }).PUBLIC_BASE_URL, 'https://mail.peakfitness.example');
    t.equal(readConfig({ SES_FROM_ADDRESS: 'hello@peakfitness.example' }).SES_FROM_ADDRESS, 'hello@peakfitness.example');
    t.throws(() => readConfig({ SES_FROM_ADDRESS: 'Peak Fitness', PUBLIC_BASE_URL: 'ftp://x' }), {
      name: 'ConfigError',
      message: /SES_FROM_ADDRESS: must match pattern[\s\S]*PUBLIC_BASE_URL: must match pattern/,
    });
  });

  t.test('server.ts: boots from env, logs JSON, exits 0 on SIGTERM', async (t) => {
    await checkGracefulShutdown(t, server, localAwsEnv({ sqs: emu.endpoint, s3: emu.endpoint, sesv2: sesEmu.endpoint, dynamodb: await closedEndpoint() }));
  });
});
