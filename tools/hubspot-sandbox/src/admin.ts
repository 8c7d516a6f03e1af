import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { faultSpec, type Faults } from './faults.js';
import type { RateLimits } from './limits.js';
import type { Recorder } from './recorder.js';
import type { ContactStore } from './store.js';

export type AdminOptions = { store: ContactStore; faults: Faults; recorder: Recorder; limits: RateLimits };

const tags = ['sandbox'];
const scopeQuery = Type.Object({
  method: Type.Optional(Type.String({ description: 'Only requests with this method' })),
  path: Type.Optional(Type.String({ description: 'Only requests to this exact path, e.g. /crm/v3/objects/contacts/batch/upsert' })),
});
/** A fault as given, plus its id, how often it applied, and (for forMs) until when on the sandbox clock. */
const fault = Type.Object({ id: Type.String(), kind: Type.String(), applied: Type.Integer(), until: Type.Optional(Type.Number()) }, { additionalProperties: true });
const recorded = Type.Object(
  {
    method: Type.String(),
    path: Type.String(),
    query: Type.Record(Type.String(), Type.Unknown()),
    body: Type.Optional(Type.Unknown()),
    status: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    durationMs: Type.Number(),
    correlationId: Type.String(),
  },
  { additionalProperties: false },
);

/**
 * The sandbox's own controls for tests and developers, at /_sandbox (outside /crm/v3, no token, not rate limited,
 * not recorded): inject faults, read the recorded CRM requests, reset everything.
 */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminOptions> = async (admin, { store, faults, recorder, limits }) => {
  admin.post(
    '/faults',
    { schema: { tags, summary: 'Inject a fault: 429 storm, 5xx, 423, slow replies, or per-input upsert failures', body: faultSpec, response: { 201: fault } } },
    async (req, reply) => reply.code(201).send(faults.add(req.body)),
  );
  admin.get('/faults', { schema: { tags, summary: 'Faults still in force', response: { 200: Type.Object({ results: Type.Array(fault) }) } } }, async () => ({ results: faults.list() }));
  admin.delete('/faults', { schema: { tags, summary: 'Remove every fault' } }, async (_req, reply) => {
    faults.clear();
    return reply.code(204).send();
  });
  admin.delete('/faults/:id', { schema: { tags, summary: 'Remove one fault', params: Type.Object({ id: Type.String() }) } }, async (req, reply) => {
    if (!faults.remove(req.params.id)) return reply.code(404).send({ code: 'NOT_FOUND', message: `No fault ${req.params.id}` });
    return reply.code(204).send();
  });

  admin.get(
    '/requests',
    {
      schema: {
        tags,
        summary: 'CRM requests the sandbox answered, oldest first',
        querystring: scopeQuery,
        response: { 200: Type.Object({ results: Type.Array(recorded), dropped: Type.Integer({ description: 'Older requests no longer kept (HUBSPOT_SANDBOX_RECORDED_REQUESTS)' }) }) },
      },
    },
    async (req) => ({ results: recorder.list(req.query), dropped: recorder.dropped }),
  );
  admin.delete('/requests', { schema: { tags, summary: 'Forget the recorded requests' } }, async (_req, reply) => {
    recorder.clear();
    return reply.code(204).send();
  });

  admin.post('/reset', { schema: { tags, summary: 'Back to a new account: no contacts, custom properties, groups, faults, recorded requests or used limits' } }, async (_req, reply) => {
    store.reset();
    faults.clear();
    recorder.clear();
    limits.reset();
    return reply.code(204).send();
  });
};
