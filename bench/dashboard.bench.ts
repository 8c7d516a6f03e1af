/**
 * Benchmark: the dashboard's Overview in headless Chromium over the analytics benchmark's lake (a year of a
 * four-studio chain: 50k members, 10M check-ins; see analytics-lake.ts). Issue 6's target: under 1.5 s from
 * navigation to every chart drawn. Also measured: the metrics-cache refresh that the page reads (run here as the
 * service runs it after a batch: every combination of the plan, DuckDB over the lake, written to Redis), a filter
 * change, and what the page downloads.
 * `ANALYTICS_BENCH_LAKE=<folder>` reuses (or first writes) the lake there instead of a temporary one.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { chromium, type Page } from 'playwright-core';
import { DuckDbEngine } from '@peak/analytics';
import { freePort, localAwsEnv, startRedis, startSqsEmulator, waitFor } from '@peak/local-stack';
import { refreshMetricsCache } from '../services/leaderboard/src/metrics/refresh.js';
import { BENCH_LAKE, writeBenchLake } from './analytics-lake.js';

const ZONE = 'America/New_York';
const LOADS = 5; // page loads per scenario; the median and the slowest are printed
const service = fileURLToPath(new URL('../services/leaderboard/src/server.ts', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();

const keep = process.env.ANALYTICS_BENCH_LAKE;
const root = keep ?? (await mkdtemp(join(tmpdir(), 'peak-dashboard-bench-')));
const redisServer = await startRedis();
const emu = await startSqsEmulator();
const redis = new Redis(redisServer.url);
let child: ChildProcess | undefined;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });

/** Milliseconds from the navigation's start until the KPIs, the three charts and the at-risk table are all shown. */
async function overviewReady(page: Page): Promise<number> {
  const done = await page.waitForFunction(
    () => {
      const drawn = ['#chart-movement', '#chart-cohorts', '#chart-fill'].every((s) => document.querySelector(`${s} svg`));
      const settled = !document.querySelector('#kpis[aria-busy]') && !document.querySelector('.is-loading') && document.querySelector('#at-risk-rows tr[data-member-id]');
      return drawn && settled ? performance.now() : false;
    },
    undefined,
    { polling: 'raf', timeout: 60_000 },
  );
  return (await done.jsonValue()) as number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const ms = (x: number) => Math.round(x).toLocaleString('en-US');

try {
  let generated = '';
  if (!keep || !existsSync(join(root, 'processed', 'attendance'))) {
    const t0 = performance.now();
    await writeBenchLake(root);
    generated = `Lake written in ${((performance.now() - t0) / 1000).toFixed(1)} s. `;
  }

  // The refresh, as the service runs it after a processed batch.
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE });
  let t0 = performance.now();
  await engine.connect();
  const warmUp = performance.now() - t0;
  t0 = performance.now();
  const refreshed = await refreshMetricsCache({ engine, redis });
  const refreshMs = performance.now() - t0;
  await engine.close();
  if (refreshed.outcome !== 'refreshed') throw new Error(`the refresh did not complete: ${JSON.stringify(refreshed)}`);
  const memory = /used_memory:(\d+)/.exec(await redis.info('memory'))?.[1];

  // The service as deployed, serving the dashboard and the cache (no feed: nothing else competes for the cores).
  const port = await freePort();
  const env = { ...localAwsEnv({ sqs: emu.endpoint, s3: emu.endpoint, sesv2: 'http://127.0.0.1:9', dynamodb: 'http://127.0.0.1:9' }), REDIS_URL: redisServer.url, LEADERBOARD_FEED: 'off', STUDIO_TIME_ZONE: ZONE, LAKE_URI: pathToFileURL(root).href };
  child = spawn(process.execPath, ['--import', 'tsx', service], {
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the leaderboard service to answer', async () => (await fetch(`${base}/health`).catch(() => undefined))?.ok === true, 60_000, 100);

  type Run = { ms: number; requests: number; kb: number };
  /** One load of `url` in a new browser context; `reload`: visited once first, so the scripts come from the browser's cache. */
  async function load(url: string, reload: boolean): Promise<Run> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    let requests = 0;
    const sizes: Promise<number>[] = [];
    page.on('requestfinished', (r) => {
      requests++;
      sizes.push(r.sizes().then((s) => s.responseBodySize + s.responseHeadersSize));
    });
    await page.goto(url);
    let at = await overviewReady(page);
    if (reload) {
      requests = 0;
      sizes.length = 0;
      await page.reload();
      at = await overviewReady(page);
    }
    const bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
    await context.close();
    return { ms: at, requests, kb: bytes / 1024 };
  }

  const scenarios: [string, () => Promise<Run>][] = [
    ['first visit (empty browser cache), all studios, last 30 days', () => load(`${base}/#/`, false)],
    ['reload (scripts cached), all studios, last 30 days', () => load(`${base}/#/`, true)],
    ['first visit, one studio, last 12 months, one class type', () => load(`${base}/#/?location=downtown&range=12_months&classType=spin`, false)],
  ];
  const results: [string, Run[]][] = [];
  for (const [name, run] of scenarios) {
    const runs: Run[] = [];
    for (let i = 0; i < LOADS; i++) runs.push(await run());
    results.push([name, runs]);
  }

  // A filter change on an open page: from the choice to every panel redrawn.
  const changes: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/#/`);
    await overviewReady(page);
    const studio = ['downtown', 'riverside', 'northgate', 'harbor'][i % 4] ?? 'downtown';
    const started = await page.evaluate(() => performance.now());
    await page.locator('#location-filter').selectOption(studio);
    await page.waitForFunction((s) => document.querySelector('#at-risk-caption')?.textContent?.includes(s.charAt(0).toUpperCase() + s.slice(1)), studio);
    changes.push((await overviewReady(page)) - started);
    await page.close();
  }

  console.log('| overview load | median (ms) | slowest (ms) | vs 1,500 ms target | requests | KB transferred |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, runs] of results) {
    const times = runs.map((r) => r.ms);
    const last = runs[runs.length - 1];
    console.log(`| ${name} | ${ms(median(times))} | ${ms(Math.max(...times))} | ${(Math.max(...times) / 1500).toFixed(2)}× | ${last?.requests ?? 0} | ${ms(last?.kb ?? 0)} |`);
  }
  console.log(`| studio filter changed on the open page (to every panel redrawn) | ${ms(median(changes))} | ${ms(Math.max(...changes))} | ${(Math.max(...changes) / 1500).toFixed(2)}× | | |`);
  console.log();
  console.log(
    `Headless Chromium (Debian's), 1280×900, ${LOADS} loads each; "ready" = the six KPI cards filled, the three charts drawn (SVG) and the at-risk table's rows shown, ` +
      'timed in the page from the navigation\'s start. The leaderboard service in its own process (LOG_LEVEL=warn, LEADERBOARD_FEED=off), Redis and Chromium on the same 2 cores.',
  );
  console.log();
  console.log('| metrics-cache refresh (what the page reads) | value |');
  console.log('|---|---:|');
  console.log(`| combinations stored | ${refreshed.combinations.toLocaleString('en-US')} |`);
  console.log(`| queries run | ${refreshed.queries.toLocaleString('en-US')} |`);
  console.log(`| refresh time (s) | ${(refreshMs / 1000).toFixed(1)} |`);
  console.log(`| Redis memory after it (MB) | ${memory ? (Number(memory) / 2 ** 20).toFixed(0) : '?'} |`);
  console.log();
  console.log(
    `${generated}Lake: ${BENCH_LAKE.members.toLocaleString('en-US')} members, ${BENCH_LAKE.checkins.toLocaleString('en-US')} check-ins over ${BENCH_LAKE.days} days to ${BENCH_LAKE.end}, 4 studios, 8 class types, 40 instructors. ` +
      `DuckDB's in-memory star schema built first in ${(warmUp / 1000).toFixed(1)} s (the service does it once at start).`,
  );
} finally {
  child?.kill('SIGTERM');
  await browser.close();
  redis.disconnect();
  await emu.stop();
  await redisServer.stop();
  if (!keep) await rm(root, { recursive: true, force: true });
}
