import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { DATASET_NAMES, type DatasetName } from '@peak/contracts';
// The bundle builder itself (not a copy of its output): script and bundles come from the same commit.
import { bundleToJson, jobBundle, type BundleStep, type JobBundle } from '@peak/etl/glue/bundle';
import { assumedBy, checkPrefix } from './scheduled-job.js';

/** The Glue job's script, deployed as it is in the repo. */
export const ETL_JOB_SCRIPT = fileURLToPath(new URL('../../services/etl/glue/peak_etl_job.py', import.meta.url));
/**
 * The `duckdb` wheel the job installs. @duckdb/node-api embeds 1.5.6; 1.4.5 is the newest release known here to ship a
 * wheel for Glue's Python 3.9 (docs/pipeline.md). Override with the `etlGlueDuckdbVersion` stack key once 1.5 is confirmed.
 */
export const DEFAULT_ETL_DUCKDB_VERSION = '1.4.5';
/** 1/16 DPU (1 GB): a sixteenth of a DPU-hour per hour; 1 (16 GB) for batches of several GB. Glue allows only these two. */
export const ETL_GLUE_CAPACITIES = [0.0625, 1] as const;
export const DEFAULT_ETL_GLUE_TIMEOUT_MINUTES = 60;
/** A run plus the worker's margin must end within SQS's 12-hour visibility limit (the message is held meanwhile). */
export const MAX_ETL_GLUE_TIMEOUT_MINUTES = 600;
/** Where Python-shell jobs log (Glue's fixed log groups `/aws-glue/python-jobs/output` and `/error`). */
export const PYTHON_SHELL_LOG_GROUPS = '/aws-glue/python-jobs/';
/** Artifacts live under `etl/<version>/`: a new script or plan is a new prefix, switched in one job update. */
export const ARTIFACTS_PREFIX = 'etl/';

export type EtlEngine = 'duckdb' | 'spark';

export interface EtlGlueJobArgs {
  /** Physical name prefix (`peak-<stage>`): job `<prefix>-etl`, role `<prefix>-etl-glue`, bucket `<prefix>-etl-artifacts-…`. */
  prefix: string;
  /** `duckdb` (the Python-shell job); `spark` is refused until a Spark job exists (see the class comment). */
  engine: EtlEngine;
  /** The lake bucket (DataLake's outputs); the job's `--lake_uri` is `s3://<bucket>/`, as the services' LAKE_URI. */
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** Zone prefixes of the lake, each ending in `/` (lakeZones' raw, processed, quarantine, batches). */
  zones: { raw: string; processed: string; quarantine: string; batches: string };
  /** The `batch-processed` queue the job announces on. */
  processedQueue: { url: pulumi.Input<string>; arn: pulumi.Input<string> };
  /** `--max_attempts`: raw-landed's maxReceiveCount, so the run on the last receive marks the batch failed. */
  maxAttempts: number;
  /** Runs at once: at least the number of ETL workers (each waits for its own run). Default 1. */
  maxConcurrentRuns?: number;
  /** DPU of a Python-shell run: 0.0625 (default) or 1. */
  maxCapacity?: number;
  /** Minutes before Glue stops a run (TIMEOUT); the worker's ETL_GLUE_RUN_TIMEOUT_SECONDS must be above it. */
  timeoutMinutes?: number;
  duckdbVersion?: string;
  /** The bundles to deploy; default: rendered now from the plan of every dataset (jobBundle). */
  bundles?: JobBundle[];
  /** The job script's path; default: services/etl/glue/peak_etl_job.py. */
  scriptPath?: string;
  tags?: Record<string, string>;
}

/** Datasets whose processed zone a bundle reads: its own (earlier batches) and its references. */
export function datasetsRead(bundle: JobBundle): DatasetName[] {
  const found = new Set<DatasetName>([bundle.dataset]);
  const walk = (steps: BundleStep[]): void => {
    for (const step of steps) {
      if (step.run === 'steps') walk(step.steps);
      else if (step.run === 'host' && step.action.name === 'referenceFiles') found.add(step.action.dataset as DatasetName);
    }
  };
  walk(bundle.steps);
  return [...found].sort();
}

/** The artifacts' version: a hash of the script and every bundle, so one cannot change without the other's key. */
export function artifactsVersion(script: string, bundles: JobBundle[]): string {
  const hash = createHash('sha256').update(script);
  for (const b of [...bundles].sort((x, y) => x.dataset.localeCompare(y.dataset))) hash.update(`\0${b.dataset}\0${bundleToJson(b)}`);
  return hash.digest('hex').slice(0, 16);
}

function checkArgs(args: EtlGlueJobArgs): void {
  if (args.engine === 'spark') {
    throw new Error(
      'etlEngine: spark is not available yet: there is no Glue Spark job script. The Spark SQL (services/etl/src/plan/render-spark.ts) ' +
        'is golden-tested text only, and the host steps the DuckDB job does in Python (CSV header, line numbers of quarantined records, ' +
        'the conservation check, the commit manifest) have no Spark equivalent (docs/pipeline.md, "DuckDB by default, Spark for big batches"). ' +
        'Use etlEngine: duckdb (with etlGlueMaxCapacity: 1 for big batches).',
    );
  }
  if (args.engine !== 'duckdb') throw new Error(`etlEngine must be duckdb or spark; got ${JSON.stringify(args.engine)}`);
  for (const [zone, prefix] of Object.entries(args.zones)) checkPrefix(`zones.${zone}`, prefix);
  const capacity = args.maxCapacity ?? ETL_GLUE_CAPACITIES[0];
  if (!(ETL_GLUE_CAPACITIES as readonly number[]).includes(capacity)) throw new Error(`maxCapacity of a Python-shell job must be 0.0625 or 1; got ${capacity}`);
  const runs = args.maxConcurrentRuns ?? 1;
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`maxConcurrentRuns must be a whole number above 0; got ${runs}`);
  const timeout = args.timeoutMinutes ?? DEFAULT_ETL_GLUE_TIMEOUT_MINUTES;
  if (!Number.isSafeInteger(timeout) || timeout < 1 || timeout > MAX_ETL_GLUE_TIMEOUT_MINUTES) {
    throw new Error(`timeoutMinutes must be 1 to ${MAX_ETL_GLUE_TIMEOUT_MINUTES}: the worker holds the raw-landed message while the run goes, and SQS keeps a message hidden 12 hours at most; got ${timeout}`);
  }
  if (!Number.isSafeInteger(args.maxAttempts) || args.maxAttempts < 1) throw new Error(`maxAttempts must be a whole number above 0; got ${args.maxAttempts}`);
  if (!/^\d+\.\d+\.\d+$/.test(args.duckdbVersion ?? DEFAULT_ETL_DUCKDB_VERSION)) throw new Error(`duckdbVersion must be a release like 1.4.5; got ${args.duckdbVersion}`);
}

/**
 * The ETL's AWS Glue job (docs/pipeline.md, "Running in AWS: the Glue job"): the Python-shell job running
 * services/etl/glue/peak_etl_job.py with DuckDB, one run per batch, started by the ETL service's worker
 * (ETL_EXECUTOR=glue) with `--batch_id`; its own private artifacts bucket holding the script and the
 * dataset bundles of the same commit; and the job's least-privilege role. MaxRetries 0: retries are SQS's.
 * `engine: spark` is refused with the reason (no Spark script exists).
 */
export class EtlGlueJob extends pulumi.ComponentResource {
  readonly artifactsBucket: aws.s3.Bucket;
  readonly script: aws.s3.BucketObjectv2;
  readonly bundles: aws.s3.BucketObjectv2[];
  readonly role: aws.iam.Role;
  readonly job: aws.glue.Job;
  readonly jobName: pulumi.Output<string>;
  readonly jobArn: pulumi.Output<string>;
  readonly artifactsBucketName: pulumi.Output<string>;
  /** `etl/<version>/`: where this deploy's script and bundles are. */
  readonly artifactsPrefix: string;

  constructor(name: string, args: EtlGlueJobArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArgs(args);
    super('peak:etl:EtlGlueJob', name, {}, opts);
    const parent = { parent: this };
    const tags = { ...(args.tags ?? {}), component: 'etl-glue-job' };
    const bundles = args.bundles ?? DATASET_NAMES.map((d) => jobBundle(d));
    const scriptPath = args.scriptPath ?? ETL_JOB_SCRIPT;
    const version = artifactsVersion(readFileSync(scriptPath, 'utf8'), bundles);
    this.artifactsPrefix = `${ARTIFACTS_PREFIX}${version}/`;

    // A bucket of its own rather than a prefix in the lake: code, not data; no lake lifecycle rule or lake grant reaches it.
    this.artifactsBucket = new aws.s3.Bucket(`${args.prefix}-etl-artifacts`, { forceDestroy: false, tags }, parent);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-artifacts-public-access`,
      { bucket: this.artifactsBucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-artifacts-sse`,
      { bucket: this.artifactsBucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
      parent,
    );
    new aws.s3.BucketPolicy(
      `${name}-artifacts-tls-only`,
      {
        bucket: this.artifactsBucket.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [this.artifactsBucket.arn, pulumi.interpolate`${this.artifactsBucket.arn}/*`],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        }),
      },
      // S3 refuses a bucket policy while the public-access block is being put.
      { parent: this, dependsOn: [publicAccess] },
    );

    const key = (file: string) => `${this.artifactsPrefix}${file}`;
    this.script = new aws.s3.BucketObjectv2(
      `${name}-script`,
      { bucket: this.artifactsBucket.id, key: key('peak_etl_job.py'), source: new pulumi.asset.FileAsset(scriptPath), contentType: 'text/x-python', tags },
      parent,
    );
    this.bundles = bundles.map(
      (b) =>
        new aws.s3.BucketObjectv2(
          `${name}-bundle-${b.dataset}`,
          { bucket: this.artifactsBucket.id, key: key(`bundles/${b.dataset}.bundle.json`), content: bundleToJson(b), contentType: 'application/json', tags },
          parent,
        ),
    );

    const region = aws.getRegionOutput({}, parent).region;
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    this.role = new aws.iam.Role(`${name}-role`, { name: `${args.prefix}-etl-glue`, assumeRolePolicy: assumedBy('glue.amazonaws.com'), tags }, parent);
    new aws.iam.RolePolicy(
      `${name}-role-policy`,
      {
        role: this.role.id,
        policy: glueJobPolicyDocument({
          artifactsObjects: pulumi.interpolate`${this.artifactsBucket.arn}/${ARTIFACTS_PREFIX}*`,
          bucketArn: args.bucketArn,
          zones: args.zones,
          datasetsWritten: bundles.map((b) => b.dataset).sort(),
          datasetsRead: [...new Set(bundles.flatMap(datasetsRead))].sort(),
          processedQueueArn: args.processedQueue.arn,
          logGroups: pulumi.interpolate`arn:aws:logs:${region}:${account}:log-group:${PYTHON_SHELL_LOG_GROUPS}*`,
        }),
      },
      parent,
    );

    this.job = new aws.glue.Job(
      `${name}-job`,
      {
        name: `${args.prefix}-etl`,
        description: 'Peak Fitness ETL of one batch (services/etl/glue/peak_etl_job.py); started per raw-landed message by the ETL service',
        roleArn: this.role.arn,
        // Glue 3.0 is the Python-shell runtime of Python 3.9.
        glueVersion: '3.0',
        command: { name: 'pythonshell', pythonVersion: '3.9', scriptLocation: pulumi.interpolate`s3://${this.artifactsBucket.bucket}/${key('peak_etl_job.py')}` },
        maxCapacity: args.maxCapacity ?? ETL_GLUE_CAPACITIES[0],
        maxRetries: 0, // SQS redelivers: a Glue retry would run beside the next delivery's run
        timeout: args.timeoutMinutes ?? DEFAULT_ETL_GLUE_TIMEOUT_MINUTES,
        executionProperty: { maxConcurrentRuns: args.maxConcurrentRuns ?? 1 },
        defaultArguments: {
          '--bundle_uri': pulumi.interpolate`s3://${this.artifactsBucket.bucket}/${key('bundles/{dataset}.bundle.json')}`,
          '--lake_uri': pulumi.interpolate`s3://${args.bucketName}/`,
          '--processed_queue_url': args.processedQueue.url,
          '--max_attempts': String(args.maxAttempts),
          '--additional-python-modules': `duckdb==${args.duckdbVersion ?? DEFAULT_ETL_DUCKDB_VERSION}`,
        },
        tags,
      },
      // The job points at the new script only once it is uploaded.
      { parent: this, dependsOn: [this.script, ...this.bundles] },
    );

    this.jobName = this.job.name;
    this.jobArn = this.job.arn;
    this.artifactsBucketName = this.artifactsBucket.bucket;
    this.registerOutputs({ jobName: this.jobName, jobArn: this.jobArn, artifactsBucketName: this.artifactsBucketName });
  }
}

export interface GlueJobPolicyArgs {
  artifactsObjects: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  zones: EtlGlueJobArgs['zones'];
  datasetsWritten: DatasetName[];
  datasetsRead: DatasetName[];
  processedQueueArn: pulumi.Input<string>;
  logGroups: pulumi.Input<string>;
}

/**
 * What peak_etl_job.py touches, and no more: the batch records (read, write), the raw objects of its datasets (read),
 * the processed zone of its datasets and their references (list, read), its outputs (processed/ and quarantine/ of
 * its datasets: write, delete what an earlier attempt published, abort a failed multipart upload), batch-processed.
 */
export function glueJobPolicyDocument(p: GlueJobPolicyArgs): pulumi.Output<string> {
  const obj = (prefix: string) => pulumi.interpolate`${p.bucketArn}/${prefix}*`;
  const per = (zone: string, datasets: DatasetName[]) => datasets.map((d) => `${zone}${d}/`);
  const outputs = [...per(p.zones.processed, p.datasetsWritten), ...per(p.zones.quarantine, p.datasetsWritten)];
  const read = [p.zones.batches, ...per(p.zones.raw, p.datasetsWritten), ...per(p.zones.processed, p.datasetsRead)];
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      // Glue fetches the script, the job its bundle.
      { Sid: 'Artifacts', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [p.artifactsObjects] },
      // Listing: the earlier batches' and references' files; and without it a missing record or raw object is a 403, not the 404 the job expects.
      { Sid: 'LakeList', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [p.bucketArn], Condition: { StringLike: { 's3:prefix': read.map((r) => `${r}*`) } } },
      { Sid: 'LakeRead', Effect: 'Allow', Action: ['s3:GetObject'], Resource: read.map(obj) },
      { Sid: 'BatchRecords', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [obj(p.zones.batches)] },
      { Sid: 'Outputs', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'], Resource: outputs.map(obj) },
      { Sid: 'Announce', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [p.processedQueueArn] },
      { Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [p.logGroups] },
    ],
  });
}
