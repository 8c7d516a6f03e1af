/**
 * The other end of the test stand-in `duckdb.py`: one real DuckDB (@duckdb/node-api), driven by JSON
 * lines on stdin — {op: 'connect', config} | {op: 'execute', sql} | {op: 'executemany', sql, rows} —
 * each answered by one JSON line on stdout: {rows} or {error}. Ends when stdin closes.
 */
import { createInterface } from 'node:readline';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

type Request = { op: 'connect'; config: Record<string, string> } | { op: 'execute'; sql: string } | { op: 'executemany'; sql: string; rows: (string | number | null)[][] };

let instance: DuckDBInstance | undefined;
let con: DuckDBConnection | undefined;
const answer = (body: object) => process.stdout.write(`${JSON.stringify(body, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  const req = JSON.parse(line) as Request;
  try {
    if (req.op === 'connect') {
      instance = await DuckDBInstance.create(':memory:', req.config);
      con = await instance.connect();
      answer({ rows: [] });
      continue;
    }
    if (!con) throw new Error('not connected');
    if (req.op === 'execute') {
      answer({ rows: (await con.runAndReadAll(req.sql)).getRowsJS() });
    } else {
      const prepared = await con.prepare(req.sql);
      for (const row of req.rows) {
        row.forEach((v, i) => {
          if (v === null) prepared.bindNull(i + 1);
          else if (typeof v === 'number') prepared.bindBigInt(i + 1, BigInt(v));
          else prepared.bindVarchar(i + 1, v);
        });
        await prepared.run();
      }
      answer({ rows: [] });
    }
  } catch (err) {
    answer({ error: (err as Error).message });
  }
}
con?.closeSync();
instance?.closeSync();
