import { createHash } from 'node:crypto';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { CATEGORICAL, encode, encodedColumns, IMPUTED, type Encoder, type Factor } from './encode.js';
import type { MemberFeatures } from './features.js';
import { BoostedTreesFormatError, readBoostedTrees, treeContributions, treeMargin, type TreeEnsemble } from './ml/boosted-trees.js';
import { applyPlatt, contributions, logit, standardise, type Evaluation } from './ml/index.js';

export const MODEL_FORMAT = 'peak-churn-model';
/** Bumped when the artifact or the encoding changes shape; a model of another version is refused, never guessed at. */
export const MODEL_FORMAT_VERSION = 2;

const num = Type.Number();
const reliabilityBin = Type.Object({ bin: num, count: num, meanPredicted: num, observedRate: num, minPredicted: num, maxPredicted: num });
const evaluation = Type.Object({
  n: num, positives: num, baseRate: num, rocAuc: num, prAuc: num, brier: num, logLoss: num, liftTopDecile: num, reliability: Type.Array(reliabilityBin),
});
const evaluationPair = Type.Object({ model: evaluation, baseline: evaluation });

export const MODEL_KINDS = ['logistic', 'boosted_trees'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
export const MODEL_KIND_NAMES: Record<ModelKind, string> = { logistic: 'logistic regression', boosted_trees: 'gradient-boosted trees' };
/** The kinds as a schema (TypeBox needs the literals spelled out to type the union). */
export const modelKindSchema = Type.Union([Type.Literal(MODEL_KINDS[0]), Type.Literal(MODEL_KINDS[1])]);

/** L2 logistic regression on standardised features (IRLS). */
const logisticScorer = Type.Object({
  kind: Type.Literal('logistic'),
  scaler: Type.Object({ mean: Type.Array(num), sd: Type.Array(num) }),
  logistic: Type.Object({ intercept: num, coefficients: Type.Array(num), iterations: num, converged: Type.Boolean() }),
});
/** Gradient-boosted trees (trained by XGBoost): its saved model bytes, base64, read by `readBoostedTrees`. */
const boostedScorer = Type.Object({
  kind: Type.Literal('boosted_trees'),
  trainer: Type.String(),
  params: Type.Object({ maxDepth: num, eta: num, minChildWeight: num, subsample: num, colsampleByTree: num, rounds: num, seed: num }),
  trees: Type.String({ minLength: 1 }),
});
const scorer = Type.Union([logisticScorer, boostedScorer]);

/** The saved model: everything scoring needs, plus what it was trained on and how well it did. */
export const modelArtifact = Type.Object({
  format: Type.Literal(MODEL_FORMAT),
  formatVersion: num,
  version: Type.String({ minLength: 1 }),
  trainedAt: Type.String(),
  horizonDays: Type.Integer({ minimum: 1 }),
  inactivityDays: Type.Integer({ minimum: 1 }),
  confirmDays: Type.Integer({ minimum: 0 }),
  trainingWindow: Type.Object({
    trainCutoffs: Type.Array(Type.String()),
    calibrationShare: num,
    calibrationRows: num,
    validationCutoff: Type.String(),
    trainRows: num,
    trainPositives: num,
  }),
  columns: Type.Array(Type.Object({ name: Type.String(), factor: Type.String() })),
  encoder: Type.Object({
    medians: Type.Record(Type.String(), num),
    categories: Type.Record(Type.String(), Type.Array(Type.String())),
    inactivityDays: num,
  }),
  /** What turns the encoded row into a logit: the candidate `chooseCandidate` picked. */
  scorer,
  platt: Type.Object({ a: num, b: num }),
  /** Why the scorer's kind was chosen, with the figures. */
  choice: Type.String(),
  /** Every model kind trained on the same rows, and how each did: chosen by ROC AUC on the calibration members. */
  candidates: Type.Array(Type.Object({
    kind: modelKindSchema,
    chosen: Type.Boolean(),
    calibrationRocAuc: num,
    fitSeconds: num,
    validation: Type.Object({ lake: evaluation, truth: Type.Optional(evaluation) }),
  })),
  /** The lowest calibrated probability of each band (high ≥ high, medium ≥ medium, else low). */
  bands: Type.Object({ high: num, medium: num }),
  /** On the validation cut-off: against the lake's labels and, when a ground truth was given, against it. */
  evaluation: Type.Object({ lake: evaluationPair, truth: Type.Optional(evaluationPair) }),
});
export type ChurnModel = Static<typeof modelArtifact>;
export type LogisticScorer = Static<typeof logisticScorer>;
export type BoostedScorer = Static<typeof boostedScorer>;
export type Scorer = Static<typeof scorer>;
export type EvaluationPair = { model: Evaluation; baseline: Evaluation };

/** The model file cannot be used: corrupt, not a churn model, or from an incompatible version. */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/** Parses and checks a saved model; anything unusable is refused with what is wrong (never a silent default). */
export function parseModel(text: string, where = 'model file'): ChurnModel {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ModelFileError(`${where} is not JSON (${(err as Error).message}); retrain with \`npm run churn -- train\``);
  }
  const header = data as { format?: unknown; formatVersion?: unknown };
  if (header?.format !== MODEL_FORMAT) throw new ModelFileError(`${where} is not a churn model (format ${JSON.stringify(header?.format)})`);
  if (header.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelFileError(`${where} is model format version ${JSON.stringify(header.formatVersion)}; this code reads version ${MODEL_FORMAT_VERSION}: retrain with \`npm run churn -- train\``);
  }
  if (!Value.Check(modelArtifact, data)) {
    const first = Value.Errors(modelArtifact, data)[0];
    throw new ModelFileError(`${where} is damaged: ${first ? `${first.instancePath || '/'} ${first.message}` : 'it does not match the model schema'}`);
  }
  const m = data as ChurnModel;
  const width = m.columns.length;
  const expected = encodedColumns(toEncoder(m)).map((c) => c.name);
  if (expected.join('\n') !== m.columns.map((c) => c.name).join('\n')) throw new ModelFileError(`${where} lists columns this code does not encode: retrain with \`npm run churn -- train\``);
  const numbers = [m.platt.a, m.platt.b];
  if (m.scorer.kind === 'logistic') {
    const { scaler, logistic } = m.scorer;
    if (scaler.mean.length !== width || scaler.sd.length !== width || logistic.coefficients.length !== width) {
      throw new ModelFileError(`${where} is damaged: ${width} columns but ${scaler.mean.length} scaler means and ${logistic.coefficients.length} coefficients`);
    }
    numbers.push(...scaler.mean, ...scaler.sd, ...logistic.coefficients, logistic.intercept);
  } else {
    const trees = ensembleOf(m.scorer, where);
    if (trees.features !== width) throw new ModelFileError(`${where} is damaged: ${width} columns but trees over ${trees.features}`);
  }
  if (numbers.some((n) => !Number.isFinite(n))) throw new ModelFileError(`${where} is damaged: it holds a number that is not finite`);
  return m;
}

const ensembles = new WeakMap<BoostedScorer, TreeEnsemble>();

/** The trees of a boosted model, read once per model object (scoring a lake's members reuses them). */
function ensembleOf(s: BoostedScorer, where = 'model file'): TreeEnsemble {
  let trees = ensembles.get(s);
  if (!trees) {
    const bytes = Buffer.from(s.trees, 'base64');
    try {
      trees = readBoostedTrees(bytes);
    } catch (err) {
      if (err instanceof BoostedTreesFormatError) throw new ModelFileError(`${where} is damaged: ${err.message}; retrain with \`npm run churn -- train\``);
      throw err;
    }
    ensembles.set(s, trees);
  }
  return trees;
}

export function toEncoder(m: Pick<ChurnModel, 'encoder'>): Encoder {
  const { medians, categories, inactivityDays } = m.encoder;
  for (const n of IMPUTED) if (typeof medians[n] !== 'number') throw new ModelFileError(`model file is damaged: no median for ${n}`);
  for (const n of CATEGORICAL) if (!Array.isArray(categories[n])) throw new ModelFileError(`model file is damaged: no categories for ${n}`);
  return { medians: medians as Encoder['medians'], categories: categories as Encoder['categories'], inactivityDays };
}

/** A content-derived version (the fitted model, not its evaluation or fit times): the same data and settings give the same version. */
export function modelVersion(m: Omit<ChurnModel, 'version' | 'trainedAt'>): string {
  const hash = createHash('sha256').update(JSON.stringify({ ...m, evaluation: undefined, candidates: undefined, choice: undefined })).digest('hex').slice(0, 10);
  return `churn-${m.trainingWindow.validationCutoff}-${hash}`;
}

export type Band = 'high' | 'medium' | 'low';
export type FactorExplanation = { factor: Factor; contribution: number; text: string };
export type MemberScore = { memberId: string; score: number; band: Band; topFactors: FactorExplanation[] };

export function bandOf(m: Pick<ChurnModel, 'bands'>, score: number): Band {
  return score >= m.bands.high ? 'high' : score >= m.bands.medium ? 'medium' : 'low';
}

/** Scores one member: calibrated probability of churning within the horizon, its band and the factors pushing it up most. */
export function scoreMember(m: ChurnModel, f: MemberFeatures, encoder = toEncoder(m), topN = 3): MemberScore {
  const row = encode(encoder, f);
  let raw: number;
  let parts: ArrayLike<number>;
  if (m.scorer.kind === 'logistic') {
    const z = standardise(m.scorer.scaler, row);
    raw = logit(m.scorer.logistic, z);
    parts = contributions(m.scorer.logistic, z);
  } else {
    const trees = ensembleOf(m.scorer);
    raw = treeMargin(trees, row);
    parts = treeContributions(trees, row);
  }
  const score = applyPlatt(m.platt, raw);
  if (!Number.isFinite(score)) throw new Error(`member ${f.member_id}: the model produced no score (${score})`);
  const byFactor = new Map<Factor, number>();
  m.columns.forEach((c, i) => byFactor.set(c.factor as Factor, (byFactor.get(c.factor as Factor) ?? 0) + (parts[i] ?? 0)));
  // Contributions are on the logit scale vs the average member; Platt's slope keeps their order and sign when positive.
  const topFactors = [...byFactor]
    .map(([factor, c]) => ({ factor, contribution: c * m.platt.a }))
    .filter((x) => x.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution || a.factor.localeCompare(b.factor))
    .slice(0, topN)
    .map((x) => ({ ...x, text: describeFactor(x.factor, f) }));
  return { memberId: f.member_id, score, band: bandOf(m, score), topFactors };
}

/** The model's logit for an encoded row, before calibration (what Platt scaling and the ROC AUC see). */
export function rawLogit(s: Scorer, row: Float64Array): number {
  return s.kind === 'logistic' ? logit(s.logistic, standardise(s.scaler, row)) : treeMargin(ensembleOf(s), row);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const pct = (x: number | null) => (x === null ? 'none' : `${Math.round(x * 100)}%`);

/** The factor in a studio manager's words, with this member's own value. */
export function describeFactor(factor: Factor, f: MemberFeatures): string {
  switch (factor) {
    case 'days_since_last_visit': return f.days_since_last_visit === null ? `no visit since joining ${plural(f.tenure_days, 'day')} ago` : `last visit ${plural(f.days_since_last_visit, 'day')} ago`;
    case 'visits_7d': return `${plural(f.visits_7d, 'visit')} in the last 7 days`;
    case 'visits_30d': return `${plural(f.visits_30d, 'visit')} in the last 30 days`;
    case 'visits_90d': return `${plural(f.visits_90d, 'visit')} in the last 90 days`;
    case 'visit_trend': return `visits ${f.visit_trend < 0 ? 'down' : f.visit_trend > 0 ? 'up' : 'flat'}: ${f.visits_30d} in the last 30 days vs ${f.visits_prev_30d} the 30 before`;
    case 'active_weeks_12w': return `came in ${plural(f.active_weeks_12w, 'week')} of the last 12`;
    case 'routine_share': return f.routine_share === null ? 'no weekly routine yet' : `${pct(f.routine_share)} of visits on their usual weekday`;
    case 'tenure_days': return `member for ${plural(f.tenure_days, 'day')}`;
    case 'age': return f.age === null ? 'age not given' : `age ${f.age}`;
    case 'bookings_90d': return `${plural(f.bookings_90d, 'class booking')} in 90 days`;
    case 'no_show_rate': return `no-shows: ${pct(f.no_show_rate)} of bookings`;
    case 'late_cancel_rate': return `late cancellations: ${pct(f.late_cancel_rate)} of bookings`;
    case 'booking_lead_hours': return f.booking_lead_hours === null ? 'books no classes' : `books ${Math.round(f.booking_lead_hours)} hours ahead on average`;
    case 'app_events_30d': return `${plural(f.app_events_30d, 'app action')} in 30 days (${f.app_events_prev_30d} the 30 before)`;
    case 'upcoming_bookings': return f.upcoming_bookings === 0 ? 'no classes booked ahead' : `${plural(f.upcoming_bookings, 'class', 'classes')} booked ahead`;
    case 'days_since_app': return f.days_since_app === null ? 'no app use in 60 days' : `last used the app ${plural(f.days_since_app, 'day')} ago`;
    case 'app_days_30d': return `used the app on ${plural(f.app_days_30d, 'day')} of the last 30`;
    case 'failed_payments_90d': return `${plural(f.failed_payments_90d, 'failed payment')} in 90 days`;
    case 'refunds_90d': return `${plural(f.refunds_90d, 'refund')} in 90 days`;
    case 'usual_class_fill': return f.usual_class_fill === null ? 'no classes attended lately' : `their classes run ${pct(f.usual_class_fill)} full`;
    case 'ratings_90d': return `${plural(f.ratings_90d, 'class rating')} given in 90 days`;
    case 'avg_rating_90d': return f.avg_rating_90d === null ? 'rated no classes lately' : `rates classes ${f.avg_rating_90d.toFixed(1)} stars on average`;
    case 'last_dues_amount': return f.last_dues_amount === null ? 'no membership payment in a year' : `pays ${f.last_dues_amount.toFixed(0)} per payment`;
    case 'days_since_last_dues': return f.days_since_last_dues === null ? 'no membership payment in a year' : `last membership payment ${plural(f.days_since_last_dues, 'day')} ago`;
    case 'plan': return `plan: ${f.plan}`;
    case 'home_location_id': return `home studio: ${f.home_location_id}`;
    case 'favourite_class_type': return f.favourite_class_type === null ? 'no favourite class type' : `favourite class: ${f.favourite_class_type}`;
    case 'favourite_time': return f.favourite_time === null ? 'no usual time' : `usually comes in the ${f.favourite_time}`;
  }
}
