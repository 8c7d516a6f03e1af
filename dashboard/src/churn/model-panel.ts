/**
 * "How good are these predictions?": the promoted model's evaluation in a studio manager's words, the metrics
 * against the "days since last visit" baseline, the calibration chart and the registry's history.
 * The model is the same for every studio, so the location filter does not apply here (the panel says so).
 *
 * Stable hooks: #model-panel, #model-headline, #model-sentences, #metrics-table, #chart-calibration,
 * #registry-table, #no-model, #model-error.
 */
import { api, ApiError, errorText, type ChurnModelInfo } from '../api.js';
import { code, dataTable, fill, h } from '../dom.js';
import { calibrationPoints, calibrationSummary, LABELS_TEXT, managerSummary, metricsRows, SCORER_TEXT } from '../evaluation.js';
import { formatCount, formatDate, formatDateTime, formatLift, formatMetric, formatPercent } from '../format.js';
import { calibrationOption, chartIn } from './charts.js';

export type ModelPanel = { el: HTMLElement; load: () => void; dispose: () => void };

export function modelPanel(onModel: (model: ChurnModelInfo | null) => void): ModelPanel {
  const body = h('div', { id: 'model-body' });
  const el = h(
    'section',
    { class: 'card', id: 'model-panel', 'aria-labelledby': 'model-title' },
    h('h2', { id: 'model-title' }, 'How good are these predictions?'),
    body,
  );
  const chartEl = h('div', { class: 'chart', id: 'chart-calibration' });
  const chart = chartIn(chartEl);
  let controller: AbortController | undefined;

  function render(m: ChurnModelInfo): void {
    const words = managerSummary(m);
    const points = calibrationPoints(m.evaluation.lake.model);
    const first = m.trainingWindow.trainCutoffs[0];
    const last = m.trainingWindow.trainCutoffs.at(-1);
    fill(
      body,
      h('p', { class: 'headline', id: 'model-headline' }, words.headline),
      h('ul', { class: 'sentences', id: 'model-sentences' }, [...words.sentences, ...words.truth].map((s) => h('li', {}, s))),
      h('p', { class: 'note' }, 'The model is the same for every studio: these figures cover all studios, whatever the studio filter.'),
      h('h3', { class: 'small' }, 'Model against “days since last visit”'),
      h(
        'div',
        { class: 'table-wrap' },
        dataTable({
          id: 'metrics-table',
          caption: 'Evaluation metrics, model and baseline',
          captionHidden: true,
          headers: ['Scorer', 'Checked against', 'ROC AUC', 'PR AUC', 'Brier', 'Top-10% lift'],
          numeric: [2, 3, 4, 5],
          rows: metricsRows(m).map((r) => [
            SCORER_TEXT[r.scorer], LABELS_TEXT[r.labels], formatMetric(r.rocAuc), formatMetric(r.prAuc), formatMetric(r.brier, 4), formatLift(r.lift),
          ]),
        }),
      ),
      h(
        'div',
        { class: 'grid' },
        h(
          'div',
          {},
          h('h3', { class: 'small' }, 'Predicted against actual, per tenth of members (lake labels)'),
          chartEl,
          h(
            'ul',
            { class: 'legend', 'aria-hidden': 'true' },
            h('li', {}, h('span', { class: 'line-swatch model' }), 'Model, per tenth of members'),
            h('li', {}, h('span', { class: 'line-swatch diagonal' }), 'Perfect calibration (predicted = actual)'),
          ),
          h(
            'details',
            {},
            h('summary', {}, 'Calibration as a table'),
            h(
              'div',
              { class: 'table-wrap' },
              dataTable({
                id: 'calibration-table',
                caption: 'Predicted and actual share who left, per tenth of members',
                captionHidden: true,
                headers: ['Tenth', 'Members', 'Predicted', 'Actually left'],
                numeric: [1, 2, 3],
                rows: points.map((p) => [String(p.bin), formatCount(p.count), formatPercent(p.predicted, 1), formatPercent(p.observed, 1)]),
              }),
            ),
          ),
        ),
        h(
          'div',
          {},
          h('h3', { class: 'small' }, 'Reading these numbers'),
          h(
            'dl',
            { class: 'glossary' },
            h('dt', {}, 'ROC AUC'),
            h('dd', {}, 'How often someone who left is ranked above someone who stayed: 0.5 is chance, 1 is perfect.'),
            h('dt', {}, 'PR AUC'),
            h('dd', {}, 'How pure the top of the list is, from 0 to 1; compare it with the share who left.'),
            h('dt', {}, 'Brier'),
            h('dd', {}, 'The mean squared error of the percentages: lower is better.'),
            h('dt', {}, 'Top-10% lift'),
            h('dd', {}, 'How many times the usual rate of leaving the 10% rated most at risk show.'),
            h('dt', {}, 'Calibration'),
            h('dd', {}, 'Points on the dashed diagonal mean that “30% risk” is right about 30% of the time.'),
            h('dt', {}, m.evaluation.truth ? 'Lake labels and ground truth' : 'Lake labels'),
            h(
              'dd',
              {},
              m.evaluation.truth
                ? 'Lake labels are who left as far as the platform can see; the ground truth is who really left (sample data only).'
                : 'Who left as far as the platform can see: a cancellation, or no visit for the set number of days.',
            ),
          ),
        ),
      ),
      h(
        'p',
        { class: 'note', id: 'model-facts' },
        `Model ${m.version}, trained ${formatDateTime(m.trainedAt)}: predicts who leaves within ${m.horizonDays} days. `,
        `Learned from ${formatCount(m.trainingWindow.trainRows)} member-days`,
        first && last ? ` on ${formatCount(m.trainingWindow.trainCutoffs.length)} days from ${formatDate(first)} to ${formatDate(last)}` : '',
        `; checked on ${formatDate(m.trainingWindow.validationCutoff)}.`,
      ),
      m.registry.length
        ? h(
            'details',
            { id: 'model-history' },
            h('summary', {}, `Model history (${formatCount(m.registry.length)} ${m.registry.length === 1 ? 'version' : 'versions'})`),
            h(
              'div',
              { class: 'table-wrap' },
              dataTable({
                id: 'registry-table',
                caption: 'Every model trained, newest first, and whether it replaced the one in use',
                headers: ['Version', 'Trained', 'ROC AUC', 'Brier', 'In use?', 'Why'],
                numeric: [2, 3],
                rows: [...m.registry]
                  .sort((a, b) => b.decidedAt.localeCompare(a.decidedAt))
                  .map((r) => [r.version, formatDateTime(r.trainedAt), formatMetric(r.rocAuc), formatMetric(r.brier, 4), r.promoted ? 'Promoted' : 'Not promoted', r.reason]),
              }),
            ),
          )
        : null,
    );
    chart.draw(calibrationOption(points), calibrationSummary(points));
  }

  function load(): void {
    controller?.abort();
    const mine = (controller = new AbortController());
    el.setAttribute('aria-busy', 'true');
    fill(body, h('p', { class: 'placeholder' }, 'Loading the model’s evaluation…'));
    api
      .churnModel({ signal: mine.signal })
      .then((m) => {
        render(m);
        onModel(m);
      })
      .catch((err: unknown) => {
        if (mine.signal.aborted) return;
        onModel(null);
        if (err instanceof ApiError && err.code === 'NO_MODEL') {
          fill(
            body,
            h(
              'div',
              { id: 'no-model', class: 'empty-inline' },
              h('p', {}, h('strong', {}, 'No churn model yet.'), ' Train one, then score the members, from the repository:'),
              h('ol', {}, h('li', {}, code('npm run churn -- train')), h('li', {}, code('npm run churn -- score'))),
            ),
          );
        } else {
          const retry = h('button', { type: 'button' }, 'Try again');
          retry.addEventListener('click', load);
          fill(body, h('div', { id: 'model-error', role: 'alert' }, h('p', {}, `The model’s evaluation could not be loaded: ${errorText(err)}`), retry));
        }
      })
      .finally(() => {
        if (mine === controller) el.removeAttribute('aria-busy');
      });
  }

  return {
    el,
    load,
    dispose: () => {
      controller?.abort();
      chart.dispose();
    },
  };
}
