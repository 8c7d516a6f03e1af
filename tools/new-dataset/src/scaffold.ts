import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetNames, type DatasetNames } from './names.js';
import { NewDatasetError, newDatasetErrorCodes } from './errors.js';

/** The repository this tool lives in: where files are written unless told otherwise. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TEMPLATE_DIR = fileURLToPath(new URL('../templates/', import.meta.url));

/** What each template becomes, relative to the repository root (placeholders allowed in the target too). */
export const TEMPLATES = [
  { template: 'contract.ts.tmpl', target: 'libs/contracts/src/datasets/{{kebab}}.ts', what: 'the contract: columns, closed values, ranges, key, partition, references' },
  { template: 'metric.ts.tmpl', target: 'libs/analytics/src/metrics/{{kebab}}.ts', what: 'a first metric over fact_{{name}}, honouring the standard filters' },
  { template: 'metric-test.ts.tmpl', target: 'libs/analytics/test/{{kebab}}.test.ts', what: 'its test: the SQL against an answer computed by loops' },
] as const;

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/** Fills `{{name}}`, `{{kebab}}`, `{{camel}}`, `{{Pascal}}`, `{{CONSTANT}}` and `{{title}}`; an unknown placeholder is a bug in the template. */
export function render(text: string, names: DatasetNames): string {
  return text.replace(PLACEHOLDER, (whole, key: string) => {
    if (!Object.hasOwn(names, key)) throw new Error(`unknown placeholder ${whole} in a template`);
    return names[key as keyof DatasetNames];
  });
}

export type ScaffoldFile = { path: string; content: string; what: string };

/** The files a new dataset starts with, rendered; refuses a bad or taken name, and any file that exists already. */
export function planScaffold(name: string, root: string = REPO_ROOT): { names: DatasetNames; files: ScaffoldFile[] } {
  const names = datasetNames(name);
  const files = TEMPLATES.map((t) => ({
    path: render(t.target, names),
    content: render(readFileSync(join(TEMPLATE_DIR, t.template), 'utf8'), names),
    what: render(t.what, names),
  }));
  const taken = files.filter((f) => existsSync(resolve(root, f.path))).map((f) => f.path);
  if (taken.length > 0) {
    throw new NewDatasetError(`${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}; nothing was written (remove them, or pick another name)`, newDatasetErrorCodes.fileExists);
  }
  return { names, files };
}

/** Writes the planned files (each created, never overwritten); returns their paths. */
export function writeScaffold(files: readonly ScaffoldFile[], root: string = REPO_ROOT): string[] {
  for (const f of files) {
    const path = resolve(root, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content, { flag: 'wx' });
  }
  return files.map((f) => f.path);
}

/** What the scaffold cannot do for you, in order (docs/etl-templates.md explains each step). */
export function nextSteps(n: DatasetNames): string[] {
  return [
    `Contract: fill in libs/contracts/src/datasets/${n.kebab}.ts (every TODO: columns, closed values and ranges, source, key, partition, references).`,
    `Register it in libs/contracts: add '${n.name}' to DATASET_NAMES in src/dataset.ts; in src/datasets/index.ts import { ${n.camel} } from './${n.kebab}.js', ` +
      `add ${n.name}: ${n.camel} to \`datasets\`, and re-export it (export { ${n.camel}, type ${n.Pascal}Row } from './${n.kebab}.js').`,
    `npx tsc --noEmit -p . — it names every Record<DatasetName, …> that now needs a ${n.name} entry (sample data formats and writers, the benchmark lake, the Glue columns test).`,
    `Plan: UPDATE_GOLDEN=1 npx tap services/etl/test/plan.test.ts services/etl/test/bundle.test.ts writes the ETL plan, DuckDB/Spark SQL and Glue job bundle goldens of ${n.name}; review them. Then npm run docs:data-model.`,
    `Table: add { dataset: '${n.name}', timeColumn: 'occurred_at', description } to LOCAL_FACTS in libs/analytics/src/views.ts (fact_${n.name}: local day, weekday, hour); ` +
      `list ${n.name} and fact_${n.name} in docs/sandbox.md.`,
    `Metric: edit libs/analytics/src/metrics/${n.kebab}.ts; in libs/analytics/src/metrics/catalog.ts add import { ${n.camel}Daily } from './${n.kebab}.js' and ${n.camel}Daily at the end of METRICS; npm run docs:metrics.`,
    `Test: give libs/analytics/test/${n.kebab}.test.ts rows with your data's awkward cases; add ${n.name} rows to the example world (libs/analytics/src/fixtures/example-world.ts) for the docs example.`,
    `Sample data: generate ${n.name} rows in tools/sample-data (writer in src/index.ts, behaviour in src/simulate.ts, parameters in src/model.ts) so npm start loads some; add ${n.name} to the dataset lists of test/e2e/smoke.test.ts and services/ingest/test/batches.test.ts.`,
    'Check: npx tsc --noEmit -p ., npx eslint ., and the tests listed in docs/etl-templates.md.',
  ];
}
