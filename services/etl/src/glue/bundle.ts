import { datasets, type DatasetName } from '@peak/contracts';
import { buildPlan, type EtlPlan } from '../plan/build-plan.js';
import { renderDuckdb } from '../plan/render-duckdb.js';
import { RELATIONS } from '../plan/render-sql.js';
import { INPUT_RELATIONS, MAX_HEADER_BYTES, READER_ERRORS, sqlStr } from '../executors/read-input.js';

/**
 * The job bundle: everything an executor outside this repo (the Glue Python-shell job) needs to run one
 * dataset's plan over one raw file exactly as `runBatch` does — the ordered DuckDB statements with
 * `{{placeholders}}`, the conditions that choose between them, and the few steps only the host can do
 * (read the CSV header, fetch Parquet files, scan for line numbers, list outputs). Plain JSON.
 *
 * How an executor runs it:
 * - Start a DuckDB in-memory database with `duckdb.config`; set the `inputs` variables.
 * - Run `steps` in order. A step with `when` runs only if that SQL (placeholders filled) returns TRUE.
 *   `sql`: execute. `query`: execute and store the first row's values (`rows: 'first'`) or each column's
 *   values of every row as a list (`rows: 'all'`) in the variables named by `into`. `check`: the SQL
 *   must return TRUE, else fail with `error`. `steps`: a group, run in order. `host`: see HostAction.
 * - Placeholders `{{name}}` are replaced in one pass by SQL literals of the variable: text → '…' (quotes
 *   doubled), number → digits, true/false → TRUE/FALSE, null → NULL, list → [a, b]. Names ending in `_sql`
 *   are SQL fragments built by a host action and go in as they are. In error messages values go in as text.
 * - `sql` steps with `onError` turn an engine error into that (permanent) error; `{{error}}` is the
 *   first line of the engine's message.
 * - At the end, the variables named in `result` hold the batch's counts and outputs.
 */
export const BUNDLE_VERSION = 1;

/** Longest raw text kept per quarantined record (runBatch's default). */
export const DEFAULT_MAX_RAW_BYTES = 1 << 20;
/** The CSV header must end within this many bytes (read-input.ts). */
/** Table the line scan fills: record number → physical line and raw text of each rejected record. */
export const RECORD_LINES = 'record_lines';

/** Errors the batch cannot recover from by retrying (the executor marks the batch failed at once). */
export type BundleErrorKind = 'input' | 'conservation';

type Guarded = { id: string; when?: string };
export type BundleStep =
  | (Guarded & { run: 'sql'; sql: string; onError?: { kind: BundleErrorKind; message: string } })
  | (Guarded & { run: 'query'; sql: string; into: string[]; rows: 'first' | 'all' })
  | (Guarded & { run: 'check'; sql: string; error: { kind: BundleErrorKind; message: string } })
  | (Guarded & { run: 'steps'; steps: BundleStep[] })
  | (Guarded & { run: 'host'; action: HostAction });

/** What only the host can do; each names the variables it reads and sets. */
export type HostAction =
  | {
      /**
       * Read the first line of the (decompressed) input: BOM and a final CR removed, split as one RFC 4180
       * line, each name trimmed (JavaScript `trim`). An empty file sets `csv_header` to null. A name twice,
       * or no line break within `maxBytes`, is an `input` error. Otherwise sets `csv_header` (the names),
       * `csv_columns_sql` = `{` + `field` per header position (`{{index}}` = 0-based) joined by `, ` + `}`,
       * and `csv_select_sql` = per plan column `present` (with the header position of `name`) or `absent`,
       * joined by `, `.
       */
      name: 'csvHeader';
      maxBytes: number;
      field: string;
      columns: { name: string; present: string; absent: string }[];
    }
  | {
      /** Local paths of every Parquet object under `processed/<dataset>/` of the lake (fetched if need be), into `into`. */
      name: 'referenceFiles';
      dataset: DatasetName;
      into: string;
    }
  | {
      /**
       * Local paths of earlier batches' Parquet files in the processed zone of this dataset, in the day
       * partitions `dt=<day>` for each valid YYYY-MM-DD of the list `days` and the day before and after
       * (sorted, distinct), leaving out files named `<batch_id>__…`; into `into`.
       */
      name: 'processedFiles';
      days: string;
      into: string;
    }
  | {
      /**
       * The line scanner (locate-records.ts) over the decompressed input with `header`, `quoting`,
       * `maxRawBytes`, for the record numbers in the list `wanted` (≥ 0: ordinals of kept rows, < 0: minus
       * the reader's logical line). Fails unless it counts `keptRows`/`rejectedRows` (variables) and finds
       * every wanted record; appends (record_number, line, raw) to `table`.
       */
      name: 'locateRecords';
      wanted: string;
      header: boolean;
      quoting: boolean;
      maxRawBytes: number;
      keptRows: string;
      rejectedRows: string;
      table: string;
    }
  | {
      /** Full local paths of this batch's files, `{{processed_dir}}/dt=…/<batch_id>__….parquet`, sorted; into `into`. */
      name: 'listOutputs';
      into: string;
    };

export type JobBundle = {
  bundleVersion: typeof BUNDLE_VERSION;
  planVersion: EtlPlan['planVersion'];
  dataset: DatasetName;
  duckdb: { config: Record<string, string> };
  /** Variables the executor sets before the first step. */
  inputs: Record<string, string>;
  /** `json_compression` for each `compression` (DuckDB's JSON reader spells "none" differently). */
  jsonCompression: Record<'none' | 'gzip', string>;
  steps: BundleStep[];
  /** Where the outcome is, by variable name. */
  result: {
    rowsIn: string;
    rowsProcessed: string;
    rowsQuarantined: string;
    processedFiles: string;
    reasonCodes: string;
    reasonCounts: string;
  };
};

export type BundleOptions = {
  /** Longest raw text kept per quarantined record (default 1 MiB, as runBatch). */
  maxRawBytes?: number;
};

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;
const v = (name: string) => `{{${name}}}`;

/**
 * The bundle of one dataset. Every statement is the text `runBatch` runs (read-input.ts, duckdb.ts and
 * the rendered plan) with the run-time values as placeholders, for a batch whose references and
 * earlier processed files are all given, as `processBatch` does.
 */
export function jobBundle(dataset: DatasetName, options: BundleOptions = {}): JobBundle {
  const plan = buildPlan(datasets[dataset]);
  const rendered = renderDuckdb(plan);
  for (const [name, sql] of Object.entries({ partitions: rendered.partitions, laterDuplicates: rendered.laterDuplicates, rejected: rendered.rejected, processed: rendered.processed })) {
    if (sql.includes('{{')) throw new Error(`${dataset}: the ${name} SQL contains "{{", which the bundle reserves for placeholders`);
  }
  const maxRawBytes = options.maxRawBytes ?? DEFAULT_MAX_RAW_BYTES;
  const { rows, rejects } = INPUT_RELATIONS;

  // read-input.ts, statement by statement.
  const columns = plan.columns.map((c) => c.source);
  const { recordNumber: rec, malformed, rawRecord, relation } = plan.input;
  const nullColumns = () => columns.map((c) => `NULL::VARCHAR AS ${ident(c)}`).join(', ');
  const detail = `CASE min(error_type) ${Object.entries(READER_ERRORS).map(([k, val]) => `WHEN '${k}' THEN '${val}'`).join(' ')} ELSE lower(replace(min(error_type), ' ', '_')) END`;
  const rejectsView = `SELECT -CAST(line AS BIGINT) AS ${ident(rec)}, ${detail} AS ${ident(malformed)}, NULL::VARCHAR AS ${ident(rawRecord)}, ${nullColumns()}
    FROM ${rejects} GROUP BY line`;
  const readerOptions = `auto_detect = false, store_rejects = true, rejects_table = '${rejects}', rejects_scan = 'input_rejects_scan',
    strict_mode = true, null_padding = false, compression = ${v('compression')}`;
  const createRejects = `CREATE TABLE ${rejects} (line BIGINT, error_type VARCHAR)`;
  // DuckDB creates the rejects table only when it rejected something.
  const ensureRejects: BundleStep = { id: 'rejects-table', when: `SELECT count(*) = 0 FROM duckdb_tables() WHERE table_name = '${rejects}'`, run: 'sql', sql: createRejects };
  const known = `[${columns.map(sqlStr).join(', ')}]`;
  const paths = `[${columns.map((c) => sqlStr(`$."${c}"`)).join(', ')}]`;
  const jsonView = `CREATE VIEW ${ident(relation)} AS
    WITH parsed AS (
      SELECT rowid AS ${ident(rec)}, j,
        CASE WHEN NOT json_valid(j) THEN 'bad_json'
             WHEN json_type(j) <> 'OBJECT' THEN 'not_an_object'
             WHEN len(list_filter(json_keys(j), k -> NOT list_contains(${known}, k))) > 0 THEN 'unknown_key'
             WHEN list_has_any(json_type(j, ${paths}), ['OBJECT', 'ARRAY']) THEN 'nested_value' END AS ${ident(malformed)}
      FROM ${rows}
    ),
    extracted AS (
      SELECT *, CASE WHEN ${ident(malformed)} IS NULL THEN json_extract_string(j, ${paths}) END AS vals FROM parsed
    )
    SELECT ${ident(rec)}, ${ident(malformed)}, CASE WHEN ${ident(malformed)} IS NOT NULL THEN j END AS ${ident(rawRecord)},
      ${columns.map((c, i) => `vals[${i + 1}] AS ${ident(c)}`).join(', ')}
    FROM extracted
    UNION ALL ${rejectsView}`;
  const isFormat = (...formats: string[]) => `SELECT ${v('format')} IN (${formats.map(sqlStr).join(', ')})`;

  const read: BundleStep[] = [
    {
      id: 'csv', when: isFormat('csv'), run: 'steps', steps: [
        {
          id: 'header', run: 'host',
          action: {
            name: 'csvHeader', maxBytes: MAX_HEADER_BYTES, field: `'c${v('index')}': 'VARCHAR'`,
            columns: columns.map((c) => ({ name: c, present: `c${v('index')} AS ${ident(c)}`, absent: `NULL::VARCHAR AS ${ident(c)}` })),
          },
        },
        {
          id: 'empty-file', when: `SELECT ${v('csv_header')} IS NULL`, run: 'steps', steps: [
            { id: 'tables', run: 'sql', sql: `CREATE TABLE ${rows} (c0 VARCHAR); ${createRejects}` },
            { id: 'view', run: 'sql', sql: `CREATE VIEW ${ident(relation)} AS SELECT 0::BIGINT AS ${ident(rec)}, NULL::VARCHAR AS ${ident(malformed)}, NULL::VARCHAR AS ${ident(rawRecord)}, ${nullColumns()} WHERE FALSE` },
          ],
        },
        {
          id: 'rows', when: `SELECT ${v('csv_header')} IS NOT NULL`, run: 'steps', steps: [
            {
              id: 'read', run: 'sql',
              sql: `CREATE TABLE ${rows} AS SELECT * FROM read_csv(${v('input_file')}, header = true, delim = ',', quote = '"', escape = '"',
      columns = ${v('csv_columns_sql')}, ${readerOptions})`,
            },
            ensureRejects,
            {
              id: 'view', run: 'sql',
              sql: `CREATE VIEW ${ident(relation)} AS
      SELECT rowid AS ${ident(rec)}, NULL::VARCHAR AS ${ident(malformed)}, NULL::VARCHAR AS ${ident(rawRecord)}, ${v('csv_select_sql')} FROM ${rows}
      UNION ALL ${rejectsView}`,
            },
          ],
        },
      ],
    },
    {
      id: 'ndjson', when: isFormat('ndjson'), run: 'steps', steps: [
        {
          id: 'read', run: 'sql',
          // One column per line: chr(1) cannot occur in valid JSON (control characters must be escaped).
          sql: `CREATE TABLE ${rows} AS SELECT * FROM read_csv(${v('input_file')}, header = false, delim = chr(1), quote = '', escape = '',
      columns = {'j': 'VARCHAR'}, ${readerOptions})`,
        },
        ensureRejects,
      ],
    },
    {
      id: 'json', when: isFormat('json'), run: 'steps', steps: [
        {
          id: 'read', run: 'sql',
          sql: `CREATE TABLE ${rows} AS SELECT json::VARCHAR AS j FROM read_json_objects(${v('input_file')}, format = 'array', compression = ${v('json_compression')})`,
          onError: { kind: 'input', message: `the file is not a JSON array of objects (${v('error')}); send a JSON array or one object per line (NDJSON)` },
        },
        { id: 'rejects-table', run: 'sql', sql: createRejects },
      ],
    },
    { id: 'json-view', when: isFormat('ndjson', 'json'), run: 'sql', sql: jsonView },
    { id: 'counts', run: 'query', sql: `SELECT (SELECT count(*) FROM ${rows}), (SELECT count(DISTINCT line) FROM ${rejects})`, into: ['kept_rows', 'rejected_lines'], rows: 'first' },
    { id: 'rows-in', run: 'query', sql: `SELECT ${v('kept_rows')} + ${v('rejected_lines')}`, into: ['rows_in'], rows: 'first' },
  ];

  // duckdb.ts loadReferences: every referenced dataset, from its processed Parquet files.
  const references: BundleStep[] = [];
  for (const ref of plan.references) {
    if (references.some((s) => s.id === ref.relation)) continue;
    const files = `${ref.relation}_files`;
    references.push({
      id: ref.relation, run: 'steps', steps: [
        { id: 'files', run: 'host', action: { name: 'referenceFiles', dataset: ref.dataset, into: files } },
        { id: 'none', when: `SELECT len(${v(files)}) = 0`, run: 'sql', sql: `CREATE TABLE ${ref.relation} AS SELECT DISTINCT "${ref.key}" FROM (SELECT NULL::VARCHAR AS "${ref.key}" WHERE FALSE)` },
        { id: 'load', when: `SELECT len(${v(files)}) > 0`, run: 'sql', sql: `CREATE TABLE ${ref.relation} AS SELECT DISTINCT "${ref.key}" FROM read_parquet(${v(files)}, hive_partitioning = false)` },
      ],
    });
  }

  // duckdb.ts loadProcessedKeys: keys (and versions) earlier batches loaded into the partitions this one touches.
  const keyCols = [...plan.dedupe.key, ...(plan.dedupe.versionColumn ? [plan.dedupe.versionColumn] : [])];
  const keyTypes = keyCols.map((c) => `"${c}" ${plan.columns.find((p) => p.name === c)?.sqlType ?? 'VARCHAR'}`);
  const processedKeys = plan.dedupe.againstProcessed.relation;
  const earlier: BundleStep[] = [
    { id: 'partitions', run: 'query', sql: rendered.partitions, into: ['days'], rows: 'all' },
    { id: 'earlier-files', run: 'host', action: { name: 'processedFiles', days: 'days', into: 'processed_files' } },
    { id: 'processed-keys', run: 'sql', sql: `CREATE TABLE ${processedKeys} (${keyTypes.join(', ')})` },
    {
      id: 'processed-keys-load', when: `SELECT len(${v('processed_files')}) > 0`, run: 'sql',
      sql: `INSERT INTO ${processedKeys} SELECT ${keyCols.map((c) => `"${c}"`).join(', ')} FROM read_parquet(${v('processed_files')}, hive_partitioning = false)`,
    },
  ];

  // duckdb.ts attachLines: the line and raw text of each rejected record.
  const lines: BundleStep[] = [
    {
      id: 'lines-by-element', when: isFormat('json'), run: 'sql',
      // A JSON array's records are its elements: the "line" is the element number, the raw text the element.
      sql: `CREATE TABLE ${RECORD_LINES} AS SELECT r.record_number, r.record_number + 1 AS line, i.j AS raw
      FROM ${RELATIONS.rejected} r JOIN (SELECT rowid AS record_number, j FROM ${rows}) i USING (record_number)`,
    },
    {
      id: 'lines-by-scan', when: isFormat('csv', 'ndjson'), run: 'steps', steps: [
        { id: 'table', run: 'sql', sql: `CREATE TABLE ${RECORD_LINES} (record_number BIGINT, line BIGINT, raw VARCHAR)` },
        { id: 'wanted', run: 'query', sql: `SELECT record_number FROM ${RELATIONS.rejected} ORDER BY record_number`, into: ['wanted'], rows: 'all' },
        ...(['csv', 'ndjson'] as const).map((format): BundleStep => ({
          id: `scan-${format}`, when: `SELECT ${v('format')} = '${format}' AND len(${v('wanted')}) > 0`, run: 'host',
          action: { name: 'locateRecords', wanted: 'wanted', header: format === 'csv', quoting: format === 'csv', maxRawBytes, keptRows: 'kept_rows', rejectedRows: 'rejected_lines', table: RECORD_LINES },
        })),
      ],
    },
  ];

  // duckdb.ts: write, then count what was written.
  const rawCols = plan.columns.map((c) => `r."raw_${c.name}"`).join(', ');
  const write: BundleStep[] = [
    { id: 'rejected-count', run: 'query', sql: `SELECT count(*) FROM ${RELATIONS.rejected}`, into: ['rows_rejected'], rows: 'first' },
    {
      id: 'write-processed', when: `SELECT ${v('rows_in')} - ${v('rows_rejected')} > 0`, run: 'sql',
      sql: `COPY (${rendered.processed}) TO ${v('processed_dir')} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt),
        OVERWRITE_OR_IGNORE true, FILENAME_PATTERN ${v('file_pattern')})`,
    },
    {
      id: 'write-quarantine', run: 'sql',
      sql: `COPY (SELECT l.line, r.reasons, r.reason_details, r.malformed_detail, COALESCE(l.raw, r.raw_record) AS raw_record, ${rawCols}
      FROM ${RELATIONS.rejected} r LEFT JOIN ${RECORD_LINES} l USING (record_number) ORDER BY l.line, r.record_number)
      TO ${v('quarantine_file')} (FORMAT parquet, COMPRESSION zstd)`,
    },
    { id: 'outputs', run: 'host', action: { name: 'listOutputs', into: 'processed_outputs' } },
    { id: 'processed-count-none', when: `SELECT len(${v('processed_outputs')}) = 0`, run: 'query', sql: 'SELECT 0', into: ['rows_processed'], rows: 'first' },
    { id: 'processed-count', when: `SELECT len(${v('processed_outputs')}) > 0`, run: 'query', sql: `SELECT count(*) FROM read_parquet(${v('processed_outputs')})`, into: ['rows_processed'], rows: 'first' },
    { id: 'quarantined-count', run: 'query', sql: `SELECT count(*) FROM read_parquet(${v('quarantine_file')})`, into: ['rows_quarantined'], rows: 'first' },
    {
      id: 'conservation', run: 'check', sql: `SELECT ${v('rows_in')} = ${v('rows_processed')} + ${v('rows_quarantined')}`,
      error: { kind: 'conservation', message: `${dataset}/${v('batch_id')}: rows in ${v('rows_in')} ≠ processed ${v('rows_processed')} + quarantined ${v('rows_quarantined')}` },
    },
    {
      id: 'reasons', run: 'query', rows: 'all', into: ['reason_codes', 'reason_counts'],
      sql: `SELECT code, count(*) AS n FROM (SELECT unnest(reasons) AS code FROM ${RELATIONS.rejected}) GROUP BY code ORDER BY code`,
    },
  ];

  return {
    bundleVersion: BUNDLE_VERSION,
    planVersion: plan.planVersion,
    dataset,
    duckdb: { config: { autoinstall_known_extensions: 'false' } },
    inputs: {
      input_file: 'local path of the raw file as uploaded (gzip included)',
      format: 'csv | json | ndjson (the batch record)',
      compression: 'none | gzip (the batch record)',
      json_compression: 'jsonCompression[compression]',
      batch_id: 'the batch id',
      file_pattern: '<batch_id>__{i} (DuckDB numbers the files of each partition)',
      processed_dir: 'local folder for processed/<dataset>/: it must exist and hold none of this batch\'s files',
      quarantine_file: 'local path of quarantine/<dataset>/<batch_id>.parquet: its folder must exist',
    },
    jsonCompression: { none: 'uncompressed', gzip: 'gzip' },
    steps: [
      { id: 'timezone', run: 'sql', sql: `SET TimeZone = 'UTC'` }, // casts of offset timestamps must not depend on the host's zone
      // Keep one writer open per day partition so a batch writes one file per day, not one per flush.
      { id: 'open-files', run: 'sql', sql: `SET partitioned_write_max_open_files = 1000` },
      { id: 'read', run: 'steps', steps: read },
      { id: 'references', run: 'steps', steps: references },
      { id: 'earlier-batches', run: 'steps', steps: earlier },
      { id: RELATIONS.laterDuplicates, run: 'sql', sql: `CREATE TABLE ${RELATIONS.laterDuplicates} AS ${rendered.laterDuplicates}` },
      { id: RELATIONS.rejected, run: 'sql', sql: `CREATE TABLE ${RELATIONS.rejected} AS ${rendered.rejected}` },
      { id: 'lines', run: 'steps', steps: lines },
      { id: 'write', run: 'steps', steps: write },
    ],
    result: {
      rowsIn: 'rows_in',
      rowsProcessed: 'rows_processed',
      rowsQuarantined: 'rows_quarantined',
      processedFiles: 'processed_outputs',
      reasonCodes: 'reason_codes',
      reasonCounts: 'reason_counts',
    },
  };
}

/** The bundle as written to `<dataset>.bundle.json` (stable key order, trailing newline). */
export const bundleToJson = (bundle: JobBundle): string => `${JSON.stringify(bundle, null, 2)}\n`;
