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
};

export type Config = Static<TObject<typeof configSchema>>;

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(configSchema, env);
