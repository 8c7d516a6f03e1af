/**
 * Each campaign's audience over a small hand-made lake (src/campaigns/fixtures.ts): exactly the expected members, with
 * the boundaries that matter (13 vs 14 days away, the 10th class on the as-of day vs the day before, the catch-up
 * window, local days vs UTC days, frozen, cancelled and non-consenting members, a rank that fell or stayed); the
 * dedupe period, variables and send-time conditions each row becomes; every query portable to Athena.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { checkPortableSql, DuckDbEngine, placeholdersOutsideWhere, type Row } from '@peak/analytics';
import {
  CAMPAIGN_IDS, CAMPAIGN_LIST, CAMPAIGNS, DEFAULT_CAMPAIGN_SETTINGS, lastFullWeeks, localMidnight, scheduledOn,
  type CampaignContext, type CampaignId, type CampaignSettings,
} from '../src/campaigns/index.js';
import { addDays, isoWeekKey } from '../src/campaigns/days.js';
import { writeCampaignWorld } from '../src/campaigns/fixtures.js';
import { validateVariables } from '../src/templates/index.js';

const ZONE = 'America/New_York';
const A = '2026-06-14'; // a Sunday: the last full week ends on it
const dir = t.testdir();
await writeCampaignWorld(dir, A, ZONE);
const engine = new DuckDbEngine({ lakeRoot: dir, timeZone: ZONE });
t.teardown(() => engine.close());

const HARBOR_NEWS = { id: 'harbor-reopening', locationId: 'harbor', title: 'We reopen on Monday', body: 'New floors & <new> bikes' };

const context = (settings: Partial<CampaignSettings> = {}, extra: Partial<CampaignContext> = {}): CampaignContext => ({
  asOf: A, timeZone: ZONE, settings: { ...DEFAULT_CAMPAIGN_SETTINGS, ...settings }, ...extra,
});

async function audience(id: CampaignId, ctx = context()): Promise<Row[]> {
  const q = CAMPAIGNS[id].audience(ctx);
  return (await engine.query(q.text, { params: q.params })).rows;
}
const ids = (rows: Row[]) => rows.map((r) => String(r.member_id)).sort();
const emailOf = async (id: CampaignId, member: string, ctx = context()) => {
  const row = (await audience(id, ctx)).find((r) => r.member_id === member);
  if (!row) throw new Error(`${member} not in ${id}`);
  return CAMPAIGNS[id].email(row, ctx);
};

t.test('win_back: active, consenting members last seen 14 to 42 local days ago; one email per lapse', async (t) => {
  t.same(ids(await audience('win_back')), ['BADMAIL', 'NOMAIL', 'W14', 'W14L', 'W42'], '13 and 43 days out, never came, frozen, cancelled, no consent: left out');
  t.same(ids(await audience('win_back', context({ winBackAfterDays: 13 }))), ['BADMAIL', 'NOMAIL', 'W13', 'W14', 'W14L', 'W42'], 'configurable: after 13 days takes W13 too');
  t.same(ids(await audience('win_back', context({ winBackMaxDays: 43 }))), ['BADMAIL', 'NOMAIL', 'W14', 'W14L', 'W42', 'W43'], 'and the oldest lapse it writes to');

  const w14 = await emailOf('win_back', 'W14');
  t.same(w14, {
    period: '2026-05-31',
    variables: { firstName: 'FirstW14', daysSinceLastVisit: 14, lastClassName: 'Spin' },
    conditions: { noVisitSince: '2026-05-31T11:15:00.000Z', activeMember: true },
  }, 'period = the last visit day; noVisitSince = that check-in (07:15 EDT); the class type they went to most');
  const late = await emailOf('win_back', 'W14L');
  t.match(late, { period: '2026-05-31', variables: { daysSinceLastVisit: 14, lastClassName: 'HIIT' }, conditions: { noVisitSince: '2026-06-01T01:30:00.000Z' } }, '21:30 local is the next UTC day: still 14 local days');
  t.same((await emailOf('win_back', 'W42')).variables, { daysSinceLastVisit: 42 }, 'no first name in the lake, no class in the schedule: neither variable');
});

t.test('welcome: joined the day before (day 1), transactional, with the catch-up window', async (t) => {
  t.same(ids(await audience('welcome', context({ catchUpDays: 0 }))), ['J1'], 'joined the day before; a member without marketing consent still welcomed; the cancelled one not');
  t.same(ids(await audience('welcome')), ['J1', 'J2', 'J3'], 'catch-up 2 days: joined up to 3 days before');
  t.same(await emailOf('welcome', 'J1'), { period: 'once', variables: { firstName: 'FirstJ1' }, conditions: { activeMember: true } });
});

t.test('first_visit_nudge: joined 7 days before, no check-in since joining', async (t) => {
  t.same(ids(await audience('first_visit_nudge', context({ catchUpDays: 0 }))), ['N7', 'N7OLD'], 'came since (even on the join day), joined 6 days before, no consent: left out; a visit before joining does not count');
  t.same(ids(await audience('first_visit_nudge')), ['N7', 'N7OLD', 'N9'], 'catch-up: joined up to 9 days before');
  t.same(await emailOf('first_visit_nudge', 'N7'), {
    period: 'once',
    variables: { firstName: 'FirstN7' },
    conditions: { noVisitSince: '2026-06-07T04:00:00.000Z', activeMember: true },
  }, 'noVisitSince = local midnight of the join day');
});

t.test('habit: the third class check-in (open-gym visits are not classes)', async (t) => {
  t.same(ids(await audience('habit', context({ catchUpDays: 0 }))), ['H3'], 'third class on the as-of day; 2 classes + open gym, the 4th class, a frozen member: left out');
  t.same(ids(await audience('habit')), ['H3', 'H3Y'], 'catch-up: the third class the day before');
  t.same(await emailOf('habit', 'H3'), { period: 'once', variables: { firstName: 'FirstH3', classesAttended: 3 }, conditions: { activeMember: true } });
});

t.test('milestone: the 10th, 50th, 100th class on the as-of day (vs the day before), period = the milestone', async (t) => {
  const exact = await audience('milestone', context({ catchUpDays: 0 }));
  t.same(exact.map((r) => [r.member_id, r.class_number]), [['M10', 10], ['M10TWO', 10], ['M50', 50]], 'the 10th on the as-of day (also from 8 to 10 that day); the 11th, a frozen member and the 10th the day before: left out');
  t.same(ids(await audience('milestone')), ['M10', 'M10TWO', 'M10Y', 'M50'], 'with the catch-up window, the 10th the day before too');
  t.same(await emailOf('milestone', 'M50'), { period: '50', variables: { firstName: 'FirstM50', milestone: 50 }, conditions: { activeMember: true } });
  t.same(ids(await audience('milestone', context({ catchUpDays: 0 }, { asOf: addDays(A, -1) }))), ['M10Y'], 'planned on the day before, M10Y was that day\'s');
});

t.test('location_news: active, consenting members whose home studio it is; period = the announcement id', async (t) => {
  const ctx = context({}, { announcement: HARBOR_NEWS });
  t.same(ids(await audience('location_news', ctx)), ['LB1', 'LB2', 'LB3', 'LB5'], 'harbor members (the frozen one left out; a riverside member who trains there too is not one)');
  t.same(await emailOf('location_news', 'LB1', ctx), {
    period: 'harbor-reopening',
    variables: { firstName: 'FirstLB1', title: HARBOR_NEWS.title, body: HARBOR_NEWS.body },
    conditions: { activeMember: true },
  });
  const withLink = context({}, { announcement: { ...HARBOR_NEWS, ctaUrl: 'https://peakfitness.example/harbor', ctaLabel: 'See the new floor' } });
  t.match((await emailOf('location_news', 'LB2', withLink)).variables, { ctaUrl: 'https://peakfitness.example/harbor', ctaLabel: 'See the new floor' }, 'the announcement\'s link and label');
  t.match(CAMPAIGNS.location_news.missingInput?.(context()), /needs an announcement/);
});

t.test('leaderboard_climb: a better rank on the home studio\'s board last full week than the week before', async (t) => {
  const rows = await audience('leaderboard_climb');
  t.same(rows.map((r) => [r.member_id, r.old_rank, r.new_rank]), [['LB1', 3, 2], ['LB3', 4, 3]],
    'LB2 fell (2 → 5), LB6 climbed but is frozen, LB4 trains there but lives at riverside, LB5 was not on the board the week before');
  t.same(rows.map((r) => [r.board_size, r.classes]), [[6, 5], [6, 4]], 'the Sunday 23:30 class counts in that week (local day), the open-gym visit does not');
  t.same((await emailOf('leaderboard_climb', 'LB1')).variables, { firstName: 'FirstLB1', oldRank: 3, newRank: 2, weekLabel: 'week of 8 June' });
  t.equal((await emailOf('leaderboard_climb', 'LB3')).period, '2026-W24', 'period = the ISO week');
  t.same(ids(await audience('leaderboard_climb', context({}, { asOf: addDays(A, -3) }))), [], 'planned midweek: the full weeks before, where LB2 fell (1 → 2) and nobody else was on both');
});

t.test('weeks and local days', async (t) => {
  t.same(lastFullWeeks('2026-06-14'), { last: { key: '2026-W24', from: '2026-06-08', to: '2026-06-14' }, previous: { key: '2026-W23', from: '2026-06-01', to: '2026-06-07' } }, 'a Sunday ends its own week');
  t.same(lastFullWeeks('2026-06-15').last, { key: '2026-W24', from: '2026-06-08', to: '2026-06-14' }, 'a Monday: the week that just ended');
  t.same(lastFullWeeks('2026-06-17').last.to, '2026-06-14', 'a Wednesday: the same');
  t.equal(isoWeekKey('2027-01-03'), '2026-W53', '2026 has 53 ISO weeks');
  t.equal(isoWeekKey('2027-01-04'), '2027-W01');
  t.equal(isoWeekKey('2024-12-30'), '2025-W01', 'a Monday in December can be week 1 of the next year');
  t.equal(localMidnight('2026-03-08', ZONE), '2026-03-08T05:00:00.000Z', 'the day DST starts begins in EST');
  t.equal(localMidnight('2026-03-09', ZONE), '2026-03-09T04:00:00.000Z', 'the next in EDT');
  t.equal(localMidnight('2026-11-01', ZONE), '2026-11-01T04:00:00.000Z', 'the day DST ends begins in EDT');
});

t.test('schedules: daily at 06:00, the leaderboard on Mondays, location news on demand only', async (t) => {
  const monday = scheduledOn('2026-06-15', ZONE);
  t.same(monday, ['welcome', 'first_visit_nudge', 'habit', 'win_back', 'milestone', 'leaderboard_climb']);
  t.same(scheduledOn('2026-06-16', ZONE), ['welcome', 'first_visit_nudge', 'habit', 'win_back', 'milestone'], 'Tuesday: no leaderboard');
  t.same(scheduledOn('2026-03-08', ZONE), monday.filter((c) => c !== 'leaderboard_climb'), 'a DST day still has its 06:00');
  for (const c of CAMPAIGN_LIST) t.equal(c.kind, c.id === 'welcome' ? 'transactional' : 'marketing', `${c.id}: ${c.kind}`);
});

t.test('every audience query is portable (DuckDB and Athena): no engine-specific SQL, parameters only in WHERE', async (t) => {
  const contexts = [
    context(),
    context({ catchUpDays: 0, winBackAfterDays: 30, winBackMaxDays: 400 }),
    context({}, { asOf: '2027-01-03', announcement: HARBOR_NEWS }),
  ];
  for (const id of CAMPAIGN_IDS) {
    for (const ctx of contexts) {
      const q = CAMPAIGNS[id].audience({ ...ctx, announcement: HARBOR_NEWS });
      t.same(checkPortableSql(q.text).map((p) => `${p.id}: ${p.text} (line ${p.line})`), [], `${id} as of ${ctx.asOf}: portable`);
      t.same(placeholdersOutsideWhere(q.text), [], `${id}: every ? in a WHERE clause`);
      t.equal((q.text.match(/\?/g) ?? []).length, q.params.length, `${id}: one parameter per placeholder`);
    }
  }
});

t.test('every email the audiences make is one its template takes: exactly the variables it lists, valid', async (t) => {
  const contexts = [context(), context({}, { announcement: HARBOR_NEWS }), context({}, { announcement: { ...HARBOR_NEWS, ctaUrl: 'https://peakfitness.example/harbor', ctaLabel: 'Book a tour' } })];
  for (const id of CAMPAIGN_IDS) {
    for (const ctx of id === 'location_news' ? contexts.slice(1) : contexts.slice(0, 1)) {
      for (const row of await audience(id, ctx)) {
        if (typeof row.email !== 'string' || !row.email.includes('@')) continue; // reported invalid by the planner
        const { variables } = CAMPAIGNS[id].email(row, ctx);
        // As the notifier's renderer does: the button links to the member app unless the campaign gives a link.
        const rendered = id === 'location_news' || variables.ctaUrl !== undefined ? variables : { ...variables, ctaUrl: 'https://peakfitness.example/book' };
        t.doesNotThrow(() => validateVariables(CAMPAIGNS[id].template, rendered), `${id}: ${String(row.member_id)}`);
      }
    }
  }
});

t.test('docs/campaigns.md has a row for every campaign, with its topic, kind and template', async (t) => {
  const doc = readFileSync(new URL('../../../docs/campaigns.md', import.meta.url), 'utf8');
  for (const c of CAMPAIGN_LIST) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${c.id}\` |`)) ?? '';
    t.match(row, new RegExp(`\\| \`${c.topic}\` \\| ${c.kind} \\| \`${c.template}\` \\|`), c.id);
  }
});
