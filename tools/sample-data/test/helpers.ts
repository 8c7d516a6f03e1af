import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { churnLabel, columnMeta, datasets, type DatasetName, type SqlType } from '@peak/contracts';
import type { TObject } from 'typebox';
import { generate, type GenerateOptions, type GenerationResult } from '../src/index.js';

/** Fixed end date so every test run sees the same calendar (July 2025 – June 2026 for 365 days). */
export const END = '2026-06-30';

export async function generateInto(out: string, options: Omit<GenerateOptions, 'out'>): Promise<GenerationResult> {
  return generate({ end: END, ...options, out });
}

export const schemaOf = (d: DatasetName | 'churn_labels'): TObject => (d === 'churn_labels' ? churnLabel : datasets[d].row);

/** CSV text → the typed value the ETL would land, per the column's x-sql type; '' means absent. */
export function cast(schema: TObject, column: string, text: string): unknown {
  const prop = schema.properties[column];
  if (prop === undefined) return text;
  const sql: SqlType = columnMeta(prop as never)['x-sql'];
  switch (sql) {
    case 'INTEGER':
    case 'BIGINT':
      return /^-?\d+$/.test(text) ? Number(text) : text;
    case 'DOUBLE':
    case 'DECIMAL(12,2)':
      return text.trim() !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
    case 'BOOLEAN':
      return text === 'true' ? true : text === 'false' ? false : text;
    default:
      return text;
  }
}

export function castRecord(schema: TObject, header: readonly string[], fields: readonly string[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  header.forEach((column, i) => {
    const text = fields[i] ?? '';
    if (text !== '') row[column] = cast(schema, column, text);
  });
  return row;
}

/** Every data row of a clean export file, typed. */
export function readRows(outDir: string, file: string, dataset: DatasetName | 'churn_labels'): Record<string, unknown>[] {
  const bytes = readFileSync(join(outDir, file));
  if (file.endsWith('.csv')) {
    const records = parse(bytes, { bom: true, relax_column_count: false }) as string[][];
    const [header, ...rows] = records;
    if (!header) return [];
    return rows.map((fields) => castRecord(schemaOf(dataset), header, fields));
  }
  if (file.endsWith('.ndjson')) {
    return bytes
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>[];
}

/** Physical lines as bytes (1-based index = line number - 1), without their LF or CR LF. */
export function physicalLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    const end = i > start && bytes[i - 1] === 0x0d ? i - 1 : i;
    lines.push(bytes.subarray(start, end));
    start = i + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
export function decodeUtf8(line: Buffer): string | undefined {
  try {
    return strictUtf8.decode(line);
  } catch {
    return undefined;
  }
}

/** Parses one CSV line on its own; undefined when it is not a valid CSV record (e.g. an open quote). */
export function parseCsvLine(line: string): string[] | undefined {
  try {
    const records = parse(line, { relax_column_count: true }) as string[][];
    return records.length === 1 ? records[0] : undefined;
  } catch {
    return undefined;
  }
}

export const byKey = <T extends Record<string, unknown>>(rows: T[], key: string): Map<unknown, T> => new Map(rows.map((r) => [r[key], r]));
