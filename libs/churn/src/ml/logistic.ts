import { checkLabels, finiteAt, requireBothClasses, type Label } from './checks.js';
import { checkWidth, type FeatureRow } from './scaler.js';

/** A fitted logistic regression on (usually standardised) features. */
export type LogisticModel = { intercept: number; coefficients: number[]; iterations: number; converged: boolean };

export type LogisticOptions = {
  /** L2 penalty λ on the coefficients (not the intercept): minimises −log-likelihood + λ/2·Σβ² (scikit-learn's C = 1/λ). Default 1. */
  l2?: number;
  /** Newton steps at most. Default 50. */
  maxIterations?: number;
  /** Stop when |ΔD| / (|D| + 0.1) falls below this, D the penalised deviance (R's glm.fit rule). Default 1e-8. */
  tolerance?: number;
  /** Non-negative weight per row (default 1 each): a row of weight 2 counts like two copies of it. */
  weights?: readonly number[];
};

/** 1 / (1 + e^−x) without overflow: e^x is only ever taken of a non-positive number. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1 + e^x), exact for large |x| (the loss of one row is softplus(η) − y·η). */
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/**
 * L2-penalised logistic regression by IRLS: Newton steps solved with Cholesky, halved while the penalised deviance
 * goes up, so separable data still converges (to finite coefficients whenever l2 > 0). The intercept is not penalised.
 * Feed standardised features (see `standardise`) so that one l2 means the same for every column.
 * With l2 = 0 it refuses data the features separate perfectly (the maximum-likelihood coefficients are infinite) and
 * collinear columns (no unique answer); a penalty > 0 resolves both. `converged` is false when maxIterations ran out.
 */
export function fitLogistic(z: readonly FeatureRow[], y: readonly Label[], options: LogisticOptions = {}): LogisticModel {
  const { l2 = 1, maxIterations = 50, tolerance = 1e-8, weights } = options;
  const n = z.length;
  if (n === 0) throw new Error('fitLogistic: no rows: pass at least one churner and one stayer');
  if (y.length !== n) throw new Error(`fitLogistic: ${n} rows but ${y.length} labels: give one label per row`);
  if (!(l2 >= 0 && Number.isFinite(l2))) throw new Error(`fitLogistic: l2 is ${l2}: use a finite penalty ≥ 0 (1 is the default)`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new Error(`fitLogistic: maxIterations is ${maxIterations}: use a whole number ≥ 1`);
  if (!(tolerance > 0)) throw new Error(`fitLogistic: tolerance is ${tolerance}: use a small positive number such as 1e-8`);
  if (weights !== undefined && weights.length !== n) throw new Error(`fitLogistic: weights has ${weights.length} entries for ${n} rows: give one weight per row`);
  weights?.forEach((w, i) => {
    if (!(w >= 0 && Number.isFinite(w))) throw new Error(`fitLogistic: weights[${i}] is ${w}: weights must be finite and ≥ 0`);
  });
  const width = z[0]!.length;
  checkWidth(z, width, 'fitLogistic');
  requireBothClasses(n, checkLabels(y, 'fitLogistic'), 'fitLogistic', 'a model');

  const d = width + 1; // column 0 is the intercept's constant 1
  const x = designMatrix(z, d);
  const w = Float64Array.from({ length: n }, (_, i) => weights?.[i] ?? 1);
  const beta = new Float64Array(d);
  beta[0] = startingIntercept(y, w);
  let deviance = penalisedDeviance(x, y, w, beta, l2);
  let iterations = 0;
  let converged = false;

  while (iterations < maxIterations && !converged) {
    iterations++;
    const { gradient, hessian } = newtonSystem(x, y, w, beta, l2);
    const step = choleskySolve(hessian, gradient, d);
    const predictedDrop = dot(gradient, step); // Newton decrement gᵀH⁻¹g: the deviance a full step should gain (deviance = 2 × loss)
    let scale = 1;
    let trial = addScaled(beta, step, scale);
    let trialDeviance = penalisedDeviance(x, y, w, trial, l2);
    // Halve until the deviance does not go up; 40 halvings reach steps of ~1e-12 of the Newton step.
    for (let halvings = 0; !(trialDeviance <= deviance) && halvings < 40; halvings++) {
      scale /= 2;
      trial = addScaled(beta, step, scale);
      trialDeviance = penalisedDeviance(x, y, w, trial, l2);
    }
    if (!(trialDeviance <= deviance)) {
      // No step lowers the deviance: we are at the optimum to rounding error, or the problem is too ill-conditioned to go on.
      converged = predictedDrop / (Math.abs(deviance) + 0.1) < tolerance;
      break;
    }
    const change = Math.abs(deviance - trialDeviance) / (Math.abs(trialDeviance) + 0.1);
    beta.set(trial);
    deviance = trialDeviance;
    converged = change < tolerance;
  }
  if (l2 === 0 && fitsEveryRow(x, y, w, beta)) {
    throw new Error('fitLogistic: the features separate churners from stayers perfectly, so without a penalty the coefficients grow without bound: fit with l2 > 0');
  }
  return { intercept: beta[0]!, coefficients: Array.from(beta.subarray(1)), iterations, converged };
}

/** True when every weighted row is predicted to within 1e-6 of its label: complete separation, the MLE is at infinity. */
function fitsEveryRow(x: Float64Array, y: readonly Label[], w: Float64Array, beta: Float64Array): boolean {
  return y.every((label, i) => w[i] === 0 || Math.abs(label - sigmoid(linearPredictor(x, i, beta))) < 1e-6);
}

/** Rows copied into one row-major n × d array with a leading 1 per row: a single typed array keeps the hot loops fast. */
function designMatrix(z: readonly FeatureRow[], d: number): Float64Array {
  const x = new Float64Array(z.length * d);
  z.forEach((row, i) => {
    x[i * d] = 1;
    for (let j = 1; j < d; j++) x[i * d + j] = finiteAt(row, j - 1, `fitLogistic: row ${i}`);
  });
  return x;
}

/** logit of the weighted churn rate: the exact answer when there are no features, and a good start otherwise. */
function startingIntercept(y: readonly Label[], w: Float64Array): number {
  let positive = 0;
  let total = 0;
  y.forEach((label, i) => {
    positive += label * w[i]!;
    total += w[i]!;
  });
  if (!(positive > 0 && positive < total)) return 0; // zero weight on one class: let Newton find out
  return Math.log(positive / (total - positive));
}

function linearPredictor(x: Float64Array, row: number, beta: Float64Array): number {
  const d = beta.length;
  let eta = 0;
  for (let j = 0; j < d; j++) eta += beta[j]! * x[row * d + j]!;
  return eta;
}

/** 2·(−log-likelihood) + λ·Σβ_j² over j ≥ 1: the quantity IRLS minimises here. */
function penalisedDeviance(x: Float64Array, y: readonly Label[], w: Float64Array, beta: Float64Array, l2: number): number {
  let loss = 0;
  for (let i = 0; i < y.length; i++) {
    const eta = linearPredictor(x, i, beta);
    loss += w[i]! * (softplus(eta) - y[i]! * eta);
  }
  let penalty = 0;
  for (let j = 1; j < beta.length; j++) penalty += beta[j]! ** 2;
  return 2 * loss + l2 * penalty;
}

/** Ascent direction g = Xᵀ W (y − μ) − λβ and curvature H = Xᵀ diag(w·μ(1−μ)) X + λI (intercept unpenalised). */
function newtonSystem(x: Float64Array, y: readonly Label[], w: Float64Array, beta: Float64Array, l2: number): { gradient: Float64Array; hessian: Float64Array } {
  const d = beta.length;
  const gradient = new Float64Array(d);
  const hessian = new Float64Array(d * d); // row-major; only the lower triangle is filled, then mirrored
  for (let i = 0; i < y.length; i++) {
    const mu = sigmoid(linearPredictor(x, i, beta));
    const residual = w[i]! * (y[i]! - mu);
    const curvature = w[i]! * mu * (1 - mu);
    const base = i * d;
    for (let j = 0; j < d; j++) {
      const xij = x[base + j]!;
      gradient[j]! += xij * residual;
      const cj = curvature * xij;
      for (let k = 0; k <= j; k++) hessian[j * d + k]! += cj * x[base + k]!;
    }
  }
  for (let j = 1; j < d; j++) {
    gradient[j]! -= l2 * beta[j]!;
    hessian[j * d + j]! += l2;
  }
  for (let j = 0; j < d; j++) for (let k = j + 1; k < d; k++) hessian[j * d + k] = hessian[k * d + j]!;
  return { gradient, hessian };
}

/** Solves A s = b for symmetric positive-definite A (row-major d × d) by Cholesky, A = L Lᵀ. */
function choleskySolve(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        // A non-positive pivot: the column adds nothing new (constant, duplicated, or a one-hot set beside the intercept).
        if (!(s > 1e-12 * Math.max(1, a[i * d + i]!))) {
          const which = i === 0 ? 'the intercept' : `feature column ${i - 1}`;
          throw new Error(`fitLogistic: the features are collinear at ${which} (constant, duplicated, or a full one-hot set): drop that column or fit with l2 > 0`);
        }
        l[i * d + i] = Math.sqrt(s);
      } else {
        l[i * d + j] = s / l[j * d + j]!;
      }
    }
  }
  const forward = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * forward[k]!;
    forward[i] = s / l[i * d + i]!;
  }
  const solution = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = forward[i]!;
    for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * solution[k]!;
    solution[i] = s / l[i * d + i]!;
  }
  return solution;
}

const dot = (a: Float64Array, b: Float64Array): number => a.reduce((sum, v, i) => sum + v * b[i]!, 0);
const addScaled = (a: Float64Array, b: Float64Array, scale: number): Float64Array => a.map((v, i) => v + scale * b[i]!);

function checkRow(model: LogisticModel, z: FeatureRow, what: string): void {
  if (z.length !== model.coefficients.length) throw new Error(`${what}: the row has ${z.length} features but the model has ${model.coefficients.length}`);
}

/** The linear predictor (log-odds of churn) for one row of standardised features. */
export function logit(model: LogisticModel, z: FeatureRow): number {
  checkRow(model, z, 'logit');
  let eta = model.intercept;
  model.coefficients.forEach((b, j) => {
    eta += b * finiteAt(z, j, 'logit: the row');
  });
  return eta;
}

/** P(churn) for one row: sigmoid(logit). */
export function probability(model: LogisticModel, z: FeatureRow): number {
  return sigmoid(logit(model, z));
}

/**
 * coefficient_j × z_j per feature. On standardised features this is each feature's exact logit contribution relative
 * to the average member (z = 0); the contributions plus the intercept sum to `logit(model, z)`.
 */
export function contributions(model: LogisticModel, z: FeatureRow): number[] {
  checkRow(model, z, 'contributions');
  return model.coefficients.map((b, j) => b * finiteAt(z, j, 'contributions: the row'));
}
