import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { generate } from '@peak/sample-data';

/** Small reproducible exports (~200 members × 30 days), the size the brief asks tests to use. */
export async function sampleExports(out: string, dirty = 0) {
  return generate({ out, members: 200, days: 30, end: '2026-06-30', seed: 11, dirty });
}

/** Known member/class ids taken from the exports' text, so a defective row there does not hide its id. */
export function knownIdsFrom(out: string) {
  const ids = (file: string, re: RegExp) => [...new Set(readFileSync(`${out}/exports/${file}`, 'latin1').match(re) ?? [])];
  return { members: ids('members.csv', /\bM\d{6}\b/g), classes: ids('classes.csv', /\bC\d{7}\b/g) };
}

/** Runs one query on a throwaway DuckDB (read-back of what the executor wrote). */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}
