/**
 * The at-risk members table: highest risk first, a band filter, paging (both kept in the URL), and a CSV
 * download of every row of the current filter (up to CSV_ROW_CAP, saying so when it stops there).
 *
 * Stable hooks for browser tests: #band-filter, #members-table, #members-rows > tr[data-member-id],
 * #members-empty, #members-range, #page-prev, #page-next, #csv-download, #csv-status.
 */
import { api, ApiError, BANDS, CSV_ROW_CAP, errorText, fetchAllMembers, type AtRiskMember, type Band, type ChurnMembersPage } from '../api.js';
import { BAND_LABEL } from '../chart-data.js';
import { csvFileName, membersCsv } from '../csv.js';
import { pager, saveCsv, selectField, type Choice } from '../controls.js';
import { fill, h } from '../dom.js';
import { formatCount, formatDate, formatRisk, memberName, planName, studioName } from '../format.js';
import { pageCount, pageOffset, type RouteState } from '../url-state.js';

export const PAGE_SIZE = 25;
const COLUMNS = 5;

export type FilterPatch = Partial<Pick<RouteState, 'band' | 'page'>>;

function bandBadge(band: Band): HTMLElement {
  return h('span', { class: `band ${band}` }, BAND_LABEL[band] ?? band);
}

// Explicit table roles: on a phone the rows are laid out as cards (CSS display changes), and some browsers
// drop a table's semantics when its display changes; the roles keep it a table for screen readers.
function memberRow(m: AtRiskMember): HTMLTableRowElement {
  return h(
    'tr',
    { role: 'row', 'data-member-id': m.memberId, 'data-band': m.band },
    h('th', { scope: 'row', role: 'rowheader', class: 'member' }, h('span', { class: 'name' }, memberName(m)), h('span', { class: 'id' }, m.memberId)),
    h('td', { role: 'cell', class: 'studio' }, studioName(m.homeLocationId)),
    h('td', { role: 'cell', class: 'plan' }, planName(m.plan)),
    h('td', { role: 'cell', class: 'num risk-cell' }, h('span', { class: 'risk' }, formatRisk(m.score)), bandBadge(m.band)),
    h('td', { role: 'cell', class: 'factors' }, m.factors.length ? m.factors.slice(0, 3).join('; ') : '–'),
  );
}

/** "high-risk members at Downtown", "members at all studios". */
function filterWords(location: string | null, band: Band | null): string {
  return `${band ? `${band}-risk ` : ''}members ${location ? `at ${studioName(location)}` : 'at all studios'}`;
}

export type MembersPanel = { el: HTMLElement; load: (state: RouteState) => void; dispose: () => void };

export function membersPanel(navigate: (patch: FilterPatch, replace?: boolean) => void): MembersPanel {
  let state: RouteState | undefined;
  let controller: AbortController | undefined;
  let downloading: AbortController | undefined;
  let rowsInFilter = 0;

  const bandFilter = selectField({
    id: 'band-filter',
    name: 'band',
    label: 'Band',
    choices: [['', 'All bands'], ...BANDS.map((b): Choice => [b, `${BAND_LABEL[b]} risk`])],
    onChange: (value) => navigate({ band: BANDS.find((b) => b === value) ?? null }),
  });

  const csvButton = h('button', { type: 'button', id: 'csv-download' }, 'Download CSV');
  const csvStatus = h('p', { id: 'csv-status', class: 'note', role: 'status' });
  const caption = h('caption', { id: 'members-caption' });
  const rows = h('tbody', { id: 'members-rows', role: 'rowgroup' });
  const table = h(
    'table',
    { id: 'members-table', class: 'data members', role: 'table', 'aria-labelledby': 'members-caption' },
    caption,
    h(
      'thead',
      { role: 'rowgroup' },
      h('tr', { role: 'row' }, ['Member', 'Studio', 'Plan', 'Risk', 'Top factors'].map((t, i) => h('th', { scope: 'col', role: 'columnheader', class: i === 3 ? 'num' : null }, t))),
    ),
    rows,
  );
  const pages = pager({ range: 'members-range', prev: 'page-prev', next: 'page-next' }, (delta) => state && state.page + delta >= 1 && navigate({ page: state.page + delta }));

  const el = h(
    'section',
    { class: 'card', id: 'at-risk', 'aria-labelledby': 'at-risk-title' },
    h(
      'div',
      { class: 'toolbar' },
      h('h2', { id: 'at-risk-title' }, 'Members at risk'),
      h('div', { class: 'group' }, bandFilter.field, csvButton),
    ),
    csvStatus,
    h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-labelledby': 'at-risk-title' }, table),
    pages.el,
  );

  function message(text: string, id: string, action?: HTMLElement): void {
    fill(rows, h('tr', { role: 'row' }, h('td', { role: 'cell', colspan: COLUMNS, class: 'placeholder', id }, text, action ? ' ' : null, action ?? null)));
  }

  function show(page: ChurnMembersPage, s: RouteState): void {
    const last = pageCount(page.total, PAGE_SIZE);
    if (page.total > 0 && page.members.length === 0 && s.page > last) {
      navigate({ page: last }, true); // a link to a page past the end: go to the last one
      return;
    }
    if (page.members.length === 0) message(`No ${filterWords(s.location, s.band)}.`, 'members-empty');
    else fill(rows, page.members.map(memberRow));
    const first = page.members.length ? page.offset + 1 : 0;
    pages.show(
      page.total
        ? `Members ${formatCount(first)}–${formatCount(page.offset + page.members.length)} of ${formatCount(page.total)} · page ${formatCount(s.page)} of ${formatCount(last)}`
        : 'No members',
      s.page,
      last,
    );
    rowsInFilter = page.total;
    csvButton.disabled = page.total === 0 || downloading !== undefined;
    caption.textContent = `${filterWords(s.location, s.band).replace(/^./, (c) => c.toUpperCase())}, highest risk first (scores as of ${formatDate(page.asOf)})`;
  }

  function load(s: RouteState): void {
    state = s;
    bandFilter.select.value = s.band ?? '';
    controller?.abort();
    const mine = (controller = new AbortController());
    table.setAttribute('aria-busy', 'true');
    el.classList.add('is-loading');
    if (!rows.firstChild) message('Loading the members…', 'members-loading');
    api
      .churnMembers({ location: s.location, band: s.band, limit: PAGE_SIZE, offset: pageOffset(s.page, PAGE_SIZE) }, { signal: mine.signal })
      .then((page) => show(page, s))
      .catch((err: unknown) => {
        if (mine.signal.aborted) return;
        rowsInFilter = 0;
        pages.disable();
        csvButton.disabled = true;
        if (err instanceof ApiError && err.code === 'NO_SCORES') message('No scores yet.', 'members-empty');
        else {
          const retry = h('button', { type: 'button', id: 'members-retry' }, 'Try again');
          retry.addEventListener('click', () => state && load(state));
          message(`The members could not be loaded: ${errorText(err)}`, 'members-error', retry);
        }
      })
      .finally(() => {
        if (mine !== controller) return;
        table.removeAttribute('aria-busy');
        el.classList.remove('is-loading');
      });
  }

  csvButton.addEventListener('click', () => {
    if (!state || downloading) return;
    const filter = { location: state.location, band: state.band };
    const mine = (downloading = new AbortController());
    csvButton.disabled = true;
    csvStatus.textContent = 'Preparing the download…';
    fetchAllMembers(filter, (q) => api.churnMembers(q, { signal: mine.signal }), {
      onProgress: (done, total) => (csvStatus.textContent = `Preparing the download: ${formatCount(done)} of ${formatCount(total)} rows…`),
    })
      .then((all) => {
        saveCsv(membersCsv(all.members), csvFileName(filter, all.asOf));
        csvStatus.textContent = all.capped
          ? `Downloaded the ${formatCount(all.members.length)} members most at risk of ${formatCount(all.total)}: a download stops at ${formatCount(CSV_ROW_CAP)} rows. Choose a studio or a band to get the rest.`
          : `Downloaded ${formatCount(all.members.length)} ${all.members.length === 1 ? 'member' : 'members'} (scores as of ${formatDate(all.asOf)}).`;
      })
      .catch((err: unknown) => {
        if (!mine.signal.aborted) csvStatus.textContent = `The download failed: ${errorText(err)}`;
      })
      .finally(() => {
        downloading = undefined;
        csvButton.disabled = rowsInFilter === 0;
      });
  });

  return {
    el,
    load,
    dispose: () => {
      controller?.abort();
      downloading?.abort();
    },
  };
}
