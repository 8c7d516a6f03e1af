import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { SandboxExample } from './sandbox-examples.js';
import type { GlueColumn, GlueTableInput } from '@peak/analytics';
import { DERIVED_NAMES } from '@peak/contracts';
import type { LakeZoneSpec } from './data-lake.js';

/** Athena's floor for `BytesScannedCutoffPerQuery` (10 MB); a lower value fails only at deploy, so it fails here. */
export const ATHENA_MIN_SCAN_CUTOFF_BYTES = 10_000_000;
/** Engine v3 (Trino): what the view SQL and the services' result reuse are written for. */
export const ATHENA_ENGINE_VERSION = 'Athena engine version 3';
// Athena's own limit on a named query's text.
const NAMED_QUERY_MAX_CHARS = 262_144;

/**
 * Query results live in the lake bucket under their own prefix, as one more zone of the lake's single lifecycle
 * configuration (a second lifecycle resource on the bucket would overwrite the first). A week, because results are
 * disposable and the services' Athena result reuse looks back at most 7 days.
 */
export const QUERY_RESULTS_ZONE = { prefix: 'athena-results/', retentionDays: 7 } as const satisfies LakeZoneSpec;

/** Logical workgroup names: each writes its results under `<results prefix><name>/`. */
export const ANALYTICS_WORKGROUP = 'analytics';
export const SANDBOX_WORKGROUP = 'student_sandbox';

/** Everything a student needs to run, watch, stop and read their own queries in the sandbox workgroup. */
export const SANDBOX_ATHENA_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:StopQueryExecution',
  'athena:GetQueryExecution',
  'athena:BatchGetQueryExecution',
  'athena:ListQueryExecutions',
  'athena:GetQueryResults',
  'athena:GetQueryResultsStream',
  'athena:GetWorkGroup',
  // The example queries stored in the workgroup (named queries are workgroup resources).
  'athena:ListNamedQueries',
  'athena:GetNamedQuery',
  'athena:BatchGetNamedQuery',
] as const;
/** Read-only catalog calls Athena makes while planning a query (GetPartition(s) stay unused with projection, but are reads). */
export const GLUE_READ_ACTIONS = ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'] as const;

export interface AnalyticsArgs {
  /** Physical name prefix (`peak-<stage>`): workgroups `<prefix>-analytics`, database `<prefix>` with `_` for `-`. */
  prefix: string;
  /** The lake bucket (DataLake's outputs): tables read its processed zone, results go under `resultsPrefix`. */
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** Key prefix of the processed zone, ending in `/` (`lakeZones.processed.prefix`): all students may read. */
  processedPrefix: string;
  /** Key prefix of the query results, ending in `/` (`QUERY_RESULTS_ZONE.prefix`); the lake must expire it. */
  resultsPrefix: string;
  /** Dataset names, known before the bucket name is: one Glue table each. */
  datasets: readonly string[];
  /** Derived relation names (Parquet the platform's own jobs write to the processed zone): one Glue table each (default: the contracts' `DERIVED_NAMES`). */
  derived?: readonly string[];
  /** Glue `TableInput` per dataset and derived relation (`glueTableInputs()` of @peak/analytics for the lake bucket). */
  tables: pulumi.Input<Record<string, GlueTableInput>>;
  /** `CREATE OR REPLACE VIEW` statements in the order to run them (`athenaViewDdl()` of @peak/analytics). */
  viewDdl: readonly string[];
  /** Example queries for students (docs/sandbox.md's, `sandboxExamples()`): named queries of the student_sandbox workgroup. */
  sandboxExamples?: readonly SandboxExample[];
  /** Per-query bytes-scanned cutoffs, in bytes (≥ 10 MB). */
  analyticsScanLimitBytes: number;
  sandboxScanLimitBytes: number;
  tags?: Record<string, string>;
}

/** The Glue/Athena database name of a stage: Athena wants lowercase letters, digits and underscores. */
export const databaseName = (prefix: string): string => prefix.replace(/-/g, '_');

const VIEW_DDL = /^CREATE OR REPLACE VIEW (\w+) AS\s/;

function viewName(ddl: string): string {
  const name = VIEW_DDL.exec(ddl)?.[1];
  if (name === undefined) throw new Error(`view DDL must start with "CREATE OR REPLACE VIEW <name> AS": ${JSON.stringify(ddl.slice(0, 60))}`);
  if (ddl.length > NAMED_QUERY_MAX_CHARS) throw new Error(`view ${name}: ${ddl.length} characters, over Athena's named-query limit of ${NAMED_QUERY_MAX_CHARS}`);
  return name;
}

function checkScanCutoff(what: string, bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < ATHENA_MIN_SCAN_CUTOFF_BYTES) {
    throw new Error(`${what} bytes-scanned cutoff must be a whole number of bytes ≥ ${ATHENA_MIN_SCAN_CUTOFF_BYTES} (Athena's minimum, 10 MB); got ${bytes}`);
  }
}

const glueColumn = (c: GlueColumn) => ({ name: c.Name, type: c.Type, comment: c.Comment });

/**
 * The AWS side of the analytics layer: the Glue catalog of the processed zone (a table per dataset and derived relation, `dt` projected),
 * the services' `analytics` workgroup with the star-schema view DDL as named queries, and the students' read-only
 * `student_sandbox` workgroup with its IAM policy and group.
 */
export class Analytics extends pulumi.ComponentResource {
  readonly database: aws.glue.CatalogDatabase;
  /** By dataset or derived relation name. */
  readonly tables: Record<string, aws.glue.CatalogTable>;
  readonly analyticsWorkgroup: aws.athena.Workgroup;
  readonly sandboxWorkgroup: aws.athena.Workgroup;
  /** The view DDL, in run order. */
  readonly viewQueries: aws.athena.NamedQuery[];
  /** The students' example queries, in the guide's order. */
  readonly exampleQueries: aws.athena.NamedQuery[];
  readonly sandboxPolicy: aws.iam.Policy;
  readonly sandboxGroup: aws.iam.Group;
  readonly databaseName: pulumi.Output<string>;
  readonly analyticsWorkgroupName: pulumi.Output<string>;
  readonly sandboxWorkgroupName: pulumi.Output<string>;
  readonly viewQueryIds: pulumi.Output<string[]>;
  readonly sandboxPolicyArn: pulumi.Output<string>;
  readonly sandboxGroupName: pulumi.Output<string>;

  constructor(name: string, args: AnalyticsArgs, opts?: pulumi.ComponentResourceOptions) {
    checkScanCutoff(ANALYTICS_WORKGROUP, args.analyticsScanLimitBytes);
    checkScanCutoff(SANDBOX_WORKGROUP, args.sandboxScanLimitBytes);
    const views = args.viewDdl.map((ddl) => ({ name: viewName(ddl), ddl }));
    super('peak:analytics:Analytics', name, {}, opts);
    const parent = { parent: this };
    const tags = { ...(args.tags ?? {}), component: 'analytics' };

    this.database = new aws.glue.CatalogDatabase(
      `${name}-database`,
      { name: databaseName(args.prefix), description: 'Peak Fitness lake: a table per processed dataset and derived relation (from the contracts) and the star-schema views', tags },
      parent,
    );

    const allTables = pulumi.output(args.tables);
    this.tables = {};
    // Derived relations are read exactly like datasets, so the same SQL runs on Athena and on DuckDB.
    for (const relation of [...args.datasets, ...(args.derived ?? DERIVED_NAMES)]) {
      const table = allTables.apply((all) => {
        const input = all[relation];
        if (input === undefined || input.Name !== relation) throw new Error(`no Glue table input named ${relation}`);
        return input;
      });
      this.tables[relation] = new aws.glue.CatalogTable(
        `${name}-table-${relation}`,
        {
          databaseName: this.database.name,
          name: relation,
          description: table.Description,
          tableType: table.TableType,
          // Partition projection lives here (table properties): Athena computes each `dt` location, nothing is registered.
          parameters: table.Parameters,
          storageDescriptor: table.StorageDescriptor.apply((sd) => ({
            location: sd.Location,
            inputFormat: sd.InputFormat,
            outputFormat: sd.OutputFormat,
            serDeInfo: { serializationLibrary: sd.SerdeInfo.SerializationLibrary },
            columns: sd.Columns.map(glueColumn),
          })),
          partitionKeys: table.PartitionKeys.apply((keys) => keys.map(glueColumn)),
        },
        parent,
      );
    }

    const workgroup = (key: string, description: string, cutoffBytes: number) =>
      new aws.athena.Workgroup(
        `${name}-${key}`,
        {
          name: `${args.prefix}-${key}`,
          description,
          configuration: {
            // Clients cannot pick another result location, encryption or a higher cutoff.
            enforceWorkgroupConfiguration: true,
            bytesScannedCutoffPerQuery: cutoffBytes,
            publishCloudwatchMetricsEnabled: true,
            engineVersion: { selectedEngineVersion: ATHENA_ENGINE_VERSION },
            resultConfiguration: {
              outputLocation: pulumi.interpolate`s3://${args.bucketName}/${args.resultsPrefix}${key}/`,
              encryptionConfiguration: { encryptionOption: 'SSE_S3' },
            },
          },
          tags: { ...tags, workgroup: key },
        },
        parent,
      );
    this.analyticsWorkgroup = workgroup(ANALYTICS_WORKGROUP, 'Platform services (metrics API, crm-sync, dashboard) over the lake', args.analyticsScanLimitBytes);
    this.sandboxWorkgroup = workgroup(SANDBOX_WORKGROUP, 'Students: read-only SQL over the processed zone, capped per query', args.sandboxScanLimitBytes);

    // No Pulumi resource runs Athena DDL: the views are stored as named queries an operator runs once (infra/README.md).
    this.viewQueries = views.map(
      (view, i) =>
        new aws.athena.NamedQuery(
          `${name}-view-${view.name}`,
          {
            name: `${args.prefix}-view-${String(i + 1).padStart(2, '0')}-${view.name}`,
            description: `Creates or replaces the ${view.name} view; run after every deploy that changes it`,
            workgroup: this.analyticsWorkgroup.name,
            database: this.database.name,
            query: view.ddl,
          },
          parent,
        ),
    );

    this.exampleQueries = (args.sandboxExamples ?? []).map((example, i) => {
      const slug = example.title.replace(/^\d+\.\s*/, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
      return new aws.athena.NamedQuery(
        `${name}-example-${i + 1}`,
        {
          name: `${args.prefix}-example-${String(i + 1).padStart(2, '0')}-${slug}`,
          description: `docs/sandbox.md, example ${example.title}`.slice(0, 1024),
          workgroup: this.sandboxWorkgroup.name,
          database: this.database.name,
          query: example.sql,
        },
        parent,
      );
    });

    this.sandboxPolicy = new aws.iam.Policy(
      `${name}-student-sandbox`,
      {
        name: `${args.prefix}-student-sandbox`,
        description: 'Students: Athena queries in the student_sandbox workgroup, read-only on the catalog and the processed zone',
        policy: sandboxPolicyDocument({
          workgroupArn: this.sandboxWorkgroup.arn,
          databaseArn: this.database.arn,
          databaseName: this.database.name,
          bucketArn: args.bucketArn,
          readPrefix: args.processedPrefix,
          resultsPrefix: `${args.resultsPrefix}${SANDBOX_WORKGROUP}/`,
        }),
        tags,
      },
      parent,
    );
    // Students are added to this group (infra/README.md); nothing else is attached to it.
    this.sandboxGroup = new aws.iam.Group(`${name}-student-group`, { name: `${args.prefix}-student-sandbox` }, parent);
    new aws.iam.GroupPolicyAttachment(`${name}-student-policy`, { group: this.sandboxGroup.name, policyArn: this.sandboxPolicy.arn }, parent);

    this.databaseName = this.database.name;
    this.analyticsWorkgroupName = this.analyticsWorkgroup.name;
    this.sandboxWorkgroupName = this.sandboxWorkgroup.name;
    this.viewQueryIds = pulumi.output(this.viewQueries.map((q) => q.id));
    this.sandboxPolicyArn = this.sandboxPolicy.arn;
    this.sandboxGroupName = this.sandboxGroup.name;
    this.registerOutputs({
      databaseName: this.databaseName,
      analyticsWorkgroupName: this.analyticsWorkgroupName,
      sandboxWorkgroupName: this.sandboxWorkgroupName,
      viewQueryIds: this.viewQueryIds,
      sandboxPolicyArn: this.sandboxPolicyArn,
      sandboxGroupName: this.sandboxGroupName,
    });
  }
}

interface SandboxPolicyArgs {
  workgroupArn: pulumi.Input<string>;
  databaseArn: pulumi.Input<string>;
  databaseName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** Key prefix students may read (the processed zone). */
  readPrefix: string;
  /** Key prefix of the sandbox's own results: the only place a student's query may write. */
  resultsPrefix: string;
}

/** The student policy: every statement names its resources, no action wildcards, no write outside the sandbox results. */
function sandboxPolicyDocument(p: SandboxPolicyArgs): pulumi.Output<string> {
  // The catalog and table ARNs share the database ARN's partition, region and account (arn:aws:glue:<region>:<account>).
  const glue = pulumi.output(p.databaseArn).apply((arn) => arn.split(':').slice(0, 5).join(':'));
  const bucket = pulumi.output(p.bucketArn);
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'QueryInSandboxWorkgroup', Effect: 'Allow', Action: SANDBOX_ATHENA_ACTIONS, Resource: p.workgroupArn },
      {
        Sid: 'ReadCatalog',
        Effect: 'Allow',
        Action: GLUE_READ_ACTIONS,
        Resource: [pulumi.interpolate`${glue}:catalog`, p.databaseArn, pulumi.interpolate`${glue}:table/${p.databaseName}/*`],
      },
      // Athena checks where the result bucket is before it writes; this reveals nothing about its objects.
      { Sid: 'LocateLakeBucket', Effect: 'Allow', Action: ['s3:GetBucketLocation'], Resource: bucket },
      {
        Sid: 'ListProcessedAndSandboxResults',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: bucket,
        Condition: { StringLike: { 's3:prefix': [`${p.readPrefix}*`, `${p.resultsPrefix}*`] } },
      },
      { Sid: 'ReadProcessedZone', Effect: 'Allow', Action: ['s3:GetObject'], Resource: pulumi.interpolate`${bucket}/${p.readPrefix}*` },
      {
        Sid: 'WriteSandboxResults',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: pulumi.interpolate`${bucket}/${p.resultsPrefix}*`,
      },
    ],
  });
}
