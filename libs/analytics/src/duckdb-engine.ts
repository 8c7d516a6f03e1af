import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { DatasetName } from '@peak/contracts';
import { QueryError, type ColumnInfo, type QueryEngine, type QueryOptions, type QueryResult, type Row, type SqlParam } from './engine.js';
import { fromText, normaliseType } from './values.js';
import { DATASET_RELATIONS, datasetColumns, DIM_DATE, starSchemaViews, ZONE_OFFSETS, zoneOffsetDays } from './views.js';

export type DuckDbEngineOptions = {
  /** The lake folder (the one holding `processed/`). */
  lakeRoot: string;
  /** The studios' IANA time zone, for the local day/hour columns of the star schema. */
  timeZone: string;
  /** Threads DuckDB may use (default: its own, one per core). */
  threads?: number;
  /**
   * Once the views exist, lock the instance down (the SQL sandbox): files readable only under
   * `processed/`, no temp files, no extension loading, no further settings changes.
   */
  lockDown?: boolean;
  /** How often (ms) a query may check whether the cached dimension datasets changed on disk (default 1000). */
  refreshCheckMs?: number;
  /** Report the bytes each query read from the lake's files (`stats.bytesScanned`), from DuckDB's file-system log. */
  measureBytes?: boolean;
};

/**
 * Datasets kept as in-memory tables: dimensions, small in rows but spread over many small files (members are
 * partitioned by join day: a thousand files for 50k rows, ~1 s to open each time). Reloaded when their files change.
 */
const CACHED_DATASETS: readonly DatasetName[] = ['members', 'classes'];

const sqlStr = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * The local engine: DuckDB over the lake folder's processed Parquet. Each dataset is a view over its
 * `dt=` folders (hive partitioning, so a filter on `dt` skips whole days); a dataset with no files yet is
 * an empty view of the right columns, replaced by the real one as soon as files appear.
 */
export class DuckDbEngine implements QueryEngine {
  readonly name = 'duckdb' as const;
  private instance: DuckDBInstance | undefined;
  private ready: Promise<DuckDBInstance> | undefined;
  private readonly withFiles = new Set<DatasetName>();
  private readonly cacheSignatures = new Map<DatasetName, string>();
  private lastCacheCheck = 0;
  private refreshing: Promise<void> = Promise.resolve();
  private running = 0;

  constructor(private readonly options: DuckDbEngineOptions) {}

  private async open(): Promise<DuckDBInstance> {
    this.ready ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:', {
        autoinstall_known_extensions: 'false',
        ...(this.options.threads ? { threads: String(this.options.threads) } : {}),
      });
      const con = await instance.connect();
      try {
        await con.run(`SET GLOBAL TimeZone = 'UTC'`); // as Athena: timestamps are UTC whatever the host's zone
        if (this.options.measureBytes) await con.run(`CALL enable_logging('FileSystem')`);
        for (const name of DATASET_RELATIONS) await this.defineDataset(con, name);
        await con.run(`CREATE TABLE ${DIM_DATE.name} AS ${DIM_DATE.duckdb}`); // 37k rows, built once per instance
        await createZoneOffsets(con, this.options.timeZone);
        for (const view of starSchemaViews(this.options.timeZone, 'offset-table')) await con.run(`CREATE VIEW ${view.name} AS ${view.sql}`);
        if (this.options.lockDown) await lockDown(con, resolve(this.options.lakeRoot, 'processed'));
      } finally {
        con.closeSync();
      }
      this.instance = instance;
      return instance;
    })();
    return this.ready;
  }

  private hasFiles(name: DatasetName): boolean {
    const dir = join(this.options.lakeRoot, 'processed', name);
    if (!existsSync(dir)) return false;
    for (const part of readdirSync(dir, { withFileTypes: true })) {
      if (part.isDirectory() && part.name.startsWith('dt=') && readdirSync(join(dir, part.name)).some((f) => f.endsWith('.parquet'))) return true;
    }
    return false;
  }

  /** Files, bytes and newest change of a dataset's Parquet: what tells a cached copy it is stale. */
  private signature(name: DatasetName): string {
    const dir = join(this.options.lakeRoot, 'processed', name);
    let files = 0, bytes = 0, newest = 0;
    if (existsSync(dir)) {
      for (const part of readdirSync(dir, { withFileTypes: true })) {
        if (!part.isDirectory() || !part.name.startsWith('dt=')) continue;
        for (const f of readdirSync(join(dir, part.name))) {
          if (!f.endsWith('.parquet')) continue;
          const st = statSync(join(dir, part.name, f));
          files++;
          bytes += st.size;
          newest = Math.max(newest, st.mtimeMs);
        }
      }
    }
    return `${files}:${bytes}:${newest}`;
  }

  /** (Re)defines a dataset's view: over its files when there are any, else empty with the same columns. */
  private async defineDataset(con: DuckDBConnection, name: DatasetName): Promise<void> {
    const columns = datasetColumns(name);
    if (this.hasFiles(name)) {
      const glob = join(this.options.lakeRoot, 'processed', name, 'dt=*', '*.parquet');
      const select = columns.map((c) => (c.name === 'dt' ? 'CAST(dt AS DATE) AS dt' : `CAST(${c.name} AS ${c.sqlType}) AS ${c.name}`)).join(', ');
      const files = `SELECT ${select} FROM read_parquet(${sqlStr(glob)}, hive_partitioning = true)`;
      if (CACHED_DATASETS.includes(name)) {
        this.cacheSignatures.set(name, this.signature(name)); // before reading: a change during the read shows as stale next time
        await con.run(`CREATE OR REPLACE TABLE cached_${name} AS ${files}`);
        await con.run(`CREATE OR REPLACE VIEW ${name} AS SELECT * FROM cached_${name}`);
      } else {
        await con.run(`CREATE OR REPLACE VIEW ${name} AS ${files}`);
      }
      this.withFiles.add(name);
    } else {
      await con.run(`CREATE OR REPLACE VIEW ${name} AS SELECT ${columns.map((c) => `CAST(NULL AS ${c.sqlType}) AS ${c.name}`).join(', ')} WHERE FALSE`);
    }
  }

  /** Datasets that had no files, and cached ones whose files changed: define them again (a batch may have landed). One at a time. */
  private refreshDatasets(con: DuckDBConnection): Promise<void> {
    const run = this.refreshing.then(async () => {
      for (const name of DATASET_RELATIONS) if (!this.withFiles.has(name) && this.hasFiles(name)) await this.defineDataset(con, name);
      if (performance.now() - this.lastCacheCheck < (this.options.refreshCheckMs ?? 1000)) return;
      this.lastCacheCheck = performance.now();
      for (const name of CACHED_DATASETS) {
        if (this.withFiles.has(name) && this.signature(name) !== this.cacheSignatures.get(name)) await this.defineDataset(con, name);
      }
    });
    this.refreshing = run.catch(() => undefined);
    return run;
  }

  /** A connection of its own over the views, for callers that drive DuckDB directly (the SQL sandbox); the caller closes it. */
  async connect(): Promise<DuckDBConnection> {
    const con = await (await this.open()).connect();
    try {
      await this.refreshDatasets(con);
      return con;
    } catch (err) {
      con.closeSync();
      throw err;
    }
  }

  async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    const started = performance.now();
    const instance = await this.open();
    const con = await instance.connect();
    let timer: NodeJS.Timeout | undefined;
    let stopped: 'TIMEOUT' | 'CANCELLED' | undefined;
    const stop = (why: 'TIMEOUT' | 'CANCELLED') => {
      stopped ??= why;
      con.interrupt();
    };
    const onAbort = () => stop('CANCELLED');
    this.running++;
    try {
      const connectionId = this.options.measureBytes ? await connectionIdOf(con) : undefined;
      await this.refreshDatasets(con);
      if (options.signal?.aborted) throw new QueryError('CANCELLED', 'the query was cancelled before it started');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) timer = setTimeout(() => stop('TIMEOUT'), options.timeoutMs);

      const prepared = await con.prepare(sql);
      if (options.params && options.params.length > 0) prepared.bind(options.params.map(toDuckValue));
      const reader = await prepared.runAndReadAll();
      const names = reader.columnNames();
      const columns: ColumnInfo[] = reader.columnTypes().map((t, i) => ({ name: names[i] ?? `column${i}`, type: normaliseType(t.toString()) }));
      const json = reader.getRowsJson();
      const limit = options.maxRows ?? Number.POSITIVE_INFINITY;
      const rows: Row[] = json.slice(0, limit).map((values) => {
        const row: Row = {};
        columns.forEach((c, i) => {
          const v = values[i];
          row[c.name] = c.type === 'ARRAY' ? (v as Row[string]) : fromText(v === null || v === undefined ? null : String(v), c.type);
        });
        return row;
      });
      const bytesScanned = connectionId === undefined ? undefined : await this.bytesReadBy(con, connectionId);
      return { columns, rows, truncated: json.length > limit, stats: { engine: 'duckdb', elapsedMs: performance.now() - started, ...(bytesScanned === undefined ? {} : { bytesScanned }) } };
    } catch (err) {
      if (err instanceof QueryError) throw err;
      if (stopped === 'TIMEOUT') throw new QueryError('TIMEOUT', `the query took longer than ${options.timeoutMs} ms and was stopped`);
      if (stopped === 'CANCELLED') throw new QueryError('CANCELLED', 'the query was cancelled');
      throw new QueryError('FAILED', (err as Error).message);
    } finally {
      this.running--;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      con.closeSync();
    }
  }

  /** Bytes this connection read from files (cache refreshes included: they are part of answering). */
  private async bytesReadBy(con: DuckDBConnection, connectionId: number): Promise<number> {
    const reader = await con.runAndReadAll(`SELECT coalesce(sum(bytes), 0) FROM duckdb_logs_parsed('FileSystem') WHERE op = 'READ' AND connection_id = ${connectionId}`);
    const bytes = Number(reader.getRowsJson()[0]?.[0] ?? 0);
    if (this.running === 1) await con.run('CALL truncate_duckdb_logs()'); // no other query is counting: keep the log small
    return bytes;
  }

  async close(): Promise<void> {
    const instance = this.instance ?? (this.ready ? await this.ready.catch(() => undefined) : undefined);
    instance?.closeSync();
    this.instance = undefined;
    this.ready = undefined;
  }
}

/**
 * DuckDB's own locks, in the order it accepts them (temp_directory cannot change once external access
 * is off). The views keep working: they read under `processed/`, which stays allowed.
 */
async function lockDown(con: DuckDBConnection, processedDir: string): Promise<void> {
  await con.run(`SET GLOBAL temp_directory = ''`); // nothing spills to disk
  await con.run(`SET GLOBAL allowed_directories = [${sqlStr(processedDir + sep)}]`);
  await con.run(`SET GLOBAL enable_external_access = false`);
  await con.run(`SET GLOBAL autoload_known_extensions = false`);
  await con.run(`SET GLOBAL lock_configuration = true`);
}

/** The zone's offsets per UTC day (see LocalTimeMethod in views.ts), 37k rows through an appender. */
async function createZoneOffsets(con: DuckDBConnection, timeZone: string): Promise<void> {
  await con.run(`CREATE TABLE ${ZONE_OFFSETS} (utc_day DATE, offset_before INTEGER, offset_after INTEGER, switch_at TIMESTAMP)`);
  const appender = await con.createAppender(ZONE_OFFSETS);
  for (const d of zoneOffsetDays(timeZone)) {
    appender.appendVarchar(d.utcDay);
    appender.appendInteger(d.offsetBefore);
    appender.appendInteger(d.offsetAfter);
    if (d.switchAt === null) appender.appendNull();
    else appender.appendVarchar(d.switchAt.replace('T', ' ').replace('Z', ''));
    appender.endRow();
  }
  appender.closeSync();
}

async function connectionIdOf(con: DuckDBConnection): Promise<number> {
  return Number((await con.runAndReadAll('SELECT current_connection_id()')).getRowsJson()[0]?.[0]);
}

function toDuckValue(p: SqlParam): DuckDBValue {
  if (typeof p === 'number' && !Number.isFinite(p)) throw new QueryError('BAD_PARAMS', `parameter ${p} is not a finite number`);
  return p;
}
