import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { buildForTest, checkGracefulShutdown, checkServiceShell, readiness } from '@peak/service-kit/testing';
import { buildApp, DEFAULT_LAKE_ROOT, MAX_BODY_BYTES, readConfig } from '@peak/sql-sandbox';
import { tinyLake, writeLake } from './helpers.js';

const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));

async function appOver(t: Test, lake: string, env: Record<string, string> = {}) {
  return buildForTest(t, () => buildApp(readConfig({ SQL_SANDBOX_LAKE_DIR: lake, ...env })));
}

const query = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: '/v1/query',
  headers: { 'content-type': 'application/json', ...headers },
  payload: typeof body === 'string' ? body : JSON.stringify(body),
});

t.test('shell: /health, /ready (the lake answers), OpenAPI with the SQL routes, JSON 404', async (t) => {
  const app = await appOver(t, await tinyLake(t));
  await checkServiceShell(t, app, ['/v1/query', '/v1/views']);
  t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: { lake: 'ok' } });
  const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, { post?: { description?: string; responses: Record<string, unknown> } }> }>();
  const post = spec.paths['/v1/query']?.post;
  t.ok(post?.responses['422'], 'OpenAPI documents the 422 timeout');
  t.match(post?.description, /not 408/, 'and says why it is not 408');
});

t.test('POST /v1/query: columns, rows, truncated, elapsedMs', async (t) => {
  const app = await appOver(t, await tinyLake(t));
  const res = await app.inject(query({ sql: 'SELECT location_id, count(*) AS visits FROM fact_attendance GROUP BY 1 ORDER BY 1' }));
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.same(body.columns, [{ name: 'location_id', type: 'VARCHAR' }, { name: 'visits', type: 'BIGINT' }]);
  t.same(body.rows, [['downtown', 4], ['uptown', 1]]);
  t.equal(body.truncated, false);
  t.type(body.elapsedMs, 'number');

  const limited = (await app.inject(query({ sql: 'SELECT * FROM range(100)', maxRows: 3 }))).json();
  t.same([limited.rows.length, limited.truncated], [3, true], 'maxRows asks for fewer rows');
  const capped = (await app.inject(query({ sql: 'SELECT * FROM range(5000)' }))).json();
  t.same([capped.rows.length, capped.truncated], [1_000, true], 'SQL_SANDBOX_MAX_ROWS by default');

  const views = await app.inject({ method: 'GET', url: '/v1/views' });
  t.equal(views.statusCode, 200);
  t.match(views.json().find((v: { name: string }) => v.name === 'fact_attendance'), { description: String, columns: [{ name: 'checkin_id', type: 'VARCHAR', description: String }] });
});

t.test('refusals and bad requests are 4xx { error, code, message }, never 500', async (t) => {
  const app = await appOver(t, await tinyLake(t));
  const cases: [string, ReturnType<typeof query>, number, string, RegExp][] = [
    ['a write', query({ sql: 'DROP VIEW members' }), 400, 'REFUSED', /only one read-only query \(SELECT …\) per request: found DROP/],
    ['two statements', query({ sql: 'SELECT 1; DROP VIEW members' }), 400, 'REFUSED', /found 2 statements/],
    ['a file outside the lake', query({ sql: `SELECT * FROM read_text('/etc/passwd')` }), 400, 'REFUSED', /Permission Error[\s\S]*off limits/],
    ['a settings change', query({ sql: 'SET lock_configuration = false' }), 400, 'REFUSED', /found SET/],
    ['a syntax error', query({ sql: 'SELEC 1' }), 400, 'QUERY_FAILED', /syntax error/],
    ['an unknown view', query({ sql: 'SELECT * FROM visits' }), 400, 'QUERY_FAILED', /The views are/],
    ['malformed JSON', query('{"sql": "SELECT 1"'), 400, 'BAD_REQUEST', /the body must be JSON/],
    ['sql not a string', query({ sql: 42 }), 400, 'BAD_REQUEST', /body\/sql must be string/],
    ['sql missing', query({ query: 'SELECT 1' }), 400, 'BAD_REQUEST', /sql/],
    ['no body', query(''), 400, 'BAD_REQUEST', /the body must be JSON/],
    ['sql empty', query({ sql: '' }), 400, 'BAD_REQUEST', /sql/],
    ['maxRows above the cap', query({ sql: 'SELECT 1', maxRows: 1_001 }), 400, 'BAD_REQUEST', /maxRows/],
    ['a body over 64 KiB', query({ sql: `SELECT 1 -- ${'x'.repeat(MAX_BODY_BYTES)}` }), 413, 'BODY_TOO_LARGE', /larger than 64 KiB/],
    ['plain text', { ...query('SELECT 1'), headers: { 'content-type': 'text/plain' } }, 400, 'BAD_REQUEST', /the body must be JSON/],
    ['not JSON at all', { ...query('<sql>SELECT 1</sql>'), headers: { 'content-type': 'application/xml' } }, 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/json/],
    ['sql an array', query({ sql: ['SELECT 1'] }), 400, 'BAD_REQUEST', /sql/],
  ];
  for (const [what, request, status, error, message] of cases) {
    const res = await app.inject(request);
    t.equal(res.statusCode, status, `${what}: ${status}`);
    const body = res.json();
    t.match(body, { error, code: error, message }, `${what}: ${error} and a message`);
    t.notMatch(body.message, /\n\s+at /, `${what}: no stack trace`);
  }
  t.equal((await app.inject(query({ sql: 'SELECT count(*) FROM dim_members' }))).json().rows[0][0], 2, 'the views still answer');
});

t.test('a query past the time limit is 422 TIMEOUT, and the next one runs', async (t) => {
  const app = await appOver(t, await tinyLake(t), { SQL_SANDBOX_TIMEOUT_MS: '300' });
  const started = Date.now();
  const res = await app.inject(query({ sql: 'SELECT count(*) FROM range(100000000) AS a, range(100000) AS b' }));
  t.equal(res.statusCode, 422);
  t.match(res.json(), { error: 'TIMEOUT', message: /limit of 300 ms/ });
  t.ok(Date.now() - started < 3_000, `answered after ${Date.now() - started} ms`);
  t.equal((await app.inject(query({ sql: 'SELECT 1 AS one' }))).statusCode, 200);
});

t.test('/ready fails when the lake folder goes away', async (t) => {
  const root = t.testdir({});
  const lake = join(root, 'lake');
  await writeLake(lake);
  const app = await appOver(t, lake);
  renameSync(lake, join(root, 'moved')); // inside the testdir, which tap removes afterwards
  t.same(await readiness(app), { statusCode: 503, status: 'not ready', checks: { lake: 'error' } });
});

t.test('config: defaults, and a ConfigError naming bad values', async (t) => {
  t.match(readConfig({}), { PORT: 4005, SQL_SANDBOX_LAKE_DIR: DEFAULT_LAKE_ROOT, SQL_SANDBOX_TIME_ZONE: 'America/New_York', SQL_SANDBOX_MAX_ROWS: 1_000, SQL_SANDBOX_TIMEOUT_MS: 10_000 });
  t.equal(DEFAULT_LAKE_ROOT, join(fileURLToPath(new URL('../../..', import.meta.url)), '.data', 'lake'), "the default lake is the local platform's");
  t.throws(() => readConfig({ SQL_SANDBOX_MAX_ROWS: '0', SQL_SANDBOX_TIME_ZONE: "UTC'; DROP" }), {
    name: 'ConfigError',
    message: /SQL_SANDBOX_TIME_ZONE: must match pattern[\s\S]*SQL_SANDBOX_MAX_ROWS: must be >= 1/,
  });
});

t.test('server.ts: boots from env, logs JSON, exits 0 on SIGTERM', async (t) => {
  await checkGracefulShutdown(t, server, { SQL_SANDBOX_LAKE_DIR: await tinyLake(t) });
});
