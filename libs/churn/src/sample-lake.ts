import { join } from 'node:path';
import { DATASET_NAMES, datasets } from '@peak/contracts';
import { buildPlan, runBatch } from '@peak/etl';
import { generate, type GenerateOptions } from '@peak/sample-data';
import { testCacheKey, withTestCache } from './test-cache.js';

export type SampleLake = { lakeRoot: string; truthFile: string; start: string; end: string; timeZone: string };
/** The generated window (from the generator's manifest): what a sample lake is besides its paths. */
export type SampleWindow = Pick<SampleLake, 'start' | 'end' | 'timeZone'>;

/**
 * Generated exports run through the ETL into a lake folder, plus the generator's churn ground truth:
 * the world the tests, the benchmark and the evaluation report train and score on.
 */
export async function buildSampleLake(dir: string, options: Omit<GenerateOptions, 'out'>): Promise<SampleLake> {
  // Many test files build the same lake: under scripts/test.sh (PEAK_TEST_CACHE_DIR) it is built once per run and copied.
  const window = await withTestCache(testCacheKey('sample-lake', options), dir, (out) => generateLake(out, options));
  return sampleLakeAt(dir, window);
}

/** The SampleLake whose files `buildSampleLake` put in `dir`. */
export function sampleLakeAt(dir: string, window: SampleWindow): SampleLake {
  return { lakeRoot: join(dir, 'lake'), truthFile: join(dir, 'sample', 'truth', 'churn_labels.csv'), start: window.start, end: window.end, timeZone: window.timeZone };
}

async function generateLake(dir: string, options: Omit<GenerateOptions, 'out'>): Promise<SampleWindow> {
  const exportsDir = join(dir, 'sample');
  const lakeRoot = join(dir, 'lake');
  const { manifest } = await generate({ ...options, out: exportsDir });
  // Members and classes first: the other datasets' references are checked against them.
  const order = [...DATASET_NAMES].sort((a, b) => Number(!['members', 'classes'].includes(a)) - Number(!['members', 'classes'].includes(b)));
  for (const name of order) {
    const format = manifest.formats[name];
    await runBatch({ plan: buildPlan(datasets[name]), inputFile: join(exportsDir, 'exports', `${name}.${format}`), format, outDir: lakeRoot, batchId: name, processedFiles: false });
  }
  return { start: manifest.window.start, end: manifest.window.end, timeZone: manifest.window.timezone };
}
