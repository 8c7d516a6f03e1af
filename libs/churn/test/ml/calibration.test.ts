import t from 'tap';
import { applyIsotonic, applyPlatt, fitIsotonic, fitPlatt, type Label } from '../../src/ml/index.js';
import { bernoulli, gaussian, mulberry32, plainSigmoid } from './random.js';

t.test('Platt recovers a known affine distortion of the true logit', async (t) => {
  // The model's logit s is off: the true churn probability is sigmoid(0.5·s − 1).
  const rng = mulberry32(3);
  const s = Array.from({ length: 50_000 }, () => 3 * gaussian(rng));
  const y = s.map((v) => bernoulli(rng, plainSigmoid(0.5 * v - 1)));
  const platt = fitPlatt(s, y);
  // Standard errors at this size are ≈ 0.005 (a) and ≈ 0.015 (b); the smoothing shifts the targets by ~1e-5.
  t.ok(Math.abs(platt.a - 0.5) < 0.03, `a = ${platt.a.toFixed(4)} ≈ 0.5`);
  t.ok(Math.abs(platt.b + 1) < 0.05, `b = ${platt.b.toFixed(4)} ≈ −1`);
  t.ok(Math.abs(applyPlatt(platt, 2) - plainSigmoid(platt.a * 2 + platt.b)) < 1e-15, 'applyPlatt = sigmoid(a·logit + b)');
});

t.test("Platt's smoothed targets: two separable points have an exact finite answer", async (t) => {
  // One churner and one stayer: targets (1 + 1)/(1 + 2) = 2/3 and 1/(1 + 2) = 1/3. With 0/1 targets a would run off to
  // infinity; with these the fit must hit them exactly: sigmoid(a + b) = 2/3 and sigmoid(−a + b) = 1/3, so a = ln 2, b = 0.
  const platt = fitPlatt([-1, 1], [0, 1]);
  t.ok(Math.abs(platt.a - Math.LN2) < 1e-9, `a = ${platt.a} = ln 2`);
  t.ok(Math.abs(platt.b) < 1e-9, `b = ${platt.b} = 0`);
  // Three stayers and one churner, logits all different: check the fit hits the stationarity conditions instead.
  const logits = [-2, -1, 0.5, 1.5];
  const labels: Label[] = [0, 0, 1, 0];
  const fitted = fitPlatt(logits, labels);
  const targets = labels.map((l) => (l === 1 ? 2 / 3 : 1 / 5));
  const residuals = logits.map((v, i) => plainSigmoid(fitted.a * v + fitted.b) - targets[i]!);
  t.ok(Math.abs(residuals.reduce((s, r) => s + r, 0)) < 1e-9, 'Σ (p − t) = 0');
  t.ok(Math.abs(residuals.reduce((s, r, i) => s + r * logits[i]!, 0)) < 1e-9, 'Σ (p − t)·logit = 0');
});

t.test('Platt refuses what it cannot fit', async (t) => {
  t.throws(() => fitPlatt([0.1, 0.2], [1, 1]), { message: 'fitPlatt: all 2 labels are 1: calibration needs both churners and stayers' });
  t.throws(() => fitPlatt([0.3, 0.3, 0.3], [0, 1, 0]), { message: /all 3 logits are 0.3: Platt scaling needs scores that vary/ });
  t.throws(() => fitPlatt([0.3, Number.NaN], [0, 1]), { message: /logits\[1\] is NaN/ });
  t.throws(() => fitPlatt([0.3], [0, 1]), { message: /1 scores but 2 labels/ });
  t.throws(() => applyPlatt({ a: 1, b: 0 }, Number.NaN), { message: /the logit is NaN/ });
});

t.test('PAV on the textbook sequence', async (t) => {
  const iso = fitIsotonic([1, 2, 3, 4, 5, 6], [1, 3, 2, 4, 3, 5]);
  t.same(iso, { thresholds: [1, 2, 4, 6], values: [1, 2.5, 3.5, 5] });
  t.same([1, 2, 3, 4, 5, 6].map((p) => applyIsotonic(iso, p)), [1, 2.5, 2.5, 3.5, 3.5, 5]);
  t.same([-10, 0.5, 4.5, 5.99, 6, 100].map((p) => applyIsotonic(iso, p)), [1, 1, 3.5, 3.5, 5, 5], 'a step function, clamped outside the fitted range');
  t.same(fitIsotonic([6, 2, 4, 1, 5, 3], [5, 3, 4, 1, 3, 2]), iso, 'input order does not matter');
});

t.test('PAV pools tied scores before anything else', async (t) => {
  // Scores 1, 2, 2 with labels 1, 0, 1: the score-2 group has mean 0.5 < 1, so everything pools to 2/3.
  // Pooling row by row instead would leave score 2 in two blocks (0.5 and 1) and the answer would depend on row order.
  t.same(fitIsotonic([1, 2, 2], [1, 0, 1]), { thresholds: [1], values: [2 / 3] });
  t.same(fitIsotonic([1, 2, 2], [1, 1, 0]), { thresholds: [1], values: [2 / 3] });
});

t.test('isotonic on 0/1 labels is a non-decreasing step function that preserves the churn rate', async (t) => {
  const rng = mulberry32(11);
  const p = Array.from({ length: 2_000 }, () => Math.round(rng() * 50) / 50); // many ties
  const y = p.map((v) => bernoulli(rng, v * v));
  const iso = fitIsotonic(p, y);
  t.ok(iso.values.every((v, k) => k === 0 || v > iso.values[k - 1]!), 'values strictly increase');
  t.ok(iso.thresholds.every((v, k) => k === 0 || v > iso.thresholds[k - 1]!), 'thresholds strictly increase');
  const calibrated = p.map((v) => applyIsotonic(iso, v));
  const mean = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  t.ok(Math.abs(mean(calibrated) - mean(y)) < 1e-12, 'the mean of the fitted values is the churn rate (each block is a mean of its labels)');
});

t.test('isotonic refusals', async (t) => {
  t.throws(() => fitIsotonic([], []), { message: /no rows/ });
  t.throws(() => fitIsotonic([0.1, Number.POSITIVE_INFINITY], [0, 1]), { message: /p\[1\] is Infinity/ });
  t.throws(() => applyIsotonic({ thresholds: [], values: [] }, 0.5), { message: /empty or malformed/ });
  t.throws(() => applyIsotonic({ thresholds: [0], values: [1] }, Number.NaN), { message: /the score is NaN/ });
});
