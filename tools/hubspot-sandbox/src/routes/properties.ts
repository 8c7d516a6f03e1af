import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ContactStore } from '../store.js';
import { errorBody, errorResponses, group, groupCreate, property, propertyCreate } from '../schemas.js';

const tags = ['hubspot'];
const notFound = { 404: errorBody };

/** Contact properties and property groups: /crm/v3/properties/contacts… */
export const propertyRoutes: FastifyPluginAsyncTypebox<{ store: ContactStore }> = async (api, { store }) => {
  const { catalog } = store;

  api.get(
    '/properties/contacts',
    { schema: { tags, summary: 'List contact properties', response: { 200: Type.Object({ results: Type.Array(property) }), ...errorResponses } } },
    async () => ({ results: catalog.list() }),
  );

  api.post(
    '/properties/contacts',
    { schema: { tags, summary: 'Create a contact property', body: propertyCreate, response: { 201: property, 409: errorBody, ...errorResponses } } },
    async (req, reply) => reply.code(201).send(catalog.create(req.body)),
  );

  api.get(
    '/properties/contacts/groups',
    { schema: { tags, summary: 'List contact property groups', response: { 200: Type.Object({ results: Type.Array(group) }), ...errorResponses } } },
    async () => ({ results: catalog.listGroups() }),
  );

  api.post(
    '/properties/contacts/groups',
    { schema: { tags, summary: 'Create a contact property group (409 if the name is taken)', body: groupCreate, response: { 201: group, 409: errorBody, ...errorResponses } } },
    async (req, reply) => reply.code(201).send(catalog.createGroup(req.body)),
  );

  api.get(
    '/properties/contacts/groups/:groupName',
    { schema: { tags, summary: 'Read a contact property group', params: Type.Object({ groupName: Type.String() }), response: { 200: group, ...notFound, ...errorResponses } } },
    async (req) => catalog.requireGroup(req.params.groupName),
  );

  api.get(
    '/properties/contacts/:propertyName',
    { schema: { tags, summary: 'Read a contact property', params: Type.Object({ propertyName: Type.String() }), response: { 200: property, ...notFound, ...errorResponses } } },
    async (req) => catalog.require(req.params.propertyName),
  );
};
