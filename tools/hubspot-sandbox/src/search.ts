import { HubSpotError } from './errors.js';
import type { PropertyCatalog, PropertyType } from './properties.js';
import type { Contact } from './store.js';
import { epochMillis } from './validate.js';

export const OPERATORS = ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN'] as const;
export type Operator = (typeof OPERATORS)[number];
export type Filter = { propertyName: string; operator: Operator; value?: string; values?: string[]; highValue?: string };
/** The guide's sorts are `{propertyName, direction}`; the spec (and @hubspot/api-client's type) says strings. */
export type Sort = string | { propertyName: string; direction?: 'ASCENDING' | 'DESCENDING' };
export type SearchRequest = { filterGroups?: { filters: Filter[] }[]; sorts?: Sort[]; query?: string; properties?: string[]; limit?: number; after?: string };

/**
 * HubSpot's search limits (search guide, research §2). The guide allows 5 filter groups of 6 filters, 18 in all;
 * the spec says 6 groups: the sandbox enforces the stricter guide, so what passes here passes there.
 */
export const SEARCH_LIMITS = { pageSize: 200, defaultPageSize: 10, results: 10_000, groups: 5, filtersPerGroup: 6, filters: 18, queryLength: 3_000 } as const;

/** Properties the free-text `query` looks in (HubSpot: the object's default searchable properties). */
const QUERY_PROPERTIES = ['firstname', 'lastname', 'email', 'phone', 'mobilephone', 'company'];

type Typed = number | string;

const invalid = (message: string) => new HubSpotError(400, 'VALIDATION_ERROR', message);

/**
 * Filter groups are ORed, filters inside a group ANDed; then sorted (default: record id ascending) and paged by
 * offset (`after`). `total` counts every match; paging stops at HubSpot's 10,000 results. Not simulated: the
 * "few moments" before a new or changed record becomes searchable. Error texts are the sandbox's own.
 */
export function searchContacts(contacts: Iterable<Contact>, catalog: PropertyCatalog, request: SearchRequest): { total: number; results: Contact[]; nextAfter?: string } {
  const groups = request.filterGroups ?? [];
  const limit = request.limit ?? SEARCH_LIMITS.defaultPageSize;
  const offset = request.after === undefined ? 0 : Number(request.after);
  checkRequest(request, limit, offset);
  const typeOf = (name: string): PropertyType => {
    const def = catalog.get(name);
    if (!def) throw invalid(`There was a problem with the request: property ${name} does not exist on contacts`);
    return def.type;
  };
  const predicates = groups.map((g) => g.filters.map((f) => predicate(f, typeOf(f.propertyName))));
  const sorts = (request.sorts ?? []).map((s) => (typeof s === 'string' ? { propertyName: s } : s)); // a bare name sorts ascending
  const order = sorts.map((s) => ({ name: s.propertyName, type: typeOf(s.propertyName), sign: s.direction === 'DESCENDING' ? -1 : 1 }));
  const query = request.query?.trim().toLowerCase().split(/\s+/).filter(Boolean) ?? [];

  const matches = [...contacts].filter(
    (c) => (predicates.length === 0 || predicates.some((all) => all.every((p) => p(c.properties)))) && (query.length === 0 || matchesQuery(c, query)),
  );
  matches.sort((a, b) => {
    for (const { name, type, sign } of order) {
      const x = typedStored(a.properties.get(name), type);
      const y = typedStored(b.properties.get(name), type);
      if (x === undefined || y === undefined) {
        if (x !== y) return x === undefined ? 1 : -1; // no value sorts last, either direction (unverified)
      } else if (x !== y) return (x < y ? -1 : 1) * sign;
    }
    return Number(a.id) - Number(b.id);
  });
  const end = Math.min(offset + limit, matches.length, SEARCH_LIMITS.results);
  return { total: matches.length, results: matches.slice(offset, end), nextAfter: end < Math.min(matches.length, SEARCH_LIMITS.results) ? String(end) : undefined };
}

function checkRequest(request: SearchRequest, limit: number, offset: number): void {
  const groups = request.filterGroups ?? [];
  if (limit > SEARCH_LIMITS.pageSize) throw invalid(`limit must be at most ${SEARCH_LIMITS.pageSize}`);
  if (!Number.isInteger(offset) || offset < 0) throw invalid(`Invalid after: '${request.after}' is not a paging cursor from this API`);
  if (offset >= SEARCH_LIMITS.results) throw invalid(`Search returns at most ${SEARCH_LIMITS.results} results per query: after ${offset} pages past them`);
  if (groups.length > SEARCH_LIMITS.groups) throw invalid(`Too many filter groups (${groups.length}); at most ${SEARCH_LIMITS.groups}`);
  if (groups.some((g) => g.filters.length > SEARCH_LIMITS.filtersPerGroup)) throw invalid(`Too many filters in a group; at most ${SEARCH_LIMITS.filtersPerGroup}`);
  const filters = groups.reduce((n, g) => n + g.filters.length, 0);
  if (filters > SEARCH_LIMITS.filters) throw invalid(`Too many filters (${filters}); at most ${SEARCH_LIMITS.filters} in all groups together`);
  if ((request.query?.length ?? 0) > SEARCH_LIMITS.queryLength) throw invalid(`query is longer than ${SEARCH_LIMITS.queryLength} characters`);
}

/** A stored value as search compares it: numbers and dates as numbers, text case-insensitively. */
function typed(value: string, type: PropertyType): Typed | undefined {
  if (type === 'number') return value.trim() === '' || Number.isNaN(Number(value)) ? undefined : Number(value);
  if (type === 'date' || type === 'datetime') return epochMillis(value);
  return value.toLowerCase();
}

const typedStored = (raw: string | undefined, type: PropertyType) => (raw === undefined || raw === '' ? undefined : typed(raw, type));

function predicate(filter: Filter, type: PropertyType): (properties: Map<string, string>) => boolean {
  const { propertyName: name, operator } = filter;
  const need = (value: string | undefined, what: string): string => {
    if (value === undefined) throw invalid(`Filter ${operator} on ${name} needs ${what}`);
    return value;
  };
  const operand = (value: string): Typed => {
    const t = typed(value, type);
    if (t === undefined) throw invalid(`Filter ${operator} on ${name}: ${value} is not a valid ${type}`);
    return t;
  };
  const stored = (p: Map<string, string>) => typedStored(p.get(name), type);
  const compare = (test: (x: Typed, v: Typed) => boolean) => {
    const v = operand(need(filter.value, 'a value'));
    return (p: Map<string, string>) => {
      const x = stored(p);
      return x !== undefined && test(x, v);
    };
  };
  switch (operator) {
    case 'EQ':
      return compare((x, v) => x === v);
    case 'NEQ': {
      const eq = compare((x, v) => x === v);
      return (p) => !eq(p); // records without a value match NEQ (unverified)
    }
    case 'LT':
      return compare((x, v) => x < v);
    case 'LTE':
      return compare((x, v) => x <= v);
    case 'GT':
      return compare((x, v) => x > v);
    case 'GTE':
      return compare((x, v) => x >= v);
    case 'BETWEEN': {
      const high = operand(need(filter.highValue, 'a highValue'));
      return compare((x, v) => x >= v && x <= high);
    }
    case 'IN':
    case 'NOT_IN': {
      // HubSpot's search guide (as remembered, unverified here): IN/NOT_IN values on string properties must be lower
      // case — so they are compared as given with the lower-cased stored value.
      if (!filter.values || filter.values.length === 0) throw invalid(`Filter ${operator} on ${name} needs values`);
      const wanted = filter.values.map((v) => (type === 'number' || type === 'date' || type === 'datetime' ? operand(v) : v));
      const isIn = (p: Map<string, string>) => {
        const x = stored(p);
        return x !== undefined && wanted.includes(x);
      };
      return operator === 'IN' ? isIn : (p) => !isIn(p);
    }
    case 'HAS_PROPERTY':
      return (p) => (p.get(name) ?? '') !== '';
    case 'NOT_HAS_PROPERTY':
      return (p) => (p.get(name) ?? '') === '';
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const token = wildcard(need(filter.value, 'a value'));
      const has = (p: Map<string, string>) => tokens(p.get(name) ?? '').some((t) => token.test(t));
      return operator === 'CONTAINS_TOKEN' ? has : (p) => !has(p);
    }
  }
}

/** Words of a value, and the value itself (so `*@example.com` finds an email). */
const tokens = (value: string) => [value.toLowerCase(), ...value.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean)];

/** A CONTAINS_TOKEN value: `*` stands for any characters. */
const wildcard = (value: string) => new RegExp(`^${value.toLowerCase().split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

function matchesQuery(c: Contact, query: string[]): boolean {
  const words = QUERY_PROPERTIES.flatMap((name) => tokens(c.properties.get(name) ?? ''));
  return query.every((q) => words.some((w) => w.startsWith(q)));
}
