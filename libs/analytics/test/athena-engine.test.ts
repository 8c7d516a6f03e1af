/** The Athena engine against a mocked AthenaClient (no AWS here): requests sent, polling, results, errors. */
import t, { type Test } from 'tap';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type GetQueryExecutionOutput,
  type GetQueryResultsOutput,
  type QueryExecution,
  type QueryExecutionState,
} from '@aws-sdk/client-athena';
import { AthenaEngine, DuckDbEngine, type AthenaEngineOptions } from '@peak/analytics';

const QUERY_ID = 'a1b2c3d4-0000-4000-8000-000000000001';
const WORK_GROUP = 'peak-analytics';
const DATABASE = 'peak_lake';

/** An engine over a mocked client, on a fake clock that only the injected sleep moves. */
function setup(t: Test, options: Partial<AthenaEngineOptions> = {}) {
  const client = new AthenaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const athena = mockClient(client);
  t.teardown(() => athena.restore());
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: QUERY_ID });
  athena.on(StopQueryExecutionCommand).resolves({});
  const clock = { now: 1_000 };
  const sleeps: number[] = [];
  const engine = new AthenaEngine({
    client,
    workGroup: WORK_GROUP,
    database: DATABASE,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
    now: () => clock.now,
    ...options,
  });
  return { client, athena, engine, sleeps, clock };
}

function execution(state: QueryExecutionState, more: Partial<QueryExecution> = {}): GetQueryExecutionOutput {
  return { QueryExecution: { QueryExecutionId: QUERY_ID, StatementType: 'DML', ...more, Status: { State: state, ...more.Status } } };
}

/** One GetQueryResults page; `null` cells are Data entries without VarCharValue, as Athena sends NULL. */
function page(columns: [name: string, type: string][], rows: (string | null)[][], next?: string): GetQueryResultsOutput {
  return {
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: columns.map(([Name, Type]) => ({ Name, Label: Name, Type })) },
      Rows: rows.map((cells) => ({ Data: cells.map((v) => (v === null ? {} : { VarCharValue: v })) })),
    },
    ...(next ? { NextToken: next } : {}),
  };
}

const header = (columns: [string, string][]) => columns.map(([name]) => name);
const resultsCalls = (athena: ReturnType<typeof setup>['athena']) => athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input);

t.test('a query with parameters: they travel as ExecutionParameters literals, never inside the SQL text', async (t) => {
  const { athena, engine } = setup(t);
  const cols: [string, string][] = [['member_id', 'varchar'], ['visits', 'bigint']];
  athena.on(GetQueryExecutionCommand).resolvesOnce(execution('QUEUED')).resolves(execution('SUCCEEDED', { Statistics: { DataScannedInBytes: 52_428_800 } }));
  athena.on(GetQueryResultsCommand).resolves(page(cols, [header(cols), ['m-1', '12']]));

  const sql = 'SELECT member_id, visits FROM members WHERE last_name = ? AND note = ? AND visits > ? AND score < ? AND active = ? AND vip = ? AND coach IS NOT DISTINCT FROM ?';
  const result = await engine.query(sql, { params: ["O'Brien", "x' OR '1'='1", 42, -1.5, true, false, null] });

  const starts = athena.commandCalls(StartQueryExecutionCommand);
  t.equal(starts.length, 1);
  t.strictSame(starts[0]?.args[0].input, {
    QueryString: sql,
    WorkGroup: WORK_GROUP,
    QueryExecutionContext: { Database: DATABASE, Catalog: 'AwsDataCatalog' },
    ExecutionParameters: ["'O''Brien'", "'x'' OR ''1''=''1'", '42', '-1.5', 'true', 'false', 'NULL'],
  });
  t.strictSame(result.rows, [{ member_id: 'm-1', visits: 12 }]);
  t.strictSame(result.columns, [
    { name: 'member_id', type: 'VARCHAR' },
    { name: 'visits', type: 'BIGINT' },
  ]);
  t.equal(result.truncated, false);
  t.strictSame(result.stats, { engine: 'athena', elapsedMs: 200, bytesScanned: 52_428_800, queryId: QUERY_ID, reused: false });
});

t.test('configuration: no parameters means no ExecutionParameters; catalog and output location go where Athena wants them', async (t) => {
  const { athena, engine } = setup(t, { catalog: 'lakehouse', outputLocation: 's3://peak-athena-results/adhoc/' });
  athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
  athena.on(GetQueryResultsCommand).resolves(page([['n', 'integer']], [['n'], ['1']]));
  await engine.query('SELECT 1 AS n', { params: [] });
  t.strictSame(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input, {
    QueryString: 'SELECT 1 AS n',
    WorkGroup: WORK_GROUP,
    QueryExecutionContext: { Database: DATABASE, Catalog: 'lakehouse' },
    ResultConfiguration: { OutputLocation: 's3://peak-athena-results/adhoc/' },
  });
});

t.test('results over several pages: only the first page starts with the header row', async (t) => {
  const { athena, engine } = setup(t);
  const cols: [string, string][] = [['name', 'varchar'], ['n', 'integer']];
  athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
  athena
    .on(GetQueryResultsCommand)
    .resolvesOnce(page(cols, [header(cols), ['a', '1'], ['b', '2']], 'token-1'))
    .resolvesOnce(page(cols, [['name', '3'], ['d', '4']], 'token-2')) // a data row that happens to look like a header
    .resolvesOnce(page(cols, [['e', '5']]));
  const result = await engine.query('SELECT name, n FROM t ORDER BY n');
  t.strictSame(result.rows, [
    { name: 'a', n: 1 },
    { name: 'b', n: 2 },
    { name: 'name', n: 3 },
    { name: 'd', n: 4 },
    { name: 'e', n: 5 },
  ]);
  t.strictSame(resultsCalls(athena), [
    { QueryExecutionId: QUERY_ID, MaxResults: 1000 },
    { QueryExecutionId: QUERY_ID, MaxResults: 1000, NextToken: 'token-1' },
    { QueryExecutionId: QUERY_ID, MaxResults: 1000, NextToken: 'token-2' },
  ]);
  t.equal(result.truncated, false);
});

t.test('SHOW / DESCRIBE results (UTILITY) have no header row: their first row is kept', async (t) => {
  const { athena, engine } = setup(t);
  athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED', { StatementType: 'UTILITY' }));
  athena.on(GetQueryResultsCommand).resolves(page([['tab_name', 'string']], [['attendance'], ['members']]));
  const result = await engine.query('SHOW TABLES');
  t.strictSame(result.rows, [{ tab_name: 'attendance' }, { tab_name: 'members' }]);
});

t.test('typed values: text cells become the same values the DuckDB engine returns', async (t) => {
  const { athena, engine } = setup(t);
  const cols: [string, string][] = [
    ['big', 'bigint'],
    ['small', 'integer'],
    ['ratio', 'double'],
    ['price', 'decimal'],
    ['active', 'boolean'],
    ['day', 'date'],
    ['at', 'timestamp'],
    ['name', 'varchar'],
    ['tags', 'array'],
    ['extra', 'map'],
  ];
  athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
  athena.on(GetQueryResultsCommand).resolves(
    page(cols, [
      header(cols),
      ['9007199254740991', '-7', '0.25', '1234.50', 'true', '2026-01-05', '2026-01-05 06:52:40.123', "O'Brien", '[yoga, hiit, null]', '{a=1}'],
      ['0', '0', 'NaN', '0.00', 'false', '2026-06-30', '2026-06-30 22:30:00.000', '', '[]', '{}'],
      [null, null, null, null, null, null, null, null, null, null],
    ]),
  );
  const result = await engine.query('SELECT * FROM typed');
  t.strictSame(
    result.columns.map((c) => c.type),
    ['BIGINT', 'INTEGER', 'DOUBLE', 'DECIMAL', 'BOOLEAN', 'DATE', 'TIMESTAMP', 'VARCHAR', 'ARRAY', 'OTHER'],
  );
  t.strictSame(result.rows[0], {
    big: 9007199254740991,
    small: -7,
    ratio: 0.25,
    price: 1234.5,
    active: true,
    day: '2026-01-05',
    at: '2026-01-05T06:52:40.123Z',
    name: "O'Brien",
    tags: ['yoga', 'hiit', null],
    extra: '{a=1}',
  });
  t.match(result.rows[1], { big: 0, small: 0, price: 0, active: false, day: '2026-06-30', at: '2026-06-30T22:30:00.000Z', name: '', tags: [], extra: '{}' });
  t.ok(Number.isNaN(result.rows[1]?.ratio), 'NaN stays NaN');
  t.strictSame(result.rows[2], { big: null, small: null, ratio: null, price: null, active: null, day: null, at: null, name: null, tags: null, extra: null });
});

t.test('same rows and columns as the DuckDB engine for the same values', async (t) => {
  const sql = `SELECT CAST(9007199254740991 AS BIGINT) AS big, CAST(-7 AS INTEGER) AS small, CAST(0.25 AS DOUBLE) AS ratio,
    CAST(1234.50 AS DECIMAL(12,2)) AS price, true AS active, DATE '2026-01-05' AS day, TIMESTAMP '2026-01-05 06:52:40.123' AS at,
    'O''Brien' AS name, ARRAY['yoga', 'hiit', NULL] AS tags, CAST(NULL AS BIGINT) AS nothing`;
  const duck = new DuckDbEngine({ lakeRoot: t.testdir(), timeZone: 'Europe/London' });
  t.teardown(() => duck.close());
  const local = await duck.query(sql);

  const { athena, engine } = setup(t);
  const cols: [string, string][] = [
    ['big', 'bigint'],
    ['small', 'integer'],
    ['ratio', 'double'],
    ['price', 'decimal'],
    ['active', 'boolean'],
    ['day', 'date'],
    ['at', 'timestamp'],
    ['name', 'varchar'],
    ['tags', 'array'],
    ['nothing', 'bigint'],
  ];
  athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
  // The cells as Athena (engine v3) writes them for that SELECT.
  athena.on(GetQueryResultsCommand).resolves(
    page(cols, [header(cols), ['9007199254740991', '-7', '0.25', '1234.50', 'true', '2026-01-05', '2026-01-05 06:52:40.123', "O'Brien", '[yoga, hiit, null]', null]]),
  );
  const aws = await engine.query(sql);
  t.strictSame(aws.columns, local.columns);
  t.strictSame(aws.rows, local.rows);
});

t.test('arrays: split best-effort from Athena text, nested values kept as their text', async (t) => {
  const { athena, engine } = setup(t);
  const cols: [string, string][] = [['v', 'array']];
  athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
  athena.on(GetQueryResultsCommand).resolves(page(cols, [header(cols), ['[1, 2, 3]'], ['[[1, 2], [3]]'], ['[{a=1, b=2}, {a=3, b=4}]'], ['[a,b]']]));
  const result = await engine.query('SELECT v FROM arrays');
  t.strictSame(
    result.rows.map((r) => r.v),
    [['1', '2', '3'], ['[1, 2]', '[3]'], ['{a=1, b=2}', '{a=3, b=4}'], ['a,b']],
  );
});

t.test('maxRows: stops paging once it has one row more than asked, and says truncated', async (t) => {
  const { athena, engine } = setup(t);
  const cols: [string, string][] = [['n', 'integer']];
  athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
  athena
    .on(GetQueryResultsCommand)
    .resolvesOnce(page(cols, [header(cols), ['1'], ['2']], 'token-1'))
    .resolvesOnce(page(cols, [['3'], ['4']], 'token-2'))
    .resolvesOnce(page(cols, [['5']]));
  const result = await engine.query('SELECT n FROM t', { maxRows: 3 });
  t.strictSame(result.rows, [{ n: 1 }, { n: 2 }, { n: 3 }]);
  t.equal(result.truncated, true);
  t.strictSame(resultsCalls(athena), [
    { QueryExecutionId: QUERY_ID, MaxResults: 5 }, // header + 3 rows + 1 to detect more
    { QueryExecutionId: QUERY_ID, MaxResults: 2, NextToken: 'token-1' },
  ]);
});

t.test('maxRows equal to the row count is not truncated', async (t) => {
  const { athena, engine } = setup(t);
  const cols: [string, string][] = [['n', 'integer']];
  athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
  athena.on(GetQueryResultsCommand).resolves(page(cols, [header(cols), ['1'], ['2']]));
  const result = await engine.query('SELECT n FROM t', { maxRows: 2 });
  t.equal(result.rows.length, 2);
  t.equal(result.truncated, false);
});

t.test('FAILED: QueryError FAILED with Athena’s reason and the query id; nothing to stop', async (t) => {
  const { athena, engine } = setup(t);
  athena.on(GetQueryExecutionCommand).resolves(
    execution('FAILED', {
      Status: {
        State: 'FAILED',
        StateChangeReason: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
        AthenaError: { ErrorCategory: 2, ErrorType: 1006, ErrorMessage: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved" },
      },
    }),
  );
  await t.rejects(engine.query('SELECT nope FROM members', { timeoutMs: 60_000 }), {
    name: 'QueryError',
    code: 'FAILED',
    queryId: QUERY_ID,
    message: /COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved$/,
  });
  t.equal(athena.commandCalls(StopQueryExecutionCommand).length, 0);
  t.equal(athena.commandCalls(GetQueryResultsCommand).length, 0);
});

t.test('CANCELLED on Athena (someone else stopped it): QueryError CANCELLED', async (t) => {
  const { athena, engine } = setup(t);
  athena
    .on(GetQueryExecutionCommand)
    .resolvesOnce(execution('RUNNING'))
    .resolves(execution('CANCELLED', { Status: { State: 'CANCELLED', StateChangeReason: 'Query cancelled by user' } }));
  // The time limit only ends the test if CANCELLED were mistaken for still running.
  await t.rejects(engine.query('SELECT 1', { timeoutMs: 60_000 }), { name: 'QueryError', code: 'CANCELLED', queryId: QUERY_ID, message: /Query cancelled by user/ });
  t.equal(athena.commandCalls(StopQueryExecutionCommand).length, 0, 'already stopped: not stopped again');
});

t.test('timeout: the last wait is cut to the deadline, then the query is stopped on Athena and TIMEOUT thrown', async (t) => {
  const { athena, engine, sleeps } = setup(t);
  athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
  await t.rejects(engine.query('SELECT slow()', { timeoutMs: 1000 }), { name: 'QueryError', code: 'TIMEOUT', queryId: QUERY_ID, message: /1000 ms/ });
  t.strictSame(sleeps, [200, 300, 450, 50]);
  t.strictSame(
    athena.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input),
    [{ QueryExecutionId: QUERY_ID }],
  );
  t.equal(athena.commandCalls(GetQueryResultsCommand).length, 0);
});

t.test('timeout still reported when stopping the query fails too', async (t) => {
  const { athena, engine } = setup(t);
  athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
  athena.on(StopQueryExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
  await t.rejects(engine.query('SELECT slow()', { timeoutMs: 500 }), { code: 'TIMEOUT', message: /stopping it on Athena failed: ThrottlingException: Rate exceeded/ });
});

t.test('abort signal: cuts the poll wait short, stops the query on Athena, CANCELLED', async (t) => {
  const controller = new AbortController();
  let waits = 0;
  const { athena, engine } = setup(t, {
    // The second wait never ends by itself: only the abort can end it.
    sleep: (): Promise<void> => (++waits === 2 ? (controller.abort(), new Promise<void>(() => {})) : Promise.resolve()),
  });
  athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
  let watchdog: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    engine.query('SELECT slow()', { signal: controller.signal }).catch((err: unknown) => err),
    new Promise((resolve) => (watchdog = setTimeout(() => resolve('the aborted wait was never cut short'), 2000))),
  ]);
  clearTimeout(watchdog);
  t.match(outcome, { name: 'QueryError', code: 'CANCELLED', queryId: QUERY_ID });
  t.equal(waits, 2);
  t.strictSame(
    athena.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input),
    [{ QueryExecutionId: QUERY_ID }],
  );
});

t.test('a signal aborted before the query starts: nothing reaches Athena', async (t) => {
  const { athena, engine } = setup(t);
  await t.rejects(engine.query('SELECT 1', { signal: AbortSignal.abort() }), { code: 'CANCELLED' });
  t.equal(athena.calls().length, 0);
});

t.test('result reuse: asked for with its max age, and a reused answer is reported', async (t) => {
  const { athena, engine, sleeps } = setup(t, { resultReuseMaxAgeMinutes: 60 });
  athena.on(GetQueryExecutionCommand).resolves(
    execution('SUCCEEDED', { Statistics: { DataScannedInBytes: 0, ResultReuseInformation: { ReusedPreviousResult: true } } }),
  );
  athena.on(GetQueryResultsCommand).resolves(page([['n', 'bigint']], [['n'], ['7']]));
  const result = await engine.query('SELECT count(*) AS n FROM members');
  t.strictSame(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.ResultReuseConfiguration, {
    ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 60 },
  });
  t.match(result.stats, { reused: true, bytesScanned: 0 });
  t.strictSame(sleeps, [], 'a reused result is ready at the first poll: no wait');

  const { athena: plain, engine: noReuse } = setup(t, { resultReuseMaxAgeMinutes: 0 });
  plain.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
  plain.on(GetQueryResultsCommand).resolves(page([['n', 'bigint']], [['n'], ['7']]));
  await noReuse.query('SELECT 1');
  t.equal(plain.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.ResultReuseConfiguration, undefined, '0 minutes: no reuse asked');

  for (const bad of [-1, 1.5, 10_081]) t.throws(() => setup(t, { resultReuseMaxAgeMinutes: bad }), RangeError, `${bad} minutes refused`);
});

t.test('polling backs off ×1.5 from pollInitialMs up to pollMaxMs', async (t) => {
  const { athena, engine, sleeps } = setup(t);
  const states: QueryExecutionState[] = ['QUEUED', 'QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING'];
  const get = athena.on(GetQueryExecutionCommand);
  for (const state of states) get.resolvesOnce(execution(state));
  get.resolves(execution('SUCCEEDED'));
  athena.on(GetQueryResultsCommand).resolves(page([['n', 'integer']], [['n']]));
  const result = await engine.query('SELECT n FROM t');
  t.strictSame(sleeps, [200, 300, 450, 675, 1013, 1520, 2000, 2000]);
  t.equal(athena.commandCalls(GetQueryExecutionCommand).length, 9);
  t.equal(result.stats.elapsedMs, 8158, 'elapsed on the engine clock');

  const custom = setup(t, { pollInitialMs: 100, pollMaxMs: 250 });
  const customGet = custom.athena.on(GetQueryExecutionCommand);
  for (let i = 0; i < 5; i++) customGet.resolvesOnce(execution('RUNNING'));
  customGet.resolves(execution('SUCCEEDED'));
  custom.athena.on(GetQueryResultsCommand).resolves(page([['n', 'integer']], [['n']]));
  await custom.engine.query('SELECT n FROM t');
  t.strictSame(custom.sleeps, [100, 150, 225, 250, 250]);

  for (const [pollInitialMs, pollMaxMs] of [[0, 2000], [500, 100]]) {
    t.throws(() => setup(t, { pollInitialMs, pollMaxMs }), RangeError, `waits of ${pollInitialMs} then up to ${pollMaxMs} ms refused`);
  }
});

t.test('BAD_PARAMS: NaN and ±Infinity cannot be SQL literals; the query never starts', async (t) => {
  const { athena, engine } = setup(t);
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    await t.rejects(engine.query('SELECT 1 FROM t WHERE x = ?', { params: [bad] }), { name: 'QueryError', code: 'BAD_PARAMS' }, String(bad));
  }
  t.equal(athena.calls().length, 0);
});

t.test('SDK errors left after the SDK’s own retries: FAILED, and a query we stop watching is stopped', async (t) => {
  const throttled = setup(t);
  throttled.athena.on(GetQueryExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
  await t.rejects(throttled.engine.query('SELECT 1'), { name: 'QueryError', code: 'FAILED', queryId: QUERY_ID, message: /ThrottlingException: Rate exceeded/ });
  t.strictSame(
    throttled.athena.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input),
    [{ QueryExecutionId: QUERY_ID }],
  );

  const refused = setup(t);
  refused.athena.on(StartQueryExecutionCommand).rejects(Object.assign(new Error('line 1:1: mismatched input'), { name: 'InvalidRequestException' }));
  const err = await refused.engine.query('SELEC 1').catch((e: unknown) => e);
  t.match(err, { name: 'QueryError', code: 'FAILED', message: /InvalidRequestException: line 1:1: mismatched input/ });
  t.equal((err as { queryId?: string }).queryId, undefined, 'no query id: it never started');
  t.equal(refused.athena.commandCalls(StopQueryExecutionCommand).length, 0);
});

t.test('close() leaves the caller’s client alone: it is not destroyed and still answers', async (t) => {
  const { client, athena, engine } = setup(t);
  let destroyed = false;
  client.destroy = () => {
    destroyed = true;
  };
  await engine.close();
  t.equal(destroyed, false);
  athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
  athena.on(GetQueryResultsCommand).resolves(page([['n', 'integer']], [['n'], ['1']]));
  t.strictSame((await engine.query('SELECT 1 AS n')).rows, [{ n: 1 }]);
});
