import t from 'tap';
import { auth, sandbox, TOKEN } from './helper.js';

type Upserted = { status: string; results: { id: string; new: boolean; properties: Record<string, string | null> }[] };

t.test('auth: no token or an unknown token is 401 in HubSpot\'s error shape', async (t) => {
  const app = await sandbox(t);
  for (const headers of [{}, auth('pat-not-issued'), { authorization: TOKEN }]) {
    const res = await app.inject({ method: 'GET', url: '/crm/v3/properties/contacts', headers });
    t.equal(res.statusCode, 401);
    t.match(res.json(), { status: 'error', category: 'INVALID_AUTHENTICATION', message: /Authentication credentials not found/, correlationId: /^[0-9a-f-]{36}$/ });
    t.equal(res.headers['x-hubspot-correlation-id'], res.json().correlationId);
  }
  t.equal((await app.inject({ method: 'GET', url: '/crm/v3/properties/contacts', headers: auth() })).statusCode, 200);
});

t.test('properties: HubSpot defaults seeded; create a custom one; 409 on a duplicate name', async (t) => {
  const app = await sandbox(t);
  const list = await app.inject({ method: 'GET', url: '/crm/v3/properties/contacts', headers: auth() });
  const names = list.json<{ results: { name: string }[] }>().results.map((p) => p.name);
  for (const name of ['email', 'firstname', 'lastname', 'phone', 'city', 'lifecyclestage', 'hs_object_id', 'createdate', 'lastmodifieddate']) {
    t.ok(names.includes(name), `default property ${name}`);
  }
  const create = {
    name: 'peak_churn_risk',
    label: 'Churn risk',
    type: 'enumeration',
    fieldType: 'select',
    groupName: 'contactinformation',
    options: [
      { label: 'Low', value: 'low' },
      { label: 'High', value: 'high' },
    ],
  };
  const created = await app.inject({ method: 'POST', url: '/crm/v3/properties/contacts', headers: auth(), payload: create });
  t.equal(created.statusCode, 201);
  t.match(created.json(), { name: 'peak_churn_risk', type: 'enumeration', fieldType: 'select', options: [{ value: 'low' }, { value: 'high' }] });
  const again = await app.inject({ method: 'POST', url: '/crm/v3/properties/contacts', headers: auth(), payload: create });
  t.equal(again.statusCode, 409);
  t.match(again.json(), { status: 'error', category: 'OBJECT_ALREADY_EXISTS', message: "Property named 'peak_churn_risk' already exists." });
  const mismatch = await app.inject({ method: 'POST', url: '/crm/v3/properties/contacts', headers: auth(), payload: { ...create, name: 'x_visits', type: 'number', fieldType: 'select' } });
  t.equal(mismatch.statusCode, 400, 'type and fieldType must go together');
  t.match(mismatch.json(), { category: 'VALIDATION_ERROR', message: /does not support field type 'select'/ });
  const badName = await app.inject({ method: 'POST', url: '/crm/v3/properties/contacts', headers: auth(), payload: { ...create, name: 'Bad Name' } });
  t.equal(badName.statusCode, 400);
  t.match(badName.json(), { category: 'VALIDATION_ERROR', errors: [{ in: 'name' }] });
});

t.test('batch upsert by email: creates, then updates the same record (no duplicate)', async (t) => {
  const app = await sandbox(t);
  const upsert = (inputs: unknown[]) => app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/batch/upsert', headers: auth(), payload: { inputs } });
  const first = await upsert([
    { idProperty: 'email', id: 'Ana@Example.com', properties: { firstname: 'Ana', city: 'Lisbon' } },
    { idProperty: 'email', id: 'bo@example.com', properties: { firstname: 'Bo' } },
  ]);
  t.equal(first.statusCode, 200);
  const created = first.json<Upserted>();
  t.equal(created.status, 'COMPLETE');
  t.same(created.results.map((r) => [r.new, r.properties.email, r.properties.firstname]), [
    [true, 'ana@example.com', 'Ana'],
    [true, 'bo@example.com', 'Bo'],
  ]);

  const second = await upsert([{ idProperty: 'email', id: 'ana@example.com', properties: { firstname: 'Ana Maria' } }]);
  t.equal(second.statusCode, 200);
  const updated = second.json<Upserted>().results[0];
  t.equal(updated?.new, false, 'the second upsert updates');
  t.equal(updated?.id, created.results[0]?.id, 'same record id');

  const list = await app.inject({ method: 'GET', url: '/crm/v3/objects/contacts?properties=email,firstname,city', headers: auth() });
  const contacts = list.json<{ results: { properties: Record<string, string | null> }[] }>().results;
  t.equal(contacts.length, 2, 'still two contacts');
  t.match(contacts[0]?.properties, { email: 'ana@example.com', firstname: 'Ana Maria', city: 'Lisbon' });
});

t.test('batch upsert refuses what HubSpot refuses', async (t) => {
  const app = await sandbox(t);
  const upsert = (payload: unknown) => app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/batch/upsert', headers: auth(), payload: payload as object });
  const input = (i: number) => ({ idProperty: 'email', id: `m${i}@example.com`, properties: { firstname: `M${i}` } });

  t.equal((await upsert({ inputs: Array.from({ length: 100 }, (_, i) => input(i)) })).statusCode, 200, '100 inputs is the limit');
  const tooMany = await upsert({ inputs: Array.from({ length: 101 }, (_, i) => input(i)) });
  t.equal(tooMany.statusCode, 400, '101 inputs');
  t.match(tooMany.json(), { status: 'error', category: 'VALIDATION_ERROR', message: /100/ });

  const unknown = await upsert({ inputs: [{ idProperty: 'email', id: 'x@example.com', properties: { favourite_colour: 'red' } }] });
  t.equal(unknown.statusCode, 400, 'unknown property');
  t.match(unknown.json(), { category: 'VALIDATION_ERROR', message: /^Property values were not valid: .*PROPERTY_DOESNT_EXIST/ });
  t.match(unknown.json().errors, [{ code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['favourite_colour'] } }]);

  const readOnly = await upsert({ inputs: [{ idProperty: 'email', id: 'x@example.com', properties: { hs_object_id: '7' } }] });
  t.match(readOnly.json(), { category: 'VALIDATION_ERROR', errors: [{ code: 'READ_ONLY_VALUE' }] });
  const badOption = await upsert({ inputs: [{ idProperty: 'email', id: 'x@example.com', properties: { lifecyclestage: 'vip' } }] });
  t.match(badOption.json(), { category: 'VALIDATION_ERROR', errors: [{ code: 'INVALID_OPTION' }] });
  const badEmail = await upsert({ inputs: [{ idProperty: 'email', id: 'not-an-email', properties: {} }] });
  t.match(badEmail.json(), { category: 'VALIDATION_ERROR', errors: [{ code: 'INVALID_EMAIL' }] });
  const duplicate = await upsert({ inputs: [input(1), { ...input(1), id: 'M1@example.com' }] });
  t.match(duplicate.json(), { category: 'VALIDATION_ERROR', message: 'Duplicate IDs found in batch input: [m1@example.com]' });
  const notUnique = await upsert({ inputs: [{ idProperty: 'firstname', id: 'Ana', properties: {} }] });
  t.match(notUnique.json(), { category: 'VALIDATION_ERROR', message: /^Unable to perform update\/upsert by non-unique 0-1 property firstname in portal ID \d+$/ });

  const partial = await upsert({ inputs: [input(500), { idProperty: 'email', id: 'y@example.com', properties: { nope: '1' } }] });
  t.equal(partial.statusCode, 400);
  const after = await app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/batch/read', headers: auth(), payload: { idProperty: 'email', inputs: [{ id: 'm500@example.com' }] } });
  t.equal(after.statusCode, 207, 'a refused batch writes nothing');
});

t.test('hostile input: bad JSON 400, huge body 413, wrong types 400, all in HubSpot\'s shape', async (t) => {
  const app = await sandbox(t);
  const post = (payload: string | object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/batch/upsert', headers: { ...auth(), 'content-type': 'application/json', ...headers }, payload });

  const badJson = await post('{"inputs": [');
  t.equal(badJson.statusCode, 400);
  t.match(badJson.json(), { status: 'error', category: 'VALIDATION_ERROR', correlationId: String });

  const huge = await post(JSON.stringify({ inputs: [{ idProperty: 'email', id: 'a@b.co', properties: { firstname: 'x'.repeat(2 * 1024 * 1024) } }] }));
  t.equal(huge.statusCode, 413);
  t.match(huge.json(), { status: 'error', correlationId: String });

  for (const payload of [{ inputs: 'all of them' }, { inputs: [{ id: 'a@b.co', properties: { firstname: { nested: true } } }] }, { inputs: [{ properties: {} }] }, [1, 2]]) {
    const res = await post(payload);
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    t.match(res.json(), { status: 'error', category: 'VALIDATION_ERROR', errors: Array });
  }
  const notJson = await post('<inputs/>', { 'content-type': 'application/xml' });
  t.equal(notJson.statusCode, 415);
  t.match(notJson.json(), { status: 'error' });
});

t.test('list contacts: pages of `limit` with an `after` cursor, requested properties', async (t) => {
  const app = await sandbox(t);
  const inputs = Array.from({ length: 25 }, (_, i) => ({ idProperty: 'email', id: `p${i}@example.com`, properties: { firstname: `P${i}` } }));
  await app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/batch/upsert', headers: auth(), payload: { inputs } });
  const seen: string[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const res = await app.inject({ method: 'GET', url: `/crm/v3/objects/contacts?limit=10${after ? `&after=${after}` : ''}`, headers: auth() });
    t.equal(res.statusCode, 200);
    const body = res.json<{ results: { properties: Record<string, string | null> }[]; paging?: { next: { after: string; link: string } } }>();
    seen.push(...body.results.map((r) => r.properties.email ?? ''));
    t.same(Object.keys(body.results[0]?.properties ?? {}).sort(), ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']);
    after = body.paging?.next.after;
    if (after) t.match(body.paging?.next.link, new RegExp(`/crm/v3/objects/contacts\\?limit=10&after=${after}$`));
    pages++;
  } while (after);
  t.equal(pages, 3);
  t.same(seen, inputs.map((i) => i.id), 'every contact once, in order');
  const some = await app.inject({ method: 'GET', url: '/crm/v3/objects/contacts?limit=1&properties=firstname&properties=city', headers: auth() });
  t.same(some.json().results[0].properties, { firstname: 'P0', city: null, hs_object_id: '1', createdate: String(some.json().results[0].properties.createdate), lastmodifieddate: String(some.json().results[0].properties.lastmodifieddate) });
  t.equal((await app.inject({ method: 'GET', url: '/crm/v3/objects/contacts?limit=101', headers: auth() })).statusCode, 400);
  t.equal((await app.inject({ method: 'GET', url: '/crm/v3/objects/contacts?after=garbage', headers: auth() })).statusCode, 400);
});

t.test('batch read by email: found records, 207 listing the missing ones', async (t) => {
  const app = await sandbox(t);
  await app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/batch/upsert', headers: auth(), payload: { inputs: [{ idProperty: 'email', id: 'r@example.com', properties: { firstname: 'R' } }] } });
  const read = (ids: string[]) =>
    app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/batch/read', headers: auth(), payload: { idProperty: 'email', properties: ['firstname'], inputs: ids.map((id) => ({ id })) } });
  const found = await read(['R@example.com']);
  t.equal(found.statusCode, 200);
  t.match(found.json(), { status: 'COMPLETE', results: [{ properties: { firstname: 'R', email: undefined } }] });
  const partly = await read(['r@example.com', 'ghost@example.com']);
  t.equal(partly.statusCode, 207);
  t.match(partly.json(), { numErrors: 1, results: [{ properties: { firstname: 'R' } }], errors: [{ category: 'OBJECT_NOT_FOUND', context: { ids: ['ghost@example.com'] } }] });
});

t.test('the page at / lists contacts and custom properties, escaped', async (t) => {
  const app = await sandbox(t);
  await app.inject({
    method: 'POST',
    url: '/crm/v3/properties/contacts',
    headers: auth(),
    payload: { name: 'peak_visits_30d', label: 'Visits (30 days)', type: 'number', fieldType: 'number', groupName: 'contactinformation' },
  });
  await app.inject({
    method: 'POST',
    url: '/crm/v3/objects/contacts/batch/upsert',
    headers: auth(),
    payload: { inputs: [{ idProperty: 'email', id: 'page@example.com', properties: { firstname: '<script>alert(1)</script>', peak_visits_30d: '12' } }] },
  });
  const page = await app.inject({ method: 'GET', url: '/' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.match(page.body, /peak_visits_30d/);
  t.match(page.body, /page@example\.com/);
  t.notMatch(page.body, /<script>alert/, 'values are escaped');
  t.match(page.body, /&#60;script&#62;/);
});
