import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply } from 'fastify';
import Type from 'typebox';
import { HubSpotError } from './errors.js';
import type { ContactStore } from './store.js';

export type HubSpotApiOptions = {
  store: ContactStore;
  tokens: readonly string[];
  rateLimit: { max: number; windowMs: number };
};

const BATCH_LIMIT = 100; // HubSpot's documented maximum inputs per batch request

const errorBody = Type.Object(
  { status: Type.Literal('error'), message: Type.String(), correlationId: Type.String(), category: Type.String() },
  { additionalProperties: true, description: "HubSpot's error shape" },
);
const propertyValues = Type.Record(Type.String(), Type.String({ maxLength: 65_536 }), { description: 'Property values by internal name' });
const contact = Type.Object({
  id: Type.String(),
  properties: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  archived: Type.Boolean(),
});
const batchTimes = { startedAt: Type.String({ format: 'date-time' }), completedAt: Type.String({ format: 'date-time' }) };
const propertyType = Type.Union(['string', 'number', 'date', 'datetime', 'enumeration', 'bool'].map((t) => Type.Literal(t)));
const property = Type.Object(
  {
    name: Type.String(),
    label: Type.String(),
    type: Type.String(),
    fieldType: Type.String(),
    groupName: Type.String(),
    description: Type.String(),
    options: Type.Array(Type.Object({ label: Type.String(), value: Type.String(), displayOrder: Type.Integer(), hidden: Type.Boolean() })),
  },
  { additionalProperties: true },
);
const propertyCreate = Type.Object({
  name: Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 100, description: 'Internal name: lower case, digits and _' }),
  label: Type.String({ minLength: 1, maxLength: 100 }),
  type: propertyType,
  fieldType: Type.String({ minLength: 1 }),
  groupName: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String({ maxLength: 1_000 })),
  options: Type.Optional(
    Type.Array(
      Type.Object({ label: Type.String({ minLength: 1 }), value: Type.String({ minLength: 1 }), displayOrder: Type.Optional(Type.Integer()), hidden: Type.Optional(Type.Boolean()) }),
      { maxItems: 1_000 },
    ),
  ),
  displayOrder: Type.Optional(Type.Integer()),
  hasUniqueValue: Type.Optional(Type.Boolean()),
  hidden: Type.Optional(Type.Boolean()),
  formField: Type.Optional(Type.Boolean()),
});
const names = (value: string | string[] | undefined) =>
  value === undefined ? undefined : (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).filter(Boolean);

const correlationId = (reply: FastifyReply) => String(reply.getHeader('x-hubspot-correlation-id') ?? randomUUID());

/**
 * The subset of HubSpot's CRM v3 API the platform uses, mounted at /crm/v3: bearer-token auth,
 * a per-token burst limit with HubSpot's headers and 429 body, and every error in HubSpot's shape.
 */
export const hubspotApi: FastifyPluginAsyncTypebox<HubSpotApiOptions> = async (api, { store, tokens, rateLimit: limit }) => {
  const accepted = new Set(tokens);
  const bearer = (header: string | undefined) => /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  await api.register(rateLimit, { global: false, max: limit.max, timeWindow: limit.windowMs, keyGenerator: (req) => bearer(req.headers.authorization) ?? req.ip });
  const limiter = api.createRateLimit();

  api.addHook('onRequest', async (req, reply) => {
    reply.header('x-hubspot-correlation-id', randomUUID());
    const token = bearer(req.headers.authorization);
    if (!token || !accepted.has(token)) {
      throw new HubSpotError(
        401,
        'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
      );
    }
    const state = await limiter(req);
    if (state.isAllowed) return;
    reply.header('x-hubspot-ratelimit-max', state.max);
    reply.header('x-hubspot-ratelimit-remaining', state.remaining);
    reply.header('x-hubspot-ratelimit-interval-milliseconds', state.timeWindow);
    if (state.isExceeded) {
      throw new HubSpotError(429, 'RATE_LIMITS', 'You have reached your ten_secondly_rolling limit.', { errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
    }
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

  const tags = ['hubspot'];
  const errors = { 400: errorBody, 401: errorBody, 429: errorBody };

  api.get(
    '/properties/contacts',
    { schema: { tags, summary: 'List contact properties', response: { 200: Type.Object({ results: Type.Array(property) }), ...errors } } },
    async () => ({ results: store.listProperties() }),
  );

  api.post(
    '/properties/contacts',
    { schema: { tags, summary: 'Create a contact property', body: propertyCreate, response: { 201: property, 409: errorBody, ...errors } } },
    async (req, reply) => reply.code(201).send(store.createProperty(req.body)),
  );

  api.post(
    '/objects/contacts/batch/upsert',
    {
      schema: {
        tags,
        summary: `Create or update up to ${BATCH_LIMIT} contacts by a unique property (email)`,
        body: Type.Object({
          inputs: Type.Array(
            Type.Object({
              idProperty: Type.Optional(Type.String({ description: 'Unique property the id is a value of, e.g. email' })),
              id: Type.String({ minLength: 1 }),
              properties: propertyValues,
              objectWriteTraceId: Type.Optional(Type.String()),
            }),
            { maxItems: BATCH_LIMIT },
          ),
        }),
        response: {
          200: Type.Object({ status: Type.Literal('COMPLETE'), results: Type.Array(Type.Object({ ...contact.properties, new: Type.Boolean() })), ...batchTimes }),
          409: errorBody,
          ...errors,
        },
      },
    },
    async (req) => {
      const startedAt = new Date().toISOString();
      const results = store.upsert(req.body.inputs);
      return { status: 'COMPLETE' as const, results, startedAt, completedAt: new Date().toISOString() };
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
          ...errors,
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
      schema: {
        tags,
        summary: `Read up to ${BATCH_LIMIT} contacts by record id or by a unique property`,
        body: Type.Object({
          inputs: Type.Array(Type.Object({ id: Type.String({ minLength: 1 }) }), { maxItems: BATCH_LIMIT }),
          properties: Type.Optional(Type.Array(Type.String())),
          propertiesWithHistory: Type.Optional(Type.Array(Type.String())),
          idProperty: Type.Optional(Type.String()),
        }),
        response: {
          200: Type.Object({ status: Type.Literal('COMPLETE'), results: Type.Array(contact), ...batchTimes }),
          207: Type.Object({
            status: Type.Literal('COMPLETE'),
            results: Type.Array(contact),
            numErrors: Type.Integer(),
            errors: Type.Array(Type.Object({}, { additionalProperties: true })),
            ...batchTimes,
          }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const startedAt = new Date().toISOString();
      const { results, missing } = store.batchRead(req.body.idProperty, req.body.inputs.map((i) => i.id), req.body.properties);
      const done = { status: 'COMPLETE' as const, results, startedAt, completedAt: new Date().toISOString() };
      if (missing.length === 0) return done;
      return reply.code(207).send({
        ...done,
        numErrors: 1,
        errors: [
          {
            status: 'error',
            category: 'OBJECT_NOT_FOUND',
            message: 'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
            context: { ids: missing },
            errors: [],
            links: {},
          },
        ],
      });
    },
  );
};
