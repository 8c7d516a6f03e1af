import { join } from 'node:path';
import { DATASET_NAMES, datasets } from '@peak/contracts';
import { buildPlan, runBatch } from '@peak/etl';
import { generate, type GenerateOptions } from '@peak/sample-data';

export type SampleLake = { lakeRoot: string; truthFile: string; start: string; end: string; timeZone: string };

/**
 * Generated exports run through the ETL into a lake folder, plus the generator's churn ground truth:
 * the world the tests, the benchmark and the evaluation report train and score on.
 */
export async function buildSampleLake(dir: string, options: Omit<GenerateOptions, 'out'>): Promise<SampleLake> {
  const exportsDir = join(dir, 'sample');
  const lakeRoot = join(dir, 'lake');
  const { manifest } = await generate({ ...options, out: exportsDir });
  // Members and classes first: the other datasets' references are checked against them.
  const order = [...DATASET_NAMES].sort((a, b) => Number(!['members', 'classes'].includes(a)) - Number(!['members', 'classes'].includes(b)));
  for (const name of order) {
    const format = manifest.formats[name];
    await runBatch({ plan: buildPlan(datasets[name]), inputFile: join(exportsDir, 'exports', `${name}.${format}`), format, outDir: lakeRoot, batchId: name, processedFiles: false });
  }
  return { lakeRoot, truthFile: join(exportsDir, 'truth', 'churn_labels.csv'), start: manifest.window.start, end: manifest.window.end, timeZone: manifest.window.timezone };
}
