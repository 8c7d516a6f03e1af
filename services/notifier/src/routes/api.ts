/**
 * The notifier's staff API under /v1 (bearer keys, NOTIFIER_API_KEYS): the send log by member, campaign or dedupe
 * key; bounce and complaint rates; the suppression list. The campaign runs routes are added by campaigns.ts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { codedError } from '@peak/contracts';
import { deliverability, DELIVERABILITY_THRESHOLDS } from '../events/deliverability.js';
import type { EventStore } from '../events/event-store.js';
import { SEND_REASONS, SEND_STATES, type LedgerEntry, type SendLedger } from '../ledger/send-ledger.js';
import type { SuppressionStore } from '../ledger/suppressions.js';

export const API_ERRORS = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  INVALID_API_KEY: 403,
  API_DISABLED: 403,
  NOT_FOUND: 404,
  RUN_IN_PROGRESS: 409,
  NO_DATA: 409, // the lake has no check-ins yet
  NOT_CONFIGURED: 503, // no LAKE_URI
} as const;
export class NotifierApiError extends codedError(API_ERRORS) {}

export type ApiRouteOptions = { ledger: SendLedger; suppressions: SuppressionStore; events: EventStore; apiKeys: readonly string[] };

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

/** A preHandler accepting `Authorization: Bearer <key>` for one of the keys: digests compared in constant time, every key. */
export function bearerAuth(keys: readonly string[], realm: string) {
  const digests = keys.map(digest);
  return async (request: FastifyRequest, reply: { header(name: string, value: string): unknown }) => {
    if (digests.length === 0) throw new NotifierApiError('API_DISABLED', 'the notifier API has no keys: set NOTIFIER_API_KEYS and restart the notifier');
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!presented) {
      reply.header('www-authenticate', `Bearer realm="${realm}"`);
      throw new NotifierApiError('UNAUTHENTICATED', 'an API key is required: send `Authorization: Bearer <key>` with one of NOTIFIER_API_KEYS');
    }
    const candidate = digest(presented);
    let valid = false;
    for (const d of digests) valid = timingSafeEqual(d, candidate) || valid;
    if (!valid) throw new NotifierApiError('INVALID_API_KEY', 'this API key is not valid for the notifier: use one of NOTIFIER_API_KEYS');
  };
}

const errorBody = Type.Object({ code: Type.String({ description: `Stable error code: ${Object.keys(API_ERRORS).join(', ')}` }), message: Type.String({ description: 'What went wrong and what to do' }) });
const refusals = { 400: errorBody, 401: errorBody, 403: errorBody };

export const sendEntrySchema = Type.Object(
  {
    dedupeKey: Type.String({ description: '`<campaign>:<member>:<period>`: the email is sent at most once per key' }),
    state: Type.Union(SEND_STATES.map((s) => Type.Literal(s)), { description: 'reserved/sending (in progress), sent, unknown (may have been sent: never resent), failed, suppressed, capped, dropped' }),
    reason: Type.Optional(Type.String({ description: `Why it ended so: ${Object.keys(SEND_REASONS).join(', ')}` })),
    detail: Type.Optional(Type.String({ description: 'More about the reason, in words' })),
    memberId: Type.String(),
    to: Type.String({ description: 'Recipient address' }),
    campaignId: Type.String(),
    runId: Type.String({ description: 'The planner run that asked for it' }),
    kind: Type.String({ description: 'marketing or transactional' }),
    topic: Type.String(),
    template: Type.String(),
    locationId: Type.String(),
    createdAt: Type.String({ format: 'date-time', description: 'When the notifier first handled it' }),
    updatedAt: Type.String({ format: 'date-time' }),
    attempts: Type.Integer({ description: 'SendEmail calls made (throttled ones included; at most one was accepted)' }),
    messageId: Type.Optional(Type.String({ description: 'SES message id (sent)' })),
    sentAt: Type.Optional(Type.String({ format: 'date-time' })),
    duplicates: Type.Optional(Type.Integer({ description: 'Deliveries of the same request that found it already decided' })),
  },
  { description: 'One email in the send log' },
);

/** The send log entry without the lease internals. */
export function publicEntry(e: LedgerEntry) {
  const { owner: _owner, leaseUntil: _lease, expiresAtEpoch: _ttl, requestId: _req, ...rest } = e;
  return rest;
}

const deliverabilityDays = Type.Integer({ minimum: 1, maximum: 90, default: 7, description: 'Rolling window in UTC days, today included' });

export async function apiRoutes(app: FastifyInstance, opts: ApiRouteOptions): Promise<void> {
  app.addHook('preHandler', bearerAuth(opts.apiKeys, 'peak-notifier'));
  const security = [{ bearerAuth: [] }];

  app.get(
    '/v1/sends',
    {
      schema: {
        tags: ['send log'],
        summary: 'The send log of one member or one campaign, oldest first',
        security,
        querystring: Type.Object(
          {
            memberId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            campaignId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            since: Type.Optional(Type.String({ format: 'date-time', description: 'Only emails first handled at or after this instant' })),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'At most this many (the newest)' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ sends: Type.Array(sendEntrySchema) }), ...refusals },
      },
    },
    async (req) => {
      const q = req.query as { memberId?: string; campaignId?: string; since?: string; limit: number };
      if (Boolean(q.memberId) === Boolean(q.campaignId)) throw new NotifierApiError('BAD_REQUEST', 'give exactly one of memberId or campaignId');
      const options = { limit: q.limit, ...(q.since ? { since: q.since } : {}) };
      const entries = q.memberId ? await opts.ledger.byMember(q.memberId, options) : await opts.ledger.byCampaign(q.campaignId as string, options);
      return { sends: entries.map(publicEntry) };
    },
  );

  app.get(
    '/v1/sends/:dedupeKey',
    {
      schema: {
        tags: ['send log'],
        summary: 'One email by its dedupe key',
        security,
        params: Type.Object({ dedupeKey: Type.String({ minLength: 1, maxLength: 180 }) }),
        response: { 200: sendEntrySchema, 404: errorBody, ...refusals },
      },
    },
    async (req) => {
      const { dedupeKey } = req.params as { dedupeKey: string };
      const entry = await opts.ledger.get(dedupeKey);
      if (!entry) throw new NotifierApiError('NOT_FOUND', `no email with dedupe key ${dedupeKey} has reached the notifier`);
      return publicEntry(entry);
    },
  );

  app.get(
    '/v1/deliverability',
    {
      schema: {
        tags: ['deliverability'],
        summary: `Bounce and complaint rates over a rolling window, with alarms (complaints ≥ ${DELIVERABILITY_THRESHOLDS.complaintRate * 100}%, bounces ≥ ${DELIVERABILITY_THRESHOLDS.bounceRate * 100}%)`,
        security,
        querystring: Type.Object({ days: deliverabilityDays }, { additionalProperties: false }),
      },
    },
    async (req) => deliverability(opts.events, { days: (req.query as { days: number }).days }),
  );

  const addressParams = Type.Object({ address: Type.String({ minLength: 3, maxLength: 254, description: 'Email address (any case)' }) });
  app.get(
    '/v1/suppressions/:address',
    { schema: { tags: ['suppression'], summary: 'Whether an address is suppressed, and why', security, params: addressParams, response: { 404: errorBody, ...refusals } } },
    async (req) => {
      const { address } = req.params as { address: string };
      const entry = await opts.suppressions.get(address);
      if (!entry) throw new NotifierApiError('NOT_FOUND', 'this address is not suppressed');
      return entry;
    },
  );
  app.delete(
    '/v1/suppressions/:address',
    { schema: { tags: ['suppression'], summary: 'Lifts a suppression (after the member fixed their mailbox); the SES account list is separate', security, params: addressParams, response: { 204: Type.Null(), ...refusals } } },
    async (req, reply) => {
      const { address } = req.params as { address: string };
      await opts.suppressions.remove(address);
      req.log.info({}, 'suppression lifted by API');
      return reply.code(204).send();
    },
  );
}
