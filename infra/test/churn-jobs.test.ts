import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CHURN_MODELS_PREFIX, scoresKey } from '@peak/churn';
import { lakeZones } from '@peak/contracts';
import { allow, grants, list, policyOf as policyIn, trustOf, type PolicyDocument } from './fixtures/policies.js';
import { byType, MOCK_IMAGE_DIGEST, runProgram, type Registered } from './fixtures/pulumi-mocks.js';
import type { Container, ScheduleInputs, TaskDefinitionInputs } from './fixtures/job-inputs.js';

const SUBNETS = ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'];
const SECURITY_GROUP = 'sg-0a1b2c3d4e5f60718';
const ZONE = 'Europe/Berlin';
const { resources, calls, outputs } = await runProgram({
  'peak-fitness:stage': 'test',
  'peak-fitness:studioTimeZone': ZONE,
  // Spaces and a trailing comma, as people type lists: trimmed, empty items dropped.
  'peak-fitness:jobSubnetIds': ` ${SUBNETS.join(' , ')},`,
  'peak-fitness:jobSecurityGroupIds': SECURITY_GROUP,
  // The services' network configured too: then nothing in the stack looks the default VPC up.
  'peak-fitness:serviceSubnetIds': SUBNETS.join(','),
  'peak-fitness:imageTag': 'git-3f2a9c1',
});
// Imported after runProgram: the mocks must be set before any Pulumi resource module is used.
const { ChurnJobs } = await import('../src/churn-jobs.js');
const { ImageRepository } = await import('../src/image-repository.js');
const { repoRootContext } = await import('../src/ecr-image.js');

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const BUCKET = 'peak-test-lake-0a1b2c3'; // the mock's name for the lake bucket
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const WORKGROUP_ARN = `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/peak-test-analytics`;
const GLUE = `arn:aws:glue:${REGION}:${ACCOUNT}`;
const ROLE = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const TASK_DEF = (job: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/peak-test-churn-${job}:1`;
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/peak-test-jobs`;
const REPOSITORY_ARN = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/peak-test-platform`;
const REPOSITORY_URL = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/peak-test-platform`;
const LOG_GROUP = '/peak/peak-test/churn-jobs';
const LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP}`;
const PROCESSED = lakeZones.processed.prefix;
const SCORES = `${PROCESSED}member_churn_scores/`;
const MODELS = `${lakeZones.models.prefix}churn/`;
const RESULTS = 'athena-results/analytics/';
const JOBS = ['train', 'score'] as const;

const named = (type: string, name: string): Registered | undefined => byType(resources, type).find((r) => r.inputs.name === name);
const policyOf = (roleName: string): PolicyDocument => policyIn(resources, roleName);
// The churn jobs' own: the stack also holds crm-sync's task definition and schedule (crm-sync-job.test.ts).
const CHURN = 'peak-test-churn-';
const taskDefinitions = () => byType(resources, 'aws:ecs/taskDefinition:TaskDefinition').map((r) => r.inputs as TaskDefinitionInputs).filter((d) => d.family.startsWith(CHURN));
const containerOf = (job: string): Container | undefined => {
  const def = taskDefinitions().find((d) => d.family === `peak-test-churn-${job}`);
  return def ? (JSON.parse(def.containerDefinitions) as Container[])[0] : undefined;
};

t.test('one ECR repository for the platform image; the tasks run the digest this deploy pushed', async (t) => {
  // The services' repositories are ServiceImages' (platform-service.test.ts).
  const repos = byType(resources, 'aws:ecr/repository:Repository').filter((r) => r.inputs.name === 'peak-test-platform');
  t.equal(repos.length, 1, 'one repository');
  t.equal(repos[0]?.name, 'image-repository', 'the logical name it always had (a rename would replace it)');
  t.match(repos[0]?.inputs, { name: 'peak-test-platform', imageTagMutability: 'MUTABLE', imageScanningConfiguration: { scanOnPush: true } });
  const [lifecycle] = byType(resources, 'aws:ecr/lifecyclePolicy:LifecyclePolicy').filter((r) => r.inputs.repository === 'peak-test-platform');
  t.equal(lifecycle?.name, 'image-lifecycle', 'a lifecycle policy on it, under its old logical name');
  t.match(JSON.parse(String(lifecycle?.inputs.policy)), { rules: [{ selection: { tagStatus: 'untagged', countNumber: 14 }, action: { type: 'expire' } }] }, 'only untagged images expire');
  const pushed = `${REPOSITORY_URL}:git-3f2a9c1@${MOCK_IMAGE_DIGEST}`;
  for (const job of JOBS) t.equal(containerOf(job)?.image, pushed, `${job} runs the image pushed at imageTag, by its digest`);
  t.equal(outputs.platformImageRepositoryUrl, REPOSITORY_URL, 'repository URL is a stack output');
  t.equal(outputs.platformImageUri, pushed, 'the pushed digest is a stack output');
});

t.test('the platform image: the root Dockerfile built from the repo root for linux/amd64, pushed to its repository at imageTag', async (t) => {
  const context = repoRootContext();
  t.equal(JSON.parse(readFileSync(join(context, 'package.json'), 'utf8')).name, 'peak-fitness-platform', 'the context is the repo root');
  t.match(readFileSync(join(context, 'Dockerfile'), 'utf8'), /scripts\/build-image\.ts platform /, 'the root Dockerfile builds the platform image');
  const images = byType(resources, 'docker-build:index:Image').filter((i) => (i.inputs.tags as string[] | undefined)?.some((tag) => tag.startsWith(`${REPOSITORY_URL}:`)));
  t.equal(images.length, 1, 'one image pushed to the platform repository');
  const [image] = images;
  t.equal(image?.name, 'image-image');
  t.match(image?.inputs, {
    context: { location: context },
    dockerfile: { location: `${context}/Dockerfile` },
    platforms: ['linux/amd64'],
    push: true,
    cacheFrom: [{ registry: { ref: `${REPOSITORY_URL}:buildcache` } }],
    cacheTo: [{ registry: { ref: `${REPOSITORY_URL}:buildcache`, imageManifest: true, ociMediaTypes: true } }],
  });
  t.same(image?.inputs.tags, [`${REPOSITORY_URL}:git-3f2a9c1`], 'pushed with the configured tag only');
  // The registry login holds the ECR token: Pulumi keeps it secret (the mocks see the secret's wrapper).
  const registries = image?.inputs.registries as Record<string, unknown> | undefined;
  t.equal(registries?.['4dabf18193072939515e22adb298388d'], '1b47061264138c4ac30d75fd1eb44270', 'the registry credentials are a secret');
  t.same(registries?.value, [{ address: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`, username: 'AWS', password: 'mock-ecr-password' }], 'ECR’s own login');
});

t.test('ImageRepository refuses a tag buildx would refuse mid-deploy', async (t) => {
  t.throws(() => new ImageRepository('bad-tag', { prefix: 'peak-test', tag: 'v1 beta' }), /ImageRepository: tag must be an image tag; got "v1 beta"/);
  t.throws(() => new ImageRepository('dash-tag', { prefix: 'peak-test', tag: '-rc' }), /tag must be an image tag/);
  t.throws(() => new ImageRepository('no-tag', { prefix: 'peak-test' } as unknown as { prefix: string; tag: string }), /tag must be an image tag; got undefined/);
});

t.test('a cluster for the jobs and a log group kept 30 days', async (t) => {
  t.same(byType(resources, 'aws:ecs/cluster:Cluster').map((c) => c.inputs.name).sort(), ['peak-test-jobs', 'peak-test-services'], 'one cluster for the jobs, named per stage (the services have their own)');
  t.equal(outputs.jobsClusterName, 'peak-test-jobs');
  t.match(named('aws:cloudwatch/logGroup:LogGroup', LOG_GROUP)?.inputs, { retentionInDays: 30 }, 'logs kept 30 days');
  t.equal(outputs.churnLogGroupName, LOG_GROUP);
});

t.test('a Fargate task definition per job: its command, its size, the Athena environment', async (t) => {
  const defs = taskDefinitions();
  t.same(defs.map((d) => d.family).sort(), ['peak-test-churn-score', 'peak-test-churn-train'], 'one per job, nothing else');
  const sizes = { train: ['2048', '8192', '6144'], score: ['1024', '4096', '3072'] };
  for (const job of JOBS) {
    const def = defs.find((d) => d.family === `peak-test-churn-${job}`);
    const container = containerOf(job);
    if (!def || !container) {
      t.fail(`${job} task definition missing`);
      continue;
    }
    const [cpu, memory, heap] = sizes[job];
    t.match(
      def,
      { cpu, memory, networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' } },
      `${job}: Fargate, ${cpu} CPU units, ${memory} MiB`,
    );
    t.equal(def.executionRoleArn, ROLE('peak-test-churn-execution'), `${job}: ECS pulls and logs with the execution role`);
    t.equal(def.taskRoleArn, ROLE('peak-test-churn-task'), `${job}: the code runs with the task role`);
    t.same(container.command, ['node', '--import', 'tsx', 'libs/churn/src/cli.ts', job], `${job}: the CLI command, as npm run churn runs it`);
    t.equal(container.essential, true);
    t.same(
      Object.fromEntries(container.environment.map((e) => [e.name, e.value])),
      {
        ANALYTICS_ENGINE: 'athena',
        ATHENA_WORKGROUP: 'peak-test-analytics',
        GLUE_DATABASE: 'peak_test',
        LAKE_URI: `s3://${BUCKET}/`,
        AWS_REGION: REGION,
        STUDIO_TIME_ZONE: ZONE,
        NODE_OPTIONS: `--max-old-space-size=${heap}`,
      },
      `${job}: Athena over the S3 lake, the analytics workgroup, the stage's database, the studios' zone, a heap sized to the task`,
    );
    t.same(container.logConfiguration, { logDriver: 'awslogs', options: { 'awslogs-group': LOG_GROUP, 'awslogs-region': REGION, 'awslogs-stream-prefix': job } }, `${job}: logs to the group`);
  }
  t.same(outputs.churnTaskDefinitionArns, { train: TASK_DEF('train'), score: TASK_DEF('score') }, 'task definition ARNs are a stack output');
});

t.test('the command and environment are the ones the churn CLI reads', async (t) => {
  const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
  t.ok(existsSync(fileURLToPath(new URL('../../libs/churn/src/cli.ts', import.meta.url))), 'libs/churn/src/cli.ts exists');
  const cli = read('libs/churn/src/cli.ts');
  for (const name of ['ANALYTICS_ENGINE', 'ATHENA_WORKGROUP', 'GLUE_DATABASE', 'LAKE_URI', 'STUDIO_TIME_ZONE']) t.ok(cli.includes(`env.${name}`), `the CLI reads ${name}`);
  for (const job of JOBS) t.ok(cli.includes(`command === '${job}'`), `the CLI has a ${job} command`);
});

t.test('the task role can do exactly what the jobs do, on exactly their prefixes', async (t) => {
  const doc = policyOf('peak-test-churn-task');
  t.equal(doc.Version, '2012-10-17');
  t.ok(doc.Statement.every((s) => s.Effect === 'Allow'), 'only Allow statements');
  t.same(
    grants(doc),
    [
      ...allow(['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'], [WORKGROUP_ARN]),
      ...allow(['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'], [`${GLUE}:catalog`, `${GLUE}:database/peak_test`, `${GLUE}:table/peak_test/*`]),
      ...allow(['s3:GetBucketLocation'], [BUCKET_ARN]),
      ...allow(['s3:ListBucket'], [BUCKET_ARN], { StringLike: { 's3:prefix': [`${PROCESSED}*`, `${MODELS}*`, `${RESULTS}*`] } }),
      ...allow(['s3:GetObject'], [`${BUCKET_ARN}/${PROCESSED}*`]),
      ...allow(['s3:PutObject', 's3:AbortMultipartUpload'], [`${BUCKET_ARN}/${SCORES}*`]),
      ...allow(['s3:GetObject', 's3:PutObject'], [`${BUCKET_ARN}/${MODELS}*`]),
      ...allow(['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], [`${BUCKET_ARN}/${RESULTS}*`]),
    ].sort(),
    'every grant listed: Athena on the analytics workgroup, catalog reads, processed reads, score writes, model read/write, own query results',
  );
  for (const s of doc.Statement) {
    for (const a of list(s.Action)) t.notOk(a.includes('*'), `${s.Sid}: no action wildcard (${a})`);
    for (const r of list(s.Resource)) t.not(r, '*', `${s.Sid}: no "*" resource`);
  }
  const text = JSON.stringify(doc);
  for (const other of [lakeZones.raw.prefix, lakeZones.quarantine.prefix, lakeZones.batches.prefix, 'athena-results/student_sandbox/', 'peak-test-student_sandbox']) {
    t.notOk(text.includes(other), `nothing on ${other}`);
  }
});

t.test('the granted prefixes are where the churn code reads and writes', async (t) => {
  t.equal(MODELS, CHURN_MODELS_PREFIX, 'the models prefix is libs/churn’s CHURN_MODELS_PREFIX');
  t.ok(scoresKey('2026-03-02').startsWith(SCORES), `a day's scores (${scoresKey('2026-03-02')}) fall under the writable prefix`);
  t.ok(SCORES.startsWith(PROCESSED), 'scores are in the processed zone, so the tables’ reads cover them');
});

t.test('the execution role pulls the platform image and writes the jobs’ logs, nothing else', async (t) => {
  const doc = policyOf('peak-test-churn-execution');
  t.same(
    grants(doc),
    [
      // ECR's GetAuthorizationToken has no resource-level permissions: AWS requires "*" here, and it grants no image by itself.
      ...allow(['ecr:GetAuthorizationToken'], ['*']),
      ...allow(['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], [REPOSITORY_ARN]),
      ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`${LOG_GROUP_ARN}:*`]),
    ].sort(),
  );
  const star = doc.Statement.filter((s) => list(s.Resource).includes('*'));
  t.same(star.flatMap((s) => list(s.Action)), ['ecr:GetAuthorizationToken'], 'the only "*" resource is the one AWS requires');
});

t.test('who may assume each role', async (t) => {
  const trust = (name: string) => trustOf(resources, name);
  for (const name of ['peak-test-churn-execution', 'peak-test-churn-task']) {
    t.same(trust(name).Statement, [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }], `${name}: ECS tasks only`);
  }
  t.same(
    trust('peak-test-churn-scheduler').Statement,
    [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } }],
    'the scheduler role: EventBridge Scheduler, for this account’s schedules only',
  );
});

t.test('the scheduler role runs exactly the two task definitions and passes exactly their two roles', async (t) => {
  const doc = policyOf('peak-test-churn-scheduler');
  t.same(
    grants(doc),
    [
      ...allow(['ecs:RunTask'], [TASK_DEF('train'), TASK_DEF('score')], { ArnEquals: { 'ecs:cluster': CLUSTER_ARN } }),
      ...allow(['iam:PassRole'], [ROLE('peak-test-churn-execution'), ROLE('peak-test-churn-task')], { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    ].sort(),
    'RunTask on the two task definition revisions in the jobs cluster; PassRole on the execution and task roles, to ECS only',
  );
  t.notOk(JSON.stringify(doc).includes('"*"'), 'no wildcard resource');
});

t.test('the schedules: daily scoring at 05:00 and Monday training at 04:00, studio time, on Fargate in the given network', async (t) => {
  const schedules = byType(resources, 'aws:scheduler/schedule:Schedule').map((r) => r.inputs as ScheduleInputs).filter((s) => s.name.startsWith(CHURN));
  t.same(schedules.map((s) => s.name).sort(), ['peak-test-churn-score', 'peak-test-churn-train'], 'one schedule per job');
  const expressions = { score: 'cron(0 5 * * ? *)', train: 'cron(0 4 ? * MON *)' };
  for (const job of JOBS) {
    const s = schedules.find((x) => x.name === `peak-test-churn-${job}`);
    if (!s) continue;
    t.equal(s.scheduleExpression, expressions[job], `${job}: ${expressions[job]}`);
    t.equal(s.scheduleExpressionTimezone, ZONE, `${job}: in the studios' zone`);
    t.equal(s.state, 'ENABLED');
    t.same(s.flexibleTimeWindow, { mode: 'OFF' }, `${job}: no flexible window`);
    t.equal(s.target.arn, CLUSTER_ARN, `${job}: targets the jobs cluster`);
    t.equal(s.target.roleArn, ROLE('peak-test-churn-scheduler'), `${job}: with the scheduler role`);
    t.same(s.target.retryPolicy, { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 }, `${job}: retries a failed start for an hour`);
    t.notOk(s.target.deadLetterConfig, `${job}: no dead-letter queue`);
    t.same(
      s.target.ecsParameters,
      { taskDefinitionArn: TASK_DEF(job), launchType: 'FARGATE', taskCount: 1, networkConfiguration: { subnets: SUBNETS, securityGroups: [SECURITY_GROUP], assignPublicIp: false } },
      `${job}: one Fargate task of its own definition, in the configured subnets and group, no public IP`,
    );
  }
  t.same(outputs.churnScheduleNames, { train: 'peak-test-churn-train', score: 'peak-test-churn-score' }, 'schedule names are a stack output');
});

t.test('configured subnets and groups are used as given: no network lookup, no group created', async (t) => {
  t.same(calls.filter((c) => ['aws:ec2/getVpc:getVpc', 'aws:ec2/getSubnets:getSubnets'].includes(c.token)).map((c) => c.token), [], 'no default VPC or subnet lookup');
  t.same(byType(resources, 'aws:ec2/securityGroup:SecurityGroup').filter((g) => String(g.inputs.name).endsWith('-jobs')), [], 'no security group created for the jobs');
  t.same(outputs.jobSubnetIds, SUBNETS);
  t.same(outputs.jobSecurityGroupIds, [SECURITY_GROUP]);
});

t.test('the component refuses task sizes Fargate does not offer and prefixes that would widen the policy', async (t) => {
  const args = {
    prefix: 'peak-x',
    image: { uri: `${REPOSITORY_URL}:x`, repositoryArn: REPOSITORY_ARN },
    bucketName: BUCKET,
    bucketArn: BUCKET_ARN,
    processedPrefix: PROCESSED,
    scoresPrefix: SCORES,
    modelsPrefix: MODELS,
    resultsPrefix: RESULTS,
    workgroupName: 'peak-x-analytics',
    workgroupArn: WORKGROUP_ARN,
    databaseName: 'peak_x',
    databaseArn: `${GLUE}:database/peak_x`,
    studioTimeZone: ZONE,
    schedules: { train: 'cron(0 4 ? * MON *)', score: 'cron(0 5 * * ? *)' },
    network: { subnetIds: SUBNETS, securityGroupIds: [SECURITY_GROUP], assignPublicIp: false },
  };
  t.throws(() => new ChurnJobs('big', { ...args, sizes: { train: { cpu: 1024, memoryMib: 16384 } } }), /churn train: 1024 CPU units with 16384 MiB is not a Fargate task size/);
  t.throws(() => new ChurnJobs('odd', { ...args, sizes: { score: { cpu: 3000, memoryMib: 4096 } } }), /churn score: 3000 CPU units/);
  t.throws(() => new ChurnJobs('wild', { ...args, modelsPrefix: 'models/*' }), /modelsPrefix must be a key prefix ending in "\/" without wildcards/);
  t.throws(() => new ChurnJobs('root', { ...args, scoresPrefix: '' }), /scoresPrefix must be a key prefix/);
  t.throws(() => new ChurnJobs('outside', { ...args, scoresPrefix: 'scores/' }), /scoresPrefix scores\/ must be inside the processed zone processed\//);
});
