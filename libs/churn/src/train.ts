import { addDays, type QueryEngine } from '@peak/analytics';
import { encode, encodedColumns, fitEncoder } from './encode.js';
import { loadFeatures, type MemberFeatures } from './features.js';
import { lakeEnd, lakeStart, LabelWindowError, loadLabels, truthChurnedBy, type ChurnReason, type TruthRow } from './labels.js';
import { modelVersion, MODEL_FORMAT, MODEL_FORMAT_VERSION, MODEL_KIND_NAMES, MODEL_KINDS, rawLogit, scoreMember, type ChurnModel, type EvaluationPair, type ModelKind, type Scorer } from './model.js';
import { BOOSTED_TREES_TRAINER, DEFAULT_BOOSTING, trainBoostedTrees, type BoostingParams } from './ml/boosted-trees.js';
import { applyPlatt, evaluate, fitLogistic, fitPlatt, fitScaler, rocAuc, rocAucStandardError, standardise, type Evaluation, type Label } from './ml/index.js';

export type TrainingSettings = {
  /** Label: churned within this many days after the cut-off. */
  horizonDays: number;
  /** The stated churn definition's days without a check-in. */
  inactivityDays: number;
  /** Days after the label window a churner must also stay away (a pause followed by a return is no churn). */
  confirmDays: number;
  /** Days between training cut-offs. */
  stepDays: number;
  /** Days of history a cut-off needs before it (the features look back 90 days). */
  historyDays: number;
  /** Share of members (by id hash) whose training-period rows calibrate the probabilities instead of training. */
  calibrationShare: number;
  /** The model kinds trained on the same rows; `chooseCandidate` picks one (the simplest unless another clearly does better). */
  models: readonly ModelKind[];
  /** L2 penalty of the logistic regression (on standardised features). */
  l2: number;
  /** The gradient-boosted trees' settings. */
  boosting: BoostingParams;
  bands: { high: number; medium: number };
};

export const DEFAULT_SETTINGS: TrainingSettings = { horizonDays: 30, inactivityDays: 30, confirmDays: 30, calibrationShare: 0.2, stepDays: 14, historyDays: 90, models: MODEL_KINDS, l2: 1, boosting: DEFAULT_BOOSTING, bands: { high: 0.5, medium: 0.2 } };

export type CutoffPlan = { trainCutoffs: string[]; validationCutoff: string };

/**
 * Time-based split: validation = the last cut-off whose label span the data covers; training cut-offs every
 * `stepDays` back from one label span before it, so no training label window overlaps the validation one and nothing
 * of the evaluation period leaks into training. (Calibration holds out members, not time: see `isCalibrationMember`.)
 */
export function planCutoffs(start: string, end: string, s: Pick<TrainingSettings, 'horizonDays' | 'confirmDays' | 'stepDays' | 'historyDays'>): CutoffPlan {
  const span = s.horizonDays + s.confirmDays; // days of data a label needs after its cut-off
  const validationCutoff = addDays(end, -span);
  const earliest = addDays(start, s.historyDays - 1);
  const trainCutoffs: string[] = [];
  for (let c = addDays(validationCutoff, -span); c >= earliest; c = addDays(c, -s.stepDays)) trainCutoffs.unshift(c);
  if (trainCutoffs.length < 2) {
    const needed = s.historyDays + 2 * span + s.stepDays;
    throw new LabelWindowError(`the lake's check-ins run from ${start} to ${end}; training needs at least ${needed} days (${s.historyDays} of history, two training cut-offs ${s.stepDays} days apart and two label spans of ${span} days)`);
  }
  return { trainCutoffs, validationCutoff };
}

/**
 * Members whose rows calibrate instead of train: a fixed share chosen by a hash of the member id, so a member is in one
 * set only and the choice is the same on every run. Calibrating on held-out members of the same period (rather than on
 * a later cut-off) lets training use the most recent cut-offs.
 */
export function isCalibrationMember(memberId: string, share: number): boolean {
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < memberId.length; i++) h = Math.imul(h ^ memberId.charCodeAt(i), 0x01000193);
  return ((h >>> 0) % 1000) < share * 1000;
}

export type Example = { cutoff: string; features: MemberFeatures; churned: boolean; reason: ChurnReason | null };

/** The population at a cut-off with its features and lake labels. */
export async function collectExamples(engine: QueryEngine, cutoff: string, s: Pick<TrainingSettings, 'horizonDays' | 'inactivityDays' | 'confirmDays'>): Promise<Example[]> {
  const features = await loadFeatures(engine, { cutoff, inactivityDays: s.inactivityDays });
  const labels = await loadLabels(engine, features, { cutoff, horizonDays: s.horizonDays, inactivityDays: s.inactivityDays, confirmDays: s.confirmDays });
  return features.map((f, i) => ({ cutoff, features: f, churned: labels[i]?.churned ?? false, reason: labels[i]?.reason ?? null }));
}

/** The simple baseline the model must beat: days since the last visit (since joining when none), Platt-scaled. */
export const baselineSignal = (f: MemberFeatures) => f.days_since_last_visit ?? f.tenure_days;

const labelsOf = (xs: readonly Example[]): Label[] => xs.map((x) => (x.churned ? 1 : 0));

export type TrainingData = { plan: CutoffPlan; train: Example[]; calibration: Example[]; validation: Example[] };

export type ProgressFn = (step: string, done: number, total: number) => void;

/** Features and labels for every cut-off of the plan (one catalog query and one label query each). */
export async function collectTrainingData(engine: QueryEngine, s: TrainingSettings, onProgress?: ProgressFn): Promise<TrainingData> {
  const [start, end] = [await lakeStart(engine), await lakeEnd(engine)];
  if (start === undefined || end === undefined) throw new LabelWindowError('the lake has no check-ins yet: load attendance (and members) before training');
  const plan = planCutoffs(start, end, s);
  const all = [...plan.trainCutoffs, plan.validationCutoff];
  const sets: Example[][] = [];
  for (const [i, cutoff] of all.entries()) {
    onProgress?.(`cut-off ${cutoff}`, i, all.length);
    sets.push(await collectExamples(engine, cutoff, s));
  }
  onProgress?.('features and labels', all.length, all.length);
  const history = sets.slice(0, -1).flat();
  const held = (x: Example) => isCalibrationMember(x.features.member_id, s.calibrationShare);
  return { plan, train: history.filter((x) => !held(x)), calibration: history.filter(held), validation: sets.at(-1) ?? [] };
}

function checkBothClasses(xs: readonly Example[], what: string): void {
  const positives = xs.filter((x) => x.churned).length;
  if (xs.length === 0) throw new LabelWindowError(`no members in the ${what} set: the lake holds no members with recent check-ins`);
  if (positives === 0 || positives === xs.length) {
    throw new LabelWindowError(`the ${what} set has ${xs.length} members and ${positives === 0 ? 'no churners' : 'only churners'}: a churn model needs both; load more history`);
  }
}

/** How many distinct churners and stayers a set holds: the honest sample size when members repeat across cut-offs. */
export function distinctMembers(xs: readonly Example[]): { positives: number; negatives: number } {
  const [positives, negatives] = [new Set<string>(), new Set<string>()];
  for (const x of xs) (x.churned ? positives : negatives).add(x.features.member_id);
  return { positives: positives.size, negatives: negatives.size };
}

/**
 * The simplest kind wins unless a more complex one ranks the calibration members better by more than the standard
 * error of the simpler one's ROC AUC there (Hanley & McNeil, counting distinct members, not rows: a member appears at
 * several cut-offs, and counting rows would shrink the error). On a small lake a few members could otherwise swing the
 * choice to a model that merely looked better (and trees need more rows than a line to learn anything).
 */
export function chooseCandidate<C extends { kind: ModelKind; calibrationRocAuc: number }>(candidates: readonly C[], sample: { positives: number; negatives: number }): { best: C; choice: string } {
  const [first, ...rest] = candidates;
  if (!first) throw new Error('no candidates to choose from');
  let best = first;
  let choice = rest.length === 0 ? `${MODEL_KIND_NAMES[first.kind]}, the only kind trained` : '';
  for (const c of rest) {
    const se = rocAucStandardError(best.calibrationRocAuc, sample.positives, sample.negatives);
    const gain = c.calibrationRocAuc - best.calibrationRocAuc;
    const figures = `calibration ROC AUC ${c.calibrationRocAuc.toFixed(3)} vs ${best.calibrationRocAuc.toFixed(3)}, standard error ${se.toFixed(3)}`;
    if (gain > se) {
      choice = `${MODEL_KIND_NAMES[c.kind]}: it beats ${MODEL_KIND_NAMES[best.kind]} by more than the standard error (${figures})`;
      best = c;
    } else {
      choice = `${MODEL_KIND_NAMES[best.kind]}: ${MODEL_KIND_NAMES[c.kind]} does not beat it by more than the standard error (${figures})`;
    }
  }
  return { best, choice };
}

/** Fits one model kind on the encoded training rows. */
async function fitScorer(kind: ModelKind, rows: readonly Float64Array[], y: Label[], s: TrainingSettings): Promise<Scorer> {
  if (kind === 'logistic') {
    const scaler = fitScaler(rows);
    return { kind, scaler, logistic: fitLogistic(rows.map((r) => standardise(scaler, r)), y, { l2: s.l2 }) };
  }
  const bytes = await trainBoostedTrees(rows, y, s.boosting);
  return { kind, trainer: BOOSTED_TREES_TRAINER, params: { ...s.boosting }, trees: Buffer.from(bytes).toString('base64') };
}

/**
 * Fits the encoder on the training cut-offs, then every model kind of `s.models` on the same rows; each is
 * Platt-calibrated on the calibration members, and `chooseCandidate` picks the model by how well each ranks them.
 * Model and baseline are evaluated on the validation cut-off (against the truth too when given), and so is every
 * candidate, so the report shows what the choice was worth.
 */
export async function fitChurnModel(data: TrainingData, s: TrainingSettings, truth?: Map<string, TruthRow>, trainedAt = new Date().toISOString()): Promise<ChurnModel> {
  checkBothClasses(data.train, 'training');
  checkBothClasses(data.calibration, 'calibration');
  checkBothClasses(data.validation, 'validation');
  if (s.models.length === 0) throw new Error(`no model kinds to train: name at least one of ${MODEL_KINDS.join(', ')}`);
  const encoder = fitEncoder(data.train.map((x) => x.features), s.inactivityDays);
  const encodeAll = (xs: readonly Example[]) => xs.map((x) => encode(encoder, x.features));
  const [trainRows, calibrationRows, validationRows] = [encodeAll(data.train), encodeAll(data.calibration), encodeAll(data.validation)];
  const [calibrationY, lakeY] = [labelsOf(data.calibration), labelsOf(data.validation)];
  const truthY = truth && data.validation.map((x): Label => (truthChurnedBy(truth.get(x.features.member_id), x.cutoff, s.horizonDays, s.inactivityDays) ? 1 : 0));

  const candidates = [];
  // Simplest kind first: a later one must earn its place (below).
  for (const kind of MODEL_KINDS.filter((k) => s.models.includes(k))) {
    const t0 = performance.now();
    const scorer = await fitScorer(kind, trainRows, labelsOf(data.train), s);
    const fitSeconds = Math.round(performance.now() - t0) / 1000;
    const calibrationLogits = calibrationRows.map((r) => rawLogit(scorer, r));
    const platt = fitPlatt(calibrationLogits, calibrationY);
    const p = validationRows.map((r) => applyPlatt(platt, rawLogit(scorer, r)));
    candidates.push({ kind, scorer, platt, p, calibrationRocAuc: rocAuc(calibrationLogits.map((l) => applyPlatt(platt, l)), calibrationY) /* Platt keeps the order; rocAuc wants probabilities */, fitSeconds });
  }
  const { best, choice } = chooseCandidate(candidates, distinctMembers(data.calibration));
  const baseline = fitPlatt(data.calibration.map((x) => baselineSignal(x.features)), calibrationY);
  const baselineP = data.validation.map((x) => applyPlatt(baseline, baselineSignal(x.features)));
  const pair = (y: Label[]): EvaluationPair => ({ model: evaluate(best.p, y), baseline: evaluate(baselineP, y) });

  const body = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    horizonDays: s.horizonDays,
    inactivityDays: s.inactivityDays,
    confirmDays: s.confirmDays,
    trainingWindow: {
      trainCutoffs: data.plan.trainCutoffs,
      calibrationShare: s.calibrationShare,
      calibrationRows: data.calibration.length,
      validationCutoff: data.plan.validationCutoff,
      trainRows: data.train.length,
      trainPositives: data.train.filter((x) => x.churned).length,
    },
    columns: encodedColumns(encoder),
    encoder,
    scorer: best.scorer,
    platt: best.platt,
    choice,
    candidates: candidates.map((c) => {
      const validation: { lake: Evaluation; truth?: Evaluation } = { lake: evaluate(c.p, lakeY) };
      if (truthY) validation.truth = evaluate(c.p, truthY);
      return { kind: c.kind, chosen: c === best, calibrationRocAuc: c.calibrationRocAuc, fitSeconds: c.fitSeconds, validation };
    }),
    bands: s.bands,
    evaluation: { lake: pair(lakeY), ...(truthY ? { truth: pair(truthY) } : {}) },
  } as const;
  return { ...body, version: modelVersion(body), trainedAt };
}

/** Another model evaluated on the same validation examples (the registry compares a candidate with the champion this way). */
export function evaluateOn(m: ChurnModel, validation: readonly Example[]): ReturnType<typeof evaluate> {
  return evaluate(validation.map((x) => scoreMember(m, x.features).score), labelsOf(validation));
}
