import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { DatasetName } from '@peak/contracts';
import type { EtlPlan } from '../plan/build-plan.js';
import { renderDuckdb } from '../plan/render-duckdb.js';
import { RELATIONS } from '../plan/render-sql.js';
import { REASON_CODE_LIST, type ReasonCode } from '../plan/reason-codes.js';
import { locateRecords } from './locate-records.js';
import { INPUT_RELATIONS, openInput, readInput, sqlStr, type Compression, type InputFormat } from './read-input.js';

/** Keys of a referenced dataset: listed, or read from Parquet files (e.g. its processed zone). */
export type ReferenceKeys = readonly string[] | { parquetFiles: readonly string[] };

export type BatchInput = {
  plan: EtlPlan;
  inputFile: string;
  format: InputFormat;
  /** Default: gzip when the file name ends in `.gz`. */
  compression?: Compression;
  /** Outputs go to `<outDir>/processed/<dataset>/dt=…/` and `<outDir>/quarantine/<dataset>/`. */
  outDir: string;
  /** Known keys of referenced datasets; FK checks run only for datasets given here. */
  knownRefs?: Partial<Record<DatasetName, ReferenceKeys>>;
  /**
   * Parquet files of rows earlier batches loaded into the given partitions (never this batch's own),
   * for the ALREADY_PROCESSED check. Default: the files under `outDir`; `false` skips the check.
   */
  processedFiles?: false | ((partitions: string[]) => Promise<readonly string[]>);
  /** Names this batch's output files, so a re-run replaces exactly them (default: input file name). */
  batchId?: string;
  /** Longest raw text kept per quarantined record. */
  maxRawBytes?: number;
  /** Told how long each step took (for logs and the benchmark). */
  onStep?: (step: string, ms: number) => void;
};

export type BatchResult = {
  batchId: string;
  rowsIn: number;
  rowsProcessed: number;
  rowsQuarantined: number;
  reasons: Partial<Record<ReasonCode, number>>;
  /** `dt=YYYY-MM-DD` folders this batch wrote valid rows into, sorted. */
  partitions: string[];
  /** Files written, relative to outDir: processed Parquet (sorted) and the quarantine file. */
  processedFiles: string[];
  quarantineFile: string;
  referencesChecked: string[];
  processedKeysChecked: boolean;
  /** Header columns of a CSV that the contract does not know (ignored) and contract columns it lacks. */
  ignoredColumns: string[];
  missingColumns: string[];
};

export class ConservationError extends Error {
  override name = 'ConservationError';
}

const DEFAULT_MAX_RAW_BYTES = 1 << 20;

/**
 * Runs the plan over one raw file with DuckDB: typed rows to Parquet by `dt`, every failing record to
 * the quarantine with its line, raw text and reason codes, and rows in = processed + quarantined.
 */
export async function runBatch(input: BatchInput): Promise<BatchResult> {
  const { plan, inputFile, format, outDir } = input;
  const compression = input.compression ?? (inputFile.endsWith('.gz') ? 'gzip' : 'none');
  const batchId = input.batchId ?? basename(inputFile.replace(/\.gz$/, ''), extname(inputFile.replace(/\.gz$/, '')));
  // `__` separates the batch id from DuckDB's file counter, so it may not occur inside the id.
  if (!/^[A-Za-z0-9_.-]+$/.test(batchId) || batchId.includes('__')) throw new Error(`batchId must be a plain file-name token without "__": ${batchId}`);

  let last = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    input.onStep?.(name, now - last);
    last = now;
  };
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    await con.run(`SET TimeZone = 'UTC'`); // casts of offset timestamps must not depend on the host's zone
    // Keep one writer open per day partition so a batch writes one file per day, not one per flush.
    await con.run(`SET partitioned_write_max_open_files = 1000`);
    const read = await readInput(con, plan, inputFile, format, compression);
    step('read');

    const available = await loadReferences(con, plan, input.knownRefs);
    const partitionSql = renderDuckdb(plan, { availableReferences: available }).partitions;
    const days = (await con.runAndReadAll(partitionSql)).getRows().map((r) => String(r[0]));
    if (input.processedFiles !== false) {
      const files = await (input.processedFiles ?? localProcessedFiles(outDir, plan.dataset, batchId))(widenDays(days));
      await loadProcessedKeys(con, plan, files);
      available.push(plan.dedupe.againstProcessed.relation);
    }
    step('references');
    const rendered = renderDuckdb(plan, { availableReferences: available });
    await con.run(`CREATE TABLE ${RELATIONS.laterDuplicates} AS ${rendered.laterDuplicates}`);
    step('duplicates');
    await con.run(`CREATE TABLE ${RELATIONS.rejected} AS ${rendered.rejected}`);
    step('checks');
    await attachLines(con, read.lines, inputFile, compression, format, read, input.maxRawBytes ?? DEFAULT_MAX_RAW_BYTES);

    step('lines');
    const processedDir = join(outDir, 'processed', plan.dataset);
    const quarantineDir = join(outDir, 'quarantine', plan.dataset);
    mkdirSync(processedDir, { recursive: true });
    mkdirSync(quarantineDir, { recursive: true });
    removeBatchFiles(processedDir, batchId); // idempotent re-run: this batch's old files go, other batches stay
    const quarantineFile = join(quarantineDir, `${batchId}.parquet`);
    rmSync(quarantineFile, { force: true });

    const rowsIn = read.keptRows + read.rejectedLines;
    const rejected = await count(con, `SELECT count(*) FROM ${RELATIONS.rejected}`);
    if (rowsIn - rejected > 0) {
      await con.run(`COPY (${rendered.processed}) TO ${sqlStr(processedDir)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt),
        OVERWRITE_OR_IGNORE true, FILENAME_PATTERN ${sqlStr(`${batchId}__{i}`)})`);
    }
    step('write processed');
    const rawCols = plan.columns.map((c) => `r."raw_${c.name}"`).join(', ');
    await con.run(`COPY (SELECT l.line, r.reasons, r.reason_details, r.malformed_detail, COALESCE(l.raw, r.raw_record) AS raw_record, ${rawCols}
      FROM ${RELATIONS.rejected} r LEFT JOIN record_lines l USING (record_number) ORDER BY l.line, r.record_number)
      TO ${sqlStr(quarantineFile)} (FORMAT parquet, COMPRESSION zstd)`);
    step('write quarantine');

    // Conservation is checked against what was written, not what we meant to write.
    const processedFiles = listBatchFiles(processedDir, batchId).map((f) => join('processed', plan.dataset, f));
    const rowsProcessed = processedFiles.length === 0 ? 0
      : await count(con, `SELECT count(*) FROM read_parquet([${processedFiles.map((f) => sqlStr(join(outDir, f))).join(', ')}])`);
    const rowsQuarantined = await count(con, `SELECT count(*) FROM read_parquet(${sqlStr(quarantineFile)})`);
    if (rowsIn !== rowsProcessed + rowsQuarantined) {
      throw new ConservationError(`${plan.dataset}/${batchId}: rows in ${rowsIn} ≠ processed ${rowsProcessed} + quarantined ${rowsQuarantined}`);
    }

    step('conservation');
    const reasons: Partial<Record<ReasonCode, number>> = {};
    const reasonRows = (await con.runAndReadAll(`SELECT code, count(*) AS n FROM (SELECT unnest(reasons) AS code FROM ${RELATIONS.rejected}) GROUP BY code ORDER BY code`)).getRowObjectsJson();
    for (const r of reasonRows) {
      const code = String(r.code) as ReasonCode;
      if (!REASON_CODE_LIST.includes(code)) throw new Error(`plan produced an unknown reason code ${code}`);
      reasons[code] = Number(r.n);
    }
    const partitions = [...new Set(processedFiles.map((f) => f.split('/')[2] ?? ''))].sort();
    return {
      batchId, rowsIn, rowsProcessed, rowsQuarantined, reasons, partitions, processedFiles,
      quarantineFile: join('quarantine', plan.dataset, `${batchId}.parquet`),
      referencesChecked: rendered.referencesChecked, processedKeysChecked: rendered.processedKeysChecked,
      ignoredColumns: read.ignoredColumns, missingColumns: read.missingColumns,
    };
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** Creates `known_<dataset>` for each reference given; returns the relations that exist. */
async function loadReferences(con: DuckDBConnection, plan: EtlPlan, knownRefs: BatchInput['knownRefs']): Promise<string[]> {
  const available: string[] = [];
  for (const ref of plan.references) {
    const keys = knownRefs?.[ref.dataset];
    if (keys === undefined || available.includes(ref.relation)) continue;
    if ('parquetFiles' in keys) {
      const from = keys.parquetFiles.length === 0 ? `(SELECT NULL::VARCHAR AS "${ref.key}" WHERE FALSE)`
        : `read_parquet([${keys.parquetFiles.map(sqlStr).join(', ')}], hive_partitioning = false)`;
      await con.run(`CREATE TABLE ${ref.relation} AS SELECT DISTINCT "${ref.key}" FROM ${from}`);
    } else {
      await con.run(`CREATE TABLE ${ref.relation} ("${ref.key}" VARCHAR)`);
      const appender = await con.createAppender(ref.relation);
      for (const k of keys) { appender.appendVarchar(k); appender.endRow(); }
      appender.closeSync();
    }
    available.push(ref.relation);
  }
  return available;
}

/** `processed_keys`: key (and version) of every row earlier batches loaded into the candidate partitions. */
async function loadProcessedKeys(con: DuckDBConnection, plan: EtlPlan, files: readonly string[]): Promise<void> {
  const cols = [...plan.dedupe.key, ...(plan.dedupe.versionColumn ? [plan.dedupe.versionColumn] : [])];
  const types = cols.map((c) => `"${c}" ${plan.columns.find((p) => p.name === c)?.sqlType ?? 'VARCHAR'}`);
  const relation = plan.dedupe.againstProcessed.relation;
  await con.run(`CREATE TABLE ${relation} (${types.join(', ')})`);
  if (files.length > 0) {
    await con.run(`INSERT INTO ${relation} SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM read_parquet([${files.map(sqlStr).join(', ')}], hive_partitioning = false)`);
  }
}

/** Valid YYYY-MM-DD days plus the day before and after each, sorted (text that is no date is dropped). */
export function widenDays(days: readonly string[]): string[] {
  const out = new Set<string>();
  for (const d of days) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) continue;
    const t = Date.parse(`${d}T00:00:00Z`);
    if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== d) continue;
    for (const delta of [-1, 0, 1]) out.add(new Date(t + delta * 86_400_000).toISOString().slice(0, 10));
  }
  return [...out].sort();
}

/** Default for a lake folder: the Parquet files of the candidate partitions, minus this batch's own. */
function localProcessedFiles(outDir: string, dataset: string, batchId: string) {
  return async (partitions: string[]): Promise<string[]> => {
    const files: string[] = [];
    for (const p of partitions) {
      const dir = join(outDir, 'processed', dataset, `dt=${p}`);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir).sort()) if (f.endsWith('.parquet') && !f.startsWith(`${batchId}__`)) files.push(join(dir, f));
    }
    return files;
  };
}

/** `record_lines`: line and raw text of each rejected record, found by scanning the file (or by element number). */
async function attachLines(
  con: DuckDBConnection, mode: 'scan' | 'element', file: string, compression: Compression, format: InputFormat,
  read: { keptRows: number; rejectedLines: number }, maxRawBytes: number,
): Promise<void> {
  if (mode === 'element') {
    // A JSON array's records are its elements: the "line" is the element number, the raw text the element.
    await con.run(`CREATE TABLE record_lines AS SELECT r.record_number, r.record_number + 1 AS line, i.j AS raw
      FROM ${RELATIONS.rejected} r JOIN (SELECT rowid AS record_number, j FROM ${INPUT_RELATIONS.rows}) i USING (record_number)`);
    return;
  }
  await con.run(`CREATE TABLE record_lines (record_number BIGINT, line BIGINT, raw VARCHAR)`);
  const wanted = (await con.runAndReadAll(`SELECT record_number FROM ${RELATIONS.rejected} ORDER BY record_number`)).getRows().map((r) => Number(r[0]));
  if (wanted.length === 0) return;
  const keptOrdinals = wanted.filter((n) => n >= 0);
  const rejectedLines = wanted.filter((n) => n < 0).map((n) => -n).sort((a, b) => a - b);
  const found = await locateRecords(openInput(file, compression), { header: format === 'csv', quoting: format === 'csv', keptOrdinals, rejectedLines, maxRawBytes });
  // The scanner and DuckDB must agree on where records start, or a line number could be wrong: fail loudly instead.
  if (found.keptRows !== read.keptRows || found.rejectedRows !== read.rejectedLines || found.located.length !== wanted.length) {
    throw new Error(`record boundaries disagree (reader kept ${read.keptRows} and rejected ${read.rejectedLines}, the line scan found ${found.keptRows} and ${found.rejectedRows}); the file has quoting DuckDB and the scanner read differently`);
  }
  const appender = await con.createAppender('record_lines');
  for (const r of found.located) {
    appender.appendBigInt(BigInt(r.recordNumber));
    appender.appendBigInt(BigInt(r.line));
    appender.appendVarchar(r.raw);
    appender.endRow();
  }
  appender.closeSync();
}

async function count(con: DuckDBConnection, sql: string): Promise<number> {
  const rows = (await con.runAndReadAll(sql)).getRows();
  return Number(rows[0]?.[0] ?? 0);
}

/** This batch's files in a dataset folder, as `dt=…/<file>`, sorted. */
function listBatchFiles(datasetDir: string, batchId: string): string[] {
  const out: string[] = [];
  for (const part of readdirSync(datasetDir, { withFileTypes: true })) {
    if (!part.isDirectory()) continue;
    for (const f of readdirSync(join(datasetDir, part.name))) if (f.startsWith(`${batchId}__`) && f.endsWith('.parquet')) out.push(`${part.name}/${f}`);
  }
  return out.sort();
}

function removeBatchFiles(datasetDir: string, batchId: string): void {
  for (const part of readdirSync(datasetDir, { withFileTypes: true })) {
    if (!part.isDirectory()) continue;
    const dir = join(datasetDir, part.name);
    for (const f of readdirSync(dir)) if (f.startsWith(`${batchId}__`) && f.endsWith('.parquet')) rmSync(join(dir, f));
    if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
  }
}
