/**
 * The dashboard's Churn risk page in a real browser (Debian's chromium via playwright-core), against the real
 * leaderboard service reading a real lake: generated exports → ETL → the churn model trained, promoted and scored as
 * the jobs do. What the page shows must be what the API answers; filters change every panel and the URL.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { Page } from 'playwright-core';
import { launchChromium, openPage } from './browser.js';
import { localClients, useRedis, useSqsEmulator } from '@peak/service-kit/testing';
import { buildApp, readConfig } from '@peak/leaderboard';
import { buildScoredLake } from '../../libs/churn/test/scored-lake.js';


const dir = t.testdir();
const scored = await buildScoredLake(join(dir, 'world'));
const emptyLake = join(dir, 'empty-lake');
mkdirSync(emptyLake, { recursive: true });
const emu = await useSqsEmulator(t);
const sqs = localClients.sqs(t, emu.endpoint);
const redis = await useRedis(t);

async function serve(lakeRoot: string): Promise<string> {
  const app = await buildApp(readConfig({ REDIS_URL: redis.url, STUDIO_TIME_ZONE: scored.timeZone, LAKE_URI: pathToFileURL(lakeRoot).href }), { sqs });
  t.teardown(() => app.close());
  return app.listen({ host: '127.0.0.1', port: 0 });
}
const base = await serve(scored.lakeRoot);
const emptyBase = await serve(emptyLake);
const api = async <T>(path: string): Promise<T> => (await (await fetch(new URL(path, base))).json()) as T;

type Summary = { asOf: string; modelVersion: string; members: number; bands: { high: number; medium: number; low: number }; locations: { locationId: string; high: number; medium: number; low: number }[] };
type MembersPage = { total: number; members: { memberId: string; band: string }[] };
type Model = { evaluation: { lake: { model: { rocAuc: number } } } };

const browser = await launchChromium(t);

const digits = (text: string | null) => Number((text ?? '').replace(/[^\d]/g, ''));
const open = (url: string, width = 1280) => openPage(browser, url, { width });
const rowIds = (page: Page) => page.locator('#members-rows tr[data-member-id]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-member-id')));

t.test('the churn page shows what the API answers, and its filters change every panel and the URL', async (t) => {
  const summary = await api<Summary>('/v1/churn/summary');
  const { page, errors } = await open(`${base}/#/churn`);
  await page.locator('#members-rows tr[data-member-id]').first().waitFor({ timeout: 20_000 });

  t.equal(digits(await page.locator('#kpi-members').textContent()), summary.members, 'members scored');
  t.equal(digits(await page.locator('#kpi-high').textContent()), summary.bands.high, 'high-risk members');
  t.equal(digits(await page.locator('#kpi-medium').textContent()), summary.bands.medium, 'medium-risk members');
  t.match(await page.locator('#kpi-model').textContent(), summary.modelVersion, 'the model version (freshness)');
  t.ok(await page.locator('#kpi-as-of').textContent(), 'the as-of day is shown');

  const shown = await rowIds(page);
  const top = await api<MembersPage>(`/v1/churn/members?limit=${shown.length}`);
  t.same(shown, top.members.map((m) => m.memberId), `the at-risk table lists the ${shown.length} riskiest members, in the API's order`);
  for (const chart of ['#chart-bands', '#chart-distribution', '#chart-calibration']) {
    await page.locator(`${chart} svg`).first().waitFor({ timeout: 10_000 });
    t.ok(await page.locator(chart).getAttribute('aria-label'), `${chart} is drawn and described for screen readers`);
  }
  const model = await api<Model>('/v1/churn/model');
  t.match(await page.locator('#metrics-table').textContent(), model.evaluation.lake.model.rocAuc.toFixed(3), 'the evaluation table shows the model\'s ROC AUC');
  t.ok((await page.locator('#model-headline').textContent())?.trim(), 'the evaluation in a sentence');

  if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true });

  // A studio: every panel and the URL follow. The one with the most high-risk members (medium, then low, when none has any), so the CSV has rows.
  const band = summary.bands.high > 0 ? 'high' : summary.bands.medium > 0 ? 'medium' : 'low';
  const studio = [...summary.locations].sort((a, b) => b[band] - a[band])[0]?.locationId ?? '';
  await page.locator('#location-filter').selectOption(studio);
  await page.waitForURL(new RegExp(`location=${studio}`));
  const one = await api<Summary>(`/v1/churn/summary?location=${studio}`);
  await page.waitForFunction(([sel, n]) => Number((document.querySelector(sel as string)?.textContent ?? '').replace(/[^\d]/g, '')) === n, ['#kpi-members', one.members] as const);
  t.pass(`the KPIs show ${studio}'s ${one.members} members`);
  const studioTop = await api<MembersPage>(`/v1/churn/members?location=${studio}&limit=${shown.length}`);
  await page.waitForFunction((first) => document.querySelector('#members-rows tr[data-member-id]')?.getAttribute('data-member-id') === first, studioTop.members[0]?.memberId);
  t.same(await rowIds(page), studioTop.members.map((m) => m.memberId), `the table lists ${studio}'s members`);

  // One band only, then its CSV: every row of the filter, the header first.
  await page.locator('#band-filter').selectOption(band);
  await page.waitForURL(new RegExp(`band=${band}`));
  const high = await api<MembersPage>(`/v1/churn/members?location=${studio}&band=${band}&limit=200`);
  t.ok(high.total > 0, `${studio} has ${high.total} ${band}-risk members`);
  await page.waitForFunction((n) => document.querySelectorAll('#members-rows tr[data-member-id]').length === n || (n === 0 && !!document.querySelector('#members-empty')), Math.min(high.total, shown.length));
  const bands = await page.locator('#members-rows tr[data-member-id]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-band')));
  t.ok(bands.length > 0 && bands.every((b) => b === band), `${bands.length} rows, all ${band} risk`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#csv-download').click()]);
  const csv = readFileSync((await download.path()) as string, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  t.equal(csv.length, high.total + 1, `the CSV has a header and the ${high.total} rows of the filter`);
  if (high.members[0]) t.match(csv[1], high.members[0].memberId, 'riskiest first');

  // The link reproduces the view.
  const again = await open(page.url());
  await again.page.locator('#members-rows tr[data-member-id], #members-empty').first().waitFor({ timeout: 20_000 });
  t.equal(await again.page.locator('#location-filter').inputValue(), studio, 'the studio comes back from the URL');
  t.equal(await again.page.locator('#band-filter').inputValue(), band, 'and the band');

  t.same([...errors, ...again.errors], [], 'no script errors');
});

t.test('at a phone\'s width nothing runs off the side, and the controls work from the keyboard', async (t) => {
  const { page, errors } = await open(`${base}/#/churn`, 390);
  await page.locator('#members-rows tr[data-member-id]').first().waitFor({ timeout: 20_000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  t.ok(overflow <= 1, `no horizontal scrolling of the page (${overflow} px)`);
  await page.locator('#location-filter').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForURL(/location=/);
  t.pass('the studio filter changes with the arrow keys');
  t.same(errors, []);
});

t.test('before any scores the page says what to run, not zeros', async (t) => {
  const { page, errors } = await open(`${emptyBase}/#/churn`);
  await page.locator('#no-scores').waitFor({ timeout: 20_000 });
  t.match(await page.locator('#no-scores').textContent(), /npm run churn -- train/);
  t.equal(await page.locator('#members-rows tr[data-member-id]').count(), 0, 'no table rows');
  t.same(errors, []);
});
