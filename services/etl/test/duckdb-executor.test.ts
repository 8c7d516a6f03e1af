import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DATASET_NAMES, datasets, type DatasetName } from '@peak/contracts';
import { buildPlan, runBatch } from '@peak/etl';
import { knownIdsFrom, query, sampleExports } from './helpers.js';

const formatOf = (name: DatasetName) => (name === 'engagement' ? 'ndjson' : 'csv') as 'csv' | 'ndjson';
const dataLines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length;

t.test('clean exports: nothing quarantined, typed Parquet partitioned by date, idempotent re-run', async (t) => {
  const dir = t.testdir();
  await sampleExports(dir);
  const knownRefs = knownIdsFrom(dir);
  const out = join(dir, 'lake');
  for (const name of DATASET_NAMES) {
    const inputFile = join(dir, 'exports', `${name}.${formatOf(name)}`);
    const plan = buildPlan(datasets[name]);
    const r = await runBatch({ plan, inputFile, format: formatOf(name), outDir: out, knownRefs });
    const expected = formatOf(name) === 'csv' ? dataLines(inputFile) - 1 : dataLines(inputFile);
    t.equal(r.rowsIn, expected, `${name}: every record read`);
    t.equal(r.rowsQuarantined, 0, `${name}: nothing quarantined (${JSON.stringify(r.reasons)})`);
    t.equal(r.rowsProcessed, r.rowsIn, `${name}: conservation`);
    t.same(r.referencesChecked, datasets[name].references.map((x) => `known_${x.dataset}`), `${name}: FK checks ran`);
    const parts = readdirSync(join(out, 'processed', name)).sort();
    t.same(parts, r.partitions, `${name}: folders are the reported partitions`);
    t.ok(parts.every((p) => /^dt=\d{4}-\d{2}-\d{2}$/.test(p)), `${name}: partitions named by date`);
    const glob = join(out, 'processed', name, '*', '*.parquet');
    const [n] = await query(`SELECT count(*) AS n FROM read_parquet('${glob}')`);
    t.equal(Number(n?.n), r.rowsIn, `${name}: Parquet holds every row`);

    // Types come from the contract's x-sql, and dt is the UTC date of partitionBy.
    const described = await query(`DESCRIBE SELECT * FROM read_parquet('${glob}', hive_partitioning = false)`);
    const types = Object.fromEntries(described.map((c) => [String(c.column_name), String(c.column_type)]));
    for (const c of plan.columns) t.equal(types[c.name], c.sqlType, `${name}.${c.name} is ${c.sqlType}`);
    const [bad] = await query(`SELECT count(*) AS n FROM read_parquet('${glob}', hive_partitioning = true)
      WHERE CAST(dt AS DATE) <> CAST("${datasets[name].partitionBy}" AS DATE)`);
    t.equal(Number(bad?.n), 0, `${name}: every row sits in its own dt folder`);

    // Re-running the same batch rewrites the same files with the same rows.
    const before = await query(`SELECT * FROM read_parquet('${glob}', filename = true) ORDER BY ALL`);
    const again = await runBatch({ plan, inputFile, format: formatOf(name), outDir: out, knownRefs });
    t.same(again, r, `${name}: same counts on re-run`);
    const after = await query(`SELECT * FROM read_parquet('${glob}', filename = true) ORDER BY ALL`);
    t.same(after, before, `${name}: same rows and files on re-run`);
  }
});

t.test('a second batch of a dataset leaves the first batch in place; rows it already loaded are ALREADY_PROCESSED', async (t) => {
  const header = 'event_id,member_id,occurred_at,event_type,platform,session_id,duration_seconds\n';
  const dir = t.testdir({
    'a.csv': `${header}E1,M000001,2026-01-05T06:30:12Z,app_open,ios,,\n`,
    'b.csv': `${header}E1,M000001,2026-01-05T06:30:12Z,app_open,ios,,\nE2,M000001,2026-01-05T07:30:12Z,app_open,ios,,\n`,
  });
  const plan = buildPlan(datasets.engagement);
  const out = join(dir, 'lake');
  const first = await runBatch({ plan, inputFile: join(dir, 'a.csv'), format: 'csv', outDir: out, batchId: 'b1' });
  t.ok(first.processedKeysChecked, 'the check against earlier batches ran (there were none)');
  const second = await runBatch({ plan, inputFile: join(dir, 'b.csv'), format: 'csv', outDir: out, batchId: 'b2' });
  t.same(readdirSync(join(out, 'processed/engagement/dt=2026-01-05')).sort(), ['b1__0.parquet', 'b2__0.parquet']);
  t.match(second, { rowsIn: 2, rowsProcessed: 1, rowsQuarantined: 1, reasons: { ALREADY_PROCESSED: 1 } });
  const [q] = await query(`SELECT line, reasons FROM read_parquet('${join(out, 'quarantine/engagement/b2.parquet')}')`);
  t.same(q, { line: '2', reasons: ['ALREADY_PROCESSED'] }, 'E1 was loaded by b1');
  t.ok(statSync(join(out, 'quarantine/engagement/b1.parquet')).isFile(), 'an empty quarantine file is still written (the batch ran)');
  const rerun = await runBatch({ plan, inputFile: join(dir, 'a.csv'), format: 'csv', outDir: out, batchId: 'b1' });
  t.same(rerun, first, 're-running b1 ignores its own earlier output');
});

t.test('a badly formed reference is reported as both BAD_FORMAT and UNKNOWN_REFERENCE; a known one passes', async (t) => {
  const dir = t.testdir();
  const csv = join(dir, 'attendance.csv');
  const long = `M${'9'.repeat(70)}`;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(csv, [
    'checkin_id,member_id,class_id,location_id,checked_in_at,method',
    'K1,M000001,C0000001,downtown,2026-03-01T15:00:00Z,card',
    'K2,M 2,C0000001,downtown,2026-03-01T15:00:00Z,card',
    `K3,${long},C0000001,downtown,2026-03-01T15:00:00Z,card`,
    'K4,M000001,C/1,downtown,2026-03-01T15:00:00Z,card',
  ].join('\n'));
  const out = join(dir, 'lake');
  const r = await runBatch({
    plan: buildPlan(datasets.attendance), inputFile: csv, format: 'csv', outDir: out, batchId: 'refs',
    knownRefs: { members: ['M000001'], classes: ['C0000001'] },
  });
  t.same([r.rowsProcessed, r.rowsQuarantined], [1, 3]);
  const rows = await query(`SELECT line, reason_details FROM read_parquet('${join(out, 'quarantine', 'attendance', 'refs.parquet')}') ORDER BY line`);
  t.same(rows.map((x) => [Number(x.line), (x.reason_details as string[]).map((d) => d.split(':').slice(0, 3).join(':'))]), [
    [3, ['BAD_FORMAT:member_id:pattern', 'UNKNOWN_REFERENCE:member_id:references']],
    [4, ['BAD_FORMAT:member_id:maxLength', 'UNKNOWN_REFERENCE:member_id:references']],
    [5, ['BAD_FORMAT:class_id:pattern', 'UNKNOWN_REFERENCE:class_id:references']],
  ]);
});
