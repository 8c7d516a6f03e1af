import Type, { type Static, type TObject } from 'typebox';
import { awsConfig, baseConfig, loadConfig, servicePort } from '@peak/service-kit';

export const configSchema = {
  ...baseConfig,
  PORT: servicePort(4000),
  ...awsConfig,
  REDIS_URL: Type.String({
    pattern: '^rediss?://.+',
    default: 'redis://127.0.0.1:6379',
    description: 'Redis holding the leaderboards and cached metrics (`redis://host:port[/db]`, `rediss://` for TLS)',
  }),
};

export type Config = Static<TObject<typeof configSchema>>;

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(configSchema, env);
