import { setTimeout as realSleep } from 'node:timers/promises';
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
  type Row as AthenaRow,
} from '@aws-sdk/client-athena';
import { QueryError, type ColumnInfo, type QueryEngine, type QueryOptions, type QueryResult, type Row, type SqlParam, type SqlValue } from './engine.js';
import { fromText, normaliseType } from './values.js';

export type AthenaEngineOptions = {
  /** Owned by the caller: close() leaves it open. */
  client: AthenaClient;
  workGroup: string;
  database: string;
  /** Default `AwsDataCatalog` (the Glue catalog). */
  catalog?: string;
  /** `s3://…/` for the result files; leave out when the workgroup enforces its own. */
  outputLocation?: string;
  /** Let Athena answer from an identical query's result up to this old (1–10080); 0 or undefined: always run. */
  resultReuseMaxAgeMinutes?: number;
  /** First wait between two status polls (default 200 ms); each next wait is 1.5× longer… */
  pollInitialMs?: number;
  /** …up to this (default 2000 ms). */
  pollMaxMs?: number;
  /** Waits between polls (tests inject one that returns at once). */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds clock that timeoutMs and elapsedMs are measured on (tests inject a fake one advanced by `sleep`). */
  now?: () => number;
};

const DEFAULT_CATALOG = 'AwsDataCatalog';
const DEFAULT_POLL_INITIAL_MS = 200;
const DEFAULT_POLL_MAX_MS = 2000;
const POLL_GROWTH = 1.5;
const MAX_PAGE_ROWS = 1000; // GetQueryResults' own ceiling for MaxResults
const MAX_REUSE_AGE_MINUTES = 10080; // Athena's limit: 7 days

/** What the caller allows one query: until `deadline` (on the engine's clock), unless `signal` aborts first. */
type Limits = { timeoutMs: number | undefined; deadline: number; signal: AbortSignal | undefined };

/**
 * Athena (engine v3, over the Glue catalog): StartQueryExecution in a workgroup, poll GetQueryExecution with
 * backoff, page through GetQueryResults. Every value arrives as text and goes through the same `fromText`
 * as DuckDB's, so both engines give the same rows.
 *
 * Limitations: Athena accepts `?` parameters in the WHERE clause only. ARRAY values arrive as Athena's
 * display text (`[a, b]`, elements unquoted) and are split back best-effort into an array of strings (`null`
 * elements become null, nested arrays/rows stay as their text, an element containing `, ` is split in two);
 * `CAST(col AS JSON)` in the SQL gives exact arrays as JSON text instead.
 */
export class AthenaEngine implements QueryEngine {
  readonly name = 'athena' as const;
  private readonly catalog: string;
  private readonly pollInitialMs: number;
  private readonly pollMaxMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: AthenaEngineOptions) {
    const age = options.resultReuseMaxAgeMinutes;
    if (age !== undefined && !(Number.isInteger(age) && age >= 0 && age <= MAX_REUSE_AGE_MINUTES)) {
      throw new RangeError(`resultReuseMaxAgeMinutes must be a whole number of minutes from 0 to ${MAX_REUSE_AGE_MINUTES}, not ${age}`);
    }
    this.catalog = options.catalog ?? DEFAULT_CATALOG;
    this.pollInitialMs = options.pollInitialMs ?? DEFAULT_POLL_INITIAL_MS;
    this.pollMaxMs = options.pollMaxMs ?? DEFAULT_POLL_MAX_MS;
    // A zero wait would hammer GetQueryExecution (and Athena's API rate limit) for the whole query.
    if (!(this.pollInitialMs > 0 && this.pollMaxMs >= this.pollInitialMs)) {
      throw new RangeError(`poll waits must satisfy 0 < pollInitialMs <= pollMaxMs, not ${this.pollInitialMs} and ${this.pollMaxMs}`);
    }
    this.sleep = options.sleep ?? ((ms) => realSleep(ms));
    this.now = options.now ?? (() => performance.now());
  }

  async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    const started = this.now();
    const limits: Limits = {
      timeoutMs: options.timeoutMs,
      deadline: options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : started + options.timeoutMs,
      signal: options.signal,
    };
    const executionParameters = options.params?.map(toExecutionParameter);
    if (options.signal?.aborted) throw new QueryError('CANCELLED', 'the query was cancelled before it started');

    let queryId: string | undefined;
    let finished = false;
    try {
      const reuseAge = this.options.resultReuseMaxAgeMinutes;
      const start = await this.options.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: this.options.workGroup,
          QueryExecutionContext: { Database: this.options.database, Catalog: this.catalog },
          ...(executionParameters && executionParameters.length > 0 ? { ExecutionParameters: executionParameters } : {}),
          ...(this.options.outputLocation ? { ResultConfiguration: { OutputLocation: this.options.outputLocation } } : {}),
          ...(reuseAge ? { ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: reuseAge } } } : {}),
        }),
      );
      queryId = start.QueryExecutionId;
      if (!queryId) throw new Error('StartQueryExecution answered without a QueryExecutionId');

      const execution = await this.waitUntilDone(queryId, limits);
      finished = true;
      const { columns, rows, truncated } = await this.readResults(queryId, execution, options.maxRows, limits);
      return {
        columns,
        rows,
        truncated,
        stats: {
          engine: 'athena',
          elapsedMs: this.now() - started,
          bytesScanned: execution.Statistics?.DataScannedInBytes,
          queryId,
          reused: execution.Statistics?.ResultReuseInformation?.ReusedPreviousResult ?? false,
        },
      };
    } catch (err) {
      if (err instanceof QueryError) throw err;
      // An SDK call failed after its own retries; a query we stop watching must not keep scanning.
      const stopFailure = queryId && !finished ? await this.stop(queryId) : undefined;
      throw new QueryError('FAILED', `Athena: ${describe(err)}${stopFailure ? ` (and stopping the query failed: ${stopFailure})` : ''}`, queryId);
    }
  }

  /** Why the caller no longer wants the answer, if it doesn't. */
  private givenUp(limits: Limits): 'TIMEOUT' | 'CANCELLED' | undefined {
    if (limits.signal?.aborted) return 'CANCELLED';
    if (this.now() >= limits.deadline) return 'TIMEOUT';
    return undefined;
  }

  /** Polls until the query ends; stops it on Athena when the caller gives up (timeout or signal). */
  private async waitUntilDone(queryId: string, limits: Limits): Promise<QueryExecution> {
    const stopIfGivenUp = async () => {
      const why = this.givenUp(limits);
      if (!why) return;
      const stopFailure = await this.stop(queryId);
      const message = why === 'TIMEOUT' ? `the query took longer than ${limits.timeoutMs} ms and was stopped` : 'the query was cancelled';
      throw new QueryError(why, `${message}${stopFailure ? ` (stopping it on Athena failed: ${stopFailure})` : ''}`, queryId);
    };
    for (let delay = this.pollInitialMs; ; delay = Math.min(this.pollMaxMs, Math.round(delay * POLL_GROWTH))) {
      const { QueryExecution: execution } = await this.options.client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
      const state = execution?.Status?.State;
      if (execution && state === 'SUCCEEDED') return execution;
      if (state === 'FAILED') throw new QueryError('FAILED', `Athena query ${queryId} failed: ${failureReason(execution)}`, queryId);
      if (state === 'CANCELLED') {
        const reason = execution?.Status?.StateChangeReason;
        throw new QueryError('CANCELLED', `Athena query ${queryId} was cancelled on Athena${reason ? `: ${reason}` : ''}`, queryId);
      }
      await stopIfGivenUp();
      await sleepUnlessAborted(this.sleep, Math.min(delay, limits.deadline - this.now()), limits.signal);
      await stopIfGivenUp();
    }
  }

  private async readResults(
    queryId: string,
    execution: QueryExecution,
    maxRows: number | undefined,
    limits: Limits,
  ): Promise<{ columns: ColumnInfo[]; rows: Row[]; truncated: boolean }> {
    const limit = Math.max(0, Math.floor(maxRows ?? Number.POSITIVE_INFINITY));
    // Only a SELECT's (DML's) first page starts with a row of column names; SHOW/DESCRIBE/DDL results do not.
    const headerRows = execution.StatementType === 'DDL' || execution.StatementType === 'UTILITY' ? 0 : 1;
    let columns: ColumnInfo[] | undefined;
    const rows: Row[] = [];
    let truncated = false;
    let nextToken: string | undefined;
    let firstPage = true;
    do {
      const why = this.givenUp(limits); // the query itself has ended: nothing to stop on Athena
      if (why) throw new QueryError(why, why === 'TIMEOUT' ? `reading the results took the query past ${limits.timeoutMs} ms` : 'the query was cancelled', queryId);
      // One row past maxRows is enough to know the result was truncated.
      const wanted = limit - rows.length + 1 + (firstPage ? headerRows : 0);
      const page = await this.options.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: queryId, MaxResults: Math.min(MAX_PAGE_ROWS, wanted), ...(nextToken ? { NextToken: nextToken } : {}) }),
      );
      columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c, i) => ({ name: c.Name ?? c.Label ?? `column${i}`, type: normaliseType(c.Type ?? '') }));
      const pageRows = page.ResultSet?.Rows ?? [];
      for (const athenaRow of firstPage ? pageRows.slice(headerRows) : pageRows) {
        if (rows.length >= limit) {
          truncated = true;
          break;
        }
        rows.push(toRow(athenaRow, columns));
      }
      nextToken = page.NextToken;
      firstPage = false;
    } while (nextToken && !truncated);
    return { columns: columns ?? [], rows, truncated };
  }

  /** Best-effort StopQueryExecution; says why it failed, if it did. */
  private async stop(queryId: string): Promise<string | undefined> {
    try {
      await this.options.client.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId }));
      return undefined;
    } catch (err) {
      return describe(err);
    }
  }

  async close(): Promise<void> {
    // Nothing of its own to release: the AthenaClient belongs to the caller.
  }
}

/** A parameter as the SQL literal text Athena substitutes for its `?`. */
function toExecutionParameter(p: SqlParam): string {
  if (p === null) return 'NULL';
  if (typeof p === 'boolean') return p ? 'true' : 'false';
  if (typeof p === 'number') {
    if (!Number.isFinite(p)) throw new QueryError('BAD_PARAMS', `parameter ${p} is not a finite number`);
    return String(p);
  }
  return `'${p.replaceAll("'", "''")}'`;
}

function toRow(athenaRow: AthenaRow, columns: ColumnInfo[]): Row {
  const row: Row = {};
  columns.forEach((c, i) => {
    const text = athenaRow.Data?.[i]?.VarCharValue; // a NULL cell is a Datum without VarCharValue
    row[c.name] = c.type === 'ARRAY' ? fromArrayText(text) : fromText(text, c.type);
  });
  return row;
}

/** Athena's display text of an array (`[a, b, null]`) → `['a', 'b', null]`, best-effort (see AthenaEngine). */
function fromArrayText(text: string | null | undefined): SqlValue {
  if (text === null || text === undefined) return null;
  if (!text.startsWith('[') || !text.endsWith(']')) return text;
  const inner = text.slice(1, -1);
  if (inner.trim() === '') return [];
  const items: SqlValue[] = [];
  let depth = 0;
  let start = 0;
  const push = (end: number) => {
    const item = inner.slice(start, end).trim();
    items.push(item === 'null' ? null : item);
  };
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === '[' || ch === '{' || ch === '(') depth++;
    else if (ch === ']' || ch === '}' || ch === ')') depth--;
    else if (ch === ',' && depth === 0 && inner[i + 1] === ' ') {
      push(i);
      start = i + 2;
    }
  }
  push(inner.length);
  return items;
}

function failureReason(execution: QueryExecution | undefined): string {
  const reasons = [execution?.Status?.AthenaError?.ErrorMessage, execution?.Status?.StateChangeReason].filter((r): r is string => Boolean(r));
  return [...new Set(reasons)].join(' — ') || 'no reason given';
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** The injected sleep, cut short when the signal aborts (a real wait can be up to pollMaxMs). */
function sleepUnlessAborted(sleep: (ms: number) => Promise<void>, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleep(ms);
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    sleep(ms).then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}
