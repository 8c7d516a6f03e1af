import Type, { type Static, type TObject } from 'typebox';
import { baseConfig, loadConfig, servicePort } from '@peak/service-kit';
import { DEFAULT_LAKE_ROOT, DEFAULT_MAX_ROWS, DEFAULT_TIME_ZONE, DEFAULT_TIMEOUT_MS } from './sandbox.js';

export const configSchema = {
  ...baseConfig,
  PORT: servicePort(4005),
  SQL_SANDBOX_LAKE_DIR: Type.String({
    minLength: 1,
    default: DEFAULT_LAKE_ROOT,
    description: "The lake folder holding processed/ (the folder LAKE_URI=file://… names); default the local platform's .data/lake",
  }),
  SQL_SANDBOX_TIME_ZONE: Type.String({
    pattern: '^[A-Za-z]+(?:[/_+-][A-Za-z0-9]+)*$',
    default: DEFAULT_TIME_ZONE,
    description: "The studios' IANA time zone, for the star schema's local day and hour (the sample data's default: America/New_York)",
  }),
  SQL_SANDBOX_MAX_ROWS: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: DEFAULT_MAX_ROWS,
    description: 'Rows a query returns at most (the result says truncated); a request may ask for fewer',
  }),
  SQL_SANDBOX_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: DEFAULT_TIMEOUT_MS,
    description: 'Time a query may run before it is interrupted (answered 422 TIMEOUT)',
  }),
};

export type Config = Static<TObject<typeof configSchema>>;

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(configSchema, env);
