import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Type, { type Static, type TObject } from 'typebox';
import { awsConfig, baseConfig, ConfigError, loadConfig, servicePort } from '@peak/service-kit';

export const configSchema = {
  ...baseConfig,
  PORT: servicePort(4004),
  ...awsConfig,
  LAKE_URI: Type.String({
    pattern: '^(file:///.+|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?)$',
    description: 'Where the data lake lives: `file:///absolute/folder` (local) or `s3://bucket[/prefix]` (AWS)',
  }),
  ETL_WORK_DIR: Type.String({
    minLength: 1,
    default: join(tmpdir(), 'peak-etl'),
    description: 'Scratch folder for raw files and outputs while a batch runs (each batch cleans up after itself)',
  }),
  ETL_VISIBILITY_SECONDS: Type.Integer({
    minimum: 10,
    maximum: 43_200,
    default: 300,
    description: 'How long a received raw-landed message stays hidden; the worker extends it while a batch runs',
  }),
  ETL_EXECUTOR: Type.Union([Type.Literal('duckdb'), Type.Literal('glue')], {
    default: 'duckdb',
    description: 'Where a batch runs: `duckdb` (in this process) or `glue` (an AWS Glue job run per batch, ETL_GLUE_JOB_NAME; this worker starts it and waits)',
  }),
  ETL_GLUE_JOB_NAME: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9_.-]{1,255}$', description: 'The Glue job that runs a batch (ETL_EXECUTOR=glue), e.g. peak-dev-etl' }),
  ),
  ETL_GLUE_POLL_SECONDS: Type.Number({
    minimum: 0.01,
    maximum: 300,
    default: 30,
    description: 'Longest wait between two GetJobRun calls (ETL_EXECUTOR=glue); polling starts at 1 s (or this, if less) and doubles',
  }),
  ETL_GLUE_RUN_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 43_200,
    default: 4_200,
    description: 'How long a delivery waits for its Glue run before stopping it and letting the message be redelivered; set it above the job\'s own timeout',
  }),
  ETL_GLUE_START_WAIT_SECONDS: Type.Integer({
    minimum: 0,
    maximum: 43_200,
    default: 3_600,
    description: 'How long a delivery keeps retrying a start Glue refuses for concurrency (ConcurrentRunsExceededException) before it counts as a failed attempt',
  }),
  ETL_ADMIN_KEY: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{16,}$',
      description: 'Bearer key for the admin endpoints (quarantine replay); unset = those endpoints are refused',
    }),
  ),
};

export type Config = Static<TObject<typeof configSchema>>;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = loadConfig(configSchema, env);
  // A Glue executor without a job would fail on every batch: say it at boot.
  if (config.ETL_EXECUTOR === 'glue' && config.ETL_GLUE_JOB_NAME === undefined) {
    throw new ConfigError(['ETL_GLUE_JOB_NAME: required with ETL_EXECUTOR=glue (the Glue job that runs a batch, e.g. peak-dev-etl)']);
  }
  return config;
}
