import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { physicalTableName, type KeyAttribute, type TableDefinition } from '@peak/contracts';

export interface TablesArgs {
  /** Physical name prefix (`peak-<stage>`): tables are named `<prefix>-<name>` (the contracts' `physicalTableName`). */
  prefix: string;
  /** The tables to create, normally `tableList` from @peak/contracts: the stack has exactly these. */
  definitions: readonly TableDefinition[];
  /** DynamoDB deletion protection on every table (on in prod: a delete or a replacing change is refused until it is off). */
  deletionProtection: boolean;
  tags?: Record<string, string>;
}

/**
 * Every attribute a table's keys and its indexes' keys use, once each (DynamoDB refuses an attribute definition no key
 * uses, and two definitions of one name). Refuses one name with two types.
 */
export function keyAttributes(def: TableDefinition): { name: string; type: KeyAttribute['type'] }[] {
  const keys = [def.partitionKey, def.sortKey, ...def.indexes.flatMap((i) => [i.partitionKey, i.sortKey])].filter((k): k is KeyAttribute => k !== undefined);
  const types = new Map<string, KeyAttribute['type']>();
  for (const key of keys) {
    const seen = types.get(key.name);
    if (seen !== undefined && seen !== key.type) throw new Error(`table ${def.name}: key attribute ${key.name} is both ${seen} and ${key.type}`);
    types.set(key.name, key.type);
  }
  return [...types].map(([name, type]) => ({ name, type }));
}

const keySchema = (partitionKey: KeyAttribute, sortKey?: KeyAttribute) => [
  { attributeName: partitionKey.name, keyType: 'HASH' },
  ...(sortKey ? [{ attributeName: sortKey.name, keyType: 'RANGE' }] : []),
];

/**
 * The platform's DynamoDB tables, one per contract definition, so a table added to `tableList` is created by the next
 * deploy and none exists that the contract does not declare. On demand; every index projects all attributes (the
 * notifier reads whole items from them); TTL where the definition names an attribute; point-in-time recovery (35 days)
 * and encryption with the account's AWS managed `aws/dynamodb` key, which needs no kms grant in the callers' roles.
 */
export class Tables extends pulumi.ComponentResource {
  /** By logical table name (`email-sends`). */
  readonly tables: Record<string, aws.dynamodb.Table>;
  readonly names: pulumi.Output<Record<string, string>>;
  readonly arns: pulumi.Output<Record<string, string>>;
  private readonly indexNames = new Map<string, string[]>();

  constructor(name: string, args: TablesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('peak:data:Tables', name, {}, opts);
    const tags = { ...(args.tags ?? {}), component: 'tables' };
    const logical = args.definitions.map((d) => d.name);
    if (new Set(logical).size !== logical.length) throw new Error(`tables: a logical name is declared twice (${logical.join(', ')})`);
    this.tables = {};
    for (const def of args.definitions) {
      const indexNames = def.indexes.map((i) => i.name);
      if (new Set(indexNames).size !== indexNames.length) throw new Error(`table ${def.name}: an index name is declared twice`);
      this.indexNames.set(def.name, indexNames);
      this.tables[def.name] = new aws.dynamodb.Table(
        def.name,
        {
          name: physicalTableName(def.name, args.prefix),
          billingMode: 'PAY_PER_REQUEST',
          hashKey: def.partitionKey.name,
          ...(def.sortKey ? { rangeKey: def.sortKey.name } : {}),
          attributes: keyAttributes(def),
          globalSecondaryIndexes: def.indexes.map((index) => ({ name: index.name, keySchemas: keySchema(index.partitionKey, index.sortKey), projectionType: 'ALL' })),
          ...(def.ttlAttribute ? { ttl: { attributeName: def.ttlAttribute, enabled: true } } : {}),
          pointInTimeRecovery: { enabled: true },
          // enabled without a key ARN: the AWS managed aws/dynamodb key (not the AWS owned one), auditable in CloudTrail.
          serverSideEncryption: { enabled: true },
          deletionProtectionEnabled: args.deletionProtection,
          tags: { ...tags, table: def.name, owner: def.owner },
        },
        { parent: this },
      );
    }
    const map = (pick: (t: aws.dynamodb.Table) => pulumi.Output<string>) =>
      pulumi.output(Object.fromEntries(Object.entries(this.tables).map(([k, t]) => [k, pick(t)]))) as pulumi.Output<Record<string, string>>;
    this.names = map((t) => t.name);
    this.arns = map((t) => t.arn);
    this.registerOutputs({ names: this.names, arns: this.arns });
  }

  /** The ARN of a declared index (`<table arn>/index/<index>`), for a policy that may query that index only. */
  indexArn(table: string, index: string): pulumi.Output<string> {
    const t = this.table(table);
    const indexes = this.indexNames.get(table) ?? [];
    if (!indexes.includes(index)) throw new Error(`table ${table} has no index ${index}; its indexes are ${indexes.join(', ') || '(none)'}`);
    return pulumi.interpolate`${t.arn}/index/${index}`;
  }

  /** A declared table, or an error naming the ones there are. */
  table(logicalName: string): aws.dynamodb.Table {
    const t = this.tables[logicalName];
    if (!t) throw new Error(`no table ${logicalName}; the tables are ${Object.keys(this.tables).join(', ')}`);
    return t;
  }
}
