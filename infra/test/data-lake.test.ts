import t from 'tap';
import { lakeZones } from '@peak/contracts';
import { byType, runProgram } from './fixtures/pulumi-mocks.js';

const { resources, outputs } = await runProgram({ 'peak-fitness:stage': 'test' });
// After runProgram: Pulumi resource modules load once the mocks are set.
const { QUERY_RESULTS_ZONE } = await import('../src/analytics.js');
// The contract's zones plus Athena's query results, which share the bucket's one lifecycle configuration.
const zones = { ...lakeZones, 'athena-results': QUERY_RESULTS_ZONE };
// The lake's bucket (the ETL's artifacts bucket is EtlGlueJob's, etl-glue-job.test.ts).
const buckets = byType(resources, 'aws:s3/bucket:Bucket').filter((b) => b.name === 'peak-test-lake');
const bucket = buckets[0];
const onBucket = (type: string) => byType(resources, type).filter((r) => r.inputs.bucket === bucket?.id);

type Rule = { id: string; status: string; filter?: { prefix?: string }; expiration?: { days?: number } };

t.test('one lake bucket, not the deprecated inline settings', async (t) => {
  t.equal(buckets.length, 1, 'exactly one lake bucket');
  t.equal(bucket?.name, 'peak-test-lake', 'named per stage (Pulumi adds a random suffix)');
  for (const inline of ['lifecycleRules', 'serverSideEncryptionConfiguration', 'versioning', 'acl', 'policy']) {
    t.notOk(bucket?.inputs[inline], `no inline ${inline}`);
  }
  t.equal(bucket?.inputs.forceDestroy, false, 'a stack without forceDestroyLake keeps a non-empty bucket on destroy');
  t.equal(byType(resources, 'aws:s3/bucketVersioning:BucketVersioning').length, 0, 'versioning stays off');
  t.equal(outputs.lakeBucketName, 'peak-test-lake-0a1b2c3', 'bucket name is a stack output');
});

t.test('the bucket blocks every kind of public access', async (t) => {
  const blocks = onBucket('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock');
  t.equal(blocks.length, 1, 'one public access block on the lake bucket');
  t.match(blocks[0]?.inputs, { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, 'all four public access guards are on');
});

t.test('objects are encrypted at rest by default', async (t) => {
  const sse = onBucket('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration');
  t.equal(sse.length, 1, 'one encryption configuration on the lake bucket');
  t.match(sse[0]?.inputs, { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] }, 'SSE-S3 by default');
});

t.test('lifecycle rules expire each zone after its retention', async (t) => {
  const configs = onBucket('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration');
  t.equal(configs.length, 1, 'one lifecycle configuration on the lake bucket');
  const rules = (configs[0]?.inputs.rules ?? []) as Rule[];
  t.equal(rules.length, Object.keys(zones).length, 'one rule per zone, query results included');
  t.equal(new Set(rules.map((r) => r.id)).size, rules.length, 'rule ids are unique');
  for (const [zone, z] of Object.entries(zones)) {
    const rule = rules.find((r) => r.filter?.prefix === z.prefix);
    t.ok(rule, `a rule filters on ${z.prefix}`);
    t.equal(rule?.status, 'Enabled', `${zone} rule is enabled`);
    t.equal(rule?.expiration?.days, z.retentionDays, `${zone} expires after ${z.retentionDays} days`);
  }
  t.ok(rules.every((r) => r.filter?.prefix), 'no rule applies to the whole bucket');
});
