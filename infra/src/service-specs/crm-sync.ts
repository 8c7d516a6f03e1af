import * as pulumi from '@pulumi/pulumi';
import { checkJobSize, checkPrefix, type JobSize } from '../scheduled-job.js';
import type { ServiceSpec } from '../service-spec.js';
import { athenaEnvironment, athenaReadStatements, checkTaskPolicy, listenEnvironment, objectsUnder, serverCommand, type AthenaDeps, type CommonServiceDeps, type LakeBucket } from './statements.js';

/** `POST /v1/runs` runs a whole sync in the service: the daily job's size (crm-sync-job.ts DEFAULT_CRM_SYNC_SIZE). */
export const CRM_SYNC_SIZE: JobSize = { cpu: 512, memoryMib: 2048 };
export const CRM_SYNC_PORT = 4003;

export interface CrmSyncSpecDeps extends CommonServiceDeps {
  lake: LakeBucket;
  athena: AthenaDeps;
  /** The same prefixes the daily job (CrmSyncJob) is given: a run from the API does exactly what a scheduled one does. */
  processedPrefix: string;
  relationPrefixes: string[];
  modelsPrefix: string;
  statePrefix: string;
  stateDeletes: string[];
  studioTimeZone: string;
  /** HUBSPOT_REQUESTS_PER_10S / HUBSPOT_DAILY_BUDGET, as the job's (one private app, one rate limit; the run lock keeps runs apart). */
  hubspot: { requestsPerTenSeconds: number; dailyBudget?: number };
  /** The HubSpot token's secret (CrmSyncJob.secretArn): the service calls HubSpot (runs, and /ready's property list). */
  hubspotTokenSecretArn: pulumi.Input<string>;
  /** The secret holding CRM_SYNC_API_KEYS (bearer keys of /v1/runs; ServiceSecrets). */
  apiKeysSecretArn: pulumi.Input<string>;
}

const KEY_PATTERN = /^[a-z0-9_-]+(\/[a-z0-9_-]+)*\/[a-z0-9_.-]+$/;

/**
 * crm-sync's API service (services/crm-sync/src/server.ts): `POST /v1/runs` starts a sync by hand (or a dry run),
 * `GET /v1/runs[/:id]` reads the run records. The daily sync is the scheduled CrmSyncJob, so the service's own
 * schedule is off. A run here is the job's run: the same lake and Athena grants (crm-sync-job.ts), the same HubSpot
 * token. Internal: no public route, one task (a second run would only find the lock taken).
 */
export function crmSyncSpec(d: CrmSyncSpecDeps): ServiceSpec {
  checkJobSize('crm-sync', CRM_SYNC_SIZE);
  for (const [what, prefix] of [['modelsPrefix', d.modelsPrefix], ['statePrefix', d.statePrefix]] as const) checkPrefix(what, prefix);
  if (d.relationPrefixes.length === 0) throw new Error('crm-sync: relationPrefixes: a run writes at least one relation');
  for (const relation of d.relationPrefixes) {
    checkPrefix('relationPrefixes', relation);
    if (!relation.startsWith(d.processedPrefix) || relation === d.processedPrefix) throw new Error(`crm-sync: relation ${relation} must be one relation inside ${d.processedPrefix}`);
  }
  for (const target of d.stateDeletes) {
    if (target.endsWith('/')) checkPrefix('stateDeletes', target);
    else if (!KEY_PATTERN.test(target)) throw new Error(`crm-sync: stateDeletes: ${JSON.stringify(target)} must be a key prefix ending in "/" or a single key`);
    if (!target.startsWith(d.statePrefix)) throw new Error(`crm-sync: stateDeletes: ${target} must be inside ${d.statePrefix}`);
  }
  const { requestsPerTenSeconds, dailyBudget } = d.hubspot;
  if (!Number.isSafeInteger(requestsPerTenSeconds) || requestsPerTenSeconds < 1) throw new Error(`crm-sync: hubspot.requestsPerTenSeconds must be a whole number above 0; got ${requestsPerTenSeconds}`);
  if (dailyBudget !== undefined && (!Number.isSafeInteger(dailyBudget) || dailyBudget < 1)) throw new Error(`crm-sync: hubspot.dailyBudget must be a whole number above 0; got ${dailyBudget}`);
  const bucket = d.lake.bucketArn;
  const taskPolicy = checkTaskPolicy('crm-sync', [
    // The sync's reads (src/sync/read-input.ts through libs/analytics); listing its state and the models turns a missing
    // state, lock or model into 404; GET /v1/runs lists crm-sync/runs/.
    ...athenaReadStatements({ lake: d.lake, athena: d.athena, processedPrefix: d.processedPrefix, listPrefixes: [d.modelsPrefix, d.statePrefix] }),
    // One Parquet file per run and relation (src/sync/lake-records.ts); a large one is multipart, aborted if it fails.
    { Sid: 'WriteSyncRelations', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: d.relationPrefixes.map((relation) => objectsUnder(bucket, relation)) },
    // The band thresholds of the model that made the scores.
    { Sid: 'ReadChurnModels', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objectsUnder(bucket, d.modelsPrefix)] },
    // State, acks, run records and the lock (a conditional put, If-None-Match: no other action) — src/sync/state.ts, lock.ts.
    { Sid: 'ReadWriteSyncState', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [objectsUnder(bucket, d.statePrefix)] },
    // A run deletes the acks folded into the state, and its lock (or an expired one it takes over).
    {
      Sid: 'DeleteSyncAcksAndLock',
      Effect: 'Allow',
      Action: ['s3:DeleteObject'],
      Resource: d.stateDeletes.map((target) => (target.endsWith('/') ? objectsUnder(bucket, target) : pulumi.interpolate`${bucket}/${target}`)),
    },
  ]);
  return {
    name: 'crm-sync',
    command: serverCommand(),
    port: CRM_SYNC_PORT,
    healthPath: '/ready',
    ...CRM_SYNC_SIZE,
    environment: {
      ...listenEnvironment({ port: CRM_SYNC_PORT, logLevel: d.logLevel, size: CRM_SYNC_SIZE }),
      // No config key of crm-sync's: the AWS SDK's (Athena, S3 clients built without a region).
      AWS_REGION: d.region,
      STUDIO_TIME_ZONE: d.studioTimeZone,
      ...athenaEnvironment(d.lake, d.athena),
      HUBSPOT_REQUESTS_PER_10S: String(requestsPerTenSeconds),
      ...(dailyBudget === undefined ? {} : { HUBSPOT_DAILY_BUDGET: String(dailyBudget) }),
      // EventBridge Scheduler starts the daily run (CrmSyncJob); HUBSPOT_BASE_URL keeps its default, api.hubapi.com.
      CRM_SYNC_SCHEDULE: 'off',
    },
    secrets: { HUBSPOT_ACCESS_TOKEN: d.hubspotTokenSecretArn, CRM_SYNC_API_KEYS: d.apiKeysSecretArn },
    taskPolicy,
    desiredCount: 1,
  };
}
