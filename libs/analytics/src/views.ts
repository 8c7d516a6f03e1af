import { columnMeta, DATASET_NAMES, datasets, DERIVED_NAMES, derivedDatasets, type DatasetName, type DerivedName, type SqlType } from '@peak/contracts';
import type { TObject, TSchema } from 'typebox';
import { offsetFormat, offsetMinutesAt } from './values.js';

/**
 * The relations every query can use, on both engines:
 * - one per dataset (`members`, `attendance`, …) and one per derived relation (`member_churn_scores`, written
 *   by the platform's own jobs): the processed Parquet, with its `dt` partition column — a DuckDB view over
 *   the lake folder locally, a Glue table (partition projection on `dt`) in AWS;
 * - the star schema on top (`fact_attendance`, `dim_members`, `dim_classes`): SQL views whose text is the
 *   same on both engines (DuckDB `CREATE VIEW`, Athena `CREATE OR REPLACE VIEW`).
 */

export type RelationColumn = { name: string; sqlType: SqlType | 'DATE' };

/** A relation read straight from the processed Parquet: a dataset or a derived relation. */
export type LakeRelation = DatasetName | DerivedName;

/** The contract's columns with their SQL types, then `dt`. */
function contractColumns(contract: { row: TObject; columns: readonly string[] }): RelationColumn[] {
  const props = contract.row.properties as Record<string, TSchema>;
  return [...contract.columns.map((c) => ({ name: c, sqlType: columnMeta(props[c] as TSchema)['x-sql'] })), { name: 'dt', sqlType: 'DATE' }];
}

/** A dataset relation's columns: the contract's, then `dt`. */
export function datasetColumns(name: DatasetName): RelationColumn[] {
  return contractColumns(datasets[name]);
}

/** A derived relation's columns: the contract's, then `dt` (the day of its `partitionBy` column). */
export function derivedColumns(name: DerivedName): RelationColumn[] {
  return contractColumns(derivedDatasets[name]);
}

export const DATASET_RELATIONS: readonly DatasetName[] = DATASET_NAMES;
export const DERIVED_RELATIONS: readonly DerivedName[] = DERIVED_NAMES;
/** Every relation over the processed Parquet, datasets first (the star schema is built on the datasets only). */
export const LAKE_RELATIONS: readonly LakeRelation[] = [...DATASET_NAMES, ...DERIVED_NAMES];

export const isDerived = (name: LakeRelation): name is DerivedName => (DERIVED_RELATIONS as readonly string[]).includes(name);

/** Any lake relation's columns (datasetColumns or derivedColumns). */
export function relationColumns(name: LakeRelation): RelationColumn[] {
  return isDerived(name) ? derivedColumns(name) : datasetColumns(name);
}

export type ViewDefinition = { name: string; description: string; sql: string };

/** IANA zone names only (they end up inside SQL text, so nothing else may pass). */
export function assertTimeZone(zone: string): string {
  if (!/^[A-Za-z]+(?:[/_+-][A-Za-z0-9]+)*$/.test(zone)) throw new Error(`not an IANA time zone name: ${JSON.stringify(zone)}`);
  return zone;
}

/**
 * `dim_date`: one row per calendar day 2000-01-01…2100-12-31 (`calendar_date`, `month_start`, `iso_weekday`
 * 1 = Monday, `year_number`). Metric SQL takes its dates from here through WHERE clauses, because Athena
 * accepts `?` parameters only in WHERE. Its definition is engine-specific (each engine's series function);
 * the columns are the same.
 */
export const DIM_DATE = {
  name: 'dim_date',
  description: 'One row per calendar day, 2000–2100: where metric SQL takes its date constants from.',
  duckdb: `SELECT CAST(d AS DATE) AS calendar_date, CAST(date_trunc('month', d) AS DATE) AS month_start,
  CAST(isodow(d) AS INTEGER) AS iso_weekday, CAST(year(d) AS INTEGER) AS year_number
FROM range(TIMESTAMP '2000-01-01', TIMESTAMP '2101-01-01', INTERVAL 1 DAY) AS days(d)`,
  // Trino's sequence() stops at 10,000 elements: 200 × 200 offsets cover the 36,890 days.
  athena: `SELECT d AS calendar_date, date_trunc('month', d) AS month_start, day_of_week(d) AS iso_weekday, year(d) AS year_number
FROM (
  SELECT date_add('day', hi * 200 + lo, DATE '2000-01-01') AS d
  FROM UNNEST(sequence(0, 199)) AS h(hi) CROSS JOIN UNNEST(sequence(0, 199)) AS l(lo)
) AS days
WHERE d <= DATE '2100-12-31'`,
} as const;

/** Newest version of each key (the lake keeps every version that arrived; `updated_at` says which is current). */
export function latestVersion(relation: DatasetName, key: string, columns: string[]): string {
  return `SELECT ${columns.join(', ')}
FROM (
  SELECT ${columns.join(', ')}, row_number() OVER (PARTITION BY ${key} ORDER BY updated_at DESC, dt DESC) AS version_rank
  FROM ${relation}
) AS versions
WHERE version_rank = 1`;
}

/**
 * How the views turn a UTC timestamp into the studios' wall-clock time:
 * - `at-time-zone` (Athena): `CAST(ts AS TIMESTAMP WITH TIME ZONE) AT TIME ZONE zone`, the standard form both
 *   engines accept (timestamps are stored as UTC and both sessions run in UTC);
 * - `offset-table` (DuckDB): the same value from `zone_offsets` (one row per UTC day: offset before and after a
 *   transition that day), because DuckDB's per-row time-zone lookup costs ~4 s per 10M rows and a join on the day
 *   ~0.3 s. Days outside the table fall back to the standard form, so the result is the same everywhere.
 */
export type LocalTimeMethod = 'at-time-zone' | 'offset-table';

/**
 * Event datasets that get a `fact_<dataset>` view: every column of the dataset, `dt`, and the local day, weekday and
 * hour of `timeColumn` in the studios' zone (metric filters are local days). Adding a dataset here is the "table"
 * step of docs/etl-templates.md; fact_attendance and fact_transactions predate it and pick their own columns.
 */
export const LOCAL_FACTS: readonly { dataset: DatasetName; timeColumn: string; description: string }[] = [
  {
    dataset: 'class_feedback',
    timeColumn: 'submitted_at',
    description: 'One row per class rating, with the local day, weekday and hour it was submitted, and `dt` (UTC day) for partition pruning.',
  },
];

/**
 * The star schema. Its SQL is the same on both engines except for the local-time expression (see LocalTimeMethod).
 * `sources` reads a dataset from another relation than its own (the DuckDB engine appends new files this way).
 */
export function starSchemaViews(timeZone: string, method: LocalTimeMethod = 'at-time-zone', sources: Partial<Record<DatasetName, string>> = {}): ViewDefinition[] {
  const zone = assertTimeZone(timeZone);
  const source = (name: DatasetName) => sources[name] ?? name;
  const standard = (ts: string) => `(CAST(${ts} AS TIMESTAMP WITH TIME ZONE) AT TIME ZONE '${zone}')`;
  /** `SELECT x.*, <local time of ts> AS local_ts FROM <from> x`: computed once, read three times. */
  const withLocalTs = (from: string, ts: string) =>
    method === 'at-time-zone'
      ? `SELECT x.*, ${standard(`x.${ts}`)} AS local_ts FROM ${from} x`
      : `SELECT x.*, CASE WHEN o.utc_day IS NULL THEN ${standard(`x.${ts}`)}
    ELSE x.${ts} + INTERVAL '1' MINUTE * (CASE WHEN x.${ts} >= o.switch_at THEN o.offset_after ELSE o.offset_before END) END AS local_ts
  FROM ${from} x LEFT JOIN ${ZONE_OFFSETS} o ON o.utc_day = CAST(x.${ts} AS DATE)`;
  // ISO weekday 1 = Monday … 7 = Sunday, by date arithmetic (the engines' weekday functions disagree); 2001-01-01 was a Monday.
  const isoWeekday = (date: string) => `CAST(((date_diff('day', DATE '2001-01-01', ${date}) % 7) + 7) % 7 + 1 AS INTEGER)`;
  const localColumns = `CAST(local_ts AS DATE) AS local_date,
  ${isoWeekday('CAST(local_ts AS DATE)')} AS local_weekday,
  CAST(hour(local_ts) AS INTEGER) AS local_hour`;
  const memberColumns = datasetColumns('members').filter((c) => c.name !== 'dt').map((c) => c.name);
  const classColumns = datasetColumns('classes').filter((c) => c.name !== 'dt').map((c) => c.name);
  return [
    {
      name: 'dim_members',
      description: 'One row per member: the newest version the lake holds.',
      sql: latestVersion('members', 'member_id', memberColumns),
    },
    {
      name: 'dim_classes',
      description: 'One row per class session: the newest version, with its local start day, weekday and hour.',
      sql: `SELECT ${classColumns.join(', ')},
  ${localColumns}
FROM (${withLocalTs(`(${latestVersion('classes', 'class_id', classColumns)})`, 'starts_at')}) AS current_classes`,
    },
    {
      name: 'fact_attendance',
      description: 'One row per check-in, with its local day, weekday and hour, and `dt` (UTC day) for partition pruning.',
      sql: `SELECT checkin_id, member_id, class_id, location_id, checked_in_at, method, dt,
  ${localColumns}
FROM (${withLocalTs(source('attendance'), 'checked_in_at')}) AS checkins`,
    },
    {
      name: 'fact_transactions',
      description: 'One row per payment or refund, with its local day (months of revenue are local months) and `dt` for partition pruning.',
      sql: `SELECT transaction_id, member_id, location_id, occurred_at, type, amount, currency, status, refund_of, dt,
  CAST(local_ts AS DATE) AS local_date
FROM (${withLocalTs(source('transactions'), 'occurred_at')}) AS payments`,
    },
    {
      name: 'dim_signups',
      description: 'One row per booking: its newest version (bookings change status until the class is over).',
      sql: latestVersion('signups', 'signup_id', datasetColumns('signups').filter((c) => c.name !== 'dt').map((c) => c.name)),
    },
    ...LOCAL_FACTS.map((f) => ({
      name: `fact_${f.dataset}`,
      description: f.description,
      sql: `SELECT ${datasetColumns(f.dataset).map((c) => c.name).join(', ')},
  ${localColumns}
FROM (${withLocalTs(source(f.dataset), f.timeColumn)}) AS events`,
    })),
  ];
}

export const ZONE_OFFSETS = 'zone_offsets';
const OFFSET_DAYS = { from: '2000-01-01', to: '2100-12-31' } as const;
const MINUTE = 60_000;
const DAY = 86_400_000;

export type ZoneOffsetDay = { utcDay: string; offsetBefore: number; offsetAfter: number; switchAt: string | null };

const offsetCache = new Map<string, ZoneOffsetDay[]>();

/**
 * `zone_offsets` rows for 2000–2100: per UTC day, the offset at its start, and the instant (whole minute)
 * and new offset of a transition within it. One transition per UTC day at most (true of every zone in use).
 */
export function zoneOffsetDays(timeZone: string): ZoneOffsetDay[] {
  const cached = offsetCache.get(timeZone);
  if (cached) return cached;
  const format = offsetFormat(assertTimeZone(timeZone));
  const out: ZoneOffsetDay[] = [];
  const last = Date.parse(`${OFFSET_DAYS.to}T00:00:00Z`);
  let at = Date.parse(`${OFFSET_DAYS.from}T00:00:00Z`);
  let before = offsetMinutesAt(format, at);
  for (; at <= last; at += DAY) {
    const after = offsetMinutesAt(format, at + DAY);
    let switchAt: string | null = null;
    if (after !== before) {
      let lo = at; // offset `before` here
      let hi = at + DAY; // offset `after` here
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
        if (offsetMinutesAt(format, mid) === before) lo = mid;
        else hi = mid;
      }
      switchAt = new Date(hi).toISOString();
    }
    out.push({ utcDay: new Date(at).toISOString().slice(0, 10), offsetBefore: before, offsetAfter: after, switchAt });
    before = after;
  }
  offsetCache.set(timeZone, out);
  return out;
}

/** The views as Athena DDL, for the infra to run once per stage after the Glue tables exist (dim_date first). */
export function athenaViewDdl(timeZone: string): string[] {
  return [
    `CREATE OR REPLACE VIEW ${DIM_DATE.name} AS\n${DIM_DATE.athena}`,
    ...starSchemaViews(timeZone).map((v) => `CREATE OR REPLACE VIEW ${v.name} AS\n${v.sql}`),
  ];
}
