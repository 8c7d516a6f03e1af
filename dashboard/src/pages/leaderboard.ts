/**
 * Leaderboard, for a studio manager: who attended most classes this week, this month or ever, at one studio or
 * all of them; paged, with a member's standing and neighbours, and **live**: the board's Server-Sent Events
 * re-fetch the rows on screen (at most every 500 ms) and mark the ones that moved, without reloading the page.
 *
 * Stable hooks for browser tests: #board-location, #board-period, #board-dates, #board-earlier, #board-later,
 * #board-freshness, #board-size, #live-status (data-state), #board-table, #board-rows > tr[data-member-id]
 * (data-rank, data-classes; class "changed" for a few seconds after a live change of its own, "moved" when pushed down), #board-empty, #board-range,
 * #board-prev, #board-next, #board-csv, #board-csv-status, #board-error (+ #board-retry, #board-all-studios,
 * #board-current), #member-search, #member-find, #member-standing, #around-rows > tr[data-member-id] (the
 * member's row has class "me"), #member-error.
 */
import {
  api, ApiError, BOARD_PAGE_MAX, CSV_ROW_CAP, errorText, fetchWholeBoard, liveUrl,
  type BoardEntry, type BoardInfo, type BoardQuery, type BoardsAnswer, type LeaderboardPeriod, type TopAnswer,
} from '../api.js';
import { pager, saveCsv, selectField, type Choice } from '../controls.js';
import { leaderboardCsv, leaderboardCsvFileName } from '../csv.js';
import { fill, h } from '../dom.js';
import { formatCount, formatDateTime, formatPeriodDates, formatZoned, studioChoices, studioName } from '../format.js';
import { changedRows, emptyBoardText, markText, neighbourKeys, PERIOD_LABEL, standingText, type Mark } from '../leaderboard/board.js';
import { openLive, throttle, type LiveState } from '../leaderboard/live.js';
import { pageCount, pageOffset, PERIODS, withFilter, type Filters, type RouteState } from '../url-state.js';
import type { Navigate, Page } from './types.js';

export const BOARD_PAGE_SIZE = 25;
/** Live changes re-fetch the rows on screen at most this often. */
export const LIVE_REFRESH_MS = 500;
/** How long a changed row stays marked. */
const MARK_MS = 4_000;
/** Redis down or the service unreachable: try again after this long (the API's Retry-After is 5 s). */
const RETRY_MS = 5_000;
const AROUND_SIZE = 5;
const MEMBER_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

const LIVE_TEXT: Record<LiveState, string> = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Not live: retrying' };
const NOUN: Record<LeaderboardPeriod, string> = { week: 'week', month: 'month', all: 'board' };

const boardOf = (s: RouteState): BoardQuery => ({ location: s.location, period: s.period, key: s.key });
const boardId = (s: RouteState) => JSON.stringify(boardOf(s));

/** Redis down, the service unreachable or failing: worth trying again by itself. */
const transient = (err: unknown) => err instanceof ApiError && (err.code === 'REDIS_UNAVAILABLE' || err.code === 'UNREACHABLE' || err.status >= 500);

export function mountLeaderboard(root: HTMLElement, initial: RouteState, navigate: Navigate): Page {
  let state = initial;
  let boards: BoardsAnswer | null = null;
  let shown: { id: string; page: number; entries: BoardEntry[] } | null = null;
  let board: BoardInfo | null = null;
  let member: string | null = null;
  let controller: AbortController | undefined;
  let aroundController: AbortController | undefined;
  let downloading: AbortController | undefined;
  let live: { id: string; close: () => void } | null = null;
  let retryTimer: number | undefined;
  let updatedAt: Date | null = null;
  const marks = new Map<string, { mark: Mark; by: number; until: number }>();
  let markTimer: number | undefined;

  const go = (patch: Filters, replace = false) => navigate(withFilter(state, patch), { replace });
  const timeZone = () => boards?.timeZone ?? 'UTC';

  // Head: title, freshness, the live indicator
  const liveStatus = h('span', { id: 'live-status', class: 'live', role: 'status', 'data-state': 'connecting' }, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), h('span', { class: 'live-text' }, LIVE_TEXT.connecting));
  const freshness = h('p', { class: 'freshness', id: 'board-freshness' }, 'Loading the boards…');

  // Filters
  const studio = selectField({ id: 'board-location', name: 'location', label: 'Studio', choices: studioChoices(null, null), onChange: (v) => go({ location: v || null }) });
  const period = selectField({
    id: 'board-period', name: 'period', label: 'Period',
    choices: PERIODS.map((p): Choice => [p, PERIOD_LABEL[p]]),
    onChange: (v) => go({ period: PERIODS.find((p) => p === v) ?? 'week' }),
  });
  const dates = h('span', { id: 'board-dates', class: 'dates' });
  const earlier = h('button', { type: 'button', id: 'board-earlier', class: 'link', hidden: true });
  const later = h('button', { type: 'button', id: 'board-later', class: 'link', hidden: true });
  const periodNav = h('span', { class: 'period-nav' }, earlier, dates, later);

  const alert = h('div', { id: 'board-error', class: 'card alert', role: 'alert', hidden: true });

  // The ranking
  const size = h('span', { id: 'board-size' });
  const csvButton = h('button', { type: 'button', id: 'board-csv' }, 'Download CSV');
  const csvStatus = h('p', { id: 'board-csv-status', class: 'note', role: 'status' });
  const caption = h('caption', { id: 'board-caption' });
  const rows = h('tbody', { id: 'board-rows' });
  const table = h(
    'table',
    { id: 'board-table', class: 'data board' },
    caption,
    h('thead', {}, h('tr', {}, ['Rank', 'Member', 'Classes', 'Reached at'].map((t, i) => h('th', { scope: 'col', class: i === 0 || i === 2 ? 'num' : null }, t)))),
    rows,
  );
  const pages = pager({ range: 'board-range', prev: 'board-prev', next: 'board-next' }, (delta) => state.page + delta >= 1 && go({ page: state.page + delta }));
  const ranking = h(
    'section',
    { class: 'card', id: 'ranking', 'aria-labelledby': 'ranking-title' },
    h('div', { class: 'toolbar' }, h('h2', { id: 'ranking-title' }, 'Ranking ', h('span', { class: 'muted small' }, size)), h('div', { class: 'group' }, csvButton)),
    csvStatus,
    h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-labelledby': 'ranking-title' }, table),
    pages.el,
  );

  // Find a member
  const search = h('input', {
    id: 'member-search', name: 'member', type: 'search', autocomplete: 'off', spellcheck: 'false', maxlength: 64,
    placeholder: 'e.g. M000123', 'aria-describedby': 'member-hint',
  });
  const memberResult = h('p', { id: 'member-standing', role: 'status' });
  const aroundRows = h('tbody', { id: 'around-rows' });
  const aroundTable = h(
    'table',
    { id: 'around-table', class: 'data board', hidden: true },
    h('caption', { class: 'visually-hidden' }, 'The member and their neighbours on this board'),
    h('thead', {}, h('tr', {}, ['Rank', 'Member', 'Classes', 'Reached at'].map((t, i) => h('th', { scope: 'col', class: i === 0 || i === 2 ? 'num' : null }, t)))),
    aroundRows,
  );
  const form = h(
    'form',
    { id: 'member-form', role: 'search', 'aria-labelledby': 'member-title', novalidate: true },
    h('span', { class: 'field' }, h('label', { for: 'member-search' }, 'Member id'), search),
    h('button', { type: 'submit', id: 'member-find' }, 'Find'),
    h('button', { type: 'button', id: 'member-clear', hidden: true }, 'Clear'),
  );
  const clear = form.querySelector('#member-clear') as HTMLButtonElement;
  const memberCard = h(
    'section',
    { class: 'card', id: 'find-member', 'aria-labelledby': 'member-title' },
    h('h2', { id: 'member-title' }, 'Find a member'),
    h('p', { id: 'member-hint', class: 'muted small' }, 'Their place on the board shown above, with the five members on each side.'),
    form,
    memberResult,
    h('div', { class: 'table-wrap' }, aroundTable),
  );

  fill(
    root,
    h('div', { class: 'page-head' }, h('h1', { id: 'page-title', tabindex: -1 }, 'Leaderboard'), h('div', { class: 'head-side' }, liveStatus, freshness)),
    h('div', { class: 'filters', role: 'search', 'aria-label': 'Which board' }, studio.field, period.field, periodNav),
    alert,
    ranking,
    memberCard,
  );

  // ---- drawing ----

  function row(e: BoardEntry, highlight: string | null): HTMLTableRowElement {
    const m = marks.get(e.memberId);
    const tr = h(
      'tr',
      { 'data-member-id': e.memberId, 'data-rank': e.rank, 'data-classes': e.classes, class: [m ? `${m.mark === 'down' ? 'moved' : 'changed'} ${m.mark}` : '', e.memberId === highlight ? 'me' : ''].join(' ').trim() || null },
      h('td', { class: 'num rank' }, formatCount(e.rank), m ? h('span', { class: `move ${m.mark}`, title: markText(m) }, h('span', { 'aria-hidden': 'true' }, m.mark === 'up' ? ' ▲' : m.mark === 'down' ? ' ▼' : ' •'), h('span', { class: 'visually-hidden' }, ` (${markText(m)})`)) : null),
      h('th', { scope: 'row', class: 'member' }, e.name ?? e.memberId, e.name ? h('span', { class: 'member-id' }, ` ${e.memberId}`) : null),
      h('td', { class: 'num' }, formatCount(e.classes)),
      h('td', { class: 'reached' }, formatZoned(e.reachedAt, timeZone())),
    );
    if (e.memberId === highlight) tr.setAttribute('aria-current', 'true');
    return tr;
  }

  function message(text: string, id: string, action?: HTMLElement): void {
    fill(rows, h('tr', {}, h('td', { colspan: 4, class: 'placeholder', id }, text, action ? ' ' : null, action ?? null)));
  }

  function drawRows(): void {
    if (!shown || !board) return;
    if (shown.entries.length === 0) message(emptyBoardText(state.location, state.period, state.key !== null), 'board-empty');
    else fill(rows, shown.entries.map((e) => row(e, member)));
  }

  function drawFreshness(): void {
    const parts: string[] = [];
    if (boards) parts.push(boards.rebuiltAt ? `rebuilt from the lake ${formatDateTime(boards.rebuiltAt)}` : 'not rebuilt from the lake yet: live check-ins only');
    if (updatedAt) parts.push(`updated ${updatedAt.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' })}`);
    freshness.textContent = parts.join(' · ');
  }

  function drawBoard(top: TopAnswer, s: RouteState): void {
    board = top.board;
    const total = top.board.members;
    const last = pageCount(total, BOARD_PAGE_SIZE);
    const id = boardId(s);
    const before = shown && shown.id === id && shown.page === s.page ? shown.entries : null;
    const now = Date.now();
    for (const [m, mark] of changedRows(before, top.entries)) marks.set(m, { ...mark, until: now + MARK_MS });
    scheduleUnmark();
    shown = { id, page: s.page, entries: top.entries };
    updatedAt = new Date();
    const where = s.location ? studioName(s.location) : 'All studios';
    const span = formatPeriodDates(top.board.from, top.board.to, timeZone());
    size.textContent = `· ${formatCount(total)} ${total === 1 ? 'member' : 'members'}`;
    caption.textContent = `${where}, ${s.period === 'all' ? 'all time' : span}: most classes first`;
    dates.textContent = s.period === 'all' ? 'Every class ever counted' : s.key ? `${span} (a past ${NOUN[s.period]})` : span;
    const nav = s.period === 'all' ? { earlier: null, later: null } : neighbourKeys(top.board, timeZone());
    const current = boards?.boards.find((b) => b.location === null && b.period === s.period)?.key ?? null;
    earlier.hidden = !nav.earlier || s.key !== null; // only the previous period is still kept (its grace)
    earlier.textContent = `← Last ${NOUN[s.period]}`;
    later.hidden = s.key === null || !nav.later;
    later.textContent = `This ${NOUN[s.period]} →`;
    earlier.onclick = () => go({ key: nav.earlier });
    later.onclick = () => go({ key: nav.later === current ? null : nav.later });
    pages.show(
      total ? `Ranks ${formatCount(top.offset + 1)}–${formatCount(top.offset + top.entries.length)} of ${formatCount(total)} · page ${formatCount(s.page)} of ${formatCount(last)}` : 'No members yet',
      s.page,
      last,
    );
    csvButton.disabled = total === 0 || downloading !== undefined;
    drawRows();
    drawFreshness();
  }

  function scheduleUnmark(): void {
    if (markTimer !== undefined || marks.size === 0) return;
    const next = Math.min(...[...marks.values()].map((m) => m.until));
    markTimer = window.setTimeout(() => {
      markTimer = undefined;
      const now = Date.now();
      for (const [k, m] of marks) if (m.until <= now) marks.delete(k);
      drawRows();
      scheduleUnmark();
    }, Math.max(50, next - Date.now()));
  }

  function showError(err: unknown): void {
    alert.hidden = false;
    const button = (id: string, text: string, onclick: () => void, primary = false) => h('button', { type: 'button', id, class: primary ? 'primary' : null, onclick }, text);
    const retry = button('board-retry', 'Try again', () => load(true));
    if (transient(err)) {
      fill(alert, h('p', {}, h('strong', {}, 'The leaderboards are not reachable right now — retrying. '), errorText(err)), h('div', { class: 'actions' }, retry));
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(() => load(true), RETRY_MS);
    } else if (err instanceof ApiError && err.code === 'UNKNOWN_LOCATION') {
      fill(alert, h('p', {}, h('strong', {}, `“${state.location ?? ''}” has no leaderboard. `), errorText(err)), h('div', { class: 'actions' }, button('board-all-studios', 'Show all studios', () => go({ location: null }), true)));
    } else if (err instanceof ApiError && (err.code === 'BOARD_GONE' || err.code === 'BAD_PERIOD_KEY')) {
      fill(alert, h('p', {}, h('strong', {}, 'That period’s board is not available. '), errorText(err)), h('div', { class: 'actions' }, button('board-current', `Show this ${NOUN[state.period]}`, () => go({ key: null }), true)));
    } else {
      fill(alert, h('p', {}, h('strong', {}, 'The leaderboard could not be loaded. '), errorText(err)), h('div', { class: 'actions' }, retry));
    }
    ranking.hidden = true;
    freshness.textContent = '';
    closeLive();
    setLive(null);
  }

  // ---- loading ----

  /** The page of the board in the URL; `full` also re-reads the list of boards (studios, time zone, rebuild time). */
  function load(full: boolean): void {
    window.clearTimeout(retryTimer);
    controller?.abort();
    const mine = (controller = new AbortController());
    const s = state;
    const o = { signal: mine.signal };
    table.setAttribute('aria-busy', 'true');
    ranking.classList.add('is-loading');
    if (!rows.firstChild) message('Loading the leaderboard…', 'board-loading');
    const list = full || !boards ? api.boards(o) : Promise.resolve(boards);
    Promise.all([list, api.top({ ...boardOf(s), offset: pageOffset(s.page, BOARD_PAGE_SIZE), limit: BOARD_PAGE_SIZE }, o)])
      .then(([b, top]) => {
        if (mine.signal.aborted) return;
        boards = b;
        fillStudios();
        const last = pageCount(top.board.members, BOARD_PAGE_SIZE);
        if (top.board.members > 0 && top.entries.length === 0 && s.page > last) {
          go({ page: last }, true); // a link to a page past the end: go to the last one
          return;
        }
        alert.hidden = true;
        ranking.hidden = false;
        drawBoard(top, s);
        ensureLive();
      })
      .catch((err: unknown) => {
        if (!mine.signal.aborted) showError(err);
      })
      .finally(() => {
        if (mine !== controller) return;
        table.removeAttribute('aria-busy');
        ranking.classList.remove('is-loading');
      });
    if (member) findMember(member);
  }

  /** A live change: the rows on screen again, quietly (no busy state; a failure keeps what is shown). */
  function refresh(): void {
    if (controller && !controller.signal.aborted && table.getAttribute('aria-busy') === 'true') return; // a load is under way
    const s = state;
    controller?.abort(); // an older refresh: this one is newer
    const mine = (controller = new AbortController());
    api
      .top({ ...boardOf(s), offset: pageOffset(s.page, BOARD_PAGE_SIZE), limit: BOARD_PAGE_SIZE }, { signal: mine.signal })
      .then((top) => {
        if (!mine.signal.aborted && boardId(s) === boardId(state) && s.page === state.page) drawBoard(top, s);
      })
      .catch((err: unknown) => {
        if (!mine.signal.aborted) freshness.textContent = `Could not refresh: ${errorText(err)}`;
      });
    if (member) findMember(member, true);
  }
  const throttled = throttle(refresh, LIVE_REFRESH_MS, { set: (f, d) => window.setTimeout(f, d), clear: (id) => window.clearTimeout(id as number) });

  function fillStudios(): void {
    const known = boards ? [...new Set(boards.boards.map((b) => b.location).filter((l): l is string => l !== null))] : null;
    studio.set(studioChoices(known, state.location), state.location ?? '');
    period.select.value = state.period;
  }

  // ---- live ----

  function setLive(s: LiveState | null): void {
    liveStatus.hidden = s === null;
    if (s === null) return;
    liveStatus.dataset.state = s;
    (liveStatus.querySelector('.live-text') as HTMLElement).textContent = LIVE_TEXT[s];
  }

  function closeLive(): void {
    throttled.cancel();
    live?.close();
    live = null;
  }

  /** One stream, for the board in the URL: a new board closes the old stream first. */
  function ensureLive(): void {
    const id = boardId(state);
    if (live?.id === id) return;
    closeLive();
    const stream = openLive(liveUrl(boardOf(state)), {
      onRank: () => throttled.call(),
      onReset: () => load(true),
      onResumed: () => throttled.call(),
      onState: setLive,
    });
    live = { id, close: stream.close };
  }

  // ---- find a member ----

  function findMember(id: string, quiet = false): void {
    aroundController?.abort();
    const mine = (aroundController = new AbortController());
    if (!quiet) {
      memberResult.textContent = `Looking for ${id}…`;
      aroundTable.setAttribute('aria-busy', 'true');
    }
    api
      .around(id, { ...boardOf(state), size: AROUND_SIZE }, { signal: mine.signal })
      .then((a) => {
        if (mine.signal.aborted) return;
        memberResult.className = '';
        memberResult.textContent = standingText(a.standing);
        fill(aroundRows, a.entries.map((e) => row(e, a.standing.memberId)));
        aroundTable.hidden = false;
      })
      .catch((err: unknown) => {
        if (mine.signal.aborted) return;
        aroundTable.hidden = true;
        memberResult.className = 'member-error';
        memberResult.textContent = err instanceof ApiError && err.code === 'NOT_ON_BOARD' ? `${id} has no class counted on this board yet.` : errorText(err);
      })
      .finally(() => {
        if (mine === aroundController) aroundTable.removeAttribute('aria-busy');
      });
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = search.value.trim();
    if (!MEMBER_ID.test(id)) {
      memberResult.className = 'member-error';
      memberResult.textContent = id ? 'A member id is letters, digits and _ . : - (at most 64), as in the members export.' : 'Type a member id first.';
      search.focus();
      return;
    }
    member = id;
    clear.hidden = false;
    drawRows();
    findMember(id);
  });
  clear.addEventListener('click', () => {
    member = null;
    aroundController?.abort();
    search.value = '';
    memberResult.textContent = '';
    memberResult.className = '';
    aroundTable.hidden = true;
    clear.hidden = true;
    drawRows();
    search.focus();
  });

  // ---- CSV ----

  csvButton.addEventListener('click', () => {
    if (downloading) return;
    const which = boardOf(state);
    const mine = (downloading = new AbortController());
    csvButton.disabled = true;
    csvStatus.textContent = 'Preparing the download…';
    fetchWholeBoard(which, (q) => api.top(q, { signal: mine.signal }), {
      pageSize: BOARD_PAGE_MAX,
      onProgress: (done, total) => (csvStatus.textContent = `Preparing the download: ${formatCount(done)} of ${formatCount(total)} rows…`),
    })
      .then((all) => {
        saveCsv(leaderboardCsv(all.entries), leaderboardCsvFileName({ location: which.location, key: all.board?.key ?? which.period }));
        csvStatus.textContent = all.capped
          ? `Downloaded the first ${formatCount(all.entries.length)} of ${formatCount(all.total)} members: a download stops at ${formatCount(CSV_ROW_CAP)} rows.`
          : `Downloaded ${formatCount(all.entries.length)} ${all.entries.length === 1 ? 'member' : 'members'}.`;
      })
      .catch((err: unknown) => {
        if (!mine.signal.aborted) csvStatus.textContent = `The download failed: ${errorText(err)}`;
      })
      .finally(() => {
        downloading = undefined;
        csvButton.disabled = (board?.members ?? 0) === 0;
      });
  });

  fillStudios();
  load(true);

  return {
    update(next) {
      const boardChanged = boardId(next) !== boardId(state);
      state = next;
      fillStudios();
      if (boardChanged) {
        closeLive();
        marks.clear();
        csvStatus.textContent = '';
      }
      load(false);
    },
    unmount() {
      controller?.abort();
      aroundController?.abort();
      downloading?.abort();
      window.clearTimeout(retryTimer);
      window.clearTimeout(markTimer);
      closeLive();
    },
  };
}
