/**
 * Benchmark: every catalog metric on a year of a four-studio chain (10M check-ins, 50k members; see
 * analytics-lake.ts), through the engine (`runMetric` on DuckDbEngine: filter checks, view refresh, typed
 * rows) against the same SQL and parameters run straight on a DuckDB connection over the same views, in the
 * same run. Issue targets: engine ÷ raw ≤ 1.2, every metric under 1 s; bytes read per metric, with a
 * 7-day / 30-day / 1-year range to show partition pruning.
 * `ANALYTICS_BENCH_LAKE=<folder>` reuses (or first writes) a lake there instead of a temporary one.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addDays, DuckDbEngine, findMetric, METRICS, resolveOptions, runMetric, type MetricFilters } from '@peak/analytics';
import { BENCH_LAKE, writeBenchLake } from './analytics-lake.js';

const RUNS = 3; // best of three, alternating engine and raw, on a noisy shared box
const ZONE = 'America/New_York';
const LAST_DAY = BENCH_LAKE.end;

/** What the dashboard asks for: a month for the period metrics, a year for the month-by-month ones. */
const MONTHLY = new Set(['churn_monthly', 'retention_cohorts', 'revenue_monthly', 'ltv_estimate']);
const dashboardRange = (id: string): MetricFilters => ({ from: addDays(LAST_DAY, MONTHLY.has(id) ? -364 : -29), to: LAST_DAY });

const keep = process.env.ANALYTICS_BENCH_LAKE;
const root = keep ?? (await mkdtemp(join(tmpdir(), 'peak-analytics-bench-')));
try {
  let generated = '';
  if (!keep || !existsSync(join(root, 'processed', 'attendance'))) {
    const t0 = performance.now();
    const counts = await writeBenchLake(root);
    generated = `Lake written in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${Object.entries(counts).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}.`;
  }
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE, measureBytes: true });
  const raw = await engine.connect();

  const straight = async (text: string, params: readonly (string | number | boolean | null)[]) => {
    const t0 = performance.now();
    const prepared = await raw.prepare(text);
    if (params.length > 0) prepared.bind([...params]);
    const reader = await prepared.runAndReadAll();
    return { ms: performance.now() - t0, rows: reader.currentRowCount };
  };
  const viaEngine = async (id: string, filters: MetricFilters) => {
    const t0 = performance.now();
    const answer = await runMetric(engine, { metric: id, filters });
    return { ms: performance.now() - t0, rows: answer.rows.length, bytes: answer.stats.bytesScanned ?? 0 };
  };

  await viaEngine('active_members', dashboardRange('active_members')); // warm-up: views, caches, dim_date
  console.log('| metric | range | rows | engine (ms) | straight DuckDB (ms) | engine ÷ straight | under 1 s | MB read |');
  console.log('|---|---|---:|---:|---:|---:|:---:|---:|');
  let worstRatio = 0, slowest = 0, over = 0;
  for (const metric of METRICS) {
    const filters = dashboardRange(metric.id);
    const built = findMetric(metric.id).build(filters, resolveOptions(metric));
    let e = { ms: Infinity, rows: 0, bytes: 0 }, s = { ms: Infinity, rows: 0 };
    for (let i = 0; i < RUNS; i++) {
      const a = await viaEngine(metric.id, filters);
      if (a.ms < e.ms) e = a;
      const b = await straight(built.text, built.params);
      if (b.ms < s.ms) s = b;
    }
    if (e.rows !== s.rows) throw new Error(`${metric.id}: the engine returned ${e.rows} rows, DuckDB ${s.rows}`);
    const ratio = e.ms / s.ms;
    worstRatio = Math.max(worstRatio, ratio);
    slowest = Math.max(slowest, e.ms);
    if (e.ms >= 1000) over++;
    const days = MONTHLY.has(metric.id) ? '1 year' : '30 days';
    console.log(`| ${metric.id} | ${days} | ${e.rows.toLocaleString('en-US')} | ${e.ms.toFixed(0)} | ${s.ms.toFixed(0)} | ${ratio.toFixed(2)} | ${e.ms < 1000 ? 'yes' : '**no**'} | ${(e.bytes / 1e6).toFixed(1)} |`);
  }
  console.log(`\nBest of ${RUNS} runs each, alternating. Targets: engine ÷ straight ≤ 1.2 (worst here ${worstRatio.toFixed(2)}), each metric under 1 s (slowest ${slowest.toFixed(0)} ms; ${over} over).`);

  console.log('\nPartition pruning: bytes of Parquet read by one metric as its date range grows (the lake holds a year).\n');
  console.log('| metric | 7 days | 30 days | 1 year |');
  console.log('|---|---:|---:|---:|');
  for (const id of ['visits_per_member_per_week', 'class_fill_heatmap', 'booking_outcomes']) {
    const mb: string[] = [];
    for (const days of [7, 30, 365]) mb.push(`${((await viaEngine(id, { from: addDays(LAST_DAY, -(days - 1)), to: LAST_DAY })).bytes / 1e6).toFixed(1)} MB`);
    console.log(`| ${id} | ${mb.join(' | ')} |`);
  }
  raw.closeSync();
  await engine.close();
  if (generated) console.log(`\n${generated}`);
  console.log(`\nTime zone ${ZONE}; ranges end ${LAST_DAY}. MB read = bytes DuckDB read from the lake's Parquet files for the query (its FileSystem log; members and classes are served from the engine's in-memory copy after the first read).`);
  console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  if (!keep) await rm(root, { recursive: true, force: true });
}
