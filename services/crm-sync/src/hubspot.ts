import { Client } from '@hubspot/api-client';
import fp from 'fastify-plugin';
import { failureReason } from '@peak/service-kit';

declare module 'fastify' {
  interface FastifyInstance {
    hubspot: Client;
  }
}

export type HubSpotPluginOptions = {
  basePath: string;
  accessToken: string;
  /** How long a successful /ready check is reused (default 30 s); failures are never reused. */
  readyCacheMs?: number;
  client?: Client;
  /** Milliseconds clock of that cache (default `Date.now`). */
  now?: () => number;
};

export const DEFAULT_READY_CACHE_MS = 30_000;

/**
 * The HubSpot client with its own retries off (`numberOfApiCallRetries: 0`): it retries 5xx and some 429s
 * blindly, ignores HubSpot's rate-limit headers and logs with console.error, so crm-sync owns retries (push.ts).
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

/**
 * One cheap authenticated call (list contact properties), cancelled by `signal`. Plain fetch: the HubSpot
 * client takes no abort signal, and a timed-out check must not keep its request open.
 */
export async function checkHubSpot(basePath: string, accessToken: string, signal: AbortSignal): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${basePath.replace(/\/+$/, '')}/crm/v3/properties/contacts`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal,
    });
  } catch (err) {
    throw new Error(hubspotFailure(err), { cause: err });
  }
  if (res.ok) {
    await res.body?.cancel(); // only the status matters; the property list is long
    return;
  }
  const body = (await res.json().catch(() => undefined)) as { category?: string; message?: string } | undefined;
  throw new Error(hubspotFailure({ code: res.status, body }));
}

/**
 * Decorates `hubspot`. /ready asks HubSpot (see checkHubSpot), reusing a success for `readyCacheMs` so
 * health probes every few seconds do not spend the portal's rate limit; a failure is asked again next time.
 */
export const hubspotPlugin = fp<HubSpotPluginOptions>(
  async (app, opts) => {
    const hubspot = opts.client ?? hubspotClient(opts.basePath, opts.accessToken);
    const now = opts.now ?? Date.now;
    const cacheMs = opts.readyCacheMs ?? DEFAULT_READY_CACHE_MS;
    let okUntil = -Infinity;
    app.decorate('hubspot', hubspot);
    app.readiness.set('hubspot', async (signal) => {
      if (now() < okUntil) return;
      await checkHubSpot(opts.basePath, opts.accessToken, signal);
      okUntil = now() + cacheMs;
    });
  },
  { name: 'peak-hubspot', dependencies: ['peak-health'] },
);
