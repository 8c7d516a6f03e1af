import t from 'tap';
import { api, ApiError, fetchWholeBoard, liveUrl, type BoardEntry, type Fetch, type TopAnswer, type TopQuery } from '../src/api.js';
import { leaderboardCsv, leaderboardCsvFileName } from '../src/csv.js';
import { formatPeriodDates, formatZoned, studioChoices } from '../src/format.js';
import { changedRows, emptyBoardText, isoWeekKey, markText, neighbourKeys, ordinal, periodKeyAt, standingText } from '../src/leaderboard/board.js';
import { openLive, throttle, type LiveState } from '../src/leaderboard/live.js';

const NY = 'America/New_York';
const entry = (rank: number, memberId: string, classes: number, name: string | null = null): BoardEntry => ({ rank, memberId, name, classes, reachedAt: '2026-12-08T14:00:00.000Z' });

t.test('a period\'s days in the studios\' zone, its end exclusive', async (t) => {
  t.equal(formatPeriodDates('2026-12-07T05:00:00.000Z', '2026-12-14T05:00:00.000Z', NY), '7–13 Dec 2026', 'an ISO week (New York midnight is 05:00 UTC)');
  t.equal(formatPeriodDates('2026-12-07T05:00:00.000Z', '2026-12-14T05:00:00.000Z', 'UTC'), '7–14 Dec 2026', 'the same instants read in UTC');
  t.equal(formatPeriodDates('2026-11-30T05:00:00.000Z', '2026-12-07T05:00:00.000Z', NY), '30 Nov – 6 Dec 2026');
  t.equal(formatPeriodDates('2026-12-28T05:00:00.000Z', '2027-01-04T05:00:00.000Z', NY), '28 Dec 2026 – 3 Jan 2027');
  t.equal(formatPeriodDates('2026-12-01T05:00:00.000Z', '2027-01-01T05:00:00.000Z', NY), '1–31 Dec 2026', 'a month');
  t.equal(formatPeriodDates('2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', NY), '8 Mar 2026', 'one day, across the spring change');
  t.equal(formatPeriodDates(null, null, NY), 'All time');
  t.equal(formatPeriodDates('2026-12-07T05:00:00.000Z', '2026-12-14T05:00:00.000Z', 'Not/AZone'), '7–14 Dec 2026', 'an unknown zone reads as UTC, never throws');
  t.equal(formatZoned('2026-12-09T15:00:00.000Z', NY), '9 Dec 2026, 10:00');
  t.equal(formatZoned('2026-12-09T04:30:00.000Z', NY), '8 Dec 2026, 23:30', 'the studio\'s day, not UTC\'s');
  t.equal(formatZoned('soon', NY), 'soon');
});

t.test('period keys: ISO weeks, months, and the periods next to a board', async (t) => {
  t.equal(isoWeekKey(2026, 12, 9), '2026-W50');
  t.equal(isoWeekKey(2026, 12, 7), '2026-W50', 'Monday starts the week');
  t.equal(isoWeekKey(2026, 12, 6), '2026-W49', 'Sunday ends the one before');
  t.equal(isoWeekKey(2027, 1, 1), '2026-W53', '1 Jan 2027 (a Friday) is in 2026\'s week 53');
  t.equal(isoWeekKey(2026, 1, 1), '2026-W01', '1 Jan 2026 (a Thursday) starts week 1');
  t.equal(isoWeekKey(2024, 12, 30), '2025-W01', '30 Dec 2024 (a Monday) is in 2025\'s week 1');
  t.equal(periodKeyAt('month', Date.parse('2026-12-01T04:59:00Z'), NY), '2026-11', 'still November in New York');
  t.equal(periodKeyAt('all', Date.now(), NY), null);
  t.same(neighbourKeys({ period: 'week', from: '2026-12-07T05:00:00.000Z', to: '2026-12-14T05:00:00.000Z' }, NY), { earlier: '2026-W49', later: '2026-W51' });
  t.same(neighbourKeys({ period: 'month', from: '2026-12-01T05:00:00.000Z', to: '2027-01-01T05:00:00.000Z' }, NY), { earlier: '2026-11', later: '2027-01' });
  t.same(neighbourKeys({ period: 'all', from: null, to: null }, NY), { earlier: null, later: null });
});

t.test('the page\'s words', async (t) => {
  t.equal(emptyBoardText(null, 'week', false), 'No classes counted this week yet.');
  t.equal(emptyBoardText('harbor-view', 'month', false), 'No classes counted at Harbor View this month yet.');
  t.equal(emptyBoardText(null, 'week', true), 'No classes were counted in that week.');
  t.equal(emptyBoardText('downtown', 'all', false), 'No classes counted at Downtown yet.');
  t.same([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111].map(ordinal), ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '101st', '111th']);
  t.equal(standingText({ ...entry(2, 'ANNA', 2), members: 3, percentile: 50 }), 'ANNA is 2nd of 3 members with 2 classes, ahead of 50% of the others.');
  t.equal(standingText({ ...entry(3, 'CARA', 1), members: 3, percentile: 0 }), 'CARA is 3rd of 3 members with 1 class, last on this board.');
  t.equal(standingText({ ...entry(1, 'M000123', 9, 'Anna K.'), members: 3, percentile: 100 }), 'Anna K. (M000123) is 1st of 3 members with 9 classes, ahead of 100% of the others.', 'with a name: the name and the id');
  t.equal(standingText({ ...entry(1, 'BEN', 1), members: 1, percentile: 100 }), 'BEN is 1st of 1 member with 1 class, the only member on this board.');
  t.same(studioChoices(['riverside', 'downtown'], null), [['', 'All studios'], ['downtown', 'Downtown'], ['riverside', 'Riverside']]);
  t.same(studioChoices(['downtown'], 'uptown').at(-1), ['uptown', 'uptown (unknown)'], 'the URL\'s studio is kept, marked');
});

t.test('which rows moved since the last look', async (t) => {
  const before = [entry(1, 'ANNA', 3), entry(2, 'BEN', 2), entry(3, 'CARA', 1)];
  t.same(changedRows(null, before), new Map(), 'the first look marks nothing');
  const after = [entry(1, 'BEN', 4), entry(2, 'ANNA', 3), entry(3, 'CARA', 1), entry(4, 'DAN', 1)];
  const marks = changedRows(before, after);
  t.same([...marks], [['BEN', { mark: 'up', by: 1 }], ['ANNA', { mark: 'down', by: 1 }], ['DAN', { mark: 'new', by: 0 }]]);
  t.same([...changedRows([entry(1, 'ANNA', 3)], [entry(1, 'ANNA', 5)])], [['ANNA', { mark: 'more', by: 2 }]], 'more classes, same rank');
  t.same([{ mark: 'up', by: 2 }, { mark: 'down', by: 1 }, { mark: 'new', by: 0 }, { mark: 'more', by: 1 }].map((m) => markText(m as never)), ['up 2 places', 'down 1 place', 'new on this page', '1 more class']);
});

/** Timers that run only when told. */
function manualTimers() {
  let seq = 0;
  const due = new Map<number, () => void>();
  return {
    set: (fn: () => void) => (due.set(++seq, fn), seq),
    clear: (id: unknown) => void due.delete(id as number),
    fire() {
      const fns = [...due.values()];
      due.clear();
      for (const fn of fns) fn();
    },
    get pending() {
      return due.size;
    },
  };
}

t.test('a burst of rank events re-fetches at most once per window, the last one never lost', async (t) => {
  const timers = manualTimers();
  let calls = 0;
  const th = throttle(() => calls++, 500, timers);
  th.call();
  t.equal(calls, 1, 'the first at once');
  th.call();
  th.call();
  th.call();
  t.equal(calls, 1, 'the rest wait for the window');
  timers.fire();
  t.equal(calls, 2, 'one call for the three');
  timers.fire();
  t.equal(calls, 2, 'a quiet window: nothing');
  t.equal(timers.pending, 0);
  th.call();
  th.call();
  th.cancel();
  timers.fire();
  t.equal(calls, 3, 'cancelled: the folded call is dropped');
});

t.test('the live stream: events, states, and a reopen when the answer was no stream', async (t) => {
  type Listener = (ev: unknown) => void;
  class FakeSource {
    readyState = 0;
    closed = false;
    listeners = new Map<string, Listener[]>();
    constructor(readonly url: string) {}
    addEventListener(type: string, l: Listener) {
      this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
    }
    close() {
      this.closed = true;
      this.readyState = 2;
    }
    emit(type: string, data?: string) {
      for (const l of this.listeners.get(type) ?? []) l({ data });
    }
  }
  const opened: FakeSource[] = [];
  const timers = manualTimers();
  const states: LiveState[] = [];
  const ranks: unknown[] = [];
  let resets = 0;
  let resumed = 0;
  const url = liveUrl({ location: 'downtown', period: 'week', key: null });
  t.equal(url, '/v1/leaderboard/live?location=downtown&period=week');
  const live = openLive(url, { onRank: (e) => ranks.push(e), onReset: () => resets++, onResumed: () => resumed++, onState: (s) => states.push(s) }, {
    open: (u) => {
      const s = new FakeSource(u);
      opened.push(s);
      return s as unknown as EventSource;
    },
    timers,
  });
  const first = opened[0]!;
  first.emit('ready', '{"board":"loc:downtown:2026-W50"}');
  first.emit('rank', '{"member":"BEN","classes":2,"rank":1,"previousRank":2}');
  first.emit('rank', 'not json');
  first.emit('reset', '{}');
  t.same(ranks, [{ member: 'BEN', classes: 2, rank: 1, previousRank: 2 }], 'rank events parsed, a broken one skipped');
  t.equal(resets, 1);
  first.readyState = 0;
  first.emit('error');
  t.same(states, ['connecting', 'live', 'reconnecting'], 'a dropped stream: the browser reconnects');
  first.emit('ready');
  t.equal(resumed, 1, 'back: the page re-fetches what it may have missed');
  first.readyState = 2;
  first.emit('error');
  t.equal(states.at(-1), 'offline', 'an answer that is no stream closes it');
  t.equal(opened.length, 1);
  timers.fire();
  t.equal(opened.length, 2, 'opened again after the wait');
  t.equal(states.at(-1), 'reconnecting');
  live.close();
  t.ok(opened[1]!.closed, 'close() closes the stream');
  t.equal(timers.pending, 0);
});

t.test('the board API: paths, a whole board for the CSV, and its CSV', async (t) => {
  const asked: string[] = [];
  const ok = (body: unknown): Fetch => async (url) => (asked.push(url), new Response(JSON.stringify(body)));
  const board = { location: null, period: 'week', key: '2026-W50', from: null, to: null, expiresAt: null, members: 0 };
  await api.top({ location: 'downtown', period: 'month', key: '2026-11', offset: 25, limit: 25 }, { fetch: ok({ board, offset: 25, limit: 25, entries: [] }) });
  await api.boards({ fetch: ok({ timeZone: NY, graceDays: 7, rebuiltAt: null, boards: [] }) });
  await api.around('M 1', { period: 'week', size: 5 }, { fetch: ok({ board, standing: {}, entries: [] }) });
  t.same(asked, [
    '/v1/leaderboard/top?location=downtown&period=month&key=2026-11&offset=25&limit=25',
    '/v1/leaderboard/boards',
    '/v1/leaderboard/members/M%201/around?period=week&size=5',
  ]);
  await t.rejects(api.top({ period: 'week', offset: 0, limit: 1 }, { fetch: ok({ board }) }), { code: 'BAD_RESPONSE', message: /"entries" is missing/ });

  const all = Array.from({ length: 230 }, (_, i) => entry(i + 1, `M${i + 1}`, 300 - i));
  const pages: string[] = [];
  const page = async (q: TopQuery): Promise<TopAnswer> => (
    pages.push(`${q.offset}+${q.limit}`), { board: { ...board, members: all.length }, offset: q.offset, limit: q.limit, entries: all.slice(q.offset, q.offset + q.limit) }
  );
  const whole = await fetchWholeBoard({ period: 'week' }, page);
  t.same(pages, ['0+100', '100+100', '200+100'], 'pages of 100, the API\'s most');
  t.equal(whole.entries.length, 230);
  t.equal(whole.board?.key, '2026-W50');
  t.equal(whole.capped, false);
  const capped = await fetchWholeBoard({ period: 'week' }, page, { cap: 150 });
  t.same([capped.entries.length, capped.capped], [150, true]);
  await t.rejects(
    fetchWholeBoard({ period: 'week' }, async (q) => ({ ...(await page(q)), board: { ...board, members: 230, key: q.offset ? '2026-W51' : '2026-W50' } })),
    new ApiError('BOARD_CHANGED', 'the period changed while downloading (2026-W50 → 2026-W51): download again'),
  );

  const csv = leaderboardCsv([entry(1, 'ANNA', 3, 'Anna K.'), entry(2, '=HYPERLINK("x")', 1)]);
  t.equal(csv, 'rank,member_id,name,classes,reached_at\r\n1,ANNA,Anna K.,3,2026-12-08T14:00:00.000Z\r\n2,"\'=HYPERLINK(""x"")",,1,2026-12-08T14:00:00.000Z\r\n', 'a formula-looking id is defused; no name, an empty cell');
  t.equal(leaderboardCsvFileName({ location: null, key: '2026-W50' }), 'leaderboard_all-studios_2026-W50.csv');
  t.equal(leaderboardCsvFileName({ location: 'harbor view/2', key: 'all' }), 'leaderboard_harbor-view-2_all.csv');
});
