import t from 'tap';
import { contributions, fitLogistic, fitScaler, logit, probability, sigmoid, standardise, type Label, type LogisticModel } from '../../src/ml/index.js';
import { bernoulli, gaussian, mulberry32, plainSigmoid } from './random.js';

const logOdds = (rate: number): number => Math.log(rate / (1 - rate));

/** Rows of one binary feature: `n0` rows with x = 0 of which `pos0` churned, `n1` with x = 1 of which `pos1` churned. */
function binaryFeatureData(n0: number, pos0: number, n1: number, pos1: number): { z: Float64Array[]; y: Label[] } {
  const z: Float64Array[] = [];
  const y: Label[] = [];
  const add = (x: number, count: number, positives: number) => {
    for (let i = 0; i < count; i++) {
      z.push(Float64Array.of(x));
      y.push(i < positives ? 1 : 0);
    }
  };
  add(0, n0, pos0);
  add(1, n1, pos1);
  return { z, y };
}

/** Penalised score equations at the fit: Σ w(y − μ) = 0 and Σ w(y − μ)·z_j = λ·β_j (what the optimum must satisfy). */
function scoreEquations(model: LogisticModel, z: readonly Float64Array[], y: readonly Label[], l2: number): number[] {
  const residuals = z.map((row, i) => y[i]! - plainSigmoid(model.intercept + model.coefficients.reduce((s, b, j) => s + b * row[j]!, 0)));
  return [residuals.reduce((s, r) => s + r, 0), ...model.coefficients.map((b, j) => residuals.reduce((s, r, i) => s + r * z[i]![j]!, 0) - l2 * b)];
}

t.test('one binary feature, no penalty: the closed-form maximum-likelihood answer', async (t) => {
  const { z, y } = binaryFeatureData(300, 90, 200, 140); // churn rate 0.3 when x = 0, 0.7 when x = 1
  const model = fitLogistic(z, y, { l2: 0 }); // raw 0/1, not standardised, so the closed form applies as written
  t.ok(model.converged, 'converged');
  t.ok(Math.abs(model.intercept - logOdds(0.3)) < 1e-6, `intercept ${model.intercept} = logit(0.3) = ${logOdds(0.3)}`);
  t.ok(Math.abs(model.coefficients[0]! - (logOdds(0.7) - logOdds(0.3))) < 1e-6, `coefficient ${model.coefficients[0]} = logit(0.7) − logit(0.3)`);
  t.ok(model.iterations >= 2 && model.iterations <= 10, `Newton needs only a few steps (${model.iterations})`);
});

t.test('weights count like repeated rows', async (t) => {
  // Weight 3 on the x = 1 churners is the same data as repeating each of them three times: rates 0.3 and 420/480.
  const { z, y } = binaryFeatureData(300, 90, 200, 140);
  const weights = y.map((label, i) => (label === 1 && z[i]![0] === 1 ? 3 : 1));
  const model = fitLogistic(z, y, { l2: 0, weights });
  t.ok(Math.abs(model.intercept - logOdds(0.3)) < 1e-6);
  t.ok(Math.abs(model.coefficients[0]! - (logOdds(420 / 480) - logOdds(0.3))) < 1e-6, `coefficient ${model.coefficients[0]}`);
});

t.test('recovers the coefficients of a known logistic model from 20k sampled rows', async (t) => {
  const truth = { intercept: -1.5, coefficients: [1, -0.5, 0.25, 0, 0.8] };
  const rng = mulberry32(20_261_207);
  const z: Float64Array[] = [];
  const y: Label[] = [];
  for (let i = 0; i < 20_000; i++) {
    const row = Float64Array.from(truth.coefficients, () => gaussian(rng));
    z.push(row);
    y.push(bernoulli(rng, plainSigmoid(truth.intercept + truth.coefficients.reduce((s, b, j) => s + b * row[j]!, 0))));
  }
  const model = fitLogistic(z, y); // default l2 = 1: negligible shrinkage at n = 20k
  t.ok(model.converged, `converged in ${model.iterations} iterations`);
  // Standard errors here are ≈ 0.02, so 0.1 is five of them: a wrong fit fails, sampling noise does not.
  t.ok(Math.abs(model.intercept - truth.intercept) < 0.1, `intercept ${model.intercept.toFixed(3)} vs ${truth.intercept}`);
  model.coefficients.forEach((b, j) => t.ok(Math.abs(b - truth.coefficients[j]!) < 0.1, `coefficient ${j}: ${b.toFixed(3)} vs ${truth.coefficients[j]}`));
  const equations = scoreEquations(model, z, y, 1);
  t.ok(equations.every((e) => Math.abs(e) < 1e-6), `the penalised score equations hold at the fit: ${equations.map((e) => e.toExponential(1)).join(', ')}`);
  let worst = 0;
  for (const row of z.slice(0, 50)) {
    t.equal(probability(model, row), sigmoid(logit(model, row)));
    worst = Math.max(worst, Math.abs(probability(model, row) - plainSigmoid(model.intercept + model.coefficients.reduce((s, b, j) => s + b * row[j]!, 0))));
  }
  t.ok(worst < 1e-15, `probability() = 1 / (1 + e^−(b0 + Σ b·z)) on 50 rows (worst difference ${worst})`);
});

t.test('sigmoid is stable at extreme logits', async (t) => {
  t.equal(sigmoid(0), 0.5);
  t.equal(sigmoid(800), 1);
  t.equal(sigmoid(-800), 0, 'e^800 overflows: e^x / (1 + e^x) computed naively would be NaN');
  t.ok(Math.abs(sigmoid(-700) / Math.exp(-700) - 1) < 1e-12, 'tiny probabilities keep their relative precision');
  for (const x of [-30, -3, -0.1, 0.7, 12]) t.ok(Math.abs(sigmoid(x) + sigmoid(-x) - 1) < 1e-15, `σ(${x}) + σ(${-x}) = 1`);
});

t.test('separable data with l2 = 1 converges to finite coefficients', async (t) => {
  const z = [-2, -1, -0.5, 0.5, 1, 2].map((v) => Float64Array.of(v));
  const y: Label[] = [0, 0, 0, 1, 1, 1];
  const model = fitLogistic(z, y, { l2: 1 });
  t.ok(model.converged, `converged in ${model.iterations} iterations`);
  t.ok(Number.isFinite(model.coefficients[0]) && model.coefficients[0]! > 0, `finite positive coefficient ${model.coefficients[0]}`);
  t.ok(Math.abs(model.intercept) < 1e-9, 'symmetric data: intercept 0');
  const equations = scoreEquations(model, z, y, 1);
  t.ok(equations.every((e) => Math.abs(e) < 1e-6), 'it is the penalised optimum, not just a place where the loop stopped');
  t.throws(() => fitLogistic(z, y, { l2: 0 }), { message: /separate churners from stayers perfectly.*fit with l2 > 0/ }, 'without a penalty the answer is at infinity');
});

t.test('contributions plus the intercept sum to the logit', async (t) => {
  const rng = mulberry32(7);
  const raw = Array.from({ length: 500 }, () => [gaussian(rng) * 3 + 10, rng() < 0.4 ? 1 : 0, gaussian(rng)]);
  const y = raw.map((r): Label => bernoulli(rng, plainSigmoid(-1 + 0.3 * (r[0]! - 10) + r[1]!)));
  const scaler = fitScaler(raw);
  const z = raw.map((r) => standardise(scaler, r));
  const model = fitLogistic(z, y);
  for (const row of z.slice(0, 20)) {
    const parts = contributions(model, row);
    t.equal(parts.length, 3);
    t.ok(Math.abs(model.intercept + parts.reduce((s, c) => s + c, 0) - logit(model, row)) < 1e-12);
  }
  const average = standardise(scaler, scaler.mean);
  t.same(contributions(model, average), [0, 0, 0], 'the average member has no contributions: its logit is the intercept');
});

t.test('refusals say what to do', async (t) => {
  const z = [Float64Array.of(0), Float64Array.of(1), Float64Array.of(2)];
  t.throws(() => fitLogistic([], []), { message: 'fitLogistic: no rows: pass at least one churner and one stayer' });
  t.throws(() => fitLogistic(z, [0, 1]), { message: /3 rows but 2 labels: give one label per row/ });
  t.throws(() => fitLogistic([Float64Array.of(0, 1), Float64Array.of(1)], [0, 1]), { message: /row 1 has 1 features but row 0 has 2: every row needs the same features/ });
  t.throws(() => fitLogistic(z, [0, 1, 2 as Label]), { message: /y\[2\] is 2: labels must be 0 \(stayed\) or 1 \(churned\)/ });
  t.throws(() => fitLogistic(z, [0, 0, 0]), { message: 'fitLogistic: all 3 labels are 0: a model needs both churners and stayers' });
  t.throws(() => fitLogistic(z, [1, 1, 1]), { message: 'fitLogistic: all 3 labels are 1: a model needs both churners and stayers' });
  t.throws(() => fitLogistic(z, [0, 1, 0], { weights: [1, 1] }), { message: /weights has 2 entries for 3 rows: give one weight per row/ });
  t.throws(() => fitLogistic(z, [0, 1, 0], { weights: [1, -1, 1] }), { message: /weights\[1\] is -1: weights must be finite and ≥ 0/ });
  t.throws(() => fitLogistic([Float64Array.of(0), Float64Array.of(Number.NaN)], [0, 1]), { message: /row 1, column 0 is NaN: impute missing values/ });
  t.throws(() => fitLogistic(z, [0, 1, 0], { l2: -1 }), { message: /l2 is -1/ });
  // A one-hot pair beside the intercept: x0 + x1 = 1 on every row, so without a penalty there is no unique answer.
  const oneHot = [[1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]].map((r) => Float64Array.from(r));
  t.throws(() => fitLogistic(oneHot, [0, 1, 1, 0, 0, 1], { l2: 0 }), { message: /collinear at feature column 1.*drop that column or fit with l2 > 0/ });
  t.ok(fitLogistic(oneHot, [0, 1, 1, 0, 0, 1], { l2: 1 }).converged, 'the same one-hot pair is fine with the default penalty');
});

t.test('50k rows × 25 features fit (a sanity check that it finishes, not a timing)', async (t) => {
  const rng = mulberry32(50_025);
  const beta = Array.from({ length: 25 }, (_, j) => (j % 3 === 0 ? 0 : (j % 5) / 5 - 0.4));
  const z: Float64Array[] = [];
  const y: Label[] = [];
  for (let i = 0; i < 50_000; i++) {
    const row = Float64Array.from(beta, () => gaussian(rng));
    z.push(row);
    y.push(bernoulli(rng, plainSigmoid(-2 + beta.reduce((s, b, j) => s + b * row[j]!, 0))));
  }
  const model = fitLogistic(z, y);
  t.ok(model.converged, `converged in ${model.iterations} iterations`);
  t.equal(model.coefficients.length, 25);
});
