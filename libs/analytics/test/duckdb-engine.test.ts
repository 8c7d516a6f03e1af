/**
 * The DuckDB engine's own behaviour: the values it returns, and its in-memory star schema keeping up
 * with the lake's files (new batches appended, changed or removed files rebuilt, too-big relations left
 * as views) — always giving the answers the Parquet views give. Derived relations are read like datasets.
 */
import { mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { derivedColumns, DuckDbEngine, writeLake, type DuckDbEngineOptions, type FixtureRow } from '@peak/analytics';

const ZONE = 'America/New_York';
const checkin = (i: number, at: string, member = `M${i % 3}`): FixtureRow => ({ checkin_id: `K${i}`, member_id: member, class_id: null, location_id: 'downtown', checked_in_at: at, method: 'card' });
const member = (id: string, updatedAt: string, home: string): FixtureRow => ({
  member_id: id, email: `${id}@example.com`, first_name: 'A', last_name: 'B', home_location_id: home, join_date: '2026-01-01', plan: 'unlimited',
  status: 'active', cancelled_on: null, birth_year: null, marketing_opt_in: true, updated_at: updatedAt,
});

/** What a question returns on every kind of engine set-up: in memory (the default), as plain views, and too big to keep. */
async function answersEverywhere(root: string, sql: string, extra: Partial<DuckDbEngineOptions> = {}) {
  const out = [];
  for (const options of [{}, { materialize: false }, { maxMaterializedRows: 1 }]) {
    const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE, refreshCheckMs: 0, ...extra, ...options });
    out.push((await engine.query(sql)).rows);
    await engine.close();
  }
  return out;
}

t.test('values come back in the shared representation, whatever the type', async (t) => {
  const engine = new DuckDbEngine({ lakeRoot: t.testdir(), timeZone: ZONE });
  t.teardown(() => engine.close());
  const { rows, columns } = await engine.query(`SELECT DATE '2026-01-02' AS d, TIMESTAMP '2026-01-02 03:04:05.678901' AS ts, CAST(12.34 AS DECIMAL(12,2)) AS amount,
    CAST(sum(5) AS HUGEINT) AS huge, CAST(5 AS BIGINT) AS big, CAST(7 AS INTEGER) AS small, CAST(1.5 AS DOUBLE) AS dbl, [1, 2] AS list, true AS flag,
    'x' AS text, CAST(NULL AS DATE) AS nothing, {'a': 1} AS struct`);
  t.strictSame(rows, [{
    d: '2026-01-02', ts: '2026-01-02T03:04:05.678Z', amount: 12.34, huge: 5, big: 5, small: 7, dbl: 1.5, list: [1, 2], flag: true, text: 'x', nothing: null, struct: '{"a":1}',
  }]);
  t.strictSame(columns.map((c) => c.type), ['DATE', 'TIMESTAMP', 'DECIMAL', 'BIGINT', 'BIGINT', 'INTEGER', 'DOUBLE', 'ARRAY', 'BOOLEAN', 'VARCHAR', 'DATE', 'OTHER']);
  const lists = await engine.query(`SELECT [CAST(1 AS BIGINT), NULL] AS bigints, [TIMESTAMP '2026-01-02 03:04:05'] AS times, [CAST(1.5 AS DECIMAL(4,2))] AS amounts,
    CAST([1, 2] AS INTEGER[2]) AS fixed, [[1], [2, 3]] AS nested, CAST([] AS VARCHAR[]) AS empty`);
  t.strictSame(lists.rows, [{ bigints: [1, null], times: ['2026-01-02T03:04:05.000Z'], amounts: [1.5], fixed: [1, 2], nested: [[1], [2, 3]], empty: [] }], 'list elements converted as their own type');
  t.ok(lists.columns.every((c) => c.type === 'ARRAY'), 'fixed-size arrays are ARRAY too');
  const limited = await engine.query('SELECT * FROM range(5) AS r(i) ORDER BY i', { maxRows: 2 });
  t.strictSame([limited.rows, limited.truncated], [[{ i: 0 }, { i: 1 }], true], 'maxRows keeps the first rows and says so');
});

t.test('the in-memory star schema follows the lake: new batches, changed and removed files', async (t) => {
  const root = t.testdir();
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE, refreshCheckMs: 0 });
  t.teardown(() => engine.close());
  const count = async () => (await engine.query('SELECT count(*) AS n, count(DISTINCT local_date) AS days FROM fact_attendance')).rows[0];

  t.same(await count(), { n: 0, days: 0 }, 'an empty lake: empty facts');
  await writeLake(root, { attendance: [checkin(1, '2026-03-01T15:00:00Z'), checkin(2, '2026-03-02T15:00:00Z')] }, 'b1');
  t.same(await count(), { n: 2, days: 2 }, 'the first batch appears');
  await writeLake(root, { attendance: [checkin(3, '2026-03-02T16:00:00Z'), checkin(4, '2026-03-05T15:00:00Z')] }, 'b2');
  t.same(await count(), { n: 4, days: 3 }, 'a second batch is added (one new day, one day shared with b1)');

  // The same batch written again with other rows (a re-run): the file changed, so the relation is rebuilt.
  const file = join(root, 'processed', 'attendance', 'dt=2026-03-05', 'b2__0.parquet');
  const before = statSync(file).mtimeMs;
  await writeLake(root, { attendance: [checkin(3, '2026-03-02T16:00:00Z'), checkin(5, '2026-03-05T15:00:00Z'), checkin(6, '2026-03-05T17:00:00Z')] }, 'b2');
  t.not(statSync(file).mtimeMs, before, 'the file was rewritten');
  t.same(await count(), { n: 5, days: 3 }, 'a rewritten file replaces its old rows');

  rmSync(join(root, 'processed', 'attendance', 'dt=2026-03-01'), { recursive: true });
  t.same(await count(), { n: 4, days: 2 }, 'a removed file takes its rows with it');

  await writeLake(root, { members: [member('M1', '2026-01-01T00:00:00Z', 'downtown')] }, 'm1');
  t.same((await engine.query('SELECT home_location_id FROM dim_members')).rows, [{ home_location_id: 'downtown' }]);
  await writeLake(root, { members: [member('M1', '2026-02-01T00:00:00Z', 'riverside')] }, 'm2');
  t.same((await engine.query('SELECT home_location_id FROM dim_members')).rows, [{ home_location_id: 'riverside' }], 'a dimension is rebuilt: the newer version wins');
});

t.test('between checks the engine answers from its copy; refreshCheckMs bounds how stale it can be', async (t) => {
  const root = t.testdir();
  await writeLake(root, { attendance: [checkin(1, '2026-03-01T15:00:00Z')] }, 'b1');
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE, refreshCheckMs: 60_000 });
  t.teardown(() => engine.close());
  const n = async () => (await engine.query('SELECT count(*) AS n FROM fact_attendance')).rows[0]?.n;
  t.equal(await n(), 1);
  await writeLake(root, { attendance: [checkin(2, '2026-03-02T15:00:00Z')] }, 'b2');
  t.equal(await n(), 1, 'within refreshCheckMs of the last check, the new batch is not looked for');
  t.equal((await engine.query('SELECT count(*) AS n FROM attendance')).rows[0]?.n, 2, 'the dataset view reads the files themselves');
});

t.test('in memory, as views, or too big to keep: the same answers', async (t) => {
  const root = t.testdir();
  await writeLake(root, {
    attendance: Array.from({ length: 40 }, (_, i) => checkin(i, new Date(Date.parse('2026-03-01T12:00:00Z') + i * 9 * 3_600_000).toISOString())),
    members: [member('M0', '2026-01-01T00:00:00Z', 'downtown'), member('M1', '2026-01-01T00:00:00Z', 'riverside')],
  }, 'b1');
  await writeLake(root, { members: [member('M0', '2026-02-01T00:00:00Z', 'riverside')] }, 'b2');
  const [inMemory, views, tooBig] = await answersEverywhere(root, `SELECT m.home_location_id, f.local_date, count(*) AS visits
    FROM fact_attendance f JOIN dim_members m ON m.member_id = f.member_id GROUP BY ALL ORDER BY ALL`);
  t.ok((inMemory?.length ?? 0) > 10, `${inMemory?.length} groups`);
  t.same(views, inMemory, 'views over the Parquet');
  t.same(tooBig, inMemory, 'relations over maxMaterializedRows stay views');
});

t.test('bytes read: reported per query, and a shorter date range reads fewer partitions', async (t) => {
  const root = t.testdir();
  await writeLake(root, { attendance: Array.from({ length: 300 }, (_, i) => checkin(i, new Date(Date.parse('2026-01-01T15:00:00Z') + i * 86_400_000).toISOString())) });
  t.equal(readdirSync(join(root, 'processed', 'attendance')).length, 300, 'a partition a day');
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE, materialize: false, measureBytes: true });
  t.teardown(() => engine.close());
  const bytes = async (from: string, to: string) =>
    (await engine.query('SELECT count(*) AS n FROM fact_attendance WHERE dt BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)', { params: [from, to] })).stats.bytesScanned ?? 0;
  const week = await bytes('2026-03-01', '2026-03-07');
  const all = await bytes('2026-01-01', '2026-12-31');
  t.ok(week > 0, `a week: ${week} bytes`);
  t.ok(all > 10 * week, `the whole range: ${all} bytes, over 10× a week's`);
  const plain = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE });
  t.teardown(() => plain.close());
  t.equal((await plain.query('SELECT 1 AS one')).stats.bytesScanned, undefined, 'not measured unless asked');
});

t.test('a dataset whose files all go: its relations are empty again, and every other query still answers', async (t) => {
  const root = t.testdir();
  await writeLake(root, { attendance: [checkin(1, '2026-03-01T15:00:00Z')], members: [member('M1', '2026-01-01T00:00:00Z', 'downtown')] }, 'b1');
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE, refreshCheckMs: 0 });
  t.teardown(() => engine.close());
  t.strictSame((await engine.query('SELECT count(*) AS n FROM fact_attendance')).rows, [{ n: 1 }]);
  rmSync(join(root, 'processed', 'attendance'), { recursive: true });
  t.strictSame((await engine.query('SELECT count(*) AS n FROM fact_attendance')).rows, [{ n: 0 }], 'empty, not an error');
  t.strictSame((await engine.query('SELECT count(*) AS n FROM attendance')).rows, [{ n: 0 }], 'the dataset view too');
  t.strictSame((await engine.query('SELECT count(*) AS n FROM dim_members')).rows, [{ n: 1 }], 'other relations unaffected');
  await writeLake(root, { attendance: [checkin(2, '2026-03-02T15:00:00Z')] }, 'b2');
  t.strictSame((await engine.query('SELECT count(*) AS n FROM fact_attendance')).rows, [{ n: 1 }], 'and back when files return');
});

t.test('a damaged file: only queries that read it fail; the engine recovers once it is mended', async (t) => {
  const root = t.testdir();
  await writeLake(root, { attendance: [checkin(1, '2026-03-01T15:00:00Z')], members: [member('M1', '2026-01-01T00:00:00Z', 'downtown')] }, 'b1');
  const broken = join(root, 'processed', 'attendance', 'dt=2026-03-02');
  mkdirSync(broken, { recursive: true });
  writeFileSync(join(broken, 'bad__0.parquet'), 'not parquet at all');
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE, refreshCheckMs: 0 });
  t.teardown(() => engine.close());
  t.strictSame((await engine.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'a query that reads no data answers');
  t.strictSame((await engine.query('SELECT home_location_id FROM dim_members')).rows, [{ home_location_id: 'downtown' }], 'other relations answer');
  await t.rejects(engine.query('SELECT count(*) FROM fact_attendance'), { name: 'QueryError', code: 'FAILED', message: /bad__0\.parquet/ }, 'the damaged relation says which file');
  rmSync(broken, { recursive: true });
  t.strictSame((await engine.query('SELECT count(*) AS n FROM fact_attendance')).rows, [{ n: 1 }], 'mended: answers again');
});

t.test('a lake that cannot be opened is tried again on the next query, with a QueryError', async (t) => {
  const root = t.testdir();
  const bad = join(root, 'processed', 'members', 'dt=2026-01-01');
  mkdirSync(bad, { recursive: true });
  writeFileSync(join(bad, 'x__0.parquet'), 'garbage');
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE, refreshCheckMs: 0, materialize: false });
  t.teardown(() => engine.close());
  const first = await engine.query('SELECT count(*) AS n FROM members').catch((e: unknown) => e);
  t.match(first, { name: 'QueryError', code: 'FAILED' });
  rmSync(bad, { recursive: true });
  await writeLake(root, { members: [member('M1', '2026-01-01T00:00:00Z', 'downtown')] }, 'm1');
  t.strictSame((await engine.query('SELECT count(*) AS n FROM members')).rows, [{ n: 1 }]);
});

t.test('a deadline also bounds the wait for a refresh', async (t) => {
  const root = t.testdir();
  await writeLake(root, { attendance: Array.from({ length: 50 }, (_, i) => checkin(i, new Date(Date.parse('2026-01-01T15:00:00Z') + i * 86_400_000).toISOString())) });
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE, refreshCheckMs: 0 });
  t.teardown(() => engine.close());
  await t.rejects(engine.query('SELECT count(*) FROM fact_attendance', { timeoutMs: 0 }), { name: 'QueryError', code: 'TIMEOUT' });
  t.strictSame((await engine.query('SELECT count(*) AS n FROM fact_attendance')).rows, [{ n: 50 }], 'the next query gets the copy the refresh finished');
});

t.test('closing stops the queries in flight and waits for them (closing DuckDB under a running query crashes the process)', async (t) => {
  const engine = new DuckDbEngine({ lakeRoot: t.testdir(), timeZone: ZONE });
  await engine.query('SELECT 1'); // open
  const slow = engine.query('SELECT count(*) FROM range(1000000000000) AS a(i) WHERE i % 7 = 3').catch((e: unknown) => e);
  const own = await engine.connect(); // a connection handed out (the SQL sandbox's)
  const ownSlow = own.run('SELECT count(*) FROM range(1000000000000) AS a(i) WHERE i % 5 = 1').then(() => 'finished', (e: Error) => e.message);
  await new Promise((r) => setTimeout(r, 200)); // running inside DuckDB
  await Promise.all([engine.close(), engine.close()]); // two closers: both resolve
  t.match(await slow, { name: 'QueryError', code: 'CANCELLED' }, 'the running query is stopped, not left under a closed instance');
  t.match(await ownSlow, /interrupt/i, 'so is what runs on a handed-out connection');
  own.closeSync();
  await t.rejects(engine.query('SELECT 1'), { name: 'QueryError', code: 'CANCELLED', message: /engine is closed/ });
  await t.rejects(engine.connect(), { name: 'QueryError', code: 'CANCELLED' });
});

/** A churn score row: every column of the member_churn_scores contract. */
const score = (member: string, asOf: string, value: number, band: string): FixtureRow => ({
  member_id: member, home_location_id: 'downtown', as_of: asOf, score: value, band, factor_1: 'last visit 21 days ago', factor_2: null, factor_3: null,
  model_version: 'churn-2026-05-01-3f2a9c1d0b', scored_at: '2026-07-01T05:00:00Z',
});

/** One day's file as the scoring job writes it: `processed/member_churn_scores/dt=<as_of>/`, the contract's columns and types (no dt inside). */
async function writeScores(root: string, asOf: string, rows: FixtureRow[]): Promise<void> {
  const dir = join(root, 'processed', 'member_churn_scores', `dt=${asOf}`);
  mkdirSync(dir, { recursive: true });
  const literal = (v: FixtureRow[string]) => (v === null ? 'NULL' : `'${String(v).replaceAll("'", "''")}'`);
  const columns = derivedColumns('member_churn_scores').filter((c) => c.name !== 'dt');
  const select = rows.map((r) => `SELECT ${columns.map((c) => `CAST(${literal(r[c.name] ?? null)} AS ${c.sqlType}) AS ${c.name}`).join(', ')}`).join(' UNION ALL ');
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    await con.run(`SET TimeZone = 'UTC'`);
    await con.run(`COPY (${select}) TO '${join(dir, 'scores.parquet')}' (FORMAT parquet)`);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

t.test('a derived relation: an empty typed view until its first file, then read like a dataset by the running engine', async (t) => {
  const root = t.testdir();
  // A long refreshCheckMs: the churn job's first file must show up without waiting for the next check.
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE, refreshCheckMs: 60_000 });
  t.teardown(() => engine.close());

  const empty = await engine.query('SELECT * FROM member_churn_scores');
  t.same(empty.rows, [], 'no files yet: empty, not an error');
  t.same(empty.columns, [
    { name: 'member_id', type: 'VARCHAR' }, { name: 'home_location_id', type: 'VARCHAR' }, { name: 'as_of', type: 'DATE' }, { name: 'score', type: 'DOUBLE' },
    { name: 'band', type: 'VARCHAR' }, { name: 'factor_1', type: 'VARCHAR' }, { name: 'factor_2', type: 'VARCHAR' }, { name: 'factor_3', type: 'VARCHAR' },
    { name: 'model_version', type: 'VARCHAR' }, { name: 'scored_at', type: 'TIMESTAMP' }, { name: 'dt', type: 'DATE' },
  ], 'the contract columns with their SQL types, then dt');

  await writeScores(root, '2026-06-30', [score('M1', '2026-06-30', 0.42, 'medium'), score('M2', '2026-06-30', 0.81, 'high')]);
  const byDay = `SELECT member_id, score, band, as_of, dt, scored_at, factor_1, factor_2 FROM member_churn_scores
    WHERE dt BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) ORDER BY member_id`;
  t.strictSame((await engine.query(byDay, { params: ['2026-06-01', '2026-06-30'] })).rows, [
    { member_id: 'M1', score: 0.42, band: 'medium', as_of: '2026-06-30', dt: '2026-06-30', scored_at: '2026-07-01T05:00:00.000Z', factor_1: 'last visit 21 days ago', factor_2: null },
    { member_id: 'M2', score: 0.81, band: 'high', as_of: '2026-06-30', dt: '2026-06-30', scored_at: '2026-07-01T05:00:00.000Z', factor_1: 'last visit 21 days ago', factor_2: null },
  ], 'the first file is read by the same engine instance, dt from its folder');

  await writeScores(root, '2026-07-01', [score('M1', '2026-07-01', 0.5, 'medium')]);
  t.strictSame((await engine.query('SELECT dt, count(*) AS n FROM member_churn_scores GROUP BY dt ORDER BY dt')).rows, [{ dt: '2026-06-30', n: 2 }, { dt: '2026-07-01', n: 1 }], 'the next day\'s file too: the view reads the files themselves');
  t.strictSame((await engine.query('SELECT count(*) AS n FROM fact_attendance')).rows, [{ n: 0 }], 'the star schema is untouched');
});

t.test('a derived relation under lockDown: its file appears after the lock, nothing outside processed/ is readable', async (t) => {
  const root = realpathSync(t.testdir({ 'outside.csv': 'a,b\n1,2\n' })); // DuckDB allows directories by path prefix
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: ZONE, lockDown: true });
  t.teardown(() => engine.close());
  t.strictSame((await engine.query('SELECT count(*) AS n FROM member_churn_scores')).rows, [{ n: 0 }], 'locked, empty');
  await writeScores(root, '2026-06-30', [score('M1', '2026-06-30', 0.42, 'medium')]);
  t.strictSame((await engine.query('SELECT member_id, band FROM member_churn_scores')).rows, [{ member_id: 'M1', band: 'medium' }], 'the view is defined over the new file after the lock');
  await t.rejects(engine.query(`SELECT * FROM read_csv('${join(root, 'outside.csv')}')`), { name: 'QueryError', message: /Permission Error/ }, 'still locked');
  await t.rejects(engine.query('SET GLOBAL enable_external_access = true'), { name: 'QueryError', message: /configuration has been locked/ });
});
