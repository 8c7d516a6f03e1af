import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Type, { type Static, type TObject } from 'typebox';
import { awsConfig, baseConfig, loadConfig, servicePort } from '@peak/service-kit';

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
  ETL_ADMIN_KEY: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{16,}$',
      description: 'Bearer key for the admin endpoints (quarantine replay); unset = those endpoints are refused',
    }),
  ),
};

export type Config = Static<TObject<typeof configSchema>>;

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(configSchema, env);
