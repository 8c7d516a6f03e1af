import t from 'tap';
import type { Asserts } from '@peak/service-kit/testing';
import { auth, createProperty, memberIdProperty, sandbox, upsert } from './helper.js';

type Batch = {
  status: string;
  results: { id: string; new: boolean; objectWriteTraceId?: string; properties: Record<string, string | null> }[];
  numErrors?: number;
  errors?: { status: string; category: string; message: string; context: Record<string, string[]>; subCategory?: string; errors: { code?: string }[] }[];
};

const member = (i: number, properties: Record<string, string> = {}, trace = true) => ({
  idProperty: 'peak_member_id',
  id: `m-${i}`,
  properties: { email: `m${i}@example.com`, ...properties },
  ...(trace ? { objectWriteTraceId: `t-${i}` } : {}),
});

async function withProperties(t: Asserts) {
  const app = await sandbox(t);
  for (const p of [
    memberIdProperty,
    { name: 'peak_visits_30d', label: 'Visits (30 days)', type: 'number', fieldType: 'number', groupName: 'contactinformation' },
    { name: 'peak_at_risk', label: 'At risk', type: 'bool', fieldType: 'booleancheckbox', groupName: 'contactinformation' },
    { name: 'peak_last_visit', label: 'Last visit', type: 'date', fieldType: 'date', groupName: 'contactinformation' },
    { name: 'peak_scored_at', label: 'Scored at', type: 'datetime', fieldType: 'date', groupName: 'contactinformation' },
    {
      name: 'peak_churn_band',
      label: 'Churn band',
      type: 'enumeration',
      fieldType: 'select',
      groupName: 'contactinformation',
      options: ['low', 'medium', 'high'].map((value) => ({ label: value, value })),
    },
  ]) {
    t.equal((await createProperty(app, p)).statusCode, 201, `property ${p.name}`);
  }
  const read = async (ids: string[]) =>
    (
      await app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/batch/read', headers: auth(), payload: { idProperty: 'peak_member_id', properties: ['peak_member_id'], inputs: ids.map((id) => ({ id })) } })
    ).json<Batch>().results;
  return { app, read };
}

t.test('batch limit: more than 100 inputs is 400 with HubSpot\'s message, on upsert and read, before any per-input check', async (t) => {
  const app = await sandbox(t);
  const message = 'The maximum number of inputs supported in a batch is 100. Please reduce the number of items and try again';
  const inputs = (n: number) => Array.from({ length: n }, (_, i) => ({ idProperty: 'email', id: `b${i}@example.com`, properties: {} }));
  t.equal((await upsert(app, inputs(100))).statusCode, 200, '100 is allowed');
  const over = await upsert(app, [...inputs(100), { id: 42 }]);
  t.equal(over.statusCode, 400);
  t.same(Object.keys(over.json()).sort(), ['category', 'correlationId', 'message', 'status']);
  t.match(over.json(), { status: 'error', category: 'VALIDATION_ERROR', message });
  const read = await app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/batch/read', headers: auth(), payload: { idProperty: 'email', inputs: inputs(101).map((i) => ({ id: i.id })) } });
  t.equal(read.statusCode, 400);
  t.match(read.json(), { category: 'VALIDATION_ERROR', message });
});

t.test('duplicate ids and a non-unique idProperty fail the whole batch, with or without trace ids', async (t) => {
  const { app, read } = await withProperties(t);
  for (const trace of [false, true]) {
    const dup = await upsert(app, [member(1, {}, trace), member(2, {}, trace), { ...member(1, { email: 'other@example.com' }, trace), objectWriteTraceId: trace ? 't-x' : undefined }]);
    t.equal(dup.statusCode, 400, `duplicates, trace ids: ${trace}`);
    t.match(dup.json(), { status: 'error', category: 'VALIDATION_ERROR', message: 'Duplicate IDs found in batch input: [m-1]. IDs must be unique', context: { ids: ['m-1'] } });
  }
  const emails = await upsert(app, [
    { idProperty: 'email', id: 'Ana@Example.com', properties: {} },
    { idProperty: 'email', id: 'ana@example.com', properties: {} },
  ]);
  t.match(emails.json(), { message: 'Duplicate IDs found in batch input: [ana@example.com]. IDs must be unique' }, 'emails compare in lower case');
  t.same(await read(['m-1', 'm-2']), [], 'nothing written');

  const notUnique = await upsert(app, [{ idProperty: 'firstname', id: 'Ana', properties: {}, objectWriteTraceId: 't' }]);
  t.equal(notUnique.statusCode, 400);
  t.match(notUnique.json(), { category: 'VALIDATION_ERROR', message: 'Unable to perform update/upsert by non-unique 0-1 property firstname in portal ID 20000001' });
});

t.test('partial batch: every input traced → 207 with the valid inputs written and one error per bad input', async (t) => {
  const { app, read } = await withProperties(t);
  const res = await upsert(app, [member(1, { peak_visits_30d: '12' }), member(2, { peak_visits_30d: 'twelve' }), member(3, { peak_last_visit: '2026-11-20T10:00:00Z' })]);
  t.equal(res.statusCode, 207);
  const body = res.json<Batch>();
  t.match(body, { status: 'COMPLETE', numErrors: 2, startedAt: String, completedAt: String });
  t.same(
    body.results.map((r) => [r.objectWriteTraceId, r.new, r.properties.peak_member_id]),
    [['t-1', true, 'm-1']],
  );
  t.same(
    body.errors?.map((e) => [e.context.objectWriteTraceId, e.category, e.errors[0]?.code]),
    [
      [['t-2'], 'VALIDATION_ERROR', 'INVALID_INTEGER'],
      [['t-3'], 'VALIDATION_ERROR', 'INVALID_DATE'],
    ],
  );
  t.match(body.errors?.[0], { status: 'error', message: /^Property values were not valid: \[\{"isValid":false,.*"error":"INVALID_INTEGER","name":"peak_visits_30d"/, links: {} });
  t.same((await read(['m-1', 'm-2', 'm-3'])).map((c) => c.properties.peak_member_id), ['m-1'], 'only the valid input was written');

  const allBad = await upsert(app, [member(4, { peak_at_risk: 'maybe' })]);
  t.equal(allBad.statusCode, 207, 'all inputs bad is still 207');
  t.match(allBad.json(), { results: [], numErrors: 1, errors: [{ context: { objectWriteTraceId: ['t-4'] }, errors: [{ code: 'INVALID_OPTION' }] }] });
});

t.test('partial batch: without a trace id on every input one bad input fails the whole batch and nothing is written', async (t) => {
  const { app, read } = await withProperties(t);
  const none = await upsert(app, [member(1, {}, false), member(2, { peak_visits_30d: 'x' }, false), member(3, { peak_churn_band: 'vip' }, false)]);
  t.equal(none.statusCode, 400);
  t.match(none.json(), { status: 'error', category: 'VALIDATION_ERROR', errors: [{ code: 'INVALID_INTEGER' }, { code: 'INVALID_OPTION' }] });
  const some = await upsert(app, [member(1), member(2, { peak_visits_30d: 'x' }, false)]);
  t.equal(some.statusCode, 400, 'one input without a trace id is enough');
  t.same(await read(['m-1', 'm-2', 'm-3']), []);
});

t.test('unique value conflicts: 409 CONFLICT for the whole batch, or per input when traced', async (t) => {
  const { app, read } = await withProperties(t);
  t.equal((await upsert(app, [member(1)])).statusCode, 200);
  const taken = member(2, { email: 'M1@example.com' });
  const whole = await upsert(app, [{ ...taken, objectWriteTraceId: undefined }]);
  t.equal(whole.statusCode, 409);
  t.match(whole.json(), { category: 'CONFLICT', message: /^Contact already exists. Existing ID: \d+$/ });
  const traced = await upsert(app, [taken, member(3)]);
  t.equal(traced.statusCode, 207);
  t.match(traced.json(), { results: [{ objectWriteTraceId: 't-3' }], errors: [{ category: 'CONFLICT', context: { objectWriteTraceId: ['t-2'] } }] });
  const twice = await upsert(app, [member(4, { email: 'same@example.com' }), member(5, { email: 'same@example.com' })]);
  t.match(twice.json(), { numErrors: 1, results: [{ objectWriteTraceId: 't-4' }], errors: [{ context: { objectWriteTraceId: ['t-5'] } }] }, 'two inputs claiming one email');
  t.same((await read(['m-1', 'm-2', 'm-3', 'm-4', 'm-5'])).map((c) => c.properties.peak_member_id), ['m-1', 'm-3', 'm-4']);
});

t.test('values are checked by property type', async (t) => {
  const { app } = await withProperties(t);
  const midnight = Date.UTC(2026, 10, 20);
  const cases: [string, Record<string, string>, string | undefined, RegExp?][] = [
    ['number', { peak_visits_30d: '12' }, undefined],
    ['decimal', { peak_visits_30d: '-3.5' }, undefined],
    ['not a number', { peak_visits_30d: '12abc' }, 'INVALID_INTEGER'],
    ['bool true', { peak_at_risk: 'true' }, undefined],
    ['bool false', { peak_at_risk: 'false' }, undefined],
    ['bool yes', { peak_at_risk: 'yes' }, 'INVALID_OPTION'],
    ['date', { peak_last_visit: '2026-11-20' }, undefined],
    ['date ms at midnight', { peak_last_visit: String(midnight) }, undefined],
    ['date ms at 01:00', { peak_last_visit: String(midnight + 3_600_000) }, 'INVALID_DATE', /^\d+ is at 1:0:0\.0 UTC, not midnight!$/],
    ['date with a time', { peak_last_visit: '2026-11-20T10:00:00Z' }, 'INVALID_DATE', /not midnight!$/],
    ['no such day', { peak_last_visit: '2026-02-30' }, 'INVALID_DATE'],
    ['datetime', { peak_scored_at: '2026-11-20T10:15:00Z' }, undefined],
    ['datetime ms', { peak_scored_at: String(midnight + 123) }, undefined],
    ['datetime words', { peak_scored_at: 'yesterday' }, 'INVALID_DATETIME'],
    ['option', { peak_churn_band: 'high' }, undefined],
    ['not an option', { peak_churn_band: 'vip' }, 'INVALID_OPTION', /^vip was not one of the allowed options: \[low, medium, high\]$/],
    ['empty clears any type', { peak_visits_30d: '', peak_at_risk: '', peak_last_visit: '', peak_scored_at: '', peak_churn_band: '' }, undefined],
    ['bad email', { email: 'nope' }, 'INVALID_EMAIL'],
    ['read-only', { createdate: '2026-11-20' }, 'READ_ONLY_VALUE'],
    ['unknown', { favourite_colour: 'red' }, 'PROPERTY_DOESNT_EXIST'],
  ];
  const res = await upsert(
    app,
    cases.map(([, properties], i) => ({ idProperty: 'peak_member_id', id: `v-${i}`, properties, objectWriteTraceId: String(i) })),
  );
  const body = res.json<Batch>();
  const byTrace = new Map(body.errors?.map((e) => [e.context.objectWriteTraceId?.[0], e]));
  cases.forEach(([name, , code, message], i) => {
    const error = byTrace.get(String(i));
    t.equal(error?.errors[0]?.code, code, name);
    if (message) t.match(JSON.parse(error?.message.replace(/^Property values were not valid: /, '') ?? '[]')[0]?.message, message, `${name}: message`);
  });
  t.equal(body.results.length, cases.filter(([, , code]) => !code).length, 'every valid input written');
});
