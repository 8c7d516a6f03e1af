import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { buildForTest, checkGracefulShutdown, checkServiceShell, closedEndpoint, readiness, type Teardown } from '@peak/service-kit/testing';
import { buildApp as buildSandbox, readConfig as sandboxConfig } from '@peak/hubspot-sandbox';
import { buildApp, readConfig } from '@peak/crm-sync';

const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const TOKEN = 'pat-crm-sync-test';

/** A HubSpot sandbox listening on a random loopback port. */
async function startSandbox(t: Teardown, env: Record<string, string> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const sandbox = await buildForTest(t, () => buildSandbox(sandboxConfig({ HUBSPOT_SANDBOX_TOKENS: TOKEN, ...env })));
  await sandbox.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${(sandbox.server.address() as AddressInfo).port}`, close: () => sandbox.close() };
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

  t.test('/ready: 503 naming hubspot with a rejected token, a rate limit, or HubSpot down', async (t) => {
    const badToken = await buildForTest(t, () => buildApp(config({ HUBSPOT_ACCESS_TOKEN: 'pat-revoked-token' })));
    t.match(await readiness(badToken), { statusCode: 503, checks: { hubspot: /^failing: HubSpot answered 401 INVALID_AUTHENTICATION: Authentication credentials not found/ } });

    const limited = await startSandbox(t, { HUBSPOT_SANDBOX_RATE_LIMIT: '1', HUBSPOT_SANDBOX_RATE_LIMIT_WINDOW_MS: '60000' });
    const app = await buildForTest(t, () => buildApp(config({ HUBSPOT_BASE_URL: limited.url })));
    t.equal((await readiness(app)).statusCode, 200);
    t.match(await readiness(app), { statusCode: 503, checks: { hubspot: /^failing: HubSpot answered 429 RATE_LIMITS/ } });

    const closed = await closedEndpoint();
    const down = await buildForTest(t, () => buildApp(config({ HUBSPOT_BASE_URL: closed })));
    t.match(await readiness(down), { statusCode: 503, checks: { hubspot: /^failing: fetch failed: connect ECONNREFUSED/ } });
  });

  t.test('/ready: the same app turns 503 when the sandbox stops', async (t) => {
    const own = await startSandbox(t);
    const app = await buildForTest(t, () => buildApp(config({ HUBSPOT_BASE_URL: own.url })));
    t.equal((await readiness(app)).statusCode, 200);
    await own.close();
    t.match(await readiness(app), { statusCode: 503, checks: { hubspot: /^failing: / } });
  });

  t.test('config: HUBSPOT_ACCESS_TOKEN is required; the base URL defaults to HubSpot', async (t) => {
    t.throws(() => readConfig({}), { name: 'ConfigError', message: /HUBSPOT_ACCESS_TOKEN: required but not set/ });
    t.match(readConfig({ HUBSPOT_ACCESS_TOKEN: TOKEN }), { PORT: 4003, HUBSPOT_BASE_URL: 'https://api.hubapi.com' });
    t.throws(() => readConfig({ HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_URL: 'api.hubapi.com' }), { message: /HUBSPOT_BASE_URL: must match/ });
  });

  t.test('server.ts: boots from env, logs JSON, exits 0 on SIGTERM', async (t) => {
    await checkGracefulShutdown(t, server, { HUBSPOT_BASE_URL: sandbox.url, HUBSPOT_ACCESS_TOKEN: TOKEN });
  });
});
