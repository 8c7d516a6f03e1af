/**
 * Benchmark: the sample-data generator at the scale (10k members × 1 year), clean and dirty.
 * Prints a markdown table; `npm run bench` collects it into docs/benchmarks.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '@peak/sample-data';

type Row = { scenario: string; seconds: number; rows: number; mb: number };

async function run(scenario: string, dirty: number): Promise<Row> {
  const out = await mkdtemp(join(tmpdir(), 'peak-bench-'));
  try {
    const t0 = performance.now();
    const result = await generate({ out, members: 10_000, days: 365, end: '2026-06-30', seed: 42, dirty });
    const seconds = (performance.now() - t0) / 1000;
    const rows = Object.values(result.rows).reduce((a, b) => a + b, 0);
    const mb = result.manifest.files.reduce((a, f) => a + f.bytes, 0) / 1e6;
    return { scenario, seconds, rows, mb };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

const results = [await run('clean, 10k members × 365 days', 0), await run('dirty 2%, 10k members × 365 days', 0.02)];
const budget = 60;
console.log('| scenario | time (s) | rows | MB written | rows/s | vs 60 s budget |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.scenario} | ${r.seconds.toFixed(1)} | ${r.rows.toLocaleString('en-US')} | ${r.mb.toFixed(0)} | ${Math.round(r.rows / r.seconds).toLocaleString('en-US')} | ${(r.seconds / budget).toFixed(2)}× |`,
  );
}
console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
