import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import { splitCsvLine } from '@peak/contracts';
import type { EtlPlan } from '../plan/build-plan.js';

export type InputFormat = 'csv' | 'json' | 'ndjson';
export type Compression = 'none' | 'gzip';

/** The file cannot be read as records at all (e.g. duplicate CSV headers, a broken JSON array): the batch fails. */
export class InputError extends Error {
  override name = 'InputError';
}

/** Where the reader put things (relation names are fixed so the plan's input relation can be a view over them). */
export const INPUT_RELATIONS = { rows: 'input_rows', rejects: 'input_rejects' } as const;

export type ReadInput = {
  /** Rows the reader kept; their rowid is their ordinal in the file. */
  keptRows: number;
  /** Distinct logical lines the reader rejected (CSV/NDJSON). */
  rejectedLines: number;
  /** How the quarantine finds lines: scan the file (CSV/NDJSON) or use the element number (JSON array). */
  lines: 'scan' | 'element';
  missingColumns: string[];
  ignoredColumns: string[];
};

/** `malformed_detail` of a record DuckDB's reader rejected, by its error type. */
export const READER_ERRORS: Record<string, string> = {
  'TOO MANY COLUMNS': 'too_many_fields',
  'MISSING COLUMNS': 'too_few_fields',
  'INVALID ENCODING': 'invalid_utf8',
  'UNQUOTED VALUE': 'bad_quoting',
  'LINE SIZE OVER MAXIMUM': 'line_too_long',
};

export const sqlStr = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** Opens the file as a byte stream, decompressed when it is gzip. */
export function openInput(file: string, compression: Compression): Readable {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  return compression === 'gzip' ? raw.pipe(createGunzip()) : raw;
}

/**
 * Builds the plan's all-text input relation: one row per record, `__rec` = the kept row's ordinal
 * (file order) or minus the logical line of a record the reader rejected, `__malformed` saying why.
 * DuckDB does the reading (parallel, no copy through JavaScript).
 */
export async function readInput(con: DuckDBConnection, plan: EtlPlan, file: string, format: InputFormat, compression: Compression): Promise<ReadInput> {
  const columns = plan.columns.map((c) => c.source);
  const { recordNumber: rec, malformed, rawRecord, relation } = plan.input;
  const nullColumns = (alias = '') => columns.map((c) => `NULL::VARCHAR AS ${ident(c)}`).join(', ') + alias;
  // DuckDB's error types, in the words the quarantine documents (docs/pipeline.md).
  const detail = `CASE min(error_type) ${Object.entries(READER_ERRORS).map(([k, v]) => `WHEN '${k}' THEN '${v}'`).join(' ')} ELSE lower(replace(min(error_type), ' ', '_')) END`;
  const rejectsView = `SELECT -CAST(line AS BIGINT) AS ${ident(rec)}, ${detail} AS ${ident(malformed)}, NULL::VARCHAR AS ${ident(rawRecord)}, ${nullColumns()}
    FROM ${INPUT_RELATIONS.rejects} GROUP BY line`;
  const readerOptions = `auto_detect = false, store_rejects = true, rejects_table = '${INPUT_RELATIONS.rejects}', rejects_scan = 'input_rejects_scan',
    strict_mode = true, null_padding = false, compression = '${compression}'`;

  if (format === 'csv') {
    const header = await readHeader(openInput(file, compression));
    if (header === undefined) {
      await con.run(`CREATE TABLE ${INPUT_RELATIONS.rows} (c0 VARCHAR); CREATE TABLE ${INPUT_RELATIONS.rejects} (line BIGINT, error_type VARCHAR)`);
      await con.run(`CREATE VIEW ${ident(relation)} AS SELECT 0::BIGINT AS ${ident(rec)}, NULL::VARCHAR AS ${ident(malformed)}, NULL::VARCHAR AS ${ident(rawRecord)}, ${nullColumns()} WHERE FALSE`);
      return { keptRows: 0, rejectedLines: 0, lines: 'scan', missingColumns: [...columns], ignoredColumns: [] };
    }
    const seen = new Map<string, number>();
    header.forEach((h, i) => {
      if (seen.has(h)) throw new InputError(`the CSV header names "${h}" twice (columns ${(seen.get(h) ?? 0) + 1} and ${i + 1}); rename or drop one and upload again`);
      seen.set(h, i);
    });
    const positional = header.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
    await con.run(`CREATE TABLE ${INPUT_RELATIONS.rows} AS SELECT * FROM read_csv(${sqlStr(file)}, header = true, delim = ',', quote = '"', escape = '"',
      columns = {${positional}}, ${readerOptions})`);
    await ensureRejectsTable(con);
    const select = columns.map((c) => (seen.has(c) ? `c${seen.get(c)} AS ${ident(c)}` : `NULL::VARCHAR AS ${ident(c)}`)).join(', ');
    await con.run(`CREATE VIEW ${ident(relation)} AS
      SELECT rowid AS ${ident(rec)}, NULL::VARCHAR AS ${ident(malformed)}, NULL::VARCHAR AS ${ident(rawRecord)}, ${select} FROM ${INPUT_RELATIONS.rows}
      UNION ALL ${rejectsView}`);
    return {
      ...(await counts(con)),
      lines: 'scan',
      missingColumns: columns.filter((c) => !seen.has(c)),
      ignoredColumns: header.filter((h) => !columns.includes(h)),
    };
  }

  if (format === 'ndjson') {
    // One column per line: chr(1) cannot occur in valid JSON (control characters must be escaped).
    await con.run(`CREATE TABLE ${INPUT_RELATIONS.rows} AS SELECT * FROM read_csv(${sqlStr(file)}, header = false, delim = chr(1), quote = '', escape = '',
      columns = {'j': 'VARCHAR'}, ${readerOptions})`);
    await ensureRejectsTable(con);
  } else {
    try {
      // The JSON reader names "no compression" `uncompressed` (read_csv's `none` is an error there).
      const jsonCompression = compression === 'none' ? 'uncompressed' : compression;
      await con.run(`CREATE TABLE ${INPUT_RELATIONS.rows} AS SELECT json::VARCHAR AS j FROM read_json_objects(${sqlStr(file)}, format = 'array', compression = '${jsonCompression}')`);
    } catch (err) {
      throw new InputError(`the file is not a JSON array of objects (${(err as Error).message.split('\n')[0]}); send a JSON array or one object per line (NDJSON)`);
    }
    await con.run(`CREATE TABLE ${INPUT_RELATIONS.rejects} (line BIGINT, error_type VARCHAR)`);
  }
  const known = `[${columns.map(sqlStr).join(', ')}]`;
  const paths = `[${columns.map((c) => sqlStr(`$."${c}"`)).join(', ')}]`;
  // Every column holds one value: an object or array (nested_value) would otherwise land as its JSON text.
  await con.run(`CREATE VIEW ${ident(relation)} AS
    WITH parsed AS (
      SELECT rowid AS ${ident(rec)}, j,
        CASE WHEN NOT json_valid(j) THEN 'bad_json'
             WHEN json_type(j) <> 'OBJECT' THEN 'not_an_object'
             WHEN len(list_filter(json_keys(j), k -> NOT list_contains(${known}, k))) > 0 THEN 'unknown_key'
             WHEN list_has_any(json_type(j, ${paths}), ['OBJECT', 'ARRAY']) THEN 'nested_value' END AS ${ident(malformed)}
      FROM ${INPUT_RELATIONS.rows}
    ),
    extracted AS (
      SELECT *, CASE WHEN ${ident(malformed)} IS NULL THEN json_extract_string(j, ${paths}) END AS vals FROM parsed
    )
    SELECT ${ident(rec)}, ${ident(malformed)}, CASE WHEN ${ident(malformed)} IS NOT NULL THEN j END AS ${ident(rawRecord)},
      ${columns.map((c, i) => `vals[${i + 1}] AS ${ident(c)}`).join(', ')}
    FROM extracted
    UNION ALL ${rejectsView}`);
  return { ...(await counts(con)), lines: format === 'ndjson' ? 'scan' : 'element', missingColumns: [], ignoredColumns: [] };
}

/** DuckDB creates the rejects table only when it has a reason to; later queries need it either way. */
async function ensureRejectsTable(con: DuckDBConnection): Promise<void> {
  const exists = await con.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE table_name = '${INPUT_RELATIONS.rejects}'`);
  if (Number(exists.getRows()[0]?.[0] ?? 0) === 0) await con.run(`CREATE TABLE ${INPUT_RELATIONS.rejects} (line BIGINT, error_type VARCHAR)`);
}

async function counts(con: DuckDBConnection): Promise<{ keptRows: number; rejectedLines: number }> {
  const r = await con.runAndReadAll(`SELECT (SELECT count(*) FROM ${INPUT_RELATIONS.rows}), (SELECT count(DISTINCT line) FROM ${INPUT_RELATIONS.rejects})`);
  const [kept, rejected] = r.getRows()[0] ?? [0, 0];
  return { keptRows: Number(kept), rejectedLines: Number(rejected) };
}

export const MAX_HEADER_BYTES = 1 << 20;

/** The CSV header's names (BOM and surrounding spaces removed), or undefined for an empty file. */
export async function readHeader(input: Readable): Promise<string[] | undefined> {
  const parts: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const nl = chunk.indexOf(0x0a);
      parts.push(nl === -1 ? chunk : chunk.subarray(0, nl));
      length += nl === -1 ? chunk.length : nl;
      if (nl !== -1) break;
      if (length > MAX_HEADER_BYTES) throw new InputError(`the first line is longer than ${MAX_HEADER_BYTES} bytes: it cannot be a CSV header`);
    }
  } finally {
    input.destroy();
  }
  let text = Buffer.concat(parts).toString('utf8');
  if (text.startsWith('\ufeff')) text = text.slice(1);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  if (text === '' && length === 0) return undefined;
  return splitCsvLine(text).map((h) => h.trim());
}
