import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Client } from '@hubspot/api-client';
import { PropertyCreateFieldTypeEnum, PropertyCreateTypeEnum } from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import { buildForTest, checkGracefulShutdown, checkServiceShell, readiness } from '@peak/service-kit/testing';
import { buildApp, readConfig } from '@peak/hubspot-sandbox';
import { listeningSandbox, manualClock, memberIdProperty, TOKEN } from './helper.js';

const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));

t.test('shell: /health, /ready (no dependencies), OpenAPI with the CRM routes, JSON 404 outside /crm', async (t) => {
  const app = await buildForTest(t, () => buildApp(readConfig({})));
  await checkServiceShell(t, app, [
    '/crm/v3/properties/contacts',
    '/crm/v3/properties/contacts/{propertyName}',
    '/crm/v3/properties/contacts/groups',
    '/crm/v3/properties/contacts/groups/{groupName}',
    '/crm/v3/objects/contacts/batch/upsert',
    '/crm/v3/objects/contacts',
    '/crm/v3/objects/contacts/batch/read',
    '/crm/v3/objects/contacts/search',
    '/_sandbox/faults',
    '/_sandbox/requests',
    '/_sandbox/reset',
  ]);
  t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: {} });
  const unknown = await app.inject({ method: 'GET', url: '/crm/v3/objects/deals', headers: { authorization: 'Bearer pat-local-sandbox' } });
  t.equal(unknown.statusCode, 404);
  t.match(unknown.json(), { status: 'error', category: 'OBJECT_NOT_FOUND' });
});

t.test('config: defaults, and a ConfigError naming bad values', async (t) => {
  t.match(readConfig({}), {
    PORT: 4010,
    HUBSPOT_SANDBOX_TOKENS: 'pat-local-sandbox',
    HUBSPOT_SANDBOX_TIER: 'starter',
    HUBSPOT_SANDBOX_RATE_LIMIT: undefined,
    HUBSPOT_SANDBOX_RATE_LIMIT_WINDOW_MS: 10_000,
    HUBSPOT_SANDBOX_DAILY_LIMIT: undefined,
    HUBSPOT_SANDBOX_TIME_ZONE: 'America/New_York',
    HUBSPOT_SANDBOX_SEARCH_RATE_LIMIT: 5,
    HUBSPOT_SANDBOX_RECORDED_REQUESTS: 1_000,
  });
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

t.test('@hubspot/api-client: 207 resolves with numErrors, groups and property reads, search, 409 and 429 as ApiException', async (t) => {
  const clock = manualClock();
  const { basePath } = await listeningSandbox(t, { HUBSPOT_SANDBOX_RATE_LIMIT: '12', HUBSPOT_SANDBOX_DAILY_LIMIT: '1000' }, { now: clock.now });
  const hubspot = new Client({ basePath, accessToken: TOKEN, numberOfApiCallRetries: 0 });

  const group = await hubspot.crm.properties.groupsApi.create('contacts', { name: 'peak_fitness', label: 'Peak Fitness', displayOrder: 1 });
  t.match(group, { name: 'peak_fitness', label: 'Peak Fitness', displayOrder: 1, archived: false }, 'groups.create');
  t.match(await hubspot.crm.properties.groupsApi.getByName('contacts', 'peak_fitness'), { name: 'peak_fitness' }, 'groups.getByName');
  t.ok((await hubspot.crm.properties.groupsApi.getAll('contacts')).results.some((g) => g.name === 'peak_fitness'), 'groups.getAll');
  await t.rejects(hubspot.crm.properties.groupsApi.create('contacts', { name: 'peak_fitness', label: 'Peak Fitness' }), { code: 409, body: { category: 'OBJECT_ALREADY_EXISTS' } }, '409 as ApiException');

  const { String: text, Number: number } = PropertyCreateTypeEnum;
  await hubspot.crm.properties.coreApi.create('contacts', { ...memberIdProperty, type: text, fieldType: PropertyCreateFieldTypeEnum.Text, groupName: 'peak_fitness' });
  await hubspot.crm.properties.coreApi.create('contacts', { name: 'peak_visits_30d', label: 'Visits', type: number, fieldType: PropertyCreateFieldTypeEnum.Number, groupName: 'peak_fitness' });
  t.match(await hubspot.crm.properties.coreApi.getByName('contacts', 'peak_member_id'), { name: 'peak_member_id', hasUniqueValue: true }, 'properties.getByName');

  const partial = await hubspot.crm.contacts.batchApi.upsert({
    inputs: [
      { idProperty: 'peak_member_id', id: 'm-1', properties: { peak_visits_30d: '4' }, objectWriteTraceId: 't-1' },
      { idProperty: 'peak_member_id', id: 'm-2', properties: { peak_visits_30d: 'four' }, objectWriteTraceId: 't-2' },
    ],
  });
  t.ok('numErrors' in partial, 'a 207 resolves as BatchResponseSimplePublicUpsertObjectWithErrors');
  t.match(partial, { numErrors: 1, results: [{ _new: true, objectWriteTraceId: 't-1' }], errors: [{ category: 'VALIDATION_ERROR', context: { objectWriteTraceId: ['t-2'] } }] });

  const found = await hubspot.crm.contacts.searchApi.doSearch({
    filterGroups: [{ filters: [{ propertyName: 'peak_visits_30d', operator: FilterOperatorEnum.Gte, value: '3' }] }],
    properties: ['peak_member_id'],
    sorts: ['peak_member_id'],
    limit: 10,
  });
  t.match(found, { total: 1, results: [{ properties: { peak_member_id: 'm-1' } }] }, 'search.doSearch');

  let limited: unknown;
  for (let i = 0; i < 20 && !limited; i++) await hubspot.crm.properties.coreApi.getAll('contacts').catch((err: unknown) => (limited = err));
  t.match(limited, { code: 429, body: { policyName: 'TEN_SECONDLY_ROLLING', errorType: 'RATE_LIMIT' }, headers: { 'x-hubspot-ratelimit-remaining': '0', 'x-hubspot-ratelimit-max': '12' } }, '429 with body and headers');
  clock.advance(10_000);
  t.ok(await hubspot.crm.properties.coreApi.getAll('contacts'), 'the window rolls on with the sandbox clock');
});
