/**
 * Benchmark: the ETL on a 5M-row attendance CSV, all checks on (types, formats, allowed values,
 * members/classes references, duplicates in the batch and against earlier batches), against DuckDB's
 * plain COPY of the same file to Parquet partitioned by day, in the same run. Issue target: ≥ 0.6×.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { datasets } from '@peak/contracts';
import { buildPlan, runBatch } from '@peak/etl';
import { generate } from '@peak/sample-data';

const ROWS = 5_000_000;
const RUNS = 3; // the best of three runs each, alternating, on a noisy shared box

async function duck(sql: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    for (const s of sql) await con.run(s);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

const work = await mkdtemp(join(tmpdir(), 'peak-etl-bench-'));
try {
  // A year of realistic check-ins for 10k members, repeated with fresh ids up to 5M rows.
  const sample = join(work, 'sample');
  await generate({ out: sample, members: 10_000, days: 365, end: '2026-06-30', seed: 42 });
  const clean = join(work, 'attendance-5m.csv');
  const dirty = join(work, 'attendance-5m-dirty.csv');
  const copyOf = `SELECT 'K' || lpad(CAST(r AS VARCHAR), 2, '0') || substr(checkin_id, 4) AS checkin_id, member_id, class_id, location_id, checked_in_at, method
    FROM range(20) t(r), read_csv('${sample}/exports/attendance.csv', all_varchar = true) ORDER BY r, checkin_id LIMIT ${ROWS}`;
  await duck([
    `COPY (${copyOf}) TO '${clean}' (HEADER true)`,
    // One row in a thousand breaks: an unknown member, which the quarantine must then locate by line.
    `COPY (SELECT checkin_id, CASE WHEN hash(checkin_id) % 1000 = 0 THEN 'M999999' ELSE member_id END AS member_id, class_id, location_id, checked_in_at, method
      FROM read_csv('${clean}', all_varchar = true)) TO '${dirty}' (HEADER true)`,
  ]);

  // The references the check-ins are checked against, as the worker has them: processed Parquet.
  const lake = join(work, 'lake');
  for (const name of ['members', 'classes'] as const) {
    await runBatch({ plan: buildPlan(datasets[name]), inputFile: `${sample}/exports/${name}.csv`, format: 'csv', outDir: lake, batchId: name });
  }
  const parquet = async (name: string) => {
    const { readdir } = await import('node:fs/promises');
    const root = join(lake, 'processed', name);
    const files: string[] = [];
    for (const part of await readdir(root)) for (const f of await readdir(join(root, part))) files.push(join(root, part, f));
    return files;
  };
  const knownRefs = { members: { parquetFiles: await parquet('members') }, classes: { parquetFiles: await parquet('classes') } };

  const plainCopy = async () => {
    const out = await mkdtemp(join(work, 'copy-'));
    const t0 = performance.now();
    await duck([
      `SET partitioned_write_max_open_files = 1000`,
      `COPY (SELECT *, CAST(checked_in_at AS DATE) AS dt FROM read_csv('${clean}')) TO '${out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt))`,
    ]);
    const seconds = (performance.now() - t0) / 1000;
    await rm(out, { recursive: true, force: true });
    return seconds;
  };
  const steps = new Map<string, number>();
  const etl = async (file: string, keepSteps = false) => {
    const out = await mkdtemp(join(work, 'etl-'));
    const t0 = performance.now();
    const r = await runBatch({
      plan: buildPlan(datasets.attendance), inputFile: file, format: 'csv', outDir: out, batchId: 'bench', knownRefs,
      onStep: keepSteps ? (step, ms) => steps.set(step, Math.min(steps.get(step) ?? Infinity, ms)) : undefined,
    });
    const seconds = (performance.now() - t0) / 1000;
    await rm(out, { recursive: true, force: true });
    if (r.rowsIn !== ROWS || r.rowsIn !== r.rowsProcessed + r.rowsQuarantined) throw new Error(`conservation: ${JSON.stringify(r)}`);
    return { seconds, quarantined: r.rowsQuarantined };
  };

  let copy = Infinity, etlClean = Infinity, etlDirty = Infinity, quarantined = 0;
  for (let i = 0; i < RUNS; i++) {
    copy = Math.min(copy, await plainCopy());
    etlClean = Math.min(etlClean, (await etl(clean, true)).seconds);
    const d = await etl(dirty);
    etlDirty = Math.min(etlDirty, d.seconds);
    quarantined = d.quarantined;
  }

  const rate = (s: number) => Math.round(ROWS / s).toLocaleString('en-US');
  console.log('| scenario | rows | time (s) | rows/s | vs plain COPY |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(`| DuckDB plain COPY CSV → Parquet by day (zstd), no checks | ${ROWS.toLocaleString('en-US')} | ${copy.toFixed(1)} | ${rate(copy)} | 1.00× |`);
  console.log(`| ETL, all checks, clean file | ${ROWS.toLocaleString('en-US')} | ${etlClean.toFixed(1)} | ${rate(etlClean)} | ${(copy / etlClean).toFixed(2)}× |`);
  console.log(`| ETL, all checks, ${quarantined.toLocaleString('en-US')} rows quarantined (0.1%) | ${ROWS.toLocaleString('en-US')} | ${etlDirty.toFixed(1)} | ${rate(etlDirty)} | ${(copy / etlDirty).toFixed(2)}× |`);
  console.log(`\nBest of ${RUNS} runs each, alternating. Target: ETL ≥ 0.6× plain COPY speed.`);
  console.log(`ETL steps (clean file, best run, s): ${[...steps].map(([s, ms]) => `${s} ${(ms / 1000).toFixed(2)}`).join(' · ')}`);
  console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  await rm(work, { recursive: true, force: true });
}
