/**
 * End-to-end smoke test: the whole local platform as `npm start` runs it (random ports, small sample
 * data), looked at through a real browser. Later issues extend it: file in → dashboard / CRM / email out.
 */
import { execFileSync } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { chromium } from 'playwright-core';
import { startPlatform } from '@peak/local-platform';

// scripts/setup.sh installs Debian's chromium; CHROMIUM_PATH points elsewhere when needed.
const CHROMIUM = process.env.CHROMIUM_PATH ?? execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();

t.test('the platform comes up with sample data and the dashboard shows every dependency ready', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'peak-smoke-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const platform = await startPlatform({
    dataDir,
    ports: 'random',
    sampleData: { members: 150, days: 30, seed: 7, end: '2026-11-01' },
    logLevel: 'warn',
  });
  t.teardown(() => platform.stop());

  // Sample data: every dataset exported, with rows, and the ground truth kept apart.
  const manifest = JSON.parse(await readFile(join(platform.samples!.dir, 'manifest.json'), 'utf8')) as {
    files: { dataset: string; rows: number }[];
  };
  const datasets = manifest.files.map((f) => f.dataset).sort();
  t.same(datasets, ['attendance', 'churn_labels', 'class_feedback', 'classes', 'engagement', 'members', 'signups', 'transactions']);
  for (const f of manifest.files) t.ok(f.rows > 0, `${f.dataset} has rows`);

  // File in → Parquet out: every export went through ingest and the ETL; rows in = processed + quarantined.
  const loaded = platform.loaded ?? [];
  t.same(loaded.map((b) => b.dataset).sort(), datasets.filter((d) => d !== 'churn_labels'), 'every export loaded as a batch');
  for (const b of loaded) {
    t.equal(b.status, 'processed', `${b.dataset}: batch processed`);
    t.equal(b.rowsIn, manifest.files.find((f) => f.dataset === b.dataset)?.rows, `${b.dataset}: every row read`);
    t.equal((b.rowsProcessed ?? 0) + (b.rowsQuarantined ?? 0), b.rowsIn, `${b.dataset}: conservation`);
    t.equal(b.rowsQuarantined, 0, `${b.dataset}: clean samples quarantine nothing`);
  }
  const parquet = execFileSync('find', [join(dataDir, 'lake', 'processed'), '-name', '*.parquet'], { encoding: 'utf8' }).trim().split('\n');
  t.ok(parquet.length > 30, `Parquet files by day in the processed zone (${parquet.length})`);
  t.equal(platform.churn, undefined, 'a month of samples is too short to train the churn model on (a log line, not a failed start)');
  // Members out to the CRM: the first sync put every eligible member into the HubSpot sandbox, once.
  t.match(platform.crmSync, { outcome: 'succeeded', failed: 0 }, 'the first HubSpot sync ran');
  const contacts = (await (await fetch(new URL('/crm/v3/objects/contacts/search', platform.urls.hubspotSandbox), {
    method: 'POST', headers: { authorization: 'Bearer pat-local-sandbox', 'content-type': 'application/json' },
    body: JSON.stringify({ filterGroups: [{ filters: [{ propertyName: 'peak_member_id', operator: 'HAS_PROPERTY' }] }], properties: ['peak_member_id', 'peak_home_location'], limit: 1 }),
  })).json()) as { total: number };
  t.ok(platform.crmSync && platform.crmSync.created > 0 && platform.crmSync.created === platform.crmSync.sent, `contacts created (${platform.crmSync?.created})`);
  t.equal(contacts.total, platform.crmSync?.created, 'the sandbox holds exactly the contacts the run created: one per member');
  const workerRes = await fetch(new URL('/v1/worker', platform.urls.etlDocs));
  const worker = (await workerRes.json()) as { processed: number };
  t.equal(worker.processed, loaded.length, 'the ETL worker reports every batch');

  // Every service documents its API.
  for (const key of ['ingestDocs', 'etlDocs', 'leaderboardDocs', 'crmSyncDocs', 'notifierDocs', 'hubspotSandbox']) {
    const base = platform.urls[key];
    t.ok(base, `${key} has a URL`);
    const res = await fetch(new URL('/docs/json', base));
    t.equal(res.status, 200, `${key} serves its OpenAPI document`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    t.match(doc.openapi, /^3\./);
    t.ok(doc.paths['/ready'], `${key} documents /ready`);
  }

  // The dashboard, in a real browser: every dependency of the leaderboard reported ready.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${platform.urls.dashboard!}#/status`);
  t.match(await page.title(), /Peak Fitness/);
  await page.getByText('Every dependency answers.').waitFor({ timeout: 10_000 });
  const up = await page.locator('#checks li.ok .name').allTextContents();
  t.same(up.sort(), ['lake', 'redis', 'sqs'], 'the lake, redis and sqs shown as up');
  t.equal(await page.locator('#checks li.failing').count(), 0, 'nothing shown as down');
  if (process.env.SMOKE_SCREENSHOT) await page.screenshot({ path: process.env.SMOKE_SCREENSHOT, fullPage: true });
  t.same(errors, [], 'no script errors on the dashboard');
});
