import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * What every scheduled job of the platform image shares (the churn jobs, crm-sync's daily sync): a Fargate task of one
 * command, started by EventBridge Scheduler, querying the lake through Athena. The components keep their own resources
 * and names; this module keeps their sizes, policies and targets alike.
 */

/** Fargate size of a job: CPU units and memory in MiB, a valid Fargate pair (the V8 heap cap follows from the memory). */
export interface JobSize {
  cpu: number;
  memoryMib: number;
}

/** Where a job's tasks run (JobNetwork's outputs). */
export interface JobNetworkArgs {
  subnetIds: pulumi.Input<string[]>;
  securityGroupIds: pulumi.Input<string[]>;
  assignPublicIp: boolean;
}

/** Share of the task's memory given to V8's old space: the rest is for DuckDB (the Parquet writer), buffers and Node itself. */
export const HEAP_SHARE = 0.75;
export const DEFAULT_LOG_RETENTION_DAYS = 30;
/** Scheduler retries a failed RunTask call (throttling, no capacity) this often, for at most an hour; no dead-letter queue. */
export const SCHEDULE_RETRY_POLICY = { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 } as const;

/** Exactly what the jobs' AWS SDK calls need (libs/analytics AthenaEngine, libs/lake S3Lake). */
export const JOB_ATHENA_ACTIONS = ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'] as const;
/** Catalog reads Athena makes while planning (GetPartition(s) stay unused with partition projection, but are reads). */
export const JOB_GLUE_ACTIONS = ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'] as const;
/** What Athena does in the caller's name on its result location (ListMultipartUploadParts/Abort for large results). */
export const RESULTS_S3_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'] as const;

// Fargate's valid memory per CPU size (MiB); a wrong pair is refused by ECS only at deploy time.
const FARGATE_MEMORY: Record<number, (m: number) => boolean> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
};

/** Refuses a CPU/memory pair Fargate does not offer; `job` names it in the message (`churn train`, `crm-sync`). */
export function checkJobSize(job: string, size: JobSize): void {
  if (!FARGATE_MEMORY[size.cpu]?.(size.memoryMib)) throw new Error(`${job}: ${size.cpu} CPU units with ${size.memoryMib} MiB is not a Fargate task size`);
}

/** A key prefix a policy grants `<prefix>*` on: lowercase segments, ending in `/`, no wildcard that would widen it. */
export function checkPrefix(what: string, prefix: string): void {
  if (!/^[a-z0-9_-]+(\/[a-z0-9_-]+)*\/$/.test(prefix)) throw new Error(`${what} must be a key prefix ending in "/" without wildcards; got ${JSON.stringify(prefix)}`);
}

/** A trust policy: `service` may assume the role (with `condition`, e.g. the confused-deputy guard). */
export const assumedBy = (service: string, condition?: Record<string, unknown>): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }],
  });

/** V8's default heap limit is a fraction of the memory it sees: give it the task's, minus room for the rest. */
export const heapOption = (size: JobSize): string => `--max-old-space-size=${Math.floor(size.memoryMib * HEAP_SHARE)}`;

/** The platform image's Fargate task shape: X86_64 (DuckDB's native binding must match the image), awsvpc networking. */
export function fargateTaskShape(size: JobSize): Pick<aws.ecs.TaskDefinitionArgs, 'requiresCompatibilities' | 'networkMode' | 'cpu' | 'memory' | 'runtimePlatform'> {
  return {
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: String(size.cpu),
    memory: String(size.memoryMib),
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
  };
}

/** The image's WORKDIR is the repo root (infra/README.md): `node --import tsx <script> <args>`, as the npm scripts run it. */
export const tsxCommand = (script: string, ...args: string[]): string[] => ['node', '--import', 'tsx', script, ...args];

/** What `openAnalytics` (@peak/churn) reads to query the S3 lake through Athena in the studios' zone. */
export interface AnalyticsEnvironmentArgs {
  workgroupName: pulumi.Input<string>;
  databaseName: pulumi.Input<string>;
  bucketName: pulumi.Input<string>;
  region: pulumi.Input<string>;
  studioTimeZone: string;
}

export function analyticsEnvironment(p: AnalyticsEnvironmentArgs): { name: string; value: pulumi.Input<string> }[] {
  return [
    { name: 'ANALYTICS_ENGINE', value: 'athena' },
    { name: 'ATHENA_WORKGROUP', value: p.workgroupName },
    { name: 'GLUE_DATABASE', value: p.databaseName },
    { name: 'LAKE_URI', value: pulumi.interpolate`s3://${p.bucketName}/` },
    { name: 'AWS_REGION', value: p.region },
    { name: 'STUDIO_TIME_ZONE', value: p.studioTimeZone },
  ];
}

/** The container's output to the job's log group: streams `<streamPrefix>/<container>/<task id>`. */
export const awsLogs = (logGroupName: pulumi.Input<string>, region: pulumi.Input<string>, streamPrefix: string) => ({
  logDriver: 'awslogs',
  options: { 'awslogs-group': logGroupName, 'awslogs-region': region, 'awslogs-stream-prefix': streamPrefix },
});

/**
 * The execution role's policy (what ECS does before the container starts): pull the image, write the log group, and read
 * the container's `secrets` if it has any. ECR's GetAuthorizationToken has no resource-level permissions (AWS requires
 * `*`); every other grant names its resource.
 */
export function executionPolicyDocument(p: { repositoryArn: pulumi.Input<string>; logGroupArn: pulumi.Input<string>; secretArns?: pulumi.Input<string>[] }): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
      { Sid: 'PullPlatformImage', Effect: 'Allow', Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], Resource: p.repositoryArn },
      // CloudWatch Logs wants the group ARN with `:*` for stream-level calls: this group's streams only.
      { Sid: 'WriteJobLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: pulumi.interpolate`${p.logGroupArn}:*` },
      // The secrets ECS injects into the container's environment (encrypted with the account's aws/secretsmanager key,
      // which needs no kms grant of its own); each named by its full ARN.
      ...(p.secretArns?.length ? [{ Sid: 'ReadContainerSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: p.secretArns }] : []),
    ],
  });
}

/** The lake and Athena a job's task role reaches: the query side every job shares, plus the job's own S3 grants. */
export interface AnalyticsTaskPolicyArgs {
  bucketArn: pulumi.Input<string>;
  /** Read through Athena (and by the Parquet readers): `s3:GetObject` and listing under it. */
  processedPrefix: string;
  /** The analytics workgroup's enforced result location under the lake (`athena-results/analytics/`). */
  resultsPrefix: string;
  workgroupArn: pulumi.Input<string>;
  databaseArn: pulumi.Input<string>;
  databaseName: pulumi.Input<string>;
  /** Other prefixes the job lists, between the processed zone and the results in the `s3:prefix` condition. */
  listPrefixes: string[];
  /** The job's own statements, between reading the processed zone and the query results; resources built from `bucket`. */
  statements: (bucket: pulumi.Output<string>) => object[];
}

/** A job's task policy: no action wildcards, no `*` resource; the job's own writes come from `statements`. */
export function analyticsTaskPolicyDocument(p: AnalyticsTaskPolicyArgs): pulumi.Output<string> {
  // The catalog and table ARNs share the database ARN's partition, region and account (arn:aws:glue:<region>:<account>).
  const glue = pulumi.output(p.databaseArn).apply((arn) => arn.split(':').slice(0, 5).join(':'));
  const bucket = pulumi.output(p.bucketArn);
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'QueryInAnalyticsWorkgroup', Effect: 'Allow', Action: JOB_ATHENA_ACTIONS, Resource: p.workgroupArn },
      {
        Sid: 'ReadCatalog',
        Effect: 'Allow',
        Action: JOB_GLUE_ACTIONS,
        Resource: [pulumi.interpolate`${glue}:catalog`, p.databaseArn, pulumi.interpolate`${glue}:table/${p.databaseName}/*`],
      },
      // Athena checks where the result bucket is before it writes; this reveals nothing about its objects.
      { Sid: 'LocateLakeBucket', Effect: 'Allow', Action: ['s3:GetBucketLocation'], Resource: bucket },
      {
        // Athena lists the tables' partitions; under a job's own prefixes listing turns a missing object into 404, not 403.
        Sid: 'ListOwnPrefixes',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: bucket,
        Condition: { StringLike: { 's3:prefix': [`${p.processedPrefix}*`, ...p.listPrefixes.map((prefix) => `${prefix}*`), `${p.resultsPrefix}*`] } },
      },
      { Sid: 'ReadProcessedZone', Effect: 'Allow', Action: ['s3:GetObject'], Resource: pulumi.interpolate`${bucket}/${p.processedPrefix}*` },
      ...p.statements(bucket),
      { Sid: 'AnalyticsQueryResults', Effect: 'Allow', Action: RESULTS_S3_ACTIONS, Resource: pulumi.interpolate`${bucket}/${p.resultsPrefix}*` },
    ],
  });
}

/**
 * The scheduler role's policy: RunTask of exactly these task definition revisions, in this cluster; PassRole of exactly
 * the roles a task uses, to ECS only. `label` names the statements (`Run<label>Tasks`, `Pass<label>TaskRoles`).
 */
export function schedulerPolicyDocument(p: { label: string; taskDefinitionArns: pulumi.Input<string>[]; clusterArn: pulumi.Input<string>; passRoleArns: pulumi.Input<string>[] }): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: `Run${p.label}Tasks`, Effect: 'Allow', Action: ['ecs:RunTask'], Resource: p.taskDefinitionArns, Condition: { ArnEquals: { 'ecs:cluster': p.clusterArn } } },
      { Sid: `Pass${p.label}TaskRoles`, Effect: 'Allow', Action: ['iam:PassRole'], Resource: p.passRoleArns, Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } },
    ],
  });
}

/** The trust policy of a scheduler role: only this account's schedules may use it (confused-deputy guard). */
export const assumedBySchedulerOf = (account: pulumi.Input<string>): pulumi.Output<string> =>
  pulumi.output(account).apply((id) => assumedBy('scheduler.amazonaws.com', { StringEquals: { 'aws:SourceAccount': id } }));

/** A schedule's target: one Fargate task of `taskDefinitionArn` in the cluster and network, retried as SCHEDULE_RETRY_POLICY says. */
export function runTaskTarget(p: { clusterArn: pulumi.Input<string>; roleArn: pulumi.Input<string>; taskDefinitionArn: pulumi.Input<string>; network: JobNetworkArgs }): aws.types.input.scheduler.ScheduleTarget {
  return {
    arn: p.clusterArn,
    roleArn: p.roleArn,
    ecsParameters: {
      taskDefinitionArn: p.taskDefinitionArn,
      launchType: 'FARGATE',
      taskCount: 1,
      networkConfiguration: {
        subnets: p.network.subnetIds,
        securityGroups: p.network.securityGroupIds,
        assignPublicIp: p.network.assignPublicIp,
      },
    },
    retryPolicy: { ...SCHEDULE_RETRY_POLICY },
  };
}

export interface TaskScheduleArgs {
  /** The job's physical name (`<prefix>-crm-sync`): the scheduler role's and the schedule's name. */
  jobName: string;
  /** Names the policy's statements (`Run<label>Tasks`, `Pass<label>TaskRoles`). */
  label: string;
  /** The scheduler role policy's name (`run-crm-sync-task`). */
  policyName: string;
  roleDescription: string;
  scheduleDescription: string;
  /** Cron expression, in `timeZone`. */
  schedule: string;
  /** Local studio time, daylight saving included. */
  timeZone: string;
  account: pulumi.Input<string>;
  clusterArn: pulumi.Input<string>;
  taskDefinitionArn: pulumi.Input<string>;
  /** The roles the task uses: the scheduler may pass exactly these to ECS. */
  passRoleArns: pulumi.Input<string>[];
  network: JobNetworkArgs;
  tags: Record<string, string>;
}

/**
 * One task definition run on a schedule: the scheduler role (this account's schedules only), its policy (RunTask of
 * this task definition in this cluster, PassRole of the task's roles) and the EventBridge Scheduler schedule. Created
 * as `<name>-scheduler`, `<name>-scheduler-policy` and `<name>-schedule` under `parent`.
 */
export function scheduleTask(parent: pulumi.ComponentResource, name: string, a: TaskScheduleArgs): { schedulerRole: aws.iam.Role; schedule: aws.scheduler.Schedule } {
  const schedulerRole = new aws.iam.Role(
    `${name}-scheduler`,
    { name: `${a.jobName}-scheduler`, description: a.roleDescription, assumeRolePolicy: assumedBySchedulerOf(a.account), tags: a.tags },
    { parent },
  );
  const schedulerPolicy = new aws.iam.RolePolicy(
    `${name}-scheduler-policy`,
    {
      name: a.policyName,
      role: schedulerRole.id,
      policy: schedulerPolicyDocument({ label: a.label, taskDefinitionArns: [a.taskDefinitionArn], clusterArn: a.clusterArn, passRoleArns: a.passRoleArns }),
    },
    { parent },
  );
  const schedule = new aws.scheduler.Schedule(
    `${name}-schedule`,
    {
      name: a.jobName,
      description: a.scheduleDescription,
      scheduleExpression: a.schedule,
      scheduleExpressionTimezone: a.timeZone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: runTaskTarget({ clusterArn: a.clusterArn, roleArn: schedulerRole.arn, taskDefinitionArn: a.taskDefinitionArn, network: a.network }),
    },
    // The role must be able to run the task (its policy attached) before the schedule's first invocation.
    { parent, dependsOn: [schedulerRole, schedulerPolicy] },
  );
  return { schedulerRole, schedule };
}
