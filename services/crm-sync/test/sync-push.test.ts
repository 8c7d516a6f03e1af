/**
 * The pusher against the HubSpot sandbox through the real @hubspot/api-client: batches of 100 keyed on
 * peak_member_id, one bad member split out of its batch, a daily budget that stops the run, backoff figures.
 */
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import type { Client } from '@hubspot/api-client';
import { buildForTest } from '@peak/service-kit/testing';
import { buildApp as buildSandbox, readConfig as sandboxConfig } from '@peak/hubspot-sandbox';
import { hubspotClient } from '../src/hubspot.js';
import { CONTACT_PROPERTIES, MEMBER_ID_PROPERTY } from '../src/sync/contact-properties.js';
import { backoffMs, pushChanges, type PushItem } from '../src/sync/push.js';

const TOKEN = 'pat-crm-sync-push-test';

async function sandboxClient(t: Test, env: Record<string, string> = {}): Promise<Client> {
  const sandbox = await buildForTest(t, () => buildSandbox(sandboxConfig({ HUBSPOT_SANDBOX_TOKENS: TOKEN, ...env })));
  await sandbox.listen({ host: '127.0.0.1', port: 0 });
  const client = hubspotClient(`http://127.0.0.1:${(sandbox.server.address() as AddressInfo).port}`, TOKEN);
  const idProperty = CONTACT_PROPERTIES.find((p) => p.name === MEMBER_ID_PROPERTY);
  await client.crm.properties.coreApi.create('contacts', { ...idProperty, groupName: 'contactinformation' } as never);
  await client.crm.properties.coreApi.create('contacts', { name: 'peak_visits_30d', label: 'Visits, last 30 days', type: 'number', fieldType: 'number', groupName: 'contactinformation' } as never);
  return client;
}

const item = (n: number, properties: Record<string, string> = {}): PushItem => {
  const memberId = `M${String(n).padStart(6, '0')}`;
  return { memberId, fingerprint: `f${n}`, properties: { [MEMBER_ID_PROPERTY]: memberId, peak_visits_30d: String(n % 20), ...properties } };
};

t.test('250 members go in three batches keyed on the member id, and read back', async (t) => {
  const client = await sandboxClient(t);
  const items = Array.from({ length: 250 }, (_, i) => item(i + 1));
  const progress: number[] = [];
  const out = await pushChanges(items, { client, requestsPerTenSeconds: 1000, onBatch: (done) => progress.push(done) });
  t.same([out.sent.length, out.failed.length, out.requests, out.stoppedBecause], [250, 0, 3, undefined]);
  t.same(progress, [100, 200, 250], 'progress per batch of 100');
  t.same(out.sent[0], { memberId: 'M000001', fingerprint: 'f1' });
  const back = await client.crm.contacts.batchApi.read({ idProperty: MEMBER_ID_PROPERTY, inputs: [{ id: 'M000007' }, { id: 'M000250' }], properties: ['peak_visits_30d'], propertiesWithHistory: [] });
  t.same(back.results.map((r) => r.properties.peak_visits_30d).sort(), ['10', '7'], 'the values HubSpot holds');

  const again = await pushChanges([item(7, { peak_visits_30d: '3' })], { client, requestsPerTenSeconds: 1000 });
  t.equal(again.sent.length, 1, 'an update of an existing contact');
  const read = await client.crm.contacts.batchApi.read({ idProperty: MEMBER_ID_PROPERTY, inputs: [{ id: 'M000007' }], properties: ['peak_visits_30d'], propertiesWithHistory: [] });
  t.equal(read.results.length, 1, 'still one contact for the member');
  t.equal(read.results[0]?.properties.peak_visits_30d, '3');
});

t.test('a member HubSpot refuses fails alone: its batch is split until it stands alone', async (t) => {
  const client = await sandboxClient(t);
  const items = Array.from({ length: 10 }, (_, i) => item(i + 1, i === 6 ? { no_such_property: 'x' } : {}));
  const out = await pushChanges(items, { client, requestsPerTenSeconds: 1000 });
  t.same(out.failed.map((f) => f.memberId), ['M000007'], 'only the bad member failed');
  t.equal(out.sent.length, 9, 'the nine others were sent');
  t.match(out.failed[0], { category: 'VALIDATION_ERROR', message: /no_such_property/ }, 'with HubSpot\'s reason');
  t.ok(out.requests > 1 && out.requests <= 1 + 2 * Math.ceil(Math.log2(10)), `split in halves (${out.requests} requests)`);
});

t.test('a spent daily budget stops the run; what was sent is reported', async (t) => {
  const client = await sandboxClient(t);
  const out = await pushChanges(Array.from({ length: 350 }, (_, i) => item(i + 1)), { client, requestsPerTenSeconds: 1000, dailyBudget: 2 });
  t.same([out.sent.length, out.requests], [200, 2]);
  t.match(out.stoppedBecause, /daily request budget is spent/);
});

t.test('a refused token stops the run at once with what to check', async (t) => {
  const client = await sandboxClient(t);
  const wrong = hubspotClient((client.config as { basePath?: string }).basePath ?? '', 'pat-wrong-token-0000');
  const out = await pushChanges([item(1)], { client: wrong, requestsPerTenSeconds: 1000 });
  t.match(out.stoppedBecause, /refused the token \(401.*HUBSPOT_ACCESS_TOKEN/);
  t.same(out.sent, []);
});

t.test('backoff: exponential with jitter, capped, never below what HubSpot asked', async (t) => {
  t.equal(backoffMs(1, 0, () => 1), 1000);
  t.equal(backoffMs(3, 0, () => 1), 4000);
  t.equal(backoffMs(10, 0, () => 1), 60_000, 'capped at a minute');
  t.equal(backoffMs(3, 0, () => 0.5), 2000, 'full jitter');
  t.equal(backoffMs(1, 10_000, () => 0.1), 10_000, 'HubSpot\'s interval wins');
});
