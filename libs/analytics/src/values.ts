import type { ColumnType, SqlValue } from './engine.js';

/** Maps an engine's type name (DuckDB `DECIMAL(12,2)`, Athena `decimal(12,2)`, `timestamp(3)`…) to a ColumnType. */
export function normaliseType(engineType: string): ColumnType {
  const t = engineType.trim().toUpperCase();
  if (/\[\d*\]$/.test(t) || t.startsWith('ARRAY')) return 'ARRAY'; // INTEGER[] (list), INTEGER[3] (fixed size), array(varchar)
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

/**
 * Timestamp text (either engine) → ISO 8601 UTC with milliseconds: `2026-06-30 22:30:00[.123456]` (UTC), with a
 * zone — `Z`, ` UTC`, `+02`, `+05:30`, `-0800` (DuckDB TIMESTAMPTZ), or an IANA name (Athena `timestamp with time
 * zone`, e.g. ` America/New_York`) — converted to the instant it names. Text it cannot read comes back unchanged.
 */
export function isoTimestamp(text: string): string {
  const m = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(.*)$/.exec(text.trim());
  if (!m) return text;
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const year = Number(m[1]);
  if (year > 9999) return text; // beyond what ISO 8601's four-digit form (and Date) can say
  const date = new Date(Date.UTC(2000, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms));
  const wall = date.setUTCFullYear(year); // Date.UTC would read years 0–99 as 1900–1999
  const offset = zoneOffsetMinutes(m[8] ?? '', wall);
  if (offset === undefined || Number.isNaN(wall)) return text;
  return new Date(wall - offset * 60_000).toISOString();
}

/** Minutes east of UTC in a `+05:30` / `-08` / `-0800` / `GMT+02:00` style offset; undefined when it is not one. */
function offsetText(text: string): number | undefined {
  const m = /^(?:GMT)?([+-])(\d{2}):?(\d{2})?$/.exec(text);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : undefined;
}

/** Formats offsets of one IANA zone (throws for an unknown zone). Reuse it: building one is the costly part. */
export const offsetFormat = (zone: string): Intl.DateTimeFormat => new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });

/** The zone's UTC offset in minutes at an instant (Intl: the host's time-zone database). */
export function offsetMinutesAt(format: Intl.DateTimeFormat, instant: number): number {
  return offsetText(format.formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT') ?? 0;
}

/** Minutes east of UTC that a zone suffix means at a wall-clock time (read as if UTC); undefined when unknown. */
function zoneOffsetMinutes(zone: string, wall: number): number | undefined {
  if (zone === '' || zone === 'Z' || zone === 'UTC' || zone === 'GMT') return 0;
  const numeric = offsetText(zone);
  if (numeric !== undefined) return numeric;
  try {
    // A named zone: its offset at the instant the wall time would be in UTC, then once more at the corrected instant.
    const format = offsetFormat(zone);
    return offsetMinutesAt(format, wall - offsetMinutesAt(format, wall) * 60_000);
  } catch {
    return undefined;
  }
}
