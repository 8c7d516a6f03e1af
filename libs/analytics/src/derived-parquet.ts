import { DuckDBInstance } from '@duckdb/node-api';
import type { DerivedName } from '@peak/contracts';
import { derivedColumns } from './views.js';

/** A row of a derived relation as the writing job holds it: the contract's columns (absent or null = NULL). */
export type DerivedRow = Readonly<Record<string, string | number | boolean | null | undefined>>;

/**
 * Writes rows of a derived relation as one Parquet file (ZSTD, the contract's column types and order, `dt` left to the
 * folder name), as both engines read it. DuckDB casts every value from its text, so dates and instants go in as ISO text.
 */
export async function writeDerivedParquet(name: DerivedName, rows: readonly DerivedRow[], file: string, orderBy?: string): Promise<void> {
  const columns = derivedColumns(name).filter((c) => c.name !== 'dt');
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    await con.run(`SET TimeZone = 'UTC'`);
    await con.run(`CREATE TABLE staged (${columns.map((c) => `${c.name} VARCHAR`).join(', ')})`);
    const appender = await con.createAppender('staged');
    for (const row of rows) {
      for (const c of columns) {
        const v = row[c.name];
        if (v === null || v === undefined) appender.appendNull();
        else appender.appendVarchar(c.sqlType === 'TIMESTAMP' ? String(v).replace('T', ' ').replace('Z', '') : String(v));
      }
      appender.endRow();
    }
    appender.closeSync();
    const select = columns.map((c) => `CAST(${c.name} AS ${c.sqlType}) AS ${c.name}`).join(', ');
    const order = orderBy ? ` ORDER BY ${orderBy}` : '';
    await con.run(`COPY (SELECT ${select} FROM staged${order}) TO '${file.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}
