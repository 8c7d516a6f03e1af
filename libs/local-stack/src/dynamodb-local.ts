import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { physicalTableName, tableList, type KeyAttribute, type TableDefinition } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './aws-local.js';

export type DynamoDbLocal = {
  /** http://127.0.0.1:PORT — the DynamoDB endpoint (AWS_ENDPOINT_URL_DYNAMODB). */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
};

export type DynamoDbLocalOptions = {
  port?: number;
  /** Tables to create once it listens (default none: `createTables` does it later). */
  tables?: readonly TableDefinition[];
  tablePrefix?: string;
  /** A folder to keep the data in (LevelDB), so it survives a restart; default in memory. */
  path?: string;
};

type DynaliteOptions = { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; path?: string };
// dynalite is CommonJS without types: its factory returns a plain http.Server (with a close that also closes its store).
const dynalite = createRequire(import.meta.url)('dynalite') as (options?: DynaliteOptions) => Server;

/**
 * dynalite (the DynamoDB API in Node) on loopback, in memory unless `path` names a folder to keep the data in.
 * Tables become ACTIVE at once instead of after dynalite's default half second. With `tables`, they are created
 * through the real API before it returns, as `createTables` creates them.
 */
export async function startDynamoDb(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(opts.path ? { path: opts.path } : {}) });
  surviveClientAborts(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject); // EADDRINUSE: the launcher retries on another port
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve, reject) => {
      // A client's idle keep-alive connection must not hold the stop.
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
  if (opts.tables?.length) {
    const client = new DynamoDBClient({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });
    try {
      await createTables(client, opts.tables, opts.tablePrefix ?? '');
    } catch (err) {
      await stop().catch(() => undefined);
      throw err;
    } finally {
      client.destroy();
    }
  }
  return { endpoint, port, stop };
}

/**
 * dynalite rethrows a request's 'error' from its listener (`req.on('error', (err) => { throw err })`): a client that
 * hangs up mid-body (an aborted SDK call, a killed service) would end the whole process, the launcher included.
 * Its listener is swapped for one that drops the answer: that client is gone anyway.
 */
function surviveClientAborts(server: Server): void {
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    for (const handle of handlers) handle(req, res);
    req.removeAllListeners('error');
    req.on('error', () => res.destroy());
  });
}

/**
 * Creates every table as declared in `@peak/contracts` (the list the Pulumi program reads): on-demand, its key
 * schema, every GSI projecting ALL, and TTL on `ttlAttribute`. Idempotent: a table that exists already is fine if
 * it has the declared keys and indexes (a restart against a kept store, or AWS), and refused naming the difference
 * otherwise. Resolves once every table and index is ACTIVE.
 *
 * TTL: dynalite has no UpdateTimeToLive (it answers UnknownOperationException, and DescribeTimeToLive always says
 * DISABLED) and never expires items, so there the TTL step is skipped; DynamoDB itself deletes expired items only
 * eventually (up to days), so readers must ignore an expired item either way.
 */
export async function createTables(client: DynamoDBClient, definitions: readonly TableDefinition[] = tableList, prefix = ''): Promise<void> {
  await Promise.all(definitions.map((def) => createTable(client, def, prefix)));
}

async function createTable(client: DynamoDBClient, def: TableDefinition, prefix: string): Promise<void> {
  const TableName = physicalTableName(def.name, prefix);
  const input = tableInput(def, TableName);
  try {
    await client.send(new CreateTableCommand(input));
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') throw err;
  }
  const table = await waitUntilActive(client, TableName);
  const declared = shape(input.KeySchema ?? [], input.GlobalSecondaryIndexes ?? []);
  const found = shape(table.KeySchema ?? [], table.GlobalSecondaryIndexes ?? []);
  if (found !== declared) {
    throw new Error(`table ${TableName} exists with other keys or indexes than declared: has ${found}, declared ${declared}`);
  }
  if (def.ttlAttribute) await enableTtl(client, TableName, def.ttlAttribute);
}

function tableInput(def: TableDefinition, TableName: string): CreateTableCommandInput {
  const attributes = new Map<string, KeyAttribute['type']>();
  const keys = (partition: KeyAttribute, sort?: KeyAttribute): KeySchemaElement[] => {
    for (const a of sort ? [partition, sort] : [partition]) {
      const seen = attributes.get(a.name);
      if (seen && seen !== a.type) throw new Error(`table ${def.name}: attribute ${a.name} is declared both ${seen} and ${a.type}`);
      attributes.set(a.name, a.type);
    }
    const hash: KeySchemaElement = { AttributeName: partition.name, KeyType: 'HASH' };
    return sort ? [hash, { AttributeName: sort.name, KeyType: 'RANGE' }] : [hash];
  };
  const KeySchema = keys(def.partitionKey, def.sortKey);
  const GlobalSecondaryIndexes = def.indexes.map((index) => ({
    IndexName: index.name,
    KeySchema: keys(index.partitionKey, index.sortKey),
    Projection: { ProjectionType: 'ALL' as const },
  }));
  const AttributeDefinitions: AttributeDefinition[] = [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
  return {
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions,
    KeySchema,
    ...(GlobalSecondaryIndexes.length > 0 ? { GlobalSecondaryIndexes } : {}),
  };
}

/** Keys and indexes in one comparable line: `dedupeKey HASH; byMember(memberId HASH, createdAt RANGE)`. */
function shape(keySchema: readonly KeySchemaElement[], indexes: readonly { IndexName?: string; KeySchema?: KeySchemaElement[] }[]): string {
  const keys = (k: readonly KeySchemaElement[]) => k.map((e) => `${e.AttributeName} ${e.KeyType}`).join(', ');
  const gsis = indexes.map((i) => `${i.IndexName}(${keys(i.KeySchema ?? [])})`).sort();
  return [keys(keySchema), ...gsis].join('; ');
}

/** Polls DescribeTable (20 ms, doubling to 2 s) until the table and every index are ACTIVE: at once in dynalite, seconds in AWS. */
async function waitUntilActive(client: DynamoDBClient, TableName: string, timeoutMs = 300_000): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  let status = 'unknown';
  while (Date.now() < deadline) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName }));
    status = table?.TableStatus ?? 'unknown';
    if (table && status === 'ACTIVE' && (table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE')) return table;
    if (status === 'DELETING') throw new Error(`table ${TableName} is being deleted; create it again once it is gone`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 2_000);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for table ${TableName} to be ACTIVE (last status ${status})`);
}

async function enableTtl(client: DynamoDBClient, TableName: string, AttributeName: string): Promise<void> {
  const { TimeToLiveDescription: ttl } = await client.send(new DescribeTimeToLiveCommand({ TableName }));
  const on = ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING';
  if (on && ttl?.AttributeName === AttributeName) return; // DynamoDB refuses to enable it twice
  try {
    await client.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { Enabled: true, AttributeName } }));
  } catch (err) {
    if ((err as Error).name !== 'UnknownOperationException') throw err; // dynalite: no TTL (see createTables)
  }
}
