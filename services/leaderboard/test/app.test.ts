import { fileURLToPath } from 'node:url';
import t from 'tap';
import { localAwsEnv, waitFor } from '@peak/local-stack';
import {
  buildForTest,
  checkGracefulShutdown,
  checkServiceShell,
  closedEndpoint,
  localClients,
  readiness,
  useRedis,
  useSqsEmulator,
} from '@peak/service-kit/testing';
import { buildApp, readConfig } from '@peak/leaderboard';

const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));

t.test('leaderboard', async (t) => {
  const emu = await useSqsEmulator(t);
  const sqs = localClients.sqs(t, emu.endpoint);

  t.test('shell: /health, OpenAPI at /docs/json without the dashboard files, JSON 404', async (t) => {
    const redis = await useRedis(t);
    const app = await buildForTest(t, () => buildApp(readConfig({ REDIS_URL: redis.url }), { sqs }));
    await checkServiceShell(t, app);
    const paths = Object.keys((await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: object }>().paths);
    t.same(paths.sort(), [
      '/health', '/ready', '/v1/churn/members', '/v1/churn/model', '/v1/churn/summary',
      '/v1/leaderboard/boards', '/v1/leaderboard/live', '/v1/leaderboard/members/{memberId}', '/v1/leaderboard/members/{memberId}/around', '/v1/leaderboard/top',
      '/v1/metrics/', '/v1/metrics/{metric}', '/v1/metrics/members/{memberId}/history',
    ].sort(), 'static files are not API');
  });

  t.test('the dashboard page and its assets are served at /', async (t) => {
    const redis = await useRedis(t);
    const app = await buildForTest(t, () => buildApp(readConfig({ REDIS_URL: redis.url }), { sqs }));
    const page = await app.inject({ method: 'GET', url: '/' });
    t.equal(page.statusCode, 200);
    t.match(page.headers['content-type'], /text\/html/);
    t.match(page.body, /<title>Peak Fitness · Engagement dashboard<\/title>/);
    t.equal(page.headers['cache-control'], 'no-cache', 'the page is always revalidated');
    const assets = [...page.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    t.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `a script and a stylesheet: ${assets.join(', ')}`);
    for (const a of assets) {
      const res = await app.inject({ method: 'GET', url: a });
      t.equal(res.statusCode, 200, `${a} served`);
      t.match(res.headers['cache-control'], /immutable/, `${a} cached for good (its name changes with its content)`);
    }
    t.equal((await app.inject({ method: 'GET', url: '/no-such-file.js' })).statusCode, 404);
  });

  t.test('/ready: 200 with Redis and SQS up; 503 naming redis once Redis stops', async (t) => {
    const redis = await useRedis(t);
    const app = await buildForTest(t, () => buildApp(readConfig({ REDIS_URL: redis.url }), { sqs }));
    t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: { redis: 'ok', sqs: 'ok' } });
    await redis.stop();
    await waitFor('/ready to report redis down', async () => (await readiness(app)).statusCode === 503, 5_000);
    t.match(await readiness(app), { checks: { redis: 'unreachable', sqs: 'ok' } });
  });

  t.test('/ready: 503 naming sqs when SQS is down', async (t) => {
    const redis = await useRedis(t);
    const down = localClients.sqs(t, await closedEndpoint());
    const app = await buildForTest(t, () => buildApp(readConfig({ REDIS_URL: redis.url }), { sqs: down, readinessDetails: true }));
    t.match(await readiness(app), {
      statusCode: 503,
      checks: { redis: 'ok', sqs: 'unreachable' },
      details: { sqs: /^queue attendance-events: connect ECONNREFUSED/ },
    });
  });

  t.test('config: defaults, and a ConfigError naming a bad REDIS_URL', async (t) => {
    t.match(readConfig({}), { PORT: 4000, REDIS_URL: 'redis://127.0.0.1:6379' });
    t.throws(() => readConfig({ REDIS_URL: 'localhost:6379' }), { name: 'ConfigError', message: /REDIS_URL: must match pattern/ });
  });

  t.test('server.ts: boots from env, logs JSON, exits 0 on SIGTERM', async (t) => {
    const redis = await useRedis(t);
    const env = { ...localAwsEnv({ sqs: emu.endpoint, s3: emu.endpoint, sesv2: await closedEndpoint(), dynamodb: await closedEndpoint() }), REDIS_URL: redis.url };
    await checkGracefulShutdown(t, server, env);
  });
});
