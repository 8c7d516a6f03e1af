import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Client } from '@hubspot/api-client';
import { PropertyCreateFieldTypeEnum, PropertyCreateTypeEnum } from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { buildForTest, checkGracefulShutdown, checkServiceShell, readiness } from '@peak/service-kit/testing';
import { buildApp, readConfig } from '@peak/hubspot-sandbox';

const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));

t.test('shell: /health, /ready (no dependencies), OpenAPI with the CRM routes, JSON 404 outside /crm', async (t) => {
  const app = await buildForTest(t, () => buildApp(readConfig({})));
  await checkServiceShell(t, app, ['/crm/v3/properties/contacts', '/crm/v3/objects/contacts/batch/upsert', '/crm/v3/objects/contacts', '/crm/v3/objects/contacts/batch/read']);
  t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: {} });
  const unknown = await app.inject({ method: 'GET', url: '/crm/v3/objects/deals', headers: { authorization: 'Bearer pat-local-sandbox' } });
  t.equal(unknown.statusCode, 404);
  t.match(unknown.json(), { status: 'error', category: 'OBJECT_NOT_FOUND' });
});

t.test('config: defaults, and a ConfigError naming bad values', async (t) => {
  t.match(readConfig({}), { PORT: 4010, HUBSPOT_SANDBOX_TOKENS: 'pat-local-sandbox', HUBSPOT_SANDBOX_RATE_LIMIT: 100, HUBSPOT_SANDBOX_RATE_LIMIT_WINDOW_MS: 10_000 });
  t.throws(() => readConfig({ HUBSPOT_SANDBOX_TOKENS: 'short', HUBSPOT_SANDBOX_RATE_LIMIT: '0' }), {
    name: 'ConfigError',
    message: /HUBSPOT_SANDBOX_TOKENS: must match pattern[\s\S]*HUBSPOT_SANDBOX_RATE_LIMIT: must be >= 1/,
  });
});

t.test('the official @hubspot/api-client works against the sandbox', async (t) => {
  const app = await buildForTest(t, () => buildApp(readConfig({ HUBSPOT_SANDBOX_TOKENS: 'pat-client-test' })));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const basePath = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const hubspot = new Client({ accessToken: 'pat-client-test', basePath, numberOfApiCallRetries: 0 });

  const properties = await hubspot.crm.properties.coreApi.getAll('contacts');
  t.ok(properties.results.some((p) => p.name === 'email'), 'properties.getAll');
  const created = await hubspot.crm.properties.coreApi.create('contacts', {
    name: 'peak_last_visit',
    label: 'Last visit',
    type: PropertyCreateTypeEnum.Date,
    fieldType: PropertyCreateFieldTypeEnum.Date,
    groupName: 'contactinformation',
  });
  t.equal(created.name, 'peak_last_visit', 'properties.create');

  const upserted = await hubspot.crm.contacts.batchApi.upsert({
    inputs: [{ idProperty: 'email', id: 'client@example.com', properties: { firstname: 'Client', peak_last_visit: '2026-11-20' } }],
  });
  t.equal(upserted.results[0]?._new, true, 'batch upsert, `new` mapped by the client');
  t.ok(upserted.results[0]?.updatedAt instanceof Date, 'dates parsed by the client');

  const page = await hubspot.crm.contacts.basicApi.getPage(10, undefined, ['email', 'peak_last_visit']);
  t.match(page.results[0]?.properties, { email: 'client@example.com', peak_last_visit: '2026-11-20' }, 'list with properties');

  const read = await hubspot.crm.contacts.batchApi.read({ idProperty: 'email', inputs: [{ id: 'client@example.com' }], properties: ['firstname'], propertiesWithHistory: [] });
  t.match(read.results[0]?.properties, { firstname: 'Client' }, 'batch read');

  const stranger = new Client({ accessToken: 'pat-not-issued', basePath, numberOfApiCallRetries: 0 });
  await t.rejects(stranger.crm.properties.coreApi.getAll('contacts'), { code: 401, body: { category: 'INVALID_AUTHENTICATION' } }, '401 reaches the client as ApiException');
});

t.test('server.ts: boots from env, logs JSON, exits 0 on SIGTERM', async (t) => {
  await checkGracefulShutdown(t, server, { HUBSPOT_SANDBOX_TOKENS: 'pat-spawned-sandbox' });
});
