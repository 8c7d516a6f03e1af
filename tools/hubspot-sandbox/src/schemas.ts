import Type from 'typebox';
import { BATCH_LIMIT } from './errors.js';
import { OPERATORS, SEARCH_LIMITS } from './search.js';

/** TypeBox schemas of the sandbox's CRM routes: validation and the OpenAPI at /docs. */

export const errorBody = Type.Object(
  { status: Type.Literal('error'), message: Type.String(), correlationId: Type.String(), category: Type.String() },
  { additionalProperties: true, description: "HubSpot's error shape" },
);
export const errorResponses = { 400: errorBody, 401: errorBody, 429: errorBody };

/** A batch answer's `errors[]` entry (HubSpot's StandardError). */
const batchError = Type.Object(
  { status: Type.Literal('error'), category: Type.String(), message: Type.String(), context: Type.Record(Type.String(), Type.Array(Type.String())) },
  { additionalProperties: true },
);

export const contact = Type.Object({
  id: Type.String(),
  properties: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  archived: Type.Boolean(),
});
const upserted = Type.Object({ ...contact.properties, new: Type.Boolean(), objectWriteTraceId: Type.Optional(Type.String()) });
const batchTimes = { startedAt: Type.String({ format: 'date-time' }), completedAt: Type.String({ format: 'date-time' }) };
const withErrors = { numErrors: Type.Integer(), errors: Type.Array(batchError) };

export const batchInputs = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  // No maxItems: over the limit is answered with HubSpot's own message (the batchLimit hook), not the schema's.
  Type.Array(item, { description: `At most ${BATCH_LIMIT} inputs` });

export const upsertBody = Type.Object({
  inputs: batchInputs(
    Type.Object({
      idProperty: Type.Optional(Type.String({ description: 'Unique property the id is a value of: email or a hasUniqueValue property' })),
      id: Type.String({ minLength: 1 }),
      properties: Type.Record(Type.String(), Type.String({ maxLength: 65_536 }), { description: 'Property values by internal name' }),
      objectWriteTraceId: Type.Optional(Type.String({ description: 'Given on every input, errors come back per input (207)' })),
    }),
  ),
});
export const upsertResponses = {
  200: Type.Object({ status: Type.Literal('COMPLETE'), results: Type.Array(upserted), ...batchTimes }),
  207: Type.Object({ status: Type.Literal('COMPLETE'), results: Type.Array(upserted), ...withErrors, ...batchTimes }),
};

export const readBody = Type.Object({
  inputs: batchInputs(Type.Object({ id: Type.String({ minLength: 1 }) })),
  properties: Type.Optional(Type.Array(Type.String())),
  propertiesWithHistory: Type.Optional(Type.Array(Type.String())),
  idProperty: Type.Optional(Type.String()),
});
export const readResponses = {
  200: Type.Object({ status: Type.Literal('COMPLETE'), results: Type.Array(contact), ...batchTimes }),
  207: Type.Object({ status: Type.Literal('COMPLETE'), results: Type.Array(contact), ...withErrors, ...batchTimes }),
};

const text = Type.String({ maxLength: 65_536 });
export const searchBody = Type.Object({
  filterGroups: Type.Optional(
    Type.Array(
      Type.Object({
        filters: Type.Array(
          Type.Object({
            propertyName: Type.String({ minLength: 1 }),
            operator: Type.Union(OPERATORS.map((o) => Type.Literal(o))),
            value: Type.Optional(text),
            highValue: Type.Optional(text),
            values: Type.Optional(Type.Array(text)),
          }),
        ),
      }),
      { description: `ORed; filters in a group ANDed. At most ${SEARCH_LIMITS.groups} groups, ${SEARCH_LIMITS.filtersPerGroup} filters each, ${SEARCH_LIMITS.filters} in all` },
    ),
  ),
  sorts: Type.Optional(
    Type.Array(
      Type.Union([
        Type.String({ minLength: 1 }),
        Type.Object({ propertyName: Type.String({ minLength: 1 }), direction: Type.Optional(Type.Union([Type.Literal('ASCENDING'), Type.Literal('DESCENDING')])) }),
      ]),
    ),
  ),
  query: Type.Optional(Type.String()),
  properties: Type.Optional(Type.Array(Type.String())),
  limit: Type.Optional(Type.Integer({ minimum: 1, description: `At most ${SEARCH_LIMITS.pageSize}; default ${SEARCH_LIMITS.defaultPageSize}` })),
  after: Type.Optional(Type.String({ description: 'paging.next.after of the previous page' })),
});
export const searchResponse = Type.Object({
  total: Type.Integer(),
  results: Type.Array(contact),
  paging: Type.Optional(Type.Object({ next: Type.Object({ after: Type.String() }) })),
});

const propertyType = Type.Union(['string', 'number', 'date', 'datetime', 'enumeration', 'bool', 'phone_number'].map((t) => Type.Literal(t)));
const internalName = Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 100, description: 'Internal name: lower case, digits and _' });

export const property = Type.Object(
  {
    name: Type.String(),
    label: Type.String(),
    type: Type.String(),
    fieldType: Type.String(),
    groupName: Type.String(),
    description: Type.String(),
    options: Type.Array(Type.Object({ label: Type.String(), value: Type.String(), displayOrder: Type.Integer(), hidden: Type.Boolean() })),
    hasUniqueValue: Type.Boolean(),
  },
  { additionalProperties: true },
);
export const propertyCreate = Type.Object({
  name: internalName,
  label: Type.String({ minLength: 1, maxLength: 100 }),
  type: propertyType,
  fieldType: Type.String({ minLength: 1 }),
  groupName: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String({ maxLength: 1_000 })),
  options: Type.Optional(
    Type.Array(
      Type.Object({ label: Type.String({ minLength: 1 }), value: Type.String({ minLength: 1 }), displayOrder: Type.Optional(Type.Integer()), hidden: Type.Optional(Type.Boolean()) }),
      { maxItems: 1_000, description: 'Required for enumeration properties' },
    ),
  ),
  displayOrder: Type.Optional(Type.Integer()),
  hasUniqueValue: Type.Optional(Type.Boolean({ description: 'At most 10 unique properties; single-line text or number only' })),
  hidden: Type.Optional(Type.Boolean()),
  formField: Type.Optional(Type.Boolean()),
});

export const group = Type.Object({ name: Type.String(), label: Type.String(), displayOrder: Type.Integer(), archived: Type.Boolean() });
export const groupCreate = Type.Object({ name: internalName, label: Type.String({ minLength: 1, maxLength: 100 }), displayOrder: Type.Optional(Type.Integer()) });
