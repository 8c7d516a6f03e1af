import type { Client } from '@hubspot/api-client';
import { createServiceApp, type ShellOverrides } from '@peak/service-kit';
import type { Config } from './config.js';
import { hubspotPlugin } from './hubspot.js';

/** What tests (or the launcher) may inject instead of what the config would build. */
export type AppOverrides = ShellOverrides & {
  hubspot?: Client;
  /** Milliseconds clock of the /ready cache (tests move it instead of waiting). */
  now?: () => number;
};

/** crm-sync: pushes members' churn and retention attributes to HubSpot, sending only what changed. */
export async function buildApp(config: Config, { hubspot, now, ...shell }: AppOverrides = {}) {
  const app = await createServiceApp({
    name: 'crm-sync',
    description: "Pushes members' churn and retention attributes to HubSpot contacts once a day, sending only what changed (batch upsert by email).",
    ...shell,
  });
  await app.register(hubspotPlugin, {
    basePath: config.HUBSPOT_BASE_URL,
    accessToken: config.HUBSPOT_ACCESS_TOKEN,
    readyCacheMs: config.HUBSPOT_READY_CACHE_MS,
    client: hubspot,
    now,
  });
  return app;
}
