import { checkLabels, checkPaired, finiteColumn, order, requireBothClasses, type Label, type Numbers } from './checks.js';
import { sigmoid } from './logistic.js';

/** Platt scaling: calibrated p = sigmoid(a · logit + b). */
export type Platt = { a: number; b: number };

/** Isotonic step function: a score gets values[k] for the last k with thresholds[k] ≤ score (values[0] below them all). */
export type Isotonic = { thresholds: number[]; values: number[] };

const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/**
 * Fits Platt scaling on a held-out calibration slice (never on the training rows): a 2-parameter logistic regression
 * of the labels on the model's logits, by Newton steps halved while the loss goes up (Lin, Lin & Weng 2007).
 * The targets are Platt's (1999) smoothed labels, (N+ + 1)/(N+ + 2) for churners and 1/(N− + 2) for stayers, not 0/1:
 * this keeps a and b finite on separable scores and stops a small slice from claiming certainty.
 */
export function fitPlatt(logits: Numbers, y: readonly Label[]): Platt {
  checkPaired(logits, y, 'fitPlatt');
  const positives = checkLabels(y, 'fitPlatt');
  requireBothClasses(y.length, positives, 'fitPlatt', 'calibration');
  const negatives = y.length - positives;
  const f = finiteColumn(logits, 'fitPlatt: logits');
  if (f.every((v) => v === f[0])) throw new Error(`fitPlatt: all ${f.length} logits are ${f[0]}: Platt scaling needs scores that vary`);
  const high = (positives + 1) / (positives + 2);
  const low = 1 / (negatives + 2);
  const target = Float64Array.from(y, (label) => (label === 1 ? high : low));

  // Cross-entropy against the smoothed targets; the minimum is finite because no target is 0 or 1.
  const loss = (a: number, b: number): number => f.reduce((sum, v, i) => sum + softplus(a * v + b) - target[i]! * (a * v + b), 0);
  let a = 0;
  let b = Math.log((positives + 1) / (negatives + 1)); // Lin, Lin & Weng's start: about the log-odds of the base rate
  let current = loss(a, b);
  for (let iteration = 0; iteration < 100; iteration++) {
    let ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0; // gradient and Hessian of the loss in (a, b)
    f.forEach((v, i) => {
      const p = sigmoid(a * v + b);
      const r = p - target[i]!;
      const c = p * (1 - p);
      ga += r * v;
      gb += r;
      haa += c * v * v;
      hab += c * v;
      hbb += c;
    });
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break; // flat curvature (probabilities saturated at 0/1): no Newton step to take
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    let scale = 1;
    let next = loss(a + da, b + db);
    for (let halvings = 0; !(next <= current) && halvings < 40; halvings++) {
      scale /= 2;
      next = loss(a + scale * da, b + scale * db);
    }
    if (!(next <= current)) break; // no step lowers the loss: at the optimum to rounding error
    a += scale * da;
    b += scale * db;
    current = next;
    if (Math.max(Math.abs(scale * da), Math.abs(scale * db)) < 1e-10 * (1 + Math.abs(a) + Math.abs(b))) break;
  }
  return { a, b };
}

/** Calibrated probability for one logit. */
export function applyPlatt(platt: Platt, logit: number): number {
  if (!Number.isFinite(logit)) throw new Error(`applyPlatt: the logit is ${logit}: it must be a finite number`);
  return sigmoid(platt.a * logit + platt.b);
}

/**
 * Isotonic regression by pool-adjacent-violators: the non-decreasing step function of the score that is closest to y
 * in squared error. Rows with equal scores are pooled first, so one score always maps to one value. y is usually 0/1
 * labels but any finite numbers work (the fitted values are then means of y).
 */
export function fitIsotonic(p: Numbers, y: readonly number[]): Isotonic {
  checkPaired(p, y, 'fitIsotonic');
  const scores = finiteColumn(p, 'fitIsotonic: p');
  const targets = finiteColumn(y, 'fitIsotonic: y');
  const thresholds: number[] = []; // the smallest score in each block
  const sums: number[] = [];
  const counts: number[] = [];
  const mean = (k: number): number => sums[k]! / counts[k]!;
  const sorted = order(scores, 'ascending');
  for (let start = 0; start < sorted.length; ) {
    // One group of equal scores enters as one block: pooling them later could split a score across two blocks.
    const score = scores[sorted[start]!]!;
    let sum = 0;
    let end = start;
    for (; end < sorted.length && scores[sorted[end]!] === score; end++) sum += targets[sorted[end]!]!;
    thresholds.push(score);
    sums.push(sum);
    counts.push(end - start);
    start = end;
    // Pool while the last two blocks are out of order; equal means are pooled too, so the values strictly increase.
    while (thresholds.length > 1 && mean(thresholds.length - 2) >= mean(thresholds.length - 1)) {
      sums[sums.length - 2]! += sums.pop()!;
      counts[counts.length - 2]! += counts.pop()!;
      thresholds.pop();
    }
  }
  return { thresholds, values: sums.map((_, k) => mean(k)) };
}

/** The isotonic value for one score: a step function, clamped to the first/last value outside the fitted range. */
export function applyIsotonic(iso: Isotonic, p: number): number {
  if (!Number.isFinite(p)) throw new Error(`applyIsotonic: the score is ${p}: it must be a finite number`);
  const { thresholds, values } = iso;
  if (thresholds.length === 0 || thresholds.length !== values.length) throw new Error('applyIsotonic: the isotonic model is empty or malformed: fit it with fitIsotonic');
  let lo = 0; // binary search for the last threshold ≤ p; p below them all keeps block 0
  let hi = thresholds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (thresholds[mid]! <= p) lo = mid;
    else hi = mid - 1;
  }
  return values[lo]!;
}
