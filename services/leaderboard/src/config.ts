import Type, { type Static, type TObject } from 'typebox';
import { awsConfig, baseConfig, ConfigError, loadConfig, servicePort } from '@peak/service-kit';

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
  ANALYTICS_ENGINE: Type.Union([Type.Literal('duckdb'), Type.Literal('athena')], {
    default: 'duckdb',
    description: 'What queries the lake: `duckdb` (in the process, over a lake folder) or `athena` (an S3 lake, with ATHENA_WORKGROUP and GLUE_DATABASE)',
  }),
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
  ATHENA_WORKGROUP: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,128}$', description: 'Athena workgroup of the churn queries (ANALYTICS_ENGINE=athena)' })),
  GLUE_DATABASE: Type.Optional(Type.String({ pattern: '^[a-z0-9_]{1,255}$', description: 'Glue database holding the lake\'s tables and views (ANALYTICS_ENGINE=athena)' })),
};

export type Config = Static<TObject<typeof configSchema>>;

/** The environment, validated; the analytics variables are also checked against each other (a lake the engine cannot read is refused at boot). */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = loadConfig(configSchema, env);
  const problems: string[] = [];
  const s3 = config.LAKE_URI?.startsWith('s3://');
  if (config.ANALYTICS_ENGINE === 'athena') {
    for (const key of ['ATHENA_WORKGROUP', 'GLUE_DATABASE'] as const) if (config[key] === undefined) problems.push(`${key}: required with ANALYTICS_ENGINE=athena`);
    if (config.LAKE_URI !== undefined && !s3) problems.push('LAKE_URI: Athena reads the S3 lake, so it must be s3://bucket[/prefix] with ANALYTICS_ENGINE=athena');
  } else if (s3) {
    problems.push('LAKE_URI: an S3 lake is queried with Athena: set ANALYTICS_ENGINE=athena, ATHENA_WORKGROUP and GLUE_DATABASE (DuckDB reads a lake folder)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
