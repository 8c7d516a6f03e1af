import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import {
  analyticsEnvironment,
  analyticsTaskPolicyDocument,
  assumedBy,
  awsLogs,
  checkJobSize,
  checkPrefix,
  DEFAULT_LOG_RETENTION_DAYS,
  executionPolicyDocument,
  fargateTaskShape,
  heapOption,
  scheduleTask,
  tsxCommand,
  type JobNetworkArgs,
  type JobSize,
} from './scheduled-job.js';

/**
 * One run holds the synced state (~12 MB of JSON for 100k members, a few times that as Maps), the ~100k `member_features`
 * rows and the diff, and DuckDB writes the run's Parquet files. Headroom, not measured in AWS.
 */
export const DEFAULT_CRM_SYNC_SIZE: JobSize = { cpu: 512, memoryMib: 2048 };
/** The variable the token reaches the container as: what `services/crm-sync/src/cli.ts` reads. */
export const HUBSPOT_TOKEN_VARIABLE = 'HUBSPOT_ACCESS_TOKEN';
/** The CLI command the schedule runs; also the log streams' prefix (`run/crm-sync/<task id>`). */
const COMMAND = 'run';

export interface CrmSyncJobArgs {
  /** Physical name prefix (`peak-<stage>`): family, schedule and log group `<prefix>-crm-sync`, roles `<prefix>-crm-sync-<role>`. */
  prefix: string;
  /** The platform image (`ImageRepository.imageUri(tag)`) and its repository, which the execution role may pull from. */
  image: { uri: pulumi.Input<string>; repositoryArn: pulumi.Input<string> };
  /** The ECS cluster the jobs run in (ChurnJobs' `peak-<stage>-jobs`). */
  cluster: { arn: pulumi.Input<string>; name: pulumi.Input<string> };
  /** The lake bucket (DataLake's outputs). */
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** Key prefixes, each ending in `/`. Read through Athena: the processed zone. */
  processedPrefix: string;
  /** Written (put only): the run's own relations, each inside the processed zone (`processed/crm_sync_runs/`, …). */
  relationPrefixes: string[];
  /** Read only: the churn models (the band thresholds of the model that made the scores). */
  modelsPrefix: string;
  /** Read and written: the sync's state, acks, run records and lock. */
  statePrefix: string;
  /** What the run deletes under `statePrefix`: key prefixes ending in `/` (its acks) or single keys (its lock). */
  stateDeletes: string[];
  /** The analytics workgroup's enforced result location under the lake (`athena-results/analytics/`). */
  resultsPrefix: string;
  workgroupName: pulumi.Input<string>;
  workgroupArn: pulumi.Input<string>;
  databaseName: pulumi.Input<string>;
  databaseArn: pulumi.Input<string>;
  /** IANA zone of the studios: STUDIO_TIME_ZONE of the task and the time zone of the schedule. */
  studioTimeZone: string;
  /** EventBridge Scheduler cron expression (validated in config.ts). */
  schedule: string;
  /** HubSpot pacing: HUBSPOT_REQUESTS_PER_10S and, when set, HUBSPOT_DAILY_BUDGET. */
  hubspot: { requestsPerTenSeconds: number; dailyBudget?: number };
  network: JobNetworkArgs;
  size?: JobSize;
  logRetentionDays?: number;
  tags?: Record<string, string>;
}

// A single key the policy names exactly (no wildcard): lowercase segments, the last one may have dots (`lock.json`).
const KEY_PATTERN = /^[a-z0-9_-]+(\/[a-z0-9_-]+)*\/[a-z0-9_.-]+$/;
const overlaps = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);

function checkArgs(args: CrmSyncJobArgs): void {
  checkJobSize('crm-sync', args.size ?? DEFAULT_CRM_SYNC_SIZE);
  for (const what of ['processedPrefix', 'modelsPrefix', 'statePrefix', 'resultsPrefix'] as const) checkPrefix(what, args[what]);
  if (args.relationPrefixes.length === 0) throw new Error('relationPrefixes: the run writes at least one relation');
  for (const relation of args.relationPrefixes) {
    checkPrefix('relationPrefixes', relation);
    if (!relation.startsWith(args.processedPrefix) || relation === args.processedPrefix) {
      throw new Error(`relationPrefixes: ${relation} must be one relation inside the processed zone ${args.processedPrefix}`);
    }
  }
  // The state is written and deleted: it must not share keys with what the task may only read.
  for (const other of [args.processedPrefix, args.modelsPrefix, args.resultsPrefix]) {
    if (overlaps(args.statePrefix, other)) throw new Error(`statePrefix ${args.statePrefix} must not overlap ${other}`);
  }
  for (const target of args.stateDeletes) {
    if (target.endsWith('/')) checkPrefix('stateDeletes', target);
    else if (!KEY_PATTERN.test(target)) throw new Error(`stateDeletes: ${JSON.stringify(target)} must be a key prefix ending in "/" or a single key, without wildcards`);
    if (!target.startsWith(args.statePrefix)) throw new Error(`stateDeletes: ${target} must be inside the state prefix ${args.statePrefix}`);
  }
  const { requestsPerTenSeconds, dailyBudget } = args.hubspot;
  if (!Number.isSafeInteger(requestsPerTenSeconds) || requestsPerTenSeconds < 1) throw new Error(`hubspot.requestsPerTenSeconds must be a whole number above 0; got ${requestsPerTenSeconds}`);
  if (dailyBudget !== undefined && (!Number.isSafeInteger(dailyBudget) || dailyBudget < 1)) throw new Error(`hubspot.dailyBudget must be a whole number above 0; got ${dailyBudget}`);
}

/**
 * crm-sync's daily HubSpot sync in AWS: `npm run crm-sync -- run` as a Fargate task of the platform image, started by
 * EventBridge Scheduler in the studios' time zone after the churn scores. It reads the lake through Athena, the churn
 * models and its own state in S3, writes its state and its three relations, and calls HubSpot with a private-app token
 * from Secrets Manager that ECS injects (the execution role reads that one secret; the code's role cannot).
 */
export class CrmSyncJob extends pulumi.ComponentResource {
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly hubspotToken: aws.secretsmanager.Secret;
  readonly executionRole: aws.iam.Role;
  readonly taskRole: aws.iam.Role;
  readonly schedulerRole: aws.iam.Role;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly schedule: aws.scheduler.Schedule;
  readonly taskDefinitionArn: pulumi.Output<string>;
  readonly scheduleName: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;
  readonly secretArn: pulumi.Output<string>;
  readonly secretName: pulumi.Output<string>;

  constructor(name: string, args: CrmSyncJobArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArgs(args);
    super('peak:compute:CrmSyncJob', name, {}, opts);
    const parent = { parent: this };
    const size = args.size ?? DEFAULT_CRM_SYNC_SIZE;
    const tags = { ...(args.tags ?? {}), component: 'crm-sync-job' };
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/peak/${args.prefix}/crm-sync`, retentionInDays: args.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS, tags },
      parent,
    );

    // The secret only: its value is put once by the operator (infra/README.md), so it is in neither the code nor the
    // stack's state. Encrypted with the account's aws/secretsmanager key.
    this.hubspotToken = new aws.secretsmanager.Secret(
      `${name}-hubspot-token`,
      {
        name: `${args.prefix}-crm-sync-hubspot-token`,
        description: "crm-sync's HubSpot private app access token (crm.objects.contacts.read/write, crm.schemas.contacts.read/write); the value is put by hand, see infra/README.md",
        tags,
      },
      parent,
    );

    // What ECS does before the container starts: pull the image, read the token into the container, ship its output.
    this.executionRole = new aws.iam.Role(
      `${name}-execution`,
      {
        name: `${args.prefix}-crm-sync-execution`,
        description: "ECS: pull the platform image, read crm-sync's HubSpot token, write crm-sync's logs",
        assumeRolePolicy: assumedBy('ecs-tasks.amazonaws.com'),
        tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      {
        name: 'pull-image-read-token-write-logs',
        role: this.executionRole.id,
        policy: executionPolicyDocument({ repositoryArn: args.image.repositoryArn, logGroupArn: this.logGroup.arn, secretArns: [this.hubspotToken.arn] }),
      },
      parent,
    );

    // What the sync's code may do: query through Athena, read the models, keep its state, write its own relations.
    this.taskRole = new aws.iam.Role(
      `${name}-task`,
      {
        name: `${args.prefix}-crm-sync-task`,
        description: 'crm-sync: read the processed zone via Athena and the churn models, keep its state, write its run relations',
        assumeRolePolicy: assumedBy('ecs-tasks.amazonaws.com'),
        tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-task-policy`,
      {
        name: 'crm-sync-lake-and-athena',
        role: this.taskRole.id,
        policy: analyticsTaskPolicyDocument({
          bucketArn: args.bucketArn,
          processedPrefix: args.processedPrefix,
          resultsPrefix: args.resultsPrefix,
          workgroupArn: args.workgroupArn,
          databaseArn: args.databaseArn,
          databaseName: args.databaseName,
          // Listing turns a missing state, lock or model file into 404 (absent), not 403; the acks and runs are listed.
          listPrefixes: [args.modelsPrefix, args.statePrefix],
          statements: (bucket) => [
            // One Parquet file per run and relation; a large one is a multipart upload, aborted if it fails.
            {
              Sid: 'WriteSyncRelations',
              Effect: 'Allow',
              Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
              Resource: args.relationPrefixes.map((relation) => pulumi.interpolate`${bucket}/${relation}*`),
            },
            { Sid: 'ReadChurnModels', Effect: 'Allow', Action: ['s3:GetObject'], Resource: pulumi.interpolate`${bucket}/${args.modelsPrefix}*` },
            // The state, acks, run records and lock (the lock is a conditional put, If-None-Match: no other action).
            { Sid: 'ReadWriteSyncState', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: pulumi.interpolate`${bucket}/${args.statePrefix}*` },
            // A run deletes the acks it has folded into the state, and its lock (or an expired one it takes over).
            {
              Sid: 'DeleteSyncAcksAndLock',
              Effect: 'Allow',
              Action: ['s3:DeleteObject'],
              Resource: args.stateDeletes.map((target) => (target.endsWith('/') ? pulumi.interpolate`${bucket}/${target}*` : pulumi.interpolate`${bucket}/${target}`)),
            },
          ],
        }),
      },
      parent,
    );

    const environment = [
      ...analyticsEnvironment({ workgroupName: args.workgroupName, databaseName: args.databaseName, bucketName: args.bucketName, region, studioTimeZone: args.studioTimeZone }),
      { name: 'NODE_OPTIONS', value: heapOption(size) },
      { name: 'HUBSPOT_REQUESTS_PER_10S', value: String(args.hubspot.requestsPerTenSeconds) },
      ...(args.hubspot.dailyBudget === undefined ? [] : [{ name: 'HUBSPOT_DAILY_BUDGET', value: String(args.hubspot.dailyBudget) }]),
      // The service's own croner schedule stays off in AWS: EventBridge Scheduler starts the run.
      { name: 'CRM_SYNC_SCHEDULE', value: 'off' },
    ];
    this.taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task-definition`,
      {
        family: `${args.prefix}-crm-sync`,
        ...fargateTaskShape(size),
        executionRoleArn: this.executionRole.arn,
        taskRoleArn: this.taskRole.arn,
        containerDefinitions: pulumi.jsonStringify([
          {
            name: 'crm-sync',
            image: args.image.uri,
            essential: true,
            // The same command as `npm run crm-sync -- run` locally.
            command: tsxCommand('services/crm-sync/src/cli.ts', COMMAND),
            environment,
            // ECS reads the secret with the execution role when the task starts: the token is in no task definition,
            // environment listing or log, and a new value is picked up by the next run.
            secrets: [{ name: HUBSPOT_TOKEN_VARIABLE, valueFrom: this.hubspotToken.arn }],
            logConfiguration: awsLogs(this.logGroup.name, region, COMMAND),
          },
        ]),
        tags: { ...tags, job: 'crm-sync' },
      },
      parent,
    );

    ({ schedulerRole: this.schedulerRole, schedule: this.schedule } = scheduleTask(this, name, {
      jobName: `${args.prefix}-crm-sync`,
      label: 'CrmSync',
      policyName: 'run-crm-sync-task',
      roleDescription: "EventBridge Scheduler: run crm-sync's task definition in the jobs cluster",
      scheduleDescription: "Sync members' engagement (churn risk, visits, lifecycle stage) to HubSpot: the members whose values changed",
      schedule: args.schedule,
      timeZone: args.studioTimeZone,
      account,
      clusterArn: args.cluster.arn,
      taskDefinitionArn: this.taskDefinition.arn,
      passRoleArns: [this.executionRole.arn, this.taskRole.arn],
      network: args.network,
      tags,
    }));

    this.taskDefinitionArn = this.taskDefinition.arn;
    this.scheduleName = this.schedule.name;
    this.logGroupName = this.logGroup.name;
    this.secretArn = this.hubspotToken.arn;
    this.secretName = this.hubspotToken.name;
    this.registerOutputs({
      taskDefinitionArn: this.taskDefinitionArn,
      scheduleName: this.scheduleName,
      logGroupName: this.logGroupName,
      secretArn: this.secretArn,
      secretName: this.secretName,
    });
  }
}
