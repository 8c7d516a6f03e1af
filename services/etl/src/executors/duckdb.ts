import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { DatasetName } from '@peak/contracts';
import type { EtlPlan } from '../plan/build-plan.js';
import { renderDuckdb } from '../plan/render-duckdb.js';
import { REASON_CODE_LIST, type ReasonCode } from '../plan/reason-codes.js';
import { readCsv, readJsonLines, writeNormalisedCsv } from './read-records.js';

export type BatchInput = {
  plan: EtlPlan;
  inputFile: string;
  format: 'csv' | 'json' | 'ndjson';
  outDir: string;
  /** Known keys of referenced datasets; FK checks run only for datasets given here. */
  knownRefs?: Partial<Record<DatasetName, readonly string[]>>;
  /** Names this batch's output files, so a re-run replaces exactly them (default: input file name). */
  batchId?: string;
};

export type BatchResult = {
  batchId: string;
  rowsIn: number;
  rowsProcessed: number;
  rowsQuarantined: number;
  reasons: Partial<Record<ReasonCode, number>>;
  /** `dt=YYYY-MM-DD` folders this batch wrote valid rows into, sorted. */
  partitions: string[];
  referencesChecked: string[];
  /** Header columns of a CSV that the contract does not know (ignored) and contract columns it lacks. */
  ignoredColumns: string[];
  missingColumns: string[];
};

export class ConservationError extends Error {}

const sqlStr = (s: string) => `'${s.replaceAll("'", "''")}'`;

export async function runBatch(input: BatchInput): Promise<BatchResult> {
  const { plan, inputFile, format, outDir } = input;
  const batchId = input.batchId ?? basename(inputFile, extname(inputFile));
  // `__` separates the batch id from DuckDB's file counter, so it may not occur inside the id.
  if (!/^[A-Za-z0-9_.-]+$/.test(batchId) || batchId.includes('__')) throw new Error(`batchId must be a plain file-name token without "__": ${batchId}`);
  const columns = plan.columns.map((c) => c.source);
  const buf = readFileSync(inputFile);
  const read = format === 'csv' ? readCsv(buf, columns) : readJsonLines(buf, columns);

  const work = mkdtempSync(join(tmpdir(), 'peak-etl-'));
  let instance: DuckDBInstance | undefined;
  let con: DuckDBConnection | undefined;
  try {
    instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
    con = await instance.connect();
    await con.run(`SET TimeZone = 'UTC'`); // casts of offset timestamps must not depend on the host's zone
    const normalised = join(work, 'records.csv');
    writeNormalisedCsv(normalised, read.records, columns);
    const allText = ['__rec', '__malformed', '__raw', ...columns].map((c) => `${sqlStr(c)}: 'VARCHAR'`).join(', ');
    await con.run(`CREATE TABLE ${plan.input.relation} AS SELECT * FROM read_csv(${sqlStr(normalised)}, header = true, auto_detect = false,
      delim = ',', quote = '"', escape = '"', columns = {${allText}}, max_line_size = 100000000, allow_quoted_nulls = false)`);

    const available: string[] = [];
    for (const ref of plan.references) {
      const keys = input.knownRefs?.[ref.dataset];
      if (keys === undefined || available.includes(ref.relation)) continue;
      await con.run(`CREATE TABLE ${ref.relation} ("${ref.key}" VARCHAR)`);
      const appender = await con.createAppender(ref.relation);
      for (const k of keys) { appender.appendVarchar(k); appender.endRow(); }
      appender.closeSync();
      available.push(ref.relation);
    }
    const rendered = renderDuckdb(plan, { availableReferences: available });
    await con.run(`CREATE TABLE result AS ${rendered.sql}`);

    const processedDir = join(outDir, 'processed', plan.dataset);
    const quarantineDir = join(outDir, 'quarantine', plan.dataset);
    mkdirSync(processedDir, { recursive: true });
    mkdirSync(quarantineDir, { recursive: true });
    removeBatchFiles(processedDir, batchId); // idempotent re-run: this batch's old files go, other batches stay
    const typedCols = plan.columns.map((c) => `"${c.name}"`).join(', ');
    const processedCount = await count(con, `SELECT count(*) FROM result WHERE len(reasons) = 0`);
    if (processedCount > 0) {
      await con.run(`COPY (SELECT ${typedCols}, dt FROM result WHERE len(reasons) = 0 ORDER BY record_number)
        TO ${sqlStr(processedDir)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt), OVERWRITE_OR_IGNORE true,
        FILENAME_PATTERN ${sqlStr(`${batchId}__{i}`)})`);
    }
    const quarantineFile = join(quarantineDir, `${batchId}.parquet`);
    rmSync(quarantineFile, { force: true });
    const rawCols = plan.columns.map((c) => `"raw_${c.name}"`).join(', ');
    await con.run(`COPY (SELECT record_number, reasons, reason_details, malformed_detail, raw_record, ${rawCols}
      FROM result WHERE len(reasons) > 0 ORDER BY record_number) TO ${sqlStr(quarantineFile)} (FORMAT parquet, COMPRESSION zstd)`);

    // Conservation is checked against what was written, not what we meant to write.
    const rowsIn = read.records.length;
    const rowsProcessed = processedCount > 0
      ? await count(con, `SELECT count(*) FROM read_parquet(${sqlStr(join(processedDir, `dt=*/${batchId}__*.parquet`))})`)
      : 0;
    const rowsQuarantined = await count(con, `SELECT count(*) FROM read_parquet(${sqlStr(quarantineFile)})`);
    if (rowsIn !== rowsProcessed + rowsQuarantined) {
      throw new ConservationError(`${plan.dataset}/${batchId}: rows in ${rowsIn} ≠ processed ${rowsProcessed} + quarantined ${rowsQuarantined}`);
    }

    const reasons: Partial<Record<ReasonCode, number>> = {};
    const reasonRows = (await con.runAndReadAll(`SELECT code, count(*) AS n FROM (SELECT unnest(reasons) AS code FROM result) GROUP BY code ORDER BY code`)).getRowObjectsJson();
    for (const r of reasonRows) {
      const code = String(r.code) as ReasonCode;
      if (!REASON_CODE_LIST.includes(code)) throw new Error(`plan produced an unknown reason code ${code}`);
      reasons[code] = Number(r.n);
    }
    const partitions = (await con.runAndReadAll(`SELECT DISTINCT strftime(dt, 'dt=%Y-%m-%d') AS p FROM result WHERE len(reasons) = 0 ORDER BY p`))
      .getRowObjectsJson()
      .map((r) => String(r.p));
    return {
      batchId, rowsIn, rowsProcessed, rowsQuarantined, reasons, partitions,
      referencesChecked: rendered.referencesChecked, ignoredColumns: read.ignoredColumns, missingColumns: read.missingColumns,
    };
  } finally {
    con?.closeSync();
    instance?.closeSync();
    rmSync(work, { recursive: true, force: true }); // also when DuckDB failed to start
  }
}

async function count(con: DuckDBConnection, sql: string): Promise<number> {
  const rows = (await con.runAndReadAll(sql)).getRows();
  return Number(rows[0]?.[0] ?? 0);
}

function removeBatchFiles(datasetDir: string, batchId: string): void {
  for (const part of readdirSync(datasetDir, { withFileTypes: true })) {
    if (!part.isDirectory()) continue;
    const dir = join(datasetDir, part.name);
    for (const f of readdirSync(dir)) if (f.startsWith(`${batchId}__`) && f.endsWith('.parquet')) rmSync(join(dir, f));
    if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
  }
}
