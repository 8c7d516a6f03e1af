/**
 * The templates, rendered for a dataset that does not exist (`demo_ratings`), checked the way the platform uses them:
 * - type-checked with the repository's compiler options, at the paths the scaffold writes them to, with the
 *   registration of step 2 applied in memory (nothing is written into the repository);
 * - the contract loaded and run through the real ETL (plan, DuckDB executor): valid rows land, bad ones are quarantined;
 * - the metric's SQL checked as every catalog metric is (portable, parameters only in WHERE) and run on DuckDB.
 * Running the rendered test itself needs the dataset registered for real: docs/etl-templates.md shows that by hand.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import ts from 'typescript';
import { checkPortableSql, DuckDbEngine, EXAMPLE_ZONE, placeholdersOutsideWhere, writeExampleLake, type MetricDefinition } from '@peak/analytics';
import { columnMeta, type DatasetContract } from '@peak/contracts';
import { buildPlan, renderDuckdb, renderSpark, runBatch } from '@peak/etl';
import { planScaffold, REPO_ROOT } from '../src/index.js';

const { names, files } = planScaffold('demo_ratings', t.testdir());
const [contractFile, metricFile, testFile] = files.map((f) => ({ ...f, abs: resolve(REPO_ROOT, f.path) })) as [
  (typeof files)[number] & { abs: string },
  (typeof files)[number] & { abs: string },
  (typeof files)[number] & { abs: string },
];

/** Step 2 of the next steps, as text edits: the name in DATASET_NAMES, the contract in the `datasets` map. */
function registered(): Map<string, string> {
  const datasetTs = join(REPO_ROOT, 'libs/contracts/src/dataset.ts');
  const indexTs = join(REPO_ROOT, 'libs/contracts/src/datasets/index.ts');
  const nameList = readFileSync(datasetTs, 'utf8').replace(/(export const DATASET_NAMES = \[[^\]]*)\] as const;/, `$1, '${names.name}'] as const;`);
  const index = readFileSync(indexTs, 'utf8')
    .replace(/^/, `import { ${names.camel} } from './${names.kebab}.js';\n`)
    .replace(/(export const datasets = \{[^}]*)\}/, `$1, ${names.name}: ${names.camel} }`);
  return new Map([[datasetTs, nameList], [indexTs, index]]);
}

/** Compiler errors of the rendered files (and everything they import), with `overlay` files in place of the disk's. */
function typeErrors(overlay: Map<string, string>): string[] {
  const { config } = ts.readConfigFile(join(REPO_ROOT, 'tsconfig.base.json'), (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, REPO_ROOT);
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => overlay.has(f) || fileExists.call(host, f);
  host.readFile = (f) => overlay.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, language, onError, create) => {
    const text = overlay.get(f);
    return text === undefined ? getSourceFile.call(host, f, language, onError, create) : ts.createSourceFile(f, text, language);
  };
  const program = ts.createProgram({ rootNames: [contractFile.abs, metricFile.abs, testFile.abs], options, host });
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? `${d.file.fileName.slice(REPO_ROOT.length)}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

const rendered = new Map([contractFile, metricFile, testFile].map((f) => [f.abs, f.content]));

t.test('the rendered files type-check once the dataset is registered as step 2 says', async (t) => {
  t.same(typeErrors(new Map([...rendered, ...registered()])), [], 'no compiler errors');
});

t.test('…and do not before (the check can fail)', async (t) => {
  const errors = typeErrors(rendered);
  t.ok(errors.some((e) => e.includes(`'"${names.name}"' is not assignable`)), `an unregistered name is a type error: ${errors[0]}`);
});

/** Loads a rendered module from a temp folder, its relative imports pointed at the real modules beside its target. */
async function load<T>(file: { abs: string; content: string }, dir: string): Promise<T> {
  const source = file.content.replace(/from '(\.\.?\/[^']+)\.js'/g, (_, rel: string) => `from '${pathToFileURL(resolve(dirname(file.abs), `${rel}.ts`)).href}'`);
  const path = join(dir, 'module.ts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  writeFileSync(path, source);
  return (await import(pathToFileURL(path).href)) as T;
}

t.test('the contract goes through the real ETL: examples land, a bad value and an unknown member are quarantined', async (t) => {
  const dir = t.testdir();
  const contract = (await load<Record<string, DatasetContract>>(contractFile, join(dir, 'contract')))[names.camel] as DatasetContract;
  t.equal(contract.name, names.name);
  const plan = buildPlan(contract);
  t.ok(renderDuckdb(plan).sql.length > 0 && renderSpark(plan).sql.length > 0, 'DuckDB and Spark SQL render');

  const example = (c: string) => String(columnMeta(contract.row.properties[c] as never).examples?.[0] ?? '');
  const key = contract.primaryKey[0] as string;
  const row = (changes: Record<string, string>) => contract.columns.map((c) => changes[c] ?? example(c)).join(',');
  const csv = [
    contract.columns.join(','),
    row({}),
    row({ [key]: 'X0000002', member_id: 'M000001' }),
    row({ [key]: 'X0000003', kind: 'not_a_kind' }),
    row({ [key]: 'X0000004', member_id: 'M999999' }),
  ].join('\n');
  writeFileSync(join(dir, 'batch.csv'), `${csv}\n`);
  const result = await runBatch({ plan, inputFile: join(dir, 'batch.csv'), format: 'csv', outDir: join(dir, 'lake'), knownRefs: { members: ['M000042', 'M000001'] } });
  t.match(result, { rowsIn: 4, rowsProcessed: 2, rowsQuarantined: 2, reasons: { NOT_ALLOWED_VALUE: 1, UNKNOWN_REFERENCE: 1 }, partitions: ['dt=2026-01-05'] });
  t.same(result.referencesChecked, ['known_members'], 'the reference to members is checked');
});

t.test('the metric: portable SQL, parameters only in WHERE, and it runs on DuckDB', async (t) => {
  const dir = t.testdir();
  const metric = (await load<Record<string, MetricDefinition>>(metricFile, join(dir, 'metric')))[`${names.camel}Daily`] as MetricDefinition;
  t.equal(metric.id, `${names.name}_daily`);
  const filterSets = [{}, { location: 'downtown' }, { classType: 'spin', instructor: 'I02' }];
  for (const f of filterSets) {
    const built = metric.build({ from: '2026-02-01', to: '2026-03-31', ...f }, {});
    t.same(checkPortableSql(built.text).map((p) => p.id), [], `${JSON.stringify(f)}: portable`);
    t.same(placeholdersOutsideWhere(built.text), [], `${JSON.stringify(f)}: parameters only in WHERE`);
    t.equal(built.params.length, built.text.split('?').length - 1, 'one value per placeholder');
  }

  // fact_demo_ratings stands in for the LOCAL_FACTS view the next steps add: members of the example world, one row a day.
  const lake = join(dir, 'lake');
  await writeExampleLake(lake);
  const engine = new DuckDbEngine({ lakeRoot: lake, timeZone: EXAMPLE_ZONE });
  t.teardown(() => engine.close());
  const con = await engine.connect();
  await con.run(`CREATE VIEW fact_${names.name} AS
    SELECT 'X' || i AS ${names.name}_id, 'M' || lpad(CAST(1 + i % 4 AS VARCHAR), 6, '0') AS member_id, DATE '2026-02-01' + CAST(i // 3 AS INTEGER) AS local_date,
      DATE '2026-02-01' + CAST(i // 3 AS INTEGER) AS dt
    FROM range(0, 12) AS r(i)`);
  con.closeSync();
  const built = metric.build({ from: '2026-02-02', to: '2026-02-03' }, {});
  const { rows } = await engine.query(built.text, { params: built.params });
  t.same(rows, [{ local_date: '2026-02-02', row_count: 3, members: 3 }, { local_date: '2026-02-03', row_count: 3, members: 3 }]);
});
