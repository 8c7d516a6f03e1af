import { readFileSync } from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import t from 'tap';
import { batchRecordKey, DATASET_NAMES, lakeZones, queues, rawObjectKey } from '@peak/contracts';
import { grants, list, type PolicyDocument } from './fixtures/policies.js';
import type { Registered } from './fixtures/pulumi-mocks.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const LAKE = 'peak-test-lake-0a1b2c3';
const LAKE_ARN = `arn:aws:s3:::${LAKE}`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:peak-test-batch-processed`;
const QUEUE_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/peak-test-batch-processed`;

// The component alone, under mocks that answer the few outputs it reads.
const resources: Registered[] = [];
await pulumi.runtime.setMocks(
  {
    newResource(args) {
      const id = `${args.name}-id`;
      resources.push({ type: args.type, name: args.name, id, inputs: args.inputs as Record<string, unknown> });
      const name = typeof args.inputs.name === 'string' ? args.inputs.name : args.name;
      const extra: Record<string, unknown> =
        args.type === 'aws:s3/bucket:Bucket' ? { bucket: `${args.name}-0a1b2c3`, arn: `arn:aws:s3:::${args.name}-0a1b2c3` }
        : args.type === 'aws:iam/role:Role' ? { arn: `arn:aws:iam::${ACCOUNT}:role/${name}` }
        : args.type === 'aws:glue/job:Job' ? { arn: `arn:aws:glue:${REGION}:${ACCOUNT}:job/${name}` }
        : {};
      return { id, state: { ...args.inputs, ...extra } };
    },
    call: (args) =>
      args.token === 'aws:index/getRegion:getRegion' ? { id: REGION, name: REGION, region: REGION }
      : args.token === 'aws:index/getCallerIdentity:getCallerIdentity' ? { id: ACCOUNT, accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/x`, userId: 'x' }
      : args.inputs,
  },
  'peak-fitness',
  'test',
  false,
);
const { EtlGlueJob, artifactsVersion, DEFAULT_ETL_DUCKDB_VERSION, ETL_JOB_SCRIPT } = await import('../src/etl-glue-job.js');
const { bundleToJson, jobBundle } = await import('../../services/etl/src/glue/bundle.js');

const zones = { raw: lakeZones.raw.prefix, processed: lakeZones.processed.prefix, quarantine: lakeZones.quarantine.prefix, batches: lakeZones.batches.prefix };
const args = {
  prefix: 'peak-test', engine: 'duckdb' as const, bucketName: LAKE, bucketArn: LAKE_ARN, zones,
  processedQueue: { url: QUEUE_URL, arn: QUEUE_ARN }, maxAttempts: queues.rawLanded.maxReceiveCount, tags: { stage: 'test' },
};
await pulumi.runtime.runInPulumiStack(async () => {
  new EtlGlueJob('etl-glue', args);
  return {};
});
await pulumi.runtime.disconnect();

const byType = (type: string) => resources.filter((r) => r.type === type);
const script = readFileSync(ETL_JOB_SCRIPT, 'utf8');
const VERSION = artifactsVersion(script, DATASET_NAMES.map((d) => jobBundle(d)));
const ARTIFACTS = 'peak-test-etl-artifacts-0a1b2c3';
const PREFIX = `etl/${VERSION}/`;
type JobInputs = {
  name: string; glueVersion: string; maxCapacity: number; maxRetries: number; timeout: number; roleArn: string;
  command: { name: string; pythonVersion: string; scriptLocation: string };
  executionProperty: { maxConcurrentRuns: number };
  defaultArguments: Record<string, string>;
};
const job = byType('aws:glue/job:Job')[0]?.inputs as JobInputs | undefined;
const objects = byType('aws:s3/bucketObjectv2:BucketObjectv2').map((o) => o.inputs as { bucket: string; key: string; content?: string; source?: { path?: Promise<string> | string } });

t.test('one Python-shell job: Python 3.9, 1/16 DPU, no Glue retries, one run at a time, a timeout', async (t) => {
  t.equal(byType('aws:glue/job:Job').length, 1);
  t.match(job, {
    name: 'peak-test-etl', glueVersion: '3.0', maxCapacity: 0.0625, maxRetries: 0, timeout: 60,
    command: { name: 'pythonshell', pythonVersion: '3.9', scriptLocation: `s3://${ARTIFACTS}/${PREFIX}peak_etl_job.py` },
    executionProperty: { maxConcurrentRuns: 1 }, roleArn: `arn:aws:iam::${ACCOUNT}:role/peak-test-etl-glue`,
  });
  t.equal(job?.timeout, 60);
});

t.test('default arguments: bundles, lake, queue, attempts and the duckdb wheel; each one the script reads', async (t) => {
  t.same(job?.defaultArguments, {
    '--bundle_uri': `s3://${ARTIFACTS}/${PREFIX}bundles/{dataset}.bundle.json`,
    '--lake_uri': `s3://${LAKE}/`,
    '--processed_queue_url': QUEUE_URL,
    '--max_attempts': '3',
    '--additional-python-modules': `duckdb==${DEFAULT_ETL_DUCKDB_VERSION}`,
  });
  t.equal(job?.defaultArguments['--max_attempts'], String(queues.rawLanded.maxReceiveCount), 'raw-landed’s maxReceiveCount');
  const parsed = [...script.matchAll(/add_argument\("(--[a-z_]+)"(, required=True)?/g)].map((m) => ({ name: m[1] ?? '', required: Boolean(m[2]) }));
  const ours = Object.keys(job?.defaultArguments ?? {}).filter((a) => a !== '--additional-python-modules'); // Glue's own
  for (const a of ours) t.ok(parsed.some((p) => p.name === a), `${a} is an argument of peak_etl_job.py`);
  // What stays required is what the worker passes per run (glue-executor.ts: only --batch_id).
  t.same(parsed.filter((p) => p.required && !ours.includes(p.name)).map((p) => p.name), ['--batch_id']);
});

t.test('artifacts: the script and one bundle per dataset, rendered from the plan, under one version prefix', async (t) => {
  const inArtifacts = objects.filter((o) => o.bucket === 'peak-test-etl-artifacts-id');
  t.equal(inArtifacts.length, objects.length, 'every object in the artifacts bucket');
  t.same(objects.map((o) => o.key).sort(), [`${PREFIX}peak_etl_job.py`, ...DATASET_NAMES.map((d) => `${PREFIX}bundles/${d}.bundle.json`)].sort());
  // A FileAsset's path is an input (a promise) until serialised.
  t.equal(await objects.find((o) => o.key.endsWith('.py'))?.source?.path, ETL_JOB_SCRIPT, 'the script as a file asset of the repo’s file');
  for (const d of DATASET_NAMES) {
    const o = objects.find((x) => x.key === `${PREFIX}bundles/${d}.bundle.json`);
    t.equal(o?.content, bundleToJson(jobBundle(d)), `${d}: the bundle npm run etl:bundle writes`);
    t.equal(job?.defaultArguments['--bundle_uri']?.replace('{dataset}', d), `s3://${ARTIFACTS}/${o?.key}`, `${d}: --bundle_uri finds it`);
  }
  const changed = DATASET_NAMES.map((d) => jobBundle(d, d === 'members' ? { maxRawBytes: 1000 } : {}));
  t.not(artifactsVersion(script, changed), VERSION, 'another bundle: another prefix');
  t.not(artifactsVersion(`${script}\n# changed`, DATASET_NAMES.map((d) => jobBundle(d))), VERSION, 'another script: another prefix');
});

t.test('the artifacts bucket: private, encrypted, TLS only', async (t) => {
  t.same(byType('aws:s3/bucket:Bucket').map((b) => b.name), ['peak-test-etl-artifacts']);
  t.match(byType('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock')[0]?.inputs, { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
  t.match(byType('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration')[0]?.inputs, { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] });
  const policy = JSON.parse(String(byType('aws:s3/bucketPolicy:BucketPolicy')[0]?.inputs.policy)) as PolicyDocument;
  t.same(policy.Statement, [{
    Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*',
    Resource: ['arn:aws:s3:::peak-test-etl-artifacts-0a1b2c3', 'arn:aws:s3:::peak-test-etl-artifacts-0a1b2c3/*'],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  }]);
});

// The role: what peak_etl_job.py calls, on what it touches.
const role = byType('aws:iam/role:Role')[0];
const doc = JSON.parse(String(byType('aws:iam/rolePolicy:RolePolicy')[0]?.inputs.policy)) as PolicyDocument;
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);
/** Whether the policy lets `action` on the object `key` of the lake (or on a ListBucket prefix). */
const allows = (action: string, key: string) =>
  doc.Statement.some((s) => s.Effect === 'Allow' && list(s.Action).includes(action) && (action === 's3:ListBucket'
    ? list(s.Resource).includes(LAKE_ARN) && list(s.Condition?.StringLike?.['s3:prefix'] ?? []).some((p) => glob(p, key))
    : list(s.Resource).some((r) => glob(r, `${LAKE_ARN}/${key}`))));

t.test('the role: assumed by Glue only, one inline policy, no managed policy', async (t) => {
  t.equal(role?.inputs.name, 'peak-test-etl-glue');
  t.same(JSON.parse(String(role?.inputs.assumeRolePolicy)).Statement, [{ Effect: 'Allow', Principal: { Service: 'glue.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
  t.equal(byType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').length, 0);
  t.equal(byType('aws:iam/rolePolicy:RolePolicy').length, 1);
});

t.test('the role reaches what the job touches, for every dataset', async (t) => {
  const id = '20261125T090102123Z-x-1a2b3c4d';
  for (const d of DATASET_NAMES) {
    const raw = rawObjectKey(d, '2026-11-25', id, 'csv.gz');
    t.ok(allows('s3:GetObject', raw) && allows('s3:ListBucket', raw), `${d}: reads its raw object (a missing one is a 404)`);
    for (const key of [`processed/${d}/dt=2026-11-24/${id}__0.parquet`, `quarantine/${d}/${id}.parquet`]) {
      for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload']) t.ok(allows(action, key), `${d}: ${action} ${key}`);
    }
    t.ok(allows('s3:ListBucket', `processed/${d}/dt=2026-11-24/`) && allows('s3:GetObject', `processed/${d}/dt=2026-11-24/x__0.parquet`), `${d}: earlier batches`);
  }
  for (const ref of ['members', 'classes']) t.ok(allows('s3:ListBucket', `processed/${ref}/`) && allows('s3:GetObject', `processed/${ref}/dt=2026-01-01/a.parquet`), `references: ${ref}`);
  for (const action of ['s3:GetObject', 's3:PutObject', 's3:ListBucket']) t.ok(allows(action, batchRecordKey(id)), `batch record: ${action}`);
  t.ok(grants(doc).includes(`Allow sqs:SendMessage ${QUEUE_ARN}`), 'announces on batch-processed');
  t.ok(grants(doc).includes('Allow s3:GetObject arn:aws:s3:::peak-test-etl-artifacts-0a1b2c3/etl/*'), 'reads the artifacts');
  t.ok(grants(doc).some((g) => g === `Allow logs:PutLogEvents arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws-glue/python-jobs/*`), 'logs to Glue’s Python-shell log groups');
});

t.test('and nothing else: no other zone, dataset, action or wildcard', async (t) => {
  for (const key of ['models/churn/registry.json', 'processed/member_churn_scores/dt=2026-01-01/a.parquet', 'athena-results/analytics/x.csv', 'crm-sync/state.json']) {
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket']) t.notOk(allows(action, key), `${action} ${key}`);
  }
  for (const action of ['s3:DeleteObject']) t.notOk(allows(action, batchRecordKey('x')) || allows(action, rawObjectKey('members', '2026-01-01', 'x', 'csv')), 'never deletes records or raw objects');
  t.notOk(allows('s3:PutObject', rawObjectKey('members', '2026-01-01', 'x', 'csv')), 'never writes raw/');
  const actions = [...new Set(doc.Statement.flatMap((s) => list(s.Action)))].sort();
  t.same(actions, ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 'sqs:SendMessage']);
  t.notOk(doc.Statement.some((s) => list(s.Action).some((a) => a.includes('*')) || list(s.Resource).includes('*')), 'no wildcard action or resource');
  // The script's boto3 calls: a new one must come with a policy review (and this list).
  const s3Calls = [...new Set([...script.matchAll(/self\.s3\.(\w+)\(("(\w+)")?/g)].map((m) => m[3] ?? m[1]))].sort();
  t.same(s3Calls, ['delete_object', 'download_file', 'get_object', 'list_objects_v2', 'put_object', 'upload_file'], 'the lake calls the grants above cover');
  t.same([...new Set([...script.matchAll(/boto3\.client\("(\w+)"\)/g)].map((m) => m[1]))].sort(), ['s3', 'sqs'], 'S3 and SQS only');
});

t.test('engine spark is refused with what is missing; bad sizes are refused', async (t) => {
  t.throws(() => new EtlGlueJob('spark', { ...args, engine: 'spark' }), /etlEngine: spark is not available yet: there is no Glue Spark job script/);
  t.throws(() => new EtlGlueJob('cap', { ...args, maxCapacity: 0.5 }), /0\.0625 or 1/);
  t.throws(() => new EtlGlueJob('long', { ...args, timeoutMinutes: 720 }), /1 to 600/);
  t.throws(() => new EtlGlueJob('runs', { ...args, maxConcurrentRuns: 0 }), /maxConcurrentRuns/);
});
