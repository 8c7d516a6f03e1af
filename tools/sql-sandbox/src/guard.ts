import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { SandboxError } from './errors.js';

/**
 * The statement-type allowlist, the sandbox's second line after DuckDB's own locks (see
 * docs/decisions/0009-sql-sandbox.md): DuckDB parses and binds the text, and only a single read-only
 * query gets through. Preparing never executes anything; side effects would only come from running.
 */

export const ALLOWED = 'SELECT, WITH … SELECT, FROM …, VALUES, EXPLAIN [ANALYZE] <query>, DESCRIBE/SHOW/SUMMARIZE <view or query>';

const onlyOneQuery = (found: string) =>
  `only one read-only query (SELECT …) per request: found ${found}. Allowed: ${ALLOWED}. The sandbox never changes data, files or settings.`;

/**
 * Table and scalar functions DuckDB runs inside a SELECT that act rather than read, found by test:
 * `lock_configuration` does not stop them (enable_logging(storage = 'file') even broke every later query).
 */
const FORBIDDEN_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ...['checkpoint', 'force_checkpoint'].map((f) => [f, 'it writes the database'] as const),
  ...['enable_logging', 'disable_logging', 'truncate_duckdb_logs', 'write_log', 'enable_profiling', 'disable_profiling', 'enable_peg_parser', 'disable_peg_parser'].map(
    (f) => [f, "it changes the database's settings"] as const,
  ),
  ...['query', 'query_table', 'json_execute_serialized_sql'].map((f) => [f, 'it runs SQL built from a string, which the sandbox cannot check first; write the query itself'] as const),
  ...['arrow_scan', 'arrow_scan_dumb'].map((f) => [f, "it reads the process's memory"] as const),
]);

/** `EXPLAIN`, `EXPLAIN ANALYZE`, `EXPLAIN (ANALYZE, FORMAT json)` before the query it explains. */
const EXPLAIN_OPTION = String.raw`(?:ANALY[SZ]E|FORMAT\s+\w+)`;
const EXPLAIN_PREFIX = new RegExp(String.raw`^\s*EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?:\(\s*${EXPLAIN_OPTION}(?:\s*,\s*${EXPLAIN_OPTION})*\s*\)\s*)?`, 'i');

/** Keywords a read-only statement may start with (`(` for a parenthesised query). */
const READ_ONLY_KEYWORDS = new Set(['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'EXPLAIN', 'DESCRIBE', 'SHOW', 'SUMMARIZE', '(']);

/** The first keyword of a statement, past comments and semicolons ('' when there is none): how messages name a statement. */
export function leadingKeyword(sql: string): string {
  const text = sql.replace(/^(?:[\s;]+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  return /^(?:[A-Za-z_]+|\()/.exec(text)?.[0]?.toUpperCase() ?? '';
}

/** The one statement of `sql`, prepared and checked read-only; refuses anything else with a SandboxError. */
export async function prepareReadOnly(con: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  // DuckDB's extractStatements fails without a word on text with no statement in it.
  if (leadingKeyword(sql) === '') throw new SandboxError('REFUSED', `there is no SQL statement to run. Allowed: ${ALLOWED}.`);
  const extracted = await con.extractStatements(sql);
  if (extracted.count > 1) throw new SandboxError('REFUSED', onlyOneQuery(`${extracted.count} statements; send them one at a time`));
  const prepared = await extracted.prepare(0).catch((err: unknown) => {
    // Binding fails first for a write to a missing table (INSERT INTO nope …): say what was refused, not why it would fail.
    const keyword = leadingKeyword(sql);
    throw READ_ONLY_KEYWORDS.has(keyword) ? err : new SandboxError('REFUSED', onlyOneQuery(keyword));
  });
  try {
    await checkPrepared(con, sql, prepared);
    return prepared;
  } catch (err) {
    prepared.destroySync();
    throw err;
  }
}

async function checkPrepared(con: DuckDBConnection, sql: string, prepared: DuckDBPreparedStatement): Promise<void> {
  const type = prepared.statementType;
  if (type === StatementType.EXPLAIN) {
    // EXPLAIN ANALYZE runs what it explains (even DDL): the explained statement passes the same checks.
    const misplaced = new SandboxError('REFUSED', `write EXPLAIN [ANALYZE] directly before the query it explains (no comments in between). Allowed: ${ALLOWED}.`);
    const prefix = EXPLAIN_PREFIX.exec(sql);
    if (!prefix) throw misplaced;
    const inner = await prepareReadOnly(con, sql.slice(prefix[0].length)).catch((err: unknown) => {
      // The whole statement prepared, so a failure here means the prefix was not where DuckDB saw it.
      throw err instanceof SandboxError ? err : misplaced;
    });
    inner.destroySync();
    return;
  }
  if (type !== StatementType.SELECT) throw new SandboxError('REFUSED', onlyOneQuery(statementName(type, sql)));
  await checkFunctions(con, sql);
}

/** The statement as written (DuckDB types RESET and PRAGMA x = … as SET, INSTALL as LOAD); its type after WITH or `(`. */
function statementName(type: StatementType, sql: string): string {
  const keyword = leadingKeyword(sql);
  if (keyword !== 'WITH' && keyword !== '(' && keyword !== '') return keyword;
  return (StatementType[type] ?? 'an unknown statement').replaceAll('_', ' ');
}

/**
 * DuckDB's parser gives the query as JSON (json_serialize_sql): every function it calls, however
 * quoted or qualified. A statement it cannot serialise is not a plain query (e.g. a PRAGMA that
 * DuckDB rewrote into a SELECT).
 */
async function checkFunctions(con: DuckDBConnection, sql: string): Promise<void> {
  const reader = await con.runAndReadAll('SELECT json_serialize_sql(CAST(? AS VARCHAR))', [sql]);
  const serialised = JSON.parse(String(reader.getRows()[0]?.[0])) as { error?: boolean };
  if (serialised.error) throw new SandboxError('REFUSED', onlyOneQuery(leadingKeyword(sql)));
  for (const name of functionNames(serialised)) {
    const why = FORBIDDEN_FUNCTIONS.get(name);
    if (why) throw new SandboxError('REFUSED', `${name}() is not available in the sandbox: ${why}. The sandbox only reads the lake's views.`);
  }
}

function* functionNames(node: unknown): Generator<string> {
  if (Array.isArray(node)) {
    for (const item of node) yield* functionNames(item);
  } else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record.function_name === 'string') yield record.function_name.toLowerCase();
    for (const value of Object.values(record)) yield* functionNames(value);
  }
}
