import { Cron } from 'croner';
import Type, { type Static, type TObject } from 'typebox';
import { analyticsConfig, analyticsProblems, baseConfig, ConfigError, loadConfig, servicePort } from '@peak/service-kit';

const apiKey = '[A-Za-z0-9_-]{16,}';

/** What a sync run reads besides the lake and the token: the service and the CLI share these names and defaults. */
export const syncSettingsSchema = {
  STUDIO_TIME_ZONE: Type.String({
    pattern: '^[A-Za-z]+(?:[/_+-][A-Za-z0-9]+)*$',
    default: 'America/New_York',
    description: "The studios' IANA time zone: local days in DuckDB's views, and the zone of CRM_SYNC_SCHEDULE",
  }),
  ...analyticsConfig,
  HUBSPOT_BASE_URL: Type.String({
    format: 'uri',
    pattern: '^https?://',
    default: 'https://api.hubapi.com',
    description: 'HubSpot API base URL (the local HubSpot sandbox when running locally)',
  }),
  HUBSPOT_REQUESTS_PER_10S: Type.Integer({
    minimum: 1,
    maximum: 1_000,
    default: 95,
    description: "Requests crm-sync sends in any 10 s: HubSpot's 100 (lower tiers) less 5% for /ready probes and timing jitter (the limit is per private app, so nothing else shares it); 190 less headroom on Professional/Enterprise",
  }),
  HUBSPOT_TIMEOUT_MS: Type.Integer({
    minimum: 1_000,
    maximum: 600_000,
    default: 30_000,
    description: 'A HubSpot call with no answer after this long is given up and retried (an upsert keyed on the member id is safe to repeat)',
  }),
  HUBSPOT_DAILY_BUDGET: Type.Optional(Type.Integer({ minimum: 1, description: "Requests a run may use of the account's daily limit, which other integrations share (unset: whatever HubSpot says remains)" })),
  CRM_SYNC_LOCK_LEASE_MINUTES: Type.Integer({
    minimum: 1,
    maximum: 1_440,
    default: 120,
    description: 'Lease of the run lock in the lake (crm-sync/lock.json): a lock left by a process that died is taken over after this long, so keep it well above the longest run',
  }),
};

export const configSchema = {
  ...baseConfig,
  PORT: servicePort(4003),
  ...syncSettingsSchema,
  HUBSPOT_ACCESS_TOKEN: Type.String({
    minLength: 8,
    description: 'HubSpot private app access token (scopes: crm.objects.contacts.read/write, crm.schemas.contacts.read/write)',
  }),
  HUBSPOT_READY_CACHE_MS: Type.Integer({
    minimum: 0,
    default: 30_000,
    description: 'How long /ready reuses a successful HubSpot check, so health probes do not spend the rate limit (0 = ask every time)',
  }),
  LAKE_URI: Type.Optional(
    Type.String({
      pattern: '^(file:///.+|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?)$',
      description: 'The data lake the sync reads and keeps its state and run records in: `file:///absolute/folder` (local, DuckDB) or `s3://bucket[/prefix]` (AWS, Athena); unset, /v1/runs answers 503 NOT_CONFIGURED and nothing is scheduled',
    }),
  ),
  CRM_SYNC_API_KEYS: Type.Optional(
    Type.String({ pattern: `^${apiKey}(,${apiKey})*$`, description: 'Bearer keys of the /v1/runs API, separated by commas (each at least 16 characters of A-Z a-z 0-9 _ -); unset with CRM_SYNC_API_KEY, the API is refused' }),
  ),
  CRM_SYNC_API_KEY: Type.Optional(Type.String({ pattern: `^${apiKey}$`, description: 'One bearer key of the /v1/runs API (added to CRM_SYNC_API_KEYS)' })),
  CRM_SYNC_SCHEDULE: Type.String({
    minLength: 1,
    default: '0 6 * * *',
    description: 'When the service runs the sync: a cron expression in STUDIO_TIME_ZONE (default 06:00 daily, after the night\'s batches), or `off` (in AWS, EventBridge Scheduler starts the CLI instead)',
  }),
};

export type SyncSettings = Static<TObject<typeof syncSettingsSchema>>;
export type Config = Static<TObject<typeof configSchema>>;

/** Problems between variables the schema alone cannot see. */
function crossCheck(config: SyncSettings & { LAKE_URI?: string; CRM_SYNC_SCHEDULE?: string }): string[] {
  try {
    Intl.DateTimeFormat('en-US', { timeZone: config.STUDIO_TIME_ZONE });
  } catch {
    return [`STUDIO_TIME_ZONE: ${JSON.stringify(config.STUDIO_TIME_ZONE)} is not an IANA time zone (e.g. America/New_York)`];
  }
  const problems = analyticsProblems(config);
  if (config.CRM_SYNC_SCHEDULE !== undefined && config.CRM_SYNC_SCHEDULE !== 'off') {
    try {
      new Cron(config.CRM_SYNC_SCHEDULE, { timezone: config.STUDIO_TIME_ZONE, paused: true }).stop();
    } catch (err) {
      problems.push(`CRM_SYNC_SCHEDULE: ${(err as Error).message} (a cron expression such as "0 6 * * *", or off)`);
    }
  }
  return problems;
}

function checked<C extends SyncSettings>(config: C): C {
  const problems = crossCheck(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => checked(loadConfig(configSchema, env));

/** The CLI's share of the configuration (LAKE_URI and the token it reads itself: a folder path and `runs` without a token are fine there). */
export const readSyncSettings = (env: NodeJS.ProcessEnv = process.env): SyncSettings => checked(loadConfig(syncSettingsSchema, env));

/** Every bearer key of the /v1/runs API. */
export const apiKeys = (config: Pick<Config, 'CRM_SYNC_API_KEYS' | 'CRM_SYNC_API_KEY'>): string[] =>
  [...(config.CRM_SYNC_API_KEYS?.split(',') ?? []), ...(config.CRM_SYNC_API_KEY ? [config.CRM_SYNC_API_KEY] : [])];
