import { createServiceApp, type ShellOverrides } from '@peak/service-kit';
import { hubspotApi } from './api.js';
import type { Config } from './config.js';
import { renderPage } from './page.js';
import { ContactStore } from './store.js';

export type AppOverrides = ShellOverrides & {
  /** A store to share with the test (or to start pre-filled). */
  store?: ContactStore;
};

/** The HubSpot sandbox: HubSpot's CRM v3 contacts/properties API at /crm/v3, a page at /. */
export async function buildApp(config: Config, { store = new ContactStore(), ...shell }: AppOverrides = {}) {
  const rateLimit = { max: config.HUBSPOT_SANDBOX_RATE_LIMIT, windowMs: config.HUBSPOT_SANDBOX_RATE_LIMIT_WINDOW_MS };
  const app = await createServiceApp({
    name: 'hubspot-sandbox',
    description: "A local stand-in for HubSpot's CRM v3 API (contacts and contact properties), with HubSpot's auth, batch limit, rate limit and error shapes.",
    ...shell,
  });
  await app.register(hubspotApi, { prefix: '/crm/v3', store, tokens: config.HUBSPOT_SANDBOX_TOKENS.split(','), rateLimit });
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(renderPage(store, rateLimit)));
  return app;
}
