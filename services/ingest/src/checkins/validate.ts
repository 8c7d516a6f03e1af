import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { allowedValues, datasets, type AttendanceRow } from '@peak/contracts';

/** Most check-ins one request may carry. */
export const MAX_CHECKINS_PER_REQUEST = 500;
/** Most problems listed for one item (a hostile item may have thousands of unknown keys). */
export const MAX_PROBLEMS_PER_ITEM = 5;

const contract = datasets.attendance;
const properties = contract.row.properties as Record<string, TSchema>;
const required = new Set((contract.row as { required?: string[] }).required ?? []);
const COLUMNS = contract.columns as readonly string[];

/** One problem of one item: `field` is '' when the item as a whole is wrong. */
export type ItemProblem = { index: number; field: string; message: string };

export type CheckinsVerdict =
  | { ok: true; rows: AttendanceRow[] }
  | { ok: false; reason: 'not-checkins'; message: string }
  | { ok: false; reason: 'too-many'; count: number }
  | { ok: false; reason: 'invalid'; problems: ItemProblem[]; invalidItems: number };

/**
 * Checks a parsed body: one check-in object or an array of at most 500, each against the attendance
 * contract exactly (no coercion, no unknown keys: a `__proto__` or `constructor` key is an unknown
 * field like any other), and no `checkin_id` twice. All or nothing: any problem refuses the whole body.
 */
export function checkCheckins(body: unknown): CheckinsVerdict {
  if (typeof body !== 'object' || body === null) {
    return { ok: false, reason: 'not-checkins', message: `The body is ${describe(body)}; send one check-in object or a JSON array of them.` };
  }
  const items: unknown[] = Array.isArray(body) ? body : [body];
  if (items.length > MAX_CHECKINS_PER_REQUEST) return { ok: false, reason: 'too-many', count: items.length };
  if (items.length === 0) return { ok: false, reason: 'not-checkins', message: 'The array is empty; send at least one check-in.' };

  const problems: ItemProblem[] = [];
  const invalid = new Set<number>();
  const firstIndexOf = new Map<string, number>();
  items.forEach((item, index) => {
    const found = itemProblems(item).slice(0, MAX_PROBLEMS_PER_ITEM);
    const id = (item as { checkin_id?: unknown } | null)?.checkin_id;
    if (found.length === 0 && typeof id === 'string') {
      const first = firstIndexOf.get(id);
      if (first === undefined) firstIndexOf.set(id, index);
      else found.push({ field: 'checkin_id', message: `the same checkin_id as item ${first}; send each check-in once` });
    }
    for (const p of found) problems.push({ index, ...p });
    if (found.length > 0) invalid.add(index);
  });
  if (problems.length > 0) return { ok: false, reason: 'invalid', problems, invalidItems: invalid.size };
  return { ok: true, rows: items as AttendanceRow[] };
}

function itemProblems(item: unknown): Omit<ItemProblem, 'index'>[] {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return [{ field: '', message: `is ${describe(item)}; each item must be a check-in object` }];
  }
  const found: Omit<ItemProblem, 'index'>[] = [];
  const record = item as Record<string, unknown>;
  // Own keys only: Object.keys never walks the prototype, and JSON.parse makes `__proto__` an own key.
  for (const key of Object.keys(record)) {
    if (!Object.hasOwn(properties, key)) found.push({ field: fieldName(key), message: `is not a check-in field; the fields are ${COLUMNS.join(', ')}` });
  }
  for (const column of COLUMNS) {
    const present = Object.hasOwn(record, column);
    if (!present) {
      if (required.has(column)) found.push({ field: column, message: 'is required' });
      continue;
    }
    const problem = valueProblem(column, record[column]);
    if (problem) found.push({ field: column, message: problem });
  }
  // The contract is the authority: anything the field checks above missed still refuses the item.
  if (found.length === 0 && !Value.Check(contract.row, item)) found.push({ field: '', message: 'does not match the attendance contract' });
  return found;
}

/** What is wrong with one column's value, said without echoing it (it may be huge or hostile). */
function valueProblem(column: string, value: unknown): string | undefined {
  const schema = properties[column] as TSchema & { type?: string; format?: string; minLength?: number; maxLength?: number; pattern?: string };
  const length = typeof value === 'string' ? ` (it has ${value.length})` : '';
  if (Value.Check(schema, value)) return undefined;
  const choices = allowedValues(schema);
  if (choices) return `must be one of ${choices.join(', ')}`;
  if (schema.type === 'string' && typeof value !== 'string') {
    const optional = !required.has(column) ? `; leave ${column} out when there is none` : '';
    return `must be a string, not ${describe(value)}${optional}`;
  }
  if (schema.format === 'date-time') return 'must be an ISO 8601 date-time with a UTC offset, e.g. 2026-01-05T06:52:40Z';
  if (schema.pattern === '^[A-Za-z0-9_.:-]+$') return `must be ${schema.minLength ?? 1} to ${schema.maxLength} characters of A-Z a-z 0-9 _ . : -${length}`;
  return Value.Errors(schema, value)[0]?.message ?? 'is not valid';
}

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : value === undefined ? 'missing' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;

/** A field name as reported back: hostile keys may be long; they are cut, never echoed whole. */
const fieldName = (key: string): string => (key.length > 64 ? `${key.slice(0, 64)}…` : key);
