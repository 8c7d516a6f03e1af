import t from 'tap';
import { averagePrecision, brierScore, evaluate, liftAtTop, logLoss, reliabilityTable, rocAuc, rocAucStandardError, type Label } from '../../src/ml/index.js';
import { bernoulli, mulberry32 } from './random.js';

// scikit-learn's documentation example for roc_auc_score and average_precision_score.
const sklearnY: Label[] = [0, 0, 1, 1];
const sklearnP = [0.1, 0.4, 0.35, 0.8];
const near = (a: number, b: number, eps = 1e-12) => Math.abs(a - b) < eps;

t.test("scikit-learn's documentation example", async (t) => {
  t.equal(rocAuc(sklearnP, sklearnY), 0.75);
  t.ok(near(averagePrecision(sklearnP, sklearnY), 5 / 6), 'AP = 0.8333… = ½·1 + ½·⅔');
  t.ok(near(rocAuc(Float64Array.from(sklearnP), sklearnY), 0.75), 'a Float64Array works the same');
});

t.test('rank AUC equals brute-force pairwise AUC on 2,000 rows with many ties', async (t) => {
  const rng = mulberry32(2_000);
  const p = Array.from({ length: 2_000 }, () => Math.floor(rng() * 20) / 20); // only 20 distinct scores
  const y = p.map((v) => bernoulli(rng, 0.1 + 0.6 * v));
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < p.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < p.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      wins += p[i]! > p[j]! ? 1 : p[i] === p[j] ? 0.5 : 0;
    }
  }
  const auc = rocAuc(p, y);
  t.ok(near(auc, wins / pairs), `${auc} = ${wins / pairs}`);
  t.ok(auc > 0.6 && auc < 0.9, 'and it is an informative score, not a degenerate 0.5');
});

t.test('the ROC AUC standard error matches the spread of AUCs over many samples', async (t) => {
  // Exponential scores (stayers rate 1, churners rate 1/4): the true AUC is 1/(1 + 1/4) = 0.8, and Hanley & McNeil's
  // Q1 and Q2 are exact for this family, so their variance is the Mann-Whitney statistic's own.
  const rng = mulberry32(11);
  const exp = (rate: number) => 1 - Math.exp(Math.log(1 - rng()) / rate); // an exponential draw, squeezed into [0, 1) (ranks kept)
  const [churners, stayers, samples] = [30, 300, 2000];
  const y: Label[] = [...Array<Label>(churners).fill(1), ...Array<Label>(stayers).fill(0)];
  const aucs = Array.from({ length: samples }, () => rocAuc(y.map((l) => exp(l === 1 ? 0.25 : 1)), y));
  const mean = aucs.reduce((a, b) => a + b, 0) / samples;
  const sd = Math.sqrt(aucs.reduce((s, a) => s + (a - mean) ** 2, 0) / (samples - 1));
  const se = rocAucStandardError(0.8, churners, stayers);
  t.ok(Math.abs(mean - 0.8) < 0.005, `mean AUC ${mean.toFixed(4)} ≈ 0.8`);
  t.ok(Math.abs(se / sd - 1) < 0.07, `standard error ${se.toFixed(4)} vs the samples' spread ${sd.toFixed(4)}`);
  t.ok(rocAucStandardError(0.8, 300, 3000) < se / 3, 'ten times the members, about a third of the error');
  t.equal(rocAucStandardError(1, 5, 5), 0, 'a perfect ranking: no spread');
  t.throws(() => rocAucStandardError(0.8, 0, 10), /0 churners and 10 stayers: it needs at least one of each/);
  t.throws(() => rocAucStandardError(1.2, 3, 10), /the AUC is 1.2/);
});

t.test('average precision treats a tied score as one threshold', async (t) => {
  // Scores .9 | .7 .7 .7 | .2 with labels 1 | 1 0 0 | 1; three churners.
  //   .9: recall 1/3, precision 1/1 → 1/3 · 1
  //   .7: recall 2/3, precision 2/4 → 1/3 · 1/2
  //   .2: recall 3/3, precision 3/5 → 1/3 · 3/5      AP = 1/3 + 1/6 + 1/5 = 0.7
  // Walking the tie row by row instead would give 0.8667 with its churner first and 0.7556 with it in the middle.
  t.ok(near(averagePrecision([0.9, 0.7, 0.7, 0.7, 0.2], [1, 1, 0, 0, 1]), 0.7));
  t.ok(near(averagePrecision([0.9, 0.7, 0.7, 0.7, 0.2], [1, 0, 1, 0, 1]), 0.7), 'the order inside the tie does not matter');
  t.ok(near(averagePrecision([0.2, 0.7, 0.9, 0.7, 0.7], [1, 0, 1, 0, 1]), 0.7), 'nor does the row order');
});

t.test('Brier score and log loss on four rows by hand', async (t) => {
  const p = [0.9, 0.2, 0.6, 0.4];
  const y: Label[] = [1, 0, 0, 1];
  t.ok(near(brierScore(p, y), (0.01 + 0.04 + 0.36 + 0.36) / 4), 'Brier = (0.1² + 0.2² + 0.6² + 0.6²) / 4 = 0.1925');
  t.ok(near(logLoss(p, y), -(Math.log(0.9) + Math.log(0.8) + Math.log(0.4) + Math.log(0.4)) / 4), 'log loss = −(ln .9 + ln .8 + ln .4 + ln .4) / 4 ≈ 0.5403');
  t.ok(near(logLoss([0], [1]), -Math.log(1e-15)), 'a certain miss is clipped at 1e-15: 34.54, not Infinity');
  // At the top the clip is 1 − 1e-15, whose nearest double leaves 1.11e-15 (not 1e-15) for 1 − q, as in scikit-learn.
  t.ok(near(logLoss([1], [0]), -Math.log(1 - (1 - 1e-15))), 'the mirror-image miss costs 34.43');
  t.ok(logLoss([0, 1], [0, 1]) < 1e-14, 'a certain hit costs (almost) nothing');
});

t.test('reliability table: equal-count bins by predicted probability', async (t) => {
  const p = [0.9, 0.05, 0.3, 0.1, 0.8, 0.2, 0.35, 0.6, 0.1, 0.5];
  const y: Label[] = [1, 0, 0, 0, 1, 1, 0, 0, 0, 1];
  // Sorted: .05 .1 .1 | .2 .3 .35 | .5 .6 .8 .9 (10 rows in 3 bins: cuts at ⌊10/3⌋ = 3 and ⌊20/3⌋ = 6).
  t.same(
    reliabilityTable(p, y, 3).map((b) => ({ ...b, meanPredicted: Number(b.meanPredicted.toFixed(12)) })),
    [
      { bin: 1, count: 3, meanPredicted: 0.083333333333, observedRate: 0, minPredicted: 0.05, maxPredicted: 0.1 },
      { bin: 2, count: 3, meanPredicted: 0.283333333333, observedRate: 1 / 3, minPredicted: 0.2, maxPredicted: 0.35 },
      { bin: 3, count: 4, meanPredicted: 0.7, observedRate: 3 / 4, minPredicted: 0.5, maxPredicted: 0.9 },
    ],
  );
  // Four tied rows in two bins: the stable order puts rows 0 and 1 in bin 1.
  t.same(reliabilityTable([0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0], 2).map((b) => b.observedRate), [0.5, 0]);
  t.same(reliabilityTable([0.2, 0.4], [0, 1]).map((b) => b.count), [1, 1], 'fewer rows than bins: one bin per row, none empty');
  const rng = mulberry32(1_003);
  const many = Array.from({ length: 1_003 }, () => rng());
  const table = reliabilityTable(many, many.map((v) => bernoulli(rng, v)));
  t.equal(table.reduce((s, b) => s + b.count, 0), 1_003, 'the bins hold every row');
  t.ok(table.every((b) => b.count === 100 || b.count === 101), 'deciles of 100 or 101 rows');
  t.ok(table.every((b, k) => k === 0 || b.minPredicted >= table[k - 1]!.maxPredicted), 'bins are ordered and do not overlap');
});

t.test('lift at the top', async (t) => {
  const p = [0.95, 0.5, 0.4, 0.3, 0.3, 0.2, 0.1, 0.1, 0.05, 0.01];
  t.equal(liftAtTop(p, [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]), 5, 'top 10% = 1 row, a churner; overall rate 2/10: lift 5');
  t.equal(liftAtTop(p, [0, 1, 0, 0, 0, 0, 0, 0, 0, 1], 0.3), (1 / 3) / (2 / 10), 'top 30% = 3 rows, one churner');
  t.equal(liftAtTop(p, [0, 0, 0, 1, 0, 0, 0, 0, 0, 1], 0.35), (1 / 4) / (2 / 10), 'ceil(3.5) = 4 rows: row 3 wins the tie at .3 by order');
  t.equal(liftAtTop(p, [0, 0, 0, 0, 1, 0, 0, 0, 0, 1], 0.35), 0, 'the same tie: row 4 is not in the top 4');
  // 0.07 × 100 is 7.000000000000001 in binary; the top must still be 7 rows (lift 100/7), not 8 (lift 12.5).
  const ranked = Array.from({ length: 100 }, (_, i) => 1 - i / 100);
  const firstSeven = ranked.map((_, i): Label => (i < 7 ? 1 : 0));
  t.ok(near(liftAtTop(ranked, firstSeven, 0.07), 100 / 7), 'top 7% of 100 rows is 7 rows');
  t.equal(liftAtTop(ranked, firstSeven, 1), 1, 'the whole population has lift 1');
});

t.test('evaluate gathers every metric', async (t) => {
  const result = evaluate(sklearnP, sklearnY);
  t.same(result, {
    n: 4,
    positives: 2,
    baseRate: 0.5,
    rocAuc: 0.75,
    prAuc: averagePrecision(sklearnP, sklearnY),
    brier: brierScore(sklearnP, sklearnY),
    logLoss: logLoss(sklearnP, sklearnY),
    liftTopDecile: 2, // top ⌈0.4⌉ = 1 row (0.8, a churner) at rate 1 against 0.5
    reliability: reliabilityTable(sklearnP, sklearnY),
  });
  t.equal(result.reliability.length, 4, 'four rows: four bins of one');
  t.ok(near(result.brier, (0.01 + 0.16 + 0.4225 + 0.04) / 4), 'Brier by hand: (.1² + .4² + .65² + .2²) / 4');
});

t.test('metrics refuse bad input', async (t) => {
  t.throws(() => rocAuc([0.1, 0.2], [0, 1, 1]), { message: /rocAuc: 2 scores but 3 labels/ });
  t.throws(() => rocAuc([], []), { message: /rocAuc: no rows/ });
  t.throws(() => rocAuc([0.1, 0.2], [1, 1]), { message: 'rocAuc: all 2 labels are 1: ROC AUC needs both churners and stayers' });
  t.throws(() => brierScore([0.1, Number.NaN], [0, 1]), { message: /brierScore: p\[1\] is NaN: probabilities must be numbers in \[0, 1\]/ });
  t.throws(() => logLoss([1.2, 0.5], [0, 1]), { message: /p\[0\] is 1.2/ });
  t.throws(() => averagePrecision([-0.1, 0.5], [0, 1]), { message: /p\[0\] is -0.1/ });
  t.throws(() => averagePrecision([0.1, 0.5], [0, 0]), { message: /at least one churner/ });
  t.throws(() => liftAtTop([0.1, 0.5], [0, 3 as Label]), { message: /y\[1\] is 3: labels must be 0 \(stayed\) or 1 \(churned\)/ });
  t.throws(() => liftAtTop([0.1, 0.5], [0, 1], 0), { message: /fraction is 0/ });
  t.throws(() => reliabilityTable([0.1, 0.5], [0, 1], 2.5), { message: /bins is 2.5/ });
  t.throws(() => evaluate([0.1, 0.5], [0, 0]), { message: /evaluation needs both churners and stayers/ });
});
