/**
 * Churn risk, for a studio manager: KPI cards, a studio filter (in the URL) applied to every panel, risk bands
 * per studio, the score distribution, the at-risk members table and how good the model is.
 * Loaded on demand (with ECharts), so the status page stays small.
 *
 * Stable hooks for browser tests: #location-filter, #kpi-members, #kpi-high, #kpi-high-share, #kpi-medium,
 * #kpi-medium-share, #kpi-mean, #kpi-as-of, #kpi-model, #chart-bands, #chart-distribution, #no-scores,
 * #churn-error, #churn-content; and those of members-panel.ts and model-panel.ts.
 */
import { api, ApiError, errorText, type ChurnModelInfo, type ChurnSummary } from '../api.js';
import { BAND_LABEL, bandLegend, DEFAULT_BAND_THRESHOLDS, distributionBars, distributionSummary, studioBands, studioBandsSummary, type BandThresholds } from '../chart-data.js';
import { bandsHeight, bandsOption, chartIn, distributionOption } from '../churn/charts.js';
import { membersPanel } from '../churn/members-panel.js';
import { modelPanel } from '../churn/model-panel.js';
import { code, dataTable, fill, h } from '../dom.js';
import { selectField } from '../controls.js';
import { DASH, formatCount, formatDate, formatDateTime, formatPercent, formatShare, studioChoices, studioName } from '../format.js';
import { withFilter, type RouteState } from '../url-state.js';
import type { Navigate, Page } from './types.js';

export type { Navigate, Page } from './types.js';

type Kpi = { value: HTMLElement; sub: HTMLElement; el: HTMLElement };

function kpi(id: string, label: string, subId: string, extraClass = ''): Kpi {
  const value = h('p', { class: 'value', id }, DASH);
  const sub = h('p', { class: 'sub', id: subId }, '\u00a0');
  const el = h('li', { class: `kpi ${extraClass}`.trim() }, h('p', { class: 'label', id: `${id}-label` }, label), value, sub);
  value.setAttribute('aria-describedby', `${id}-label`);
  return { value, sub, el };
}

export function mountChurn(root: HTMLElement, initial: RouteState, navigate: Navigate): Page {
  let state = initial;
  let knownLocations: string[] | null = null;
  let summary: ChurnSummary | null = null;
  let thresholds: BandThresholds = DEFAULT_BAND_THRESHOLDS;
  let controller: AbortController | undefined;

  const go = (patch: Partial<Pick<RouteState, 'location' | 'band' | 'page'>>, replace = false) => navigate(withFilter(state, patch), { replace });

  // Head and filter
  const freshness = h('p', { class: 'freshness', id: 'churn-freshness' }, 'Loading the latest scores…');
  const studio = selectField({ id: 'location-filter', name: 'location', label: 'Studio', choices: studioChoices(null, null), onChange: (v) => go({ location: v || null }) });

  // Alerts and the empty state
  const alert = h('div', { id: 'churn-error', class: 'card alert', role: 'alert', hidden: true });
  const noScores = h(
    'section',
    { id: 'no-scores', class: 'card empty', hidden: true, 'aria-labelledby': 'no-scores-title' },
    h('h2', { id: 'no-scores-title' }, 'No churn scores yet'),
    h('p', {}, 'The churn model scores every current member once a day; nothing has been scored yet. From the repository, run:'),
    h(
      'ol',
      {},
      h('li', {}, code('npm run churn -- train'), ' — trains the model on the lake (it needs about 270 days of check-ins);'),
      h('li', {}, code('npm run churn -- score'), ' — scores today’s members with it.'),
    ),
    h('p', { class: 'muted small' }, 'Then check again. This page never shows made-up numbers.'),
    h('div', { class: 'actions' }, h('button', { type: 'button', id: 'no-scores-retry', onclick: () => reload() }, 'Check again')),
  );

  // KPI cards
  const kMembers = kpi('kpi-members', 'Members scored', 'kpi-members-where');
  const kHigh = kpi('kpi-high', 'High risk', 'kpi-high-share', 'high');
  const kMedium = kpi('kpi-medium', 'Medium risk', 'kpi-medium-share');
  const kMean = kpi('kpi-mean', 'Mean risk', 'kpi-mean-note');
  const kAsOf = kpi('kpi-as-of', 'Scores as of', 'kpi-model');
  const kpis = h('ul', { class: 'kpis', id: 'kpis', 'aria-label': 'Key figures' }, [kMembers, kHigh, kMedium, kMean, kAsOf].map((k) => k.el));

  // Charts
  const bandsEl = h('div', { class: 'chart', id: 'chart-bands' });
  const bandsTable = h('div', { class: 'table-wrap' });
  const bandsChart = chartIn(bandsEl);
  const distEl = h('div', { class: 'chart', id: 'chart-distribution' });
  const distTable = h('div', { class: 'table-wrap' });
  const distChart = chartIn(distEl);
  const legend = h('ul', { class: 'legend', id: 'band-legend', 'aria-label': 'Risk bands' });
  const bandsTitle = h('h2', { id: 'bands-title' }, 'Risk bands by studio');
  const charts = h(
    'div',
    { class: 'grid' },
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'bands-title' },
      bandsTitle,
      bandsEl,
      h('ul', { class: 'legend', 'aria-hidden': 'true' }, (['high', 'medium', 'low'] as const).map((b) => h('li', {}, h('span', { class: `swatch ${b}` }), BAND_LABEL[b]))),
      h('details', {}, h('summary', {}, 'Bands by studio as a table'), bandsTable),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'dist-title' },
      h('h2', { id: 'dist-title' }, 'How risk is spread'),
      distEl,
      legend,
      h('details', {}, h('summary', {}, 'Distribution as a table'), distTable),
    ),
  );

  const members = membersPanel((patch, replace) => go(patch, replace));
  const model = modelPanel((m: ChurnModelInfo | null) => {
    thresholds = m?.bands ?? DEFAULT_BAND_THRESHOLDS;
    if (summary) drawDistribution(summary);
  });

  const content = h('div', { id: 'churn-content' }, kpis, charts, members.el);
  fill(
    root,
    h(
      'div',
      { class: 'page-head' },
      h('h1', { id: 'page-title', tabindex: -1 }, 'Churn risk'),
      freshness,
    ),
    h('div', { class: 'filters', role: 'search', 'aria-label': 'Filters' }, studio.field),
    alert,
    noScores,
    content,
    model.el,
  );

  function fillLocations(): void {
    studio.set(studioChoices(knownLocations, state.location), state.location ?? '');
  }

  function drawDistribution(s: ChurnSummary): void {
    const bars = distributionBars(s, thresholds);
    fill(legend, bandLegend(thresholds).map((b) => h('li', {}, h('span', { class: `swatch ${b.band}`, 'aria-hidden': 'true' }), b.text)));
    if (s.members === 0) distChart.empty('No scored members.');
    else distChart.draw(distributionOption(bars), distributionSummary(bars));
    fill(
      distTable,
      dataTable({
        id: 'distribution-table',
        caption: 'Members per risk score bin',
        captionHidden: true,
        headers: ['Risk score', 'Members'],
        numeric: [1],
        rows: bars.map((b) => [b.range, formatCount(b.members)]),
      }),
    );
  }

  function showSummary(s: ChurnSummary): void {
    summary = s;
    alert.hidden = true;
    noScores.hidden = true;
    content.hidden = false;
    const where = state.location ? studioName(state.location) : null;
    freshness.textContent = `Scores as of ${formatDate(s.asOf)} · scored ${formatDateTime(s.scoredAt)} · model ${s.modelVersion}`;
    kMembers.value.textContent = formatCount(s.members);
    kMembers.sub.textContent = where ? `at ${where}` : `at all ${formatCount(s.locations.length)} studios`;
    kHigh.value.textContent = formatCount(s.bands.high);
    kHigh.sub.textContent = `${formatShare(s.bands.high, s.members)} of members`;
    kMedium.value.textContent = formatCount(s.bands.medium);
    kMedium.sub.textContent = `${formatShare(s.bands.medium, s.members)} of members`;
    kMean.value.textContent = s.members ? formatPercent(s.meanScore, 1) : DASH;
    kMean.sub.textContent = 'average chance of leaving';
    kAsOf.value.textContent = formatDate(s.asOf);
    kAsOf.sub.textContent = `model ${s.modelVersion}`;

    const rows = studioBands(s);
    bandsTitle.textContent = where ? `Risk bands at ${where}` : 'Risk bands by studio';
    if (rows.length === 0 || s.members === 0) {
      bandsEl.style.height = '';
      bandsChart.empty('No scored members.');
    } else {
      bandsEl.style.height = bandsHeight(rows.length);
      bandsChart.draw(bandsOption(rows), studioBandsSummary(rows));
    }
    fill(
      bandsTable,
      dataTable({
        id: 'bands-table',
        caption: 'Members per risk band and studio',
        captionHidden: true,
        headers: ['Studio', 'High', 'Medium', 'Low', 'Members'],
        numeric: [1, 2, 3, 4],
        rows: rows.map((r) => [r.name, formatCount(r.high), formatCount(r.medium), formatCount(r.low), formatCount(r.members)]),
      }),
    );
    drawDistribution(s);
  }

  function showError(err: unknown): void {
    summary = null;
    if (err instanceof ApiError && err.code === 'NO_SCORES') {
      noScores.hidden = false;
      content.hidden = true;
      alert.hidden = true;
      freshness.textContent = 'No scores yet';
      return;
    }
    noScores.hidden = true;
    alert.hidden = false;
    if (err instanceof ApiError && err.status === 400 && state.location) {
      fill(
        alert,
        h('p', {}, h('strong', {}, `“${state.location}” is not a studio the scores know.`), ` ${errorText(err)}`),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'churn-all-studios', onclick: () => go({ location: null }) }, 'Show all studios')),
      );
    } else {
      fill(
        alert,
        h('p', {}, h('strong', {}, 'The churn scores could not be loaded. '), errorText(err)),
        h('div', { class: 'actions' }, h('button', { type: 'button', id: 'churn-retry', onclick: () => reload() }, 'Try again')),
      );
    }
    content.hidden = true;
    freshness.textContent = '';
  }

  function loadSummary(): void {
    controller?.abort();
    const mine = (controller = new AbortController());
    const o = { signal: mine.signal };
    kpis.setAttribute('aria-busy', 'true');
    charts.classList.add('is-loading');
    const wanted = state.location;
    // The unfiltered summary fills the studio list; with a studio chosen, its own summary fills the panels.
    const all = wanted === null || knownLocations === null ? api.churnSummary(null, o) : Promise.resolve(null);
    all
      .then(async (a) => {
        if (a) {
          knownLocations = a.locations.map((l) => l.locationId);
          fillLocations();
        }
        return wanted === null && a ? a : api.churnSummary(wanted, o);
      })
      .then((s) => {
        if (!mine.signal.aborted) showSummary(s);
      })
      .catch((err: unknown) => {
        if (!mine.signal.aborted) showError(err);
      })
      .finally(() => {
        if (mine !== controller) return;
        kpis.removeAttribute('aria-busy');
        charts.classList.remove('is-loading');
      });
  }

  function reload(): void {
    knownLocations = null;
    loadSummary();
    members.load(state);
    model.load();
  }

  fillLocations();
  loadSummary();
  members.load(state);
  model.load();

  return {
    update(next) {
      const prev = state;
      state = next;
      if (next.location !== prev.location) {
        fillLocations();
        loadSummary();
      }
      if (next.location !== prev.location || next.band !== prev.band || next.page !== prev.page) members.load(next);
    },
    unmount() {
      controller?.abort();
      members.dispose();
      model.dispose();
      bandsChart.dispose();
      distChart.dispose();
    },
  };
}
