import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fp from 'fastify-plugin';
import { physicalTableName, type TableDefinition } from '@peak/contracts';
import { failureReason } from '../readiness.js';

/** The DynamoDB client and this stage's physical table names; a service wraps the client in a DocumentClient if it wants one. */
export type Dynamo = {
  client: DynamoDBClient;
  /** Physical name of a declared table: `<prefix>-<name>` (`peak-dev-email-sends`), the bare name locally. */
  table(def: Pick<TableDefinition, 'name'>): string;
};

declare module 'fastify' {
  interface FastifyInstance {
    dynamo: Dynamo;
  }
}

export type DynamoPluginOptions = {
  region: string;
  tablePrefix: string;
  /** The tables this service reads or writes: each is a readiness check. */
  uses: readonly TableDefinition[];
  client?: DynamoDBClient;
};

/** dynamoPlugin options from a service config that spreads `awsConfig`. */
export const dynamoOptions = (
  config: { AWS_REGION: string; TABLE_PREFIX: string },
  uses: readonly TableDefinition[],
  client?: DynamoDBClient,
): DynamoPluginOptions => ({ region: config.AWS_REGION, tablePrefix: config.TABLE_PREFIX, uses, client });

/** States in which a table takes reads and writes (UPDATING: an index or setting is changing, the table still serves). */
const SERVING = new Set(['ACTIVE', 'UPDATING']);

export const dynamoPlugin = fp<DynamoPluginOptions>(
  async (app, opts) => {
    const owned = !opts.client;
    // The endpoint comes from AWS_ENDPOINT_URL_DYNAMODB when set (locally: dynalite), as for SQS and SES.
    const client = opts.client ?? new DynamoDBClient({ region: opts.region });
    const table = (def: Pick<TableDefinition, 'name'>): string => physicalTableName(def.name, opts.tablePrefix);
    app.decorate('dynamo', { client, table });
    const check = async (def: TableDefinition, signal: AbortSignal): Promise<void> => {
      const name = table(def);
      let status: string | undefined;
      try {
        const out = await client.send(new DescribeTableCommand({ TableName: name }), { abortSignal: signal });
        status = out.Table?.TableStatus;
      } catch (err) {
        throw new Error(`table ${name}: ${failureReason(err)}`, { cause: err });
      }
      if (!status || !SERVING.has(status)) throw new Error(`table ${name}: is ${status ?? 'in no known state'}, not ACTIVE`);
    };
    app.readiness.set('dynamodb', async (signal) => {
      // Every table is asked at once; the first failure in `uses` order is reported, so the reason is stable.
      const failed = (await Promise.allSettled(opts.uses.map((def) => check(def, signal)))).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    });
    app.addHook('onClose', async () => {
      if (owned) client.destroy();
    });
  },
  { name: 'peak-dynamodb', dependencies: ['peak-health'] },
);
