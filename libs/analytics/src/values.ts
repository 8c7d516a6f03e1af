import type { ColumnType, SqlValue } from './engine.js';

/** Maps an engine's type name (DuckDB `DECIMAL(12,2)`, Athena `decimal(12,2)`, `timestamp(3)`…) to a ColumnType. */
export function normaliseType(engineType: string): ColumnType {
  const t = engineType.trim().toUpperCase();
  if (t.endsWith('[]') || t.startsWith('ARRAY')) return 'ARRAY';
  if (t === 'VARCHAR' || t.startsWith('VARCHAR(') || t === 'CHAR' || t.startsWith('CHAR(') || t === 'STRING') return 'VARCHAR';
  if (t === 'BIGINT' || t === 'HUGEINT' || t === 'UBIGINT' || t === 'UINTEGER') return 'BIGINT';
  if (t === 'INTEGER' || t === 'INT' || t === 'SMALLINT' || t === 'TINYINT' || t === 'USMALLINT' || t === 'UTINYINT') return 'INTEGER';
  if (t === 'DOUBLE' || t === 'FLOAT' || t === 'REAL') return 'DOUBLE';
  if (t.startsWith('DECIMAL')) return 'DECIMAL';
  if (t === 'BOOLEAN') return 'BOOLEAN';
  if (t === 'DATE') return 'DATE';
  if (t.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  return 'OTHER';
}

/**
 * One value from its text form (how Athena returns every value, and DuckDB's JSON rows) to the shared
 * representation: numbers as numbers, DATE as `YYYY-MM-DD`, TIMESTAMP as ISO 8601 UTC with milliseconds.
 */
export function fromText(text: string | null | undefined, type: ColumnType): SqlValue {
  if (text === null || text === undefined) return null;
  switch (type) {
    case 'BIGINT':
    case 'INTEGER':
    case 'DOUBLE':
    case 'DECIMAL':
      return toNumber(text);
    case 'BOOLEAN':
      return text === 'true';
    case 'DATE':
      return text.slice(0, 10);
    case 'TIMESTAMP':
      return isoTimestamp(text);
    default:
      return text;
  }
}

function toNumber(text: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === 'Infinity' || text === 'inf') return Number.POSITIVE_INFINITY;
  if (text === '-Infinity' || text === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** `2026-06-30 22:30:00[.123456][ UTC|+00]` (either engine) → `2026-06-30T22:30:00.123Z`. */
export function isoTimestamp(text: string): string {
  const m = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?/.exec(text);
  if (!m) return text;
  const ms = (m[7] ?? '').padEnd(3, '0').slice(0, 3);
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${ms}Z`;
}
