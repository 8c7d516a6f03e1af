import type { Lake } from '@peak/lake';
import { ModelFileError, parseModel, type ChurnModel } from './model.js';
import { evaluateOn, type Example } from './train.js';

/** Models and their registry live under this lake prefix (the `models/` zone). */
export const CHURN_MODELS_PREFIX = 'models/churn/';
export const REGISTRY_KEY = `${CHURN_MODELS_PREFIX}registry.json`;
export const modelKey = (version: string): string => `${CHURN_MODELS_PREFIX}${version}.json`;

/** One training run's outcome: kept for the record whether or not it was promoted. */
export type RegistryEntry = {
  version: string;
  trainedAt: string;
  validationCutoff: string;
  /** The candidate's ROC AUC and Brier score on its validation cut-off (lake labels). */
  rocAuc: number;
  brier: number;
  /** The champion's on the same members, when there was one to compare with. */
  championRocAuc?: number;
  championBrier?: number;
  promoted: boolean;
  reason: string;
  decidedAt: string;
};

export type Registry = { champion: string | null; entries: RegistryEntry[] };

/** No promoted model yet, or the champion's file is missing: scoring cannot go on. */
export class NoModelError extends Error {
  override name = 'NoModelError';
}

/** How much worse a candidate's Brier score may be (calibration drifts a little between runs) and still be promoted. */
export const BRIER_TOLERANCE = 0.002;

export async function readRegistry(lake: Lake): Promise<Registry> {
  const bytes = await lake.getBytes(REGISTRY_KEY);
  if (!bytes) return { champion: null, entries: [] };
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ModelFileError(`${REGISTRY_KEY} in the lake is not JSON: delete it and retrain (every model file stays in the lake; the registry only names the champion)`);
  }
  const r = data as Partial<Registry>;
  if (!r || (r.champion !== null && typeof r.champion !== 'string') || !Array.isArray(r.entries)) {
    throw new ModelFileError(`${REGISTRY_KEY} in the lake is not a model registry: delete it and retrain`);
  }
  return { champion: r.champion, entries: r.entries };
}

export async function loadModel(lake: Lake, version: string): Promise<ChurnModel> {
  const bytes = await lake.getBytes(modelKey(version));
  if (!bytes) throw new NoModelError(`model ${version} is in the registry but its file ${modelKey(version)} is missing from the lake: retrain with \`npm run churn -- train\``);
  return parseModel(bytes.toString('utf8'), modelKey(version));
}

/** The promoted model scoring uses. */
export async function loadChampion(lake: Lake): Promise<ChurnModel> {
  const registry = await readRegistry(lake);
  if (registry.champion === null) throw new NoModelError('no churn model has been promoted yet: train one with `npm run churn -- train`');
  return loadModel(lake, registry.champion);
}

export type Decision = { promoted: boolean; reason: string; champion: string | null; entry: RegistryEntry };

/**
 * Saves the candidate (always: every trained model is a versioned artifact) and promotes it when it does at least
 * as well as the champion on the candidate's own validation members: ROC AUC not lower, Brier score not higher by
 * more than BRIER_TOLERANCE. A champion this code can no longer read is replaced (and the reason recorded).
 */
export async function registerModel(lake: Lake, candidate: ChurnModel, validation: readonly Example[], now = new Date()): Promise<Decision> {
  await lake.putBytes(modelKey(candidate.version), JSON.stringify(candidate, null, 1), { contentType: 'application/json' });
  const registry = await readRegistry(lake);
  const mine = candidate.evaluation.lake.model;
  const verdict = await compareWithChampion(lake, registry.champion, candidate, validation);
  const entry: RegistryEntry = {
    version: candidate.version, trainedAt: candidate.trainedAt, validationCutoff: candidate.trainingWindow.validationCutoff, rocAuc: mine.rocAuc, brier: mine.brier,
    ...verdict, decidedAt: now.toISOString(),
  };
  const next: Registry = { champion: verdict.promoted ? candidate.version : registry.champion, entries: [...registry.entries, entry] };
  await lake.putBytes(REGISTRY_KEY, JSON.stringify(next, null, 1), { contentType: 'application/json' });
  return { promoted: verdict.promoted, reason: verdict.reason, champion: next.champion, entry };
}

type Verdict = Pick<RegistryEntry, 'promoted' | 'reason' | 'championRocAuc' | 'championBrier'>;

async function compareWithChampion(lake: Lake, championVersion: string | null, candidate: ChurnModel, validation: readonly Example[]): Promise<Verdict> {
  if (championVersion === null) return { promoted: true, reason: 'first model' };
  if (championVersion === candidate.version) return { promoted: true, reason: 'same version as the champion (same data and settings)' };
  let champion: ChurnModel;
  try {
    champion = await loadModel(lake, championVersion);
  } catch (err) {
    if (!(err instanceof ModelFileError || err instanceof NoModelError)) throw err;
    return { promoted: true, reason: `the champion ${championVersion} cannot be used (${err.message})` };
  }
  const mine = candidate.evaluation.lake.model;
  const theirs = evaluateOn(champion, validation);
  const scores = { championRocAuc: theirs.rocAuc, championBrier: theirs.brier };
  const f = (x: number) => x.toFixed(4);
  if (mine.rocAuc < theirs.rocAuc) return { ...scores, promoted: false, reason: `ROC AUC ${f(mine.rocAuc)} is below the champion's ${f(theirs.rocAuc)} on the same members` };
  if (mine.brier > theirs.brier + BRIER_TOLERANCE) {
    return { ...scores, promoted: false, reason: `Brier score ${f(mine.brier)} is worse than the champion's ${f(theirs.brier)} by more than ${BRIER_TOLERANCE}` };
  }
  return { ...scores, promoted: true, reason: `ROC AUC ${f(mine.rocAuc)} ≥ the champion's ${f(theirs.rocAuc)}, Brier ${f(mine.brier)} vs ${f(theirs.brier)}` };
}
