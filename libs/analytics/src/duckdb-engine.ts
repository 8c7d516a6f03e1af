import { readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBDateValue, type DuckDBResultReader, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { DatasetName } from '@peak/contracts';
import { QueryError, type ColumnInfo, type ColumnType, type QueryEngine, type QueryOptions, type QueryResult, type Row, type SqlParam, type SqlValue } from './engine.js';
import { fromText, normaliseType } from './values.js';
import { datasetColumns, DIM_DATE, isDerived, LAKE_RELATIONS, LOCAL_FACTS, relationColumns, starSchemaViews, ZONE_OFFSETS, zoneOffsetDays, type LakeRelation, type RelationColumn } from './views.js';

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
  /** How often (ms) a query may check whether the lake's files changed since the in-memory copies were made (default 1000). */
  refreshCheckMs?: number;
  /** Report the bytes each query read from the lake's files (`stats.bytesScanned`), from DuckDB's file-system log. */
  measureBytes?: boolean;
  /** Keep the star schema in memory (default true); false reads the Parquet on every query. */
  materialize?: boolean;
  /** A star relation whose dataset holds more rows than this stays a view over the Parquet (default 25M: ~2.7 GB of memory). */
  maxMaterializedRows?: number;
};

/**
 * The star relations kept in memory as tables (the same SQL as the views, run once): reading Parquet and
 * working out local days costs ~6× more per query than scanning a table. Facts only ever gain files (a batch
 * adds new ones), so new files are appended; dimensions keep the newest version of each key, so they are
 * rebuilt when their files change. Any file changed or removed rebuilds the relation.
 */
const MATERIALIZED: readonly { view: string; dataset: DatasetName; appendOnly: boolean }[] = [
  { view: 'dim_members', dataset: 'members', appendOnly: false },
  { view: 'dim_classes', dataset: 'classes', appendOnly: false },
  { view: 'dim_signups', dataset: 'signups', appendOnly: false },
  { view: 'fact_attendance', dataset: 'attendance', appendOnly: true },
  { view: 'fact_transactions', dataset: 'transactions', appendOnly: true },
  ...LOCAL_FACTS.map((f) => ({ view: `fact_${f.dataset}`, dataset: f.dataset, appendOnly: true })),
];
const DEFAULT_MAX_MATERIALIZED_ROWS = 25_000_000;

/** A relation's Parquet files, each with its size and change time: what tells an in-memory copy it is stale. */
type FileSet = Map<string, string>;
type Materialization = { files: FileSet; inMemory: boolean };

const sqlStr = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * The local engine: DuckDB over the lake folder's processed Parquet. Each dataset and derived relation is a
 * view over its `dt=` folders (hive partitioning, so a filter on `dt` skips whole days); one with no files yet
 * is an empty view of the right columns, replaced by the real one as soon as files appear. The star schema
 * on top is kept in memory (see MATERIALIZED) and catches up with the files before a query runs.
 */
export class DuckDbEngine implements QueryEngine {
  readonly name = 'duckdb' as const;
  private instance: DuckDBInstance | undefined;
  private ready: Promise<DuckDBInstance> | undefined;
  private readonly withFiles = new Set<LakeRelation>();
  private readonly materialized = new Map<string, Materialization>();
  private starViews = new Map<string, string>();
  private lastCheck = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> = Promise.resolve();
  /** The engine's own connection for refreshes: a query that stops waiting must not interrupt a rebuild others need. */
  private refreshCon: DuckDBConnection | undefined;
  private running = 0;
  /** How to stop each query in flight: closing the instance under a running query crashes the process (SIGSEGV). */
  private readonly inFlight = new Set<() => void>();
  private whenIdle: (() => void) | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Interrupts for the connections `connect()` handed out. */
  private readonly handedOut = new Set<() => void>();

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
        for (const name of LAKE_RELATIONS) await this.defineRelation(con, name);
        await con.run(`CREATE TABLE ${DIM_DATE.name} AS ${DIM_DATE.duckdb}`); // 37k rows, built once per instance
        await createZoneOffsets(con, this.options.timeZone);
        for (const view of starSchemaViews(this.options.timeZone, 'offset-table')) {
          this.starViews.set(view.name, view.sql);
          await con.run(`CREATE VIEW ${view.name} AS ${view.sql}`);
        }
        if (this.options.lockDown) await lockDown(con, resolve(this.options.lakeRoot, 'processed'));
      } catch (err) {
        // Not cached: the next query tries again (the lake may have been mended meanwhile).
        con.closeSync();
        instance.closeSync();
        this.ready = undefined;
        this.withFiles.clear();
        throw err;
      }
      this.refreshCon = con;
      this.instance = instance;
      return instance;
    })();
    return this.ready;
  }

  private hasFiles(name: LakeRelation): boolean {
    const dir = join(this.options.lakeRoot, 'processed', name);
    return partitionsOf(dir).some((part) => entriesOf(join(dir, part)).some((f) => f.endsWith('.parquet')));
  }

  /** The relation's Parquet files with size and change time; entries removed while listing are skipped. */
  private listFiles(name: LakeRelation): FileSet {
    const dir = join(this.options.lakeRoot, 'processed', name);
    const files: FileSet = new Map();
    for (const part of partitionsOf(dir)) {
      for (const f of entriesOf(join(dir, part))) {
        if (!f.endsWith('.parquet')) continue;
        const path = join(dir, part, f);
        const st = statSync(path, { throwIfNoEntry: false });
        if (st) files.set(path, `${st.size}:${st.mtimeMs}`);
      }
    }
    return files;
  }

  /** (Re)defines a dataset's or derived relation's view: over its files when there are any, else empty with the same columns. */
  private async defineRelation(con: DuckDBConnection, name: LakeRelation): Promise<void> {
    const columns = relationColumns(name);
    if (this.hasFiles(name)) {
      const glob = join(this.options.lakeRoot, 'processed', name, 'dt=*', '*.parquet');
      await con.run(`CREATE OR REPLACE VIEW ${name} AS ${datasetSelect(columns, sqlStr(glob))}`);
      this.withFiles.add(name);
    } else {
      await con.run(`CREATE OR REPLACE VIEW ${name} AS SELECT ${columns.map((c) => `CAST(NULL AS ${c.sqlType}) AS ${c.name}`).join(', ')} WHERE FALSE`);
      this.withFiles.delete(name);
    }
  }

  /**
   * Dataset and derived views follow their files (over the Parquet once files appear, empty again if all go); in-memory star
   * relations catch up (at most every `refreshCheckMs`, at once when a dataset gains or loses all its files).
   * One refresh at a time, on the engine's own connection.
   */
  private refreshDatasets(): Promise<void> {
    const run = this.refreshing.then(async () => {
      const con = this.refreshCon;
      if (!con) return;
      let changed = false;
      // Every query: relations that had no files (cheap to look at). At each check: relations that lost them all.
      const due = performance.now() - this.lastCheck >= (this.options.refreshCheckMs ?? 1000);
      for (const name of LAKE_RELATIONS) {
        if ((!this.withFiles.has(name) || due) && this.withFiles.has(name) !== this.hasFiles(name)) {
          await this.defineRelation(con, name);
          if (!isDerived(name)) changed = true; // the star schema is built on datasets only
        }
      }
      if (due) this.lastCheck = performance.now();
      if (this.options.materialize === false || !(changed || due)) return;
      for (const m of MATERIALIZED) {
        if (!this.withFiles.has(m.dataset) && !this.materialized.has(m.view)) continue;
        try {
          await this.materialize(con, m);
        } catch {
          // One relation that cannot be copied (a damaged file, say) must not fail every query: it reads the
          // Parquet again, where only queries that touch it see the error; the next check tries anew.
          this.materialized.delete(m.view);
          await con.run(`CREATE OR REPLACE VIEW ${m.view} AS ${this.starViews.get(m.view) ?? ''}`).catch(() => undefined);
          await con.run(`DROP TABLE IF EXISTS materialized_${m.view}`).catch(() => undefined);
        }
      }
    });
    this.refreshing = run.catch(() => undefined);
    return run;
  }

  /**
   * Brings one star relation's in-memory copy up to date with its dataset's files: append the new files, rebuild,
   * back to a view over the Parquet when too big, or empty when the files are gone. Facts are read from exactly the
   * files listed, so a file landing meanwhile is picked up by the next check, once.
   */
  private async materialize(con: DuckDBConnection, m: (typeof MATERIALIZED)[number]): Promise<void> {
    const files = this.listFiles(m.dataset);
    const before = this.materialized.get(m.view);
    if (before && sameFiles(before.files, files)) return;
    const table = `materialized_${m.view}`;
    const viewSql = this.starViews.get(m.view) ?? '';
    const toView = async () => {
      await con.run(`CREATE OR REPLACE VIEW ${m.view} AS ${viewSql}`);
      await con.run(`DROP TABLE IF EXISTS ${table}`);
    };
    if (files.size === 0) {
      await toView(); // the dataset view is empty again, and so is this relation
      this.materialized.delete(m.view);
      return;
    }
    const columns = datasetColumns(m.dataset);
    const over = (paths: string[]) =>
      starSchemaViews(this.options.timeZone, 'offset-table', { [m.dataset]: `(${datasetSelect(columns, `[${paths.map(sqlStr).join(', ')}]`)})` }).find((v) => v.name === m.view)?.sql ?? '';
    const rows = Number((await con.runAndReadAll(`SELECT count(*) FROM read_parquet([${[...files.keys()].map(sqlStr).join(', ')}])`)).getRowsJson()[0]?.[0] ?? 0); // metadata only
    if (rows > (this.options.maxMaterializedRows ?? DEFAULT_MAX_MATERIALIZED_ROWS)) {
      if (before?.inMemory !== false) await toView();
      this.materialized.set(m.view, { files, inMemory: false });
      return;
    }
    const added = before?.inMemory && m.appendOnly && [...before.files].every(([f, sig]) => files.get(f) === sig) ? [...files.keys()].filter((f) => !before.files.has(f)) : undefined;
    if (added) {
      await con.run(`INSERT INTO ${table} ${over(added)}`);
    } else {
      // Facts from the listed files; dimensions rank every version, read through their dataset view.
      await con.run(`CREATE OR REPLACE TABLE ${table} AS ${m.appendOnly ? over([...files.keys()]) : viewSql}`);
      await con.run(`CREATE OR REPLACE VIEW ${m.view} AS SELECT * FROM ${table}`);
    }
    this.materialized.set(m.view, { files, inMemory: true });
  }

  /** A connection of its own over the views, for callers that drive DuckDB directly (the SQL sandbox); the caller closes it. */
  async connect(): Promise<DuckDBConnection> {
    if (this.closed) throw new QueryError('CANCELLED', 'the query engine is closed (the service is shutting down)');
    const instance = await this.open();
    await this.refreshDatasets();
    const con = await instance.connect();
    // Closing the engine interrupts what the caller runs on it (the caller still closes it).
    const interrupt = () => con.interrupt();
    this.handedOut.add(interrupt);
    const closeSync = con.closeSync.bind(con);
    con.closeSync = () => {
      this.handedOut.delete(interrupt);
      closeSync();
    };
    return con;
  }

  async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    const started = performance.now();
    let con: DuckDBConnection | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped: 'TIMEOUT' | 'CANCELLED' | undefined;
    let giveUp: () => void = () => undefined;
    const givenUp = new Promise<never>((_, reject) => (giveUp = () => reject(new Error('stopped'))));
    givenUp.catch(() => undefined);
    const stop = (why: 'TIMEOUT' | 'CANCELLED') => {
      stopped ??= why;
      con?.interrupt();
      giveUp();
    };
    const onAbort = () => stop('CANCELLED');
    this.running++;
    this.inFlight.add(onAbort);
    try {
      if (this.closed) throw new QueryError('CANCELLED', 'the query engine is closed (the service is shutting down)');
      if (options.signal?.aborted) throw new QueryError('CANCELLED', 'the query was cancelled before it started');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) timer = setTimeout(() => stop('TIMEOUT'), options.timeoutMs);
      const instance = await Promise.race([this.open(), givenUp]);
      con = await instance.connect();
      const connectionId = this.options.measureBytes ? await connectionIdOf(con) : undefined;
      await Promise.race([this.refreshDatasets(), givenUp]); // waiting stops at the deadline; the refresh goes on for the next query

      const prepared = await con.prepare(sql);
      if (options.params && options.params.length > 0) prepared.bind(options.params.map(toDuckValue));
      const reader = await prepared.runAndReadAll();
      clearTimeout(timer); // answered: a deadline now would only throw the answer away
      const names = reader.columnNames();
      const columns: ColumnInfo[] = reader.columnTypes().map((t, i) => ({ name: names[i] ?? `column${i}`, type: normaliseType(t.toString()) }));
      const limit = options.maxRows ?? Number.POSITIVE_INFINITY;
      const rows = toRows(reader, columns, limit);
      const total = reader.currentRowCount;
      const bytesScanned = connectionId === undefined ? undefined : await this.bytesReadBy(con, connectionId);
      return { columns, rows, truncated: total > limit, stats: { engine: 'duckdb', elapsedMs: performance.now() - started, ...(bytesScanned === undefined ? {} : { bytesScanned }) } };
    } catch (err) {
      if (err instanceof QueryError) throw err;
      if (stopped === 'TIMEOUT') throw new QueryError('TIMEOUT', `the query took longer than ${options.timeoutMs} ms and was stopped`);
      if (stopped === 'CANCELLED') throw new QueryError('CANCELLED', 'the query was cancelled');
      throw new QueryError('FAILED', (err as Error).message);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      con?.closeSync();
      this.inFlight.delete(onAbort);
      if (--this.running === 0) this.whenIdle?.();
    }
  }

  /** Bytes this connection read from files (the in-memory copy's refreshes run on the engine's own connection: not counted). */
  private async bytesReadBy(con: DuckDBConnection, connectionId: number): Promise<number> {
    const reader = await con.runAndReadAll(`SELECT coalesce(sum(bytes), 0) FROM duckdb_logs_parsed('FileSystem') WHERE op = 'READ' AND connection_id = ${connectionId}`);
    const bytes = Number(reader.getRowsJson()[0]?.[0] ?? 0);
    if (this.running === 1) await con.run('CALL truncate_duckdb_logs()'); // no other query is counting: keep the log small
    return bytes;
  }

  /** Stops the queries in flight (they fail CANCELLED) and waits for them, then closes DuckDB; later queries are refused. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.closed = true;
    for (const stop of [...this.inFlight, ...this.handedOut]) stop();
    while (this.running > 0) await new Promise<void>((resolve) => (this.whenIdle = resolve));
    this.whenIdle = undefined;
    const instance = this.instance ?? (this.ready ? await this.ready.catch(() => undefined) : undefined);
    await this.refreshing;
    this.refreshCon?.closeSync();
    this.refreshCon = undefined;
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

/** A dataset's or derived relation's rows as its view shows them: contract types, `dt` from the folder name. `files` is a glob or a list literal. */
function datasetSelect(columns: RelationColumn[], files: string): string {
  const select = columns.map((c) => (c.name === 'dt' ? 'CAST(dt AS DATE) AS dt' : `CAST(${c.name} AS ${c.sqlType}) AS ${c.name}`)).join(', ');
  return `SELECT ${select} FROM read_parquet(${files}, hive_partitioning = true)`;
}

/** Names in a folder; none when it does not exist (any more). */
function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
}

const partitionsOf = (dir: string): string[] => entriesOf(dir).filter((p) => p.startsWith('dt='));

function sameFiles(a: FileSet, b: FileSet): boolean {
  if (a.size !== b.size) return false;
  for (const [f, sig] of a) if (b.get(f) !== sig) return false;
  return true;
}

/**
 * Result rows in the shared representation. Column by column from DuckDB's own values (a 50k-row answer in
 * ~100 ms; its JSON rows take ~5× longer); arrays and other types go through their JSON form.
 */
function toRows(reader: DuckDBResultReader, columns: ColumnInfo[], limit: number): Row[] {
  const count = Math.min(reader.currentRowCount, limit);
  const rows: Row[] = Array.from({ length: count }, () => ({}));
  const raw = reader.getColumns();
  const json = columns.some((c) => c.type === 'OTHER') ? reader.getColumnsJson() : [];
  const types = reader.columnTypes();
  columns.forEach((c, i) => {
    const values: readonly unknown[] = (c.type === 'OTHER' ? json[i] : raw[i]) ?? [];
    const convert = c.type === 'ARRAY' && types[i] ? listConverter(types[i]) : converter(c.type);
    for (let r = 0; r < count; r++) {
      const v = values[r];
      (rows[r] as Row)[c.name] = v === null || v === undefined ? null : convert(v);
    }
  });
  return rows;
}

/** A list (or fixed-size array) column: each element as its own type is converted, nested lists too. */
function listConverter(type: DuckDBType): (v: unknown) => SqlValue {
  const child = 'valueType' in type ? (type as { valueType: DuckDBType }).valueType : undefined;
  if (!child) return (v) => String(v);
  const item = normaliseType(child.toString()) === 'ARRAY' ? listConverter(child) : converter(normaliseType(child.toString()));
  const other = normaliseType(child.toString()) === 'OTHER';
  return (v) => (v as { items: readonly unknown[] }).items.map((x) => (x === null || x === undefined ? null : other ? String(x) : item(x)));
}

/** One column's conversion. Dates repeat (a few hundred distinct days in 50k rows), so their text is worked out once each. */
function converter(type: ColumnType): (v: unknown) => SqlValue {
  switch (type) {
    case 'VARCHAR':
    case 'BOOLEAN':
    case 'ARRAY':
      return (v) => v as SqlValue;
    case 'BIGINT':
    case 'INTEGER':
    case 'DOUBLE':
      return (v) => (typeof v === 'number' ? v : Number(v));
    case 'DECIMAL':
      return (v) => Number(String(v)); // its exact text, as Athena's (toDouble can differ in the last digit)
    case 'DATE': {
      const seen = new Map<number, SqlValue>();
      return (v) => {
        const days = (v as DuckDBDateValue).days;
        let text = seen.get(days);
        if (text === undefined) seen.set(days, (text = fromText(String(v), 'DATE')));
        return text;
      };
    }
    case 'OTHER':
      return (v) => (typeof v === 'object' ? JSON.stringify(v) : (v as SqlValue));
    default:
      return (v) => fromText(String(v), type); // TIMESTAMP: DuckDB's text form, as Athena's
  }
}

function toDuckValue(p: SqlParam): DuckDBValue {
  if (typeof p === 'number' && !Number.isFinite(p)) throw new QueryError('BAD_PARAMS', `parameter ${p} is not a finite number`);
  return p;
}
