import { Client } from '@hubspot/api-client';
import fp from 'fastify-plugin';
import { failureReason } from '@peak/service-kit';

declare module 'fastify' {
  interface FastifyInstance {
    hubspot: Client;
  }
}

export type HubSpotPluginOptions = { basePath: string; accessToken: string; client?: Client };

/**
 * The HubSpot client with its own retries off (`numberOfApiCallRetries: 0`): it retries only some
 * 429s, ignores HubSpot's rate-limit headers and logs with console.error, so crm-sync owns retries.
 */
export function hubspotClient(basePath: string, accessToken: string): Client {
  return new Client({ basePath: basePath.replace(/\/+$/, ''), accessToken, numberOfApiCallRetries: 0 });
}

/** One line from the client's ApiException (whose message repeats the whole response) or a network error. */
export function hubspotFailure(err: unknown): string {
  const e = err as { code?: unknown; body?: { category?: string; message?: string }; message?: string };
  if (typeof e.code === 'number') return `HubSpot answered ${e.code}${e.body?.category ? ` ${e.body.category}` : ''}${e.body?.message ? `: ${e.body.message}` : ''}`;
  return failureReason(err);
}

/** Decorates `hubspot`; /ready makes one cheap authenticated call (list contact properties). */
export const hubspotPlugin = fp<HubSpotPluginOptions>(
  async (app, opts) => {
    const hubspot = opts.client ?? hubspotClient(opts.basePath, opts.accessToken);
    app.decorate('hubspot', hubspot);
    app.readiness.set('hubspot', async () => {
      try {
        await hubspot.crm.properties.coreApi.getAll('contacts');
      } catch (err) {
        throw new Error(hubspotFailure(err), { cause: err });
      }
    });
  },
  { name: 'peak-hubspot', dependencies: ['peak-health'] },
);
