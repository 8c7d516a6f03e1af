import { join } from 'node:path';
import t from 'tap';
import { buildSampleLake, loadChampion, scoresKey } from '@peak/churn';
import { FolderLake } from '@peak/lake';
import { prepareChurn } from '../src/churn.js';

t.test('after the samples load, the churn model is trained, promoted and today\'s members scored', async (t) => {
  const dir = t.testdir();
  const lake = await buildSampleLake(dir, { members: 400, days: 260, end: '2026-06-30', seed: 9 });
  const lines: string[] = [];
  const churn = await prepareChurn({ lakeDir: lake.lakeRoot, timeZone: lake.timeZone, truthFile: lake.truthFile, log: (l) => lines.push(l) });
  t.ok(churn, 'trained');
  t.equal(churn?.asOf, '2026-06-30');
  t.equal(churn?.promoted, true);
  t.equal((await loadChampion(new FolderLake(lake.lakeRoot))).version, churn?.modelVersion, 'the model is the registry\'s champion');
  t.ok(await new FolderLake(lake.lakeRoot).head(scoresKey('2026-06-30')), 'the day\'s scores are in the lake');
  t.match(lines[0], /^ {2}✓ churn model churn-\S+ \((logistic regression|gradient-boosted trees)\): ROC AUC 0\.\d{3} against the truth \(days-since-last-visit baseline 0\.\d{3}\); promoted$/);
  t.match(lines[1], /^ {2}✓ churn scores: \d+ members as of 2026-06-30 \(\d+ high, \d+ medium risk\) in /);

  const short = await buildSampleLake(join(dir, 'short'), { members: 50, days: 30, end: '2026-06-30', seed: 9 });
  lines.length = 0;
  t.equal(await prepareChurn({ lakeDir: short.lakeRoot, timeZone: short.timeZone, truthFile: short.truthFile, log: (l) => lines.push(l) }), undefined, 'a month of data: no model');
  t.match(lines, [/^ {2}– churn model not trained: the lake's check-ins run from .* training needs at least \d+ days/], 'said in one line, not a failed start');
});
