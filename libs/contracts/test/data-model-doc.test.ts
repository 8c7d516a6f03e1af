import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { TSchema } from 'typebox';
import { churnLabel, columnMeta, datasets, dlqName, lakeZones, messages, queueList, type DatasetContract } from '@peak/contracts';
import { renderDataModel, starSchema } from '../src/docs/data-model.js';

const docPath = fileURLToPath(new URL('../../../docs/data-model.md', import.meta.url));
const committed = readFileSync(docPath, 'utf8');
const rendered = renderDataModel();

/** The part of the doc between an anchor and the next anchor or level-2 heading. */
function section(doc: string, anchorId: string): string {
  const start = doc.indexOf(`<a id="${anchorId}"></a>`);
  if (start < 0) return '';
  const rest = doc.slice(start + 1);
  const ends = [rest.indexOf('<a id='), rest.indexOf('\n## ')].filter((i) => i >= 0);
  return rest.slice(0, ends.length ? Math.min(...ends) : undefined);
}

t.test('docs/data-model.md is the rendering of the contracts', async (t) => {
  const a = committed.split('\n');
  const b = rendered.split('\n');
  const line = a.findIndex((l, i) => l !== b[i]);
  const where = line < 0 ? 'at the end' : `at line ${line + 1}`;
  t.ok(committed === rendered, `docs/data-model.md is out of date (first difference ${where}): run \`npm run docs:data-model\``);
  t.match(rendered, /npm run docs:data-model/, 'the doc says how it is regenerated');
});

t.test('every dataset column is in its dataset table, with its SQL type', async (t) => {
  for (const d of Object.values(datasets) as DatasetContract[]) {
    const part = section(rendered, `dataset-${d.name}`);
    t.ok(part, `${d.name} has a section`);
    for (const column of d.columns) {
      const sql = columnMeta(d.row.properties[column] as TSchema)['x-sql'];
      t.ok(part.includes(`| \`${column}\` | ${sql} |`), `${d.name}.${column} (${sql}) is documented`);
    }
    t.ok(part.includes(`UTC calendar date of \`${d.partitionBy}\``), `${d.name} states its dt partition`);
  }
});

t.test('every churn-label column is in the ground-truth section', async (t) => {
  const part = rendered.slice(rendered.indexOf('## Ground truth'));
  for (const column of Object.keys(churnLabel.properties)) t.ok(part.includes(`| \`${column}\` |`), `churn label ${column}`);
});

type Node = { properties?: Record<string, Node>; items?: Node; required?: string[] };

/** Field paths of a message, walked independently of the renderer; an embedded dataset row is one field. */
function fieldPaths(schema: Node, prefix = ''): string[] {
  const rows = Object.values(datasets).map((d) => d.row as unknown);
  return Object.entries(schema.properties ?? {}).flatMap(([name, prop]) => {
    const path = `${prefix}${name}`;
    if (rows.includes(prop)) return [path];
    const nested = prop.properties ? fieldPaths(prop, `${path}.`) : [];
    const inArray = prop.items?.properties ? fieldPaths(prop.items, `${path}[].`) : [];
    return [path, ...nested, ...inArray];
  });
}

t.test('every message field is in its message table', async (t) => {
  for (const [key, schema] of Object.entries(messages)) {
    const title = (schema as { title?: string }).title ?? key;
    const part = section(rendered, `message-${title}`);
    t.ok(part, `${title} has a section`);
    const paths = fieldPaths(schema as Node);
    t.ok(paths.length > 0, `${title} has fields`);
    for (const path of paths) t.ok(part.includes(`| \`${path}\` |`), `${title}: ${path} is documented`);
  }
  t.match(section(rendered, 'message-attendance-event'), /\| `checkin` \|[^\n]*\(#dataset-attendance\)/, 'checkin links to the attendance dataset');
});

t.test('queues, lake zones and the star schema are documented', async (t) => {
  const queuesPart = rendered.slice(rendered.indexOf('## Queues'));
  for (const q of queueList) {
    t.ok(queuesPart.includes(`| \`${q.name}\` | \`${dlqName(q)}\` | ${q.producer} → ${q.consumer} |`), `queue ${q.name}`);
  }
  for (const [zone, z] of Object.entries(lakeZones)) {
    t.ok(rendered.includes(`| ${zone} | \`${z.prefix}\` | ${z.retentionDays} days |`), `lake zone ${zone}`);
  }
  for (const table of ['fact_attendance', 'dim_members', 'dim_classes']) t.ok(rendered.includes(`### ${table}`), table);
});

t.test('star schema columns name real dataset columns as their source', async (t) => {
  for (const table of starSchema) {
    for (const c of table.columns) {
      const sources = [...c.from.matchAll(/\b([a-z]+)\.([a-z_]+)\b/g)];
      t.ok(sources.length > 0, `${table.table}.${c.name} names a source column`);
      for (const [, dataset, column] of sources) {
        const d = Object.values(datasets).find((x) => x.name === dataset);
        t.ok(d && column && (d.columns as readonly string[]).includes(column), `${table.table}.${c.name} ← ${dataset}.${column} exists`);
      }
    }
  }
});
