/**
 * Measures "the seed's volumes": one default sample dataset (tools/sample-data's DEFAULTS, a fixed end day), its
 * exports as delivered (CSV / NDJSON) and as processed Parquet written the ETL's way (DuckDB, zstd, partitioned by
 * the contract's day). Writes infra/cost/sample-volumes.json, which the cost model reads: run it again
 * (`npx tsx infra/cost/measure-sample.ts`, ~10 s) when the generator or the contracts change, then `npm run infra:cost`.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { datasetColumns } from '@peak/analytics';
import { datasets, DATASET_NAMES } from '@peak/contracts';
import { DEFAULTS, generate } from '@peak/sample-data';
import type { SampleVolumes } from './volumes.js';

// A fixed end day keeps the measurement reproducible (the generator's default end is "today").
const END = '2026-11-30';

function bytesUnder(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}

const work = mkdtempSync(join(tmpdir(), 'peak-cost-'));
try {
  const { manifest } = await generate({ out: join(work, 'sample'), end: END });
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  await con.run(`SET TimeZone = 'UTC'`);
  const perDataset: SampleVolumes['datasets'] = {};
  for (const name of DATASET_NAMES) {
    const file = manifest.files.find((f) => f.dataset === name);
    if (!file) throw new Error(`the sample has no ${name} export`);
    const path = join(work, 'sample', file.file);
    const reader = file.format === 'csv' ? `read_csv('${path}', header = true, all_varchar = true)` : `read_json('${path}', format = 'newline_delimited')`;
    const columns = datasetColumns(name).filter((c) => c.name !== 'dt');
    const select = columns.map((c) => `TRY_CAST(${c.name} AS ${c.sqlType}) AS ${c.name}`).join(', ');
    const out = join(work, 'processed', name);
    mkdirSync(out, { recursive: true });
    await con.run(`COPY (SELECT ${select}, CAST(TRY_CAST(${datasets[name].partitionBy} AS TIMESTAMP) AS DATE) AS dt FROM ${reader})
      TO '${out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt))`);
    perDataset[name] = { format: file.format, rows: file.rows, exportBytes: file.bytes, parquetBytes: bytesUnder(out) };
  }
  con.closeSync();
  instance.closeSync();
  const volumes: SampleVolumes = {
    generator: { members: DEFAULTS.members, locations: DEFAULTS.locations, days: DEFAULTS.days, seed: DEFAULTS.seed, end: END },
    datasets: perDataset,
  };
  const target = fileURLToPath(new URL('./sample-volumes.json', import.meta.url));
  writeFileSync(target, `${JSON.stringify(volumes, null, 2)}\n`);
  console.log(`wrote ${target}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
