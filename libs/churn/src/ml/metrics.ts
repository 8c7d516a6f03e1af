import { checkLabels, checkPaired, order, requireBothClasses, type Label, type Numbers } from './checks.js';

/** One equal-count bin of a reliability table (bins numbered from 1, lowest predictions first). */
export type ReliabilityBin = { bin: number; count: number; meanPredicted: number; observedRate: number; minPredicted: number; maxPredicted: number };

/** Every metric of one set of predictions against the labels. */
export type Evaluation = {
  n: number;
  positives: number;
  baseRate: number;
  rocAuc: number;
  prAuc: number;
  brier: number;
  logLoss: number;
  liftTopDecile: number;
  reliability: ReliabilityBin[];
};

/** Refuses unequal lengths, no rows, labels other than 0/1, and probabilities that are NaN or outside [0, 1]. Returns the count of 1s. */
function checkInputs(p: Numbers, y: readonly Label[], what: string): number {
  checkPaired(p, y, what);
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (!(v >= 0 && v <= 1)) throw new Error(`${what}: p[${i}] is ${v}: probabilities must be numbers in [0, 1]`);
  }
  return checkLabels(y, what);
}

/** [start, end) runs of equal scores along `sorted`, so tied scores are always treated as one threshold. */
function* tieGroups(p: Numbers, sorted: readonly number[]): Generator<[number, number]> {
  for (let start = 0; start < sorted.length; ) {
    let end = start + 1;
    while (end < sorted.length && p[sorted[end]!] === p[sorted[start]!]) end++;
    yield [start, end];
    start = end;
  }
}

/**
 * Area under the ROC curve as the Mann-Whitney statistic: the chance that a random churner scores above a random
 * stayer, ties counting ½ (tied scores share their mid-rank). O(n log n).
 */
export function rocAuc(p: Numbers, y: readonly Label[]): number {
  const positives = checkInputs(p, y, 'rocAuc');
  requireBothClasses(y.length, positives, 'rocAuc', 'ROC AUC');
  const sorted = order(p, 'ascending');
  let rankSum = 0; // sum of the churners' ranks, 1-based
  for (const [start, end] of tieGroups(p, sorted)) {
    const midRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) rankSum += y[sorted[k]!]! * midRank;
  }
  const negatives = y.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * The standard error of a ROC AUC measured on `positives` churners and `negatives` stayers (Hanley & McNeil 1982):
 * how far the AUC of another sample of the same size would typically fall from this one.
 */
export function rocAucStandardError(auc: number, positives: number, negatives: number): number {
  if (!(auc >= 0 && auc <= 1)) throw new Error(`rocAucStandardError: the AUC is ${auc}: it must be in [0, 1]`);
  if (!(Number.isInteger(positives) && Number.isInteger(negatives) && positives > 0 && negatives > 0)) {
    throw new Error(`rocAucStandardError: ${positives} churners and ${negatives} stayers: it needs at least one of each`);
  }
  const q1 = auc / (2 - auc); // P(two random churners both rank above one stayer)
  const q2 = (2 * auc * auc) / (1 + auc); // P(one churner ranks above two random stayers)
  const variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives);
  return Math.sqrt(Math.max(0, variance));
}

/**
 * PR AUC as average precision, scikit-learn's definition: Σ (R_n − R_{n−1}) · P_n over the distinct thresholds from
 * the highest score down, with all rows of a tied score crossing the threshold together (no interpolation).
 */
export function averagePrecision(p: Numbers, y: readonly Label[]): number {
  const positives = checkInputs(p, y, 'averagePrecision');
  if (positives === 0) throw new Error(`averagePrecision: all ${y.length} labels are 0: average precision needs at least one churner`);
  const sorted = order(p, 'descending');
  let truePositives = 0;
  let previousRecall = 0;
  let sum = 0;
  for (const [start, end] of tieGroups(p, sorted)) {
    for (let k = start; k < end; k++) truePositives += y[sorted[k]!]!;
    const recall = truePositives / positives;
    sum += (recall - previousRecall) * (truePositives / end); // precision at this threshold: end rows are flagged
    previousRecall = recall;
  }
  return sum;
}

/** Mean squared difference between the probability and the 0/1 outcome. */
export function brierScore(p: Numbers, y: readonly Label[]): number {
  checkInputs(p, y, 'brierScore');
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += (p[i]! - y[i]!) ** 2;
  return sum / y.length;
}

/** Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15] so one confident miss is costly but finite. */
export function logLoss(p: Numbers, y: readonly Label[]): number {
  checkInputs(p, y, 'logLoss');
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(1 - 1e-15, Math.max(1e-15, p[i]!));
    sum -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return sum / y.length;
}

/**
 * Reliability table: rows sorted by predicted probability (ties in input order) and cut into `bins` equal-count bins
 * (sizes differ by at most one; fewer bins when there are fewer rows than bins, so none is empty).
 */
export function reliabilityTable(p: Numbers, y: readonly Label[], bins = 10): ReliabilityBin[] {
  checkInputs(p, y, 'reliabilityTable');
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`reliabilityTable: bins is ${bins}: use a whole number ≥ 1 (10 gives deciles)`);
  const n = y.length;
  const k = Math.min(bins, n);
  const sorted = order(p, 'ascending');
  const table: ReliabilityBin[] = [];
  for (let b = 0; b < k; b++) {
    const from = Math.floor((b * n) / k);
    const to = Math.floor(((b + 1) * n) / k);
    let predicted = 0;
    let observed = 0;
    for (let s = from; s < to; s++) {
      predicted += p[sorted[s]!]!;
      observed += y[sorted[s]!]!;
    }
    const count = to - from;
    table.push({ bin: b + 1, count, meanPredicted: predicted / count, observedRate: observed / count, minPredicted: p[sorted[from]!]!, maxPredicted: p[sorted[to - 1]!]! });
  }
  return table;
}

/**
 * Churn rate among the top `fraction` of rows by score, divided by the overall churn rate. The top is
 * ceil(fraction × n) rows; rows tied at the cut are taken in input order.
 */
export function liftAtTop(p: Numbers, y: readonly Label[], fraction = 0.1): number {
  const positives = checkInputs(p, y, 'liftAtTop');
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`liftAtTop: fraction is ${fraction}: use a share in (0, 1], e.g. 0.1 for the top decile`);
  if (positives === 0) throw new Error(`liftAtTop: all ${y.length} labels are 0: lift needs at least one churner`);
  const n = y.length;
  // fraction × n is binary arithmetic: 0.07 × 100 is 7.000000000000001, which must still mean 7 rows, not 8.
  const top = Math.max(1, Math.ceil(fraction * n * (1 - 1e-12)));
  const sorted = order(p, 'descending');
  let hits = 0;
  for (let s = 0; s < top; s++) hits += y[sorted[s]!]!;
  return hits / top / (positives / n);
}

/** All the metrics above in one object (lift at the top 10%, reliability in deciles). Needs both classes. */
export function evaluate(p: Numbers, y: readonly Label[]): Evaluation {
  const positives = checkInputs(p, y, 'evaluate');
  requireBothClasses(y.length, positives, 'evaluate', 'evaluation');
  return {
    n: y.length,
    positives,
    baseRate: positives / y.length,
    rocAuc: rocAuc(p, y),
    prAuc: averagePrecision(p, y),
    brier: brierScore(p, y),
    logLoss: logLoss(p, y),
    liftTopDecile: liftAtTop(p, y, 0.1),
    reliability: reliabilityTable(p, y, 10),
  };
}
