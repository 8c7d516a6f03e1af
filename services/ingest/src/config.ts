import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Type, { type Static, type TObject } from 'typebox';
import { awsConfig, baseConfig, loadConfig, servicePort } from '@peak/service-kit';

const apiKeyPair = '[a-z][a-z0-9-]*:[A-Za-z0-9_-]{16,}';

export const configSchema = {
  ...baseConfig,
  PORT: servicePort(4001),
  ...awsConfig,
  LAKE_URI: Type.String({
    pattern: '^(file:///.+|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?)$',
    description: 'Where the data lake lives: `file:///absolute/folder` (local) or `s3://bucket[/prefix]` (AWS)',
  }),
  INGEST_API_KEYS: Type.String({
    pattern: `^${apiKeyPair}(,${apiKeyPair})*$`,
    description:
      'API keys of the source systems as `source:key` pairs separated by commas, e.g. `membership-system:<key>,door-system:<key>`; a key is at least 16 characters of A-Z a-z 0-9 _ -',
  }),
  MAX_UPLOAD_BYTES: Type.Integer({
    minimum: 1,
    default: 100 * 1024 * 1024,
    description: 'Largest export file one upload may carry, in bytes (default 100 MiB)',
  }),
  CHECKIN_BATCH_MAX_EVENTS: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 5_000,
    description: 'Real-time check-ins per micro-batch: the buffer is written to the raw zone as one NDJSON batch when it holds this many',
  }),
  CHECKIN_BATCH_MAX_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3_600,
    default: 60,
    description: 'Longest a real-time check-in waits in the buffer: it is written to the raw zone this many seconds after the first buffered event at the latest',
  }),
  CHECKIN_SPOOL_DIR: Type.String({
    minLength: 1,
    default: join(tmpdir(), 'peak-ingest-spool'),
    description:
      'Folder of the append-only spool that keeps accepted check-ins on disk (fsync) until they are in the lake; one sub-folder per lake. Leftovers of a crashed process are flushed at the next start (default <os tmpdir>/peak-ingest-spool)',
  }),
};

export type Config = Static<TObject<typeof configSchema>>;

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(configSchema, env);
