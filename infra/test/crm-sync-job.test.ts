import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CHURN_MODELS_PREFIX } from '@peak/churn';
import { crmSyncChanges, crmSyncRuns, DERIVED_NAMES, lakeZones, marketingHoldout } from '@peak/contracts';
import { DEFAULT_HUBSPOT_REQUESTS_PER_10S, MAX_HUBSPOT_REQUESTS_PER_10S } from '../src/config.js';
import { allow, grants, list, policyOf as policyIn, trustOf } from './fixtures/policies.js';
import { byType, MOCK_IMAGE_DIGEST, runProgram, type Registered } from './fixtures/pulumi-mocks.js';
import type { Container, ScheduleInputs, TaskDefinitionInputs } from './fixtures/job-inputs.js';

const SUBNETS = ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'];
const SECURITY_GROUP = 'sg-0a1b2c3d4e5f60718';
const ZONE = 'America/Chicago';
const { resources, outputs } = await runProgram({
  'peak-fitness:stage': 'test',
  'peak-fitness:studioTimeZone': ZONE,
  'peak-fitness:jobSubnetIds': SUBNETS.join(','),
  'peak-fitness:jobSecurityGroupIds': SECURITY_GROUP,
  'peak-fitness:imageTag': 'git-3f2a9c1',
  'peak-fitness:crmSyncSchedule': 'cron(45 6 * * ? *)',
  'peak-fitness:hubspotRequestsPer10s': '180',
  'peak-fitness:hubspotDailyBudget': '200000',
});
// Imported after runProgram: the mocks must be set before any Pulumi resource module is used.
const { CrmSyncJob } = await import('../src/crm-sync-job.js');
// What crm-sync itself reads and writes: the tests hold the infrastructure to the service's own names.
const { readConfig, readSyncSettings, syncSettingsSchema } = await import('../../services/crm-sync/src/config.js');
const { ACKS_PREFIX, RUNS_PREFIX, STATE_KEY } = await import('../../services/crm-sync/src/sync/state.js');
const { LOCK_KEY } = await import('../../services/crm-sync/src/sync/lock.js');

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const BUCKET = 'peak-test-lake-0a1b2c3'; // the mock's name for the lake bucket
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const OBJECT = (key: string) => `${BUCKET_ARN}/${key}`;
const WORKGROUP_ARN = `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/peak-test-analytics`;
const GLUE = `arn:aws:glue:${REGION}:${ACCOUNT}`;
const ROLE = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const TASK_DEF = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/peak-test-crm-sync:1`;
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/peak-test-jobs`;
const REPOSITORY_ARN = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/peak-test-platform`;
const REPOSITORY_URL = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/peak-test-platform`;
const LOG_GROUP = '/peak/peak-test/crm-sync';
const LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP}`;
const SECRET_NAME = 'peak-test-crm-sync-hubspot-token';
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${SECRET_NAME}-AbC123`; // the mock's ARN
const PROCESSED = lakeZones.processed.prefix;
const RELATIONS = ['crm_sync_runs', 'crm_sync_changes', 'marketing_holdout'].map((name) => `${PROCESSED}${name}/`);
const MODELS = `${lakeZones.models.prefix}churn/`;
const STATE = 'crm-sync/';
const RESULTS = 'athena-results/analytics/';
const TASK_ROLE = 'peak-test-crm-sync-task';
const EXECUTION_ROLE = 'peak-test-crm-sync-execution';
const SCHEDULER_ROLE = 'peak-test-crm-sync-scheduler';

const named = (type: string, name: string): Registered | undefined => byType(resources, type).find((r) => r.inputs.name === name);
const policyOf = (roleName: string) => policyIn(resources, roleName);
const definition = byType(resources, 'aws:ecs/taskDefinition:TaskDefinition').find((r) => r.inputs.family === 'peak-test-crm-sync')?.inputs as TaskDefinitionInputs | undefined;
const container = definition ? (JSON.parse(definition.containerDefinitions) as Container[])[0] : undefined;
const environment = Object.fromEntries((container?.environment ?? []).map((e) => [e.name, e.value]));
const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

t.test('the stack runs four scheduled tasks: the two churn jobs, crm-sync and the campaign planner, in the one jobs cluster', async (t) => {
  const jobs = ['peak-test-campaign-planner', 'peak-test-churn-score', 'peak-test-churn-train', 'peak-test-crm-sync'];
  // The services' task definitions are `<prefix>-<service>-service` (platform-service.test.ts).
  t.same(byType(resources, 'aws:ecs/taskDefinition:TaskDefinition').map((r) => String(r.inputs.family)).filter((f) => !f.endsWith('-service')).sort(), jobs);
  t.same(byType(resources, 'aws:scheduler/schedule:Schedule').map((r) => r.inputs.name).sort(), jobs);
  t.same(byType(resources, 'aws:ecs/cluster:Cluster').map((c) => c.inputs.name).filter((n) => n !== 'peak-test-services'), ['peak-test-jobs'], 'no cluster of its own');
});

t.test('a log group kept 30 days', async (t) => {
  t.match(named('aws:cloudwatch/logGroup:LogGroup', LOG_GROUP)?.inputs, { retentionInDays: 30, tags: { stage: 'test', component: 'crm-sync-job' } }, 'retention set, tagged');
  t.equal(outputs.crmSyncLogGroupName, LOG_GROUP, 'a stack output');
});

t.test('the HubSpot token: a secret without a value in the program or the stack', async (t) => {
  // The stack's other secret is the notifier's signing keys (notifier-secrets.test.ts).
  // The stack's other secrets: the notifier's signing keys (notifier-secrets.test.ts), the services' API keys (service-specs.test.ts).
  const secrets = byType(resources, 'aws:secretsmanager/secret:Secret').filter((s) => String(s.inputs.name).includes('crm-sync') && !String(s.inputs.name).endsWith('-api-keys'));
  t.same(secrets.map((s) => s.inputs.name), [SECRET_NAME], 'one secret, named per stage');
  t.notOk(secrets[0]?.inputs.kmsKeyId, 'the account’s aws/secretsmanager key: no key policy or kms grant needed');
  t.match(secrets[0]?.inputs.tags, { project: 'peak-fitness', stage: 'test' }, 'tagged');
  t.equal(byType(resources, 'aws:secretsmanager/secretVersion:SecretVersion').length, 0, 'no secret version: the operator puts the value (infra/README.md)');
  t.equal(outputs.crmSyncSecretArn, SECRET_ARN, 'its ARN is a stack output');
  t.equal(outputs.crmSyncSecretName, SECRET_NAME, 'its name is a stack output (aws secretsmanager put-secret-value --secret-id)');
});

t.test('a small Fargate task: the crm-sync CLI’s run command, the Athena environment, HubSpot pacing, the schedule off', async (t) => {
  if (!definition || !container) return void t.fail('crm-sync task definition missing');
  t.match(
    definition,
    { cpu: '512', memory: '2048', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' } },
    'Fargate, 512 CPU units, 2 GiB',
  );
  t.equal(definition.executionRoleArn, ROLE(EXECUTION_ROLE), 'ECS pulls, reads the token and logs with its own execution role');
  t.equal(definition.taskRoleArn, ROLE(TASK_ROLE), 'the code runs with its own task role');
  t.equal(container.image, `${REPOSITORY_URL}:git-3f2a9c1@${MOCK_IMAGE_DIGEST}`, 'the platform image this deploy pushed at imageTag, by digest');
  t.same(container.command, ['node', '--import', 'tsx', 'services/crm-sync/src/cli.ts', 'run'], 'as npm run crm-sync -- run runs it');
  t.equal(container.essential, true);
  t.same(
    environment,
    {
      ANALYTICS_ENGINE: 'athena',
      ATHENA_WORKGROUP: 'peak-test-analytics',
      GLUE_DATABASE: 'peak_test',
      LAKE_URI: `s3://${BUCKET}/`,
      AWS_REGION: REGION,
      STUDIO_TIME_ZONE: ZONE,
      NODE_OPTIONS: '--max-old-space-size=1536',
      HUBSPOT_REQUESTS_PER_10S: '180',
      HUBSPOT_DAILY_BUDGET: '200000',
      CRM_SYNC_SCHEDULE: 'off',
    },
    'the churn jobs’ Athena environment, a heap sized to the task, the configured pacing and budget, no in-service schedule',
  );
  t.same(container.logConfiguration, { logDriver: 'awslogs', options: { 'awslogs-group': LOG_GROUP, 'awslogs-region': REGION, 'awslogs-stream-prefix': 'run' } }, 'logs to its group');
  t.equal(outputs.crmSyncTaskDefinitionArn, TASK_DEF, 'a stack output');
});

t.test('the token reaches the container through `secrets` only', async (t) => {
  t.same(container?.secrets, [{ name: 'HUBSPOT_ACCESS_TOKEN', valueFrom: SECRET_ARN }], 'HUBSPOT_ACCESS_TOKEN from the secret’s ARN');
  t.notOk('HUBSPOT_ACCESS_TOKEN' in environment, 'not in the plain environment');
  t.notOk(Object.keys(environment).some((k) => /TOKEN|SECRET|KEY/.test(k)), 'no other credential-like variable');
  t.notOk(definition?.containerDefinitions.includes('pat-'), 'no HubSpot token (pat-…) anywhere in the container definition');
});

t.test('the command and environment are the ones crm-sync reads, and its configuration accepts them', async (t) => {
  const cli = read('services/crm-sync/src/cli.ts');
  t.ok(cli.includes("'run'"), 'the CLI has a run command');
  for (const name of ['LAKE_URI', 'HUBSPOT_ACCESS_TOKEN']) t.ok(cli.includes(`env.${name}`), `the CLI reads ${name}`);
  // The CLI's settings, parsed and cross-checked exactly as the task's run will (Athena needs the workgroup and database).
  t.match(
    readSyncSettings(environment),
    { ANALYTICS_ENGINE: 'athena', ATHENA_WORKGROUP: 'peak-test-analytics', GLUE_DATABASE: 'peak_test', STUDIO_TIME_ZONE: ZONE, HUBSPOT_REQUESTS_PER_10S: 180, HUBSPOT_DAILY_BUDGET: 200000 },
    'readSyncSettings accepts the environment',
  );
  t.match(readConfig({ ...environment, HUBSPOT_ACCESS_TOKEN: 'stand-in-for-the-secret' }), { CRM_SYNC_SCHEDULE: 'off', LAKE_URI: `s3://${BUCKET}/` }, 'and so does the service’s full configuration, schedule off');
  const pace = syncSettingsSchema.HUBSPOT_REQUESTS_PER_10S as { default?: unknown; minimum?: unknown; maximum?: unknown };
  t.same([pace.default, pace.minimum, pace.maximum], [DEFAULT_HUBSPOT_REQUESTS_PER_10S, 1, MAX_HUBSPOT_REQUESTS_PER_10S], 'the stack’s default and bounds of the pace are the service’s');
});

t.test('the task role can do exactly what a sync does, on exactly its prefixes', async (t) => {
  const doc = policyOf(TASK_ROLE);
  t.equal(doc.Version, '2012-10-17');
  t.ok(doc.Statement.every((s) => s.Effect === 'Allow'), 'only Allow statements');
  t.same(
    grants(doc),
    [
      ...allow(['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'], [WORKGROUP_ARN]),
      ...allow(['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'], [`${GLUE}:catalog`, `${GLUE}:database/peak_test`, `${GLUE}:table/peak_test/*`]),
      ...allow(['s3:GetBucketLocation'], [BUCKET_ARN]),
      ...allow(['s3:ListBucket'], [BUCKET_ARN], { StringLike: { 's3:prefix': [`${PROCESSED}*`, `${MODELS}*`, `${STATE}*`, `${RESULTS}*`] } }),
      ...allow(['s3:GetObject'], [OBJECT(`${PROCESSED}*`)]),
      ...allow(['s3:PutObject', 's3:AbortMultipartUpload'], RELATIONS.map((r) => OBJECT(`${r}*`))),
      ...allow(['s3:GetObject'], [OBJECT(`${MODELS}*`)]),
      ...allow(['s3:GetObject', 's3:PutObject'], [OBJECT(`${STATE}*`)]),
      ...allow(['s3:DeleteObject'], [OBJECT(`${STATE}acks/*`), OBJECT(`${STATE}lock.json`)]),
      ...allow(['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], [OBJECT(`${RESULTS}*`)]),
    ].sort(),
    'Athena on the analytics workgroup, catalog reads, processed reads, its three relations put, models read, its state read/written, acks and lock deleted, its query results',
  );
  for (const s of doc.Statement) {
    for (const a of list(s.Action)) t.notOk(a.includes('*'), `${s.Sid}: no action wildcard (${a})`);
    for (const r of list(s.Resource)) t.not(r, '*', `${s.Sid}: no "*" resource`);
  }
});

t.test('least privilege: no write to other relations, the models or other zones; no secret', async (t) => {
  const doc = policyOf(TASK_ROLE);
  const reach = grants(doc);
  const writes = reach.filter((g) => /^Allow s3:(PutObject|DeleteObject|AbortMultipartUpload) /.test(g));
  const writable = writes.map((g) => g.split(' ')[2] ?? '');
  t.ok(
    writable.every((r) => RELATIONS.some((p) => r === OBJECT(`${p}*`)) || r.startsWith(OBJECT(STATE)) || r === OBJECT(`${RESULTS}*`)),
    'writes only to its relations, its state and its query results',
  );
  t.notOk(writable.some((r) => r === OBJECT(`${PROCESSED}*`) || r.startsWith(OBJECT('processed/member_churn_scores/'))), 'not the processed zone at large, not the churn scores');
  t.notOk(writable.some((r) => r.startsWith(OBJECT(lakeZones.models.prefix))), 'the models are read only');
  t.notOk(reach.some((g) => g.startsWith('Allow s3:DeleteObject ') && !g.includes(OBJECT(STATE))), 'deletes only under crm-sync/');
  const text = JSON.stringify(doc);
  for (const other of [lakeZones.raw.prefix, lakeZones.quarantine.prefix, lakeZones.batches.prefix, 'athena-results/student_sandbox/', 'peak-test-student_sandbox', 'secretsmanager', 'kms:']) {
    t.notOk(text.includes(other), `nothing on ${other}`);
  }
});

t.test('the granted prefixes are where crm-sync reads and writes', async (t) => {
  t.equal(MODELS, CHURN_MODELS_PREFIX, 'the models prefix is libs/churn’s CHURN_MODELS_PREFIX');
  for (const key of [STATE_KEY, LOCK_KEY, `${ACKS_PREFIX}run/000001.json`, `${RUNS_PREFIX}run.json`]) t.ok(key.startsWith(STATE), `${key} is under ${STATE}`);
  t.equal(`${STATE}acks/`, ACKS_PREFIX, 'the deletable acks prefix is the service’s ACKS_PREFIX');
  t.equal(`${STATE}lock.json`, LOCK_KEY, 'the deletable key is the service’s LOCK_KEY');
  // Every write and delete the service makes in the lake, by the key it starts from: a new one needs a look at the policy.
  const sources = readdirSync(fileURLToPath(new URL('../../services/crm-sync/src', import.meta.url)), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const writes = sources.flatMap((file) =>
    [...read(`services/crm-sync/src/${file}`).matchAll(/\blake\.(delete|deletePrefix|putBytes|putFile|putStream|copy)\(\s*(`\$\{[\w.]+\}|\w+)/g)].map((m) => `${m[1]} ${m[2]}`),
  );
  t.same(
    [...new Set(writes)].sort(),
    // ackKey: the ack files listed under ACKS_PREFIX at load (state.ts checks the prefix); the prefix: the run's own acks.
    ['delete LOCK_KEY', 'delete ackKey', 'deletePrefix `${ACKS_PREFIX}', 'putBytes LOCK_KEY', 'putBytes STATE_KEY', 'putBytes `${ACKS_PREFIX}', 'putBytes `${RUNS_PREFIX}', 'putFile `${lakeZones.processed.prefix}'].sort(),
    'the service deletes only LOCK_KEY and under ACKS_PREFIX, puts under crm-sync/ and its relations only',
  );
  t.same([crmSyncRuns.name, crmSyncChanges.name, marketingHoldout.name].map((n) => `${PROCESSED}${n}/`), RELATIONS, 'the three relations are the contracts’ crm-sync relations');
  t.ok(DERIVED_NAMES.every((n) => n === 'member_churn_scores' || RELATIONS.includes(`${PROCESSED}${n}/`)), 'every derived relation but the churn scores is crm-sync’s');
  const records = read('services/crm-sync/src/sync/lake-records.ts');
  t.ok(records.includes('`${lakeZones.processed.prefix}${name}/dt='), 'the relations are written under processed/<relation>/');
  for (const name of ['crm_sync_runs', 'crm_sync_changes', 'marketing_holdout']) t.ok(records.includes(`'${name}'`), `lake-records writes ${name}`);
});

t.test('the execution role pulls the image, reads that one secret and writes the logs; churn’s cannot read it', async (t) => {
  const doc = policyOf(EXECUTION_ROLE);
  t.same(
    grants(doc),
    [
      ...allow(['ecr:GetAuthorizationToken'], ['*']),
      ...allow(['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], [REPOSITORY_ARN]),
      ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`${LOG_GROUP_ARN}:*`]),
      ...allow(['secretsmanager:GetSecretValue'], [SECRET_ARN]),
    ].sort(),
  );
  const star = doc.Statement.filter((s) => list(s.Resource).includes('*'));
  t.same(star.flatMap((s) => list(s.Action)), ['ecr:GetAuthorizationToken'], 'the only "*" resource is the one AWS requires');
  t.notOk(JSON.stringify(doc).includes('kms:'), 'no kms: the default aws/secretsmanager key');
  t.notOk(JSON.stringify(policyOf('peak-test-churn-execution')).includes('secretsmanager'), 'the churn jobs’ execution role has no secret');
  t.notOk(JSON.stringify(policyOf('peak-test-churn-task')).includes('crm-sync'), 'the churn jobs’ task role has nothing on crm-sync’s state');
});

t.test('who may assume each role', async (t) => {
  for (const name of [EXECUTION_ROLE, TASK_ROLE]) {
    t.same(trustOf(resources, name).Statement, [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }], `${name}: ECS tasks only`);
  }
  t.same(
    trustOf(resources, SCHEDULER_ROLE).Statement,
    [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } }],
    'the scheduler role: EventBridge Scheduler, for this account’s schedules only',
  );
});

t.test('the scheduler role runs exactly crm-sync’s task definition and passes exactly its two roles', async (t) => {
  const doc = policyOf(SCHEDULER_ROLE);
  t.same(
    grants(doc),
    [
      ...allow(['ecs:RunTask'], [TASK_DEF], { ArnEquals: { 'ecs:cluster': CLUSTER_ARN } }),
      ...allow(['iam:PassRole'], [ROLE(EXECUTION_ROLE), ROLE(TASK_ROLE)], { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    ].sort(),
  );
  t.notOk(JSON.stringify(doc).includes('"*"'), 'no wildcard resource');
});

t.test('the schedule: daily at the configured time, studio time, one Fargate task in the jobs’ network, retried like churn’s', async (t) => {
  const s = named('aws:scheduler/schedule:Schedule', 'peak-test-crm-sync')?.inputs as ScheduleInputs | undefined;
  if (!s) return void t.fail('no crm-sync schedule');
  t.equal(s.scheduleExpression, 'cron(45 6 * * ? *)', 'crmSyncSchedule');
  t.equal(s.scheduleExpressionTimezone, ZONE, "in the studios' zone");
  t.equal(s.state, 'ENABLED');
  t.same(s.flexibleTimeWindow, { mode: 'OFF' });
  t.equal(s.target.arn, CLUSTER_ARN, 'targets the jobs cluster');
  t.equal(s.target.roleArn, ROLE(SCHEDULER_ROLE), 'with its own scheduler role');
  t.same(s.target.retryPolicy, { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 }, 'retries a failed start for an hour');
  t.notOk(s.target.deadLetterConfig, 'no dead-letter queue');
  t.same(
    s.target.ecsParameters,
    { taskDefinitionArn: TASK_DEF, launchType: 'FARGATE', taskCount: 1, networkConfiguration: { subnets: SUBNETS, securityGroups: [SECURITY_GROUP], assignPublicIp: false } },
    'RunTask of its task definition, in the configured subnets and group',
  );
  t.equal(outputs.crmSyncScheduleName, 'peak-test-crm-sync', 'a stack output');
});

t.test('the component refuses sizes Fargate does not offer and prefixes that would widen the policy', async (t) => {
  const args = {
    prefix: 'peak-x',
    image: { uri: `${REPOSITORY_URL}:x`, repositoryArn: REPOSITORY_ARN },
    cluster: { arn: CLUSTER_ARN, name: 'peak-x-jobs' },
    bucketName: BUCKET,
    bucketArn: BUCKET_ARN,
    processedPrefix: PROCESSED,
    relationPrefixes: RELATIONS,
    modelsPrefix: MODELS,
    statePrefix: STATE,
    stateDeletes: [`${STATE}acks/`, `${STATE}lock.json`],
    resultsPrefix: RESULTS,
    workgroupName: 'peak-x-analytics',
    workgroupArn: WORKGROUP_ARN,
    databaseName: 'peak_x',
    databaseArn: `${GLUE}:database/peak_x`,
    studioTimeZone: ZONE,
    schedule: 'cron(0 6 * * ? *)',
    hubspot: { requestsPerTenSeconds: 95 },
    network: { subnetIds: SUBNETS, securityGroupIds: [SECURITY_GROUP], assignPublicIp: false },
  };
  t.throws(() => new CrmSyncJob('big', { ...args, size: { cpu: 512, memoryMib: 8192 } }), /crm-sync: 512 CPU units with 8192 MiB is not a Fargate task size/);
  t.throws(() => new CrmSyncJob('none', { ...args, relationPrefixes: [] }), /relationPrefixes: the run writes at least one relation/);
  t.throws(() => new CrmSyncJob('zone', { ...args, relationPrefixes: [PROCESSED] }), /must be one relation inside the processed zone/);
  t.throws(() => new CrmSyncJob('out', { ...args, relationPrefixes: ['raw/members/'] }), /raw\/members\/ must be one relation inside the processed zone processed\//);
  t.throws(() => new CrmSyncJob('wild', { ...args, relationPrefixes: ['processed/crm_*/'] }), /relationPrefixes must be a key prefix ending in "\/" without wildcards/);
  t.throws(() => new CrmSyncJob('state', { ...args, statePrefix: 'processed/crm-sync/' }), /statePrefix processed\/crm-sync\/ must not overlap processed\//);
  t.throws(() => new CrmSyncJob('models', { ...args, statePrefix: 'models/' }), /statePrefix models\/ must not overlap models\/churn\//);
  t.throws(() => new CrmSyncJob('del', { ...args, stateDeletes: ['processed/crm_sync_runs/'] }), /stateDeletes: processed\/crm_sync_runs\/ must be inside the state prefix crm-sync\//);
  t.throws(() => new CrmSyncJob('delwild', { ...args, stateDeletes: ['crm-sync/*'] }), /stateDeletes: "crm-sync\/\*" must be a key prefix ending in "\/" or a single key/);
  t.throws(() => new CrmSyncJob('pace', { ...args, hubspot: { requestsPerTenSeconds: 0 } }), /hubspot.requestsPerTenSeconds must be a whole number above 0/);
  t.throws(() => new CrmSyncJob('budget', { ...args, hubspot: { requestsPerTenSeconds: 95, dailyBudget: 1.5 } }), /hubspot.dailyBudget must be a whole number above 0/);
});
