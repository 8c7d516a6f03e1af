/**
 * Overview, the start page for a studio manager: KPI cards with the change vs the period before, member movement and
 * retention cohorts, class fill by weekday and hour, the instructor table and the at-risk members (each one's history
 * a click away). Everything comes from the metrics cache (`/v1/metrics`), so the page never waits for a query on the
 * lake. Filters (studio, date range, class type or instructor) are in the URL and apply to every panel that can take
 * them: member figures take the studio only, and say so when a class filter is set. Each table downloads as CSV.
 *
 * Stable hooks for browser tests: #location-filter, #range-filter, #class-type-filter, #instructor-filter,
 * #overview-freshness, #kpi-<id> (value), #kpi-<id>-change, #kpi-<id>-note for id in active, visits, churn, atRisk,
 * fill, mrr; #chart-movement, #chart-cohorts, #chart-fill (svg once drawn), #instructors-table,
 * #at-risk-table tr[data-member-id], #at-risk-range, #csv-<panel>; #overview-warming, #overview-error; and those of
 * member-history.ts.
 */
import { api, ApiError, errorText, RANGE_NAMES, type MetricAnswer, type MetricQuery, type MetricsCatalog, type RangeName } from '../api.js';
import { chartIn, type Chart } from '../chart-kit.js';
import { pager, saveCsv, selectField, type Choice } from '../controls.js';
import { metricCsv, metricCsvFileName } from '../csv.js';
import { dataTable, fill, h } from '../dom.js';
import { DASH, formatCount, formatDate, formatDateTime, formatPercent, planName, studioChoices, studioName, titleCase } from '../format.js';
import { cohortOption, fillOption, movementOption } from '../overview/charts.js';
import { CLASS_FILTERED_KPIS, KPI_IDS, KPI_METRICS, kpiChange, kpiFrom, type Kpi, type KpiId } from '../overview/kpis.js';
import { historyDialog } from '../overview/member-history.js';
import { cohortGrid, cohortSummary, fillGrid, fillSummary, hourLabel, movementSeries, movementSummary, WEEKDAYS } from '../overview/panel-data.js';
import { pageCount, pageOffset, withFilter, type Filters, type RouteState } from '../url-state.js';
import type { Navigate, Page } from './types.js';

export const AT_RISK_PAGE_SIZE = 25;
/** The monthly panels always show a year: a month or two of cohorts says little. */
const TREND_RANGE = 'last_12_months';
const WARMING_RETRY_MS = 10_000;

const RANGE_WORDS: Record<RangeName, string> = { '7_days': 'Last 7 days', '30_days': 'Last 30 days', '90_days': 'Last 90 days', '12_months': 'Last 12 months' };
const PREVIOUS_WORDS: Record<RangeName, string> = { '7_days': 'the 7 days before', '30_days': 'the 30 days before', '90_days': 'the 90 days before', '12_months': 'the year before' };

function formatKpi(kpi: Kpi, value: number | null): string {
  if (value === null) return DASH;
  switch (kpi.format) {
    case 'count':
      return formatCount(value);
    case 'decimal':
      return value.toFixed(2);
    case 'rate':
      return formatPercent(value, 1);
    case 'money':
      return `$${formatCount(value)}`;
  }
}

type KpiCard = { el: HTMLElement; value: HTMLElement; change: HTMLElement; note: HTMLElement };

function kpiCard(id: KpiId, label: string): KpiCard {
  const value = h('p', { class: 'value', id: `kpi-${id}`, 'aria-describedby': `kpi-${id}-label` }, DASH);
  const change = h('p', { class: 'change', id: `kpi-${id}-change` }, '\u00a0');
  const note = h('p', { class: 'sub', id: `kpi-${id}-note` }, '\u00a0');
  return { el: h('li', { class: 'kpi' }, h('p', { class: 'label', id: `kpi-${id}-label` }, label), value, change, note), value, change, note };
}

const KPI_LABELS: Record<KpiId, string> = {
  active: 'Active members',
  visits: 'Visits per member per week',
  churn: 'Churn',
  atRisk: 'At-risk members',
  fill: 'Class fill rate',
  mrr: 'MRR',
};

type Panel = { el: HTMLElement; body: HTMLElement; note: HTMLElement; csv: HTMLButtonElement; answer: MetricAnswer | null };

/** A card with a title, a line under it, a CSV button for the answer it shows, and a body. */
function panel(id: string, title: string, csvLabel: string): Panel {
  const csv = h('button', { type: 'button', id: `csv-${id}`, disabled: true }, csvLabel);
  const note = h('p', { class: 'note', id: `${id}-note` });
  const body = h('div', { class: 'panel-body' });
  const el = h(
    'section',
    { class: 'card', id: `panel-${id}`, 'aria-labelledby': `${id}-title` },
    h('div', { class: 'toolbar' }, h('h2', { id: `${id}-title` }, title), h('div', { class: 'group' }, csv)),
    note,
    body,
  );
  const p: Panel = { el, body, note, csv, answer: null };
  csv.addEventListener('click', () => {
    if (p.answer) saveCsv(metricCsv(p.answer), metricCsvFileName(p.answer));
  });
  return p;
}

/** What a panel says when its answer could not be had. */
function panelError(err: unknown, state: RouteState): string {
  if (err instanceof ApiError && err.code === 'NOT_CACHED' && (state.classType || state.instructor)) {
    const what = state.classType ? `${titleCase(state.classType)} classes` : `classes by ${state.instructor}`;
    return `No ${what}${state.location ? ` at ${studioName(state.location)}` : ''} in this range.`;
  }
  return `Could not be loaded: ${errorText(err)}`;
}

export function mountOverview(root: HTMLElement, initial: RouteState, navigate: Navigate): Page {
  let state = initial;
  let catalog: MetricsCatalog | null = null;
  const instructorNames = new Map<string, string>();
  let controller: AbortController | undefined;
  let warmingTimer: number | undefined;
  let atRisk: MetricAnswer | null = null;

  const go = (patch: Filters, replace = false) => navigate(withFilter(state, patch), { replace });

  // Head and filters
  const freshness = h('p', { class: 'freshness', id: 'overview-freshness' }, 'Loading the latest figures…');
  const studio = selectField({ id: 'location-filter', name: 'location', label: 'Studio', choices: studioChoices(null, null), onChange: (v) => go({ location: v || null }) });
  const range = selectField({
    id: 'range-filter',
    name: 'range',
    label: 'Dates',
    choices: RANGE_NAMES.map((r): Choice => [r, RANGE_WORDS[r]]),
    onChange: (v) => go({ range: RANGE_NAMES.find((r) => r === v) ?? '30_days' }),
  });
  const classType = selectField({ id: 'class-type-filter', name: 'classType', label: 'Class type', choices: [['', 'All class types']], onChange: (v) => go({ classType: v || null }) });
  const instructor = selectField({ id: 'instructor-filter', name: 'instructor', label: 'Instructor', choices: [['', 'All instructors']], onChange: (v) => go({ instructor: v || null }) });
  const classNote = h('p', { class: 'note', id: 'class-filter-note' });

  // Alerts
  const alert = h('div', { id: 'overview-error', class: 'card alert', role: 'alert', hidden: true });
  const warming = h(
    'section',
    { id: 'overview-warming', class: 'card empty', hidden: true, 'aria-labelledby': 'warming-title' },
    h('h2', { id: 'warming-title' }, 'The figures are being computed'),
    h(
      'p',
      {},
      'The metrics are computed from the lake each time a batch of studio exports has been processed. None has completed yet: upload the exports to ingest (',
      h('code', {}, 'npm start'),
      ' loads the sample chain), and this page fills in by itself.',
    ),
    h('div', { class: 'actions' }, h('button', { type: 'button', id: 'warming-retry', onclick: () => load() }, 'Check again')),
  );

  // KPI cards
  const cards = Object.fromEntries(KPI_IDS.map((id) => [id, kpiCard(id, KPI_LABELS[id])])) as Record<KpiId, KpiCard>;
  const kpis = h('ul', { class: 'kpis', id: 'kpis', 'aria-label': 'Key figures' }, KPI_IDS.map((id) => cards[id].el));
  const compareNote = h('p', { class: 'note kpi-compare', id: 'kpi-compare' });

  // Panels
  const movement = panel('movement', 'Members joining and leaving', 'CSV');
  const movementEl = h('div', { class: 'chart', id: 'chart-movement' });
  const movementChart = chartIn(movementEl);
  movement.body.append(
    movementEl,
    h('ul', { class: 'legend', 'aria-hidden': 'true' }, h('li', {}, h('span', { class: 'swatch joined' }), 'Joined'), h('li', {}, h('span', { class: 'swatch high' }), 'Churned'), h('li', {}, h('span', { class: 'line-swatch net' }), 'Net change')),
  );
  const cohorts = panel('cohorts', 'Retention by join month', 'CSV');
  const cohortsEl = h('div', { class: 'chart tall', id: 'chart-cohorts' });
  const cohortsChart = chartIn(cohortsEl);
  cohorts.body.append(cohortsEl);
  const fillPanel = panel('fill', 'Class fill by weekday and hour', 'CSV');
  const fillEl = h('div', { class: 'chart', id: 'chart-fill' });
  const fillChart = chartIn(fillEl);
  fillPanel.body.append(fillEl);
  const instructors = panel('instructors', 'Instructors', 'Download CSV');
  const atRiskPanel = panel('at-risk', 'Members at risk', 'Download CSV');
  const atRiskRows = h('tbody', { id: 'at-risk-rows' });
  const atRiskCaption = h('caption', { id: 'at-risk-caption' });
  const atRiskTable = h(
    'table',
    { id: 'at-risk-table', class: 'data at-risk' },
    atRiskCaption,
    // Plan and habit are left out at a phone's width (class wide-only): the four others fit without scrolling.
    h('thead', {}, h('tr', {}, ['Member', 'Studio', 'Plan', 'Last visit', 'Days away', 'Usually'].map((t, i) => h('th', { scope: 'col', class: i === 4 ? 'num' : i === 2 || i === 5 ? 'wide-only' : null }, t)))),
    atRiskRows,
  );
  const atRiskPager = pager({ range: 'at-risk-range', prev: 'at-risk-prev', next: 'at-risk-next' }, (delta) => go({ page: state.page + delta }));
  atRiskPanel.body.append(h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-labelledby': 'at-risk-title' }, atRiskTable), atRiskPager.el);

  const history = historyDialog(() => {
    if (state.member) go({ member: null });
  });

  const memberPanels = [movement, cohorts, atRiskPanel];
  const content = h(
    'div',
    { id: 'overview-content' },
    kpis,
    compareNote,
    h('div', { class: 'grid' }, movement.el, cohorts.el),
    h('div', { class: 'grid' }, fillPanel.el, instructors.el),
    atRiskPanel.el,
  );
  fill(
    root,
    h('div', { class: 'page-head' }, h('h1', { id: 'page-title', tabindex: -1 }, 'Overview'), freshness),
    h('div', { class: 'filters', role: 'search', 'aria-label': 'Filters' }, studio.field, range.field, classType.field, instructor.field, classNote),
    alert,
    warming,
    content,
    history.el,
  );

  // ---- filters

  function fillFilters(): void {
    const values = catalog?.filterValues;
    studio.set(studioChoices(values?.locations ?? null, state.location), state.location ?? '');
    range.select.value = state.range;
    const at = (byLocation: Record<string, string[]> | undefined, all: string[] | undefined) => (state.location ? byLocation?.[state.location] : all) ?? all ?? [];
    const withCurrent = (list: string[], current: string | null) => (current && !list.includes(current) ? [...list, current] : list);
    const types = withCurrent(at(values?.classTypesByLocation, values?.classTypes), state.classType);
    classType.set([['', 'All class types'], ...types.map((t): Choice => [t, titleCase(t)])], state.classType ?? '');
    const people = withCurrent(at(values?.instructorsByLocation, values?.instructors), state.instructor);
    const name = (id: string) => instructorNames.get(id) ?? id;
    instructor.set([['', 'All instructors'], ...[...people].sort((a, b) => name(a).localeCompare(name(b))).map((i): Choice => [i, name(i)])], state.instructor ?? '');
    const narrowed = state.classType ? `${titleCase(state.classType)} classes` : state.instructor ? `classes taught by ${name(state.instructor)}` : null;
    classNote.textContent = narrowed
      ? `Showing ${narrowed} in the fill rate, the fill heatmap and the instructor table; member figures count every class.`
      : 'Class type or instructor narrows the class panels (one at a time).';
    for (const p of memberPanels) p.el.classList.toggle('all-classes', narrowed !== null);
  }

  // ---- rendering

  function showKpi(id: KpiId, current: MetricAnswer | Error, previous: MetricAnswer | Error | null): void {
    const card = cards[id];
    if (current instanceof Error) {
      card.value.textContent = DASH;
      card.change.textContent = '\u00a0';
      card.note.textContent = panelError(current, state);
      return;
    }
    const kpi = kpiFrom(id, current, previous instanceof Error ? null : previous);
    card.value.textContent = formatKpi(kpi, kpi.current.value);
    const change = kpiChange(kpi);
    card.change.className = `change ${change ? (change.good === null ? 'flat' : change.good ? 'good' : 'bad') : ''}`.trim();
    card.change.textContent = change ? `${change.text} (was ${formatKpi(kpi, kpi.previous?.value ?? null)})` : `no figure for ${PREVIOUS_WORDS[state.range]}`;
    card.change.title = `Compared with ${PREVIOUS_WORDS[state.range]}`;
    const scope = CLASS_FILTERED_KPIS.has(id) || !(state.classType || state.instructor) ? '' : ' · all classes';
    card.note.textContent = kpi.current.note + scope;
  }

  function showChart(p: Panel, chart: Chart, answer: MetricAnswer | Error, draw: (a: MetricAnswer) => void): void {
    p.answer = answer instanceof Error ? null : answer;
    p.csv.disabled = !p.answer || p.answer.rows.length === 0;
    if (answer instanceof Error) chart.empty(panelError(answer, state));
    else if (answer.rows.length === 0) chart.empty('Nothing in this range.');
    else draw(answer);
  }

  function showMovement(answer: MetricAnswer | Error): void {
    showChart(movement, movementChart, answer, (a) => {
      const m = movementSeries(a.rows);
      movementChart.draw(movementOption(m), movementSummary(m));
    });
    movement.note.textContent = answer instanceof Error ? '' : `Month by month, ${formatDate(answer.range.from)} to ${formatDate(answer.range.to)} (always a year). A member churns 30 days after their last visit.`;
  }

  function showCohorts(answer: MetricAnswer | Error): void {
    showChart(cohorts, cohortsChart, answer, (a) => {
      const grid = cohortGrid(a.rows);
      cohortsEl.style.height = `${Math.max(12, 1.9 * grid.cohorts.length + 4)}rem`;
      cohortsChart.draw(cohortOption(grid), cohortSummary(grid));
    });
    cohorts.note.textContent = 'Share of each month’s new members who came in each month after joining (the year to the data’s last day).';
  }

  function showFill(answer: MetricAnswer | Error): void {
    showChart(fillPanel, fillChart, answer, (a) => {
      const grid = fillGrid(a.rows);
      fillChart.draw(fillOption(grid), fillSummary(grid));
    });
    fillPanel.note.textContent = answer instanceof Error ? '' : `Share of spots taken, by the classes’ local start time, ${formatDate(answer.range.from)} to ${formatDate(answer.range.to)}.`;
  }

  /** Instructors' names for the filter's choices, from any instructor table seen. */
  function rememberInstructorNames(answer: MetricAnswer): void {
    for (const r of answer.rows) if (typeof r.instructor_id === 'string' && typeof r.instructor_name === 'string') instructorNames.set(r.instructor_id, r.instructor_name);
  }

  function showInstructors(answer: MetricAnswer | Error): void {
    instructors.answer = answer instanceof Error ? null : answer;
    instructors.csv.disabled = !instructors.answer || instructors.answer.rows.length === 0;
    if (answer instanceof Error) {
      fill(instructors.body, h('p', { class: 'placeholder', id: 'instructors-empty' }, panelError(answer, state)));
      return;
    }
    rememberInstructorNames(answer);
    const rows = [...answer.rows].sort((a, b) => Number(b.fill_rate ?? 0) - Number(a.fill_rate ?? 0));
    const num = (v: unknown) => (typeof v === 'number' ? v : null);
    fill(
      instructors.body,
      rows.length
        ? h(
            'div',
            { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-labelledby': 'instructors-title' },
            dataTable({
              id: 'instructors-table',
              caption: `Fullest classes first, ${formatDate(answer.range.from)} to ${formatDate(answer.range.to)}`,
              headers: ['Instructor', 'Classes', 'Fill rate', 'Avg attendees', 'Members', 'Came back', 'No-shows'],
              numeric: [1, 2, 3, 4, 5, 6],
              rows: rows.map((r) => [
                String(r.instructor_name ?? r.instructor_id ?? DASH),
                formatCount(num(r.classes)),
                formatPercent(num(r.fill_rate)),
                num(r.avg_attendees)?.toFixed(1) ?? DASH,
                formatCount(num(r.members)),
                formatPercent(num(r.repeat_member_share)),
                formatPercent(num(r.no_show_rate), 1),
              ]),
            }),
          )
        : h('p', { class: 'placeholder', id: 'instructors-empty' }, 'No classes in this range.'),
    );
  }

  function showAtRisk(): void {
    const rows = atRisk?.rows ?? [];
    const last = pageCount(rows.length, AT_RISK_PAGE_SIZE);
    if (rows.length > 0 && state.page > last) return go({ page: last }, true);
    const from = pageOffset(state.page, AT_RISK_PAGE_SIZE);
    const page = rows.slice(from, from + AT_RISK_PAGE_SIZE);
    atRiskPanel.answer = atRisk;
    atRiskPanel.csv.disabled = rows.length === 0;
    atRiskCaption.textContent = atRisk
      ? `Members who came regularly but not in the last 14 days, ${state.location ? `at ${studioName(state.location)}` : 'at every studio'}, as of ${formatDate(atRisk.range.to)}; most recently gone quiet first. Open one for their history.`
      : '';
    if (!page.length) {
      fill(atRiskRows, h('tr', {}, h('td', { colspan: 6, class: 'placeholder', id: 'at-risk-empty' }, atRisk ? 'No member is at risk. ' : 'Loading…')));
      atRiskPager.show(atRisk ? 'No members' : '', 1, 1);
      return;
    }
    fill(
      atRiskRows,
      page.map((r) => {
        const id = String(r.member_id);
        const name = [r.first_name, r.last_name].filter((x) => typeof x === 'string' && x).join(' ') || id;
        const weekday = typeof r.usual_weekday === 'number' ? WEEKDAYS[r.usual_weekday - 1] : undefined;
        const usual = typeof r.usual_visits_per_week === 'number' ? `${r.usual_visits_per_week.toFixed(1)}/week${weekday && typeof r.usual_hour === 'number' ? `, ${weekday} ${hourLabel(r.usual_hour)}` : ''}` : DASH;
        return h(
          'tr',
          { 'data-member-id': id },
          h('th', { scope: 'row', class: 'member' }, h('button', { type: 'button', class: 'link member-link', 'aria-haspopup': 'dialog', onclick: () => go({ member: id }) }, name), h('span', { class: 'id' }, id)),
          h('td', {}, typeof r.home_location_id === 'string' ? studioName(r.home_location_id) : DASH),
          h('td', { class: 'wide-only' }, planName(typeof r.plan === 'string' ? r.plan : null)),
          h('td', {}, formatDate(typeof r.last_visit === 'string' ? r.last_visit : null)),
          h('td', { class: 'num' }, formatCount(typeof r.days_since_last_visit === 'number' ? r.days_since_last_visit : null)),
          h('td', { class: 'wide-only' }, usual),
        );
      }),
    );
    atRiskPager.show(`Members ${formatCount(from + 1)}–${formatCount(from + page.length)} of ${formatCount(rows.length)} · page ${formatCount(state.page)} of ${formatCount(last)}`, state.page, last);
  }

  function showFreshness(c: MetricsCatalog): void {
    const r = c.ranges.find((x) => x.preset === `last_${state.range}`);
    const dates = r ? `${formatDate(r.from)} – ${formatDate(r.to)}` : RANGE_WORDS[state.range];
    freshness.textContent = `${dates} · data up to ${formatDate(c.asOf)} · refreshed ${formatDateTime(c.refreshedAt)}`;
    const before = c.ranges.find((x) => x.preset === `previous_${state.range}`);
    compareNote.textContent = before ? `Changes compare with ${PREVIOUS_WORDS[state.range]}: ${formatDate(before.from)} – ${formatDate(before.to)}.` : '';
  }

  // ---- loading

  function showError(err: unknown): void {
    content.hidden = true;
    if (err instanceof ApiError && err.code === 'WARMING') {
      warming.hidden = false;
      alert.hidden = true;
      freshness.textContent = 'No figures yet';
      window.clearTimeout(warmingTimer);
      warmingTimer = window.setTimeout(() => load(), WARMING_RETRY_MS);
      return;
    }
    warming.hidden = true;
    alert.hidden = false;
    const unknownStudio = err instanceof ApiError && err.status === 400 && state.location;
    fill(
      alert,
      h('p', {}, h('strong', {}, unknownStudio ? `“${state.location}” is not a studio in the data. ` : 'The figures could not be loaded. '), errorText(err)),
      h(
        'div',
        { class: 'actions' },
        unknownStudio ? h('button', { type: 'button', class: 'primary', id: 'overview-all-studios', onclick: () => go({ location: null }) }, 'Show all studios') : null,
        h('button', { type: 'button', id: 'overview-retry', onclick: () => load() }, 'Try again'),
      ),
    );
    freshness.textContent = '';
  }

  function load(): void {
    controller?.abort();
    window.clearTimeout(warmingTimer);
    const mine = (controller = new AbortController());
    const o = { signal: mine.signal };
    const s = state;
    const memberFilters = { location: s.location ?? undefined };
    const classFilters = { ...memberFilters, classType: s.classType ?? undefined, instructor: s.instructor ?? undefined };
    // The same request asked for twice (the at-risk KPI and table) is fetched once.
    const requests = new Map<string, Promise<MetricAnswer | Error>>();
    const get = (metric: string, q: MetricQuery): Promise<MetricAnswer | Error> => {
      const key = JSON.stringify([metric, q]);
      let p = requests.get(key);
      if (!p) {
        p = api.metric(metric, q, o).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
        requests.set(key, p);
      }
      return p;
    };
    const current = `last_${s.range}` as const;
    const previous = `previous_${s.range}` as const;
    const busy = [kpis, ...[movement, cohorts, fillPanel, instructors, atRiskPanel].map((p) => p.el)];
    kpis.setAttribute('aria-busy', 'true');
    for (const el of busy.slice(1)) el.classList.add('is-loading');

    const catalogLoad = api.metricsCatalog(o);
    catalogLoad
      .then((c) => {
        if (mine.signal.aborted) return;
        catalog = c;
        warming.hidden = true;
        alert.hidden = true;
        content.hidden = false;
        showFreshness(c);
        fillFilters();
      })
      .catch((err: unknown) => {
        if (!mine.signal.aborted) showError(err);
      });

    const done = (el: HTMLElement) => () => {
      if (!mine.signal.aborted) el.classList.remove('is-loading');
    };
    const when = <T>(p: Promise<T>, show: (x: T) => void, el: HTMLElement) =>
      p.then((x) => {
        if (!mine.signal.aborted) show(x);
      }).finally(done(el));

    const kpiLoads = KPI_IDS.map((id) => {
      const filters = CLASS_FILTERED_KPIS.has(id) ? classFilters : memberFilters;
      return Promise.all([get(KPI_METRICS[id], { range: current, ...filters }), get(KPI_METRICS[id], { range: previous, ...filters })]).then(([now, before]) => {
        if (!mine.signal.aborted) showKpi(id, now, before);
      });
    });
    void Promise.all(kpiLoads).finally(() => {
      if (!mine.signal.aborted) kpis.removeAttribute('aria-busy');
    });
    void when(get('churn_monthly', { range: TREND_RANGE, ...memberFilters }), showMovement, movement.el);
    void when(get('retention_cohorts', { range: TREND_RANGE, ...memberFilters }), showCohorts, cohorts.el);
    void when(get('class_fill_heatmap', { range: current, ...classFilters }), showFill, fillPanel.el);
    void when(get('instructor_performance', { range: current, ...classFilters }), (a) => {
      showInstructors(a);
      fillFilters(); // the instructors' names for the filter
    }, instructors.el);
    void when(get('at_risk_members', { range: current, ...memberFilters }), (a) => {
      atRisk = a instanceof Error ? null : a;
      if (a instanceof Error) {
        fill(atRiskRows, h('tr', {}, h('td', { colspan: 6, class: 'placeholder', id: 'at-risk-empty' }, panelError(a, state))));
        atRiskPager.disable();
        atRiskPanel.csv.disabled = true;
      } else showAtRisk();
    }, atRiskPanel.el);
    // An instructor filter from a link: their name for the select, from the unfiltered table.
    if (s.instructor && !instructorNames.has(s.instructor)) void get('instructor_performance', { range: current, ...memberFilters }).then((a) => {
      if (mine.signal.aborted || a instanceof Error) return;
      rememberInstructorNames(a);
      fillFilters();
    });
  }

  fillFilters();
  load();
  if (state.member) history.open(state.member);

  return {
    update(next) {
      const prev = state;
      state = next;
      const refiltered = next.location !== prev.location || next.range !== prev.range || next.classType !== prev.classType || next.instructor !== prev.instructor;
      if (refiltered) {
        fillFilters();
        if (catalog) showFreshness(catalog);
        load();
      } else if (next.page !== prev.page) showAtRisk();
      if (next.member !== prev.member) {
        if (next.member) history.open(next.member);
        else history.close();
      }
    },
    unmount() {
      controller?.abort();
      window.clearTimeout(warmingTimer);
      history.dispose();
      for (const chart of [movementChart, cohortsChart, fillChart]) chart.dispose();
    },
  };
}
