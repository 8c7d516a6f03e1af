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
import { backoffMs, maskEmails, pushChanges, type PushItem } from '../src/sync/push.js';

const TOKEN = 'pat-crm-sync-push-test';

let sandboxUrl = '';
async function sandboxClient(t: Test, env: Record<string, string> = {}): Promise<Client> {
  const sandbox = await buildForTest(t, () => buildSandbox(sandboxConfig({ HUBSPOT_SANDBOX_TOKENS: TOKEN, ...env })));
  await sandbox.listen({ host: '127.0.0.1', port: 0 });
  sandboxUrl = `http://127.0.0.1:${(sandbox.server.address() as AddressInfo).port}`;
  const client = hubspotClient(sandboxUrl, TOKEN);
  const idProperty = CONTACT_PROPERTIES.find((p) => p.name === MEMBER_ID_PROPERTY);
  await client.crm.properties.coreApi.create('contacts', { ...idProperty, groupName: 'contactinformation' } as never);
  await client.crm.properties.coreApi.create('contacts', { name: 'peak_visits_30d', label: 'Visits, last 30 days', type: 'number', fieldType: 'number', groupName: 'contactinformation' } as never);
  return client;
}

const item = (n: number, properties: Record<string, string> = {}): PushItem => {
  const memberId = `M${String(n).padStart(6, '0')}`;
  return { memberId, properties: { [MEMBER_ID_PROPERTY]: memberId, peak_visits_30d: String(n % 20), ...properties } };
};

t.test('250 members go in three batches keyed on the member id, and read back', async (t) => {
  const client = await sandboxClient(t);
  const items = Array.from({ length: 250 }, (_, i) => item(i + 1));
  const progress: number[] = [];
  const out = await pushChanges(items, { client, requestsPerTenSeconds: 1000, onBatch: (done) => progress.push(done) });
  t.same([out.sent.length, out.failed.length, out.requests, out.stoppedBecause], [250, 0, 3, undefined]);
  t.same(progress, [100, 200, 250], 'progress per batch of 100');
  t.same(out.sent[0], { memberId: 'M000001', properties: items[0]?.properties, created: true }, 'what was sent, and that HubSpot created the contact');
  const back = await client.crm.contacts.batchApi.read({ idProperty: MEMBER_ID_PROPERTY, inputs: [{ id: 'M000007' }, { id: 'M000250' }], properties: ['peak_visits_30d'], propertiesWithHistory: [] });
  t.same(back.results.map((r) => r.properties.peak_visits_30d).sort(), ['10', '7'], 'the values HubSpot holds');

  t.equal(out.created, 250, 'all new contacts');
  const again = await pushChanges([item(7, { peak_visits_30d: '3' })], { client, requestsPerTenSeconds: 1000 });
  t.same([again.sent.length, again.created, again.sent[0]?.created], [1, 0, false], 'an update of an existing contact');
  const read = await client.crm.contacts.batchApi.read({ idProperty: MEMBER_ID_PROPERTY, inputs: [{ id: 'M000007' }], properties: ['peak_visits_30d'], propertiesWithHistory: [] });
  t.equal(read.results.length, 1, 'still one contact for the member');
  t.equal(read.results[0]?.properties.peak_visits_30d, '3');
});

t.test('a member HubSpot refuses fails alone (207 per-member errors); the others are sent', async (t) => {
  const client = await sandboxClient(t);
  const items = Array.from({ length: 10 }, (_, i) => item(i + 1, i === 6 ? { no_such_property: 'x' } : {}));
  const out = await pushChanges(items, { client, requestsPerTenSeconds: 1000 });
  t.same(out.failed.map((f) => f.memberId), ['M000007'], 'only the bad member failed');
  t.equal(out.sent.length, 9, 'the nine others were sent');
  t.match(out.failed[0], { category: 'VALIDATION_ERROR', message: /no_such_property/ }, 'with HubSpot\'s reason');
  t.equal(out.requests, 1, 'one request: HubSpot matched the error to its input by objectWriteTraceId');
});

t.test('a batch HubSpot refuses whole (400) is split in halves until the bad member stands alone', async (t) => {
  // HubSpot may fail a whole upsert batch for one bad input (docs/research/hubspot-crm.md: unverified for upserts
  // with trace ids, which the sandbox answers per input); this client does that, on top of the real one.
  const real = await sandboxClient(t);
  let calls = 0;
  const upsertWithHttpInfo = async (body: { inputs: { id: string }[] }) => {
    calls++;
    if (body.inputs.some((i) => i.id === 'M000007')) throw Object.assign(new Error('HTTP-Code: 400'), { code: 400, body: { category: 'VALIDATION_ERROR', message: 'Property values were not valid' }, headers: {} });
    return real.crm.contacts.batchApi.upsertWithHttpInfo(body as never);
  };
  const client = { crm: { contacts: { batchApi: { upsertWithHttpInfo } } } } as unknown as Client;
  const out = await pushChanges(Array.from({ length: 10 }, (_, i) => item(i + 1)), { client, requestsPerTenSeconds: 1000 });
  t.same(out.failed, [{ memberId: 'M000007', category: 'VALIDATION_ERROR', message: 'Property values were not valid' }]);
  t.equal(out.sent.length, 9);
  t.ok(calls > 1 && calls <= 1 + 2 * Math.ceil(Math.log2(10)), `split in halves (${calls} requests)`);
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

/** Makes the sandbox fail the next requests (its /_sandbox/faults control). */
async function inject(fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sandboxUrl}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) });
  if (!res.ok) throw new Error(`the sandbox refused the fault: ${res.status} ${await res.text()}`);
}

t.test('429s, 423s and 5xx are retried with backoff, waiting at least what HubSpot asks', async (t) => {
  const client = await sandboxClient(t);
  const waits: number[] = [];
  const sleep = async (ms: number) => void waits.push(ms);
  await inject({ kind: 'rate-limit', count: 2 });
  await inject({ kind: 'server-error', status: 502, count: 1 });
  await inject({ kind: 'locked', count: 1 });
  const out = await pushChanges([item(1), item(2)], { client, requestsPerTenSeconds: 1000, sleep });
  t.same([out.sent.length, out.failed.length, out.stoppedBecause], [2, 0, undefined], 'sent in the end');
  t.equal(out.requests, 5, 'four refusals, then the upsert');
  t.equal(waits.length, 4);
  t.ok(waits.filter((w) => w >= 2_000).length >= 3, `the 429s waited HubSpot's interval and the 423 at least 2 s (${waits.join(', ')} ms)`);
});

t.test('HubSpot\'s daily limit stops the run; so do retries that never succeed', async (t) => {
  const client = await sandboxClient(t);
  const sleep = async () => undefined;
  await inject({ kind: 'rate-limit', policy: 'DAILY', count: 1 });
  const daily = await pushChanges([item(1)], { client, requestsPerTenSeconds: 1000, sleep });
  t.match(daily.stoppedBecause, /daily limit is reached/);
  t.same([daily.sent.length, daily.requests], [0, 1], 'no retry against the daily limit');
  await inject({ kind: 'server-error', count: 10 });
  const down = await pushChanges([item(1)], { client, requestsPerTenSeconds: 1000, sleep, maxAttempts: 3 });
  t.match(down.stoppedBecause, /kept failing \(500\) after 3 attempts/);
  t.equal(down.requests, 3);
});

t.test('emails in HubSpot\'s messages are masked in run records', async (t) => {
  t.equal(maskEmails('Email address anna.k@example.com is invalid'), 'Email address a***@example.com is invalid');
  t.equal(maskEmails('"bo@x.io" and <c@y.org>'), '"b***@x.io" and <c***@y.org>');
  t.equal(maskEmails('no address here'), 'no address here');
  const client = await sandboxClient(t);
  const out = await pushChanges([item(1, { email: 'not-an-email' }), item(2, { email: 'second@@example.com' })], { client, requestsPerTenSeconds: 1000 });
  t.equal(out.failed.length, 2, 'both refused by HubSpot');
  t.notMatch(JSON.stringify(out.failed), /second@/, 'the address does not appear whole');
});

t.test('backoff: exponential with jitter, capped, never below what HubSpot asked', async (t) => {
  t.equal(backoffMs(1, 0, () => 1), 1000);
  t.equal(backoffMs(3, 0, () => 1), 4000);
  t.equal(backoffMs(10, 0, () => 1), 60_000, 'capped at a minute');
  t.equal(backoffMs(3, 0, () => 0.5), 2000, 'full jitter');
  t.equal(backoffMs(1, 10_000, () => 0.1), 10_000, 'HubSpot\'s interval wins');
});
