import t from 'tap';
import { fakeEvaluation, fakeModel } from '../dev/fake-churn.js';
import type { ChurnModelInfo, Evaluation } from '../src/api.js';
import {
  calibrationGap, calibrationPoints, calibrationSummary, highRiskOutcome, LABELS_TEXT, managerSummary, metricsRows, modelKindSentence, SCORER_TEXT, topDecileRate,
} from '../src/evaluation.js';

const bin = (i: number, count: number, p: number, o: number) => ({ bin: i, count, meanPredicted: p, observedRate: o, minPredicted: p, maxPredicted: p });
function evaluation(reliability: Evaluation['reliability'], over: Partial<Evaluation> = {}): Evaluation {
  return { n: 1000, positives: 120, baseRate: 0.12, rocAuc: 0.86, prAuc: 0.5, brier: 0.07, logLoss: 0.25, liftTopDecile: 4.2, reliability, ...over };
}
function modelWith(lake: { model: Evaluation; baseline: Evaluation }, extra: Partial<ChurnModelInfo> = {}): ChurnModelInfo {
  return { ...fakeModel(false), evaluation: { lake }, ...extra };
}

t.test('of the members flagged high risk, the share who left (count-weighted over the high deciles)', async (t) => {
  const e = evaluation([bin(1, 100, 0.02, 0.01), bin(9, 100, 0.55, 0.5), bin(10, 300, 0.8, 0.7)]);
  const out = highRiskOutcome(e, 0.5);
  t.equal(out?.members, 400);
  t.equal(out?.rate.toFixed(4), ((100 * 0.5 + 300 * 0.7) / 400).toFixed(4));
  t.equal(highRiskOutcome(e, 0.9), null, 'no decile that high');
  t.equal(highRiskOutcome(evaluation([bin(10, 0, 0.9, 0)]), 0.5), null, 'an empty decile counts for nothing');
});

t.test('top decile rate, calibration gap and points', async (t) => {
  t.equal(topDecileRate(evaluation([], { liftTopDecile: 4, baseRate: 0.1 })), 0.4);
  const e = evaluation([bin(2, 100, 0.3, 0.36), bin(1, 100, 0.05, 0.04), bin(3, 0, 0.9, 0)]);
  t.equal(calibrationGap(e).toFixed(3), '0.060', 'the empty decile is ignored');
  t.same(calibrationPoints(e), [
    { bin: 1, predicted: 0.05, observed: 0.04, count: 100 },
    { bin: 2, predicted: 0.3, observed: 0.36, count: 100 },
  ]);
  t.equal(calibrationSummary(calibrationPoints(e)), 'Calibration chart, predicted against actual share who left, per tenth of members: predicted 5%, left 4%; predicted 30%, left 36%.');
  t.equal(calibrationSummary([]), 'Calibration chart: no deciles to show.');
});

t.test('the manager summary of a good model', async (t) => {
  const m = fakeModel(true);
  const s = managerSummary(m);
  const high = highRiskOutcome(m.evaluation.lake.model, 0.5);
  t.ok(high);
  t.equal(s.headline, `Of the members the model flags as high risk, about ${Math.round(high!.rate * 100)}% actually left within 30 days — against 12% of all members.`);
  t.match(s.sentences[0], /^The 10% of members it rates most at risk left at 51%: 4\.3× the rate of all members\.$/);
  t.match(s.sentences[1], /the model gives the one who left the higher risk 86% of the time; “days since last visit” alone manages 78%\. The model is the better guide\.$/);
  t.match(s.sentences[2], /^Its percentages can be taken at face value: in every tenth of members, the predicted and the actual share who left are within 1\.0 point of each other\.$/);
  t.equal(s.sentences[3], 'Checked on the 2,000 members of 7 Oct 2026, a day the model did not learn from. “Left” means cancelled, or 30 days without a visit, within 30 days.');
  t.equal(s.sentences[4], 'The model is gradient-boosted decision trees, chosen because it told leavers from stayers best among members held out of training (87%; a logistic regression 84%).');
  t.equal(modelKindSentence({ ...fakeModel(), candidates: [{ kind: 'logistic', chosen: true, calibrationRocAuc: 0.8, validationRocAuc: { lake: 0.8 } }] }), 'The model is a logistic regression.', 'one kind fitted: nothing to compare');
  const kept = modelKindSentence({
    ...fakeModel(),
    candidates: [{ kind: 'logistic', chosen: true, calibrationRocAuc: 0.84, validationRocAuc: { lake: 0.84 } }, { kind: 'boosted_trees', chosen: false, calibrationRocAuc: 0.852, validationRocAuc: { lake: 0.85 } }],
  });
  t.equal(kept, 'The model is a logistic regression: on members held out of training the alternative did only slightly better (gradient-boosted decision trees 85% against 84%), within the noise, so the simpler model is kept.', 'kept although the trees scored a little higher: said so, not "best"');
  t.equal(s.truth.length, 1);
  t.match(s.truth[0], /^Against who really left \(the sample data's ground truth, known only for generated data\): of the members flagged high risk, about \d+% left; it picks the one who left 87% of the time \(days since last visit: 79%\)\.$/);
  t.same(managerSummary(fakeModel(false)).truth, [], 'no ground truth, no sentence about it');
});

t.test('the summary says so when the model is no better than the rule, or its percentages are off', async (t) => {
  const same = managerSummary(modelWith({ model: fakeEvaluation({ rocAuc: 0.80, baseRate: 0.1, lift: 3 }), baseline: fakeEvaluation({ rocAuc: 0.795, baseRate: 0.1, lift: 3 }) }));
  t.match(same.sentences[1], /about as good/);
  const worse = managerSummary(modelWith({ model: fakeEvaluation({ rocAuc: 0.7, baseRate: 0.1, lift: 2, skew: 0.08 }), baseline: fakeEvaluation({ rocAuc: 0.78, baseRate: 0.1, lift: 3 }) }));
  t.match(worse.sentences[1], /the simple rule does better: retrain the model/);
  t.match(worse.sentences[2], /^Its percentages are roughly right: .* within 8\.0 points/);
  const off = managerSummary(modelWith({ model: fakeEvaluation({ rocAuc: 0.8, baseRate: 0.1, lift: 3, skew: -0.2 }), baseline: fakeEvaluation({ rocAuc: 0.7, baseRate: 0.1, lift: 2 }) }));
  t.match(off.sentences[2], /off by up to 20 points .*use them to rank members, not as exact chances\.$/);
});

t.test('with nobody scored high, the headline does not invent a share', async (t) => {
  const low = fakeEvaluation({ rocAuc: 0.75, baseRate: 0.05, lift: 2.5, top: 0.3 });
  const s = managerSummary(modelWith({ model: low, baseline: low }, { bands: { high: 0.5, medium: 0.2 } }));
  t.equal(s.headline, 'Too few members were scored as high risk when the model was checked to say how many of them left; 5% of all members left within 30 days.');
  const truthLow = managerSummary({ ...fakeModel(false), evaluation: { lake: { model: low, baseline: low }, truth: { model: low, baseline: low } } });
  t.match(truthLow.truth[0], /ground truth, known only for generated data\): it picks/, 'the truth line leaves out the high-risk share too');
});

t.test('the metrics table: model then baseline, lake then truth', async (t) => {
  const rows = metricsRows(fakeModel(true));
  t.same(rows.map((r) => `${r.labels}/${r.scorer}`), ['lake/model', 'lake/baseline', 'truth/model', 'truth/baseline']);
  t.same(rows[0], { labels: 'lake', scorer: 'model', rocAuc: 0.861, prAuc: 0.861 - 0.35, brier: 0.0712, lift: 4.3 });
  t.equal(metricsRows(fakeModel(false)).length, 2);
  t.equal(LABELS_TEXT.truth, 'Ground truth');
  t.equal(SCORER_TEXT.baseline, 'Days since last visit');
});
