/**
 * The churn model's evaluation in a studio manager's words, and the numbers behind the metrics table and the
 * calibration chart. Pure: from the `GET /v1/churn/model` answer only.
 *
 * "Left" is the model's churn: a cancellation, or `inactivityDays` without a visit, within `horizonDays` of
 * the day scored. Every share comes from the evaluation on a day the model was not trained on.
 */
import type { ChurnModelInfo, Evaluation, EvaluationPair } from './api.js';
import { formatCount, formatDate, formatLift, formatPercent, formatPoints } from './format.js';

/**
 * Of the members the model put in the high band, the share who left: from the reliability deciles whose mean
 * prediction is at or above the band's threshold (deciles are equal-count, so this is approximate at the edge —
 * hence "about" in the text). Null when no decile is that high.
 */
export function highRiskOutcome(e: Evaluation, highThreshold: number): { rate: number; members: number } | null {
  const bins = e.reliability.filter((b) => b.count > 0 && b.meanPredicted >= highThreshold);
  const members = bins.reduce((s, b) => s + b.count, 0);
  if (members === 0) return null;
  return { rate: bins.reduce((s, b) => s + b.count * b.observedRate, 0) / members, members };
}

/** The share who left among the 10% rated most at risk (lift × the overall rate). */
export const topDecileRate = (e: Evaluation): number => e.liftTopDecile * e.baseRate;

/** The largest gap, in any decile with members, between the predicted and the actual share who left. */
export function calibrationGap(e: Evaluation): number {
  return e.reliability.filter((b) => b.count > 0).reduce((m, b) => Math.max(m, Math.abs(b.meanPredicted - b.observedRate)), 0);
}

/** ROC AUC as "picks the leaver X% of the time"; a difference under a point counts as a tie. */
function comparison(pair: EvaluationPair): string {
  const diff = pair.model.rocAuc - pair.baseline.rocAuc;
  if (diff >= 0.01) return 'The model is the better guide.';
  if (diff > -0.01) return 'The two are about as good: the model adds little over counting days away.';
  return 'Here the simple rule does better: retrain the model or look into the data before relying on it.';
}

function calibrationSentence(e: Evaluation): string {
  const gap = calibrationGap(e);
  const within = `in every tenth of members, the predicted and the actual share who left are within ${formatPoints(gap)} of each other`;
  if (gap <= 0.05) return `Its percentages can be taken at face value: ${within}.`;
  if (gap <= 0.1) return `Its percentages are roughly right: ${within}.`;
  return `Its percentages are off by up to ${formatPoints(gap)} in some tenth of members: use them to rank members, not as exact chances.`;
}

export type ManagerSummary = {
  /** The one line to read first. */
  headline: string;
  /** The rest, against the lake's labels (what the platform can observe). */
  sentences: string[];
  /** Against the ground truth (generated sample data only), when the model was checked against one. */
  truth: string[];
};

const KIND_TEXT: Record<ChurnModelInfo['kind'], string> = { logistic: 'a logistic regression', boosted_trees: 'gradient-boosted decision trees' };

/** Which kind of model is used and why, from the candidates' ROC AUC on members held out of training. */
export function modelKindSentence(model: ChurnModelInfo): string | undefined {
  const chosen = model.candidates.find((c) => c.chosen);
  if (!chosen) return undefined;
  const others = model.candidates.filter((c) => !c.chosen);
  if (others.length === 0) return `The model is ${KIND_TEXT[chosen.kind]}.`;
  const better = others.filter((c) => c.calibrationRocAuc > chosen.calibrationRocAuc);
  if (better.length > 0) {
    const close = better.map((c) => `${KIND_TEXT[c.kind]} ${formatPercent(c.calibrationRocAuc)}`).join(', ');
    return `The model is ${KIND_TEXT[chosen.kind]}: on members held out of training the alternative did only slightly better (${close} against ${formatPercent(chosen.calibrationRocAuc)}), within the noise, so the simpler model is kept.`;
  }
  const beaten = others.map((c) => `${KIND_TEXT[c.kind]} ${formatPercent(c.calibrationRocAuc)}`).join(', ');
  return `The model is ${KIND_TEXT[chosen.kind]}, chosen because it told leavers from stayers best among members held out of training (${formatPercent(chosen.calibrationRocAuc)}; ${beaten}).`;
}

/** The evaluation as a few plain sentences for a studio manager. */
export function managerSummary(model: ChurnModelInfo): ManagerSummary {
  const { lake, truth } = model.evaluation;
  const within = `within ${model.horizonDays} days`;
  const high = highRiskOutcome(lake.model, model.bands.high);
  const headline = high
    ? `Of the members the model flags as high risk, about ${formatPercent(high.rate)} actually left ${within} — against ${formatPercent(lake.model.baseRate)} of all members.`
    : `Too few members were scored as high risk when the model was checked to say how many of them left; ${formatPercent(lake.model.baseRate)} of all members left ${within}.`;
  const sentences = [
    `The 10% of members it rates most at risk left at ${formatPercent(topDecileRate(lake.model))}: ${formatLift(lake.model.liftTopDecile)} the rate of all members.`,
    `Pick one member who left and one who stayed: the model gives the one who left the higher risk ${formatPercent(lake.model.rocAuc)} of the time; “days since last visit” alone manages ${formatPercent(lake.baseline.rocAuc)}. ${comparison(lake)}`,
    calibrationSentence(lake.model),
    `Checked on the ${formatCount(lake.model.n)} members of ${formatDate(model.trainingWindow.validationCutoff)}, a day the model did not learn from. “Left” means cancelled, or ${model.inactivityDays} days without a visit, ${within}.`,
  ];
  const kindSentence = modelKindSentence(model);
  if (kindSentence) sentences.push(kindSentence);
  const truthSentences: string[] = [];
  if (truth) {
    const th = highRiskOutcome(truth.model, model.bands.high);
    truthSentences.push(
      `Against who really left (the sample data's ground truth, known only for generated data): ${
        th ? `of the members flagged high risk, about ${formatPercent(th.rate)} left; ` : ''
      }it picks the one who left ${formatPercent(truth.model.rocAuc)} of the time (days since last visit: ${formatPercent(truth.baseline.rocAuc)}).`,
    );
  }
  return { headline, sentences, truth: truthSentences };
}

export type MetricsRow = {
  labels: 'lake' | 'truth';
  scorer: 'model' | 'baseline';
  rocAuc: number;
  prAuc: number;
  brier: number;
  lift: number;
};

/** The metrics table: model and baseline for the lake's labels, then for the ground truth when there is one. */
export function metricsRows(model: ChurnModelInfo): MetricsRow[] {
  const rows: MetricsRow[] = [];
  const add = (labels: MetricsRow['labels'], pair: EvaluationPair | undefined) => {
    if (!pair) return;
    for (const scorer of ['model', 'baseline'] as const) {
      const e = pair[scorer];
      rows.push({ labels, scorer, rocAuc: e.rocAuc, prAuc: e.prAuc, brier: e.brier, lift: e.liftTopDecile });
    }
  };
  add('lake', model.evaluation.lake);
  add('truth', model.evaluation.truth);
  return rows;
}

export const LABELS_TEXT: Record<MetricsRow['labels'], string> = { lake: 'Lake labels', truth: 'Ground truth' };
export const SCORER_TEXT: Record<MetricsRow['scorer'], string> = { model: 'Model', baseline: 'Days since last visit' };

export type CalibrationPoint = { bin: number; predicted: number; observed: number; count: number };

/** Predicted vs observed share per decile (empty deciles left out), lowest predictions first. */
export function calibrationPoints(e: Evaluation): CalibrationPoint[] {
  return e.reliability
    .filter((b) => b.count > 0)
    .map((b) => ({ bin: b.bin, predicted: b.meanPredicted, observed: b.observedRate, count: b.count }))
    .sort((a, b) => a.predicted - b.predicted);
}

/** The calibration chart's summary for screen readers. */
export function calibrationSummary(points: readonly CalibrationPoint[]): string {
  if (points.length === 0) return 'Calibration chart: no deciles to show.';
  const parts = points.map((p) => `predicted ${formatPercent(p.predicted)}, left ${formatPercent(p.observed)}`);
  return `Calibration chart, predicted against actual share who left, per tenth of members: ${parts.join('; ')}.`;
}
