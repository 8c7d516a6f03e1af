import Type, { type Static, type TObject } from 'typebox';
import { baseConfig, loadConfig, servicePort } from '@peak/service-kit';

export const configSchema = {
  ...baseConfig,
  PORT: servicePort(4003),
  HUBSPOT_BASE_URL: Type.String({
    format: 'uri',
    pattern: '^https?://',
    default: 'https://api.hubapi.com',
    description: 'HubSpot API base URL (the local HubSpot sandbox when running locally)',
  }),
  HUBSPOT_ACCESS_TOKEN: Type.String({
    minLength: 8,
    description: 'HubSpot private app access token (scopes: crm.objects.contacts.read/write, crm.schemas.contacts.read/write)',
  }),
  HUBSPOT_READY_CACHE_MS: Type.Integer({
    minimum: 0,
    default: 30_000,
    description: 'How long /ready reuses a successful HubSpot check, so health probes do not spend the rate limit (0 = ask every time)',
  }),
};

export type Config = Static<TObject<typeof configSchema>>;

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(configSchema, env);
