import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection, Json } from '@duckdb/node-api';
import { DATASET_RELATIONS, DIM_DATE, DuckDbEngine, fromText, normaliseType, starSchemaViews } from '@peak/analytics';
import { allowedValues, columnMeta, datasets, type DatasetName } from '@peak/contracts';
import type { TSchema } from 'typebox';
import { SandboxError } from './errors.js';
import { prepareReadOnly } from './guard.js';

/** Where `npm start` keeps its lake (tools/local-platform: `<repo>/.data/lake`). */
export const DEFAULT_LAKE_ROOT = fileURLToPath(new URL('../../../.data/lake', import.meta.url));
export const DEFAULT_MAX_ROWS = 1_000;
export const DEFAULT_TIMEOUT_MS = 10_000;
/** The sample data's default zone (tools/sample-data), so local hours match the generated schedule. */
export const DEFAULT_TIME_ZONE = 'America/New_York';

export type SqlSandboxOptions = {
  /** The lake folder (the one holding `processed/`). */
  lakeRoot: string;
  /** The studios' IANA time zone, for the star schema's local day and hour. */
  timeZone?: string;
  /** Rows a query returns at most, unless it asks for fewer (default 1,000). */
  maxRows?: number;
  /** Time a query may run before it is interrupted (default 10 s). */
  timeoutMs?: number;
  /** Threads DuckDB may use (default: one per core). */
  threads?: number;
};

export type QueryLimits = { maxRows?: number; timeoutMs?: number };

/** A column as DuckDB types it (`DECIMAL(12,2)`, `TIMESTAMP`, `VARCHAR[]`…). */
export type SandboxColumn = { name: string; type: string };

/**
 * Rows are arrays in column order (a query may repeat a column name). Numbers as numbers, DATE as
 * `YYYY-MM-DD`, TIMESTAMP as ISO 8601 UTC, as the analytics engines give them; lists and structs as JSON.
 */
export type SandboxResult = { columns: SandboxColumn[]; rows: Json[][]; truncated: boolean; elapsedMs: number };

export type ViewColumn = { name: string; type: string; description: string };
export type ViewInfo = { name: string; description: string; columns: ViewColumn[] };

/** Columns the star schema adds to its datasets' columns, and dim_date's. */
const DERIVED_COLUMNS: Record<string, string> = {
  calendar_date: 'The day',
  month_start: 'First day of its month',
  iso_weekday: 'ISO weekday: 1 = Monday … 7 = Sunday',
  year_number: 'Its year',
  dt: 'Partition day (UTC) the row was filed under; filter on it to read fewer files',
  local_date: "Day in the studios' time zone",
  local_weekday: 'ISO weekday in the studios\' time zone: 1 = Monday … 7 = Sunday',
  local_hour: "Hour of day (0–23) in the studios' time zone",
};

/** The dataset a view is built on, by name (`dim_members` → members, `fact_attendance` → attendance). */
const sourceOf = (view: string): DatasetName | undefined => DATASET_RELATIONS.find((d) => d === view.replace(/^(?:dim|fact)_/, ''));

/**
 * A read-only SQL console over the lake's views: its own DuckDB instance, locked down once the views
 * exist (DuckDbEngine `lockDown`), one checked read-only statement per query, and limits on rows and time.
 */
export class SqlSandbox {
  private readonly maxRows: number;
  private readonly timeoutMs: number;

  private constructor(
    private readonly engine: DuckDbEngine,
    readonly lakeRoot: string,
    readonly timeZone: string,
    options: SqlSandboxOptions,
  ) {
    this.maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Opens the sandbox (views created, instance locked); fails clearly when the lake folder is missing. */
  static async open(options: SqlSandboxOptions): Promise<SqlSandbox> {
    const given = resolve(options.lakeRoot);
    if (!existsSync(given) || !statSync(given).isDirectory()) {
      throw new SandboxError('NO_LAKE', `no lake folder at ${given} (the folder holding processed/): \`npm start\` creates .data/lake and loads sample data into it`);
    }
    const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
    assertKnownTimeZone(timeZone);
    // DuckDB allows files by path prefix: the real path, so the views' paths and the allowed folder agree.
    const lakeRoot = realpathSync(given);
    const engine = new DuckDbEngine({ lakeRoot, timeZone, threads: options.threads, lockDown: true });
    const sandbox = new SqlSandbox(engine, lakeRoot, timeZone, options);
    (await engine.connect()).closeSync(); // creates the views and locks the instance now, not on the first query
    return sandbox;
  }

  /** Runs one read-only query within the limits; every failure is a SandboxError with a message for the student. */
  async query(sql: string, limits: QueryLimits = {}): Promise<SandboxResult> {
    const started = performance.now();
    const maxRows = limits.maxRows ?? this.maxRows;
    const timeoutMs = limits.timeoutMs ?? this.timeoutMs;
    if (sql.trim() === '') throw new SandboxError('REFUSED', 'the query is empty: write one SELECT …');
    const con = await this.engine.connect();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      con.interrupt();
    }, timeoutMs);
    try {
      const prepared = await prepareReadOnly(con, sql);
      try {
        const reader = await prepared.streamAndReadUntil(maxRows + 1);
        const names = reader.columnNames();
        const columns = reader.columnTypes().map((t, i) => ({ name: names[i] ?? `column${i}`, type: t.toString() }));
        const kinds = columns.map((c) => normaliseType(c.type));
        const rows = reader
          .getRowsJson()
          .slice(0, maxRows)
          .map((row) => row.map((value, i) => toValue(value, kinds[i] ?? 'OTHER')));
        return { columns, rows, truncated: reader.currentRowCount > maxRows, elapsedMs: Math.round(performance.now() - started) };
      } finally {
        prepared.destroySync();
      }
    } catch (err) {
      if (timedOut) throw interrupted(timeoutMs);
      throw explain(err, this.viewNames());
    } finally {
      clearTimeout(timer);
      con.closeSync();
    }
  }

  /** The relations students query: the star schema and dim_date first, then one view per dataset; columns as DuckDB types them. */
  async views(): Promise<ViewInfo[]> {
    const con = await this.engine.connect();
    try {
      const star = [...starSchemaViews(this.timeZone), DIM_DATE].map((v) => ({ name: v.name, description: v.description }));
      const raw = DATASET_RELATIONS.map((name) => ({ name, description: `The processed Parquet as it is (every version, with dt): ${datasets[name].description}` }));
      const views: ViewInfo[] = [];
      for (const view of [...star, ...raw]) views.push({ ...view, columns: await describe(con, view.name) });
      return views;
    } finally {
      con.closeSync();
    }
  }

  viewNames(): string[] {
    return [...starSchemaViews(this.timeZone).map((v) => v.name), DIM_DATE.name, ...DATASET_RELATIONS];
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}

async function describe(con: DuckDBConnection, view: string): Promise<ViewColumn[]> {
  const reader = await con.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE ${view})`);
  return reader.getRows().map(([name, type]) => ({ name: String(name), type: String(type), description: describeColumn(view, String(name)) }));
}

/** A column's meaning (and its values, for enums): the view's own additions, else the contract of its dataset, else of any dataset with that column. */
function describeColumn(view: string, column: string): string {
  const derived = DERIVED_COLUMNS[column];
  if (derived) return derived;
  const source = sourceOf(view);
  for (const dataset of source ? [source, ...DATASET_RELATIONS] : DATASET_RELATIONS) {
    const schema = (datasets[dataset].row.properties as Record<string, TSchema>)[column];
    if (!schema) continue;
    const values = allowedValues(schema); // what a WHERE on it can compare with
    return values ? `${columnMeta(schema).description}: ${values.join(', ')}` : columnMeta(schema).description;
  }
  return 'Computed in the view (libs/analytics/src/views.ts)';
}

function assertKnownTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new Error(`not a known IANA time zone: ${JSON.stringify(zone)} (e.g. America/New_York)`);
  }
}

/** DuckDB's JSON form of a value → the shared representation (numbers, `YYYY-MM-DD`, ISO timestamps). */
function toValue(value: Json, kind: ReturnType<typeof normaliseType>): Json {
  if (value === null || kind === 'ARRAY' || kind === 'OTHER' || kind === 'VARCHAR' || typeof value === 'object') return value;
  return fromText(String(value), kind) as Json;
}

const interrupted = (timeoutMs: number) =>
  new SandboxError('TIMEOUT', `the query ran longer than the sandbox's limit of ${timeoutMs} ms and was stopped: filter on dt, aggregate, or add LIMIT`);

/** DuckDB's error as the student should read it: its own text, plus the way out when the sandbox's locks said no. */
function explain(err: unknown, views: string[]): SandboxError {
  if (err instanceof SandboxError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/^Permission Error|disabled (?:by|through) configuration|configuration has been locked/.test(message)) {
    return new SandboxError('REFUSED', `${message}. The sandbox reads only the lake's processed data, through the views (${views.join(', ')}); files, URLs, extensions and settings are off limits.`);
  }
  const missing = /^Catalog Error: Table with name (.+?) does not exist/.exec(message);
  if (missing?.[1] && /[/\\:]|\.\w+$/.test(missing[1])) {
    return new SandboxError('REFUSED', `${missing[1]} looks like a file or URL: the sandbox reads files only through the views (${views.join(', ')}).`);
  }
  if (missing) return new SandboxError('QUERY_FAILED', `${message}\nThe views are: ${views.join(', ')} (.tables in the console, GET /v1/views over HTTP).`);
  return new SandboxError('QUERY_FAILED', message);
}
