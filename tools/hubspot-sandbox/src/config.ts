import Type, { type Static, type TObject } from 'typebox';
import { baseConfig, loadConfig, servicePort } from '@peak/service-kit';

const token = '[A-Za-z0-9_.-]{8,}';

export const configSchema = {
  ...baseConfig,
  PORT: servicePort(4010),
  HUBSPOT_SANDBOX_TOKENS: Type.String({
    pattern: `^${token}(,${token})*$`,
    default: 'pat-local-sandbox',
    description: 'Access tokens the sandbox accepts as `Authorization: Bearer <token>`, comma-separated (at least 8 characters of A-Z a-z 0-9 _ . - each)',
  }),
  HUBSPOT_SANDBOX_RATE_LIMIT: Type.Integer({
    minimum: 1,
    default: 100,
    description: "Requests one token may make per window before 429 (HubSpot's private-app burst limit on Free/Starter: 100 per 10 s)",
  }),
  HUBSPOT_SANDBOX_RATE_LIMIT_WINDOW_MS: Type.Integer({
    minimum: 1,
    default: 10_000,
    description: 'Length of the rate-limit window in milliseconds (HubSpot: 10000)',
  }),
};

export type Config = Static<TObject<typeof configSchema>>;

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(configSchema, env);
