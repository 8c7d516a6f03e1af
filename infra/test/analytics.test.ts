import { readFileSync } from 'node:fs';
import t from 'tap';
import { athenaViewDdl, glueTableInputs } from '@peak/analytics';
import { DATASET_NAMES, DERIVED_NAMES, lakeZones } from '@peak/contracts';
import { byType, runProgram } from './fixtures/pulumi-mocks.js';

const ZONE = 'Europe/Berlin';
const { resources, outputs } = await runProgram({
  'peak-fitness:stage': 'test',
  'peak-fitness:studioTimeZone': ZONE,
  'peak-fitness:sandboxScanLimitMb': '250',
});
// Imported after runProgram: the mocks must be set before any Pulumi resource module is used.
const { Analytics, QUERY_RESULTS_ZONE } = await import('../src/analytics.js');

const BUCKET = 'peak-test-lake-0a1b2c3'; // the mock's name for the lake bucket
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const PROCESSED = lakeZones.processed.prefix;
const SANDBOX_RESULTS = `${QUERY_RESULTS_ZONE.prefix}student_sandbox/`;
const ANALYTICS_RESULTS = `${QUERY_RESULTS_ZONE.prefix}analytics/`;
const SANDBOX_WG_ARN = 'arn:aws:athena:us-east-1:123456789012:workgroup/peak-test-student_sandbox';

type Column = { name: string; type: string; comment: string };
type TableInputs = {
  databaseName: string;
  name: string;
  tableType: string;
  parameters: Record<string, string>;
  storageDescriptor: { location: string; inputFormat: string; outputFormat: string; serDeInfo: { serializationLibrary: string }; columns: Column[]; parameters?: Record<string, string> };
  partitionKeys: Column[];
};
type WorkgroupInputs = {
  name: string;
  configuration: {
    enforceWorkgroupConfiguration: boolean;
    bytesScannedCutoffPerQuery: number;
    publishCloudwatchMetricsEnabled: boolean;
    engineVersion: { selectedEngineVersion: string };
    resultConfiguration: { outputLocation: string; encryptionConfiguration: { encryptionOption: string } };
  };
};
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> };
type PolicyDocument = { Version: string; Statement: Statement[] };

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const inputsOf = <T>(type: string) => byType(resources, type).map((r) => r.inputs as T);
const namedQueries = () => inputsOf<{ name: string; description: string; workgroup: string; database: string; query: string }>('aws:athena/namedQuery:NamedQuery');

t.test('a Glue database per stage, named for Athena', async (t) => {
  const dbs = byType(resources, 'aws:glue/catalogDatabase:CatalogDatabase');
  t.equal(dbs.length, 1, 'one database');
  t.equal(dbs[0]?.inputs.name, 'peak_test', 'peak_<stage>: underscores, as Athena wants');
  t.equal(outputs.glueDatabaseName, 'peak_test', 'database name is a stack output');
});

t.test('one Glue table per dataset and derived relation, generated from the contracts, over the processed zone', async (t) => {
  const tables = inputsOf<TableInputs>('aws:glue/catalogTable:CatalogTable');
  t.same(tables.map((x) => x.name).sort(), [...DATASET_NAMES, ...DERIVED_NAMES].sort(), 'a table per dataset and per derived relation, nothing else');
  const expected = glueTableInputs({ bucket: BUCKET, processedPrefix: PROCESSED });
  for (const relation of [...DATASET_NAMES, ...DERIVED_NAMES]) {
    const table = tables.find((x) => x.name === relation);
    const want = expected[relation];
    if (!table) {
      t.fail(`${relation} table missing`);
      continue;
    }
    const location = `s3://${BUCKET}/${PROCESSED}${relation}/`;
    t.equal(table.databaseName, 'peak_test', `${relation} is in the stage's database`);
    t.equal(table.tableType, 'EXTERNAL_TABLE', `${relation} is external`);
    t.equal(table.storageDescriptor.location, location, `${relation} reads its processed-zone prefix`);
    t.match(
      table.parameters,
      {
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': want.Parameters['projection.dt.range'],
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
        'storage.location.template': `${location}dt=\${dt}/`,
      },
      `${relation} projects dt from the table parameters`,
    );
    t.notOk(
      Object.keys(table.storageDescriptor.parameters ?? {}).some((k) => k.startsWith('projection.')),
      `${relation}: no projection settings in the storage descriptor (Athena ignores them there)`,
    );
    t.same(table.partitionKeys.map((k) => [k.name, k.type]), [['dt', 'date']], `${relation} is partitioned by dt only`);
    t.same(
      table.storageDescriptor.columns,
      want.StorageDescriptor.Columns.map((c) => ({ name: c.Name, type: c.Type, comment: c.Comment })),
      `${relation}: every contract column, in order, with type and comment`,
    );
    t.match(
      table.storageDescriptor,
      { inputFormat: want.StorageDescriptor.InputFormat, outputFormat: want.StorageDescriptor.OutputFormat, serDeInfo: { serializationLibrary: want.StorageDescriptor.SerdeInfo.SerializationLibrary } },
      `${relation} is read as Parquet`,
    );
  }
});

t.test('two workgroups: enforced, encrypted, engine v3, each with its own cap and result location', async (t) => {
  const wgs = inputsOf<WorkgroupInputs>('aws:athena/workgroup:Workgroup');
  t.equal(wgs.length, 2, 'analytics and student_sandbox');
  const analytics = wgs.find((w) => w.name === 'peak-test-analytics');
  const sandbox = wgs.find((w) => w.name === 'peak-test-student_sandbox');
  if (!analytics || !sandbox) return t.fail(`workgroups named ${wgs.map((w) => w.name).join(', ')}`);
  for (const wg of [analytics, sandbox]) {
    t.match(
      wg.configuration,
      {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: { encryptionConfiguration: { encryptionOption: 'SSE_S3' } },
      },
      `${wg.name}: clients cannot override its settings; results SSE-S3; engine v3`,
    );
  }
  t.equal(sandbox.configuration.bytesScannedCutoffPerQuery, 250_000_000, 'student cap comes from sandboxScanLimitMb');
  t.equal(analytics.configuration.bytesScannedCutoffPerQuery, 100_000_000_000, 'services get the generous default (100 GB)');
  t.equal(sandbox.configuration.resultConfiguration.outputLocation, `s3://${BUCKET}/${SANDBOX_RESULTS}`, 'sandbox results under their own prefix');
  t.equal(analytics.configuration.resultConfiguration.outputLocation, `s3://${BUCKET}/${ANALYTICS_RESULTS}`, 'service results under theirs');
  t.equal(outputs.sandboxWorkgroupName, 'peak-test-student_sandbox');
  t.equal(outputs.analyticsWorkgroupName, 'peak-test-analytics');
});

t.test('query results expire through the lake bucket’s one lifecycle configuration', async (t) => {
  const configs = byType(resources, 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration');
  t.equal(configs.length, 1, 'still one lifecycle configuration on the bucket');
  const rules = (configs[0]?.inputs.rules ?? []) as { filter?: { prefix?: string }; expiration?: { days?: number } }[];
  const results = rules.find((r) => r.filter?.prefix === QUERY_RESULTS_ZONE.prefix);
  t.equal(results?.expiration?.days, QUERY_RESULTS_ZONE.retentionDays, `${QUERY_RESULTS_ZONE.prefix} expires after ${QUERY_RESULTS_ZONE.retentionDays} days`);
  for (const zone of Object.values(lakeZones)) {
    t.notOk(QUERY_RESULTS_ZONE.prefix.startsWith(zone.prefix) || zone.prefix.startsWith(QUERY_RESULTS_ZONE.prefix), `results do not overlap ${zone.prefix}`);
  }
});

t.test('the view DDL is stored as named queries in the analytics workgroup, in run order', async (t) => {
  const ddl = athenaViewDdl(ZONE);
  const queries = namedQueries().filter((q) => q.workgroup === 'peak-test-analytics');
  t.equal(queries.length, ddl.length, 'one named query per view');
  const byName = [...queries].sort((a, b) => a.name.localeCompare(b.name));
  t.same(byName.map((q) => q.query), ddl, 'names sort in the order the DDL must run, with the DDL text unchanged');
  t.ok(byName[0]?.name.startsWith('peak-test-view-01-dim_date'), 'dim_date first');
  t.ok(queries.every((q) => q.workgroup === 'peak-test-analytics' && q.database === 'peak_test'), 'analytics workgroup, stage database');
  t.ok(queries.some((q) => q.query.includes(`AT TIME ZONE '${ZONE}'`)), 'the studios’ time zone from the stack config reaches the views');
  const ids = outputs.viewNamedQueryIds as string[];
  t.equal(ids.length, ddl.length, 'their ids are a stack output');
});

t.test("the students' example queries (docs/sandbox.md) are named queries of their workgroup, in the guide's order", async (t) => {
  const doc = readFileSync(new URL('../../docs/sandbox.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim());
  const examples = namedQueries().filter((q) => q.workgroup === 'peak-test-student_sandbox');
  t.ok(blocks.length >= 6, `${blocks.length} examples in the guide`);
  t.same([...examples].sort((a, b) => a.name.localeCompare(b.name)).map((q) => q.query), blocks, 'every sql block of the guide, unchanged, names sorting in its order');
  t.ok(examples.every((q) => q.database === 'peak_test' && /^peak-test-example-\d\d-[a-z0-9-]+$/.test(q.name) && q.name.length <= 128), 'the stage database, names Athena accepts');
  t.match(examples[0]?.description, /example 1\. How many members, how many active\?/, 'described by the guide\'s title');
  t.equal((outputs.exampleNamedQueryIds as string[]).length, blocks.length, 'their ids are a stack output');
  const { sandboxExamples } = await import('../src/sandbox-examples.js');
  t.throws(() => sandboxExamples('```sql\nSELECT 1;\n```\n'), /without a "\*\*N\. Title\*\*" paragraph/, 'an untitled example is refused');
});

/** Everything in a student policy that reaches beyond the sandbox; empty when the policy is right. */
function policyProblems(doc: PolicyDocument): string[] {
  const problems: string[] = [];
  const objectArn = (prefix: string) => `${BUCKET_ARN}/${prefix}*`;
  for (const s of doc.Statement) {
    const actions = list(s.Action);
    const targets = list(s.Resource);
    if (s.Effect !== 'Allow') problems.push(`${s.Sid}: unexpected effect ${s.Effect}`);
    for (const a of actions) if (a.includes('*')) problems.push(`${s.Sid}: wildcard action ${a}`);
    for (const r of targets) if (r === '*' || r.endsWith(':*')) problems.push(`${s.Sid}: resource ${r}`);
    for (const a of actions) {
      const [service] = a.split(':');
      for (const r of targets) {
        if (service === 'athena' && r !== SANDBOX_WG_ARN) problems.push(`${a} on ${r}`);
        if (service === 'glue' && !/^(get|batchget)/i.test(a.split(':')[1] ?? '')) problems.push(`${a} is not a read`);
        if (service === 'glue' && !['arn:aws:glue:us-east-1:123456789012:catalog', 'arn:aws:glue:us-east-1:123456789012:database/peak_test', 'arn:aws:glue:us-east-1:123456789012:table/peak_test/*'].includes(r)) {
          problems.push(`${a} on ${r}`);
        }
        if (service !== 's3') continue;
        if (a === 's3:GetObject' && r !== objectArn(PROCESSED) && r !== objectArn(SANDBOX_RESULTS)) problems.push(`${a} on ${r}`);
        if (['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'].includes(a) && r !== objectArn(SANDBOX_RESULTS)) problems.push(`${a} on ${r}`);
        if (['s3:ListBucket', 's3:GetBucketLocation'].includes(a) && r !== BUCKET_ARN) problems.push(`${a} on ${r}`);
        if (!['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:ListBucket', 's3:GetBucketLocation'].includes(a)) problems.push(`${a} not allowed`);
      }
      if (!['athena', 'glue', 's3'].includes(service ?? '')) problems.push(`${a}: service not allowed`);
      if (a === 's3:ListBucket') {
        const prefixes = list(s.Condition?.StringLike?.['s3:prefix'] ?? []);
        if (prefixes.length === 0) problems.push('s3:ListBucket without an s3:prefix condition');
        for (const p of prefixes) if (p !== `${PROCESSED}*` && p !== `${SANDBOX_RESULTS}*`) problems.push(`s3:ListBucket under ${p}`);
      }
    }
  }
  return problems;
}

t.test('the student policy grants queries in the sandbox and reads of the processed zone, nothing more', async (t) => {
  const policies = byType(resources, 'aws:iam/policy:Policy');
  t.equal(policies.length, 1, 'one policy');
  const doc = JSON.parse(String(policies[0]?.inputs.policy)) as PolicyDocument;
  t.equal(doc.Version, '2012-10-17');
  t.same(policyProblems(doc), [], 'no grant outside the sandbox workgroup, the catalog reads, processed/ and the sandbox results');

  const grants = doc.Statement.flatMap((s) => list(s.Action).flatMap((a) => list(s.Resource).map((r) => `${a} ${r}`)));
  for (const needed of [
    `athena:StartQueryExecution ${SANDBOX_WG_ARN}`,
    `athena:GetQueryResults ${SANDBOX_WG_ARN}`,
    `athena:GetNamedQuery ${SANDBOX_WG_ARN}`,
    'glue:GetTable arn:aws:glue:us-east-1:123456789012:table/peak_test/*',
    'glue:GetDatabase arn:aws:glue:us-east-1:123456789012:database/peak_test',
    `s3:GetObject ${BUCKET_ARN}/${PROCESSED}*`,
    `s3:PutObject ${BUCKET_ARN}/${SANDBOX_RESULTS}*`,
    `s3:GetObject ${BUCKET_ARN}/${SANDBOX_RESULTS}*`,
    `s3:ListBucket ${BUCKET_ARN}`,
  ]) {
    t.ok(grants.includes(needed), `grants ${needed}`);
  }
  const text = JSON.stringify(doc);
  for (const other of [lakeZones.raw.prefix, lakeZones.quarantine.prefix, lakeZones.batches.prefix, ANALYTICS_RESULTS, 'peak-test-analytics']) {
    t.notOk(text.includes(other), `nothing on ${other}`);
  }

  const [group] = byType(resources, 'aws:iam/group:Group');
  const attachments = byType(resources, 'aws:iam/groupPolicyAttachment:GroupPolicyAttachment');
  t.equal(group?.inputs.name, 'peak-test-student-sandbox', 'students are added to the peak-<stage>-student-sandbox group');
  t.same(
    attachments.map((a) => a.inputs),
    [{ group: 'peak-test-student-sandbox', policyArn: 'arn:aws:iam::123456789012:policy/peak-test-student-sandbox' }],
    'the group has the policy and nothing else',
  );
  t.equal(outputs.sandboxGroupName, 'peak-test-student-sandbox');
});

t.test('the policy check itself catches grants beyond the sandbox', async (t) => {
  const bad = (s: Omit<Statement, 'Effect'>): PolicyDocument => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...s }] });
  const cases: [string, PolicyDocument][] = [
    ['PutObject on the processed zone', bad({ Action: 's3:PutObject', Resource: `${BUCKET_ARN}/${PROCESSED}*` })],
    ['an action wildcard', bad({ Action: 's3:*', Resource: `${BUCKET_ARN}/${SANDBOX_RESULTS}*` })],
    ['reading the raw zone', bad({ Action: 's3:GetObject', Resource: `${BUCKET_ARN}/${lakeZones.raw.prefix}*` })],
    ['reading the services’ results', bad({ Action: 's3:GetObject', Resource: `${BUCKET_ARN}/${ANALYTICS_RESULTS}*` })],
    ['queries in another workgroup', bad({ Action: 'athena:StartQueryExecution', Resource: 'arn:aws:athena:us-east-1:123456789012:workgroup/peak-test-analytics' })],
    ['a catalog write', bad({ Action: 'glue:UpdateTable', Resource: 'arn:aws:glue:us-east-1:123456789012:table/peak_test/*' })],
    ['any resource', bad({ Action: 'glue:GetTable', Resource: '*' })],
    ['listing the whole bucket', bad({ Action: 's3:ListBucket', Resource: BUCKET_ARN })],
    ['another service', bad({ Action: 'iam:GetUser', Resource: 'arn:aws:iam::123456789012:user/x' })],
  ];
  for (const [what, doc] of cases) t.not(policyProblems(doc).length, 0, `flags ${what}`);
});

t.test('the component refuses a cap below Athena’s 10 MB minimum and malformed view DDL', async (t) => {
  const args = {
    prefix: 'peak-x',
    bucketName: BUCKET,
    bucketArn: BUCKET_ARN,
    processedPrefix: PROCESSED,
    resultsPrefix: QUERY_RESULTS_ZONE.prefix,
    datasets: [],
    tables: {},
    viewDdl: [],
    analyticsScanLimitBytes: 10_000_000,
    sandboxScanLimitBytes: 10_000_000,
  };
  t.throws(() => new Analytics('low', { ...args, sandboxScanLimitBytes: 9_999_999 }), /student_sandbox bytes-scanned cutoff .* ≥ 10000000 .*10 MB.*got 9999999/);
  t.throws(() => new Analytics('frac', { ...args, analyticsScanLimitBytes: 1.5e7 + 0.5 }), /analytics bytes-scanned cutoff/);
  t.throws(() => new Analytics('ddl', { ...args, viewDdl: ['DROP TABLE members'] }), /CREATE OR REPLACE VIEW/);
});
