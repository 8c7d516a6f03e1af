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
  useDynamoDb,
  useSesEmulator,
  useSqsEmulator,
} from '@peak/service-kit/testing';
import { buildApp, readConfig } from '@peak/notifier';

const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));
export const TEST_SIGNING_KEY = 'test-unsubscribe-signing-key-0123456789';
const env = (vars: Record<string, string> = {}) => ({ UNSUBSCRIBE_SIGNING_KEYS: TEST_SIGNING_KEY, ...vars });

t.test('notifier', async (t) => {
  const emu = await useSqsEmulator(t);
  const sesEmu = await useSesEmulator(t);
  const db = await useDynamoDb(t);
  const sqs = localClients.sqs(t, emu.endpoint);
  const ses = localClients.ses(t, sesEmu.endpoint);
  const dynamodb = localClients.dynamodb(t, db.endpoint);
  const deps = { sqs, ses, dynamodb, consume: false };

  t.test('shell: /health, OpenAPI at /docs/json, JSON 404', async (t) => {
    const app = await buildForTest(t, () => buildApp(readConfig(env()), deps));
    await checkServiceShell(t, app);
  });

  t.test('/ready: 200 with SES, SQS and DynamoDB up', async (t) => {
    const app = await buildForTest(t, () => buildApp(readConfig(env()), deps));
    t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: { ses: 'ok', sqs: 'ok', dynamodb: 'ok' } });
  });

  t.test('/ready: 503 naming each dependency that is down', async (t) => {
    const closed = await closedEndpoint();
    const noSes = await buildForTest(t, () => buildApp(readConfig(env()), { ...deps, ses: localClients.ses(t, closed) }));
    t.same(await readiness(noSes), { statusCode: 503, status: 'not ready', checks: { ses: 'unreachable', sqs: 'ok', dynamodb: 'ok' } });
    const noSqs = await buildForTest(t, () => buildApp(readConfig(env()), { ...deps, sqs: localClients.sqs(t, closed) }));
    t.same(await readiness(noSqs), { statusCode: 503, status: 'not ready', checks: { ses: 'ok', sqs: 'unreachable', dynamodb: 'ok' } });
    const noDb = await buildForTest(t, () => buildApp(readConfig(env()), { ...deps, dynamodb: localClients.dynamodb(t, closed) }));
    t.same(await readiness(noDb), { statusCode: 503, status: 'not ready', checks: { ses: 'ok', sqs: 'ok', dynamodb: 'unreachable' } });
  });

  t.test('config: defaults (PUBLIC_BASE_URL follows PORT), and a ConfigError naming bad values', async (t) => {
    t.match(readConfig(env()), { PORT: 4002, SES_FROM_ADDRESS: 'Peak Fitness <hello@peakfitness.example>', PUBLIC_BASE_URL: 'http://127.0.0.1:4002', FREQUENCY_CAP: '2/7d', QUIET_HOURS: '21:00-08:00' });
    t.equal(readConfig(env({ PORT: '8080' })).PUBLIC_BASE_URL, 'http://127.0.0.1:8080');
    t.equal(readConfig(env({ PUBLIC_BASE_URL: 'https://mail.peakfitness.example/' })).PUBLIC_BASE_URL, 'https://mail.peakfitness.example');
    t.equal(readConfig(env({ SES_FROM_ADDRESS: 'hello@peakfitness.example' })).SES_FROM_ADDRESS, 'hello@peakfitness.example');
    t.throws(() => readConfig(env({ SES_FROM_ADDRESS: 'Peak Fitness', PUBLIC_BASE_URL: 'ftp://x' })), {
      name: 'ConfigError',
      message: /SES_FROM_ADDRESS: must match pattern[\s\S]*PUBLIC_BASE_URL: must match pattern/,
    });
    t.throws(() => readConfig({}), { name: 'ConfigError', message: /UNSUBSCRIBE_SIGNING_KEYS/ }, 'no signing key: refused');
    t.throws(() => readConfig(env({ UNSUBSCRIBE_SIGNING_KEYS: 'short' })), { name: 'ConfigError', message: /UNSUBSCRIBE_SIGNING_KEYS/ });
    t.throws(() => readConfig(env({ QUIET_HOURS: '9pm-8am' })), { name: 'ConfigError', message: /QUIET_HOURS: quiet hours must look like 21:00-08:00/ });
    t.throws(() => readConfig(env({ FREQUENCY_CAP: '2 a week' })), { name: 'ConfigError', message: /FREQUENCY_CAP/ });
    t.throws(() => readConfig(env({ STUDIO_TIME_ZONE: 'Mars/Olympus' })), { name: 'ConfigError', message: /not an IANA time zone/ });
    t.throws(() => readConfig(env({ CAMPAIGN_SCHEDULE: 'daily' })), { name: 'ConfigError', message: /CAMPAIGN_SCHEDULE/ });
  });

  t.test('server.ts: boots from env, logs JSON, exits 0 on SIGTERM', async (t) => {
    await checkGracefulShutdown(t, server, {
      ...localAwsEnv({ sqs: emu.endpoint, s3: emu.endpoint, sesv2: sesEmu.endpoint, dynamodb: db.endpoint }),
      ...env(),
    });
  });
});
