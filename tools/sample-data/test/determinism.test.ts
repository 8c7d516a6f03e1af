import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { generateInto } from './helpers.js';

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

t.test('same seed and options give byte-identical output; another seed does not', async (t) => {
  const root = t.testdir({ a: {}, b: {}, c: {} });
  const options = { seed: 1234, members: 200, days: 60, dirty: 0.02 };
  await generateInto(join(root, 'a'), options);
  await generateInto(join(root, 'b'), options);
  await generateInto(join(root, 'c'), { ...options, seed: 1235 });
  const files = allFiles(join(root, 'a'));
  t.same(files, allFiles(join(root, 'b')));
  t.ok(files.includes('manifest.json') && files.includes('dirty-manifest.json') && files.includes('truth/churn_labels.csv'));
  for (const f of files) t.ok(readFileSync(join(root, 'a', f)).equals(readFileSync(join(root, 'b', f))), `${f} identical`);
  for (const f of ['exports/members.csv', 'exports/signups.csv', 'exports/engagement.ndjson']) {
    t.notOk(readFileSync(join(root, 'a', f)).equals(readFileSync(join(root, 'c', f))), `${f} differs for another seed`);
  }
});

t.test('a non-empty output folder needs force, which replaces only the generator files', async (t) => {
  const root = t.testdir({ out: { 'notes.txt': 'keep me' } });
  const out = join(root, 'out');
  await t.rejects(generateInto(out, { members: 20, days: 7 }), { code: 'OUT_DIR_NOT_EMPTY', message: /not empty; pass --force/ });
  await generateInto(out, { members: 20, days: 7, force: true });
  await generateInto(out, { members: 20, days: 7, force: true, format: 'json' });
  t.same(readdirSync(join(out, 'exports')).sort(), ['attendance.json', 'class_feedback.json', 'classes.json', 'engagement.json', 'members.json', 'signups.json', 'transactions.json'], 'old exports are gone');
  t.equal(readFileSync(join(out, 'notes.txt'), 'utf8'), 'keep me', 'other files stay');
});
