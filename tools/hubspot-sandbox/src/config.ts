import Type, { type Static, type TObject } from 'typebox';
import { baseConfig, ConfigError, loadConfig, servicePort } from '@peak/service-kit';
import { tierLimits, type LimitSettings } from './limits.js';

const token = '[A-Za-z0-9_.-]{8,}';

export const configSchema = {
  ...baseConfig,
  PORT: servicePort(4010),
  HUBSPOT_SANDBOX_TOKENS: Type.String({
    pattern: `^${token}(,${token})*$`,
    default: 'pat-local-sandbox',
    description: 'Access tokens the sandbox accepts as `Authorization: Bearer <token>`, comma-separated (at least 8 characters of A-Z a-z 0-9 _ . - each)',
  }),
  HUBSPOT_SANDBOX_TIER: Type.Union(
    [Type.Literal('free'), Type.Literal('starter'), Type.Literal('professional'), Type.Literal('enterprise')],
    { default: 'starter', description: "The account's HubSpot subscription: sets the default 10-s and daily limits (free/starter 100 & 250k, professional 190 & 650k, enterprise 190 & 1M)" },
  ),
  HUBSPOT_SANDBOX_RATE_LIMIT: Type.Optional(
    Type.Integer({ minimum: 1, description: "Requests one token may make per rolling window before 429 (default: the tier's, 100 or 190 per 10 s)" }),
  ),
  HUBSPOT_SANDBOX_RATE_LIMIT_WINDOW_MS: Type.Integer({
    minimum: 1,
    default: 10_000,
    description: 'Length of the rolling rate-limit window in milliseconds (HubSpot: 10000)',
  }),
  HUBSPOT_SANDBOX_DAILY_LIMIT: Type.Optional(
    Type.Integer({ minimum: 1, description: "Requests the account may make per day before 429 DAILY (default: the tier's; Professional is 625k or 650k depending on HubSpot's page)" }),
  ),
  HUBSPOT_SANDBOX_TIME_ZONE: Type.String({
    pattern: '^[A-Za-z]+(?:[/_+-][A-Za-z0-9]+)*$',
    default: 'America/New_York',
    description: "The account's IANA time zone: the daily limit resets at midnight there (default: the studios' zone)",
  }),
  HUBSPOT_SANDBOX_SEARCH_RATE_LIMIT: Type.Integer({
    minimum: 1,
    default: 5,
    description: 'Search requests the account may make per second before 429 (HubSpot: 5)',
  }),
  HUBSPOT_SANDBOX_RECORDED_REQUESTS: Type.Integer({
    minimum: 0,
    default: 1_000,
    description: 'How many of the latest CRM requests GET /_sandbox/requests keeps (0 = record nothing)',
  }),
};

export type Config = Static<TObject<typeof configSchema>>;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = loadConfig(configSchema, env);
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: config.HUBSPOT_SANDBOX_TIME_ZONE });
  } catch {
    throw new ConfigError([`HUBSPOT_SANDBOX_TIME_ZONE: not a time zone this Node.js knows; got ${JSON.stringify(config.HUBSPOT_SANDBOX_TIME_ZONE)}`]);
  }
  return config;
}

/** The limits the sandbox enforces: the tier's, unless a variable says otherwise. */
export function limitSettings(config: Config): LimitSettings {
  const tier = tierLimits[config.HUBSPOT_SANDBOX_TIER];
  return {
    max: config.HUBSPOT_SANDBOX_RATE_LIMIT ?? tier.tenSecondly,
    windowMs: config.HUBSPOT_SANDBOX_RATE_LIMIT_WINDOW_MS,
    daily: config.HUBSPOT_SANDBOX_DAILY_LIMIT ?? tier.daily,
    timeZone: config.HUBSPOT_SANDBOX_TIME_ZONE,
    searchPerSecond: config.HUBSPOT_SANDBOX_SEARCH_RATE_LIMIT,
  };
}
