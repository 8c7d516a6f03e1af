import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BATCH_LIMIT, HubSpotError, tooManyInputs } from '../errors.js';
import type { Faults } from '../faults.js';
import { contact, errorBody, errorResponses, readBody, readResponses, searchBody, searchResponse, upsertBody, upsertResponses } from '../schemas.js';
import type { ContactStore } from '../store.js';

export type ContactRouteOptions = { store: ContactStore; faults: Faults; now: () => number };

const tags = ['hubspot'];

const names = (value: string | string[] | undefined) =>
  value === undefined ? undefined : (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).filter(Boolean);

/** Over HubSpot's batch limit: its own message, before any per-input schema error. */
async function batchLimit(req: { body: unknown }): Promise<void> {
  const inputs = (req.body as { inputs?: unknown } | null)?.inputs;
  if (Array.isArray(inputs) && inputs.length > BATCH_LIMIT) throw tooManyInputs();
}

/** Contacts: batch upsert, list, batch read, search — /crm/v3/objects/contacts… */
export const contactRoutes: FastifyPluginAsyncTypebox<ContactRouteOptions> = async (api, { store, faults, now }) => {
  const iso = () => new Date(now()).toISOString();

  api.post(
    '/objects/contacts/batch/upsert',
    {
      preValidation: batchLimit,
      schema: {
        tags,
        summary: `Create or update up to ${BATCH_LIMIT} contacts by a unique property (email or a hasUniqueValue property)`,
        description: 'Per-input errors come back as 207 Multi-Status when every input carries an objectWriteTraceId; otherwise one bad input fails the whole batch.',
        body: upsertBody,
        response: { ...upsertResponses, 409: errorBody, ...errorResponses },
      },
    },
    async (req, reply) => {
      const startedAt = iso();
      const path = req.url.split('?')[0] ?? '';
      const { results, failures } = store.upsert(req.body.inputs, (id) => faults.forInput(req.method, path, id));
      const done = { status: 'COMPLETE' as const, results, startedAt, completedAt: iso() };
      if (failures.length === 0) return done;
      const errors = failures.map(({ input, error }) => error.asBatchError({ objectWriteTraceId: [input.objectWriteTraceId ?? ''] }));
      return reply.code(207).send({ ...done, numErrors: errors.length, errors });
    },
  );

  api.get(
    '/objects/contacts',
    {
      schema: {
        tags,
        summary: 'List contacts, a page at a time',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
          after: Type.Optional(Type.String({ description: 'paging.next.after of the previous page' })),
          properties: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'Properties to return (comma-separated or repeated)' })),
          archived: Type.Optional(Type.Boolean()),
        }),
        response: {
          200: Type.Object({
            results: Type.Array(contact),
            paging: Type.Optional(Type.Object({ next: Type.Object({ after: Type.String(), link: Type.String() }) })),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      // The sandbox never archives contacts, so the archived list is always empty.
      if (req.query.archived) return { results: [] };
      const page = store.list(req.query.limit, req.query.after, names(req.query.properties));
      if (!page.nextAfter) return { results: page.results };
      const link = `${req.protocol}://${req.host}/crm/v3/objects/contacts?limit=${req.query.limit}&after=${page.nextAfter}`;
      return { results: page.results, paging: { next: { after: page.nextAfter, link } } };
    },
  );

  api.post(
    '/objects/contacts/batch/read',
    {
      preValidation: batchLimit,
      schema: { tags, summary: `Read up to ${BATCH_LIMIT} contacts by record id or by a unique property`, body: readBody, response: { ...readResponses, ...errorResponses } },
    },
    async (req, reply) => {
      const startedAt = iso();
      const { results, missing } = store.batchRead(req.body.idProperty, req.body.inputs.map((i) => i.id), req.body.properties);
      const done = { status: 'COMPLETE' as const, results, startedAt, completedAt: iso() };
      if (missing.length === 0) return done;
      // The text of a real 2023 reply (research §2).
      const notFound = new HubSpotError(404, 'OBJECT_NOT_FOUND', 'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.');
      return reply.code(207).send({ ...done, numErrors: 1, errors: [notFound.asBatchError({ ids: missing })] });
    },
  );

  api.post(
    '/objects/contacts/search',
    {
      schema: {
        tags,
        summary: 'Search contacts: filter groups, sorts, free-text query, pages of up to 200, 10,000 results per query',
        description: 'Limited to 5 requests per second per account, separately from the 10-second limit; replies carry no X-HubSpot-RateLimit-* headers.',
        body: searchBody,
        response: { 200: searchResponse, ...errorResponses },
      },
    },
    async (req) => {
      const { total, results, nextAfter } = store.search(req.body);
      return nextAfter === undefined ? { total, results } : { total, results, paging: { next: { after: nextAfter } } };
    },
  );
};
