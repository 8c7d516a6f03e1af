import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Test } from 'tap';
import { datasetColumns } from '@peak/analytics';
import type { DatasetName } from '@peak/contracts';

type Value = string | number | boolean | null;
type Rows = Partial<Record<DatasetName, Record<string, Record<string, Value>[]>>>;

const literal = (v: Value) => (v === null ? 'NULL' : typeof v === 'string' ? `'${v.replaceAll("'", "''")}'` : String(v));

/**
 * A tiny lake (studios in America/New_York): two members (M1 in two versions), two classes, bookings,
 * five check-ins over two days, one payment; `engagement` has no files yet. Rows by dataset and `dt`.
 */
export const TINY_LAKE: Rows = {
  members: {
    '2026-06-01': [
      { member_id: 'M1', email: 'ana@example.com', first_name: 'Ana', last_name: 'Diaz', home_location_id: 'downtown', join_date: '2026-01-04', plan: 'eight_per_month', status: 'active', cancelled_on: null, birth_year: 1991, marketing_opt_in: true, updated_at: '2026-06-01 10:00:00' },
      { member_id: 'M2', email: 'bo@example.com', first_name: 'Bo', last_name: 'Lee', home_location_id: 'uptown', join_date: '2026-02-01', plan: 'unlimited', status: 'active', cancelled_on: null, birth_year: null, marketing_opt_in: false, updated_at: '2026-06-01 10:00:00' },
    ],
    '2026-06-20': [
      { member_id: 'M1', email: 'ana@example.com', first_name: 'Ana', last_name: 'Diaz', home_location_id: 'downtown', join_date: '2026-01-04', plan: 'unlimited', status: 'active', cancelled_on: null, birth_year: 1991, marketing_opt_in: true, updated_at: '2026-06-20 09:00:00' },
    ],
  },
  classes: {
    '2026-06-01': [
      { class_id: 'C1', location_id: 'downtown', class_type: 'spin', class_name: 'Morning Spin', instructor_id: 'I1', instructor_name: 'Maya Chen', starts_at: '2026-06-29 11:00:00', duration_minutes: 45, capacity: 2, cancelled: false, updated_at: '2026-06-01 10:00:00' },
      { class_id: 'C2', location_id: 'uptown', class_type: 'yoga', class_name: 'Evening Yoga', instructor_id: 'I2', instructor_name: 'Sam Roe', starts_at: '2026-06-29 22:30:00', duration_minutes: 60, capacity: 10, cancelled: false, updated_at: '2026-06-01 10:00:00' },
    ],
  },
  signups: {
    '2026-06-28': [
      { signup_id: 'S1', member_id: 'M1', class_id: 'C1', booked_at: '2026-06-28 08:00:00', status: 'attended', cancelled_at: null, channel: 'app', updated_at: '2026-06-29 12:00:00' },
      { signup_id: 'S2', member_id: 'M2', class_id: 'C1', booked_at: '2026-06-28 09:00:00', status: 'attended', cancelled_at: null, channel: 'web', updated_at: '2026-06-29 12:00:00' },
      { signup_id: 'S3', member_id: 'M2', class_id: 'C2', booked_at: '2026-06-28 09:05:00', status: 'no_show', cancelled_at: null, channel: 'web', updated_at: '2026-06-30 12:00:00' },
    ],
  },
  attendance: {
    '2026-06-29': [
      { checkin_id: 'K1', member_id: 'M1', class_id: 'C1', location_id: 'downtown', checked_in_at: '2026-06-29 10:55:00', method: 'app' },
      { checkin_id: 'K2', member_id: 'M2', class_id: 'C1', location_id: 'downtown', checked_in_at: '2026-06-29 10:57:00', method: 'card' },
      { checkin_id: 'K3', member_id: 'M2', class_id: null, location_id: 'uptown', checked_in_at: '2026-06-29 23:10:00', method: 'card' },
    ],
    '2026-06-30': [
      { checkin_id: 'K4', member_id: 'M1', class_id: null, location_id: 'downtown', checked_in_at: '2026-06-30 02:30:00', method: 'app' },
      { checkin_id: 'K5', member_id: 'M1', class_id: null, location_id: 'downtown', checked_in_at: '2026-06-30 12:00:00', method: 'app' },
    ],
  },
  transactions: {
    '2026-06-01': [
      { transaction_id: 'T1', member_id: 'M1', location_id: 'downtown', occurred_at: '2026-06-01 10:00:00', type: 'membership', amount: 49.99, currency: 'USD', status: 'settled', refund_of: null, description: 'June dues' },
    ],
  },
};

/** Writes one Parquet file per dataset and day as the ETL lays them out: `processed/<dataset>/dt=<day>/x__0.parquet`. */
export async function writeLake(lakeRoot: string, rows: Rows = TINY_LAKE): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    for (const [dataset, days] of Object.entries(rows) as [DatasetName, Record<string, Record<string, Value>[]>][]) {
      const columns = datasetColumns(dataset).filter((c) => c.name !== 'dt');
      for (const [day, dayRows] of Object.entries(days)) {
        const dir = join(lakeRoot, 'processed', dataset, `dt=${day}`);
        mkdirSync(dir, { recursive: true });
        const values = dayRows.map((row) => `(${columns.map((c) => literal(row[c.name] ?? null)).join(', ')})`).join(', ');
        const select = columns.map((c) => `CAST(${c.name} AS ${c.sqlType}) AS ${c.name}`).join(', ');
        await con.run(`COPY (SELECT ${select} FROM (VALUES ${values}) AS v(${columns.map((c) => c.name).join(', ')})) TO '${join(dir, 'x__0.parquet')}' (FORMAT parquet)`);
      }
    }
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** A lake in a tap testdir, with a raw-zone file beside processed/ that the sandbox must not read. */
export async function tinyLake(t: Test): Promise<string> {
  const lakeRoot = t.testdir({ raw: { 'members.csv': 'member_id,email\nM1,ana@example.com\n' } });
  await writeLake(lakeRoot);
  return lakeRoot;
}

/** Every file and folder under `dir` with the sha-256 of each file's bytes: equal snapshots mean nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        found[`${relative(dir, path)}/`] = 'dir';
        walk(path);
      } else {
        found[relative(dir, path)] = `${statSync(path).size}:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
      }
    }
  };
  walk(dir);
  return found;
}

/** Adds one Parquet file for a dataset after the sandbox opened (a batch landing). */
export async function landLater(lakeRoot: string, dataset: DatasetName, day: string, rows: Record<string, Value>[]): Promise<void> {
  await writeLake(lakeRoot, { [dataset]: { [day]: rows } });
}

