import Type, { type Static, type TObject, type TProperties } from 'typebox';
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
} satisfies TProperties;

/** AWS SDK settings. Endpoints are overridden with the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables. */
export const awsConfig = {
  AWS_REGION: Type.String({ default: 'us-east-1', description: 'AWS region (any value works against the local emulators)' }),
  QUEUE_PREFIX: Type.String({ default: '', description: 'Prefix of physical queue names (`peak-dev` in AWS, empty locally)' }),
} satisfies TProperties;

/**
 * Validates the environment against a schema at boot: converts strings to numbers/booleans, applies
 * defaults, and fails with every problem at once (a service never starts half-configured).
 */
export function loadConfig<P extends TProperties>(properties: P, env: NodeJS.ProcessEnv = process.env): Static<TObject<P>> {
  const schema = Type.Object(properties);
  const present: Record<string, unknown> = {};
  for (const key of Object.keys(properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') present[key] = raw;
  }
  const value = Value.Default(schema, Value.Convert(schema, present));
  if (Value.Check(schema, value)) return value as Static<TObject<P>>;
  const problems = Value.Errors(schema, value).map((e) => {
    const key = e.instancePath.replace(/^\//, '') || requiredKey(e.params) || '(root)';
    const description = (properties[key] as { description?: string } | undefined)?.description;
    return `${key}: ${e.message}${description ? ` (${description})` : ''}; got ${JSON.stringify(present[key] ?? null)}`;
  });
  throw new ConfigError(problems);
}

function requiredKey(params: unknown): string | undefined {
  const p = params as { requiredProperties?: string[] } | undefined;
  return p?.requiredProperties?.join(', ');
}
