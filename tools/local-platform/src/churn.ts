import { DuckDbEngine } from '@peak/analytics';
import { collectTrainingData, DEFAULT_SETTINGS, fitChurnModel, LabelWindowError, MODEL_KIND_NAMES, readTruth, registerModel, runScoring } from '@peak/churn';
import { FolderLake } from '@peak/lake';
import { seconds } from './time.js';

export type ChurnInfo = { modelVersion: string; promoted: boolean; members: number; asOf: string };

/**
 * After the samples are in: trains the churn model (evaluated against the generator's truth too), registers it and
 * scores today's members, as the scheduled jobs do in AWS — so the dashboard has scores from the first start.
 * Sample data too short to train on is told in one line, not a failed start.
 */
export async function prepareChurn(o: { lakeDir: string; timeZone: string; truthFile: string; log: (line: string) => void }): Promise<ChurnInfo | undefined> {
  const t0 = performance.now();
  const engine = new DuckDbEngine({ lakeRoot: o.lakeDir, timeZone: o.timeZone });
  const lake = new FolderLake(o.lakeDir);
  try {
    const data = await collectTrainingData(engine, DEFAULT_SETTINGS);
    const model = await fitChurnModel(data, DEFAULT_SETTINGS, await readTruth(o.truthFile));
    const decision = await registerModel(lake, model, data.validation);
    const scored = await runScoring(engine, lake);
    const truth = model.evaluation.truth;
    const auc = truth ? `ROC AUC ${truth.model.rocAuc.toFixed(3)} against the truth (days-since-last-visit baseline ${truth.baseline.rocAuc.toFixed(3)})` : '';
    o.log(`  ✓ churn model ${model.version} (${MODEL_KIND_NAMES[model.scorer.kind]}): ${auc}; ${decision.promoted ? 'promoted' : `not promoted (${decision.reason})`}`);
    o.log(`  ✓ churn scores: ${scored.members} members as of ${scored.asOf} (${scored.bands.high} high, ${scored.bands.medium} medium risk) in ${seconds(performance.now() - t0)}`);
    return { modelVersion: scored.modelVersion, promoted: decision.promoted, members: scored.members, asOf: scored.asOf };
  } catch (err) {
    if (!(err instanceof LabelWindowError)) throw err;
    o.log(`  – churn model not trained: ${err.message}`);
    return undefined;
  } finally {
    await engine.close();
  }
}
