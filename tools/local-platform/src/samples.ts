import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GenerateOptions, Manifest, Progress } from '@peak/sample-data';
import { seconds } from './time.js';

/** Generator options the launcher forwards (`out` is `<dataDir>/samples`; the generator's defaults fill the rest). */
export type SampleDataOptions = Omit<GenerateOptions, 'out' | 'force'>;
export type SampleProgress = Progress;
export type SamplesInfo = { dir: string; regenerated: boolean; manifest: Manifest };


async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Every file the manifest lists is there with its recorded size (a half-deleted folder is regenerated). */
async function filesIntact(dir: string, manifest: Manifest): Promise<boolean> {
  const sizes = await Promise.all(manifest.files.map((f) => stat(join(dir, f.file)).then((s) => s.size, () => -1)));
  return manifest.files.every((f, i) => sizes[i] === f.bytes);
}

/** Same generator options, whatever the manifest's JSON made of absent ones (missing, `null`). */
function sameOptions(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? null) === (b[k] ?? null));
}

/**
 * Sample data in `dir`, generated only when the manifest there was made with other options (or is
 * missing, or its files are not intact). The abort signal is honoured between progress steps.
 */
export async function ensureSamples(opts: {
  dir: string;
  options: SampleDataOptions;
  log: (line: string) => void;
  onProgress?: (p: SampleProgress) => void;
  signal: AbortSignal;
}): Promise<SamplesInfo> {
  // Loaded on demand: a launch without sample data never pays for the generator's modules.
  const { generate, resolveOptions } = await import('@peak/sample-data');
  const { out: _out, force: _force, ...wanted } = resolveOptions({ ...opts.options, out: opts.dir });
  const existing = await readManifest(opts.dir);
  const what = `${wanted.members} members, ${wanted.locations} locations, ${wanted.days} days to ${wanted.end}, seed ${wanted.seed}`;
  if (existing && sameOptions(existing.options, wanted) && (await filesIntact(opts.dir, existing))) {
    opts.log(`  ✓ samples          up to date (${what}) in ${opts.dir}`);
    return { dir: opts.dir, regenerated: false, manifest: existing };
  }
  opts.log(`  … samples          generating ${what} into ${opts.dir}`);
  const t0 = performance.now();
  const result = await generate({ ...opts.options, out: opts.dir, force: true }, (p) => {
    opts.signal.throwIfAborted(); // the manifest is written last, so an interrupted run is redone next time
    opts.onProgress?.(p);
  });
  opts.log(`  ✓ samples          generated in ${seconds(performance.now() - t0)}`);
  return { dir: opts.dir, regenerated: true, manifest: result.manifest };
}
