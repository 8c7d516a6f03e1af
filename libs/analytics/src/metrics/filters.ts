import { sql, dateParam, trusted, type Sql } from './sql.js';

/** The filters every metric takes. Dates are the studios' local calendar days, inclusive. */
export type MetricFilters = {
  from: string;
  to: string;
  location?: string;
  classType?: string;
  instructor?: string;
};

export type MetricInputErrorCode = 'BAD_DATE' | 'BAD_RANGE' | 'BAD_FILTER' | 'UNKNOWN_FILTER_VALUE' | 'UNKNOWN_METRIC' | 'BAD_OPTION';

/** The request cannot be answered as asked; the message says what to change. Never a server fault. */
export class MetricInputError extends Error {
  override name = 'MetricInputError';
  constructor(
    readonly code: MetricInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Longest date range a metric accepts (a mistyped year should fail fast, not scan the whole lake). */
export const MAX_RANGE_DAYS = 3 * 366;
const EARLIEST = '2000-01-01';
const LATEST = '2100-12-31';
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;

const DAY_MS = 86_400_000;
export const dayNumber = (isoDate: string): number => Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS;
export const addDays = (isoDate: string, days: number): string => new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

function checkDate(name: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new MetricInputError('BAD_DATE', `${name} must be a calendar date written YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  if (value < EARLIEST || value > LATEST) throw new MetricInputError('BAD_DATE', `${name} ${value} is outside ${EARLIEST}…${LATEST}`);
  return value;
}

function checkId(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new MetricInputError('BAD_FILTER', `${name} must be an identifier (letters, digits, _ . : -, at most 64), got ${JSON.stringify(value).slice(0, 80)}`);
  }
  return value;
}

/** Validates and normalises filters (shape only; whether a location exists is checked against the lake by the runner). */
export function checkFilters(input: Partial<Record<keyof MetricFilters, unknown>>): MetricFilters {
  const from = checkDate('from', input.from);
  const to = checkDate('to', input.to);
  if (from > to) throw new MetricInputError('BAD_RANGE', `from (${from}) is after to (${to}); swap them`);
  const days = dayNumber(to) - dayNumber(from) + 1;
  if (days > MAX_RANGE_DAYS) throw new MetricInputError('BAD_RANGE', `the range covers ${days} days; at most ${MAX_RANGE_DAYS} are allowed`);
  const filters: MetricFilters = { from, to };
  const location = checkId('location', input.location);
  const classType = checkId('classType', input.classType);
  const instructor = checkId('instructor', input.instructor);
  if (location) filters.location = location;
  if (classType) filters.classType = classType;
  if (instructor) filters.instructor = instructor;
  return filters;
}

/**
 * UTC days (`dt` partitions) that can hold a local day in [from, to]: one day either side covers every
 * zone from UTC−12 to UTC+14, so the engines read only those partitions.
 */
export const partitionRange = (from: string, to: string): Sql => sql`dt BETWEEN ${dateParam(addDays(from, -1))} AND ${dateParam(addDays(to, 1))}`;

/**
 * Check-ins in local days [from, to] with their class (none for open gym), narrowed by the filters:
 * location = where the visit happened; class type / instructor = the class attended (open-gym visits
 * drop out when either is set).
 */
export function visitsIn(f: MetricFilters, from: string, to: string): Sql {
  return sql`SELECT f.checkin_id, f.member_id, f.class_id, f.location_id, f.local_date, f.local_weekday, f.local_hour, c.class_type, c.instructor_id
  FROM fact_attendance f
  LEFT JOIN dim_classes c ON c.class_id = f.class_id
  WHERE ${partitionRange(from, to)} AND f.local_date BETWEEN ${dateParam(from)} AND ${dateParam(to)}${classFilters(f, 'c')}${f.location ? sql` AND f.location_id = ${f.location}` : trusted('')}`;
}

/** ` AND <alias>.class_type = ? AND <alias>.instructor_id = ?` for the filters that are set. */
export function classFilters(f: MetricFilters, alias: string): Sql {
  let out = trusted('');
  if (f.classType) out = sql`${out} AND ${trusted(alias)}.class_type = ${f.classType}`;
  if (f.instructor) out = sql`${out} AND ${trusted(alias)}.instructor_id = ${f.instructor}`;
  return out;
}

/**
 * The members a member-level metric is about: a location filter keeps members whose home studio it is;
 * class type / instructor keep members who attended such a class between `from` and `to` (e.g. "churn
 * among spin riders"). What is then measured about them (visits, last visit) counts all their visits.
 * `members` is the relation of one row per member to start from (default `dim_members`, the newest versions).
 */
export function membersInScope(f: MetricFilters, from: string, to: string, members: Sql = trusted('dim_members')): Sql {
  let where = trusted('TRUE');
  if (f.location) where = sql`${where} AND m.home_location_id = ${f.location}`;
  if (f.classType || f.instructor) {
    where = sql`${where} AND m.member_id IN (
    SELECT a.member_id FROM fact_attendance a JOIN dim_classes c ON c.class_id = a.class_id
    WHERE ${partitionRange(from, to)} AND a.local_date BETWEEN ${dateParam(from)} AND ${dateParam(to)}${classFilters(f, 'c')})`;
  }
  return sql`SELECT m.* FROM ${members} m WHERE ${where}`;
}

/**
 * Check-ins in local days [from, to] of the members in the query's `scope` CTE (built by membersInScope).
 * Callers join the result to `scope`: without a filter that narrows the members, the check-ins are not
 * matched against it here too (a probe per check-in, the most expensive step of a year-long metric).
 */
export function memberVisitsIn(f: MetricFilters, from: string, to: string): Sql {
  const narrowed = f.location || f.classType || f.instructor ? trusted('\n    AND f.member_id IN (SELECT member_id FROM scope)') : trusted('');
  return sql`SELECT f.member_id, f.local_date, f.local_weekday, f.local_hour, f.location_id, f.class_id
  FROM fact_attendance f
  WHERE ${partitionRange(from, to)} AND f.local_date BETWEEN ${dateParam(from)} AND ${dateParam(to)}${narrowed}`;
}

/**
 * A one-row `params` CTE whose columns are the given dates, taken from `dim_date` through WHERE (Athena
 * allows `?` only there), so SELECT lists can use them as `p.<name>`.
 */
export function paramsCte(dates: Readonly<Record<string, string>>): Sql {
  const names = Object.keys(dates);
  if (names.length === 0) throw new Error('paramsCte needs at least one date');
  const select = trusted(names.map((n, i) => `d${i}.calendar_date AS ${n}`).join(', '));
  const from = trusted(names.map((_, i) => `dim_date d${i}`).join(' CROSS JOIN '));
  let where = trusted('TRUE');
  names.forEach((n, i) => (where = sql`${where} AND ${trusted(`d${i}`)}.calendar_date = ${dateParam(dates[n] ?? '')}`));
  return sql`params AS (SELECT ${select} FROM ${from} WHERE ${where})`;
}

/** `month` (first day) and `next_month` of every month that [from, to] touches, from dim_date. */
export function monthsBetween(from: string, to: string): Sql {
  return sql`SELECT DISTINCT month_start AS month, CAST(month_start + INTERVAL '1' MONTH AS DATE) AS next_month
  FROM dim_date WHERE calendar_date BETWEEN ${dateParam(from)} AND ${dateParam(to)}`;
}

/** First day of the month of a date. */
export const monthStart = (isoDate: string): string => `${isoDate.slice(0, 7)}-01`;
