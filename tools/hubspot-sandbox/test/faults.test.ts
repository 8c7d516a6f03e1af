import { performance } from 'node:perf_hooks';
import t from 'tap';
import { waitFor } from '@peak/local-stack';
import { auth, createProperty, listeningSandbox, manualClock, memberIdProperty, sandbox, upsert } from './helper.js';

type App = Awaited<ReturnType<typeof sandbox>>;
const UPSERT = '/crm/v3/objects/contacts/batch/upsert';
const addFault = (app: App, payload: object) => app.inject({ method: 'POST', url: '/_sandbox/faults', payload });
const faults = async (app: App) => (await app.inject({ method: 'GET', url: '/_sandbox/faults' })).json<{ results: { id: string; kind: string; applied: number }[] }>().results;
const get = (app: App) => app.inject({ method: 'GET', url: '/crm/v3/properties/contacts', headers: auth() });
const contact = (i: number) => ({ idProperty: 'email', id: `f${i}@example.com`, properties: {} });

t.test('a 429 storm for the next N requests to one path, looking like HubSpot\'s', async (t) => {
  const app = await sandbox(t);
  const added = await addFault(app, { kind: 'rate-limit', path: UPSERT, count: 2 });
  t.equal(added.statusCode, 201);
  t.match(added.json(), { id: String, kind: 'rate-limit', count: 2, applied: 0 });
  for (let i = 0; i < 2; i++) {
    const res = await upsert(app, [contact(i)]);
    t.equal(res.statusCode, 429);
    t.match(res.json(), { status: 'error', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING', message: 'You have reached your ten_secondly_rolling limit.' });
    t.equal(res.headers['x-hubspot-ratelimit-remaining'], '0', 'the window reads exhausted');
    t.equal(res.headers['x-hubspot-ratelimit-max'], '100');
  }
  t.equal((await get(app)).statusCode, 200, 'other paths are not affected');
  t.equal((await upsert(app, [contact(3)])).statusCode, 200, 'the storm is over after N');
  t.same(await faults(app), [], 'and the fault is gone');
});

t.test('a storm for T ms of the sandbox clock; DAILY and search-style 429s', async (t) => {
  const clock = manualClock();
  const app = await sandbox(t, {}, { now: clock.now });
  await addFault(app, { kind: 'rate-limit', policy: 'DAILY', forMs: 5_000 });
  const daily = await get(app);
  t.equal(daily.statusCode, 429);
  t.match(daily.json(), { policyName: 'DAILY', message: 'You have reached your daily limit.' });
  t.equal(daily.headers['x-hubspot-ratelimit-daily-remaining'], '0');
  clock.advance(4_999);
  t.equal((await get(app)).statusCode, 429, 'still in force');
  t.equal((await faults(app)).length, 1);
  clock.advance(1);
  t.equal((await get(app)).statusCode, 200, 'over after T ms');
  t.same(await faults(app), []);

  await addFault(app, { kind: 'rate-limit', policy: 'SECONDLY', method: 'POST', path: '/crm/v3/objects/contacts/search', count: 1 });
  const search = await app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/search', headers: auth(), payload: {} });
  t.equal(search.statusCode, 429);
  t.match(search.json(), { message: 'You have reached your secondly limit.' });
  t.equal(search.headers['x-hubspot-ratelimit-remaining'], undefined, 'search replies carry no rate-limit headers');
});

t.test('5xx and 423 Locked in HubSpot\'s error shape; the first matching error wins', async (t) => {
  const app = await sandbox(t);
  await addFault(app, { kind: 'server-error', status: 503, count: 1 });
  await addFault(app, { kind: 'locked', count: 1 });
  const unavailable = await get(app);
  t.equal(unavailable.statusCode, 503);
  t.match(unavailable.json(), { status: 'error', category: 'INTERNAL_ERROR', correlationId: String });
  const locked = await get(app);
  t.equal(locked.statusCode, 423);
  t.match(locked.json(), { status: 'error', category: 'LOCKED', message: /2 seconds/ });
  t.equal((await get(app)).statusCode, 200);
  await addFault(app, { kind: 'server-error', count: 1, message: 'upstream timeout' });
  t.match((await get(app)).json(), { message: 'upstream timeout' });
  t.equal((await addFault(app, { kind: 'server-error', status: 404 })).statusCode, 400, 'server-error is 5xx');
  t.equal((await addFault(app, { kind: 'meteor' })).statusCode, 400, 'an unknown kind');
});

t.test('slow replies: a delay in real time, then the normal answer; closing the app cuts a long delay short', async (t) => {
  const app = await sandbox(t);
  await addFault(app, { kind: 'delay', ms: 150, count: 1 });
  const started = performance.now();
  const slow = await get(app);
  t.equal(slow.statusCode, 200);
  t.ok(performance.now() - started >= 140, 'answered at least the delay late');

  const { app: listening, basePath } = await listeningSandbox(t);
  await addFault(listening, { kind: 'delay', ms: 600_000 });
  const pending = fetch(`${basePath}/crm/v3/properties/contacts`, { headers: auth() }).then(
    (res) => res.status,
    () => 'connection closed',
  );
  await waitFor('the request to be held', async () => (await faults(listening))[0]?.applied === 1, 5_000);
  const closing = performance.now();
  await listening.close();
  t.ok(performance.now() - closing < 5_000, 'close does not wait out the delay');
  t.ok([500, 'connection closed'].includes(await pending), 'the held request ends');
});

t.test('per-input failures for given ids: per input when traced (207), else the whole batch', async (t) => {
  const app = await sandbox(t);
  await createProperty(app, memberIdProperty);
  const input = (id: string, trace: boolean) => ({ idProperty: 'peak_member_id', id, properties: {}, ...(trace ? { objectWriteTraceId: `t-${id}` } : {}) });
  await addFault(app, { kind: 'input-error', ids: ['m-2'], status: 409, category: 'CONFLICT', message: 'Contact already exists. Existing ID: 99', subCategory: 'CRM.DUPLICATE' });
  const traced = await upsert(app, [input('m-1', true), input('m-2', true)]);
  t.equal(traced.statusCode, 207);
  t.match(traced.json(), {
    numErrors: 1,
    results: [{ objectWriteTraceId: 't-m-1' }],
    errors: [{ status: 'error', category: 'CONFLICT', message: 'Contact already exists. Existing ID: 99', subCategory: 'CRM.DUPLICATE', context: { objectWriteTraceId: ['t-m-2'] } }],
  });
  const whole = await upsert(app, [input('m-3', false), input('m-2', false)]);
  t.equal(whole.statusCode, 409);
  t.match(whole.json(), { category: 'CONFLICT', subCategory: 'CRM.DUPLICATE' });

  await app.inject({ method: 'DELETE', url: '/_sandbox/faults' });
  await addFault(app, { kind: 'input-error', ids: ['Ana@Example.com'], count: 1 });
  const email = await upsert(app, [{ idProperty: 'email', id: 'ana@example.com', properties: {}, objectWriteTraceId: 'a' }]);
  t.match(email.json(), { numErrors: 1, errors: [{ category: 'VALIDATION_ERROR', message: /ana@example.com/ }] }, 'emails match in lower case');
  t.equal((await upsert(app, [{ idProperty: 'email', id: 'ana@example.com', properties: {} }])).statusCode, 200, 'count counts inputs');
});

t.test('faults are listed and removed one by one', async (t) => {
  const app = await sandbox(t);
  const a = (await addFault(app, { kind: 'locked' })).json<{ id: string }>();
  await addFault(app, { kind: 'delay', ms: 1 });
  t.same((await faults(app)).map((f) => f.kind), ['locked', 'delay']);
  t.equal((await app.inject({ method: 'DELETE', url: `/_sandbox/faults/${a.id}` })).statusCode, 204);
  t.equal((await app.inject({ method: 'DELETE', url: `/_sandbox/faults/${a.id}` })).statusCode, 404);
  t.same((await faults(app)).map((f) => f.kind), ['delay']);
});

t.test('recording: every CRM request with method, path, query, body, status and time; admin calls are not', async (t) => {
  const clock = manualClock(Date.parse('2026-12-01T09:30:00Z'));
  const app = await sandbox(t, { HUBSPOT_SANDBOX_RECORDED_REQUESTS: '3' }, { now: clock.now });
  await upsert(app, [contact(1)]);
  clock.advance(1_000);
  await app.inject({ method: 'GET', url: '/crm/v3/objects/contacts?limit=5&properties=email', headers: auth() });
  await app.inject({ method: 'GET', url: '/crm/v3/objects/contacts', headers: auth('pat-not-issued') });
  type Recorded = { method: string; path: string; query: object; body?: unknown; status: number; at: string; durationMs: number; correlationId: string };
  const recorded = async (query = '') => (await app.inject({ method: 'GET', url: `/_sandbox/requests${query}` })).json<{ results: Recorded[]; dropped: number }>();
  const all = await recorded();
  t.match(all.results, [
    { method: 'POST', path: UPSERT, query: {}, body: { inputs: [contact(1)] }, status: 200, at: '2026-12-01T09:30:00.000Z', durationMs: Number, correlationId: /^[0-9a-f-]{36}$/ },
    { method: 'GET', path: '/crm/v3/objects/contacts', query: { limit: 5, properties: 'email' }, status: 200, at: '2026-12-01T09:30:01.000Z' },
    { method: 'GET', status: 401 },
  ]);
  t.equal(all.results[1]?.body, undefined, 'no body on a GET');
  t.same((await recorded(`?method=POST&path=${encodeURIComponent(UPSERT)}`)).results.length, 1, 'filtered by method and path');

  await get(app);
  const capped = await recorded();
  t.equal(capped.results.length, 3, 'at most HUBSPOT_SANDBOX_RECORDED_REQUESTS');
  t.equal(capped.dropped, 1, 'the oldest dropped');
  t.equal(capped.results[0]?.path, '/crm/v3/objects/contacts');
  t.equal((await app.inject({ method: 'DELETE', url: '/_sandbox/requests' })).statusCode, 204);
  t.same(await recorded(), { results: [], dropped: 0 });
});

t.test('reset: back to a new account, with no faults, recordings or spent limits', async (t) => {
  const app = await sandbox(t, { HUBSPOT_SANDBOX_RATE_LIMIT: '4' });
  await createProperty(app, memberIdProperty);
  await app.inject({ method: 'POST', url: '/crm/v3/properties/contacts/groups', headers: auth(), payload: { name: 'peak', label: 'Peak' } });
  await upsert(app, [contact(1)]);
  await addFault(app, { kind: 'locked' });
  t.equal((await get(app)).statusCode, 423);
  t.equal((await app.inject({ method: 'POST', url: '/_sandbox/reset' })).statusCode, 204);

  const first = await get(app);
  t.equal(first.statusCode, 200, 'no faults');
  t.equal(first.headers['x-hubspot-ratelimit-remaining'], '3', 'a fresh window');
  t.notOk(first.json<{ results: { name: string }[] }>().results.some((p) => p.name === 'peak_member_id'), 'no custom properties');
  t.equal((await app.inject({ method: 'GET', url: '/crm/v3/properties/contacts/groups/peak', headers: auth() })).statusCode, 404, 'no custom groups');
  t.same((await app.inject({ method: 'GET', url: '/crm/v3/objects/contacts', headers: auth() })).json().results, [], 'no contacts');
  t.equal((await app.inject({ method: 'GET', url: '/_sandbox/requests' })).json().results.length, 3, 'recorded only since the reset');
  t.equal((await upsert(app, [contact(2)])).json().results[0].id, '1', 'record ids start again');
});
