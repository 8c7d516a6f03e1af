/**
 * Benchmark of the churn model (issue 5) on the sample-data generator's world at 50k members × 1 year, run through
 * the ETL into a lake folder and read by the DuckDB engine: training time (features and labels for every cut-off,
 * then the fit), scoring throughput (features of every current member + scores), and the evaluation against the
 * lake's labels and the generator's ground truth, model and days-since-last-visit baseline side by side.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbEngine } from '@peak/analytics';
import { buildSampleLake, collectTrainingData, DEFAULT_SETTINGS, fitChurnModel, lakeEnd, loadFeatures, readTruth, scoreMember, type EvaluationPair } from '@peak/churn';

const MEMBERS = 50_000;
const work = await mkdtemp(join(tmpdir(), 'peak-churn-bench-'));
try {
  let t0 = performance.now();
  const lake = await buildSampleLake(work, { members: MEMBERS, days: 365, end: '2026-06-30', seed: 42 });
  const buildSeconds = (performance.now() - t0) / 1000;
  const engine = new DuckDbEngine({ lakeRoot: lake.lakeRoot, timeZone: lake.timeZone });
  try {
    t0 = performance.now();
    const data = await collectTrainingData(engine, DEFAULT_SETTINGS);
    const collectSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const model = await fitChurnModel(data, DEFAULT_SETTINGS, await readTruth(lake.truthFile));
    const fitSeconds = (performance.now() - t0) / 1000;

    // Scoring as the daily job does it: today's members (the lake's last day), features from the catalog, then the model.
    const asOf = (await lakeEnd(engine)) as string;
    t0 = performance.now();
    const members = await loadFeatures(engine, { cutoff: asOf, inactivityDays: model.inactivityDays });
    const featureSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const scores = members.map((f) => scoreMember(model, f));
    const scoreSeconds = (performance.now() - t0) / 1000;
    const bands = { high: 0, medium: 0, low: 0 };
    for (const s of scores) bands[s.band]++;

    const n = (x: number) => x.toLocaleString('en-US');
    console.log('| step | rows | time (s) | rate |');
    console.log('|---|---:|---:|---:|');
    console.log(`| lake: generate ${n(MEMBERS)} members × 365 days, ETL to Parquet (set-up, not the model) | – | ${buildSeconds.toFixed(1)} | – |`);
    console.log(`| training data: features + labels for ${data.plan.trainCutoffs.length + 1} cut-offs | ${n(data.train.length + data.calibration.length + data.validation.length)} | ${collectSeconds.toFixed(1)} | ${n(Math.round((data.train.length + data.calibration.length + data.validation.length) / collectSeconds))} rows/s |`);
    for (const c of model.candidates) console.log(`| fit: ${c.kind === 'logistic' ? 'IRLS logistic regression' : `gradient-boosted trees (${DEFAULT_SETTINGS.boosting.rounds} rounds, depth ${DEFAULT_SETTINGS.boosting.maxDepth})`}${c.chosen ? ' — chosen' : ''} | ${n(data.train.length)} × ${model.columns.length} | ${c.fitSeconds.toFixed(1)} | – |`);
    console.log(`| fit total: encoder, both candidates, Platt, evaluation | | ${fitSeconds.toFixed(1)} | – |`);
    console.log(`| **training total** | | **${(collectSeconds + fitSeconds).toFixed(1)}** | |`);
    console.log(`| scoring: features of today's members (${asOf}) | ${n(members.length)} | ${featureSeconds.toFixed(2)} | ${n(Math.round(members.length / featureSeconds))} members/s |`);
    console.log(`| scoring: model + top factors | ${n(scores.length)} | ${scoreSeconds.toFixed(2)} | ${n(Math.round(scores.length / scoreSeconds))} members/s |`);
    console.log(`| **scoring total** (target < 10 s) | ${n(scores.length)} | **${(featureSeconds + scoreSeconds).toFixed(2)}** | ${n(Math.round(scores.length / (featureSeconds + scoreSeconds)))} members/s |`);
    console.log(`\nBands today: ${n(bands.high)} high (≥ ${model.bands.high}), ${n(bands.medium)} medium (≥ ${model.bands.medium}), ${n(bands.low)} low. Model ${model.version}.`);

    console.log(`\nEvaluation on the validation cut-off ${model.trainingWindow.validationCutoff} (${n(data.validation.length)} members; trained on ${data.plan.trainCutoffs[0]} … ${data.plan.trainCutoffs.at(-1)}, calibrated on ${n(data.calibration.length)} rows of ${(DEFAULT_SETTINGS.calibrationShare * 100).toFixed(0)}% of members held out):\n`);
    console.log('| labels | scorer | ROC AUC | PR AUC | Brier | log loss | top-decile lift | churn rate |');
    console.log('|---|---|---:|---:|---:|---:|---:|---:|');
    const row = (labels: string, pair: EvaluationPair | undefined) => {
      if (!pair) return;
      for (const [name, e] of [['model', pair.model], ['baseline: days since last visit', pair.baseline]] as const) {
        console.log(`| ${labels} | ${name} | ${e.rocAuc.toFixed(3)} | ${e.prAuc.toFixed(3)} | ${e.brier.toFixed(4)} | ${e.logLoss.toFixed(4)} | ${e.liftTopDecile.toFixed(2)} | ${e.baseRate.toFixed(3)} |`);
      }
    };
    row('lake (stated definition)', model.evaluation.lake);
    row('generator ground truth', model.evaluation.truth);
    console.log('\nCandidates, same rows and validation members (the trees are chosen only when they beat the logistic regression on the calibration members by more than its standard error):\n');
    console.log('| candidate | calibration ROC AUC | validation ROC AUC, lake | validation ROC AUC, truth | PR AUC, truth | Brier, truth | fit (s) |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const c of model.candidates) {
      const tr = c.validation.truth;
      console.log(`| ${c.kind}${c.chosen ? ' (chosen)' : ''} | ${c.calibrationRocAuc.toFixed(3)} | ${c.validation.lake.rocAuc.toFixed(3)} | ${tr ? tr.rocAuc.toFixed(3) : '–'} | ${tr ? tr.prAuc.toFixed(3) : '–'} | ${tr ? tr.brier.toFixed(4) : '–'} | ${c.fitSeconds.toFixed(1)} |`);
    }
    console.log('\nReliability (model vs ground truth), deciles of the score: mean predicted / observed');
    console.log((model.evaluation.truth ?? model.evaluation.lake).model.reliability.map((b) => `${b.meanPredicted.toFixed(3)} / ${b.observedRate.toFixed(3)}`).join(' · '));
    console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    await engine.close();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
