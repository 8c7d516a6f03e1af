import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { DuckDbEngine } from '@peak/analytics';
import { lakeZones, queues, tables } from '@peak/contracts';
import { DEFAULT_CAMPAIGN_PLANNER_SCHEDULE, DEFAULT_CRM_SYNC_SCHEDULE } from '../src/config.js';
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
  'peak-fitness:campaignPlannerSchedule': 'cron(15 7 * * ? *)',
});
// Imported after runProgram: the mocks must be set before any Pulumi resource module is used.
const { CampaignPlannerJob } = await import('../src/campaign-planner-job.js');
// The planner itself: its settings, its CLI, its tables' names and the lake its tests use.
const { readCampaignSettings } = await import('../../services/notifier/src/campaigns/settings.js');
const { HELP, main } = await import('../../services/notifier/src/campaigns/cli.js');
const { campaignRunsTable } = await import('../../services/notifier/src/campaigns/runs.js');
const { writeCampaignWorld } = await import('../../services/notifier/src/campaigns/fixtures.js');

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const BUCKET = 'peak-test-lake-0a1b2c3'; // the mock's name for the lake bucket
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const OBJECT = (key: string) => `${BUCKET_ARN}/${key}`;
const WORKGROUP_ARN = `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/peak-test-analytics`;
const GLUE = `arn:aws:glue:${REGION}:${ACCOUNT}`;
const ROLE = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const TASK_DEF = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/peak-test-campaign-planner:1`;
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/peak-test-jobs`;
const REPOSITORY_ARN = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/peak-test-platform`;
const REPOSITORY_URL = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/peak-test-platform`;
const LOG_GROUP = '/peak/peak-test/campaign-planner';
const LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP}`;
const QUEUE_ARN = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const TABLE_ARN = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
const REQUESTS_QUEUE_ARN = QUEUE_ARN(`peak-test-${queues.emailRequests.name}`);
const RUNS_TABLE_ARN = TABLE_ARN(`peak-test-${tables.campaignRuns.name}`);
const BY_CAMPAIGN_ARN = `${TABLE_ARN(`peak-test-${tables.emailSends.name}`)}/index/byCampaign`;
const PROCESSED = lakeZones.processed.prefix;
const RESULTS = 'athena-results/analytics/';
const TASK_ROLE = 'peak-test-campaign-planner-task';
const EXECUTION_ROLE = 'peak-test-campaign-planner-execution';
const SCHEDULER_ROLE = 'peak-test-campaign-planner-scheduler';

const named = (type: string, name: string): Registered | undefined => byType(resources, type).find((r) => r.inputs.name === name);
const policyOf = (roleName: string) => policyIn(resources, roleName);
const definition = byType(resources, 'aws:ecs/taskDefinition:TaskDefinition').find((r) => r.inputs.family === 'peak-test-campaign-planner')?.inputs as TaskDefinitionInputs | undefined;
const container = definition ? (JSON.parse(definition.containerDefinitions) as Container[])[0] : undefined;
const environment = Object.fromEntries((container?.environment ?? []).map((e) => [e.name, e.value]));
/** The task role's grants on SQS and DynamoDB: what the planner does beyond the shared Athena/lake reads. */
const messagingGrants = () => grants(policyOf(TASK_ROLE)).filter((g) => /^Allow (sqs|dynamodb):/.test(g));

t.test('a log group kept 30 days', async (t) => {
  t.match(named('aws:cloudwatch/logGroup:LogGroup', LOG_GROUP)?.inputs, { retentionInDays: 30, tags: { stage: 'test', component: 'campaign-planner-job' } });
  t.equal(outputs.campaignPlannerLogGroupName, LOG_GROUP, 'a stack output');
});

t.test('a small Fargate task running the planner CLI’s plan command with the notifier’s planner settings', async (t) => {
  if (!definition || !container) return void t.fail('campaign planner task definition missing');
  t.match(definition, { cpu: '512', memory: '2048', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' } });
  t.equal(definition.executionRoleArn, ROLE(EXECUTION_ROLE));
  t.equal(definition.taskRoleArn, ROLE(TASK_ROLE));
  t.equal(container.image, `${REPOSITORY_URL}:git-3f2a9c1@${MOCK_IMAGE_DIGEST}`, 'the platform image this deploy pushed at imageTag, by digest');
  t.same(container.command, ['node', '--import', 'tsx', 'services/notifier/src/campaigns/cli.ts', 'plan'], 'as npm run campaigns -- plan runs it');
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
      QUEUE_PREFIX: 'peak-test',
      TABLE_PREFIX: 'peak-test',
    },
    'the jobs’ Athena environment, a heap sized to the task, the stage’s queue and table prefixes',
  );
  t.notOk(container.secrets, 'no secret: the planner signs nothing (the notifier renders the unsubscribe links)');
  t.same(container.logConfiguration, { logDriver: 'awslogs', options: { 'awslogs-group': LOG_GROUP, 'awslogs-region': REGION, 'awslogs-stream-prefix': 'plan' } });
  t.equal(outputs.campaignPlannerTaskDefinitionArn, TASK_DEF, 'a stack output');
});

t.test('the planner accepts the environment, and names the queue and the tables the policy grants', async (t) => {
  const settings = readCampaignSettings(environment);
  t.match(settings, { ANALYTICS_ENGINE: 'athena', ATHENA_WORKGROUP: 'peak-test-analytics', GLUE_DATABASE: 'peak_test', LAKE_URI: `s3://${BUCKET}/`, STUDIO_TIME_ZONE: ZONE, QUEUE_PREFIX: 'peak-test', TABLE_PREFIX: 'peak-test' }, 'readCampaignSettings takes it');
  t.equal(campaignRunsTable(settings.TABLE_PREFIX), 'peak-test-campaign-runs', 'the runs table the planner writes is the stack’s');
  for (const name of ['STUDIO_TIME_ZONE', 'ANALYTICS_ENGINE', 'ATHENA_WORKGROUP', 'GLUE_DATABASE', 'LAKE_URI', 'QUEUE_PREFIX', 'TABLE_PREFIX', 'AWS_REGION']) t.ok(HELP.includes(name), `the CLI documents ${name}`);
  t.ok(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8').includes('"campaigns": "node --import tsx services/notifier/src/campaigns/cli.ts"'), 'the same script as npm run campaigns');
});

t.test('the task role can do exactly what a planner run does', async (t) => {
  const doc = policyOf(TASK_ROLE);
  t.equal(doc.Version, '2012-10-17');
  t.ok(doc.Statement.every((s) => s.Effect === 'Allow'), 'only Allow statements');
  t.same(
    grants(doc),
    [
      ...allow(['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'], [WORKGROUP_ARN]),
      ...allow(['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'], [`${GLUE}:catalog`, `${GLUE}:database/peak_test`, `${GLUE}:table/peak_test/*`]),
      ...allow(['s3:GetBucketLocation'], [BUCKET_ARN]),
      ...allow(['s3:ListBucket'], [BUCKET_ARN], { StringLike: { 's3:prefix': [`${PROCESSED}*`, `${RESULTS}*`] } }),
      ...allow(['s3:GetObject'], [OBJECT(`${PROCESSED}*`)]),
      ...allow(['sqs:GetQueueUrl', 'sqs:SendMessage'], [REQUESTS_QUEUE_ARN]),
      ...allow(['dynamodb:UpdateItem'], [RUNS_TABLE_ARN]),
      ...allow(['dynamodb:Query'], [BY_CAMPAIGN_ARN]),
      ...allow(['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], [OBJECT(`${RESULTS}*`)]),
    ].sort(),
    'Athena on the analytics workgroup, catalog and processed-zone reads, its query results; email-requests; the run record; the ledger’s byCampaign index',
  );
  for (const s of doc.Statement) {
    for (const a of list(s.Action)) t.notOk(a.includes('*'), `${s.Sid}: no action wildcard (${a})`);
    for (const r of list(s.Resource)) t.not(r, '*', `${s.Sid}: no "*" resource`);
  }
});

t.test('least privilege: no lake write, no other queue or table, not the ledger table itself, no secret', async (t) => {
  const doc = policyOf(TASK_ROLE);
  const reach = grants(doc);
  t.same(
    reach.filter((g) => /^Allow s3:(PutObject|DeleteObject|AbortMultipartUpload) /.test(g)).map((g) => g.split(' ')[2]),
    [OBJECT(`${RESULTS}*`), OBJECT(`${RESULTS}*`)],
    'writes only its Athena query results',
  );
  t.notOk(reach.some((g) => g.includes(`${TABLE_ARN(`peak-test-${tables.emailSends.name}`)} `)), 'nothing on the email-sends table itself: its byCampaign index only');
  const text = JSON.stringify(doc);
  for (const other of [
    queues.sesEvents.name,
    tables.emailRecipients.name,
    tables.emailSuppressions.name,
    tables.emailEvents.name,
    'byMember',
    'byRun',
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'dynamodb:PutItem',
    'dynamodb:DeleteItem',
    'dynamodb:Scan',
    'ses:',
    'secretsmanager',
    'kms:',
    lakeZones.raw.prefix,
    lakeZones.models.prefix,
    'peak-test-student_sandbox',
  ]) {
    t.notOk(text.includes(other), `nothing on ${other}`);
  }
});

type Sent = { command: string; input: Record<string, unknown> };
/** A client that records each command it is sent and answers as AWS would for a healthy queue and tables. */
const recorder = (sent: Sent[], answer: (command: string, input: Record<string, unknown>) => unknown) => ({
  send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    sent.push({ command: command.constructor.name, input: command.input });
    return answer(command.constructor.name, command.input);
  },
  destroy: () => undefined,
});
/** The IAM grant (action and resource) each call needs; an unknown call fails the test until the policy is looked at. */
function grantFor({ command, input }: Sent): string {
  const queueArn = (name: string) => QUEUE_ARN(name);
  const table = (name: unknown) => TABLE_ARN(String(name));
  switch (command) {
    case 'GetQueueUrlCommand':
      return `Allow sqs:GetQueueUrl ${queueArn(String(input.QueueName))}`;
    case 'SendMessageCommand':
    case 'SendMessageBatchCommand': // authorised as sqs:SendMessage
      return `Allow sqs:SendMessage ${queueArn(String(input.QueueUrl).split('/').at(-1) ?? '')}`;
    case 'QueryCommand':
      return `Allow dynamodb:Query ${table(input.TableName)}${input.IndexName ? `/index/${String(input.IndexName)}` : ''}`;
    case 'UpdateCommand':
      return `Allow dynamodb:UpdateItem ${table(input.TableName)}`;
    case 'PutCommand':
      return `Allow dynamodb:PutItem ${table(input.TableName)}`;
    case 'GetCommand':
      return `Allow dynamodb:GetItem ${table(input.TableName)}`;
    default:
      return `unmapped ${command}`;
  }
}

t.test('a real planner run makes exactly the SQS and DynamoDB calls the role grants', async (t) => {
  // The planner's own test lake (DuckDB) stands in for Athena; SQS and DynamoDB are recorders; the environment is the task's.
  const lake = join(t.testdir(), 'lake');
  await writeCampaignWorld(lake, '2026-06-14', ZONE);
  const engine = new DuckDbEngine({ lakeRoot: lake, timeZone: ZONE });
  t.teardown(() => engine.close());
  const sent: Sent[] = [];
  const sqs = recorder(sent, (command, input) => {
    if (command === 'GetQueueUrlCommand') return { QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${String(input.QueueName)}` };
    if (command === 'SendMessageBatchCommand') return { Successful: (input.Entries as { Id: string }[]).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] };
    throw new Error(`unexpected SQS call ${command}`);
  });
  const dynamo = recorder(sent, (command) => {
    if (command === 'QueryCommand') return { Items: [] };
    if (command === 'UpdateCommand') return {};
    throw new Error(`unexpected DynamoDB call ${command}`);
  });
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['plan'], environment, {
    engine,
    sqs: sqs as never,
    dynamo: dynamo as never,
    now: () => new Date('2026-06-15T10:00:00Z'),
    progress: false,
    out: (s) => out.push(s),
    err: (s) => err.push(s),
  });
  t.equal(code, 0, `the run succeeds ${err.join('')}`);
  t.ok(sent.some((s) => s.command === 'SendMessageBatchCommand'), 'it queued requests (the queueing path ran)');
  t.ok(sent.some((s) => s.command === 'UpdateCommand'), 'and recorded the run');
  const needed = [...new Set(sent.map(grantFor))].sort();
  t.same(needed, messagingGrants().sort(), 'every call is granted, and every SQS/DynamoDB grant is used');
});

t.test('the execution role pulls the image and writes the logs; no secret', async (t) => {
  const doc = policyOf(EXECUTION_ROLE);
  t.same(
    grants(doc),
    [
      ...allow(['ecr:GetAuthorizationToken'], ['*']),
      ...allow(['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], [REPOSITORY_ARN]),
      ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`${LOG_GROUP_ARN}:*`]),
    ].sort(),
  );
  const star = doc.Statement.filter((s) => list(s.Resource).includes('*'));
  t.same(star.flatMap((s) => list(s.Action)), ['ecr:GetAuthorizationToken'], 'the only "*" resource is the one AWS requires');
});

t.test('who may assume each role', async (t) => {
  for (const name of [EXECUTION_ROLE, TASK_ROLE]) {
    t.same(trustOf(resources, name).Statement, [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }], `${name}: ECS tasks only`);
  }
  t.same(
    trustOf(resources, SCHEDULER_ROLE).Statement,
    [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } }],
    'the scheduler role: this account’s schedules only',
  );
});

t.test('the scheduler role runs exactly the planner’s task definition and passes exactly its two roles', async (t) => {
  t.same(
    grants(policyOf(SCHEDULER_ROLE)),
    [
      ...allow(['ecs:RunTask'], [TASK_DEF], { ArnEquals: { 'ecs:cluster': CLUSTER_ARN } }),
      ...allow(['iam:PassRole'], [ROLE(EXECUTION_ROLE), ROLE(TASK_ROLE)], { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    ].sort(),
  );
});

t.test('the schedule: daily at the configured time, studio time, one Fargate task in the jobs’ network', async (t) => {
  const s = named('aws:scheduler/schedule:Schedule', 'peak-test-campaign-planner')?.inputs as ScheduleInputs | undefined;
  if (!s) return void t.fail('no campaign planner schedule');
  t.equal(s.scheduleExpression, 'cron(15 7 * * ? *)', 'campaignPlannerSchedule');
  t.equal(s.scheduleExpressionTimezone, ZONE, "in the studios' zone");
  t.equal(s.state, 'ENABLED');
  t.same(s.flexibleTimeWindow, { mode: 'OFF' });
  t.equal(s.target.arn, CLUSTER_ARN);
  t.equal(s.target.roleArn, ROLE(SCHEDULER_ROLE));
  t.same(s.target.retryPolicy, { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 });
  t.same(
    s.target.ecsParameters,
    { taskDefinitionArn: TASK_DEF, launchType: 'FARGATE', taskCount: 1, networkConfiguration: { subnets: SUBNETS, securityGroups: [SECURITY_GROUP], assignPublicIp: false } },
  );
  t.equal(outputs.campaignPlannerScheduleName, 'peak-test-campaign-planner', 'a stack output');
  const minutes = (cron: string) => {
    const [m, h] = cron.slice('cron('.length).split(' ').map(Number) as [number, number];
    return h * 60 + m;
  };
  t.equal(DEFAULT_CAMPAIGN_PLANNER_SCHEDULE, 'cron(30 6 * * ? *)', 'by default daily at 06:30');
  t.ok(minutes(DEFAULT_CAMPAIGN_PLANNER_SCHEDULE) > minutes(DEFAULT_CRM_SYNC_SCHEDULE), 'after crm-sync’s run (and so after the churn scores)');
});

t.test('the component refuses sizes Fargate does not offer and prefixes that would widen the policy', async (t) => {
  const args = {
    prefix: 'peak-x',
    image: { uri: `${REPOSITORY_URL}:x`, repositoryArn: REPOSITORY_ARN },
    cluster: { arn: CLUSTER_ARN, name: 'peak-x-jobs' },
    bucketName: BUCKET,
    bucketArn: BUCKET_ARN,
    processedPrefix: PROCESSED,
    resultsPrefix: RESULTS,
    workgroupName: 'peak-x-analytics',
    workgroupArn: WORKGROUP_ARN,
    databaseName: 'peak_x',
    databaseArn: `${GLUE}:database/peak_x`,
    requestsQueueArn: REQUESTS_QUEUE_ARN,
    runsTableArn: RUNS_TABLE_ARN,
    sendsByCampaignIndexArn: BY_CAMPAIGN_ARN,
    studioTimeZone: ZONE,
    schedule: 'cron(30 6 * * ? *)',
    network: { subnetIds: SUBNETS, securityGroupIds: [SECURITY_GROUP], assignPublicIp: false },
  };
  t.throws(() => new CampaignPlannerJob('big', { ...args, size: { cpu: 512, memoryMib: 8192 } }), /campaign planner: 512 CPU units with 8192 MiB is not a Fargate task size/);
  t.throws(() => new CampaignPlannerJob('wild', { ...args, processedPrefix: 'processed/*' }), /processedPrefix must be a key prefix ending in "\/" without wildcards/);
  t.throws(() => new CampaignPlannerJob('root', { ...args, resultsPrefix: '' }), /resultsPrefix must be a key prefix/);
});
