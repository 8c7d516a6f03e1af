import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { tableList, tables, type KeyAttribute, type TableDefinition } from '@peak/contracts';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, portInUse, startDynamoDb } from '@peak/local-stack';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const clientFor = (t: { teardown(fn: () => unknown): void }, endpoint: string): DynamoDBClient => {
  const client = new DynamoDBClient({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });
  t.teardown(() => client.destroy());
  return client;
};

const value = (a: KeyAttribute, v: string): AttributeValue => (a.type === 'N' ? { N: String(v.length) } : { S: v });
/** An item with every key attribute of the table and of its indexes set. */
const itemFor = (def: TableDefinition, tag: string): Record<string, AttributeValue> => {
  const keys = [def.partitionKey, def.sortKey, ...def.indexes.flatMap((i) => [i.partitionKey, i.sortKey])].filter((k): k is KeyAttribute => !!k);
  return Object.fromEntries(keys.map((k) => [k.name, value(k, `${k.name}-${tag}`)]));
};

t.test('dynalite: every declared table, created twice (idempotent), on demand, with its keys, indexes and no TTL', async (t) => {
  const dynamo = await startDynamoDb();
  t.teardown(() => dynamo.stop());
  t.match(dynamo.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/, 'on loopback');
  const client = clientFor(t, dynamo.endpoint);

  await createTables(client);
  await createTables(client); // a restart against the same store
  const listed = await client.send(new ListTablesCommand({}));
  t.same([...(listed.TableNames ?? [])].sort(), tableList.map((d) => d.name).sort(), 'every declared table, once');

  for (const def of tableList) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: def.name }));
    t.equal(table?.TableStatus, 'ACTIVE', `${def.name} is ACTIVE`);
    t.equal(table?.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST', `${def.name} is on demand`);
    t.same(table?.KeySchema?.[0], { AttributeName: def.partitionKey.name, KeyType: 'HASH' }, `${def.name} partition key`);
    t.same(
      (table?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i.Projection?.ProjectionType, i.IndexStatus]).sort(),
      def.indexes.map((i) => [i.name, 'ALL', 'ACTIVE']).sort(),
      `${def.name}: every declared GSI, projecting ALL, ACTIVE`,
    );
    if (def.ttlAttribute) {
      // dynalite has no UpdateTimeToLive: createTables skips it there (AWS gets it).
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: def.name }));
      t.equal(ttl.TimeToLiveDescription?.TimeToLiveStatus, 'DISABLED', `${def.name}: TTL is not supported by dynalite, and skipped`);
    }
  }
});

t.test('dynalite: a conditional put refuses a second put of the same key with ConditionalCheckFailedException', async (t) => {
  const dynamo = await startDynamoDb({ tables: [tables.emailSends] });
  t.teardown(() => dynamo.stop());
  const client = clientFor(t, dynamo.endpoint);
  const reserve = (status: string) =>
    client.send(
      new PutItemCommand({
        TableName: tables.emailSends.name,
        Item: { dedupeKey: { S: 'welcome#m_1' }, status: { S: status } },
        ConditionExpression: 'attribute_not_exists(dedupeKey)',
      }),
    );
  await reserve('reserved');
  const err = (await reserve('again').catch((e: unknown) => e)) as Error & { $metadata?: { httpStatusCode?: number } };
  t.equal(err.name, 'ConditionalCheckFailedException', 'the SDK sees ConditionalCheckFailedException');
  t.equal(err.$metadata?.httpStatusCode, 400, 'HTTP 400');

  const race = (i: number) =>
    client.send(
      new PutItemCommand({
        TableName: tables.emailSends.name,
        Item: { dedupeKey: { S: 'raced' }, by: { N: String(i) } },
        ConditionExpression: 'attribute_not_exists(dedupeKey)',
      }),
    );
  const racing = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => race(i)));
  t.equal(racing.filter((r) => r.status === 'fulfilled').length, 1, 'of 8 racing reservations exactly one wins');
  t.ok(racing.every((r) => r.status === 'fulfilled' || (r.reason as Error).name === 'ConditionalCheckFailedException'), 'the others fail the condition');
});

t.test('dynalite: every declared GSI is queryable by its keys', async (t) => {
  const dynamo = await startDynamoDb({ tables: tableList });
  t.teardown(() => dynamo.stop());
  const client = clientFor(t, dynamo.endpoint);
  const withIndexes = tableList.filter((d) => d.indexes.length > 0);
  t.ok(withIndexes.length > 0, 'some table declares an index');
  for (const def of withIndexes) {
    const item = itemFor(def, 'a');
    await client.send(new PutItemCommand({ TableName: def.name, Item: item }));
    await client.send(new PutItemCommand({ TableName: def.name, Item: itemFor(def, 'b') }));
    for (const index of def.indexes) {
      const out = await client.send(
        new QueryCommand({
          TableName: def.name,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': index.partitionKey.name },
          ExpressionAttributeValues: { ':pk': item[index.partitionKey.name] as AttributeValue },
        }),
      );
      t.same(out.Items, [item], `${def.name}.${index.name} finds the item by ${index.partitionKey.name} (and only it)`);
    }
  }
});

t.test('createTables: a prefix names the physical tables; a table with other keys than declared is refused, named', async (t) => {
  const dynamo = await startDynamoDb({ tables: [tables.campaignRuns], tablePrefix: 'peak-test' });
  t.teardown(() => dynamo.stop());
  const client = clientFor(t, dynamo.endpoint);
  t.same((await client.send(new ListTablesCommand({}))).TableNames, ['peak-test-campaign-runs'], '<prefix>-<name>');

  await client.send(
    new CreateTableCommand({
      TableName: 'email-sends',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await t.rejects(createTables(client, [tables.emailSends]), {
    message: /^table email-sends exists with other keys or indexes than declared: has id HASH, declared dedupeKey HASH; byCampaign/,
  });
});

t.test('dynalite: stop closes promptly, with a client connection still open, and frees the port', async (t) => {
  const dynamo = await startDynamoDb({ tables: [tables.emailSuppressions] });
  const client = clientFor(t, dynamo.endpoint);
  await client.send(new ListTablesCommand({})); // leaves a keep-alive connection open
  const started = Date.now();
  await dynamo.stop();
  t.ok(Date.now() - started < 1_000, `stopped in ${Date.now() - started} ms`);
  t.equal(await portInUse(dynamo.port), false, 'port released');
});

t.test('dynalite: a client that hangs up mid-request does not take the process down (dynalite alone would rethrow it)', async (t) => {
  const dynamo = await startDynamoDb();
  t.teardown(() => dynamo.stop());
  const socket = new Socket();
  await new Promise<void>((resolve) => socket.connect(dynamo.port, '127.0.0.1', resolve));
  const head = 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n';
  socket.write(`${head}Content-Length: 100\r\n\r\n{"Limit":`); // 100 bytes promised, 9 sent
  await new Promise((r) => setTimeout(r, 50));
  socket.destroy();
  await new Promise((r) => setTimeout(r, 100)); // the server sees the hang-up ('aborted') here
  const client = clientFor(t, dynamo.endpoint);
  t.same((await client.send(new ListTablesCommand({}))).TableNames, [], 'still answering');
});

t.test('dynalite: a taken port fails the start with EADDRINUSE (the launcher retries elsewhere)', async (t) => {
  const first = await startDynamoDb();
  t.teardown(() => first.stop());
  await t.rejects(startDynamoDb({ port: first.port }), { code: 'EADDRINUSE' });
});

t.test('with a path the data survives a restart (the local platform keeps its send ledger in .data)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'peak-dynalite-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = await startDynamoDb({ tables: [tables.emailSuppressions], path: dir });
  await clientFor(t, first.endpoint).send(new PutItemCommand({ TableName: 'email-suppressions', Item: { address: { S: 'kept@example.com' } } }));
  await first.stop();
  const second = await startDynamoDb({ tables: [tables.emailSuppressions], path: dir });
  t.teardown(() => second.stop());
  const found = await clientFor(t, second.endpoint).send(new GetItemCommand({ TableName: 'email-suppressions', Key: { address: { S: 'kept@example.com' } } }));
  t.same(found.Item, { address: { S: 'kept@example.com' } }, 'the item written before the restart is there');
});
