import t, { type Test } from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DATASET_RELATIONS, DIM_DATE, DuckDbEngine, starSchemaViews } from '@peak/analytics';
import { SandboxError, SqlSandbox } from '@peak/sql-sandbox';
import { landLater, snapshot, writeLake } from './helpers.js';

const viewNames = [...starSchemaViews('America/New_York').map((v) => v.name), DIM_DATE.name, ...DATASET_RELATIONS];

/** A test folder holding the lake and, beside it, files the sandbox must never read or write. */
async function workspace(t: Test) {
  const root = t.testdir({ lake: { raw: { 'members.csv': 'member_id,email\nM1,ana@example.com\n' } }, outside: { 'notes.csv': 'a,b\n1,2\n' } });
  const lake = join(root, 'lake');
  const outside = join(root, 'outside');
  await writeLake(lake);
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  await con.run(`COPY (SELECT 42 AS secret) TO '${join(outside, 'secret.parquet')}' (FORMAT parquet)`);
  con.closeSync();
  instance.closeSync();
  return { root, lake, outside };
}

async function openSandbox(t: Test, lakeRoot: string, options: { timeoutMs?: number; maxRows?: number } = {}) {
  const sandbox = await SqlSandbox.open({ lakeRoot, ...options });
  t.teardown(() => sandbox.close());
  return sandbox;
}

t.test('a SELECT works on each star view, in local time, newest versions only', async (t) => {
  const { lake } = await workspace(t);
  const sandbox = await openSandbox(t, lake);

  const visits = await sandbox.query(`SELECT checkin_id, dt, local_date, local_weekday, local_hour FROM fact_attendance ORDER BY checkin_id`);
  t.same(
    visits.columns.map((c) => `${c.name}:${c.type}`),
    ['checkin_id:VARCHAR', 'dt:DATE', 'local_date:DATE', 'local_weekday:INTEGER', 'local_hour:INTEGER'],
    'columns as DuckDB types them',
  );
  t.same(visits.rows[3], ['K4', '2026-06-30', '2026-06-29', 1, 22], "02:30 UTC on the 30th is 22:30 on Monday the 29th in New York");
  t.equal(visits.rows.length, 5);
  t.equal(visits.truncated, false);
  t.type(visits.elapsedMs, 'number');

  const members = await sandbox.query(`SELECT member_id, plan, join_date, birth_year, marketing_opt_in, updated_at FROM dim_members ORDER BY member_id`);
  t.same(members.rows, [
    ['M1', 'unlimited', '2026-01-04', 1991, true, '2026-06-20T09:00:00.000Z'],
    ['M2', 'unlimited', '2026-02-01', null, false, '2026-06-01T10:00:00.000Z'],
  ], 'one row per member, the newest version; values as the analytics engines give them');

  const classes = await sandbox.query(`SELECT class_id, local_date, local_weekday, local_hour, capacity FROM dim_classes ORDER BY class_id`);
  t.same(classes.rows, [['C1', '2026-06-29', 1, 7, 2], ['C2', '2026-06-29', 1, 18, 10]]);

  const paid = await sandbox.query(`SELECT sum(amount) AS total, count(*) AS n FROM transactions`);
  t.same(paid.rows, [[49.99, 1]], 'DECIMAL and BIGINT as numbers');
  t.same((await sandbox.query('SELECT count(*) FROM engagement')).rows, [[0]], 'a dataset without files is an empty view');
});

t.test('read-only forms that are allowed', async (t) => {
  const { lake } = await workspace(t);
  const sandbox = await openSandbox(t, lake);
  const allowed: [string, string][] = [
    ['WITH … SELECT', `WITH per_member AS (SELECT member_id, count(*) AS n FROM fact_attendance GROUP BY 1) SELECT max(n) FROM per_member`],
    ['FROM-first', 'FROM dim_classes SELECT class_id LIMIT 1'],
    ['VALUES', 'VALUES (1, 2), (3, 4)'],
    ['a parenthesised query', '(SELECT 1)'],
    ['EXPLAIN', 'EXPLAIN SELECT * FROM fact_attendance'],
    ['EXPLAIN ANALYZE of a query', 'EXPLAIN ANALYZE SELECT count(*) FROM fact_attendance'],
    ['EXPLAIN with options', 'EXPLAIN (FORMAT json) SELECT 1'],
    ['DESCRIBE a view', 'DESCRIBE fact_attendance'],
    ['SHOW TABLES', 'SHOW TABLES'],
    ['SUMMARIZE a view', 'SUMMARIZE dim_members'],
    ['current_setting()', `SELECT current_setting('lock_configuration') AS locked`],
    ['duckdb_settings()', `SELECT name, value FROM duckdb_settings() WHERE name = 'enable_external_access'`],
    ['read_parquet inside processed/', `SELECT count(*) FROM read_parquet('${lake}/processed/attendance/*/*.parquet')`],
    ['glob inside processed/', `SELECT count(*) FROM glob('${lake}/processed/*/*/*.parquet')`],
    ['a trailing semicolon and comments', '-- how many?\nSELECT count(*) FROM dim_members; /* done */'],
  ];
  for (const [what, sql] of allowed) {
    const result = await sandbox.query(sql).catch((err: Error) => err);
    t.notOk(result instanceof Error, `${what} runs${result instanceof Error ? `: ${result.message}` : ''}`);
  }
  t.same((await sandbox.query(`SELECT current_setting('lock_configuration') AS locked`)).rows, [[true]]);
});

t.test('everything that is not one read-only query is refused, and the lake stays byte-for-byte the same', async (t) => {
  const { root, lake, outside } = await workspace(t);
  const sandbox = await openSandbox(t, lake);
  const before = snapshot(root);
  const dimDate = (await sandbox.query(`SELECT count(*), min(calendar_date) FROM dim_date`)).rows;
  const day = `${lake}/processed/attendance/dt=2026-06-29`;

  const refused: [string, string, RegExp][] = [
    ['INSERT', `INSERT INTO members (member_id) VALUES ('M9')`, /found INSERT/],
    ['INSERT into a table that does not exist', 'INSERT INTO scratch VALUES (1)', /found INSERT/],
    ['UPDATE', `UPDATE members SET plan = 'annual_unlimited'`, /found UPDATE/],
    ['DELETE', 'DELETE FROM members', /found DELETE/],
    ['DELETE from dim_date (a real table in the instance)', 'DELETE FROM dim_date', /found DELETE/],
    ['INSERT into dim_date', `INSERT INTO dim_date VALUES (DATE '1999-12-31', DATE '1999-12-01', 5, 1999)`, /found INSERT/],
    ['DROP TABLE dim_date', 'DROP TABLE dim_date', /found DROP/],
    ['TRUNCATE', 'TRUNCATE dim_date', /found TRUNCATE/],
    ['MERGE', 'MERGE INTO members USING (SELECT 1 AS x) s ON true WHEN MATCHED THEN DELETE', /found MERGE/],
    ['CREATE TABLE', 'CREATE TABLE scratch AS SELECT 1 AS x', /found CREATE/],
    ['CREATE TEMP TABLE', 'CREATE TEMP TABLE scratch (x INTEGER)', /found CREATE/],
    ['CREATE VIEW', 'CREATE VIEW members_copy AS SELECT * FROM members', /found CREATE/],
    ['CREATE OR REPLACE VIEW over a star view', 'CREATE OR REPLACE VIEW fact_attendance AS SELECT 1 AS x', /found CREATE/],
    ['CREATE MACRO', 'CREATE MACRO twice(x) AS x * 2', /found CREATE/],
    ['CREATE SECRET', `CREATE SECRET (TYPE s3, KEY_ID 'a', SECRET 'b')`, /found CREATE/],
    ['DROP VIEW', 'DROP VIEW members', /found DROP/],
    ['ALTER', 'ALTER VIEW members RENAME TO people', /found ALTER/],
    ['COPY TO outside the lake', `COPY (SELECT 1 AS x) TO '${outside}/out.csv'`, /found COPY/],
    ['COPY TO inside processed/ (a folder DuckDB lets the views read)', `COPY (SELECT 1 AS x) TO '${day}/evil.parquet' (FORMAT parquet)`, /found COPY/],
    ['COPY FROM', `COPY members FROM '${outside}/notes.csv'`, /found COPY/],
    ['EXPORT DATABASE', `EXPORT DATABASE '${outside}/export'`, /found EXPORT/],
    ['IMPORT DATABASE', `IMPORT DATABASE '${outside}'`, /Permission Error/],
    ['ATTACH a file', `ATTACH '${outside}/scratch.db' AS scratch`, /found ATTACH/],
    ['ATTACH :memory:', `ATTACH ':memory:' AS scratch`, /found ATTACH/],
    ['DETACH', 'DETACH memory', /found DETACH/],
    ['USE', 'USE system', /found USE/],
    ['INSTALL', 'INSTALL httpfs', /found INSTALL/],
    ['LOAD', 'LOAD httpfs', /found LOAD/],
    ['SET', 'SET threads = 1', /found SET/],
    ['SET lock_configuration = false', 'SET lock_configuration = false', /found SET/],
    ['SET GLOBAL enable_external_access', 'SET GLOBAL enable_external_access = true', /found SET/],
    ['SET VARIABLE', 'SET VARIABLE x = 1', /found SET/],
    ['RESET', 'RESET threads', /found RESET/],
    ['PRAGMA that sets', 'PRAGMA threads = 1', /found PRAGMA/],
    ['PRAGMA that reads', `PRAGMA table_info('members')`, /found PRAGMA/],
    ['CALL', 'CALL pragma_version()', /found CALL/],
    ['CHECKPOINT', 'CHECKPOINT', /found CHECKPOINT/],
    ['BEGIN', 'BEGIN TRANSACTION', /found BEGIN/],
    ['PREPARE', 'PREPARE q AS SELECT 1', /found PREPARE/],
    ['VACUUM', 'VACUUM', /found VACUUM/],
    ['two statements', 'SELECT 1; DROP VIEW members', /found 2 statements/],
    ['two queries', 'SELECT 1; SELECT 2', /found 2 statements/],
    ['EXPLAIN ANALYZE of a DROP (it would run it)', 'EXPLAIN ANALYZE DROP VIEW members', /found DROP/],
    ['EXPLAIN ANALYZE of a COPY into processed/', `EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '${day}/evil.parquet' (FORMAT parquet)`, /found COPY/],
    ['EXPLAIN with a comment before ANALYZE', 'EXPLAIN /* plan */ ANALYZE DROP VIEW members', /directly before/],
    ['nothing but a comment', '-- nothing', /no SQL statement/],
    ['read_csv of /etc/passwd', `SELECT * FROM read_csv('/etc/passwd')`, /Permission Error/],
    ['read_text of /etc/passwd', `SELECT * FROM read_text('/etc/passwd')`, /Permission Error/],
    ['read_blob of /etc/passwd', `SELECT * FROM read_blob('/etc/passwd')`, /Permission Error/],
    ['read_json outside the lake', `SELECT * FROM read_json('/etc/passwd')`, /Permission Error/],
    ['read_parquet outside the lake', `SELECT * FROM read_parquet('${outside}/secret.parquet')`, /Permission Error/],
    ['parquet_metadata outside the lake', `SELECT * FROM parquet_metadata('${outside}/secret.parquet')`, /Permission Error/],
    ['read_csv of the raw zone', `SELECT * FROM read_csv('${lake}/raw/members.csv')`, /Permission Error/],
    ['.. out of processed/', `SELECT * FROM read_csv('${lake}/processed/../raw/members.csv')`, /Permission Error/],
    ['a file as a table (replacement scan)', `SELECT * FROM '/etc/passwd'`, /looks like a file/],
    ['a CSV beside the lake as a table', `FROM '${outside}/notes.csv'`, /Permission Error|looks like a file/],
    ['glob of /', `SELECT * FROM glob('/*')`, /Permission Error/],
    ['an http URL', `SELECT * FROM read_parquet('https://example.com/members.parquet')`, /Permission Error/],
    ['an http URL as a table', `SELECT * FROM 'https://example.com/members.csv'`, /Permission Error|looks like a file/],
    ['enable_logging() to a file', `SELECT * FROM enable_logging(storage = 'file', storage_path = '${outside}/logs')`, /enable_logging\(\) is not available/],
    ['a quoted, qualified enable_logging()', `SELECT * FROM main."ENABLE_LOGGING"()`, /enable_logging\(\) is not available/],
    ['checkpoint()', 'SELECT * FROM checkpoint()', /checkpoint\(\) is not available/],
    ['write_log()', `SELECT write_log('hello')`, /write_log\(\) is not available/],
    ['query() with SQL in a string', `SELECT * FROM query('SELECT 1')`, /query\(\) is not available/],
    ['a forbidden function behind EXPLAIN ANALYZE', 'EXPLAIN ANALYZE SELECT * FROM force_checkpoint()', /force_checkpoint\(\) is not available/],
    ['a forbidden function behind SUMMARIZE', 'SUMMARIZE SELECT * FROM disable_logging()', /disable_logging\(\) is not available/],
    ['a forbidden function in a CTE', `WITH x AS (SELECT * FROM query_table('members')) SELECT count(*) FROM x`, /query_table\(\) is not available/],
  ];
  for (const [what, sql, message] of refused) {
    const err = await sandbox.query(sql).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err instanceof SandboxError && err.code === 'REFUSED', `${what}: refused${err instanceof SandboxError ? ` (${err.code})` : err ? ` — ${String(err)}` : ' — it ran!'}`);
    t.match((err as Error | undefined)?.message, message, `${what}: says why`);
    t.notMatch((err as Error | undefined)?.message, /\n\s+at /, `${what}: no stack trace`);
  }

  t.same(snapshot(root), before, 'the lake and the folder beside it are byte-for-byte unchanged');
  t.notOk(existsSync(join(outside, 'logs')), 'no log folder was created');
  t.same((await sandbox.query('SELECT count(*) FROM fact_attendance')).rows, [[5]], 'the views still answer');
  t.same((await sandbox.query(`SELECT plan FROM dim_members WHERE member_id = 'M1'`)).rows, [['unlimited']]);
  t.same((await sandbox.query(`SELECT count(*), min(calendar_date) FROM dim_date`)).rows, dimDate, 'dim_date is untouched');
  t.same((await sandbox.views()).map((v) => v.name), viewNames, 'every view is still there');
  t.same((await sandbox.query(`SELECT current_setting('logging_storage'), current_setting('enable_logging')`)).rows, [['memory', false]], 'logging untouched');
});

t.test("DuckDB's own locks hold with no guard in front (DuckDbEngine lockDown)", async (t) => {
  const { lake, outside } = await workspace(t);
  const engine = new DuckDbEngine({ lakeRoot: lake, timeZone: 'America/New_York', lockDown: true });
  t.teardown(() => engine.close());
  const con = await engine.connect();
  t.teardown(() => con.closeSync());
  const settings = Object.fromEntries(
    (await con.runAndReadAll(`SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'allowed_directories', 'lock_configuration', 'autoload_known_extensions', 'autoinstall_known_extensions', 'temp_directory')`)).getRows(),
  );
  t.same(
    settings,
    {
      enable_external_access: 'false',
      allowed_directories: `[${lake}/processed/]`,
      lock_configuration: 'true',
      autoload_known_extensions: 'false',
      autoinstall_known_extensions: 'false',
      temp_directory: '',
    },
    'the settings the sandbox relies on',
  );
  t.same((await con.runAndReadAll('SELECT count(*) FROM fact_attendance')).getRowsJson(), [['5']], 'the views read the lake after locking');
  const refusals: [string, string, RegExp][] = [
    ['lock_configuration', 'SET lock_configuration = false', /configuration has been locked/],
    ['enable_external_access', 'SET GLOBAL enable_external_access = true', /configuration has been locked/],
    ['allowed_directories', `SET GLOBAL allowed_directories = ['/']`, /configuration has been locked/],
    ['PRAGMA setting', 'PRAGMA threads = 1', /configuration has been locked/],
    ['reading a file outside processed/', `SELECT * FROM read_csv('${outside}/notes.csv')`, /Permission Error/],
    ['reading the raw zone', `SELECT * FROM read_csv('${lake}/raw/members.csv')`, /Permission Error/],
    ['writing outside the lake', `COPY (SELECT 1) TO '${outside}/out.csv'`, /Permission Error/],
    ['attaching a file', `ATTACH '${outside}/x.db'`, /Permission Error/],
    ['installing an extension', 'INSTALL httpfs', /Permission Error/],
    ['loading an extension', 'LOAD httpfs', /Permission Error|disabled/],
    ['an http URL', `SELECT * FROM read_csv('https://example.com/x.csv')`, /Permission Error/],
  ];
  for (const [what, sql, message] of refusals) await t.rejects(con.run(sql), { message }, `DuckDB refuses ${what}`);
  t.notOk(existsSync(join(outside, 'out.csv')), 'nothing was written outside');
});

t.test('row limit: at most maxRows rows, and the result says truncated', async (t) => {
  const { lake } = await workspace(t);
  const sandbox = await openSandbox(t, lake);
  const many = await sandbox.query('SELECT * FROM range(5000)');
  t.equal(many.rows.length, 1_000, 'default 1,000 rows');
  t.equal(many.truncated, true);
  const few = await sandbox.query('SELECT * FROM range(5000)', { maxRows: 10 });
  t.same([few.rows.length, few.truncated], [10, true]);
  const exact = await sandbox.query('SELECT * FROM range(10)', { maxRows: 10 });
  t.same([exact.rows.length, exact.truncated], [10, false], 'exactly maxRows is not truncated');
  const endless = await sandbox.query('SELECT * FROM range(1000000000000)', { maxRows: 5 });
  t.same([endless.rows.length, endless.truncated], [5, true], 'a huge result streams: only what is returned is read');
});

t.test('time limit: a slow query is interrupted quickly and the sandbox keeps working', async (t) => {
  const { lake } = await workspace(t);
  const sandbox = await openSandbox(t, lake, { timeoutMs: 300 });
  const started = Date.now();
  await t.rejects(sandbox.query('SELECT count(*) FROM range(100000000) AS a, range(100000) AS b WHERE a.range + b.range = 7'), {
    code: 'TIMEOUT',
    message: /longer than the sandbox's limit of 300 ms and was stopped/,
  });
  t.ok(Date.now() - started < 3_000, `stopped after ${Date.now() - started} ms`);
  t.same((await sandbox.query('SELECT count(*) FROM fact_attendance')).rows, [[5]], 'the next query runs');
  await t.rejects(sandbox.query('SELECT count(*) FROM range(100000000) AS a, range(100000) AS b', { timeoutMs: 200 }), { code: 'TIMEOUT' }, 'a per-query limit');
});

t.test('errors in the query are clear and name the views', async (t) => {
  const { lake } = await workspace(t);
  const sandbox = await openSandbox(t, lake);
  await t.rejects(sandbox.query('SELEC 1'), { code: 'QUERY_FAILED', message: /syntax error at or near "SELEC"/ });
  await t.rejects(sandbox.query('SELECT * FROM visits'), { code: 'QUERY_FAILED', message: /visits does not exist[\s\S]*The views are: dim_members, dim_classes, fact_attendance, .*members/ });
  await t.rejects(sandbox.query('SELECT nope FROM dim_members'), { code: 'QUERY_FAILED', message: /nope/ });
  await t.rejects(sandbox.query('   '), { code: 'REFUSED', message: /empty/ });
});

t.test('views: names, descriptions and columns; a dataset that lands later appears', async (t) => {
  const { lake } = await workspace(t);
  const sandbox = await openSandbox(t, lake);
  const views = await sandbox.views();
  t.same(views.map((v) => v.name), viewNames, 'the star schema first, then one view per dataset');
  const fact = views.find((v) => v.name === 'fact_attendance');
  t.match(fact?.columns.find((c) => c.name === 'local_hour'), { type: 'INTEGER', description: /Hour of day/ });
  t.match(fact?.columns.find((c) => c.name === 'member_id'), { type: 'VARCHAR', description: /Member identifier/ });
  t.ok(views.every((v) => v.description && v.columns.every((c) => c.description)), 'every view and column is described');

  await landLater(lake, 'engagement', '2026-06-30', [
    { event_id: 'E1', member_id: 'M1', occurred_at: '2026-06-30 12:00:00', event_type: 'app_open', platform: 'ios', session_id: 'X1', duration_seconds: 30 },
  ]);
  t.same((await sandbox.query('SELECT count(*) FROM engagement')).rows, [[1]], 'the locked instance still picks up a new dataset');
});

t.test('open: a missing lake folder or an unknown time zone is a clear error', async (t) => {
  const root = t.testdir({});
  await t.rejects(SqlSandbox.open({ lakeRoot: join(root, 'nowhere') }), { code: 'NO_LAKE', message: /no lake folder at .*nowhere/ });
  mkdirSync(join(root, 'lake'));
  writeFileSync(join(root, 'file'), '');
  await t.rejects(SqlSandbox.open({ lakeRoot: join(root, 'file') }), { code: 'NO_LAKE' });
  await t.rejects(SqlSandbox.open({ lakeRoot: join(root, 'lake'), timeZone: 'Mars/Olympus' }), { message: /not a known IANA time zone/ });
  const empty = await openSandbox(t, join(root, 'lake'));
  t.same((await empty.query('SELECT count(*) FROM fact_attendance')).rows, [[0]], 'an empty lake has empty views');
});
