import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import {
  analyticsEnvironment,
  analyticsTaskPolicyDocument,
  assumedBy,
  assumedBySchedulerOf,
  awsLogs,
  checkJobSize,
  checkPrefix,
  DEFAULT_LOG_RETENTION_DAYS,
  executionPolicyDocument,
  fargateTaskShape,
  heapOption,
  runTaskTarget,
  schedulerPolicyDocument,
  tsxCommand,
  type JobNetworkArgs,
  type JobSize,
} from './scheduled-job.js';

/** The two commands of `libs/churn/src/cli.ts` that run on a schedule. */
export const CHURN_JOBS = ['train', 'score'] as const;
export type ChurnJob = (typeof CHURN_JOBS)[number];

/**
 * Training holds every training cut-off's member rows at once (12–14 cut-offs × members) plus the IRLS matrices;
 * scoring holds one cut-off's members. Headroom, not measured in AWS: lower them once a run's memory is known.
 */
export const DEFAULT_JOB_SIZES: Record<ChurnJob, JobSize> = {
  train: { cpu: 2048, memoryMib: 8192 },
  score: { cpu: 1024, memoryMib: 4096 },
};

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
  network: JobNetworkArgs;
  /** An existing ECS cluster to run in; absent: one is created. */
  cluster?: { arn: pulumi.Input<string>; name: pulumi.Input<string> };
  sizes?: Partial<Record<ChurnJob, JobSize>>;
  logRetentionDays?: number;
  tags?: Record<string, string>;
}

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
    for (const job of CHURN_JOBS) checkJobSize(`churn ${job}`, sizes[job]);
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
        policy: analyticsTaskPolicyDocument({
          bucketArn: args.bucketArn,
          processedPrefix: args.processedPrefix,
          resultsPrefix: args.resultsPrefix,
          workgroupArn: args.workgroupArn,
          databaseArn: args.databaseArn,
          databaseName: args.databaseName,
          // Listing the models prefix turns a missing registry.json (the first training) into 404, not 403.
          listPrefixes: [args.modelsPrefix],
          statements: (bucket) => [
            // One Parquet file a day, replaced on a re-run; a large one is a multipart upload, aborted if it fails.
            { Sid: 'WriteChurnScores', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: pulumi.interpolate`${bucket}/${args.scoresPrefix}*` },
            { Sid: 'ReadWriteModelRegistry', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: pulumi.interpolate`${bucket}/${args.modelsPrefix}*` },
          ],
        }),
      },
      parent,
    );

    const environment = analyticsEnvironment({
      workgroupName: args.workgroupName,
      databaseName: args.databaseName,
      bucketName: args.bucketName,
      region,
      studioTimeZone: args.studioTimeZone,
    });

    this.taskDefinitions = {} as Record<ChurnJob, aws.ecs.TaskDefinition>;
    for (const job of CHURN_JOBS) {
      const size = sizes[job];
      this.taskDefinitions[job] = new aws.ecs.TaskDefinition(
        `${name}-${job}`,
        {
          family: `${args.prefix}-churn-${job}`,
          ...fargateTaskShape(size),
          executionRoleArn: this.executionRole.arn,
          taskRoleArn: this.taskRole.arn,
          containerDefinitions: pulumi.jsonStringify([
            {
              name: 'churn',
              image: args.image.uri,
              essential: true,
              // The image's WORKDIR is the repo root (infra/README.md): the same command as `npm run churn -- <job>` locally.
              command: tsxCommand('libs/churn/src/cli.ts', job),
              environment: [...environment, { name: 'NODE_OPTIONS', value: heapOption(size) }],
              logConfiguration: awsLogs(this.logGroup.name, region, job),
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
        assumeRolePolicy: assumedBySchedulerOf(account),
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
          label: 'Churn',
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
          target: runTaskTarget({ clusterArn: this.clusterArn, roleArn: this.schedulerRole.arn, taskDefinitionArn: this.taskDefinitions[job].arn, network: args.network }),
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
