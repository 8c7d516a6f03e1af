import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply } from 'fastify';
import { HubSpotError } from './errors.js';
import type { Faults } from './faults.js';
import type { RateLimits } from './limits.js';
import type { Recorder } from './recorder.js';
import { contactRoutes } from './routes/contacts.js';
import { propertyRoutes } from './routes/properties.js';
import type { ContactStore } from './store.js';

export type HubSpotApiOptions = {
  store: ContactStore;
  tokens: readonly string[];
  limits: RateLimits;
  faults: Faults;
  recorder: Recorder;
  /** The sandbox clock in ms (rate limits, fault durations, timestamps); tests move it instead of sleeping. */
  now: () => number;
};

const SEARCH_ROUTE = '/crm/v3/objects/contacts/search';

const correlationId = (reply: FastifyReply) => String(reply.getHeader('x-hubspot-correlation-id') ?? randomUUID());
const pathOf = (url: string) => url.split('?')[0] ?? url;

/**
 * The subset of HubSpot's CRM v3 API the platform uses, mounted at /crm/v3. Every request, in order: a correlation
 * id; bearer-token auth (401); the rate limits (429, headers); injected faults (delay, then an error); the route.
 * Every request is recorded when answered. Every error is in HubSpot's shape.
 */
export const hubspotApi: FastifyPluginAsyncTypebox<HubSpotApiOptions> = async (api, { store, tokens, limits, faults, recorder, now }) => {
  const accepted = new Set(tokens);
  const bearer = (header: string | undefined) => /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  // Aborts injected delays when the app closes, so a long "slow response" never holds up shutdown.
  const closing = new AbortController();
  api.addHook('preClose', async () => closing.abort());
  const arrivals = new WeakMap<object, number>(); // when each request arrived, by the sandbox clock

  api.addHook('onRequest', async (req, reply) => {
    reply.header('x-hubspot-correlation-id', randomUUID());
    const at = now();
    arrivals.set(req, at);
    const token = bearer(req.headers.authorization);
    if (!token || !accepted.has(token)) {
      throw new HubSpotError(
        401,
        'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
      );
    }
    const admission = limits.admit(token, req.routeOptions.url === SEARCH_ROUTE ? 'search' : 'crm', at);
    reply.headers(admission.headers);
    if (admission.error) throw admission.error;

    const fault = faults.forRequest(req.method, pathOf(req.url));
    if (fault.delayMs > 0) await sleep(fault.delayMs, undefined, { signal: closing.signal });
    if (!fault.error) return;
    // An injected 429 looks like a real one: the exhausted limit reads 0 (search replies carry no headers).
    const policy = fault.error.extra.policyName;
    if (policy === 'TEN_SECONDLY_ROLLING' && reply.hasHeader('x-hubspot-ratelimit-remaining')) reply.header('x-hubspot-ratelimit-remaining', 0);
    if (policy === 'DAILY' && reply.hasHeader('x-hubspot-ratelimit-daily-remaining')) reply.header('x-hubspot-ratelimit-daily-remaining', 0);
    throw fault.error;
  });

  api.addHook('onResponse', async (req, reply) => {
    recorder.record({
      method: req.method,
      path: pathOf(req.url),
      query: { ...(req.query as Record<string, unknown>) },
      ...(req.body === undefined ? {} : { body: req.body }),
      status: reply.statusCode,
      at: new Date(arrivals.get(req) ?? now()).toISOString(),
      durationMs: Math.round(reply.elapsedTime),
      correlationId: correlationId(reply),
    });
  });

  api.setErrorHandler((err: FastifyError | HubSpotError, req, reply) => {
    if (err instanceof HubSpotError) return reply.code(err.statusCode).send(err.body(correlationId(reply)));
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      req.log.error({ err }, 'sandbox request failed');
      return reply.code(500).send(new HubSpotError(500, 'INTERNAL_ERROR', 'internal error').body(correlationId(reply)));
    }
    const errors = err.validation?.map((v: { message?: string; instancePath: string }) => ({ message: v.message ?? 'is not valid', in: v.instancePath.replace(/^\//, '').replaceAll('/', '.') }));
    return reply.code(status).send(new HubSpotError(status, 'VALIDATION_ERROR', err.message, errors ? { errors } : {}).body(correlationId(reply)));
  });
  api.setNotFoundHandler((req, reply) =>
    reply.code(404).send(new HubSpotError(404, 'OBJECT_NOT_FOUND', `No such endpoint in the sandbox: ${req.method} ${req.url}`).body(correlationId(reply))),
  );

  await api.register(propertyRoutes, { store });
  await api.register(contactRoutes, { store, faults, now });
};
