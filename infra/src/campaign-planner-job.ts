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
 * A run holds each campaign's audience rows (at most the active members, ~100k) and the requests built from them, then
 * queues them 10 to a call. Headroom as crm-sync's, not measured in AWS.
 */
export const DEFAULT_CAMPAIGN_PLANNER_SIZE: JobSize = { cpu: 512, memoryMib: 2048 };
/** The planner CLI's command the schedule runs (`npm run campaigns -- plan`); also the log streams' prefix. */
const COMMAND = 'plan';
const SCRIPT = 'services/notifier/src/campaigns/cli.ts';

export interface CampaignPlannerJobArgs {
  /** Physical name prefix (`peak-<stage>`): family, schedule and log group `<prefix>-campaign-planner`, roles `<prefix>-campaign-planner-<role>`. Also QUEUE_PREFIX and TABLE_PREFIX. */
  prefix: string;
  /** The platform image (`ImageRepository.imageUri(tag)`) and its repository, which the execution role may pull from. */
  image: { uri: pulumi.Input<string>; repositoryArn: pulumi.Input<string> };
  /** The ECS cluster the jobs run in (ChurnJobs' `peak-<stage>-jobs`). */
  cluster: { arn: pulumi.Input<string>; name: pulumi.Input<string> };
  /** The lake bucket (DataLake's outputs): read through Athena only, the planner writes nothing to it. */
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** Key prefixes, each ending in `/`: the processed zone (read through Athena) and the workgroup's results. */
  processedPrefix: string;
  resultsPrefix: string;
  workgroupName: pulumi.Input<string>;
  workgroupArn: pulumi.Input<string>;
  databaseName: pulumi.Input<string>;
  databaseArn: pulumi.Input<string>;
  /** The `email-requests` queue: the planner looks its URL up by name and puts the requests on it. */
  requestsQueueArn: pulumi.Input<string>;
  /** The `campaign-runs` table: one record per run (a conditional update). */
  runsTableArn: pulumi.Input<string>;
  /** The send ledger's `byCampaign` index (`<email-sends arn>/index/byCampaign`): the campaigns' frequency rules. */
  sendsByCampaignIndexArn: pulumi.Input<string>;
  /** IANA zone of the studios: STUDIO_TIME_ZONE of the task and the time zone of the schedule. */
  studioTimeZone: string;
  /** EventBridge Scheduler cron expression (validated in config.ts). */
  schedule: string;
  network: JobNetworkArgs;
  size?: JobSize;
  logRetentionDays?: number;
  tags?: Record<string, string>;
}

/**
 * The notifier's daily campaign planner in AWS: `npm run campaigns -- plan` as a Fargate task of the platform image,
 * started by EventBridge Scheduler in the studios' time zone. It reads the audiences through Athena, reads the send
 * ledger's `byCampaign` index (a campaign's recent recipients), puts one email request per member on `email-requests`
 * and records the run in `campaign-runs`: its role can do exactly that, and nothing in the lake but read.
 */
export class CampaignPlannerJob extends pulumi.ComponentResource {
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly executionRole: aws.iam.Role;
  readonly taskRole: aws.iam.Role;
  readonly schedulerRole: aws.iam.Role;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly schedule: aws.scheduler.Schedule;
  readonly taskDefinitionArn: pulumi.Output<string>;
  readonly scheduleName: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: CampaignPlannerJobArgs, opts?: pulumi.ComponentResourceOptions) {
    const size = args.size ?? DEFAULT_CAMPAIGN_PLANNER_SIZE;
    checkJobSize('campaign planner', size);
    for (const what of ['processedPrefix', 'resultsPrefix'] as const) checkPrefix(what, args[what]);
    super('peak:compute:CampaignPlannerJob', name, {}, opts);
    const parent = { parent: this };
    const tags = { ...(args.tags ?? {}), component: 'campaign-planner-job' };
    const region = aws.getRegionOutput({}, parent).region;
    const account = aws.getCallerIdentityOutput({}, parent).accountId;

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/peak/${args.prefix}/campaign-planner`, retentionInDays: args.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS, tags },
      parent,
    );

    // What ECS does before the container starts: pull the image and ship its output. The planner has no secret (it signs
    // no unsubscribe link: the notifier renders the emails).
    this.executionRole = new aws.iam.Role(
      `${name}-execution`,
      {
        name: `${args.prefix}-campaign-planner-execution`,
        description: "ECS: pull the platform image, write the campaign planner's logs",
        assumeRolePolicy: assumedBy('ecs-tasks.amazonaws.com'),
        tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      { name: 'pull-image-write-logs', role: this.executionRole.id, policy: executionPolicyDocument({ repositoryArn: args.image.repositoryArn, logGroupArn: this.logGroup.arn }) },
      parent,
    );

    this.taskRole = new aws.iam.Role(
      `${name}-task`,
      {
        name: `${args.prefix}-campaign-planner-task`,
        description: 'Campaign planner: read the audiences via Athena and the ledger by campaign, queue email requests, record the run',
        assumeRolePolicy: assumedBy('ecs-tasks.amazonaws.com'),
        tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-task-policy`,
      {
        name: 'campaign-planner-athena-queue-runs',
        role: this.taskRole.id,
        policy: analyticsTaskPolicyDocument({
          bucketArn: args.bucketArn,
          processedPrefix: args.processedPrefix,
          resultsPrefix: args.resultsPrefix,
          workgroupArn: args.workgroupArn,
          databaseArn: args.databaseArn,
          databaseName: args.databaseName,
          listPrefixes: [],
          statements: () => [
            // GetQueueUrl: the queue is found by name (QUEUE_PREFIX + email-requests); SendMessage also covers
            // SendMessageBatch, which is how the requests go. The queues are SSE-SQS: no kms grant.
            { Sid: 'QueueEmailRequests', Effect: 'Allow', Action: ['sqs:GetQueueUrl', 'sqs:SendMessage'], Resource: args.requestsQueueArn },
            // The run's record: one conditional update (attribute_not_exists), which creates the item.
            { Sid: 'RecordCampaignRuns', Effect: 'Allow', Action: ['dynamodb:UpdateItem'], Resource: args.runsTableArn },
            // The frequency rules: a campaign's recent recipients, from the ledger's byCampaign index (not the table).
            { Sid: 'ReadSendsByCampaign', Effect: 'Allow', Action: ['dynamodb:Query'], Resource: args.sendsByCampaignIndexArn },
          ],
        }),
      },
      parent,
    );

    const environment = [
      ...analyticsEnvironment({ workgroupName: args.workgroupName, databaseName: args.databaseName, bucketName: args.bucketName, region, studioTimeZone: args.studioTimeZone }),
      { name: 'NODE_OPTIONS', value: heapOption(size) },
      { name: 'QUEUE_PREFIX', value: args.prefix },
      { name: 'TABLE_PREFIX', value: args.prefix },
    ];
    this.taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task-definition`,
      {
        family: `${args.prefix}-campaign-planner`,
        ...fargateTaskShape(size),
        executionRoleArn: this.executionRole.arn,
        taskRoleArn: this.taskRole.arn,
        containerDefinitions: pulumi.jsonStringify([
          {
            name: 'campaign-planner',
            image: args.image.uri,
            essential: true,
            // The same command as `npm run campaigns -- plan` locally: today's campaigns, as of the lake's last day.
            command: tsxCommand(SCRIPT, COMMAND),
            environment,
            logConfiguration: awsLogs(this.logGroup.name, region, COMMAND),
          },
        ]),
        tags: { ...tags, job: 'campaign-planner' },
      },
      parent,
    );

    ({ schedulerRole: this.schedulerRole, schedule: this.schedule } = scheduleTask(this, name, {
      jobName: `${args.prefix}-campaign-planner`,
      label: 'CampaignPlanner',
      policyName: 'run-campaign-planner-task',
      roleDescription: "EventBridge Scheduler: run the campaign planner's task definition in the jobs cluster",
      scheduleDescription: "Plan the day's retention and lifecycle emails: one email request per (campaign, member, period) for the notifier",
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
    this.registerOutputs({ taskDefinitionArn: this.taskDefinitionArn, scheduleName: this.scheduleName, logGroupName: this.logGroupName });
  }
}
