import * as pulumi from '@pulumi/pulumi';
import { checkPrefix, heapOption, JOB_ATHENA_ACTIONS, JOB_GLUE_ACTIONS, RESULTS_S3_ACTIONS, type JobSize } from '../scheduled-job.js';
import type { PolicyStatement } from '../service-spec.js';

/**
 * What the service specs share: the listen and AWS environment every service reads (libs/service-kit `baseConfig`,
 * `awsConfig`, `analyticsConfig`) and the IAM statements of the SDK calls the shared libraries make (service-kit's SQS,
 * DynamoDB and S3 plugins, libs/lake's S3Lake, libs/analytics' AthenaEngine). Each builder names its resources: no `*`.
 */

/** A queue the service uses, by its contract's logical name (`queues.pairs[name].queue.arn`). */
export type QueueArns = Record<string, pulumi.Input<string>>;

/** The lake bucket (DataLake's outputs). */
export interface LakeBucket {
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
}

/** The `analytics` Athena workgroup and the Glue database (Analytics' outputs) and the workgroup's result prefix in the lake. */
export interface AthenaDeps {
  workgroupName: pulumi.Input<string>;
  workgroupArn: pulumi.Input<string>;
  databaseName: pulumi.Input<string>;
  databaseArn: pulumi.Input<string>;
  /** `athena-results/analytics/`: where the workgroup (settings enforced) writes results. */
  resultsPrefix: string;
}

/** What every service spec takes besides its own resources. */
export interface CommonServiceDeps {
  /** `peak-<stage>`: QUEUE_PREFIX / TABLE_PREFIX (physical names `<prefix>-<logical name>`). */
  prefix: string;
  region: pulumi.Input<string>;
  /** pino level of the service (default `info`). */
  logLevel?: string;
}

/**
 * Each service's image (services/<name>/Dockerfile, built by scripts/build-image.ts) holds its server bundled into
 * /app/server.mjs: the command is the image's own CMD, said again so the task definition shows what runs.
 */
export const SERVER_COMMAND: readonly string[] = ['node', 'server.mjs'];
export const serverCommand = (): string[] => [...SERVER_COMMAND];

/** The only variables a spec sets that no service config reads: the Node runtime's and the AWS SDK's own. */
export const RUNTIME_VARIABLES = ['NODE_OPTIONS', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] as const;

/**
 * The listen/log variables of every service (service-kit `baseConfig`): all interfaces (the task's ENI; the default
 * 127.0.0.1 would refuse the load balancer and the health check), no failure details in /ready (it may be public),
 * a heap sized to the task, and no SDK warning about Node 20 on every start.
 */
export function listenEnvironment(p: { port: number; logLevel?: string; size: JobSize }): Record<string, string> {
  return {
    HOST: '0.0.0.0',
    PORT: String(p.port),
    LOG_LEVEL: p.logLevel ?? 'info',
    READY_DETAILS: 'false',
    NODE_OPTIONS: heapOption(p.size),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/**
 * What `analyticsConfig` and LAKE_URI need to query the S3 lake through Athena (as the scheduled jobs have it:
 * `analyticsEnvironment` in scheduled-job.ts). No AWS_ENDPOINT_URL_*: the SDK's default endpoints.
 */
export function athenaEnvironment(lake: LakeBucket, athena: AthenaDeps): Record<string, pulumi.Input<string>> {
  return {
    ANALYTICS_ENGINE: 'athena',
    ATHENA_WORKGROUP: athena.workgroupName,
    GLUE_DATABASE: athena.databaseName,
    LAKE_URI: lakeUri(lake),
  };
}

export const lakeUri = (lake: LakeBucket): pulumi.Output<string> => pulumi.interpolate`s3://${lake.bucketName}/`;

/** `<bucket arn>/<prefix>*`: the objects under one key prefix (checked: no wildcard may widen it). */
export function objectsUnder(bucketArn: pulumi.Input<string>, prefix: string): pulumi.Output<string> {
  checkPrefix('prefix', prefix);
  return pulumi.interpolate`${bucketArn}/${prefix}*`;
}

/** The queue ARNs of these logical names, or an error naming the missing one (a spec must not silently grant less). */
export function queueArnsOf(queues: QueueArns, names: readonly string[], service: string): pulumi.Input<string>[] {
  return names.map((name) => {
    const arn = queues[name];
    if (arn === undefined) throw new Error(`${service}: no ARN for the ${name} queue in the deps (queues by logical name)`);
    return arn;
  });
}

/**
 * Producing to contract queues through service-kit's `Queues`: GetQueueUrl (queues are found by name, never built by
 * hand), GetQueueAttributes (the `sqs` readiness check asks each queue for its ARN), SendMessage (also authorises
 * SendMessageBatch). The queues are SSE-SQS: no kms grant.
 */
export const sendToQueues = (sid: string, arns: pulumi.Input<string>[]): PolicyStatement => ({
  Sid: sid,
  Effect: 'Allow',
  Action: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:SendMessage'],
  Resource: arns,
});

/**
 * Consuming contract queues with sqs-consumer: ReceiveMessage, DeleteMessage (DeleteMessageBatch), GetQueueUrl and the
 * readiness check's GetQueueAttributes; ChangeMessageVisibility (and its batch form) only where the consumer changes
 * visibility (a heartbeat, `terminateVisibilityTimeout`, or the service's own hold) — `changesVisibility`, default true.
 */
export const consumeQueues = (sid: string, arns: pulumi.Input<string>[], changesVisibility = true): PolicyStatement => ({
  Sid: sid,
  Effect: 'Allow',
  Action: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', ...(changesVisibility ? ['sqs:ChangeMessageVisibility'] : [])],
  Resource: arns,
});

/**
 * Querying the lake through the `analytics` workgroup (libs/analytics AthenaEngine: Start/Get/GetResults/Stop), the
 * catalog reads Athena makes in the caller's name, the processed zone it reads, and the workgroup's results; listing
 * under `listPrefixes` too (a missing object then reads as 404, not 403). The same grants as a scheduled job's
 * `analyticsTaskPolicyDocument`, as statements.
 */
export function athenaReadStatements(p: { lake: LakeBucket; athena: AthenaDeps; processedPrefix: string; listPrefixes?: string[] }): PolicyStatement[] {
  checkPrefix('processedPrefix', p.processedPrefix);
  checkPrefix('resultsPrefix', p.athena.resultsPrefix);
  for (const prefix of p.listPrefixes ?? []) checkPrefix('listPrefixes', prefix);
  // The catalog and table ARNs share the database ARN's partition, region and account (arn:aws:glue:<region>:<account>).
  const glue = pulumi.output(p.athena.databaseArn).apply((arn) => arn.split(':').slice(0, 5).join(':'));
  return [
    { Sid: 'QueryInAnalyticsWorkgroup', Effect: 'Allow', Action: [...JOB_ATHENA_ACTIONS], Resource: [p.athena.workgroupArn] },
    {
      Sid: 'ReadCatalog',
      Effect: 'Allow',
      Action: [...JOB_GLUE_ACTIONS],
      Resource: [pulumi.interpolate`${glue}:catalog`, p.athena.databaseArn, pulumi.interpolate`${glue}:table/${p.athena.databaseName}/*`],
    },
    // Athena checks where the result bucket is before it writes; this reveals nothing about its objects.
    { Sid: 'LocateLakeBucket', Effect: 'Allow', Action: ['s3:GetBucketLocation'], Resource: [p.lake.bucketArn] },
    {
      Sid: 'ListQueriedPrefixes',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [p.lake.bucketArn],
      Condition: { StringLike: { 's3:prefix': [`${p.processedPrefix}*`, ...(p.listPrefixes ?? []).map((prefix) => `${prefix}*`), `${p.athena.resultsPrefix}*`] } },
    },
    { Sid: 'ReadProcessedZone', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objectsUnder(p.lake.bucketArn, p.processedPrefix)] },
    { Sid: 'AnalyticsQueryResults', Effect: 'Allow', Action: [...RESULTS_S3_ACTIONS], Resource: [objectsUnder(p.lake.bucketArn, p.athena.resultsPrefix)] },
  ];
}

/** Every statement's actions: the specs' tests and the PlatformService may assert on them. */
export const actionsOf = (statements: readonly PolicyStatement[]): string[] => statements.flatMap((s) => s.Action);

/**
 * Refuses a policy with an action wildcard or a `*` resource outside `starAllowed` (actions AWS offers no resource
 * type for, e.g. `ses:GetAccount`), and duplicate Sids. Every spec runs it on its own statements.
 */
export function checkTaskPolicy(service: string, statements: readonly PolicyStatement[], starAllowed: readonly string[] = []): PolicyStatement[] {
  const sids = new Set<string>();
  for (const s of statements) {
    if (s.Sid !== undefined) {
      if (sids.has(s.Sid)) throw new Error(`${service}: statement ${s.Sid} appears twice`);
      sids.add(s.Sid);
    }
    if (s.Action.length === 0 || s.Resource.length === 0) throw new Error(`${service}: statement ${s.Sid ?? '?'} has no action or no resource`);
    for (const action of s.Action) if (action.includes('*')) throw new Error(`${service}: action wildcard ${action} in ${s.Sid ?? '?'}`);
    if (s.Resource.includes('*') && !s.Action.every((a) => starAllowed.includes(a))) {
      throw new Error(`${service}: "*" resource for ${s.Action.join(', ')} in ${s.Sid ?? '?'}; only ${starAllowed.join(', ') || 'nothing'} may have it`);
    }
  }
  return [...statements];
}

/** SEND_RATE_SHARE-style share 1/n as the config parses it back (a short decimal, never above 1). */
export function shareOf(tasks: number): string {
  if (!Number.isSafeInteger(tasks) || tasks < 1) throw new Error(`a task count must be a whole number ≥ 1; got ${tasks}`);
  // Rounded down, so n shares never add up to more than the whole.
  return String(Math.floor(1e6 / tasks) / 1e6);
}

/** A count of tasks, checked: a whole number in [min, max]. */
export function checkTasks(what: string, n: number, min = 1, max = 20): number {
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${what} must be a whole number from ${min} to ${max}; got ${n}`);
  return n;
}
