import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { DatasetName } from '@peak/contracts';
import {
  ConservationError,
  InputError,
  locateRecords,
  widenDays,
  type BundleErrorKind,
  type BundleStep,
  type Compression,
  type HostAction,
  type InputFormat,
  type JobBundle,
  type ReasonCode,
} from '@peak/etl';
import { openInput, readHeader } from '../src/executors/read-input.js';

/**
 * A second executor of job bundles, in TypeScript, built only from the bundle and the host actions it
 * names: what the Glue job does in Python. Tests run it beside runBatch to show the bundle is
 * self-sufficient (same outputs, same statements).
 */
type Value = string | number | boolean | null | Value[];
type Vars = Record<string, Value>;

export type BundleRunInput = {
  bundle: JobBundle;
  inputFile: string;
  format: InputFormat;
  compression: Compression;
  outDir: string;
  batchId: string;
  /** Parquet files of each referenced dataset's processed zone. */
  referenceFiles: Partial<Record<DatasetName, string[]>>;
};

export type BundleRunResult = {
  rowsIn: number;
  rowsProcessed: number;
  rowsQuarantined: number;
  reasons: Partial<Record<ReasonCode, number>>;
  /** Relative to outDir, as runBatch's. */
  processedFiles: string[];
  quarantineFile: string;
};

const sqlLiteral = (value: Value): string => {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(sqlLiteral).join(', ')}]`;
  return `'${value.replaceAll("'", "''")}'`;
};

export function fill(text: string, vars: Vars, sql = true): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`the bundle uses {{${name}}}, which is not set`);
    const value = vars[name] as Value;
    return !sql || name.endsWith('_sql') ? String(value) : sqlLiteral(value);
  });
}

const toValue = (v: DuckDBValue): Value => {
  if (typeof v === 'bigint') return Number(v);
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return String(v);
};

const bundleError = (kind: BundleErrorKind, message: string) => (kind === 'input' ? new InputError(message) : new ConservationError(message));

export async function runBundle(input: BundleRunInput): Promise<BundleRunResult> {
  const { bundle, inputFile, compression, outDir, batchId } = input;
  const processedDir = join(outDir, 'processed', bundle.dataset);
  const quarantineFile = join(outDir, 'quarantine', bundle.dataset, `${batchId}.parquet`);
  mkdirSync(processedDir, { recursive: true });
  mkdirSync(join(outDir, 'quarantine', bundle.dataset), { recursive: true });
  const vars: Vars = {
    input_file: inputFile, format: input.format, compression, json_compression: bundle.jsonCompression[compression],
    batch_id: batchId, file_pattern: `${batchId}__{i}`, processed_dir: processedDir, quarantine_file: quarantineFile,
  };

  const host = async (action: HostAction, con: DuckDBConnection): Promise<void> => {
    switch (action.name) {
      case 'csvHeader': {
        const header = await readHeader(openInput(inputFile, compression));
        vars.csv_header = header ?? null;
        if (header === undefined) return;
        const seen = new Map<string, number>();
        header.forEach((h, i) => {
          if (seen.has(h)) throw new InputError(`the CSV header names "${h}" twice (columns ${(seen.get(h) ?? 0) + 1} and ${i + 1}); rename or drop one and upload again`);
          seen.set(h, i);
        });
        vars.csv_columns_sql = `{${header.map((_, i) => action.field.replaceAll('{{index}}', String(i))).join(', ')}}`;
        vars.csv_select_sql = action.columns.map((c) => (seen.has(c.name) ? c.present.replaceAll('{{index}}', String(seen.get(c.name))) : c.absent)).join(', ');
        return;
      }
      case 'referenceFiles':
        vars[action.into] = input.referenceFiles[action.dataset] ?? [];
        return;
      case 'processedFiles': {
        const files: string[] = [];
        for (const day of widenDays(vars[action.days] as string[])) {
          const dir = join(processedDir, `dt=${day}`);
          if (!existsSync(dir)) continue;
          for (const f of readdirSync(dir).sort()) if (f.endsWith('.parquet') && !f.startsWith(`${batchId}__`)) files.push(join(dir, f));
        }
        vars[action.into] = files;
        return;
      }
      case 'locateRecords': {
        const wanted = vars[action.wanted] as number[];
        const found = await locateRecords(openInput(inputFile, compression), {
          header: action.header, quoting: action.quoting, maxRawBytes: action.maxRawBytes,
          keptOrdinals: wanted.filter((n) => n >= 0), rejectedLines: wanted.filter((n) => n < 0).map((n) => -n).sort((a, b) => a - b),
        });
        if (found.keptRows !== vars[action.keptRows] || found.rejectedRows !== vars[action.rejectedRows] || found.located.length !== wanted.length) {
          throw new Error(`record boundaries disagree (reader kept ${String(vars[action.keptRows])} and rejected ${String(vars[action.rejectedRows])}, the line scan found ${found.keptRows} and ${found.rejectedRows})`);
        }
        const appender = await con.createAppender(action.table);
        for (const r of found.located) {
          appender.appendBigInt(BigInt(r.recordNumber));
          appender.appendBigInt(BigInt(r.line));
          appender.appendVarchar(r.raw);
          appender.endRow();
        }
        appender.closeSync();
        return;
      }
      case 'listOutputs': {
        const files: string[] = [];
        for (const part of readdirSync(processedDir, { withFileTypes: true })) {
          if (!part.isDirectory()) continue;
          for (const f of readdirSync(join(processedDir, part.name))) if (f.startsWith(`${batchId}__`) && f.endsWith('.parquet')) files.push(join(processedDir, part.name, f));
        }
        vars[action.into] = files.sort();
      }
    }
  };

  const rows = async (con: DuckDBConnection, sql: string) => (await con.runAndReadAll(sql)).getRows().map((r) => r.map(toValue));
  const run = async (con: DuckDBConnection, steps: BundleStep[]): Promise<void> => {
    for (const step of steps) {
      if (step.when !== undefined && (await rows(con, fill(step.when, vars)))[0]?.[0] !== true) continue;
      switch (step.run) {
        case 'steps':
          await run(con, step.steps);
          break;
        case 'sql':
          try {
            await con.run(fill(step.sql, vars));
          } catch (err) {
            if (!step.onError) throw err;
            throw bundleError(step.onError.kind, fill(step.onError.message, { ...vars, error: (err as Error).message.split('\n')[0] ?? '' }, false));
          }
          break;
        case 'query': {
          const result = await rows(con, fill(step.sql, vars));
          step.into.forEach((name, i) => (vars[name] = step.rows === 'all' ? result.map((r) => r[i] ?? null) : (result[0]?.[i] ?? null)));
          break;
        }
        case 'check':
          if ((await rows(con, fill(step.sql, vars)))[0]?.[0] !== true) throw bundleError(step.error.kind, fill(step.error.message, vars, false));
          break;
        case 'host':
          await host(step.action, con);
      }
    }
  };

  // Like runBatch: a re-run replaces this batch's files.
  for (const part of readdirSync(processedDir)) {
    const dir = join(processedDir, part);
    for (const f of readdirSync(dir)) if (f.startsWith(`${batchId}__`)) rmSync(join(dir, f));
  }
  rmSync(quarantineFile, { force: true });
  const instance = await DuckDBInstance.create(':memory:', bundle.duckdb.config);
  const con = await instance.connect();
  try {
    await run(con, bundle.steps);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
  const r = bundle.result;
  const codes = vars[r.reasonCodes] as ReasonCode[];
  const counts = vars[r.reasonCounts] as number[];
  return {
    rowsIn: vars[r.rowsIn] as number,
    rowsProcessed: vars[r.rowsProcessed] as number,
    rowsQuarantined: vars[r.rowsQuarantined] as number,
    reasons: Object.fromEntries(codes.map((c, i) => [c, counts[i]])),
    processedFiles: (vars[r.processedFiles] as string[]).map((f) => relative(outDir, f)),
    quarantineFile: relative(outDir, quarantineFile),
  };
}
