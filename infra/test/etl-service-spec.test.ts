import { readFileSync } from 'node:fs';
import t from 'tap';
import { lakeZones } from '@peak/contracts';
import { etlSpec, ETL_PORT } from '../src/service-specs/etl.js';
import { configSchema, readConfig } from '../../services/etl/src/service/config.js';
import { RUNTIME_VARIABLES } from '../src/service-specs/statements.js';
import { grants, type PolicyDocument } from './fixtures/policies.js';

const Q = (name: string) => `arn:aws:sqs:us-east-1:123456789012:peak-test-${name}`;
const JOB_ARN = 'arn:aws:glue:us-east-1:123456789012:job/peak-test-etl';
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:peak-test-etl-admin-key-AbC123';
const LAKE_ARN = 'arn:aws:s3:::peak-test-lake-0a1b2c3';
const deps: Parameters<typeof etlSpec>[0] = {
  prefix: 'peak-test', region: 'us-east-1', lake: { bucketName: 'peak-test-lake-0a1b2c3', bucketArn: LAKE_ARN },
  batchesPrefix: lakeZones.batches.prefix, processedPrefix: lakeZones.processed.prefix, quarantinePrefix: lakeZones.quarantine.prefix,
  queueArns: Object.fromEntries(['raw-landed', 'raw-landed-dlq', 'batch-processed', 'attendance-events'].map((n) => [n, Q(n)])),
  glueJob: { name: 'peak-test-etl', arn: JOB_ARN, timeoutMinutes: 60 },
  adminKeySecretArn: SECRET,
};
const spec = etlSpec(deps);
// Plain strings in, so the spec's interpolations resolve; the policy as the PlatformService would write it.
const resolve = <T>(v: unknown) => new Promise<T>((r) => (typeof v === 'string' ? r(v as T) : (v as { apply(f: (x: T) => void): void }).apply(r)));

t.test('the worker as the Glue dispatcher: its environment is a valid ETL config with ETL_EXECUTOR=glue', async (t) => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.environment)) env[k] = await resolve<string>(v);
  const config = readConfig({ ...env, ETL_ADMIN_KEY: 'a-key-from-secrets-manager' }); // ECS fills the secret
  t.match(config, {
    HOST: '0.0.0.0', PORT: ETL_PORT, READY_DETAILS: false, LAKE_URI: 's3://peak-test-lake-0a1b2c3/', QUEUE_PREFIX: 'peak-test',
    ETL_EXECUTOR: 'glue', ETL_GLUE_JOB_NAME: 'peak-test-etl', ETL_GLUE_RUN_TIMEOUT_SECONDS: 60 * 60 + 600,
  });
  const unread = Object.keys(spec.environment).filter((k) => !(k in configSchema) && !(RUNTIME_VARIABLES as readonly string[]).includes(k));
  t.same(unread, [], 'every variable is one the ETL config reads (or Node’s / the SDK’s own)');
  t.ok(config.ETL_GLUE_RUN_TIMEOUT_SECONDS > 60 * 60, 'waits longer than the job’s own timeout: Glue ends the run first');
  t.same(spec.secrets, { ETL_ADMIN_KEY: SECRET }, 'the replay key from Secrets Manager, never in the environment');
  t.notOk('ETL_ADMIN_KEY' in spec.environment);
});

t.test('one task, not scaled, not public', async (t) => {
  t.equal(spec.desiredCount, 1);
  t.equal(spec.scaling, undefined, 'one batch at a time: no queue scaling');
  t.equal(spec.publicRoute, undefined, 'replay is internal');
  t.same(spec.command, ['node', 'server.mjs'], 'the CMD of services/etl/Dockerfile (its bundled server)');
  t.match(readFileSync(new URL('../../services/etl/Dockerfile', import.meta.url), 'utf8'), /^CMD \["node", "server\.mjs"\]$/m);
  t.match(spec, { name: 'etl', port: ETL_PORT, healthPath: '/ready' });
});

t.test('the task role: its queues, its Glue job and the lake zones the worker and replay use', async (t) => {
  const doc: PolicyDocument = { Version: '2012-10-17', Statement: [] };
  for (const s of spec.taskPolicy) doc.Statement.push({ ...s, Resource: await Promise.all(s.Resource.map((r) => resolve<string>(r))) } as PolicyDocument['Statement'][number]);
  const g = grants(doc);
  t.same(g.filter((x) => x.includes('glue:')), ['Allow glue:BatchStopJobRun', 'Allow glue:GetJobRun', 'Allow glue:StartJobRun'].map((a) => `${a} ${JOB_ARN}`), 'start, poll and stop its one job');
  t.ok(g.includes(`Allow sqs:DeleteMessage ${Q('raw-landed')}`) && g.includes(`Allow sqs:ChangeMessageVisibility ${Q('raw-landed')}`), 'consumes raw-landed (heartbeat included)');
  t.notOk(g.some((x) => x.startsWith('Allow sqs:DeleteMessage') && x.includes('dlq')), 'leaves DLQ messages for a redrive');
  t.ok(g.includes(`Allow sqs:SendMessage ${Q('batch-processed')}`));
  t.ok(g.includes(`Allow s3:PutObject ${LAKE_ARN}/batches/*`), 'the last-receive mark and the DLQ watch write records');
  t.notOk(g.some((x) => x.includes('/raw/')), 'never touches raw/: the Glue job reads it');
  t.notOk(g.some((x) => / \*$/.test(x) || /Allow \w+:\*/.test(x)), 'no wildcard');
  t.notOk(g.some((x) => x.includes('attendance-events')), 'no other queue');
  t.ok(g.includes(`Allow s3:ListBucket ${LAKE_ARN} if {"Null":{"s3:prefix":"true"}}`), 'HeadBucket, the lake readiness check');
  t.throws(() => etlSpec({ ...deps, queueArns: {} }), /etl: no ARN for the raw-landed queue/);
});
