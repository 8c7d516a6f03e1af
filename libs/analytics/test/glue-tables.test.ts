/**
 * The Glue tables against the contracts (column order, types, comments), against the relation columns
 * DuckDB uses (views.ts), and against the Parquet files the real ETL executor writes. Derived relations
 * (written by the platform's own jobs) get the same kind of table.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { columnMeta, DATASET_NAMES, datasets, DERIVED_NAMES, derivedDatasets, SQL_TYPES, type DatasetName, type DerivedName } from '@peak/contracts';
import { buildPlan, runBatch } from '@peak/etl';
import { generate } from '@peak/sample-data';
import type { TSchema } from 'typebox';
import { DEFAULT_PROJECTION_FROM, glueTableInputs, glueType } from '../src/glue-tables.js';
import { datasetColumns, derivedColumns } from '../src/views.js';

const BUCKET = 'peak-dev-lake-1a2b3c';

// Written out by hand per dataset (no snapshot file): a contract change must show up here as a diff.
const EXPECTED_COLUMNS: Record<DatasetName, [string, string][]> = {
  members: [
    ['member_id', 'string'], ['email', 'string'], ['first_name', 'string'], ['last_name', 'string'],
    ['home_location_id', 'string'], ['join_date', 'date'], ['plan', 'string'], ['status', 'string'],
    ['cancelled_on', 'date'], ['birth_year', 'int'], ['marketing_opt_in', 'boolean'], ['updated_at', 'timestamp'],
  ],
  classes: [
    ['class_id', 'string'], ['location_id', 'string'], ['class_type', 'string'], ['class_name', 'string'],
    ['instructor_id', 'string'], ['instructor_name', 'string'], ['starts_at', 'timestamp'], ['duration_minutes', 'int'],
    ['capacity', 'int'], ['cancelled', 'boolean'], ['updated_at', 'timestamp'],
  ],
  signups: [
    ['signup_id', 'string'], ['member_id', 'string'], ['class_id', 'string'], ['booked_at', 'timestamp'],
    ['status', 'string'], ['cancelled_at', 'timestamp'], ['channel', 'string'], ['updated_at', 'timestamp'],
  ],
  attendance: [
    ['checkin_id', 'string'], ['member_id', 'string'], ['class_id', 'string'], ['location_id', 'string'],
    ['checked_in_at', 'timestamp'], ['method', 'string'],
  ],
  transactions: [
    ['transaction_id', 'string'], ['member_id', 'string'], ['location_id', 'string'], ['occurred_at', 'timestamp'],
    ['type', 'string'], ['amount', 'decimal(12,2)'], ['currency', 'string'], ['status', 'string'],
    ['refund_of', 'string'], ['description', 'string'],
  ],
  engagement: [
    ['event_id', 'string'], ['member_id', 'string'], ['occurred_at', 'timestamp'], ['event_type', 'string'],
    ['platform', 'string'], ['session_id', 'string'], ['duration_seconds', 'int'],
  ],
  class_feedback: [
    ['feedback_id', 'string'], ['member_id', 'string'], ['class_id', 'string'], ['submitted_at', 'timestamp'],
    ['rating', 'int'], ['comment', 'string'], ['would_recommend', 'boolean'], ['channel', 'string'],
  ],
};

// By hand too: what a score file's readers (Athena, DuckDB) see.
const EXPECTED_DERIVED_COLUMNS: Record<DerivedName, [string, string][]> = {
  member_churn_scores: [
    ['member_id', 'string'], ['home_location_id', 'string'], ['as_of', 'date'], ['score', 'double'], ['band', 'string'],
    ['factor_1', 'string'], ['factor_2', 'string'], ['factor_3', 'string'], ['model_version', 'string'], ['scored_at', 'timestamp'],
  ],
  crm_sync_runs: [
    ['run_id', 'string'], ['run_date', 'date'], ['started_at', 'timestamp'], ['finished_at', 'timestamp'], ['as_of', 'date'],
    ['dry_run', 'boolean'], ['full_resync', 'boolean'], ['outcome', 'string'], ['members', 'int'], ['changed', 'int'], ['unchanged', 'int'],
    ['skipped', 'int'], ['duplicates', 'int'], ['sent', 'int'], ['created', 'int'], ['updated', 'int'], ['failed', 'int'], ['retried', 'int'],
    ['requests', 'int'], ['stopped_because', 'string'], ['alert', 'boolean'], ['alert_reasons', 'string'],
  ],
  crm_sync_changes: [
    ['run_id', 'string'], ['run_date', 'date'], ['member_id', 'string'], ['home_location_id', 'string'], ['outcome', 'string'], ['reason', 'string'],
    ['changed_properties', 'string'], ['changes', 'string'], ['error_category', 'string'], ['error_message', 'string'],
  ],
  marketing_holdout: [
    ['member_id', 'string'], ['home_location_id', 'string'], ['bucket', 'int'], ['holdout', 'boolean'], ['assigned_on', 'date'],
  ],
};

// The contract SQL types as Hive/Glue spells them, kept apart from the module's own table.
const HIVE_NAME_OF: Record<string, string> = {
  VARCHAR: 'string', BIGINT: 'bigint', INTEGER: 'int', DOUBLE: 'double',
  'DECIMAL(12,2)': 'decimal(12,2)', BOOLEAN: 'boolean', DATE: 'date', TIMESTAMP: 'timestamp',
};

t.test('every contract SQL type has its Hive/Glue name', async (t) => {
  for (const sqlType of SQL_TYPES) t.equal(glueType(sqlType), HIVE_NAME_OF[sqlType], `${sqlType} → ${HIVE_NAME_OF[sqlType]}`);
  t.equal(glueType('DATE'), 'date');
});

const tables = glueTableInputs({ bucket: BUCKET });

t.test('one table per dataset and per derived relation, nothing else', async (t) => {
  t.same(Object.keys(tables).sort(), [...DATASET_NAMES, ...DERIVED_NAMES].sort());
});

for (const name of DATASET_NAMES) {
  t.test(`${name}: columns, types, partition key, projection and storage`, async (t) => {
    const table = tables[name];
    const contract = datasets[name];
    const props = contract.row.properties as Record<string, TSchema>;
    const columns = table.StorageDescriptor.Columns;

    t.equal(table.Name, name);
    t.equal(table.TableType, 'EXTERNAL_TABLE');
    t.equal(table.Description, contract.description);

    t.same(columns.map((c) => [c.Name, c.Type]), EXPECTED_COLUMNS[name], 'columns and Glue types, in contract order');
    t.same(columns.map((c) => c.Name), [...contract.columns], 'exactly the contract columns, in contract order');
    t.same(
      columns.map((c) => c.Name),
      datasetColumns(name).filter((c) => c.name !== 'dt').map((c) => c.name),
      'the same columns DuckDB defines the relation with, minus dt',
    );
    for (const c of columns) {
      const meta = columnMeta(props[c.Name] as TSchema);
      t.equal(c.Type, HIVE_NAME_OF[meta['x-sql']], `${c.Name}: Glue type follows x-sql ${meta['x-sql']}`);
      t.equal(c.Comment, meta.description, `${c.Name}: comment is the column description`);
    }

    t.same(table.PartitionKeys.map((k) => [k.Name, k.Type]), [['dt', 'date']], 'dt is the only partition key, typed date');
    t.notOk(columns.some((c) => c.Name === 'dt'), 'dt is not also a data column');
    t.match(table.PartitionKeys[0]?.Comment, new RegExp(`\\b${String(contract.partitionBy)}\\b`), 'the dt comment names the partitioning column');

    t.same(table.Parameters, {
      classification: 'parquet',
      EXTERNAL: 'TRUE',
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2020-01-01,NOW+1YEARS',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
      'storage.location.template': `s3://${BUCKET}/processed/${name}/dt=\${dt}/`,
    }, 'projection lives in the table parameters, exactly');

    t.same(table.StorageDescriptor, {
      Columns: columns,
      Location: `s3://${BUCKET}/processed/${name}/`,
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    }, 'Parquet storage, no projection keys in the storage descriptor');
  });
}

for (const name of DERIVED_NAMES) {
  t.test(`${name} (derived): contract columns with Glue types, dt projected, Parquet storage`, async (t) => {
    const table = tables[name];
    const contract = derivedDatasets[name];
    const props = contract.row.properties as Record<string, TSchema>;
    const columns = table.StorageDescriptor.Columns;

    t.equal(table.Name, name);
    t.equal(table.TableType, 'EXTERNAL_TABLE');
    t.equal(table.Description, contract.description);
    t.same(columns.map((c) => [c.Name, c.Type]), EXPECTED_DERIVED_COLUMNS[name], 'columns and Glue types, in contract order');
    t.same(columns.map((c) => c.Name), derivedColumns(name).filter((c) => c.name !== 'dt').map((c) => c.name), 'the same columns DuckDB defines the relation with, minus dt');
    for (const c of columns) t.equal(c.Comment, columnMeta(props[c.Name] as TSchema).description, `${c.Name}: comment is the column description`);

    t.same(table.PartitionKeys.map((k) => [k.Name, k.Type]), [['dt', 'date']], 'dt is the only partition key, typed date');
    t.match(table.PartitionKeys[0]?.Comment, new RegExp(`\\b${String(contract.partitionBy)}\\b`), 'the dt comment names the partitioning column');
    t.same(table.Parameters, {
      classification: 'parquet',
      EXTERNAL: 'TRUE',
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2020-01-01,NOW+1YEARS',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
      'storage.location.template': `s3://${BUCKET}/processed/${name}/dt=\${dt}/`,
    }, 'the same dt projection as a dataset');
    t.same(table.StorageDescriptor, {
      Columns: columns,
      Location: `s3://${BUCKET}/processed/${name}/`,
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    }, 'Parquet storage under processed/<name>/');
  });
}

t.test('options: prefix and projection range are honoured, bad values refused', async (t) => {
  const custom = glueTableInputs({ bucket: 'lake.example', processedPrefix: 'zones/processed/', projectionRange: { from: '2024-03-01', to: 'NOW+30DAYS' } });
  t.equal(custom.attendance.StorageDescriptor.Location, 's3://lake.example/zones/processed/attendance/');
  t.equal(custom.attendance.Parameters['storage.location.template'], 's3://lake.example/zones/processed/attendance/dt=${dt}/');
  t.equal(custom.attendance.Parameters['projection.dt.range'], '2024-03-01,NOW+30DAYS');
  t.equal(glueTableInputs({ bucket: BUCKET, projectionRange: { from: '2025-01-01', to: '2026-12-31' } }).members.Parameters['projection.dt.range'], '2025-01-01,2026-12-31');

  t.throws(() => glueTableInputs({ bucket: 's3://peak-lake' }), /bucket/);
  t.throws(() => glueTableInputs({ bucket: 'Peak_Lake' }), /bucket/);
  t.throws(() => glueTableInputs({ bucket: BUCKET, processedPrefix: 'processed' }), /processedPrefix/);
  t.throws(() => glueTableInputs({ bucket: BUCKET, processedPrefix: '/processed/' }), /processedPrefix/);
  t.throws(() => glueTableInputs({ bucket: BUCKET, projectionRange: { from: '2024-02-30' } }), /from/);
  t.throws(() => glueTableInputs({ bucket: BUCKET, projectionRange: { from: 'NOW-1YEARS' } }), /from/);
  t.throws(() => glueTableInputs({ bucket: BUCKET, projectionRange: { from: '2024-01-01', to: 'tomorrow' } }), /to/);
  t.throws(() => glueTableInputs({ bucket: BUCKET, projectionRange: { from: '2024-01-01', to: '2023-12-31' } }), /before/);
});

type ParquetColumn = { name: string; type: string; converted_type: string | null; logical_type: string | null; precision: string | null; scale: string | null };

/** The Glue type Athena needs to read a Parquet column, from its physical type and annotations. */
function glueTypeForParquet(c: ParquetColumn): string {
  const logical = c.logical_type ?? '';
  if (c.converted_type === 'DECIMAL' || logical.startsWith('DecimalType')) return `decimal(${c.precision},${c.scale})`;
  if (logical.startsWith('TimestampType') || c.converted_type === 'TIMESTAMP_MICROS' || c.converted_type === 'TIMESTAMP_MILLIS' || c.type === 'INT96') return 'timestamp';
  if (c.converted_type === 'DATE' || logical.startsWith('DateType')) return 'date';
  if (c.converted_type === 'UTF8' || logical.startsWith('StringType')) return 'string';
  if (c.type === 'BOOLEAN') return 'boolean';
  if (c.type === 'DOUBLE') return 'double';
  if (c.type === 'INT32' && (c.converted_type === null || c.converted_type === 'INT_32')) return 'int';
  if (c.type === 'INT64' && (c.converted_type === null || c.converted_type === 'INT_64')) return 'bigint';
  return `unmapped ${c.type}/${c.converted_type}/${logical}`;
}

t.test('the Glue types are what the ETL executor really writes to Parquet', async (t) => {
  const dir = t.testdir();
  await generate({ out: dir, members: 40, days: 7, end: '2026-06-30', seed: 11 });
  const lake = join(dir, 'lake');
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  t.teardown(() => {
    con.closeSync();
    instance.closeSync();
  });
  const local = glueTableInputs({ bucket: BUCKET });
  const projectedUntil = new Date();
  projectedUntil.setUTCFullYear(projectedUntil.getUTCFullYear() + 1);

  for (const name of DATASET_NAMES) {
    const format = name === 'engagement' ? 'ndjson' : 'csv';
    const result = await runBatch({ plan: buildPlan(datasets[name]), inputFile: join(dir, 'exports', `${name}.${format}`), format, outDir: lake });
    t.ok(result.rowsProcessed > 0, `${name}: the sample produced rows (${result.rowsProcessed})`);
    t.equal(result.rowsQuarantined, 0, `${name}: nothing quarantined`);

    const expected = local[name].StorageDescriptor.Columns.map((c) => [c.Name, c.Type]);
    const files = result.processedFiles.filter((f) => f.startsWith(`processed/${name}/`));
    t.ok(files.length > 0, `${name}: the batch wrote processed files`);
    for (const file of files) {
      // One file per query: the rows of parquet_schema come in the file's column order.
      const schema = (await con.runAndReadAll(
        `SELECT name, type, converted_type, logical_type, precision, scale FROM parquet_schema('${join(lake, file)}') WHERE type IS NOT NULL`,
      )).getRowObjectsJson() as ParquetColumn[];
      t.same(schema.map((c) => [c.name, glueTypeForParquet(c)]), expected, `${name}: ${file} has the Glue columns, types and order (and no dt column)`);
    }

    // Every folder the batch wrote is where the location template points for its day, and inside the projected range.
    const template = local[name].Parameters['storage.location.template'] as string;
    for (const partition of result.partitions) {
      const day = partition.slice('dt='.length);
      const folder = template.replace(`s3://${BUCKET}/`, `${lake}/`).replace('${dt}', day);
      t.ok(existsSync(folder), `${name}: ${partition} is at the templated location`);
      t.ok(day >= DEFAULT_PROJECTION_FROM && day <= projectedUntil.toISOString().slice(0, 10), `${name}: ${day} is inside the default projection range`);
    }
  }
});
