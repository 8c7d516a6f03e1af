import {
  checkFilters, FILL_GROUP_COLUMNS, fillGrain, INSTRUCTOR_FILTER_KEYS, INSTRUCTOR_KEY_COLUMNS, instructorPerformanceSql,
  type ColumnInfo, type FILL_GRAIN_COLUMNS, type InstructorFilterKey, type QueryResult, type Row, type Sql, type SqlValue,
} from '@peak/analytics';
import type { BatchKind, Combination } from './plan.js';

/**
 * The batched metrics of the cache (plan.ts, `batch`): one query per batch kind and range answers every filter choice
 * of those metrics, and each combination's answer is worked out here from its rows, exactly as the metric's own SQL
 * would answer it (the tests compare every combination with runMetric). Pure functions: no engine, no Redis.
 */

export type Answer = Pick<QueryResult, 'columns' | 'rows'>;
export type CombinationFilters = Combination['filters'];

/** Which metrics each batch kind answers. */
const BATCH_METRICS: Readonly<Record<BatchKind, readonly string[]>> = {
  'fill-grain': Object.keys(FILL_GROUP_COLUMNS),
  'by-filter-key': ['instructor_performance'],
};

/** Refuses a plan entry whose metric its batch kind cannot answer (a mistake in the plan, found before any query). */
export function checkBatch(metric: string, kind: BatchKind): void {
  const metrics = BATCH_METRICS[kind];
  if (!metrics.includes(metric)) throw new Error(`${metric} cannot be batched as ${kind}: that batch answers ${metrics.join(', ')} only`);
}

/** The key of instructor_performance's keyed query that holds the answer to these filters (an instructor filter picks a row). */
export function instructorFilterKey(filters: CombinationFilters): InstructorFilterKey {
  if (filters.location !== undefined) return filters.classType !== undefined ? 'location+classType' : 'location';
  return filters.classType !== undefined ? 'classType' : 'none';
}

/** The one query of a batch kind over the range [from, to], for the filter choices of the combinations it answers. */
export function batchQuery(kind: BatchKind, from: string, to: string, filters: readonly CombinationFilters[]): Sql {
  switch (kind) {
    case 'fill-grain':
      return fillGrain(from, to);
    case 'by-filter-key': {
      const needed = new Set(filters.map(instructorFilterKey));
      return instructorPerformanceSql(checkFilters({ from, to }), INSTRUCTOR_FILTER_KEYS.filter((key) => needed.has(key)));
    }
  }
}

/** One combination's answer from the rows of its batch query. */
export function deriveAnswer(kind: BatchKind, metric: string, batch: Answer, filters: CombinationFilters): Answer {
  checkBatch(metric, kind);
  switch (kind) {
    case 'fill-grain':
      return deriveFill(FILL_GROUP_COLUMNS[metric as keyof typeof FILL_GROUP_COLUMNS], batch, filters);
    case 'by-filter-key':
      return deriveByFilterKey(batch, filters);
  }
}

/**
 * SQL's `ORDER BY x` (ascending) on both engines: NULLs last; text by code point (DuckDB and Trino compare the UTF-8
 * bytes; JavaScript's `<` compares UTF-16 units, which puts U+10000 and above before U+E000–U+FFFF); numbers and
 * booleans by value.
 */
export function compareSqlValues(a: SqlValue, b: SqlValue): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 unit moved so units compare in code point order: surrogates (U+10000 and above) after U+E000–U+FFFF. */
const codePointRank = (unit: number) => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit);

/** The grain column each filter narrows, as the fill query's `classesIn` filters the classes. */
const FILL_FILTER_COLUMNS = [
  ['location', 'location_id'],
  ['classType', 'class_type'],
  ['instructor', 'instructor_id'],
] as const satisfies readonly (readonly [keyof CombinationFilters, (typeof FILL_GRAIN_COLUMNS)[number]])[];
const FILL_SUMS = ['classes', 'capacity', 'attendees'] as const;

/** SQL's `sum`: NULLs are skipped, and a sum of nothing but NULLs is NULL. */
const sqlSum = (total: SqlValue, value: SqlValue): SqlValue => (value === null ? total : total === null ? value : Number(total) + Number(value));

/**
 * A fill metric's answer to `filters` from the grain (fillGrain's rows): the grain rows the filters keep, grouped by
 * the metric's columns, their classes, capacity and attendees summed (whole numbers: exact), fill rate = attendees ÷
 * capacity as one division (as `CAST(sum(…) AS DOUBLE) / sum(capacity)`: Infinity or NaN for a capacity of 0, NULL for
 * a NULL one), ordered by the group columns. A filter value without classes gives the SQL's empty answer: its columns, no rows.
 */
export function deriveFill(groupColumns: readonly string[], grain: Answer, filters: CombinationFilters): Answer {
  const wanted = FILL_FILTER_COLUMNS.flatMap(([filter, column]) => (filters[filter] === undefined ? [] : [[column, filters[filter]] as const]));
  const groups = new Map<string, Row>();
  for (const r of grain.rows) {
    if (!wanted.every(([column, value]) => r[column] === value)) continue;
    const values = groupColumns.map((c) => r[c] ?? null);
    const key = JSON.stringify(values);
    let group = groups.get(key);
    if (!group) {
      group = Object.fromEntries(groupColumns.map((c, i) => [c, values[i] ?? null])) as Row;
      for (const c of FILL_SUMS) group[c] = null;
      groups.set(key, group);
    }
    for (const c of FILL_SUMS) group[c] = sqlSum(group[c] ?? null, r[c] ?? null);
  }
  const rows = [...groups.values()];
  for (const g of rows) g.fill_rate = g.attendees === null || g.capacity === null ? null : Number(g.attendees) / Number(g.capacity);
  rows.sort((a, b) => {
    for (const c of groupColumns) {
      const order = compareSqlValues(a[c] ?? null, b[c] ?? null);
      if (order !== 0) return order;
    }
    return 0;
  });
  return { columns: [...groupColumns, ...FILL_SUMS, 'fill_rate'].map((name) => columnOf(grain, name)), rows };
}

function columnOf(result: Answer, name: string): ColumnInfo {
  const column = result.columns.find((c) => c.name === name);
  if (!column) throw new Error(`the batch query has no column ${name}`);
  return { name: column.name, type: column.type };
}

/**
 * instructor_performance's answer to `filters` from its keyed query: the rows of the filters' key and values, in the
 * query's order (by instructor, as the metric orders them), without the key columns; an instructor filter keeps that
 * instructor's row only (every part of the metric is per instructor).
 */
export function deriveByFilterKey(keyed: Answer, filters: CombinationFilters): Answer {
  const [name, location, classType] = INSTRUCTOR_KEY_COLUMNS;
  const key = instructorFilterKey(filters);
  const keyColumns = new Set<string>(INSTRUCTOR_KEY_COLUMNS);
  for (const c of keyColumns) columnOf(keyed, c);
  const rows = keyed.rows
    .filter((r) => r[name] === key && r[location] === (filters.location ?? '') && r[classType] === (filters.classType ?? ''))
    .filter((r) => filters.instructor === undefined || r.instructor_id === filters.instructor)
    .map((r) => Object.fromEntries(Object.entries(r).filter(([c]) => !keyColumns.has(c))) as Row);
  return { columns: keyed.columns.filter((c) => !keyColumns.has(c.name)).map((c) => ({ name: c.name, type: c.type })), rows };
}
