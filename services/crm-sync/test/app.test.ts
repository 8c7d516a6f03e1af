import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { waitFor } from '@peak/local-stack';
import { buildForTest, checkGracefulShutdown, checkServiceShell, closedEndpoint, readiness, silentEndpoint, type Teardown } from '@peak/service-kit/testing';
import { buildApp as buildSandbox, readConfig as sandboxConfig } from '@peak/hubspot-sandbox';
import { buildApp, readConfig } from '@peak/crm-sync';

const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const TOKEN = 'pat-crm-sync-test';

/** A HubSpot sandbox listening on a random loopback port; `requests()` counts the CRM API calls it received. */
async function startSandbox(t: Teardown, env: Record<string, string> = {}): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  let requests = 0;
  const sandbox = await buildForTest(t, async () => {
    const app = await buildSandbox(sandboxConfig({ HUBSPOT_SANDBOX_TOKENS: TOKEN, ...env }));
    // On the HTTP server itself: counted before any of the sandbox's hooks can answer (401, 429).
    app.server.on('request', (req: { url?: string }) => {
      if (req.url?.startsWith('/crm/')) requests += 1;
    });
    return app;
  });
  await sandbox.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${(sandbox.server.address() as AddressInfo).port}`, requests: () => requests, close: () => sandbox.close() };
}

t.test('crm-sync', async (t) => {
  const sandbox = await startSandbox(t);
  const config = (env: Record<string, string> = {}) => readConfig({ HUBSPOT_BASE_URL: sandbox.url, HUBSPOT_ACCESS_TOKEN: TOKEN, ...env });

  t.test('shell: /health, OpenAPI at /docs/json, JSON 404', async (t) => {
    const app = await buildForTest(t, () => buildApp(config()));
    await checkServiceShell(t, app);
  });

  t.test('/ready: 200 when HubSpot answers an authenticated call', async (t) => {
    const app = await buildForTest(t, () => buildApp(config()));
    t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: { hubspot: 'ok' } });
  });

  t.test('/ready: 503 naming hubspot with a rejected token, a rate limit, or HubSpot down; HubSpot\'s answer under details', async (t) => {
    const details = { readinessDetails: true };
    const badToken = await buildForTest(t, () => buildApp(config({ HUBSPOT_ACCESS_TOKEN: 'pat-revoked-token' }), details));
    t.match(await readiness(badToken), {
      statusCode: 503,
      checks: { hubspot: 'error' },
      details: { hubspot: /^HubSpot answered 401 INVALID_AUTHENTICATION: Authentication credentials not found/ },
    });

    const limited = await startSandbox(t, { HUBSPOT_SANDBOX_RATE_LIMIT: '1', HUBSPOT_SANDBOX_RATE_LIMIT_WINDOW_MS: '60000' });
    const app = await buildForTest(t, () => buildApp(config({ HUBSPOT_BASE_URL: limited.url, HUBSPOT_READY_CACHE_MS: '0' }), details));
    t.equal((await readiness(app)).statusCode, 200);
    t.match(await readiness(app), { statusCode: 503, checks: { hubspot: 'error' }, details: { hubspot: /^HubSpot answered 429 RATE_LIMITS/ } });

    const closed = await closedEndpoint();
    const down = await buildForTest(t, () => buildApp(config({ HUBSPOT_BASE_URL: closed }), details));
    t.match(await readiness(down), { statusCode: 503, checks: { hubspot: 'unreachable' }, details: { hubspot: /^fetch failed: connect ECONNREFUSED/ } });
    const quiet = await buildForTest(t, () => buildApp(config({ HUBSPOT_BASE_URL: closed })));
    t.same(await readiness(quiet), { statusCode: 503, status: 'not ready', checks: { hubspot: 'unreachable' } }, 'no reason without READY_DETAILS');
  });

  t.test('/ready: the same app turns 503 when the sandbox stops (once its cached success expires)', async (t) => {
    const own = await startSandbox(t);
    let now = 0;
    const app = await buildForTest(t, () => buildApp(config({ HUBSPOT_BASE_URL: own.url }), { now: () => now }));
    t.equal((await readiness(app)).statusCode, 200);
    await own.close();
    now += 30_000;
    t.match(await readiness(app), { statusCode: 503, checks: { hubspot: 'unreachable' } });
  });

  t.test('/ready: a success is reused for HUBSPOT_READY_CACHE_MS (default 30 s), a failure never', async (t) => {
    const counted = await startSandbox(t);
    let now = 1_000_000;
    const app = await buildForTest(t, () => buildApp(config({ HUBSPOT_BASE_URL: counted.url }), { now: () => now }));
    t.equal((await readiness(app)).statusCode, 200);
    t.equal(counted.requests(), 1, 'the first /ready asks HubSpot');
    for (let i = 0; i < 5; i++) {
      now += 5_000; // a probe every 5 s
      t.equal((await readiness(app)).statusCode, 200);
    }
    t.equal(counted.requests(), 1, 'probes within 30 s reuse that answer');
    now += 5_000; // 30 s after the check
    t.equal((await readiness(app)).statusCode, 200);
    t.equal(counted.requests(), 2, 'asked again once it expired');

    const short = await buildForTest(t, () => buildApp(config({ HUBSPOT_BASE_URL: counted.url, HUBSPOT_READY_CACHE_MS: '1000' }), { now: () => now }));
    await readiness(short);
    now += 999;
    await readiness(short);
    t.equal(counted.requests(), 3, 'a configured 1 s cache holds for 1 s');

    const badToken = await buildForTest(t, () => buildApp(config({ HUBSPOT_BASE_URL: counted.url, HUBSPOT_ACCESS_TOKEN: 'pat-revoked-token' }), { now: () => now }));
    t.equal((await readiness(badToken)).statusCode, 503);
    t.equal((await readiness(badToken)).statusCode, 503);
    t.equal(counted.requests(), 5, 'every /ready after a failure asks again, so recovery shows at once');
  });

  t.test('/ready: HubSpot hanging is a timeout and the request is cancelled', async (t) => {
    const hung = await silentEndpoint(t);
    const app = await buildForTest(t, () => buildApp(config({ HUBSPOT_BASE_URL: hung.url }), { readinessTimeoutMs: 300 }));
    t.same(await readiness(app), { statusCode: 503, status: 'not ready', checks: { hubspot: 'timeout' } });
    await waitFor('the HubSpot request to reach the endpoint', async () => hung.requests() > 0, 5_000);
    await waitFor('the timed-out HubSpot request to close its connection', async () => hung.pending() === 0, 10_000);
    t.pass('no request left open');
  });

  t.test('config: HUBSPOT_ACCESS_TOKEN is required; the base URL defaults to HubSpot', async (t) => {
    t.throws(() => readConfig({}), { name: 'ConfigError', message: /HUBSPOT_ACCESS_TOKEN: required but not set/ });
    t.match(readConfig({ HUBSPOT_ACCESS_TOKEN: TOKEN }), { PORT: 4003, HUBSPOT_BASE_URL: 'https://api.hubapi.com', HUBSPOT_READY_CACHE_MS: 30_000 });
    t.throws(() => readConfig({ HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_URL: 'api.hubapi.com' }), { message: /HUBSPOT_BASE_URL: must match/ });
  });

  t.test('server.ts: boots from env, logs JSON, exits 0 on SIGTERM', async (t) => {
    await checkGracefulShutdown(t, server, { HUBSPOT_BASE_URL: sandbox.url, HUBSPOT_ACCESS_TOKEN: TOKEN });
  });
});
