/**
 * The whole training path on a generated lake (sample-data generator → ETL → DuckDB engine): features and labels
 * per cut-off, the fitted and calibrated model, its evaluation against the lake's labels and the generator's truth.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEngine } from '@peak/analytics';
import { memberChurnScores } from '@peak/contracts';
import { FolderLake } from '@peak/lake';
import {
  buildSampleLake, chooseCandidate, collectTrainingData, DEFAULT_SETTINGS, distinctMembers, rocAucStandardError, evaluateOn, fitChurnModel, LabelWindowError, loadChampion, loadFeatures, ModelFileError, modelKey, NoModelError,
  parseModel, readRegistry, readTruth, REGISTRY_KEY, registerModel, runScoring, scoreMember, type BoostedScorer, type ChurnModel, type LogisticScorer, type Example, type MemberFeatures, type TrainingData,
} from '../src/index.js';
import { main } from '../src/cli.js';

const dir = t.testdir();
const lake = await buildSampleLake(dir, { members: 1000, days: 300, end: '2026-06-30', seed: 5 });
const engine = new DuckDbEngine({ lakeRoot: lake.lakeRoot, timeZone: lake.timeZone });
t.teardown(() => engine.close());
const settings = { ...DEFAULT_SETTINGS, stepDays: 28 };
const data = await collectTrainingData(engine, settings);
const truth = await readTruth(lake.truthFile);
const model = await fitChurnModel(data, settings, truth, '2026-07-01T00:00:00.000Z');
// Each kind alone, for what only it has (the logistic model's coefficients, the trees' bytes).
const linear = await fitChurnModel(data, { ...settings, models: ['logistic'] }, truth, '2026-07-01T00:00:00.000Z');
const boosted = await fitChurnModel(data, { ...settings, models: ['boosted_trees'] }, truth, '2026-07-01T00:00:00.000Z');

t.test('the plan and the examples', async (t) => {
  t.equal(data.plan.validationCutoff, '2026-05-01', 'validation: the last cut-off whose label span the data covers');
  t.ok(data.plan.trainCutoffs.length >= 4, `${data.plan.trainCutoffs.length} training cut-offs`);
  for (const x of [...data.train, ...data.calibration, ...data.validation]) {
    if (x.features.join_date > x.cutoff) t.fail(`${x.features.member_id} joined after cut-off ${x.cutoff}`);
  }
  const churners = data.train.filter((x) => x.churned);
  t.ok(churners.length > 50 && churners.length < data.train.length / 3, `${churners.length} of ${data.train.length} training rows churned`);
  t.ok(churners.some((x) => x.reason === 'cancelled') && churners.some((x) => x.reason === 'inactivity'), 'both ways of churning occur');
});

t.test('both model kinds are fitted on the same rows; the one ranking the calibration members best is the model', async (t) => {
  t.same(model.candidates.map((c) => c.kind), ['logistic', 'boosted_trees']);
  const chosen = model.candidates.filter((c) => c.chosen);
  t.equal(chosen.length, 1, 'one is chosen');
  t.equal(chosen[0]?.kind, model.scorer.kind, 'and it is the model\'s scorer');
  // The rule's sample is distinct members (each appears at several cut-offs), not rows.
  const members = distinctMembers(data.calibration);
  t.ok(members.positives < data.calibration.filter((x) => x.churned).length, `${members.positives} distinct churners among the calibration rows' churners`);
  const [lr, trees] = [model.candidates[0]!, model.candidates[1]!];
  const wins = trees.calibrationRocAuc - lr.calibrationRocAuc > rocAucStandardError(lr.calibrationRocAuc, members.positives, members.negatives);
  t.equal(model.scorer.kind, wins ? 'boosted_trees' : 'logistic', 'the trees only when they beat the regression by more than its standard error');
  t.match(model.choice, /standard error/, `and says why: ${model.choice}`);
  t.same(chosen[0]?.validation.lake, model.evaluation.lake.model, 'its validation figures are the model\'s');
  // Each kind alone gives the same fit as inside the pair, so the candidates' figures are what each would score.
  t.same(model.candidates.find((c) => c.kind === 'logistic')?.validation, linear.candidates[0]?.validation);
  t.same(model.candidates.find((c) => c.kind === 'boosted_trees')?.validation, boosted.candidates[0]?.validation);
  t.equal(model.version, model.scorer.kind === 'logistic' ? linear.version : boosted.version, 'the same fitted model, the same version');
  if (linear.scorer.kind !== 'logistic') throw new Error('expected a logistic scorer');
  t.ok(linear.scorer.logistic.converged, `IRLS converged in ${linear.scorer.logistic.iterations} iterations`);
  if (boosted.scorer.kind !== 'boosted_trees') throw new Error('expected boosted trees');
  t.equal(boosted.scorer.params.rounds, DEFAULT_SETTINGS.boosting.rounds);
  await t.rejects(fitChurnModel(data, { ...settings, models: [] }), /no model kinds to train: name at least one of logistic, boosted_trees/);
});

t.test('a more complex kind is chosen only when it ranks the calibration members better by more than the standard error', async (t) => {
  const y = (positives: number, negatives: number) => ({ positives, negatives });
  const pair = (lr: number, trees: number) => [{ kind: 'logistic' as const, calibrationRocAuc: lr }, { kind: 'boosted_trees' as const, calibrationRocAuc: trees }];
  // 700 churners among 13,000 members: the standard error of 0.842 is about 0.009.
  const big = chooseCandidate(pair(0.842, 0.865), y(700, 12_300));
  t.equal(big.best.kind, 'boosted_trees');
  t.match(big.choice, /^gradient-boosted trees: it beats logistic regression by more than the standard error \(calibration ROC AUC 0\.865 vs 0\.842, standard error 0\.009\)$/);
  // 15 churners among 150 members (a tiny lake): the same gain is within the noise, the simpler model stays.
  const small = chooseCandidate(pair(0.842, 0.865), y(15, 135));
  t.equal(small.best.kind, 'logistic');
  t.match(small.choice, /^logistic regression: gradient-boosted trees does not beat it by more than the standard error/);
  t.equal(chooseCandidate(pair(0.9, 0.8), y(700, 12_300)).best.kind, 'logistic', 'a worse complex model never wins');
  t.same(chooseCandidate(pair(0.9, 0.8).slice(1), y(7, 100)), { best: { kind: 'boosted_trees', calibrationRocAuc: 0.8 }, choice: 'gradient-boosted trees, the only kind trained' });
});

t.test('the model beats the days-since-last-visit baseline, against the lake and the truth (either kind)', async (t) => {
  for (const [m, k] of [linear, boosted].flatMap((m) => [[m, 'lake'], [m, 'truth']] as const)) {
    const e = m.evaluation[k];
    if (!e) throw new Error(`no ${k} evaluation`);
    const what = `${m.scorer.kind}, ${k}`;
    t.ok(e.model.rocAuc > 0.75, `${what}: model ROC AUC ${e.model.rocAuc.toFixed(3)}`);
    t.ok(e.model.rocAuc > e.baseline.rocAuc + 0.03, `${what}: above the baseline's ${e.baseline.rocAuc.toFixed(3)}`);
    t.ok(e.model.liftTopDecile > 2, `${what}: top-decile lift ${e.model.liftTopDecile.toFixed(2)}`);
    t.equal(e.model.n, data.validation.length, `${what}: evaluated on every validation member`);
    t.equal(e.model.reliability.reduce((n, b) => n + b.count, 0), data.validation.length, `${what}: the reliability bins hold every member`);
  }
  const e = model.evaluation.lake;
  // Calibrated on a separate, earlier cut-off: the mean score is near the observed churn rate on the later one.
  const meanScore = e.model.reliability.reduce((s, b) => s + b.meanPredicted * b.count, 0) / e.model.n;
  t.ok(Math.abs(meanScore - e.model.baseRate) < 0.05, `mean score ${meanScore.toFixed(3)} vs churn rate ${e.model.baseRate.toFixed(3)}`);
});

t.test('the saved model scores the same after a round trip; every score is a real probability with its reasons', async (t) => {
  const again = parseModel(JSON.stringify(model));
  t.equal(again.version, model.version);
  t.match(model.version, /^churn-2026-05-01-[0-9a-f]{10}$/, 'the version names the validation cut-off and a content hash');
  t.equal((await fitChurnModel(data, settings, truth, 'another time')).version, model.version, 'same data and settings, same version');
  let high = 0;
  for (const [m, x] of [linear, boosted].flatMap((m) => data.validation.map((x) => [m, x] as const))) {
    const a = scoreMember(m, x.features);
    const b = scoreMember(parseModel(JSON.stringify(m)), x.features);
    if (a.score !== b.score) t.fail(`${x.features.member_id}: ${a.score} ≠ ${b.score} after the round trip`);
    if (!(a.score > 0 && a.score < 1)) t.fail(`${x.features.member_id}: score ${a.score}`);
    if (a.band !== (a.score >= m.bands.high ? 'high' : a.score >= m.bands.medium ? 'medium' : 'low')) t.fail(`${x.features.member_id}: band ${a.band}`);
    if (a.topFactors.some((f) => !(f.contribution > 0) || f.text === '')) t.fail(`${x.features.member_id}: factors ${JSON.stringify(a.topFactors)}`);
    if (a.band === 'high') high++;
  }
  t.ok(high > 0, `${high} members in the high band`);
  for (const m of [linear, boosted]) {
    const risky = data.validation.map((x) => scoreMember(m, x.features)).sort((a, b) => b.score - a.score)[0];
    t.ok(risky && risky.topFactors.length > 0, `${m.scorer.kind}: the riskiest member has reasons: ${risky?.topFactors.map((f) => f.text).join('; ')}`);
  }
});

t.test('a member with no visits, bookings, app use or age still gets a score (missing values are imputed and flagged)', async (t) => {
  const bare: MemberFeatures = {
    member_id: 'NEW1', home_location_id: 'nowhere-new', plan: 'brand_new_plan', join_date: '2026-04-25', tenure_days: 6, age: null, last_visit: null, days_since_last_visit: null,
    visits_7d: 0, visits_30d: 0, visits_90d: 0, visits_prev_30d: 0, visit_trend: 0, active_weeks_12w: 0, routine_share: null, favourite_class_type: null, favourite_time: null,
    bookings_90d: 0, no_show_rate: null, late_cancel_rate: null, booking_lead_hours: null, upcoming_bookings: 0, app_events_7d: 0, app_events_30d: 0, app_days_30d: 0, app_events_prev_30d: 0, days_since_app: null,
    failed_payments_90d: 0, refunds_90d: 0, last_dues_amount: null, days_since_last_dues: null, usual_class_fill: null, ratings_90d: 0, avg_rating_90d: null,
  };
  for (const m of [linear, boosted]) {
    const s = scoreMember(m, bare);
    t.ok(s.score > 0 && s.score < 1, `${m.scorer.kind}: score ${s.score.toFixed(3)} (unseen plan and studio encode as no category)`);
    t.same(s.topFactors.filter((f) => f.factor === 'days_since_last_visit').map((f) => f.text).slice(0, 1).concat(), s.topFactors.some((f) => f.factor === 'days_since_last_visit') ? ['no visit since joining 6 days ago'] : [], 'when days away is a reason, it is told in words');
  }
});

t.test('a model file that is corrupt or from another version is refused with what to do', async (t) => {
  const edit = (f: (m: Record<string, unknown>) => void, from: ChurnModel = linear) => {
    const m = JSON.parse(JSON.stringify(from)) as Record<string, unknown>;
    f(m);
    return JSON.stringify(m);
  };
  t.throws(() => parseModel('{"format": "peak-churn-model", "formatVer'), ModelFileError);
  t.throws(() => parseModel('{"format": "peak-churn-model", "formatVer'), /is not JSON .*retrain with `npm run churn -- train`/);
  t.throws(() => parseModel('{"hello": 1}'), /is not a churn model/);
  t.throws(() => parseModel(edit((m) => (m.formatVersion = 1))), /model format version 1; this code reads version 2: retrain/);
  t.throws(() => parseModel(edit((m) => delete m.platt)), /is damaged: .*platt/);
  t.throws(() => parseModel(edit((m) => ((m.scorer as LogisticScorer).logistic.coefficients = [1, 2]))), /is damaged: \d+ columns but \d+ scaler means and 2 coefficients/);
  t.throws(() => parseModel(edit((m) => ((m.columns as ChurnModel['columns'])[0] = { name: 'shoe_size', factor: 'age' }))), /lists columns this code does not encode/);
  t.throws(() => parseModel(JSON.stringify(linear).replace(/"a":[-0-9.e]+/, '"a":1e999')), /damaged/);
  t.throws(() => parseModel(edit((m) => ((m.scorer as { kind: string }).kind = 'neural_net'))), /is damaged: \/scorer/);
  // Boosted trees: the saved bytes are read and checked before any member is scored.
  const trees = (m: Record<string, unknown>) => m.scorer as BoostedScorer;
  t.throws(() => parseModel(edit((m) => (trees(m).trees = Buffer.from('not a model').toString('base64')), boosted)), /is damaged: boosted trees: the model ends inside the learner header \(byte 0 of 11\); retrain with `npm run churn -- train`/);
  t.throws(() => parseModel(edit((m) => (trees(m).trees = trees(m).trees.slice(0, 4000)), boosted)), /is damaged: boosted trees: /);
  t.throws(() => parseModel(edit((m) => (m.columns = (m.columns as ChurnModel['columns']).slice(0, -1)), boosted)), /lists columns this code does not encode/);
});

t.test('bad training input gets a clear error, never a model', async (t) => {
  const empty = join(dir, 'empty-lake');
  mkdirSync(empty, { recursive: true });
  const none = new DuckDbEngine({ lakeRoot: empty, timeZone: lake.timeZone });
  t.teardown(() => none.close());
  await t.rejects(collectTrainingData(none, settings), LabelWindowError);
  await t.rejects(collectTrainingData(none, settings), /the lake has no check-ins yet/);

  const short = await buildSampleLake(join(dir, 'short'), { members: 60, days: 120, end: '2026-06-30', seed: 3 });
  const shortEngine = new DuckDbEngine({ lakeRoot: short.lakeRoot, timeZone: short.timeZone });
  t.teardown(() => shortEngine.close());
  await t.rejects(collectTrainingData(shortEngine, settings), /training needs at least 238 days \(90 of history/);

  const stayersOnly = (xs: Example[]) => xs.map((x) => ({ ...x, churned: false, reason: null }));
  const noChurners: TrainingData = { ...data, train: stayersOnly(data.train) };
  await t.rejects(fitChurnModel(noChurners, settings), /the training set has \d+ members and no churners: a churn model needs both/);
  await t.rejects(fitChurnModel({ ...data, validation: [] }, settings), /no members in the validation set/);
});

t.test('the registry keeps every model and promotes only one that does at least as well as the champion', async (t) => {
  const store = new FolderLake(join(dir, 'registry-lake'));
  await t.rejects(loadChampion(store), NoModelError);
  await t.rejects(loadChampion(store), /no churn model has been promoted yet: train one with `npm run churn -- train`/);

  const first = await registerModel(store, model, data.validation, new Date('2026-07-01T05:00:00Z'));
  t.same([first.promoted, first.reason, first.champion], [true, 'first model', model.version]);
  t.equal((await loadChampion(store)).version, model.version, 'the champion loads back');
  t.equal((await registerModel(store, model, data.validation)).reason, 'same version as the champion (same data and settings)');

  // A worse candidate: the same model with its visit coefficients switched off, evaluated honestly.
  const blunt = structuredClone(model) as ChurnModel;
  blunt.scorer = structuredClone(linear.scorer);
  blunt.platt = linear.platt;
  if (blunt.scorer.kind !== 'logistic') throw new Error('expected a logistic scorer');
  blunt.scorer.logistic.coefficients = blunt.scorer.logistic.coefficients.map((c, i) => (/visit/.test(blunt.columns[i]?.name ?? '') ? 0 : c));
  blunt.version = 'churn-2026-05-01-blunt00000';
  blunt.evaluation.lake.model = evaluateOn(blunt, data.validation);
  const refused = await registerModel(store, blunt, data.validation);
  t.equal(refused.promoted, false, 'not promoted');
  t.match(refused.reason, /^ROC AUC 0\.\d{4} is below the champion's 0\.\d{4} on the same members$/);
  t.equal(refused.champion, model.version, 'the champion stays');
  t.ok(await store.head(modelKey(blunt.version)), 'the refused model is still kept as an artifact');
  const registry = await readRegistry(store);
  t.same(registry.entries.map((e) => e.promoted), [true, true, false], 'every decision is recorded');
  t.ok(registry.entries[2]?.championRocAuc !== undefined && registry.entries[2].championRocAuc > registry.entries[2].rocAuc, 'with the champion\'s score on the same members');

  // The champion's file damaged: the next candidate replaces it, saying why.
  await store.putBytes(modelKey(model.version), '{"format": "peak-churn-model", "formatVersion": 2, "version": 3}');
  const replaced = await registerModel(store, blunt, data.validation);
  t.equal(replaced.promoted, true);
  t.match(replaced.reason, /^the champion churn-2026-05-01-\w+ cannot be used \(.*is damaged/);

  await store.putBytes(REGISTRY_KEY, 'not json');
  await t.rejects(readRegistry(store), /registry.json in the lake is not JSON/);
});

t.test('the daily scoring job writes every current member\'s score to the lake, once per day', async (t) => {
  const store = new FolderLake(join(dir, 'scores-lake'));
  await t.rejects(runScoring(engine, store), NoModelError, 'no champion yet: a clear error, nothing written');
  await registerModel(store, model, data.validation);
  const summary = await runScoring(engine, store, { now: new Date('2026-07-01T05:00:00Z') });
  t.equal(summary.asOf, '2026-06-30', 'as of the lake\'s last day');
  t.equal(summary.key, 'processed/member_churn_scores/dt=2026-06-30/scores.parquet');
  t.equal(summary.members, summary.bands.high + summary.bands.medium + summary.bands.low);
  t.equal(Object.values(summary.byLocation).reduce((n, l) => n + l.members, 0), summary.members, 'every member is in their home studio\'s counts');

  const file = join(dir, 'scores-lake', summary.key);
  const rows = await readParquet(file);
  t.equal(rows.length, summary.members, 'one row per member');
  t.same(Object.keys(rows[0] ?? {}), [...memberChurnScores.columns], 'the contract\'s columns, in order');
  const expected = await loadFeatures(engine, { cutoff: '2026-06-30', inactivityDays: model.inactivityDays });
  t.same(rows.map((r) => r.member_id), expected.map((f) => f.member_id).sort(), 'exactly the current members');
  for (const r of rows) {
    const fine = typeof r.score === 'number' && r.score > 0 && r.score < 1 && r.model_version === model.version && r.as_of === '2026-06-30' && ['high', 'medium', 'low'].includes(String(r.band));
    if (!fine) t.fail(`bad row ${JSON.stringify(r)}`);
  }
  t.ok(rows.some((r) => typeof r.factor_1 === 'string' && r.factor_1.length > 0), 'factors are written in words');

  await runScoring(engine, store, { now: new Date('2026-07-01T06:00:00Z') });
  t.equal((await store.list('processed/member_churn_scores/')).items.length, 1, 'a re-run of the day replaces its file');
  t.equal((await readParquet(file))[0]?.scored_at, '2026-07-01T06:00:00.000Z', 'with the new run\'s rows');

  await t.rejects(runScoring(engine, store, { asOf: '2000-01-01' }), /no current members as of 2000-01-01 .*nothing was written/);
});

async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    const r = await con.runAndReadAll(`SELECT * FROM read_parquet('${file}', hive_partitioning = false) ORDER BY member_id`);
    return r.getRowObjectsJson().map((row) => ({ ...row, as_of: String(row.as_of), scored_at: row.scored_at === null ? null : new Date(`${String(row.scored_at).replace(' ', 'T')}Z`).toISOString() }));
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

t.test('npm run churn: train, score and report over a lake folder; usage errors exit 2 with what to fix', async (t) => {
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const [write, writeErr] = [process.stdout.write, process.stderr.write];
    process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
    try {
      const code = await main(argv, {});
      return { code, out, err };
    } finally {
      [process.stdout.write, process.stderr.write] = [write, writeErr];
    }
  };
  const cliLake = join(dir, 'cli-lake');
  const { cpSync } = await import('node:fs');
  cpSync(lake.lakeRoot, cliLake, { recursive: true });

  const before = await run('score', '--lake', cliLake);
  t.equal(before.code, 1, 'score before any training fails');
  t.match(before.err, /no churn model has been promoted yet: train one with `npm run churn -- train`/);

  const trained = await run('train', '--lake', cliLake, '--step', '56', '--truth', lake.truthFile);
  t.equal(trained.code, 0, trained.err);
  t.match(trained.out, /ground truth +model +0\.\d{3}/, 'the report has the model against the truth');
  t.match(trained.out, /days since last visit/, 'and the baseline');
  t.match(trained.out, /PROMOTED: first model/);
  t.match(trained.err, /features and labels/, 'progress goes to stderr');

  const scored = await run('score', '--lake', cliLake);
  t.equal(scored.code, 0, scored.err);
  t.match(scored.out, /^Scored [\d,]+ members as of 2026-06-30 with churn-2026-05-01-\w+: \d+ high, \d+ medium, \d+ low risk/);

  const report = await run('report', '--lake', cliLake);
  t.equal(report.code, 0);
  t.match(report.out, /Registry \(1 trained\):\n.*promoted: first model/);

  t.match(await run('predict'), { code: 2, err: /unknown command "predict"; use train, score or report/ });
  t.match(await run(), { code: 2, out: /Usage: npm run churn -- <command>/ });
  t.match(await run('train', '--horizon', 'a month'), { code: 2, err: /--horizon must be a whole number of days from 1 to 365, got "a month"/ });
  t.match(await run('score', '--as-of', 'yesterday'), { code: 2, err: /--as-of must be a date written YYYY-MM-DD/ });
  t.match(await run('score', '--lake', 's3://peak-dev-lake/'), { code: 2, err: /an S3 lake is queried with Athena: set ANALYTICS_ENGINE=athena/ });
  t.match(await run('train', '--wat'), { code: 2, err: /Unknown option '--wat'/ });
  t.match(await run('train', '--models', 'logistic,svm'), { code: 2, err: /--models takes logistic and\/or boosted_trees, comma-separated; "svm" is not one/ });
});

t.test('a studio with no churners in training still gets real scores (the model pools every studio)', async (t) => {
  const locations = [...new Set(data.train.map((x) => x.features.home_location_id))].sort();
  const quiet = locations[0] as string;
  const relabel = (xs: Example[]) => xs.map((x) => (x.features.home_location_id === quiet ? { ...x, churned: false, reason: null } : x));
  const pooled = await fitChurnModel({ ...data, train: relabel(data.train), calibration: relabel(data.calibration) }, settings);
  const scores = (loc: string) => data.validation.filter((x) => x.features.home_location_id === loc).map((x) => scoreMember(pooled, x.features).score);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const quietScores = scores(quiet);
  t.ok(quietScores.length > 0 && quietScores.every((s) => s > 0 && s < 1), `${quietScores.length} members of ${quiet} scored in (0, 1)`);
  const others = locations.slice(1).map((l) => mean(scores(l)));
  t.ok(others.every((m) => mean(quietScores) < m), `${quiet} (no churners in training) scores lower on average: ${mean(quietScores).toFixed(3)} vs ${others.map((m) => m.toFixed(3)).join(', ')}`);
});
