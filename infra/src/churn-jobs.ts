import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** The two commands of `libs/churn/src/cli.ts` that run on a schedule. */
export const CHURN_JOBS = ['train', 'score'] as const;
export type ChurnJob = (typeof CHURN_JOBS)[number];

/** Fargate size of a job: CPU units and memory in MiB, a valid Fargate pair (the V8 heap cap follows from the memory). */
export interface JobSize {
  cpu: number;
  memoryMib: number;
}

/**
 * Training holds every training cut-off's member rows at once (12–14 cut-offs × members) plus the IRLS matrices;
 * scoring holds one cut-off's members. Headroom, not measured in AWS: lower them once a run's memory is known.
 */
export const DEFAULT_JOB_SIZES: Record<ChurnJob, JobSize> = {
  train: { cpu: 2048, memoryMib: 8192 },
  score: { cpu: 1024, memoryMib: 4096 },
};
/** Share of the task's memory given to V8's old space: the rest is for DuckDB (scoring's Parquet writer), buffers and Node itself. */
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

export interface ChurnJobsArgs {
  /** Physical name prefix (`peak-<stage>`): cluster `<prefix>-jobs`, families and schedules `<prefix>-churn-<job>`. */
  prefix: string;
  /** The platform image (`ImageRepository.imageUri(tag)`) and its repository, which the execution role may pull from. */
  image: { uri: pulumi.Input<string>; repositoryArn: pulumi.Input<string> };
  /** The lake bucket (DataLake's outputs). */
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** Key prefixes, each ending in `/`: what the jobs read (processed zone), write (scores), read and write (models). */
  processedPrefix: string;
  scoresPrefix: string;
  modelsPrefix: string;
  /** The analytics workgroup's enforced result location under the lake (`athena-results/analytics/`). */
  resultsPrefix: string;
  workgroupName: pulumi.Input<string>;
  workgroupArn: pulumi.Input<string>;
  databaseName: pulumi.Input<string>;
  databaseArn: pulumi.Input<string>;
  /** IANA zone of the studios: STUDIO_TIME_ZONE of the tasks and the time zone of both schedules. */
  studioTimeZone: string;
  /** EventBridge Scheduler cron expressions (validated in config.ts). */
  schedules: Record<ChurnJob, string>;
  network: { subnetIds: pulumi.Input<string[]>; securityGroupIds: pulumi.Input<string[]>; assignPublicIp: boolean };
  /** An existing ECS cluster to run in; absent: one is created. */
  cluster?: { arn: pulumi.Input<string>; name: pulumi.Input<string> };
  sizes?: Partial<Record<ChurnJob, JobSize>>;
  logRetentionDays?: number;
  tags?: Record<string, string>;
}

// Fargate's valid memory per CPU size (MiB); a wrong pair is refused by ECS only at deploy time.
const FARGATE_MEMORY: Record<number, (m: number) => boolean> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
};

function checkSize(job: string, size: JobSize): void {
  if (!FARGATE_MEMORY[size.cpu]?.(size.memoryMib)) throw new Error(`churn ${job}: ${size.cpu} CPU units with ${size.memoryMib} MiB is not a Fargate task size`);
}

function checkPrefix(what: string, prefix: string): void {
  if (!/^[a-z0-9_-]+(\/[a-z0-9_-]+)*\/$/.test(prefix)) throw new Error(`${what} must be a key prefix ending in "/" without wildcards; got ${JSON.stringify(prefix)}`);
}

const assumedBy = (service: string, condition?: Record<string, unknown>) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }],
  });

/**
 * The churn model's jobs in AWS: `train` (weekly) and `score` (daily) as Fargate tasks of the platform image, started by
 * EventBridge Scheduler in the studios' time zone, reading the lake through Athena and S3 with a role that can touch
 * only the processed zone (read), the day's scores (write), the model registry (read/write) and its own query results.
 */
export class ChurnJobs extends pulumi.ComponentResource {
  readonly clusterArn: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly executionRole: aws.iam.Role;
  readonly taskRole: aws.iam.Role;
  readonly schedulerRole: aws.iam.Role;
  readonly taskDefinitions: Record<ChurnJob, aws.ecs.TaskDefinition>;
  readonly schedules: Record<ChurnJob, aws.scheduler.Schedule>;
  readonly taskDefinitionArns: pulumi.Output<Record<ChurnJob, string>>;
  readonly scheduleNames: pulumi.Output<Record<ChurnJob, string>>;
  readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: ChurnJobsArgs, opts?: pulumi.ComponentResourceOptions) {
    const sizes = { ...DEFAULT_JOB_SIZES, ...(args.sizes ?? {}) };
    for (const job of CHURN_JOBS) checkSize(job, sizes[job]);
    checkPrefix('processedPrefix', args.processedPrefix);
    checkPrefix('scoresPrefix', args.scoresPrefix);
    checkPrefix('modelsPrefix', args.modelsPrefix);
    checkPrefix('resultsPrefix', args.resultsPrefix);
    if (!args.scoresPrefix.startsWith(args.processedPrefix)) throw new Error(`scoresPrefix ${args.scoresPrefix} must be inside the processed zone ${args.processedPrefix}`);
    super('peak:compute:ChurnJobs', name, {}, opts);
    const parent = { parent: this };
    const tags = { ...(args.tags ?? {}), component: 'churn-jobs' };
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

    if (args.cluster) {
      this.clusterArn = pulumi.output(args.cluster.arn);
      this.clusterName = pulumi.output(args.cluster.name);
    } else {
      // Fargate needs no capacity provider on the cluster: the schedules ask for launch type FARGATE.
      const cluster = new aws.ecs.Cluster(`${name}-cluster`, { name: `${args.prefix}-jobs`, tags }, parent);
      this.clusterArn = cluster.arn;
      this.clusterName = cluster.name;
    }

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/peak/${args.prefix}/churn-jobs`, retentionInDays: args.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS, tags },
      parent,
    );

    // What ECS itself does before the container starts: pull the image, then ship the container's output to the log group.
    this.executionRole = new aws.iam.Role(
      `${name}-execution`,
      { name: `${args.prefix}-churn-execution`, description: 'ECS: pull the platform image and write the churn jobs\' logs', assumeRolePolicy: assumedBy('ecs-tasks.amazonaws.com'), tags },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      { name: 'pull-image-write-logs', role: this.executionRole.id, policy: executionPolicyDocument({ repositoryArn: args.image.repositoryArn, logGroupArn: this.logGroup.arn }) },
      parent,
    );

    // What the jobs' code may do: nothing beyond the lake prefixes, the analytics workgroup and the catalog reads.
    this.taskRole = new aws.iam.Role(
      `${name}-task`,
      { name: `${args.prefix}-churn-task`, description: 'The churn jobs: read the processed zone via Athena, write scores, read/write the model registry', assumeRolePolicy: assumedBy('ecs-tasks.amazonaws.com'), tags },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-task-policy`,
      {
        name: 'churn-lake-and-athena',
        role: this.taskRole.id,
        policy: taskPolicyDocument({
          bucketArn: args.bucketArn,
          processedPrefix: args.processedPrefix,
          scoresPrefix: args.scoresPrefix,
          modelsPrefix: args.modelsPrefix,
          resultsPrefix: args.resultsPrefix,
          workgroupArn: args.workgroupArn,
          databaseArn: args.databaseArn,
          databaseName: args.databaseName,
        }),
      },
      parent,
    );

    const environment = [
      { name: 'ANALYTICS_ENGINE', value: 'athena' },
      { name: 'ATHENA_WORKGROUP', value: args.workgroupName },
      { name: 'GLUE_DATABASE', value: args.databaseName },
      { name: 'LAKE_URI', value: pulumi.interpolate`s3://${args.bucketName}/` },
      { name: 'AWS_REGION', value: region },
      { name: 'STUDIO_TIME_ZONE', value: args.studioTimeZone },
    ];

    this.taskDefinitions = {} as Record<ChurnJob, aws.ecs.TaskDefinition>;
    for (const job of CHURN_JOBS) {
      const size = sizes[job];
      this.taskDefinitions[job] = new aws.ecs.TaskDefinition(
        `${name}-${job}`,
        {
          family: `${args.prefix}-churn-${job}`,
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: String(size.cpu),
          memory: String(size.memoryMib),
          runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
          executionRoleArn: this.executionRole.arn,
          taskRoleArn: this.taskRole.arn,
          containerDefinitions: pulumi.jsonStringify([
            {
              name: 'churn',
              image: args.image.uri,
              essential: true,
              // The image's WORKDIR is the repo root (infra/README.md): the same command as `npm run churn -- <job>` locally.
              command: ['node', '--import', 'tsx', 'libs/churn/src/cli.ts', job],
              environment: [
                ...environment,
                // V8's default heap limit is a fraction of the memory it sees: give it the task's, minus room for the rest.
                { name: 'NODE_OPTIONS', value: `--max-old-space-size=${Math.floor(size.memoryMib * HEAP_SHARE)}` },
              ],
              logConfiguration: {
                logDriver: 'awslogs',
                options: { 'awslogs-group': this.logGroup.name, 'awslogs-region': region, 'awslogs-stream-prefix': job },
              },
            },
          ]),
          tags: { ...tags, job },
        },
        parent,
      );
    }

    this.schedulerRole = new aws.iam.Role(
      `${name}-scheduler`,
      {
        name: `${args.prefix}-churn-scheduler`,
        description: 'EventBridge Scheduler: run the two churn task definitions in the jobs cluster',
        // Only this account's schedules may use the role (confused-deputy guard).
        assumeRolePolicy: account.apply((id) => assumedBy('scheduler.amazonaws.com', { StringEquals: { 'aws:SourceAccount': id } })),
        tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-scheduler-policy`,
      {
        name: 'run-churn-tasks',
        role: this.schedulerRole.id,
        policy: schedulerPolicyDocument({
          taskDefinitionArns: CHURN_JOBS.map((job) => this.taskDefinitions[job].arn),
          clusterArn: this.clusterArn,
          passRoleArns: [this.executionRole.arn, this.taskRole.arn],
        }),
      },
      parent,
    );

    const descriptions: Record<ChurnJob, string> = {
      train: 'Train the churn model, register it, promote it if it does at least as well as the champion',
      score: "Score every current member with the champion; writes the day's member_churn_scores",
    };
    this.schedules = {} as Record<ChurnJob, aws.scheduler.Schedule>;
    for (const job of CHURN_JOBS) {
      this.schedules[job] = new aws.scheduler.Schedule(
        `${name}-${job}-schedule`,
        {
          name: `${args.prefix}-churn-${job}`,
          description: descriptions[job],
          scheduleExpression: args.schedules[job],
          // Local studio time, daylight saving included: 05:00 stays 05:00 all year.
          scheduleExpressionTimezone: args.studioTimeZone,
          flexibleTimeWindow: { mode: 'OFF' },
          state: 'ENABLED',
          target: {
            arn: this.clusterArn,
            roleArn: this.schedulerRole.arn,
            ecsParameters: {
              taskDefinitionArn: this.taskDefinitions[job].arn,
              launchType: 'FARGATE',
              taskCount: 1,
              networkConfiguration: {
                subnets: args.network.subnetIds,
                securityGroups: args.network.securityGroupIds,
                assignPublicIp: args.network.assignPublicIp,
              },
            },
            retryPolicy: { ...SCHEDULE_RETRY_POLICY },
          },
        },
        // The role must be able to run the task before the schedule's first invocation.
        { parent: this, dependsOn: [this.schedulerRole] },
      );
    }

    this.taskDefinitionArns = pulumi.output({ train: this.taskDefinitions.train.arn, score: this.taskDefinitions.score.arn });
    this.scheduleNames = pulumi.output({ train: this.schedules.train.name, score: this.schedules.score.name });
    this.logGroupName = this.logGroup.name;
    this.registerOutputs({
      clusterName: this.clusterName,
      taskDefinitionArns: this.taskDefinitionArns,
      scheduleNames: this.scheduleNames,
      logGroupName: this.logGroupName,
    });
  }
}

/** ECR's GetAuthorizationToken has no resource-level permissions (AWS requires `*`); every other grant names its resource. */
function executionPolicyDocument(p: { repositoryArn: pulumi.Input<string>; logGroupArn: pulumi.Input<string> }): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
      { Sid: 'PullPlatformImage', Effect: 'Allow', Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], Resource: p.repositoryArn },
      // CloudWatch Logs wants the group ARN with `:*` for stream-level calls: this group's streams only.
      { Sid: 'WriteJobLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: pulumi.interpolate`${p.logGroupArn}:*` },
    ],
  });
}

interface TaskPolicyArgs {
  bucketArn: pulumi.Input<string>;
  processedPrefix: string;
  scoresPrefix: string;
  modelsPrefix: string;
  resultsPrefix: string;
  workgroupArn: pulumi.Input<string>;
  databaseArn: pulumi.Input<string>;
  databaseName: pulumi.Input<string>;
}

/** The jobs' policy: no action wildcards, no `*` resource, writes only to the scores, the models and the workgroup's results. */
function taskPolicyDocument(p: TaskPolicyArgs): pulumi.Output<string> {
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
        // Athena lists the tables' partitions; under the models prefix it turns a missing registry.json into 404, not 403.
        Sid: 'ListOwnPrefixes',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: bucket,
        Condition: { StringLike: { 's3:prefix': [`${p.processedPrefix}*`, `${p.modelsPrefix}*`, `${p.resultsPrefix}*`] } },
      },
      { Sid: 'ReadProcessedZone', Effect: 'Allow', Action: ['s3:GetObject'], Resource: pulumi.interpolate`${bucket}/${p.processedPrefix}*` },
      // One Parquet file a day, replaced on a re-run; a large one is a multipart upload, aborted if it fails.
      { Sid: 'WriteChurnScores', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: pulumi.interpolate`${bucket}/${p.scoresPrefix}*` },
      { Sid: 'ReadWriteModelRegistry', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: pulumi.interpolate`${bucket}/${p.modelsPrefix}*` },
      { Sid: 'AnalyticsQueryResults', Effect: 'Allow', Action: RESULTS_S3_ACTIONS, Resource: pulumi.interpolate`${bucket}/${p.resultsPrefix}*` },
    ],
  });
}

/** RunTask of exactly these task definition revisions, in this cluster; PassRole of exactly the two roles a task uses, to ECS only. */
function schedulerPolicyDocument(p: { taskDefinitionArns: pulumi.Input<string>[]; clusterArn: pulumi.Input<string>; passRoleArns: pulumi.Input<string>[] }): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'RunChurnTasks', Effect: 'Allow', Action: ['ecs:RunTask'], Resource: p.taskDefinitionArns, Condition: { ArnEquals: { 'ecs:cluster': p.clusterArn } } },
      { Sid: 'PassChurnTaskRoles', Effect: 'Allow', Action: ['iam:PassRole'], Resource: p.passRoleArns, Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } },
    ],
  });
}
