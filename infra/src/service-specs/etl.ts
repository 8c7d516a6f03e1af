import type * as pulumi from '@pulumi/pulumi';
import { DATASET_NAMES, type DatasetName } from '@peak/contracts';
import { checkJobSize, checkPrefix, type JobSize } from '../scheduled-job.js';
import type { ServiceSpec } from '../service-spec.js';
import { checkTaskPolicy, consumeQueues, lakeUri, listenEnvironment, objectsUnder, queueArnsOf, sendToQueues, serverCommand, type CommonServiceDeps, type LakeBucket, type QueueArns } from './statements.js';

/** The batches run in Glue; the task waits on runs and runs replays (DuckDB in-process, a batch's quarantine at a time). */
export const ETL_SIZE: JobSize = { cpu: 512, memoryMib: 2048 };
/** services/etl/src/service/config.ts: servicePort(4004). */
export const ETL_PORT = 4004;
/** The queues by contract name: consumed, watched (never deleted from: left for a redrive), sent to. */
export const ETL_QUEUES = { consumed: 'raw-landed', deadLetters: 'raw-landed-dlq', announced: 'batch-processed' } as const;
/** How long past the Glue job's own timeout the worker waits before stopping a run itself (Glue's TIMEOUT comes first). */
export const GLUE_WAIT_MARGIN_SECONDS = 600;

export interface EtlSpecDeps extends CommonServiceDeps {
  lake: LakeBucket;
  /** lakeZones' prefixes: batch records, and the zones replay reads and writes. */
  batchesPrefix: string;
  processedPrefix: string;
  quarantinePrefix: string;
  /** Queue ARNs by logical name; must hold raw-landed, raw-landed-dlq and batch-processed. */
  queueArns: QueueArns;
  /** The EtlGlueJob: name, ARN and timeout (minutes). */
  glueJob: { name: pulumi.Input<string>; arn: pulumi.Input<string>; timeoutMinutes: number };
  /** The secret holding ETL_ADMIN_KEY, the replay endpoint's bearer key (ServiceSecrets' `etlAdminKey`). */
  adminKeySecretArn: pulumi.Input<string>;
  datasets?: readonly DatasetName[];
}

/**
 * The ETL service (services/etl) in AWS: the raw-landed worker as the Glue job's dispatcher (ETL_EXECUTOR=glue: one Glue
 * run per batch, started and awaited, docs/pipeline.md "How a run is started"), the dead-letter watch, and the replay and
 * status API. Not public: replay is called from inside the VPC with ETL_ADMIN_KEY. One task, never scaled out: batches of
 * a dataset must not run at the same moment (ALREADY_PROCESSED is exact only then); the worker takes one message at a
 * time, and the job's MaxConcurrentRuns 1 keeps it so during a rolling deploy (the new task's start waits for the old
 * task's run).
 */
export function etlSpec(d: EtlSpecDeps): ServiceSpec {
  checkJobSize('etl', ETL_SIZE);
  for (const [what, prefix] of Object.entries({ batchesPrefix: d.batchesPrefix, processedPrefix: d.processedPrefix, quarantinePrefix: d.quarantinePrefix })) checkPrefix(what, prefix);
  const [rawLanded, deadLetters, announced] = queueArnsOf(d.queueArns, [ETL_QUEUES.consumed, ETL_QUEUES.deadLetters, ETL_QUEUES.announced], 'etl');
  const bucket = d.lake.bucketArn;
  const datasets = d.datasets ?? DATASET_NAMES;
  // Replay (services/etl/src/service/replay.ts) reads a batch's quarantine and the processed files of its dataset and
  // references (lake-files.ts), writes both zones and deletes the superseded quarantine object.
  const dataPrefixes = datasets.flatMap((ds) => [`${d.processedPrefix}${ds}/`, `${d.quarantinePrefix}${ds}/`]);
  const taskPolicy = checkTaskPolicy('etl', [
    // sqs-consumer (worker.ts): receive, delete after the batch, heartbeat and retry delay change visibility; readiness.
    consumeQueues('ConsumeRawLanded', [rawLanded!], true),
    // watchDeadLetters: receives with its own visibility timeout and never deletes (shouldDeleteMessages: false).
    { Sid: 'WatchDeadLetters', Effect: 'Allow', Action: ['sqs:GetQueueUrl', 'sqs:ReceiveMessage'], Resource: [deadLetters!] },
    // The DLQ watch, the last-receive mark and replay announce; the job announces its own batches with its own role.
    sendToQueues('AnnounceBatches', [announced!]),
    // processBatchOnGlue (glue-executor.ts): start with --batch_id, poll, stop a run it gave up on. This job only.
    { Sid: 'RunEtlGlueJob', Effect: 'Allow', Action: ['glue:StartJobRun', 'glue:GetJobRun', 'glue:BatchStopJobRun'], Resource: [d.glueJob.arn] },
    // HeadBucket (the `lake` readiness check: libs/lake fastify.ts → service-kit s3Plugin) is authorised as a prefix-less ListBucket.
    { Sid: 'LakeReadinessHeadBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket], Condition: { Null: { 's3:prefix': 'true' } } },
    // Replay lists the reference and earlier files; listing batches/ makes a missing record a 404, as the lake adapter expects.
    { Sid: 'ListOwnPrefixes', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket], Condition: { StringLike: { 's3:prefix': [d.batchesPrefix, ...dataPrefixes].map((p) => `${p}*`) } } },
    // Records: read before and after each run; written by the DLQ watch, the last-receive mark and replay. Never raw/.
    { Sid: 'ReadWriteBatchRecords', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [objectsUnder(bucket, d.batchesPrefix)] },
    {
      Sid: 'ReplayQuarantine',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      Resource: dataPrefixes.map((p) => objectsUnder(bucket, p)),
    },
  ]);
  return {
    name: 'etl',
    // Its server is under src/service/ (as the local launcher starts it: tools/local-platform parts.ts), not src/server.ts.
    command: serverCommand(),
    port: ETL_PORT,
    healthPath: '/ready',
    ...ETL_SIZE,
    environment: {
      ...listenEnvironment({ port: ETL_PORT, logLevel: d.logLevel, size: ETL_SIZE }),
      AWS_REGION: d.region,
      QUEUE_PREFIX: d.prefix,
      LAKE_URI: lakeUri(d.lake),
      ETL_EXECUTOR: 'glue',
      ETL_GLUE_JOB_NAME: d.glueJob.name,
      ETL_GLUE_RUN_TIMEOUT_SECONDS: String(d.glueJob.timeoutMinutes * 60 + GLUE_WAIT_MARGIN_SECONDS),
      // ETL_WORK_DIR (replay scratch: the task's disk), ETL_VISIBILITY_SECONDS, ETL_GLUE_POLL_SECONDS and
      // ETL_GLUE_START_WAIT_SECONDS keep the service's defaults.
    },
    secrets: { ETL_ADMIN_KEY: d.adminKeySecretArn },
    taskPolicy,
    desiredCount: 1,
  };
}
