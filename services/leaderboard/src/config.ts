import Type, { type Static, type TObject } from 'typebox';
import { analyticsConfig, analyticsProblems, awsConfig, baseConfig, ConfigError, loadConfig, servicePort } from '@peak/service-kit';

export const configSchema = {
  ...baseConfig,
  PORT: servicePort(4000),
  ...awsConfig,
  REDIS_URL: Type.String({
    pattern: '^rediss?://.+',
    default: 'redis://127.0.0.1:6379',
    description: 'Redis holding the leaderboards and cached metrics (`redis://host:port[/db]`, `rediss://` for TLS)',
  }),
  LAKE_URI: Type.Optional(
    Type.String({
      pattern: '^(file:///.+|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?)$',
      description:
        'The data lake the churn scores and model are read from: `file:///absolute/folder` (local, DuckDB) or `s3://bucket[/prefix]` (AWS, Athena); unset, the /v1/churn endpoints answer 503 NOT_CONFIGURED',
    }),
  ),
  STUDIO_TIME_ZONE: Type.String({
    pattern: '^[A-Za-z]+(?:[/_+-][A-Za-z0-9]+)*$',
    default: 'America/New_York',
    description: "The studios' IANA time zone, for local days in DuckDB's views (Athena's views were created with it by the infra)",
  }),
  ...analyticsConfig,
  BOARD_GRACE_DAYS: Type.Integer({
    minimum: 1,
    maximum: 60,
    default: 7,
    description: 'Days a weekly or monthly leaderboard is kept after its period ends (check-ins arriving later count only on the all-time board, at the next rebuild)',
  }),
  LEADERBOARD_FEED: Type.Union([Type.Literal('on'), Type.Literal('off')], {
    default: 'on',
    description: 'Consume attendance-events and batch-processed (`off`: serve the boards only, e.g. a second API replica)',
  }),
};

export type Config = Static<TObject<typeof configSchema>>;

/** The environment, validated; the analytics variables are also checked against each other (a lake the engine cannot read is refused at boot). */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = loadConfig(configSchema, env);
  const problems = analyticsProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
