import t from 'tap';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startPlatform } from '@peak/local-platform';
import { ensureSamples } from '../src/samples.js';
import { tmpDataDir } from './helpers.js';

const tiny = { members: 30, days: 5, locations: 1, end: '2026-01-31' };

t.test('sample data is generated once, and again only when the options or the files change', async (t) => {
  const dir = join(await tmpDataDir(t), 'samples');
  const lines: string[] = [];
  const run = (options = tiny) => ensureSamples({ dir, options, log: (l) => lines.push(l), signal: new AbortController().signal });

  t.equal((await run()).regenerated, true, 'first start generates');
  t.equal((await run()).regenerated, false, 'same options: kept');
  t.match(lines.at(-1), /up to date \(30 members, 1 locations, 5 days to 2026-01-31, seed 42\)/);
  t.equal((await run({ ...tiny, days: 6 })).regenerated, true, 'other options: regenerated');
  await rm(join(dir, 'exports', 'members.csv'));
  t.equal((await run({ ...tiny, days: 6 })).regenerated, true, 'a missing file: regenerated');
});

t.test('an abort during generation stops it (the manifest is not written, so the next start redoes it)', async (t) => {
  const dir = join(await tmpDataDir(t), 'samples');
  const ac = new AbortController();
  ac.abort();
  await t.rejects(ensureSamples({ dir, options: tiny, log: () => undefined, signal: ac.signal }));
  const again = await ensureSamples({ dir, options: tiny, log: () => undefined, signal: new AbortController().signal });
  t.equal(again.regenerated, true);
});

t.test('startPlatform generates into <dataDir>/samples and reports it', async (t) => {
  const dataDir = await tmpDataDir(t);
  const platform = await startPlatform({ ports: 'random', dataDir, parts: [], sampleData: tiny });
  t.teardown(() => platform.stop());
  t.equal(platform.samples?.dir, join(dataDir, 'samples'));
  t.equal(platform.samples?.manifest.options.members, 30);
});
