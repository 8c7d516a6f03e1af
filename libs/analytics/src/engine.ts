/**
 * The query engine port. Metrics, the sandbox and the services only see this interface; DuckDB
 * (local, over the lake folder) and Athena (AWS, over the Glue catalog) implement it, so the same SQL
 * text runs on both and gives the same rows.
 */

/** A value bound to a `?` placeholder, in order. Never spliced into SQL text by callers. */
export type SqlParam = string | number | boolean | null;

/**
 * One result value, the same on both engines: integers and decimals as numbers, DATE as `YYYY-MM-DD`,
 * TIMESTAMP as ISO 8601 UTC (`2026-01-05T06:52:40.000Z`), arrays as arrays.
 */
export type SqlValue = string | number | boolean | null | SqlValue[];
export type Row = Record<string, SqlValue>;

/** Column types as both engines report them, normalised to these names. */
export type ColumnType = 'VARCHAR' | 'BIGINT' | 'INTEGER' | 'DOUBLE' | 'DECIMAL' | 'BOOLEAN' | 'DATE' | 'TIMESTAMP' | 'ARRAY' | 'OTHER';
export type ColumnInfo = { name: string; type: ColumnType };

export type QueryOptions = {
  params?: readonly SqlParam[];
  /** Give up (and cancel the query on the engine) after this long. */
  timeoutMs?: number;
  /** Keep at most this many rows (the result says `truncated`). */
  maxRows?: number;
  signal?: AbortSignal;
};

export type QueryStats = {
  engine: EngineName;
  elapsedMs: number;
  /** Bytes the engine read to answer (Athena's DataScannedInBytes; DuckDB: size of the Parquet files it opened, when known). */
  bytesScanned?: number;
  /** The engine's id of the query (Athena QueryExecutionId). */
  queryId?: string;
  /** Athena answered from a previous result (result reuse). */
  reused?: boolean;
};

export type QueryResult = { columns: ColumnInfo[]; rows: Row[]; truncated: boolean; stats: QueryStats };

export type EngineName = 'duckdb' | 'athena';

export interface QueryEngine {
  readonly name: EngineName;
  query(sql: string, options?: QueryOptions): Promise<QueryResult>;
  close(): Promise<void>;
}

export type QueryErrorCode =
  | 'TIMEOUT' // took longer than timeoutMs; the engine was told to stop
  | 'CANCELLED' // stopped from outside (signal, or someone stopped it on the engine)
  | 'FAILED' // the engine ran it and it failed (bad SQL, missing table, data error)
  | 'BAD_PARAMS'; // a parameter value the engine cannot carry (e.g. NaN, Infinity)

export class QueryError extends Error {
  override name = 'QueryError';
  constructor(
    readonly code: QueryErrorCode,
    message: string,
    readonly queryId?: string,
  ) {
    super(message);
  }
}
