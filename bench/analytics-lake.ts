/**
 * The analytics benchmark's lake: a year of a four-studio chain, written straight as processed Parquet
 * (the ETL's layout and column types) by DuckDB — 50k members, ~29k classes, 10M check-ins, ~2M bookings,
 * ~0.6M payments. Deterministic (hash-based), so every run measures the same data.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { datasets, type DatasetName } from '@peak/contracts';
import { datasetColumns } from '@peak/analytics';

export const BENCH_LAKE = { members: 50_000, classesPerDay: 80, days: 365, checkins: 10_000_000, bookings: 2_000_000, start: '2025-07-01', end: '2026-06-30' } as const;

const LOCATIONS = `['downtown', 'riverside', 'northgate', 'harbor']`;
const TYPES = `['yoga', 'hiit', 'spin', 'pilates', 'strength', 'boxing', 'barre', 'mobility']`;
/** A pseudo-random whole number in [0, n) from a key and a salt. */
const rnd = (key: string, salt: number, n: number) => `CAST(hash(${key}, ${salt}) % ${n} AS BIGINT)`;

const SOURCES: Record<DatasetName, string> = {
  members: `SELECT 'M' || lpad(CAST(i AS VARCHAR), 6, '0') AS member_id, 'm' || i || '@example.com' AS email, 'First' || i AS first_name, 'Last' || i AS last_name,
      ${LOCATIONS}[1 + i % 4] AS home_location_id, DATE '2023-01-01' + CAST(${rnd('i', 1, 1276)} AS INTEGER) AS join_date,
      ['unlimited', 'eight_per_month', 'four_per_month', 'class_pack'][1 + ${rnd('i', 2, 4)}] AS plan,
      CASE WHEN ${rnd('i', 3, 20)} < 2 THEN 'cancelled' WHEN ${rnd('i', 3, 20)} = 2 THEN 'frozen' ELSE 'active' END AS status,
      CASE WHEN ${rnd('i', 3, 20)} < 2 THEN DATE '2025-07-01' + CAST(${rnd('i', 4, 365)} AS INTEGER) END AS cancelled_on,
      1960 + CAST(${rnd('i', 5, 45)} AS INTEGER) AS birth_year, ${rnd('i', 6, 2)} = 0 AS marketing_opt_in,
      CAST(DATE '2023-01-01' + CAST(${rnd('i', 1, 1276)} AS INTEGER) AS TIMESTAMP) + INTERVAL 12 HOUR AS updated_at
    FROM range(1, ${BENCH_LAKE.members + 1}) AS r(i)`,
  classes: `SELECT 'C' || lpad(CAST(i AS VARCHAR), 7, '0') AS class_id, ${LOCATIONS}[1 + i % 4] AS location_id, ${TYPES}[1 + ${rnd('i', 7, 8)}] AS class_type,
      'Class ' || i AS class_name, 'I' || lpad(CAST(${rnd('i', 8, 40)} AS VARCHAR), 2, '0') AS instructor_id, 'Instructor ' || ${rnd('i', 8, 40)} AS instructor_name,
      TIMESTAMP '${BENCH_LAKE.start} 10:00:00' + INTERVAL (i // ${BENCH_LAKE.classesPerDay}) DAY + INTERVAL (45 * ((i // 4) % 20)) MINUTE AS starts_at,
      45 AS duration_minutes, 15 + CAST(${rnd('i', 9, 16)} AS INTEGER) AS capacity, ${rnd('i', 10, 100)} = 0 AS cancelled, TIMESTAMP '2025-06-01 00:00:00' AS updated_at
    FROM range(0, ${BENCH_LAKE.classesPerDay * BENCH_LAKE.days}) AS r(i)`,
  attendance: `SELECT 'K' || lpad(CAST(i AS VARCHAR), 9, '0') AS checkin_id, 'M' || lpad(CAST(1 + ${rnd('i', 11, BENCH_LAKE.members)} AS VARCHAR), 6, '0') AS member_id,
      CASE WHEN ${rnd('i', 12, 5)} > 0 THEN 'C' || lpad(CAST(c AS VARCHAR), 7, '0') END AS class_id, ${LOCATIONS}[1 + c % 4] AS location_id,
      CASE WHEN ${rnd('i', 12, 5)} > 0
        THEN TIMESTAMP '${BENCH_LAKE.start} 09:50:00' + INTERVAL (c // ${BENCH_LAKE.classesPerDay}) DAY + INTERVAL (45 * ((c // 4) % 20)) MINUTE
        ELSE TIMESTAMP '${BENCH_LAKE.start} 10:00:00' + INTERVAL (${rnd('i', 13, BENCH_LAKE.days * 14 * 60)}) MINUTE * 1.5 END AS checked_in_at,
      ['card', 'app', 'kiosk', 'front_desk'][1 + ${rnd('i', 14, 4)}] AS method
    FROM (SELECT i, ${rnd('i', 15, BENCH_LAKE.classesPerDay * BENCH_LAKE.days)} AS c FROM range(0, ${BENCH_LAKE.checkins}) AS r(i))`,
  signups: `SELECT 'S' || lpad(CAST(i AS VARCHAR), 9, '0') AS signup_id, 'M' || lpad(CAST(1 + ${rnd('i', 16, BENCH_LAKE.members)} AS VARCHAR), 6, '0') AS member_id,
      'C' || lpad(CAST(c AS VARCHAR), 7, '0') AS class_id, starts_at - INTERVAL (1 + ${rnd('i', 17, 72)}) HOUR AS booked_at,
      ['attended', 'attended', 'attended', 'attended', 'no_show', 'late_cancelled', 'cancelled', 'booked'][1 + ${rnd('i', 18, 8)}] AS status,
      NULL::TIMESTAMP AS cancelled_at, 'app' AS channel, starts_at AS updated_at
    FROM (SELECT i, c, TIMESTAMP '${BENCH_LAKE.start} 10:00:00' + INTERVAL (c // ${BENCH_LAKE.classesPerDay}) DAY + INTERVAL (45 * ((c // 4) % 20)) MINUTE AS starts_at
      FROM (SELECT i, ${rnd('i', 19, BENCH_LAKE.classesPerDay * BENCH_LAKE.days)} AS c FROM range(0, ${BENCH_LAKE.bookings}) AS r(i)))`,
  transactions: `SELECT 'T' || lpad(CAST(m * 12 + k AS VARCHAR), 9, '0') AS transaction_id, 'M' || lpad(CAST(m AS VARCHAR), 6, '0') AS member_id,
      ${LOCATIONS}[1 + m % 4] AS location_id, TIMESTAMP '${BENCH_LAKE.start} 15:00:00' + INTERVAL (30 * k + m % 30) DAY AS occurred_at,
      CASE WHEN ${rnd('m * 12 + k', 20, 100)} = 0 THEN 'refund' ELSE 'membership' END AS type, CAST(99 + 50 * (m % 2) AS DECIMAL(12,2)) AS amount, 'USD' AS currency,
      CASE WHEN ${rnd('m * 12 + k', 21, 20)} = 0 THEN 'failed' ELSE 'settled' END AS status, NULL AS refund_of, 'Monthly dues' AS description
    FROM range(1, ${BENCH_LAKE.members + 1}) AS a(m), range(0, 12) AS b(k)`,
  engagement: `SELECT 'E1' AS event_id, 'M000001' AS member_id, TIMESTAMP '${BENCH_LAKE.start} 10:00:00' AS occurred_at, 'app_open' AS event_type, 'ios' AS platform,
      NULL AS session_id, NULL AS duration_seconds`,
  // One rating for about one class check-in in twenty (~400k), an hour after the class starts.
  class_feedback: `SELECT 'F' || lpad(CAST(i AS VARCHAR), 9, '0') AS feedback_id, 'M' || lpad(CAST(1 + ${rnd('i', 11, BENCH_LAKE.members)} AS VARCHAR), 6, '0') AS member_id,
      'C' || lpad(CAST(c AS VARCHAR), 7, '0') AS class_id,
      TIMESTAMP '${BENCH_LAKE.start} 11:00:00' + INTERVAL (c // ${BENCH_LAKE.classesPerDay}) DAY + INTERVAL (45 * ((c // 4) % 20)) MINUTE AS submitted_at,
      1 + CAST(${rnd('i', 22, 5)} AS INTEGER) AS rating, CASE WHEN ${rnd('i', 23, 4)} = 0 THEN 'Great class' END AS comment,
      CASE WHEN ${rnd('i', 24, 5)} > 0 THEN ${rnd('i', 25, 3)} > 0 END AS would_recommend, 'app' AS channel
    FROM (SELECT i, ${rnd('i', 15, BENCH_LAKE.classesPerDay * BENCH_LAKE.days)} AS c FROM range(0, ${BENCH_LAKE.checkins}, 20) AS r(i) WHERE ${rnd('i', 12, 5)} > 0)`,
};

/** Writes the benchmark lake under `root`; returns the row count of each dataset. */
export async function writeBenchLake(root: string): Promise<Record<DatasetName, number>> {
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  const counts = {} as Record<DatasetName, number>;
  try {
    await con.run(`SET TimeZone = 'UTC'`);
    await con.run(`SET partitioned_write_max_open_files = 1000`);
    for (const [name, source] of Object.entries(SOURCES) as [DatasetName, string][]) {
      const columns = datasetColumns(name).filter((c) => c.name !== 'dt');
      const dir = join(root, 'processed', name);
      mkdirSync(dir, { recursive: true });
      const select = columns.map((c) => `CAST(${c.name} AS ${c.sqlType}) AS ${c.name}`).join(', ');
      await con.run(`COPY (SELECT ${select}, CAST(CAST(${datasets[name].partitionBy} AS TIMESTAMP) AS DATE) AS dt FROM (${source}))
        TO '${dir}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt), OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'bench__{i}')`);
      const [row] = (await con.runAndReadAll(`SELECT count(*) FROM read_parquet('${dir}/*/*.parquet')`)).getRows();
      counts[name] = Number(row?.[0] ?? 0);
    }
  } finally {
    con.closeSync();
    instance.closeSync();
  }
  return counts;
}
