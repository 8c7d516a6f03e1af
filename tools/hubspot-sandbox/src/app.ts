import { createServiceApp, type ShellOverrides } from '@peak/service-kit';
import { adminRoutes } from './admin.js';
import { hubspotApi } from './api.js';
import { limitSettings, type Config } from './config.js';
import { Faults } from './faults.js';
import { RateLimits } from './limits.js';
import { renderPage } from './page.js';
import { Recorder } from './recorder.js';
import { ContactStore } from './store.js';

export type AppOverrides = ShellOverrides & {
  /** A store to share with the test (or to start pre-filled). */
  store?: ContactStore;
  /** The sandbox clock in ms since the epoch (default `Date.now`): tests move it instead of sleeping. */
  now?: () => number;
};

/** The HubSpot sandbox: HubSpot's CRM v3 contacts/properties API at /crm/v3, its controls at /_sandbox, a page at /. */
export async function buildApp(config: Config, { now = Date.now, store = new ContactStore(() => new Date(now())), ...shell }: AppOverrides = {}) {
  const limits = new RateLimits(limitSettings(config));
  const faults = new Faults(now);
  const recorder = new Recorder(config.HUBSPOT_SANDBOX_RECORDED_REQUESTS);
  const app = await createServiceApp({
    name: 'hubspot-sandbox',
    description:
      "A local stand-in for HubSpot's CRM v3 API (contacts, properties, property groups, search), with HubSpot's auth, batch limit, rate limits and error shapes; fault injection and request recording at /_sandbox.",
    ...shell,
  });
  await app.register(hubspotApi, { prefix: '/crm/v3', store, tokens: config.HUBSPOT_SANDBOX_TOKENS.split(','), limits, faults, recorder, now });
  await app.register(adminRoutes, { prefix: '/_sandbox', store, faults, recorder, limits });
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(renderPage(store, limits.settings)));
  return app;
}
