import type * as pulumi from '@pulumi/pulumi';
import { checkJobSize, checkPrefix, type JobSize } from '../scheduled-job.js';
import type { PublicRoute, ServiceSpec } from '../service-spec.js';
import { checkTasks, checkTaskPolicy, listenEnvironment, lakeUri, objectsUnder, queueArnsOf, sendToQueues, serverCommand, type CommonServiceDeps, type LakeBucket, type QueueArns } from './statements.js';

/** Uploads are streamed to S3 (≤ 3 × 5 MiB parts in memory each); the check-in buffer holds ≤ 5,000 rows. Not measured in AWS. */
export const INGEST_SIZE: JobSize = { cpu: 512, memoryMib: 1024 };
export const INGEST_PORT = 4001;
/** Its route on the public load balancer (`PublicLoadBalancer.urlOf('ingest', INGEST_ROUTE)` gives its URL before it is attached). */
export const INGEST_ROUTE: PublicRoute = { subdomain: 'ingest', fallbackPort: INGEST_PORT };
/** The queues ingest announces on (contract names): a new batch, and each real-time check-in. */
export const INGEST_QUEUES = ['raw-landed', 'attendance-events'] as const;

export interface IngestSpecDeps extends CommonServiceDeps {
  lake: LakeBucket;
  /** `lakeZones.raw.prefix` (uploads land here) and `lakeZones.batches.prefix` (records and the content-hash index). */
  rawPrefix: string;
  batchesPrefix: string;
  /** Queue ARNs by logical name; must hold `raw-landed` and `attendance-events`. */
  queueArns: QueueArns;
  /** The secret holding INGEST_API_KEYS (`source:key,…`; ServiceSecrets). */
  apiKeysSecretArn: pulumi.Input<string>;
  /** Fixed task count (HTTP only, nothing to scale on): 1 in dev, 2 in prod for a deploy or a task loss without downtime. */
  desiredCount: number;
}

/**
 * Ingest (services/ingest): the source systems' API. It streams an export into `raw/`, claims its content hash and
 * writes the batch record under `batches/`, announces it on `raw-landed`; real-time check-ins are buffered on the
 * task's disk and written the same way, each also sent to `attendance-events`. HTTP only: a fixed number of tasks.
 */
export function ingestSpec(d: IngestSpecDeps): ServiceSpec {
  checkJobSize('ingest', INGEST_SIZE);
  checkPrefix('rawPrefix', d.rawPrefix);
  checkPrefix('batchesPrefix', d.batchesPrefix);
  const queues = queueArnsOf(d.queueArns, INGEST_QUEUES, 'ingest');
  const bucket = d.lake.bucketArn;
  const taskPolicy = checkTaskPolicy('ingest', [
    // raw-landed: acceptUpload's announce (Queues.send, services/ingest/src/upload/accept-upload.ts); attendance-events:
    // publishBatched's SendMessageBatch (src/checkins/publish.ts); both: the sqs readiness check (libs/service-kit clients/sqs.ts).
    sendToQueues('AnnounceBatchesAndCheckins', queues),
    // S3 authorises HeadBucket (the `lake` readiness check, service-kit clients/s3.ts) as ListBucket, and a HEAD sends no
    // prefix: only a grant without an s3:prefix is matched (it also allows a listing without a prefix: key names only).
    { Sid: 'LakeReadinessHeadBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket], Condition: { Null: { 's3:prefix': 'true' } } },
    // BatchRegistry.list (libs/lake batches/registry.ts) lists batches/; listing raw/ and batches/ turns a missing record,
    // hash claim or copy source into 404 (absent), which the lake adapter expects, instead of 403.
    { Sid: 'ListOwnPrefixes', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket], Condition: { StringLike: { 's3:prefix': [`${d.rawPrefix}*`, `${d.batchesPrefix}*`] } } },
    // Uploads (S3Lake.putStream: multipart above 5 MiB, aborted on failure — leavePartsOnError false); CopyObject when a
    // duplicate adopts a claimed batch (reads the source); DeleteObject of a refused or duplicate upload.
    {
      Sid: 'LandRawUploads',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject', 's3:DeleteObject'],
      Resource: [objectsUnder(bucket, d.rawPrefix)],
    },
    // Batch records and the content-hash index: conditional creates (If-None-Match, no other action), reads, updates.
    { Sid: 'ReadWriteBatchRecords', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [objectsUnder(bucket, d.batchesPrefix)] },
  ]);
  return {
    name: 'ingest',
    command: serverCommand(),
    port: INGEST_PORT,
    healthPath: '/ready',
    ...INGEST_SIZE,
    environment: {
      ...listenEnvironment({ port: INGEST_PORT, logLevel: d.logLevel, size: INGEST_SIZE }),
      AWS_REGION: d.region,
      QUEUE_PREFIX: d.prefix,
      LAKE_URI: lakeUri(d.lake),
      // MAX_UPLOAD_BYTES, CHECKIN_BATCH_* and CHECKIN_SPOOL_DIR keep the service's defaults (the spool: the task's own disk).
    },
    secrets: { INGEST_API_KEYS: d.apiKeysSecretArn },
    taskPolicy,
    desiredCount: checkTasks('ingest desiredCount', d.desiredCount),
    publicRoute: INGEST_ROUTE,
  };
}
