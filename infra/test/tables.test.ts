import t from 'tap';
import { physicalTableName, tableList, type TableDefinition } from '@peak/contracts';
import { byType, runProgram, type Registered } from './fixtures/pulumi-mocks.js';

// Two stacks: the default (deletion protection on, as prod), then a dev-like stack that turns it off.
const { resources, outputs } = await runProgram({ 'peak-fitness:stage': 'test' });
const dev = await runProgram({ 'peak-fitness:stage': 'dev', 'peak-fitness:tableDeletionProtection': 'false' }, 'no-deletion-protection');
// After runProgram: Pulumi resource modules load once the mocks are set.
const { keyAttributes, Tables } = await import('../src/tables.js');

type TableInputs = {
  name: string;
  billingMode: string;
  hashKey: string;
  rangeKey?: string;
  attributes: { name: string; type: string }[];
  globalSecondaryIndexes: { name: string; keySchemas: { attributeName: string; keyType: string }[]; projectionType: string; hashKey?: string; rangeKey?: string }[];
  localSecondaryIndexes?: unknown[];
  ttl?: { attributeName: string; enabled: boolean };
  pointInTimeRecovery: { enabled: boolean };
  serverSideEncryption: { enabled: boolean; kmsKeyArn?: string };
  deletionProtectionEnabled: boolean;
  streamEnabled?: boolean;
  tags: Record<string, string>;
};
const tablesOf = (rs: Registered[]) => byType(rs, 'aws:dynamodb/table:Table').map((r) => r.inputs as TableInputs);
const tables = tablesOf(resources);
const named = (name: string) => tables.find((x) => x.name === name);
const keys = (partition: { name: string }, sort?: { name: string }) => [
  { attributeName: partition.name, keyType: 'HASH' },
  ...(sort ? [{ attributeName: sort.name, keyType: 'RANGE' }] : []),
];
/** Every key attribute a definition uses, with its type, once. */
const declaredAttributes = (def: TableDefinition) =>
  Object.fromEntries([def.partitionKey, def.sortKey, ...def.indexes.flatMap((i) => [i.partitionKey, i.sortKey])].filter((k) => k !== undefined).map((k) => [k.name, k.type]));

t.test('exactly one table per contract table: the infrastructure reads the list, so none can be missing or extra', async (t) => {
  t.ok(tableList.length > 0, 'the contracts declare tables');
  t.same(tables.map((x) => x.name).sort(), tableList.map((d) => `peak-test-${d.name}`).sort(), 'peak-test-<name> for each, nothing else');
  for (const def of tableList) t.equal(physicalTableName(def.name, 'peak-test'), `peak-test-${def.name}`, `${def.name}: the contracts' physicalTableName`);
});

t.test('each table has exactly the declared keys, indexes and TTL', async (t) => {
  for (const def of tableList) {
    const table = named(physicalTableName(def.name, 'peak-test'));
    if (!table) {
      t.fail(`${def.name} missing`);
      continue;
    }
    t.equal(table.billingMode, 'PAY_PER_REQUEST', `${def.name}: on demand`);
    t.equal(table.hashKey, def.partitionKey.name, `${def.name}: partition key ${def.partitionKey.name}`);
    t.equal(table.rangeKey, def.sortKey?.name, `${def.name}: sort key ${def.sortKey?.name ?? '(none)'}`);
    t.same(
      Object.fromEntries(table.attributes.map((a) => [a.name, a.type])),
      declaredAttributes(def),
      `${def.name}: an attribute definition for every key attribute, with its type, and no other`,
    );
    t.equal(table.attributes.length, Object.keys(declaredAttributes(def)).length, `${def.name}: each attribute once`);
    t.same(
      table.globalSecondaryIndexes.map((i) => ({ name: i.name, keySchemas: i.keySchemas, projectionType: i.projectionType })),
      def.indexes.map((i) => ({ name: i.name, keySchemas: keys(i.partitionKey, i.sortKey), projectionType: 'ALL' })),
      `${def.name}: the declared indexes (${def.indexes.map((i) => i.name).join(', ') || 'none'}), each projecting everything`,
    );
    t.ok(table.globalSecondaryIndexes.every((i) => i.hashKey === undefined && i.rangeKey === undefined), `${def.name}: index keys as keySchemas (hashKey/rangeKey are deprecated)`);
    t.notOk(table.localSecondaryIndexes?.length, `${def.name}: no local index`);
    if (def.ttlAttribute) t.same(table.ttl, { attributeName: def.ttlAttribute, enabled: true }, `${def.name}: TTL on ${def.ttlAttribute}`);
    else t.notOk(table.ttl, `${def.name}: no TTL`);
    t.match(table.tags, { project: 'peak-fitness', stage: 'test', component: 'tables', table: def.name, owner: def.owner }, `${def.name}: tagged with its owner`);
  }
});

t.test('point-in-time recovery, encryption at rest and deletion protection on every table', async (t) => {
  for (const table of tables) {
    t.same(table.pointInTimeRecovery, { enabled: true }, `${table.name}: PITR on`);
    t.same(table.serverSideEncryption, { enabled: true }, `${table.name}: SSE with the AWS managed aws/dynamodb key (no key ARN: no kms grant for callers)`);
    t.equal(table.deletionProtectionEnabled, true, `${table.name}: deletion protection on by default`);
    t.notOk(table.streamEnabled, `${table.name}: no stream`);
  }
  const devTables = tablesOf(dev.resources);
  t.equal(devTables.length, tableList.length, 'the dev-like stack has every table too');
  t.ok(devTables.every((x) => x.deletionProtectionEnabled === false && x.name.startsWith('peak-dev-')), 'tableDeletionProtection false turns it off');
  t.ok(devTables.every((x) => x.pointInTimeRecovery.enabled), 'PITR stays on');
});

t.test('stack outputs map each logical table name to its name and ARN', async (t) => {
  const names = tableList.map((d) => d.name).sort();
  t.same(Object.keys((outputs.tableNames ?? {}) as object).sort(), names, 'tableNames has every table');
  t.same(Object.keys((outputs.tableArns ?? {}) as object).sort(), names, 'tableArns has every table');
  t.equal((outputs.tableArns as Record<string, string>)['email-sends'], 'arn:aws:dynamodb:us-east-1:123456789012:table/peak-test-email-sends');
  t.equal((outputs.tableNames as Record<string, string>)['campaign-runs'], 'peak-test-campaign-runs');
});

t.test('the component refuses definitions DynamoDB or a policy could not take', async (t) => {
  const s = (name: string) => ({ name, type: 'S' as const });
  const base: TableDefinition = { name: 'x', description: 'x', owner: 'x', partitionKey: s('id'), indexes: [] };
  t.same(keyAttributes({ ...base, sortKey: s('at'), indexes: [{ name: 'byAt', partitionKey: s('at'), sortKey: s('id'), description: '' }] }), [s('id'), s('at')], 'each key attribute once');
  t.throws(() => keyAttributes({ ...base, indexes: [{ name: 'n', partitionKey: { name: 'id', type: 'N' }, description: '' }] }), /table x: key attribute id is both S and N/);
  t.throws(() => new Tables('dupe', { prefix: 'peak-x', definitions: [base, base], deletionProtection: true }), /a logical name is declared twice/);
  const indexDupe = { ...base, name: 'y', indexes: [{ name: 'i', partitionKey: s('a'), description: '' }, { name: 'i', partitionKey: s('b'), description: '' }] };
  t.throws(() => new Tables('idx', { prefix: 'peak-x', definitions: [indexDupe], deletionProtection: true }), /table y: an index name is declared twice/);
  const one = new Tables('one', { prefix: 'peak-x', definitions: [{ ...base, indexes: [{ name: 'byA', partitionKey: s('a'), description: '' }] }], deletionProtection: false });
  t.throws(() => one.indexArn('x', 'byB'), /table x has no index byB; its indexes are byA/);
  t.throws(() => one.table('y'), /no table y; the tables are x/);
});
