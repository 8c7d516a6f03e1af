import t from 'tap';
import { auth, createProperty, sandbox } from './helper.js';

const text = (name: string, extra: object = {}) => ({ name, label: name, type: 'string', fieldType: 'text', groupName: 'contactinformation', ...extra });

t.test('property groups: HubSpot\'s defaults, create (201), read, 404, and 409 on a taken name', async (t) => {
  const app = await sandbox(t);
  const groups = async () => (await app.inject({ method: 'GET', url: '/crm/v3/properties/contacts/groups', headers: auth() })).json<{ results: { name: string }[] }>().results;
  t.same(
    (await groups()).map((g) => g.name),
    ['contactinformation', 'emailinformation', 'conversioninformation', 'sales_properties', 'socialmediainformation'],
  );
  const create = (payload: object) => app.inject({ method: 'POST', url: '/crm/v3/properties/contacts/groups', headers: auth(), payload });
  const created = await create({ name: 'peak_fitness', label: 'Peak Fitness' });
  t.equal(created.statusCode, 201);
  t.same(created.json(), { name: 'peak_fitness', label: 'Peak Fitness', displayOrder: -1, archived: false });
  const read = await app.inject({ method: 'GET', url: '/crm/v3/properties/contacts/groups/peak_fitness', headers: auth() });
  t.same(read.json(), created.json());
  t.ok((await groups()).some((g) => g.name === 'peak_fitness'), 'listed');

  const again = await create({ name: 'peak_fitness', label: 'Peak Fitness' });
  t.equal(again.statusCode, 409, 'creating is not idempotent: the same group again is a conflict');
  t.match(again.json(), { status: 'error', category: 'OBJECT_ALREADY_EXISTS', message: /peak_fitness/, correlationId: String });
  const missing = await app.inject({ method: 'GET', url: '/crm/v3/properties/contacts/groups/nope', headers: auth() });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { status: 'error', category: 'OBJECT_NOT_FOUND' });
  t.equal((await create({ name: 'Bad Name', label: 'x' })).statusCode, 400);
  t.equal((await create({ name: 'no_label' })).statusCode, 400);

  t.equal((await createProperty(app, text('peak_plan', { groupName: 'peak_fitness' }))).statusCode, 201, 'a property in the new group');
  t.match((await createProperty(app, text('peak_other', { groupName: 'nope' }))).json(), { category: 'VALIDATION_ERROR', message: /group 'nope' does not exist/ });
});

t.test('GET a property by name; 404 for one that does not exist', async (t) => {
  const app = await sandbox(t);
  await createProperty(app, text('peak_home_location'));
  const one = (name: string) => app.inject({ method: 'GET', url: `/crm/v3/properties/contacts/${name}`, headers: auth() });
  t.match((await one('email')).json(), { name: 'email', type: 'string', hasUniqueValue: false, hubspotDefined: true });
  t.match((await one('peak_home_location')).json(), { name: 'peak_home_location', fieldType: 'text', groupName: 'contactinformation', options: [] });
  const missing = await one('peak_nothing');
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { status: 'error', category: 'OBJECT_NOT_FOUND', message: /peak_nothing/ });
});

t.test('unique properties: at most 10, single-line text or number only', async (t) => {
  const app = await sandbox(t);
  for (let i = 0; i < 9; i++) t.equal((await createProperty(app, text(`peak_key_${i}`, { hasUniqueValue: true }))).statusCode, 201);
  t.equal((await createProperty(app, { ...text('peak_key_n', { hasUniqueValue: true }), type: 'number', fieldType: 'number' })).statusCode, 201, 'the 10th, a number');
  const eleventh = await createProperty(app, text('peak_key_x', { hasUniqueValue: true }));
  t.equal(eleventh.statusCode, 400);
  t.match(eleventh.json(), { category: 'VALIDATION_ERROR', message: /maximum of 10/ });
  t.equal((await createProperty(app, text('peak_not_unique'))).statusCode, 201, 'a non-unique property is still fine');

  const fresh = await sandbox(t);
  const multiLine = await createProperty(fresh, text('peak_notes', { fieldType: 'textarea', hasUniqueValue: true }));
  t.equal(multiLine.statusCode, 400);
  t.match(multiLine.json(), { category: 'VALIDATION_ERROR', message: /only single-line text and number/ });
});

t.test('enumeration properties need options, with unique values; phone_number exists', async (t) => {
  const app = await sandbox(t);
  const enumeration = { name: 'peak_band', label: 'Band', type: 'enumeration', fieldType: 'select', groupName: 'contactinformation' };
  const noOptions = await createProperty(app, enumeration);
  t.equal(noOptions.statusCode, 400);
  t.match(noOptions.json(), { category: 'VALIDATION_ERROR', message: /needs options/ });
  t.equal((await createProperty(app, { ...enumeration, options: [] })).statusCode, 400, 'an empty list too');
  const repeated = await createProperty(app, { ...enumeration, options: [{ label: 'Low', value: 'low' }, { label: 'Lower', value: 'low' }] });
  t.match(repeated.json(), { category: 'VALIDATION_ERROR', message: /repeated: low/ });
  t.equal((await createProperty(app, { ...enumeration, options: [{ label: 'Low', value: 'low' }] })).statusCode, 201);
  t.equal((await createProperty(app, { name: 'peak_flag', label: 'Flag', type: 'bool', fieldType: 'booleancheckbox', groupName: 'contactinformation' })).statusCode, 201, 'bool needs no options');
  t.equal((await createProperty(app, { name: 'peak_phone', label: 'Phone', type: 'phone_number', fieldType: 'phonenumber', groupName: 'contactinformation' })).statusCode, 201);
});
