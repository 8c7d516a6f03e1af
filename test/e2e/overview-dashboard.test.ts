/**
 * The dashboard's Overview page in a real browser (Debian's chromium via playwright-core), against the real
 * leaderboard service over a generated lake (sample exports → the real ETL → Parquet), its metrics cache refreshed at
 * start as in production. What the KPI cards show must be what the metrics API answers (the rules written out again
 * here, by hand); a filter changes every panel it applies to and the URL; a member's history opens from the at-risk
 * table and closes with Escape; the tables download as CSV; before any refresh the page says what to do.
 *
 * DASHBOARD_SCREENSHOT_DIR=docs/screenshots saves overview.png, overview-phone.png, member-history.png and leaderboard-all-time.png there.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { launchChromium, openPage } from './browser.js';
import { buildSampleLake } from '@peak/churn';
import { waitFor } from '@peak/local-stack';
import { localClients, useRedis, useSqsEmulator } from '@peak/service-kit/testing';
import { buildApp, readConfig } from '@peak/leaderboard';

const SHOTS = process.env.DASHBOARD_SCREENSHOT_DIR;
if (SHOTS) mkdirSync(SHOTS, { recursive: true });

const dir = t.testdir();
// 14 months, so the monthly panels have a year of cohorts and the 12-month range a previous year to compare with (in part).
const lake = await buildSampleLake(join(dir, 'world'), { members: 400, days: 430, end: '2026-06-30', seed: 11 });
const emptyLake = join(dir, 'empty-lake');
mkdirSync(emptyLake, { recursive: true });
const emu = await useSqsEmulator(t);
const sqs = localClients.sqs(t, emu.endpoint);
const redis = await useRedis(t);

/** A leaderboard service over a lake, with its own Redis database (the metrics cache's keys are the same in each). */
async function serve(lakeRoot: string, db: number): Promise<string> {
  const config = readConfig({ REDIS_URL: `${redis.url.replace(/\/\d+$/, '')}/${db}`, STUDIO_TIME_ZONE: lake.timeZone, LAKE_URI: pathToFileURL(lakeRoot).href });
  const app = await buildApp(config, { sqs });
  t.teardown(() => app.close());
  return app.listen({ host: '127.0.0.1', port: 0 });
}
const base = await serve(lake.lakeRoot, 0);
const emptyBase = await serve(emptyLake, 1);

type Row = Record<string, string | number | boolean | null>;
type Answer = { metric: string; range: { from: string; to: string }; rows: Row[] };
type Catalog = { asOf: string; filterValues: { locations: string[]; classTypesByLocation: Record<string, string[]> } };
const api = async <T>(path: string): Promise<T> => {
  const res = await fetch(new URL(path, base));
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
};
await waitFor('the metrics cache filled at start', async () => (await fetch(new URL('/v1/metrics', base))).status === 200, 120_000);
const catalog = await api<Catalog>('/v1/metrics');

const browser = await launchChromium(t);

// Console errors too, but not the browser's 404 line: a filter pair the schedule does not have is a 404 NOT_CACHED the page explains.
const open = (url: string, width = 1280) => openPage(browser, url, { width, consoleErrorsBut: /status of 404/ });
const drawn = async (page: Page) => {
  for (const chart of ['#chart-movement', '#chart-cohorts', '#chart-fill']) await page.locator(`${chart} svg`).first().waitFor({ timeout: 20_000 });
  await page.waitForFunction(() => !document.querySelector('#kpis[aria-busy]') && !document.querySelector('.is-loading'));
};

// ---- the KPI rules (dashboard/README.md, "Overview"), written out again: not the page's own code
const monthEnd = (m: string) => new Date(Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)), 0)).toISOString().slice(0, 10);
const wholeMonths = (a: Answer) => {
  const done = a.rows.filter((r) => monthEnd(String(r.month)) <= a.range.to);
  return done.length ? done : a.rows;
};
const total = (rows: Row[], c: string) => rows.reduce((n, r) => n + Number(r[c] ?? 0), 0);
const EXPECTED: Record<string, { metric: string; classFilters: boolean; shown: (a: Answer) => string }> = {
  active: { metric: 'active_members', classFilters: false, shown: (a) => Number(a.rows[0]?.active_members).toLocaleString('en-US') },
  visits: { metric: 'visits_per_member_per_week', classFilters: false, shown: (a) => Number(a.rows[0]?.visits_per_member_per_week).toFixed(2) },
  churn: { metric: 'churn_monthly', classFilters: false, shown: (a) => `${((100 * total(wholeMonths(a), 'churned')) / total(wholeMonths(a), 'members_start')).toFixed(1)}%` },
  atRisk: { metric: 'at_risk_members', classFilters: false, shown: (a) => a.rows.length.toLocaleString('en-US') },
  fill: { metric: 'fill_by_class_type', classFilters: true, shown: (a) => `${((100 * total(a.rows, 'attendees')) / total(a.rows, 'capacity')).toFixed(1)}%` },
  mrr: {
    metric: 'revenue_monthly',
    classFilters: false,
    shown: (a) => `$${Math.round(Number([...wholeMonths(a)].sort((x, y) => String(x.month).localeCompare(String(y.month))).pop()?.mrr)).toLocaleString('en-US')}`,
  },
};

type Filters = { range: string; location?: string; classType?: string };
async function expectedKpis(f: Filters): Promise<Record<string, { now: string; before: string }>> {
  const out: Record<string, { now: string; before: string }> = {};
  for (const [id, e] of Object.entries(EXPECTED)) {
    const q = (range: string) => {
      const p = new URLSearchParams({ range });
      if (f.location) p.set('location', f.location);
      if (f.classType && e.classFilters) p.set('classType', f.classType);
      return `/v1/metrics/${e.metric}?${p}`;
    };
    out[id] = { now: e.shown(await api<Answer>(q(`last_${f.range}`))), before: e.shown(await api<Answer>(q(`previous_${f.range}`))) };
  }
  return out;
}

async function shownKpis(page: Page): Promise<Record<string, { now: string; change: string }>> {
  const out: Record<string, { now: string; change: string }> = {};
  for (const id of Object.keys(EXPECTED)) {
    out[id] = { now: (await page.locator(`#kpi-${id}`).textContent())?.trim() ?? '', change: (await page.locator(`#kpi-${id}-change`).textContent()) ?? '' };
  }
  return out;
}

async function checkKpis(t: Test, page: Page, f: Filters): Promise<void> {
  const expected = await expectedKpis(f);
  const shown = await shownKpis(page);
  for (const [id, e] of Object.entries(expected)) {
    t.equal(shown[id]?.now, e.now, `${id}: the card shows the API's figure (${JSON.stringify(f)})`);
    t.match(shown[id]?.change, `(was ${e.before})`, `${id}: and the previous period's`);
  }
}

/** What every panel shows, to tell that a filter changed it. */
const panelTexts = (page: Page) =>
  page.evaluate(() => {
    const text = (sel: string) => document.querySelector(sel)?.textContent ?? '';
    const label = (sel: string) => document.querySelector(sel)?.getAttribute('aria-label') ?? '';
    return {
      kpis: text('#kpis'),
      movement: label('#chart-movement'),
      cohorts: label('#chart-cohorts'),
      fill: label('#chart-fill'),
      instructors: text('#panel-instructors'),
      atRisk: text('#at-risk-table'),
    };
  });

t.test('the KPI cards show the metrics API\'s figures, and a studio filter changes every panel and the URL', async (t) => {
  const { page, errors } = await open(`${base}/`);
  await drawn(page);
  await checkKpis(t, page, { range: '30_days' });
  t.match(await page.locator('#overview-freshness').textContent(), /data up to 30 Jun 2026/, 'the data\'s freshness is shown');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });

  const before = await panelTexts(page);
  // The studio with the most members at risk, so its table has rows.
  const counts = await Promise.all(catalog.filterValues.locations.map(async (l) => [l, (await api<Answer>(`/v1/metrics/at_risk_members?location=${l}`)).rows.length] as const));
  const studio = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  await page.locator('#location-filter').selectOption(studio);
  await page.waitForURL(new RegExp(`#/\\?location=${studio}$`));
  await page.waitForFunction((s) => document.querySelector('#at-risk-caption')?.textContent?.includes(s), studio.charAt(0).toUpperCase() + studio.slice(1));
  await drawn(page);
  const after = await panelTexts(page);
  for (const panel of Object.keys(before) as (keyof typeof before)[]) t.not(after[panel], before[panel], `the ${panel} panel changed with the studio`);
  await checkKpis(t, page, { range: '30_days', location: studio });
  const atRisk = await api<Answer>(`/v1/metrics/at_risk_members?location=${studio}`);
  const ids = await page.locator('#at-risk-rows tr[data-member-id]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-member-id')));
  t.same(ids, atRisk.rows.slice(0, 25).map((r) => r.member_id), 'the at-risk table lists the API\'s members, in its order');

  // A class type: the class panels and the URL follow; the member panels say they count every class.
  const classType = catalog.filterValues.classTypesByLocation[studio]?.[0] ?? '';
  const withStudio = await panelTexts(page);
  await page.locator('#class-type-filter').selectOption(classType);
  await page.waitForURL(new RegExp(`classType=${classType}`));
  await page.waitForFunction(() => document.querySelector('#panel-movement')?.classList.contains('all-classes'));
  await drawn(page);
  const narrowed = await panelTexts(page);
  t.not(narrowed.fill, withStudio.fill, 'the fill heatmap changed with the class type');
  t.not(narrowed.instructors, withStudio.instructors, 'the instructor table changed with the class type');
  t.not(narrowed.kpis, withStudio.kpis, 'the fill-rate card changed with the class type');
  t.match(await page.locator('#kpi-active-note').textContent(), 'all classes', 'a member card says it counts every class');
  await checkKpis(t, page, { range: '30_days', location: studio, classType });

  // A longer range: the KPIs follow and the link reproduces the whole view.
  await page.locator('#range-filter').selectOption('90_days');
  await page.waitForURL(/range=90_days/);
  await page.waitForFunction(() => document.querySelector('#overview-freshness')?.textContent?.startsWith('2 Apr 2026'));
  await drawn(page);
  await checkKpis(t, page, { range: '90_days', location: studio, classType });
  const again = await open(page.url());
  await drawn(again.page);
  t.equal(await again.page.locator('#location-filter').inputValue(), studio, 'the studio comes back from the URL');
  t.equal(await again.page.locator('#class-type-filter').inputValue(), classType, 'and the class type');
  t.equal(await again.page.locator('#range-filter').inputValue(), '90_days', 'and the range');
  t.same([...errors, ...again.errors], [], 'no script errors');
});

t.test('a member\'s history opens from the at-risk table, from the keyboard, and its link reproduces it', async (t) => {
  const { page, errors } = await open(`${base}/`);
  await drawn(page);
  const first = page.locator('#at-risk-rows tr[data-member-id]').first();
  const memberId = (await first.getAttribute('data-member-id')) ?? '';
  const history = await api<{ memberId: string; recentVisits: unknown[]; weeks: unknown[] }>(`/v1/metrics/members/${memberId}/history`);
  await first.locator('button').focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`member=${memberId}`));
  const dialog = page.locator('#member-history');
  await dialog.waitFor({ state: 'visible' });
  await page.locator('#chart-history-weeks svg, #chart-history-weeks .chart-empty').first().waitFor({ timeout: 10_000 });
  t.match(await page.locator('#history-title').textContent(), memberId, 'the dialog is about that member');
  t.equal(await page.locator('#history-visits tbody tr').count(), history.recentVisits.length, 'their last visits, as the API has them');
  t.equal(await page.evaluate(() => document.activeElement?.id), 'history-close', 'focus moved into the dialog');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'member-history.png') });
  await page.keyboard.press('Escape');
  await page.waitForURL((url) => !url.hash.includes('member='));
  t.notOk(await dialog.isVisible(), 'Escape closes it');
  t.equal(await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-member-id')), memberId, 'focus is back on the member\'s row');

  const linked = await open(`${base}/#/?member=${memberId}`);
  await linked.page.locator('#history-facts').waitFor({ timeout: 20_000 });
  t.pass('a link with member= opens the history');
  const unknown = await open(`${base}/#/?member=NOBODY`);
  await unknown.page.locator('#history-error').waitFor({ timeout: 20_000 });
  t.match(await unknown.page.locator('#history-error').textContent(), /NOBODY/, 'a member without a history is said so, in words');
  t.same([...errors, ...linked.errors], [], 'no script errors');
});

t.test('each table downloads as CSV with the API\'s rows', async (t) => {
  const { page, errors } = await open(`${base}/`);
  await drawn(page);
  for (const [button, metric] of [['#csv-at-risk', 'at_risk_members'], ['#csv-instructors', 'instructor_performance'], ['#csv-cohorts', 'retention_cohorts']] as const) {
    const range = metric === 'retention_cohorts' ? 'last_12_months' : 'last_30_days';
    const answer = await api<Answer & { columns: { name: string }[] }>(`/v1/metrics/${metric}?range=${range}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
    t.equal(download.suggestedFilename(), `${metric}_all-studios_${answer.range.from}_${answer.range.to}.csv`);
    const lines = readFileSync((await download.path()) as string, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    t.equal(lines[0], answer.columns.map((c) => c.name).join(','), `${metric}: the API's columns`);
    t.equal(lines.length, answer.rows.length + 1, `${metric}: every row`);
  }
  t.same(errors, []);
});

t.test('at a phone\'s width nothing runs off the side, and the filters work from the keyboard', async (t) => {
  const { page, errors } = await open(`${base}/`, 390);
  await drawn(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  t.ok(overflow <= 1, `no horizontal scrolling of the page (${overflow} px)`);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'overview-phone.png'), fullPage: true });
  await page.locator('#range-filter').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForURL(/range=90_days/);
  t.pass('the range changes with the arrow keys');
  t.same(errors, []);
});

t.test('before the first refresh the page says the figures are being computed, not zeros', async (t) => {
  const { page, errors } = await open(`${emptyBase}/`);
  await page.locator('#overview-warming').waitFor({ timeout: 20_000 });
  t.match(await page.locator('#overview-warming').textContent(), /npm start/);
  t.ok(await page.locator('#overview-content').isHidden(), 'no cards or charts');
  t.same(errors.filter((e) => !/status of 503/.test(e)), []);
});

t.test('the all-time leaderboard, rebuilt from the same lake at start, shows members by name', async (t) => {
  type Top = { entries: { memberId: string; name: string | null }[] };
  await waitFor('the boards rebuilt from the lake', async () => (await api<Top>('/v1/leaderboard/top?period=all&limit=10')).entries.length === 10, 60_000);
  const top = await api<Top>('/v1/leaderboard/top?period=all&limit=10');
  const { page, errors } = await open(`${base}/#/leaderboard?period=all`);
  await page.locator('#board-rows tr[data-member-id]').first().waitFor({ timeout: 20_000 });
  const first = top.entries[0];
  t.match(first?.name, /^\S+ \S\.$/, 'names are first name and last initial');
  t.match(await page.locator('#board-rows tr[data-member-id]').first().textContent(), `${first?.name} ${first?.memberId}`, 'the board shows the name and the id');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'leaderboard-all-time.png'), fullPage: true });
  t.same(errors, []);
});
