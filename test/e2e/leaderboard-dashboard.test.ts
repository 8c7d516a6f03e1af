/**
 * The dashboard's Leaderboard page in a real browser (Debian's chromium via playwright-core), against the real
 * leaderboard service (real Redis, the SQS emulator) fed by the real ingest service: check-ins posted to ingest's
 * `POST /v1/events/check-ins` go through `attendance-events` onto the boards. The boards' clock is fixed
 * (Wednesday 9 Dec 2026, 10:00 in New York) so weeks and months are deterministic. What the page shows must be
 * what the API answers; the filters change the table and the URL; a check-in posted while the page is open shows
 * up on it without a reload (Server-Sent Events).
 *
 * DASHBOARD_SCREENSHOT_DIR=docs/screenshots saves leaderboard.png (laptop) and leaderboard-phone.png there.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { Page } from 'playwright-core';
import { launchChromium, openPage } from './browser.js';
import { waitFor } from '@peak/local-stack';
import { localClients, useRedis, useSqsEmulator } from '@peak/service-kit/testing';
import { buildApp as buildIngest, readConfig as ingestConfig } from '@peak/ingest';
import { buildApp, readConfig } from '@peak/leaderboard';

const SHOTS = process.env.DASHBOARD_SCREENSHOT_DIR;
if (SHOTS) mkdirSync(SHOTS, { recursive: true });

const now = Date.parse('2026-12-09T15:00:00Z'); // Wednesday of ISO week 2026-W50 (7–13 Dec in New York)
const dir = t.testdir();
const emu = await useSqsEmulator(t);
const sqs = localClients.sqs(t, emu.endpoint);
const redis = await useRedis(t);

const leaderboard = await buildApp(readConfig({ REDIS_URL: redis.url, STUDIO_TIME_ZONE: 'America/New_York' }), { sqs, now: () => now });
t.teardown(() => leaderboard.close());
const base = await leaderboard.listen({ host: '127.0.0.1', port: 0 });

const DOOR_KEY = 'door-key-000000000001';
const ingest = await buildIngest(
  ingestConfig({ LAKE_URI: pathToFileURL(join(dir, 'lake')).href, INGEST_API_KEYS: `door-system:${DOOR_KEY}`, CHECKIN_SPOOL_DIR: join(dir, 'spool') }),
  { sqs },
);
t.teardown(() => ingest.close());
mkdirSync(join(dir, 'lake'), { recursive: true });

let serial = 0;
type Checkin = [member: string, location: string, at: string];
/** Check-ins as a door system sends them (all with a class, so they count). */
async function postCheckins(list: Checkin[]): Promise<void> {
  const body = list.map(([member, location, at]) => ({ checkin_id: `E2E-${++serial}`, member_id: member, class_id: 'C0000001', location_id: location, checked_in_at: at, method: 'app' }));
  const res = await ingest.inject({ method: 'POST', url: '/v1/events/check-ins', headers: { 'content-type': 'application/json', authorization: `Bearer ${DOOR_KEY}` }, payload: JSON.stringify(body) });
  if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode}: ${res.body}`);
}

type Entry = { rank: number; memberId: string; classes: number };
type Top = { board: { members: number; key: string }; entries: Entry[] };
const api = async <T>(path: string): Promise<T> => (await (await fetch(new URL(path, base))).json()) as T;
const top = (query = '') => api<Top>(`/v1/leaderboard/top?limit=25${query ? `&${query}` : ''}`);

// This week: ANNA 3, BEN 2 (downtown), CARA 2 (riverside), DAN 1 (downtown); last week (still this month):
// EVE 4 at downtown, FRED 1 at uptown (so uptown has boards but nothing this week).
await postCheckins([
  ['ANNA', 'downtown', '2026-12-07T13:00:00Z'], ['ANNA', 'downtown', '2026-12-08T13:00:00Z'], ['ANNA', 'downtown', '2026-12-09T12:00:00Z'],
  ['BEN', 'downtown', '2026-12-07T14:00:00Z'], ['BEN', 'downtown', '2026-12-08T14:00:00Z'],
  ['CARA', 'riverside', '2026-12-07T15:00:00Z'], ['CARA', 'riverside', '2026-12-08T16:00:00Z'],
  ['DAN', 'downtown', '2026-12-09T11:00:00Z'],
  ['EVE', 'downtown', '2026-12-01T13:00:00Z'], ['EVE', 'downtown', '2026-12-02T13:00:00Z'], ['EVE', 'downtown', '2026-12-03T13:00:00Z'], ['EVE', 'downtown', '2026-12-04T13:00:00Z'],
  ['FRED', 'uptown', '2026-12-02T13:00:00Z'],
]);
await waitFor('the 13 check-ins counted', async () => (await top('period=all')).entries.reduce((n, e) => n + e.classes, 0) === 13, 30_000);

const browser = await launchChromium(t);

// Console errors too, but not the browser's own line for an API answer of 4xx (a member not on a board is a 404).
const open = (url: string, width = 1280) => openPage(browser, url, { width, consoleErrorsBut: /^Failed to load resource/ });
const shownRows = (page: Page) =>
  page.locator('#board-rows tr[data-member-id]').evaluateAll((trs) =>
    trs.map((tr) => ({ rank: Number(tr.getAttribute('data-rank')), memberId: tr.getAttribute('data-member-id'), classes: Number(tr.getAttribute('data-classes')) })),
  );
const asShown = (entries: Entry[]) => entries.map((e) => ({ rank: e.rank, memberId: e.memberId, classes: e.classes }));
/** Waits until the table lists these members in this order. */
const waitForRows = (page: Page, ids: string[]) =>
  page.waitForFunction((want) => JSON.stringify([...document.querySelectorAll('#board-rows tr[data-member-id]')].map((tr) => tr.getAttribute('data-member-id'))) === want, JSON.stringify(ids), { timeout: 15_000 });

t.test('the page shows what the API answers; studio and period change the table and the URL; a check-in appears live', async (t) => {
  const week = await top();
  t.same(week.entries.map((e) => e.memberId), ['ANNA', 'BEN', 'CARA', 'DAN'], 'the seeded week');
  const { page, errors } = await open(`${base}/#/leaderboard`);
  await page.locator('#board-rows tr[data-member-id]').first().waitFor({ timeout: 20_000 });
  t.equal(await page.title(), 'Leaderboard · Peak Fitness');
  t.same(await shownRows(page), asShown(week.entries), 'the table is /v1/leaderboard/top: ranks, members, classes');
  t.equal((await page.locator('#board-dates').textContent())?.trim(), '7–13 Dec 2026', 'the week\'s days, in the studios\' zone');
  t.match(await page.locator('#board-size').textContent(), /4 members/, 'the board\'s size');
  t.match(await page.locator('#board-freshness').textContent(), /not rebuilt from the lake yet/, 'freshness: the boards were never rebuilt from the lake here');
  await page.waitForSelector('#live-status[data-state="live"]', { timeout: 10_000 });
  t.pass('the Live indicator says connected');
  t.equal(await page.locator('#board-location option').count(), 4, 'All studios + downtown, riverside, uptown (from /v1/leaderboard/boards)');
  t.equal(await page.locator('.nav a[aria-current="page"]').textContent(), 'Leaderboard', 'the nav marks the page');

  // A studio: the URL and the table follow.
  await page.locator('#board-location').selectOption('downtown');
  await page.waitForURL(/#\/leaderboard\?location=downtown$/);
  const downtown = await top('location=downtown');
  await waitForRows(page, downtown.entries.map((e) => e.memberId));
  t.same(await shownRows(page), asShown(downtown.entries), 'downtown\'s week');

  // The month: EVE's four classes of last week count.
  await page.locator('#board-period').selectOption('month');
  await page.waitForURL(/#\/leaderboard\?location=downtown&period=month$/);
  const month = await top('location=downtown&period=month');
  t.equal(month.entries[0]?.memberId, 'EVE');
  await waitForRows(page, month.entries.map((e) => e.memberId));
  t.same(await shownRows(page), asShown(month.entries), 'downtown\'s month');
  t.equal((await page.locator('#board-dates').textContent())?.trim(), '1–31 Dec 2026');
  await page.waitForSelector('#live-status[data-state="live"]', { timeout: 10_000 });

  // Live: DAN (1 class) attends three more classes; his row climbs to the top of the open page without a reload.
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await postCheckins([['DAN', 'downtown', '2026-12-09T13:00:00Z'], ['DAN', 'downtown', '2026-12-09T13:30:00Z'], ['DAN', 'downtown', '2026-12-09T14:00:00Z'], ['DAN', 'downtown', '2026-12-09T14:30:00Z']]);
  await page.waitForSelector('#board-rows tr[data-member-id="DAN"][data-rank="1"][data-classes="5"]', { timeout: 20_000 });
  t.pass('DAN\'s row shows 5 classes and rank 1 on the open page');
  t.ok(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), 'without a reload');
  t.match(await page.locator('#board-rows tr[data-member-id="DAN"]').getAttribute('class'), /changed up/, 'the changed row is marked');
  t.match(await page.locator('#board-rows tr[data-member-id="EVE"]').getAttribute('class'), /moved down/, 'the one it passed, as moved down');
  t.same(await shownRows(page), asShown((await top('location=downtown&period=month')).entries), 'the whole table is the API\'s again');

  // Find a member: their standing and neighbours, them highlighted.
  await page.locator('#member-search').fill('BEN');
  await page.keyboard.press('Enter');
  await page.locator('#around-rows tr.me[data-member-id="BEN"]').waitFor({ timeout: 10_000 });
  t.match(await page.locator('#member-standing').textContent(), /^BEN is 4th of 4 members with 2 classes/, 'BEN\'s standing in words');
  t.equal(await page.locator('#around-rows tr[data-member-id]').count(), 4, 'and the neighbours (all of this small board)');
  t.equal(await page.locator('#board-rows tr.me').getAttribute('data-member-id'), 'BEN', 'highlighted in the table too');

  // The CSV: every row of the board, best first.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#board-csv').click()]);
  t.equal(download.suggestedFilename(), 'leaderboard_downtown_2026-12.csv');
  const csv = readFileSync((await download.path()) as string, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  t.equal(csv[0], 'rank,member_id,name,classes,reached_at');
  t.same(csv.slice(1).map((l) => l.split(',')[1]), (await top('location=downtown&period=month')).entries.map((e) => e.memberId), 'the board\'s rows, in order');

  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'leaderboard.png'), fullPage: true });

  // Last week (the previous period, still kept), then back.
  await page.locator('#board-period').selectOption('week');
  await page.waitForURL(/#\/leaderboard\?location=downtown$/);
  await page.locator('#board-earlier').click();
  await page.waitForURL(/key=2026-W49/);
  await waitForRows(page, ['EVE']);
  t.match(await page.locator('#board-dates').textContent(), /30 Nov – 6 Dec 2026/, 'last week\'s days');

  // The link reproduces the view.
  const again = await open(page.url());
  await waitForRows(again.page, ['EVE']);
  t.equal(await again.page.locator('#board-location').inputValue(), 'downtown', 'the studio comes back from the URL');
  t.equal(await again.page.locator('#board-period').inputValue(), 'week', 'and the period');

  // An empty board says so.
  await page.goto(`${base}/#/leaderboard?location=uptown`);
  await page.locator('#board-empty').waitFor({ timeout: 10_000 });
  t.equal((await page.locator('#board-empty').textContent())?.trim(), 'No classes counted at Uptown this week yet.');

  t.same([...errors, ...again.errors], [], 'no script errors');
});

t.test('at a phone\'s width nothing runs off the side, and the board is chosen from the keyboard', async (t) => {
  const { page, errors } = await open(`${base}/#/leaderboard`, 375);
  await page.locator('#board-rows tr[data-member-id]').first().waitFor({ timeout: 20_000 });
  await page.waitForSelector('#live-status[data-state="live"]', { timeout: 10_000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  t.ok(overflow <= 1, `no horizontal scrolling of the page (${overflow} px)`);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'leaderboard-phone.png'), fullPage: true });

  const tabTo = async (id: string) => {
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((want) => document.activeElement?.id === want, id)) return true;
    }
    return false;
  };
  t.ok(await tabTo('board-location'), 'Tab reaches the studio select');
  await page.keyboard.press('ArrowDown');
  await page.waitForURL(/location=/);
  t.pass('the studio changes with the arrow keys');
  await page.locator('#board-rows tr[data-member-id], #board-empty').first().waitFor();
  await page.locator('#board-location').focus();
  t.ok(await tabTo('board-period'), 'Tab goes on to the period select');
  await page.keyboard.press('ArrowDown');
  await page.waitForURL(/period=month/);
  t.pass('the period changes with the arrow keys');
  t.ok(await tabTo('member-search'), 'and on to the member search');
  t.same(errors, []);
});
