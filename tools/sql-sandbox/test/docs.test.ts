import { readFileSync } from 'node:fs';
import t from 'tap';
import { SqlSandbox } from '@peak/sql-sandbox';
import { tinyLake } from './helpers.js';

const doc = readFileSync(new URL('../../../docs/sandbox.md', import.meta.url), 'utf8');

/** The part of the doc about one view: its `### \`name\`` section, or its row in the dataset table. */
function sectionOf(view: string): string | undefined {
  const heading = doc.indexOf(`### \`${view}\``);
  if (heading >= 0) {
    const next = doc.slice(heading + 4).search(/^#{2,3} /m);
    return doc.slice(heading, next < 0 ? undefined : heading + 4 + next);
  }
  return doc.split('\n').find((line) => line.startsWith(`| \`${view}\` |`));
}

t.test('docs/sandbox.md lists every view and every column the sandbox has', async (t) => {
  const sandbox = await SqlSandbox.open({ lakeRoot: await tinyLake(t) });
  t.teardown(() => sandbox.close());
  for (const view of await sandbox.views()) {
    const section = sectionOf(view.name);
    t.ok(section, `${view.name} has a section or a row`);
    const missing = view.columns.filter((c) => !section?.includes(`\`${c.name}\``)).map((c) => c.name);
    t.same(missing, [], `${view.name}: every column is listed`);
  }
});

t.test("docs/sandbox.md's example queries run in the sandbox", async (t) => {
  const sandbox = await SqlSandbox.open({ lakeRoot: await tinyLake(t) });
  t.teardown(() => sandbox.close());
  const examples = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  t.ok(examples.length >= 6, `${examples.length} examples`);
  for (const sql of examples) {
    const result = await sandbox.query(sql).catch((err: Error) => err);
    t.notOk(result instanceof Error, `runs: ${sql.split('\n')[0]}${result instanceof Error ? `\n${result.message}` : ''}`);
  }
});
