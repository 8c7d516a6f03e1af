import type { Client } from '@hubspot/api-client';
import type { Cron } from 'croner';
import type { QueryEngine } from '@peak/analytics';
import { openAnalytics } from '@peak/churn';
import type { Lake } from '@peak/lake';
import { createServiceApp, type ShellOverrides } from '@peak/service-kit';
import { apiKeys, type Config } from './config.js';
import { hubspotPlugin } from './hubspot.js';
import { runsRoutes } from './routes/runs.js';
import { SyncRunner } from './runner.js';
import { scheduleSyncs } from './schedule.js';

/** What tests (or the launcher) may inject instead of what the config would build. */
export type AppOverrides = ShellOverrides & {
  hubspot?: Client;
  /** Milliseconds clock of the /ready cache (tests move it instead of waiting). */
  now?: () => number;
  /** Engine and lake of the sync instead of what LAKE_URI opens; the caller closes them. */
  analytics?: { engine: QueryEngine; lake: Lake };
};

/** crm-sync: pushes members' churn and retention attributes to HubSpot, sending only what changed. */
export async function buildApp(config: Config, { hubspot, now, analytics, ...shell }: AppOverrides = {}) {
  const app = await createServiceApp({
    name: 'crm-sync',
    description:
      "Pushes members' churn and retention attributes to HubSpot contacts once a day (CRM_SYNC_SCHEDULE), sending only what changed (batch upsert " +
      'on the member id); POST /v1/runs starts a run by hand.',
    ...shell,
  });
  await app.register(hubspotPlugin, {
    basePath: config.HUBSPOT_BASE_URL,
    accessToken: config.HUBSPOT_ACCESS_TOKEN,
    readyCacheMs: config.HUBSPOT_READY_CACHE_MS,
    client: hubspot,
    now,
  });

  let source = analytics;
  let ownEngine: QueryEngine | undefined;
  if (!source && config.LAKE_URI !== undefined) {
    source = openAnalytics({
      lake: config.LAKE_URI,
      timeZone: config.STUDIO_TIME_ZONE,
      engine: config.ANALYTICS_ENGINE,
      ...(config.ATHENA_WORKGROUP === undefined ? {} : { athenaWorkGroup: config.ATHENA_WORKGROUP }),
      ...(config.GLUE_DATABASE === undefined ? {} : { glueDatabase: config.GLUE_DATABASE }),
    });
    ownEngine = source.engine;
  }
  const runner =
    source &&
    new SyncRunner({
      engine: source.engine,
      lake: source.lake,
      client: app.hubspot,
      requestsPerTenSeconds: config.HUBSPOT_REQUESTS_PER_10S,
      requestTimeoutMs: config.HUBSPOT_TIMEOUT_MS,
      ...(config.HUBSPOT_DAILY_BUDGET === undefined ? {} : { dailyBudget: config.HUBSPOT_DAILY_BUDGET }),
      leaseMs: config.CRM_SYNC_LOCK_LEASE_MINUTES * 60_000,
      log: app.log,
    });
  await app.register(runsRoutes, { source: runner && source && { runner, lake: source.lake }, apiKeys: apiKeys(config) });

  let cron: Cron | undefined;
  app.addHook('onReady', async () => {
    if (config.CRM_SYNC_SCHEDULE === 'off') return app.log.info('no sync scheduled in the service (CRM_SYNC_SCHEDULE=off)');
    if (!runner) return app.log.warn('no sync scheduled: LAKE_URI is not set');
    cron = scheduleSyncs(runner, { pattern: config.CRM_SYNC_SCHEDULE, timeZone: config.STUDIO_TIME_ZONE, log: app.log });
  });
  app.addHook('onClose', async () => {
    cron?.stop();
    // Closing the engine stops a run still reading (it records itself failed); a run pushing stops after its batch in flight.
    // Either way the run saves what HubSpot accepted, records itself and frees the lock.
    const stopped = runner?.stop();
    await ownEngine?.close();
    await stopped;
  });
  return app;
}
