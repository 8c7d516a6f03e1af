import t from 'tap';
import type { Asserts } from '@peak/service-kit/testing';
import { auth, createProperty, memberIdProperty, sandbox, upsert } from './helper.js';

type App = Awaited<ReturnType<typeof sandbox>>;
type Found = { total: number; results: { id: string; properties: Record<string, string | null> }[]; paging?: { next: { after: string } } };

const LOCATIONS = ['downtown', 'uptown', 'riverside'];
const DAY = 86_400_000;
const FIRST_DAY = Date.UTC(2026, 10, 1);

/** 25 members: m-i, visits i (none from 20 on), a location in turn, last visit on 1 Nov + i days; every 5th is "Ana". */
async function members(t: Asserts, env: Record<string, string> = {}) {
  const app = await sandbox(t, { HUBSPOT_SANDBOX_SEARCH_RATE_LIMIT: '1000', ...env });
  await createProperty(app, memberIdProperty);
  await createProperty(app, { name: 'peak_visits_30d', label: 'Visits', type: 'number', fieldType: 'number', groupName: 'contactinformation' });
  await createProperty(app, { name: 'peak_last_visit', label: 'Last visit', type: 'date', fieldType: 'date', groupName: 'contactinformation' });
  await createProperty(app, {
    name: 'peak_home_location',
    label: 'Home location',
    type: 'enumeration',
    fieldType: 'select',
    groupName: 'contactinformation',
    options: LOCATIONS.map((value) => ({ label: value, value })),
  });
  const inputs = Array.from({ length: 25 }, (_, i) => ({
    idProperty: 'peak_member_id',
    id: `m-${i}`,
    properties: {
      email: `m${i}@example.com`,
      firstname: i % 5 === 0 ? 'Ana' : `Name${i}`,
      peak_home_location: LOCATIONS[i % 3] ?? '',
      peak_last_visit: new Date(FIRST_DAY + i * DAY).toISOString().slice(0, 10),
      ...(i < 20 ? { peak_visits_30d: String(i) } : {}),
    },
  }));
  t.equal((await upsert(app, inputs)).statusCode, 200, '25 members');
  return app;
}

const search = (app: App, body: object) => app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/search', headers: auth(), payload: body });
async function ids(app: App, body: object): Promise<string[]> {
  const res = await search(app, { limit: 200, properties: ['peak_member_id'], ...body });
  if (res.statusCode !== 200) throw new Error(`search answered ${res.statusCode}: ${res.body}`);
  return res.json<Found>().results.map((r) => r.properties.peak_member_id ?? '');
}
const only = (...filters: object[]) => ({ filterGroups: [{ filters }] });
const m = (...n: number[]) => n.map((i) => `m-${i}`);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

t.test('search: an empty body lists everyone, 10 a page, default properties, `after` paging', async (t) => {
  const app = await members(t);
  const first = await search(app, {});
  t.equal(first.statusCode, 200);
  const page = first.json<Found>();
  t.equal(page.total, 25);
  t.equal(page.results.length, 10);
  t.same(page.paging, { next: { after: '10' } });
  t.same(Object.keys(page.results[0]?.properties ?? {}).sort(), ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']);
  const seen: string[] = [];
  let after: string | undefined;
  do {
    const res = (await search(app, { limit: 7, properties: ['peak_member_id'], ...(after ? { after } : {}) })).json<Found>();
    seen.push(...res.results.map((r) => r.properties.peak_member_id ?? ''));
    after = res.paging?.next.after;
  } while (after);
  t.same(seen, m(...range(0, 25)), 'every member once, in record id order');
});

t.test('search: operators', async (t) => {
  const app = await members(t);
  t.same(await ids(app, only({ propertyName: 'peak_home_location', operator: 'EQ', value: 'downtown' })), m(0, 3, 6, 9, 12, 15, 18, 21, 24), 'EQ');
  t.same(await ids(app, only({ propertyName: 'email', operator: 'EQ', value: 'M7@Example.com' })), m(7), 'EQ ignores case');
  t.same((await ids(app, only({ propertyName: 'peak_home_location', operator: 'NEQ', value: 'downtown' }))).length, 16, 'NEQ');
  t.same(await ids(app, only({ propertyName: 'peak_visits_30d', operator: 'GTE', value: '10' }, { propertyName: 'peak_visits_30d', operator: 'LT', value: '15' })), m(10, 11, 12, 13, 14), 'GTE and LT in one group');
  t.same(await ids(app, only({ propertyName: 'peak_visits_30d', operator: 'GT', value: '17' })), m(18, 19), 'GT compares numbers, not text');
  t.same(await ids(app, only({ propertyName: 'peak_visits_30d', operator: 'LTE', value: '2' })), m(0, 1, 2), 'LTE');
  t.same(
    await ids(app, { filterGroups: [{ filters: [{ propertyName: 'peak_visits_30d', operator: 'LT', value: '2' }] }, { filters: [{ propertyName: 'peak_member_id', operator: 'EQ', value: 'm-24' }] }] }),
    m(0, 1, 24),
    'groups are ORed',
  );
  const day = (i: number) => String(FIRST_DAY + i * DAY);
  t.same(await ids(app, only({ propertyName: 'peak_last_visit', operator: 'BETWEEN', value: day(3), highValue: day(5) })), m(3, 4, 5), 'BETWEEN dates, given as ms');
  t.same(await ids(app, only({ propertyName: 'peak_last_visit', operator: 'GTE', value: '2026-11-24' })), m(23, 24), 'dates given as YYYY-MM-DD');
  t.same((await ids(app, only({ propertyName: 'peak_home_location', operator: 'IN', values: ['uptown', 'riverside'] }))).length, 16, 'IN');
  t.same((await ids(app, only({ propertyName: 'peak_home_location', operator: 'NOT_IN', values: ['uptown', 'riverside'] }))).length, 9, 'NOT_IN');
  t.same(await ids(app, only({ propertyName: 'firstname', operator: 'IN', values: ['ana'] })), m(0, 5, 10, 15, 20), 'IN on text: lower-case values');
  t.same(await ids(app, only({ propertyName: 'firstname', operator: 'IN', values: ['Ana'] })), [], 'not lower-cased (as the guide asks)');
  t.same(await ids(app, only({ propertyName: 'peak_visits_30d', operator: 'NOT_HAS_PROPERTY' })), m(20, 21, 22, 23, 24), 'NOT_HAS_PROPERTY');
  t.same((await ids(app, only({ propertyName: 'peak_visits_30d', operator: 'HAS_PROPERTY' }))).length, 20, 'HAS_PROPERTY');
  t.same((await ids(app, only({ propertyName: 'email', operator: 'CONTAINS_TOKEN', value: '*@example.com' }))).length, 25, 'CONTAINS_TOKEN with a wildcard');
  t.same(await ids(app, only({ propertyName: 'firstname', operator: 'CONTAINS_TOKEN', value: 'name1*' })), m(1, 11, 12, 13, 14, 16, 17, 18, 19), 'a token prefix');
  t.same((await ids(app, only({ propertyName: 'firstname', operator: 'NOT_CONTAINS_TOKEN', value: 'ana' }))).length, 20, 'NOT_CONTAINS_TOKEN');
  t.same(await ids(app, { query: 'ana' }), m(0, 5, 10, 15, 20), 'free-text query');
});

t.test('search: sorts and properties', async (t) => {
  const app = await members(t);
  t.same((await ids(app, { sorts: [{ propertyName: 'peak_visits_30d', direction: 'DESCENDING' }], limit: 3 })), m(19, 18, 17), 'numbers sort as numbers');
  t.same((await ids(app, { sorts: [{ propertyName: 'peak_visits_30d', direction: 'ASCENDING' }] })).slice(-5), m(20, 21, 22, 23, 24), 'no value sorts last');
  t.same((await ids(app, { sorts: ['peak_last_visit'], limit: 2 })), m(0, 1), 'a sort given as a name (the spec\'s form)');
  const res = (await search(app, { properties: ['peak_home_location'], limit: 1 })).json<Found>();
  t.same(Object.keys(res.results[0]?.properties ?? {}).sort(), ['createdate', 'hs_object_id', 'lastmodifieddate', 'peak_home_location']);
});

t.test('search: refuses what HubSpot refuses', async (t) => {
  const app = await members(t);
  const refused = async (body: object, message: RegExp, what: string) => {
    const res = await search(app, body);
    t.equal(res.statusCode, 400, what);
    t.match(res.json(), { status: 'error', category: 'VALIDATION_ERROR', message }, what);
  };
  t.equal((await search(app, { limit: 200 })).statusCode, 200, 'limit 200');
  await refused({ limit: 201 }, /at most 200/, 'limit 201');
  await refused({ after: '10000' }, /10000 results/, 'paging past 10,000');
  await refused(only({ propertyName: 'peak_nothing', operator: 'EQ', value: 'x' }), /peak_nothing does not exist/, 'unknown property');
  await refused({ sorts: [{ propertyName: 'peak_nothing' }] }, /peak_nothing does not exist/, 'unknown sort property');
  await refused(only({ propertyName: 'peak_visits_30d', operator: 'EQ' }), /needs a value/, 'no value');
  await refused(only({ propertyName: 'peak_visits_30d', operator: 'BETWEEN', value: '1' }), /needs a highValue/, 'no highValue');
  await refused(only({ propertyName: 'peak_visits_30d', operator: 'IN', values: [] }), /needs values/, 'no values');
  await refused(only({ propertyName: 'peak_visits_30d', operator: 'GT', value: 'many' }), /not a valid number/, 'not a number');
  const filter = { propertyName: 'peak_visits_30d', operator: 'HAS_PROPERTY' };
  await refused({ filterGroups: Array.from({ length: 6 }, () => ({ filters: [filter] })) }, /at most 5/, '6 groups');
  await refused(only(...Array.from({ length: 7 }, () => filter)), /at most 6/, '7 filters in a group');
  await refused({ filterGroups: Array.from({ length: 4 }, () => ({ filters: Array.from({ length: 5 }, () => filter) })) }, /at most 18/, '20 filters in all');
  await refused({ query: 'x'.repeat(3_001) }, /3000/, 'a long query');
  t.equal((await search(app, { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'LIKE', value: 'x' }] }] })).statusCode, 400, 'unknown operator');
});

t.test('search: at most 10,000 results per query; total still counts every match', async (t) => {
  const app = await sandbox(t, { HUBSPOT_SANDBOX_RATE_LIMIT: '1000', HUBSPOT_SANDBOX_SEARCH_RATE_LIMIT: '1000' });
  for (let b = 0; b < 101; b++) {
    const inputs = Array.from({ length: 100 }, (_, i) => ({ idProperty: 'email', id: `c${b * 100 + i}@example.com`, properties: {} }));
    t.equal((await upsert(app, inputs)).statusCode, 200);
  }
  const near = (await search(app, { limit: 200, after: '9800' })).json<Found>();
  t.equal(near.total, 10_100);
  t.equal(near.results.length, 200);
  t.equal(near.paging, undefined, 'no page after the 10,000th result');
  const last = (await search(app, { limit: 200, after: '9900' })).json<Found>();
  t.equal(last.results.length, 100, 'the last page stops at 10,000');
  t.equal(last.paging, undefined);
});
