import Type, { type Static, type TObject, type TProperties, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { PeakError } from '@peak/contracts';

export class ConfigError extends PeakError {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}\nSee .env.example for every variable and its meaning.`, 'CONFIG_INVALID');
  }
}

/** Variables every service reads. Services spread these into their own schema. */
export const baseConfig = {
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface to listen on' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, description: 'Port to listen on (0 = any free port)' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), {
    default: 'info',
    description: 'pino log level',
  }),
  READY_DETAILS: Type.Boolean({
    default: false,
    description: "Answer each failing dependency's reason in /ready (hosts, client errors): local development only; the reason is always logged",
  }),
} satisfies TProperties;

/** PORT with the service's own default, so each service runs alone without setting it. */
export const servicePort = (defaultPort: number) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort, description: `Port to listen on (0 = any free port; default ${defaultPort})` });

/** The variables a service's process needs to listen and log; every service config has them. */
export type ListenConfig = { HOST: string; PORT: number; LOG_LEVEL: string; READY_DETAILS: boolean };

/** AWS SDK settings. Endpoints are overridden with the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables. */
export const awsConfig = {
  AWS_REGION: Type.String({ default: 'us-east-1', description: 'AWS region (any value works against the local emulators)' }),
  QUEUE_PREFIX: Type.String({ default: '', description: 'Prefix of physical queue names (`peak-dev` in AWS, empty locally)' }),
  TABLE_PREFIX: Type.String({ default: '', description: 'Prefix of physical DynamoDB table names, `<prefix>-<name>` (`peak-<stage>` in AWS, empty locally)' }),
} satisfies TProperties;

/** How a service reads the lake: DuckDB over a folder locally, Athena over S3 in AWS (checked together by analyticsProblems). */
export const analyticsConfig = {
  ANALYTICS_ENGINE: Type.Union([Type.Literal('duckdb'), Type.Literal('athena')], {
    default: 'duckdb',
    description: 'What queries the lake: `duckdb` (in the process, over a lake folder) or `athena` (an S3 lake, with ATHENA_WORKGROUP and GLUE_DATABASE)',
  }),
  ATHENA_WORKGROUP: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,128}$', description: 'Athena workgroup of the service\'s queries (ANALYTICS_ENGINE=athena)' })),
  GLUE_DATABASE: Type.Optional(Type.String({ pattern: '^[a-z0-9_]{1,255}$', description: 'Glue database holding the lake\'s tables and views (ANALYTICS_ENGINE=athena)' })),
} satisfies TProperties;

/** A lake the chosen engine cannot read, said at boot rather than at the first query. */
export function analyticsProblems(config: { ANALYTICS_ENGINE: 'duckdb' | 'athena'; ATHENA_WORKGROUP?: string; GLUE_DATABASE?: string; LAKE_URI?: string }): string[] {
  const problems: string[] = [];
  const s3 = config.LAKE_URI?.startsWith('s3://');
  if (config.ANALYTICS_ENGINE === 'athena') {
    for (const key of ['ATHENA_WORKGROUP', 'GLUE_DATABASE'] as const) if (config[key] === undefined) problems.push(`${key}: required with ANALYTICS_ENGINE=athena`);
    if (config.LAKE_URI !== undefined && !s3) problems.push('LAKE_URI: Athena reads the S3 lake, so it must be s3://bucket[/prefix] with ANALYTICS_ENGINE=athena');
  } else if (s3) {
    problems.push('LAKE_URI: an S3 lake is queried with Athena: set ANALYTICS_ENGINE=athena, ATHENA_WORKGROUP and GLUE_DATABASE (DuckDB reads a lake folder)');
  }
  return problems;
}

/**
 * Validates the environment against a schema at boot: converts strings to numbers/booleans, applies
 * defaults, and fails with every problem at once, one line per variable with its description
 * (a service never starts half-configured).
 */
export function loadConfig<P extends TProperties>(properties: P, env: NodeJS.ProcessEnv = process.env): Static<TObject<P>> {
  const schema = Type.Object(properties);
  const present: Record<string, unknown> = {};
  for (const key of Object.keys(properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') present[key] = raw;
  }
  const value = Value.Default(schema, Value.Convert(schema, present)) as Record<string, unknown>;
  const required = new Set<string>((schema as { required?: string[] }).required ?? []);
  const problems: string[] = [];
  for (const [key, property] of Object.entries(properties)) {
    const description = (property as { description?: string }).description;
    const about = description ? ` (${description})` : '';
    if (value[key] === undefined) {
      if (required.has(key)) problems.push(`${key}: required but not set${about}`);
    } else if (!Value.Check(property, value[key])) {
      problems.push(`${key}: ${explain(property, value[key])}${about}; got ${JSON.stringify(present[key])}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return value as Static<TObject<P>>;
}

/** What is wrong with one value, said once (a union of literals reads as its list of choices). */
function explain(property: TSchema, value: unknown): string {
  const choices = (property as { anyOf?: { const?: unknown }[] }).anyOf?.map((s) => s.const);
  if (choices && choices.every((c) => c !== undefined)) return `must be one of ${choices.join(', ')}`;
  return [...new Set(Value.Errors(property, value).map((e) => e.message))].join(', ');
}
