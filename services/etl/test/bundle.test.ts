import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { DuckDBConnection } from '@duckdb/node-api';
import { DATASET_NAMES, datasets, type DatasetName } from '@peak/contracts';
import { buildPlan, bundleToJson, jobBundle, runBatch, type Compression, type InputFormat, type JobBundle } from '@peak/etl';
import { runBundle } from './bundle-runner.js';
import { query, sampleExports } from './helpers.js';

// Golden files are committed; `UPDATE_GOLDEN=1 npx tap services/etl/test/bundle.test.ts` rewrites them after a deliberate change.
const GOLDEN = join(import.meta.dirname, 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

for (const name of DATASET_NAMES) {
  t.test(`${name}: the job bundle is plain JSON and stable`, async (t) => {
    const bundle = jobBundle(name);
    const json = bundleToJson(bundle);
    t.same(JSON.parse(json), bundle, 'the bundle is plain JSON data');
    const path = join(GOLDEN, `${name}.bundle.json`);
    if (update || !existsSync(path)) writeFileSync(path, json);
    t.equal(json, readFileSync(path, 'utf8'), `${name}.bundle.json matches its golden file (UPDATE_GOLDEN=1 to accept a change)`);
  });
}

/** Every SQL text DuckDB connections run while `fn` runs (the statements, not their results). */
async function statementsOf<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: Error; statements: string[] }> {
  const proto = DuckDBConnection.prototype;
  const { run, runAndReadAll } = proto;
  const statements: string[] = [];
  proto.run = function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
    statements.push(sql);
    return (run as (...a: unknown[]) => ReturnType<typeof run>).call(this, sql, ...rest);
  } as typeof run;
  proto.runAndReadAll = function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
    statements.push(sql);
    return (runAndReadAll as (...a: unknown[]) => ReturnType<typeof runAndReadAll>).call(this, sql, ...rest);
  } as typeof runAndReadAll;
  try {
    return { value: await fn(), statements };
  } catch (err) {
    return { error: err as Error, statements };
  } finally {
    proto.run = run;
    proto.runAndReadAll = runAndReadAll;
  }
}

/** Statements that create or write something (queries and the executors' own probes left out), with outDir made neutral. */
const changes = (statements: string[], outDir: string) =>
  statements.map((s) => s.replaceAll(outDir, '<out>')).filter((s) => !/^(SELECT|WITH|--)/.test(s.trimStart()) || /^-- (later_duplicates|rejected_records)/.test(s));

type Case = { dataset: DatasetName; file: string; format: InputFormat; compression?: Compression; batchId: string };

/**
 * runBatch and the bundle (run by a second executor that knows only the bundle) over the same file:
 * same counts, same processed rows, same quarantine rows, and the same statements that change anything.
 */
async function sameAsRunBatch(t: Test, dir: string, c: Case, referenceFiles: Partial<Record<DatasetName, string[]>>): Promise<void> {
  const compression = c.compression ?? 'none';
  const outA = join(dir, 'runBatch');
  const outB = join(dir, 'bundle');
  const knownRefs = Object.fromEntries(datasets[c.dataset].references.map((r) => [r.dataset, { parquetFiles: referenceFiles[r.dataset] ?? [] }]));
  const a = await statementsOf(() => runBatch({ plan: buildPlan(datasets[c.dataset]), inputFile: c.file, format: c.format, compression, outDir: outA, batchId: c.batchId, knownRefs }));
  const bundle: JobBundle = JSON.parse(bundleToJson(jobBundle(c.dataset))) as JobBundle; // as the job reads it
  const b = await statementsOf(() => runBundle({ bundle, inputFile: c.file, format: c.format, compression, outDir: outB, batchId: c.batchId, referenceFiles }));
  const expected = changes(a.statements, outA);
  t.ok(expected.length >= 2, `runBatch ran ${expected.length} statements that change something`);
  t.same(changes(b.statements, outB), expected, `the bundle ran the same ${expected.length}, in the same order`);
  if (a.error || b.error) {
    t.ok(a.error && b.error, `both fail (runBatch: ${a.error?.message}; bundle: ${b.error?.message})`);
    t.equal(b.error?.name, a.error?.name, 'with the same kind of error');
    t.equal(b.error?.message, a.error?.message, 'and the same message');
    return;
  }
  const ra = a.value;
  const rb = b.value;
  if (!ra || !rb) throw new Error('no result');
  t.same(
    { rowsIn: rb.rowsIn, rowsProcessed: rb.rowsProcessed, rowsQuarantined: rb.rowsQuarantined, reasons: rb.reasons, processedFiles: rb.processedFiles, quarantineFile: rb.quarantineFile },
    { rowsIn: ra.rowsIn, rowsProcessed: ra.rowsProcessed, rowsQuarantined: ra.rowsQuarantined, reasons: ra.reasons, processedFiles: ra.processedFiles, quarantineFile: ra.quarantineFile },
    `same counts and files (${ra.rowsIn} in, ${ra.rowsProcessed} processed, ${ra.rowsQuarantined} quarantined)`,
  );
  const list = (out: string, files: string[]) => `[${files.map((f) => `'${join(out, f)}'`).join(', ')}]`;
  if (ra.processedFiles.length > 0) {
    t.same(
      await query(`SELECT * FROM read_parquet(${list(outB, rb.processedFiles)}) ORDER BY ALL`),
      await query(`SELECT * FROM read_parquet(${list(outA, ra.processedFiles)}) ORDER BY ALL`),
      'the same processed rows',
    );
  }
  t.same(
    await query(`SELECT * FROM read_parquet('${join(outB, rb.quarantineFile)}') ORDER BY line`),
    await query(`SELECT * FROM read_parquet('${join(outA, ra.quarantineFile)}') ORDER BY line`),
    'the same quarantine rows',
  );
}

t.test('the bundle alone does what runBatch does', async (t) => {
  const top = t.testdir();
  const sample = join(top, 'sample');
  await sampleExports(sample, 0.05);
  const exportOf = (name: DatasetName) => join(sample, 'exports', `${name}.${name === 'engagement' ? 'ndjson' : 'csv'}`);

  // Members and classes processed first: their Parquet files are the references of the other datasets.
  const refsOut = join(top, 'refs');
  const referenceFiles: Partial<Record<DatasetName, string[]>> = {};
  for (const name of ['members', 'classes'] as const) {
    const r = await runBatch({ plan: buildPlan(datasets[name]), inputFile: exportOf(name), format: 'csv', outDir: refsOut, batchId: `ref-${name}` });
    referenceFiles[name] = r.processedFiles.map((f) => join(refsOut, f));
  }

  for (const name of DATASET_NAMES) {
    await t.test(`${name}: the dirty sample export`, async (t) => {
      const format = name === 'engagement' ? 'ndjson' : 'csv';
      await sameAsRunBatch(t, join(top, 'dirty'), { dataset: name, file: exportOf(name), format, batchId: `dirty-${name}` }, referenceFiles);
    });
  }

  await t.test('a second batch with the same rows: ALREADY_PROCESSED against the first batch\'s files', async (t) => {
    const out = join(top, 'twice');
    await sameAsRunBatch(t, out, { dataset: 'attendance', file: exportOf('attendance'), format: 'csv', batchId: 'first' }, referenceFiles);
    await sameAsRunBatch(t, out, { dataset: 'attendance', file: exportOf('attendance'), format: 'csv', batchId: 'second' }, referenceFiles);
  });

  await t.test('gzip CSV and gzip NDJSON', async (t) => {
    const gz = (name: DatasetName, ext: string) => {
      const file = join(top, `${name}.${ext}.gz`);
      writeFileSync(file, gzipSync(readFileSync(exportOf(name))));
      return file;
    };
    await sameAsRunBatch(t, join(top, 'gzip'), { dataset: 'transactions', file: gz('transactions', 'csv'), format: 'csv', compression: 'gzip', batchId: 'gz-csv' }, referenceFiles);
    await sameAsRunBatch(t, join(top, 'gzip'), { dataset: 'engagement', file: gz('engagement', 'ndjson'), format: 'ndjson', compression: 'gzip', batchId: 'gz-ndjson' }, referenceFiles);
  });

  await t.test('a JSON array (lines are element numbers), plain and gzip', async (t) => {
    const lines = readFileSync(exportOf('engagement'), 'latin1').split('\n').filter((l) => l.startsWith('{')).slice(0, 40);
    const file = join(top, 'engagement.json');
    writeFileSync(file, `[\n${[...lines, '{"event_id": 5}', '"not an object"'].join(',\n')}\n]\n`, 'latin1');
    await sameAsRunBatch(t, join(top, 'json'), { dataset: 'engagement', file, format: 'json', batchId: 'json-array' }, referenceFiles);
    writeFileSync(`${file}.gz`, gzipSync(readFileSync(file)));
    await sameAsRunBatch(t, join(top, 'json-gz'), { dataset: 'engagement', file: `${file}.gz`, format: 'json', compression: 'gzip', batchId: 'json-gz' }, referenceFiles);
  });

  await t.test('files without rows, and files that cannot be read as records', async (t) => {
    const write = (file: string, text: string) => (writeFileSync(join(top, file), text), join(top, file));
    const header = 'member_id,email,first_name,last_name,home_location_id,join_date,plan,status,cancelled_on,birth_year,marketing_opt_in,updated_at';
    const cases: [string, Case][] = [
      ['an empty file', { dataset: 'members', file: write('empty.csv', ''), format: 'csv', batchId: 'empty' }],
      ['a header only, with BOM and CRLF', { dataset: 'members', file: write('header.csv', `\ufeff${header}\r\n`), format: 'csv', batchId: 'header-only' }],
      ['columns in another order, one unknown, one missing', { dataset: 'members', file: write('order.csv', 'email,extra,member_id\nada@example.com,x,M000001\n'), format: 'csv', batchId: 'order' }],
      ['a column named twice', { dataset: 'members', file: write('twice.csv', 'member_id,member_id\nM1,M1\n'), format: 'csv', batchId: 'twice' }],
      ['a JSON array cut short', { dataset: 'engagement', file: write('cut.json', '[{"event_id": "E1"},'), format: 'json', batchId: 'cut' }],
      ['not a JSON array', { dataset: 'engagement', file: write('object.json', '{"event_id": "E1"}\n'), format: 'json', batchId: 'not-array' }],
      ['an empty NDJSON file', { dataset: 'engagement', file: write('empty.ndjson', ''), format: 'ndjson', batchId: 'empty-ndjson' }],
    ];
    for (const [what, c] of cases) await t.test(what, async (t) => sameAsRunBatch(t, join(top, 'edge'), c, referenceFiles));
  });
});
