/**
 * The runs API, the schedule and the CLI's lock, over a small generated lake (60 members, 30 days) and the HubSpot
 * sandbox: keys, refused requests, a run followed to its end, one run at a time (in the process and across processes
 * through the lake lock), the daily schedule (every second here), closing while a run is going.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { DuckDbEngine, type QueryEngine } from '@peak/analytics';
import { buildSampleLake } from '@peak/churn';
import { FolderLake, type Lake } from '@peak/lake';
import { waitFor } from '@peak/local-stack';
import { buildForTest, checkServiceShell, type Teardown } from '@peak/service-kit/testing';
import { buildApp as buildSandbox, readConfig as sandboxConfig } from '@peak/hubspot-sandbox';
import { buildApp, readConfig, type AppOverrides } from '../src/index.js';
import { main } from '../src/cli.js';
import { acquireSyncLock, readSyncLock } from '../src/sync/lock.js';
import { RUNS_PREFIX } from '../src/sync/state.js';

const TOKEN = 'pat-crm-sync-runs-test';
const KEY = 'runs-test-key-0123456789';
const OTHER_KEY = 'second-key-abcdefghijklmnop';
const dir = t.testdir();
const world = await buildSampleLake(join(dir, 'world'), { members: 60, days: 30, end: '2026-06-30', seed: 11 });
const engine = new DuckDbEngine({ lakeRoot: world.lakeRoot, timeZone: world.timeZone });
t.teardown(() => engine.close());
const sandbox = await buildForTest(t, () => buildSandbox(sandboxConfig({ HUBSPOT_SANDBOX_TOKENS: TOKEN })));
await sandbox.listen({ host: '127.0.0.1', port: 0 });
const sandboxUrl = `http://127.0.0.1:${(sandbox.server.address() as AddressInfo).port}`;

const config = (env: Record<string, string> = {}) =>
  readConfig({
    HUBSPOT_BASE_URL: sandboxUrl, HUBSPOT_ACCESS_TOKEN: TOKEN, CRM_SYNC_API_KEYS: `${KEY},${OTHER_KEY}`, CRM_SYNC_SCHEDULE: 'off',
    HUBSPOT_REQUESTS_PER_10S: '1000', STUDIO_TIME_ZONE: world.timeZone, ...env,
  });
/** The service over `lake` (its own state and run records; the members come from the world through `engine`). */
const serve = (t: Teardown, lake: Lake, env: Record<string, string> = {}, overrides: AppOverrides & { engine?: QueryEngine } = {}) => {
  const { engine: given, ...rest } = overrides;
  return buildForTest(t, () => buildApp(config(env), { analytics: { engine: given ?? engine, lake }, ...rest }));
};
const auth = { authorization: `Bearer ${KEY}` };
let lakes = 0;
/** A lake of its own for a test's state and run records; under the file's folder, so it outlives the test's app (closed after the test). */
const stateLake = () => new FolderLake(join(dir, 'state', String(++lakes)));

/** An engine whose queries wait until `open()`: a run that stays going as long as the test wants. */
function gated(inner: QueryEngine) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const held: QueryEngine = { name: inner.name, query: async (sql, options) => (await gate, inner.query(sql, options)), close: async () => undefined };
  return { engine: held, open };
}

type Run = { runId: string; outcome: string; stoppedBecause?: string; alert?: { reasons: string[] }; dryRun: boolean; counts: { members: number; changed: number; sent: number; [count: string]: number }; links: { self: string }; errors?: unknown[]; preview?: { properties: Record<string, string> }[] };
type App = Awaited<ReturnType<typeof serve>>;
const getRun = async (app: App, id: string) => (await app.inject({ method: 'GET', url: `/v1/runs/${id}`, headers: auth })).json<Run>();
/** The run's record final and its lock released (the record's last write comes just before the release). */
const finished = async (app: App, lake: Lake, id: string): Promise<Run> => {
  let run: Run | undefined;
  await waitFor(`run ${id} to finish`, async () => (run = await getRun(app, id)).outcome !== 'running' && (await readSyncLock(lake))?.runId !== id, 60_000);
  return run!;
};
const runCount = async (lake: Lake) => (await lake.list(RUNS_PREFIX)).items.length;

/** A pino logger whose JSON lines the test reads. */
function capturedLogs() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const raw: string[] = [];
  const logger = { level: 'info', stream: { write: (line: string) => void (raw.push(line), lines.push(JSON.parse(line) as (typeof lines)[number])) } };
  return { logger, lines, raw: () => raw.join('') };
}

t.test('shell and OpenAPI: /v1/runs documented', async (t) => {
  const app = await serve(t, stateLake());
  await checkServiceShell(t, app, ['/v1/runs', '/v1/runs/{id}']);
  const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>();
  t.same(Object.keys(spec.paths['/v1/runs']?.post?.responses ?? {}).sort(), ['202', '400', '401', '403', '409', '413', '415', '503']);
});

t.test('keys: none → 401 with WWW-Authenticate, a wrong one → 403, either configured key works; no keys configured → 403 API_DISABLED', async (t) => {
  const lake = stateLake();
  const app = await serve(t, lake, { CRM_SYNC_API_KEYS: KEY, CRM_SYNC_API_KEY: OTHER_KEY });
  for (const [method, url] of [['POST', '/v1/runs'], ['GET', '/v1/runs'], ['GET', '/v1/runs/2026-12-07T11-00-00-123Z-3f9a']] as const) {
    const none = await app.inject({ method, url });
    t.equal(none.statusCode, 401, `${method} ${url} without a key`);
    t.equal(none.headers['www-authenticate'], 'Bearer realm="peak-crm-sync"');
    t.match(none.json(), { code: 'UNAUTHENTICATED', message: /send `Authorization: Bearer <key>`/ });
    const wrong = await app.inject({ method, url, headers: { authorization: 'Bearer not-the-key-0123456789' } });
    t.match([wrong.statusCode, wrong.json()], [403, { code: 'INVALID_API_KEY', message: /not valid for crm-sync/ }], `${method} ${url} with a wrong key`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/v1/runs', headers: { authorization: `Bearer ${OTHER_KEY}` } })).statusCode, 200, 'CRM_SYNC_API_KEY is a key too');
  t.equal(await runCount(lake), 0, 'nothing started');

  const off = await serve(t, lake, { CRM_SYNC_API_KEYS: '' });
  t.match((await off.inject({ method: 'POST', url: '/v1/runs', headers: auth })).json(), { code: 'API_DISABLED', message: /set CRM_SYNC_API_KEYS/ });
});

t.test('refused requests: a bad body, parameter or id is a 400 saying what fits; too large 413; not JSON 415', async (t) => {
  const lake = stateLake();
  const app = await serve(t, lake);
  const post = (payload: string, type = 'application/json') => app.inject({ method: 'POST', url: '/v1/runs', headers: { ...auth, 'content-type': type }, payload });
  const refused = async (res: Awaited<ReturnType<typeof post>>, status: number, code: string, message: RegExp, what: string) =>
    t.match([res.statusCode, res.json()], [status, { code, message }], what);

  await refused(await post('{"dryRun":"yes"}'), 400, 'BAD_REQUEST', /^dryRun must be true or false$/, 'dryRun not a boolean');
  await refused(await post('{"dryRun":1}'), 400, 'BAD_REQUEST', /^dryRun must be true or false$/, 'nor 1 (no coercion)');
  await refused(await post('{"dryRun":true,"force":true}'), 400, 'BAD_REQUEST', /^unknown property "force": POST \/v1\/runs takes no body, or the JSON object \{"dryRun": true\|false\}$/, 'an unknown property');
  await refused(await post('[true]'), 400, 'BAD_REQUEST', /^POST \/v1\/runs takes no body, or the JSON object/, 'not an object');
  await refused(await post('{"dryRun":'), 400, 'BAD_REQUEST', /not valid JSON/, 'broken JSON');
  await refused(await post(''), 400, 'BAD_REQUEST', /^the body is empty but Content-Type says JSON: send \{\}/, 'JSON with no body');
  await refused(await post('dryRun=true', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE', /sent as Content-Type: application\/json/, 'a form');
  await refused(await post(JSON.stringify({ dryRun: true, pad: 'x'.repeat(2_000) })), 413, 'BODY_TOO_LARGE', /larger than 1024 bytes/, 'a 2 kB body');

  const get = (url: string) => app.inject({ method: 'GET', url, headers: auth });
  for (const limit of ['0', '101', 'ten', '-1']) await refused(await get(`/v1/runs?limit=${limit}`), 400, 'BAD_REQUEST', /^limit must be a whole number from 1 to 100$/, `limit=${limit}`);
  await refused(await get('/v1/runs?limt=5'), 400, 'BAD_REQUEST', /^unknown parameter "limt"/, 'a misspelt parameter');
  for (const id of ['..%2F..%2Fetc%2Fpasswd', '..%2F', 'runs', '2026-12-07T11-00-00-123Z-3f9a%2F..', '2026-12-07T11-00-00-123Z-3f9a.json', '2026-12-07T11-00-00-123Z-%00']) {
    await refused(await get(`/v1/runs/${id}`), 400, 'BAD_REQUEST', /^a run id looks like 2026-12-07T11-00-00-123Z-3f9a/, `hostile id ${id}`);
  }
  for (const url of ['/v1/runs/../../etc/passwd', '/v1/runs/..', '/v1/runs/%2E%2E']) {
    t.match((await get(url)).json(), { code: 'NOT_FOUND', message: /^No route GET / }, `${url}: resolved as a URL, reaches no run`);
  }
  await refused(await get('/v1/runs/2026-12-07T11-00-00-123Z-3f9a'), 404, 'RUN_NOT_FOUND', /^no run 2026-12-07T11-00-00-123Z-3f9a in the lake: GET \/v1\/runs lists the latest$/, 'an unknown id');
  t.equal(await runCount(lake), 0, 'no refused request started a run');
});

t.test('a dry run, then a run: 202 with Location, followed to succeeded with its counts; listed newest first; the lock released', async (t) => {
  const lake = stateLake();
  const app = await serve(t, lake);
  const dry = await app.inject({ method: 'POST', url: '/v1/runs', headers: auth, payload: { dryRun: true } });
  t.match([dry.statusCode, dry.json()], [202, { dryRun: true, status: 'running' }]);
  const dryRun = await finished(app, lake, dry.json<Run>().runId);
  t.match(dryRun, { outcome: 'succeeded', dryRun: true, counts: { sent: 0 } });
  t.ok(dryRun.counts.changed > 0 && (dryRun.preview?.length ?? 0) > 0, `would send ${dryRun.counts.changed}; the first listed`);
  t.notOk(dryRun.preview?.some((p) => 'email' in p.properties), 'the preview leaves out the email');
  t.notMatch(JSON.stringify(dryRun), /@/, 'no email anywhere in the answer');

  const res = await app.inject({ method: 'POST', url: '/v1/runs', headers: auth });
  t.equal(res.statusCode, 202);
  const started = res.json<Run & { status: string }>();
  t.match(started, { runId: /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-\w+$/, status: 'running', dryRun: false, links: { self: `/v1/runs/${started.runId}` } });
  t.equal(res.headers.location, started.links.self);
  t.equal((await app.inject({ method: 'GET', url: started.links.self, headers: auth })).statusCode, 200, 'recorded before the answer: followable at once');

  const run = await finished(app, lake, started.runId);
  t.match(run, { outcome: 'succeeded', dryRun: false, errors: [] });
  t.equal(run.counts.sent, dryRun.counts.changed, `sent what the dry run said (${run.counts.sent} of ${run.counts.members} members)`);
  t.equal(await readSyncLock(lake), undefined, 'the lock is released');

  const list = await app.inject({ method: 'GET', url: '/v1/runs?limit=5', headers: auth });
  const runs = list.json<{ runs: Run[] }>().runs;
  t.same(runs.map((r) => r.runId), [run.runId, dryRun.runId], 'newest first');
  t.same(runs[0]?.counts, run.counts);
  t.notOk('errors' in (runs[0] ?? {}) || 'preview' in (runs[1] ?? {}), 'the list leaves errors and preview to each run\'s link');
  t.equal((await app.inject({ method: 'GET', url: '/v1/runs?limit=1', headers: auth })).json<{ runs: Run[] }>().runs.length, 1, 'limit');
});

t.test('one run at a time: 409 naming the run in this process, and across processes through the lake lock; a dry run needs no lock', async (t) => {
  const lake = stateLake();
  const held = gated(engine);
  const app = await serve(t, lake, {}, { engine: held.engine });
  const other = await serve(t, lake); // another task over the same lake
  const first = (await app.inject({ method: 'POST', url: '/v1/runs', headers: auth })).json<Run>();
  t.equal((await getRun(app, first.runId)).outcome, 'running');
  t.match(await readSyncLock(lake), { by: 'api', runId: first.runId, pid: process.pid }, 'the lock names the run');

  const again = await app.inject({ method: 'POST', url: '/v1/runs', headers: auth, payload: { dryRun: true } });
  t.equal(again.statusCode, 409, 'the same process, even for a dry run');
  t.match(again.json(), { code: 'RUN_IN_PROGRESS', message: new RegExp(`^a sync is already running \\(run ${first.runId}, started by api on .+, pid ${process.pid}, at \\S+\\); follow it at /v1/runs/${first.runId}$`) });

  const elsewhere = await other.inject({ method: 'POST', url: '/v1/runs', headers: auth });
  t.equal(elsewhere.statusCode, 409, 'another process: the lake lock');
  t.match(elsewhere.json<{ message: string }>().message, new RegExp(`^a sync is already running \\(run ${first.runId}, started by api .*\\); its lock's lease ends \\S+; follow it at /v1/runs/${first.runId}$`));
  const dry = await other.inject({ method: 'POST', url: '/v1/runs', headers: auth, payload: { dryRun: true } });
  t.equal(dry.statusCode, 202, 'a dry run elsewhere goes ahead: it writes no state');
  t.equal((await finished(other, lake, dry.json<Run>().runId)).outcome, 'succeeded');

  held.open();
  t.equal((await finished(app, lake, first.runId)).outcome, 'succeeded');
  const next = await other.inject({ method: 'POST', url: '/v1/runs', headers: auth });
  t.equal(next.statusCode, 202, 'free again once it ended');
  t.equal((await finished(other, lake, next.json<Run>().runId)).outcome, 'succeeded');
});

t.test('a run that fails: recorded failed with the reason, flagged, and logged at error level', async (t) => {
  const lake = stateLake();
  const logs = capturedLogs();
  const broken: QueryEngine = { name: engine.name, query: async () => { throw new Error('the lake cannot be read'); }, close: async () => undefined };
  const app = await serve(t, lake, {}, { engine: broken, logger: logs.logger });
  const { runId } = (await app.inject({ method: 'POST', url: '/v1/runs', headers: auth })).json<Run>();
  t.match(await finished(app, lake, runId), { outcome: 'failed', stoppedBecause: 'the lake cannot be read', alert: { reasons: [/^the run failed: the lake cannot be read/] } });
  await waitFor('the outcome to be logged', async () => logs.lines.some((l) => l.runId === runId && l.msg.startsWith('sync run failed')));
  t.match(logs.lines.find((l) => l.runId === runId && l.msg.startsWith('sync run failed')), { level: 50, msg: /^sync run failed, flagged: the run failed: the lake cannot be read/, by: 'api' });
});

t.test('closing the app stops the run going before its next batch; it ends recorded and unlocked', async (t) => {
  const lake = stateLake();
  const held = gated(engine);
  const app = await buildApp(config(), { analytics: { engine: held.engine, lake } });
  await app.ready();
  const { runId } = (await app.inject({ method: 'POST', url: '/v1/runs', headers: auth })).json<Run>();
  let closed = false;
  const closing = app.close().then(() => (closed = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(closed, false, 'still closing while the run waits');
  held.open();
  await closing;
  const record = JSON.parse((await lake.getBytes(`${RUNS_PREFIX}${runId}.json`))!.toString()) as Run & { stoppedBecause?: string };
  t.match(record, { outcome: 'partial', stoppedBecause: /shutting down; the rest goes in the next run/, counts: { sent: 0 } }, 'stopped, not left running into a killed task');
  t.equal(await readSyncLock(lake), undefined);
});

t.test('closing the service with its own engine (LAKE_URI): whatever the run was doing, it ends recorded and unlocked', async (t) => {
  const lake = new FolderLake(world.lakeRoot);
  const app = await buildApp(config({ LAKE_URI: `file://${world.lakeRoot}` }));
  await app.ready();
  const { runId } = (await app.inject({ method: 'POST', url: '/v1/runs', headers: auth })).json<Run>();
  await app.close(); // closes the engine under the run: a query in flight fails CANCELLED, the run records itself failed
  const record = JSON.parse((await lake.getBytes(`${RUNS_PREFIX}${runId}.json`))!.toString()) as Run & { stoppedBecause?: string };
  t.not(record.outcome, 'running', `the record is final: ${record.outcome}${record.stoppedBecause ? ` (${record.stoppedBecause})` : ''}`);
  t.equal(await readSyncLock(lake), undefined, 'the lock released');
});

t.test('no LAKE_URI: 503 NOT_CONFIGURED saying what to set', async (t) => {
  const app = await buildForTest(t, () => buildApp(config()));
  const res = await app.inject({ method: 'POST', url: '/v1/runs', headers: auth });
  t.match([res.statusCode, res.json()], [503, { code: 'NOT_CONFIGURED', message: /LAKE_URI is not set/ }]);
});

t.test('the schedule: runs the sync when due (every second here) and logs the outcome at info, no token, no email', async (t) => {
  const lake = stateLake();
  const logs = capturedLogs();
  await serve(t, lake, { CRM_SYNC_SCHEDULE: '* * * * * *' }, { logger: logs.logger });
  t.match(logs.lines.find((l) => l.msg === 'sync scheduled'), { schedule: '* * * * * *', timeZone: world.timeZone, next: String });
  let done: (typeof logs.lines)[number] | undefined;
  await waitFor('a scheduled run to finish', async () => (done = logs.lines.find((l) => l.by === 'schedule' && /^sync run (succeeded|partial|failed)$/.test(l.msg))) !== undefined, 60_000);
  t.match(done, { level: 30, msg: 'sync run succeeded', outcome: 'succeeded', counts: { sent: Number, members: Number } });
  t.ok(await lake.getBytes(`${RUNS_PREFIX}${String(done?.runId)}.json`), 'recorded in the lake');
  t.notOk(logs.raw().includes(TOKEN), 'the HubSpot token is never logged');
  t.notMatch(logs.raw(), /[\w.+-]+@[\w-]+\.[\w.]+/, 'nor an email');
});

t.test('the schedule with the lock held elsewhere: each trigger is skipped with one info line, nothing runs', async (t) => {
  const lake = stateLake();
  const cli = await acquireSyncLock(lake, { by: 'cli', leaseMs: 600_000 });
  const logs = capturedLogs();
  await serve(t, lake, { CRM_SYNC_SCHEDULE: '* * * * * *' }, { logger: logs.logger });
  const skipped = () => logs.lines.filter((l) => l.msg.startsWith('scheduled sync skipped'));
  await waitFor('two triggers to be skipped', async () => skipped().length >= 2, 30_000);
  t.match(skipped()[0], { level: 30, msg: /^scheduled sync skipped: a sync is already running \(started by cli on .+\); its lock's lease ends /, holder: { by: 'cli' } });
  t.equal(logs.lines.filter((l) => l.level >= 40).length, 0, 'no warning or error');
  t.equal(await runCount(lake), 0, 'no run started');
  await cli.release();
});

t.test('the CLI: a run with the lock held is exit 1 saying who holds it; a dry run takes no lock', async (t) => {
  const lake = new FolderLake(world.lakeRoot);
  const api = await acquireSyncLock(lake, { by: 'api', leaseMs: 600_000 });
  t.teardown(() => api.release());
  const err: string[] = [];
  const out: string[] = [];
  const capture = async (argv: string[]) => {
    const [stdout, stderr] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
    process.stdout.write = ((s: string) => out.push(String(s)) > 0) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => err.push(String(s)) > 0) as typeof process.stderr.write;
    try {
      return await main([...argv, '--lake', world.lakeRoot], { STUDIO_TIME_ZONE: world.timeZone, HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_URL: sandboxUrl });
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    }
  };
  t.equal(await capture(['run']), 1);
  t.match(err.join(''), /^error: a sync is already running \(started by api on .+\); its lock's lease ends \S+; nothing was sent\./);
  t.equal(await capture(['run', '--dry-run']), 0, 'a dry run goes ahead');
  t.match(out.join(''), /dry run {2}succeeded/);
});

t.test('config: the schedule, pace and lease defaults; a bad schedule or zone refused at boot', async (t) => {
  t.match(readConfig({ HUBSPOT_ACCESS_TOKEN: TOKEN }), {
    CRM_SYNC_SCHEDULE: '0 6 * * *', STUDIO_TIME_ZONE: 'America/New_York', HUBSPOT_REQUESTS_PER_10S: 95, CRM_SYNC_LOCK_LEASE_MINUTES: 120, HUBSPOT_DAILY_BUDGET: undefined,
  });
  t.equal(readConfig({ HUBSPOT_ACCESS_TOKEN: TOKEN, CRM_SYNC_SCHEDULE: 'off' }).CRM_SYNC_SCHEDULE, 'off');
  t.throws(() => readConfig({ HUBSPOT_ACCESS_TOKEN: TOKEN, CRM_SYNC_SCHEDULE: '0 25 * * *' }), { name: 'ConfigError', message: /CRM_SYNC_SCHEDULE: .*hour.*\(a cron expression such as "0 6 \* \* \*", or off\)/ });
  t.throws(() => readConfig({ HUBSPOT_ACCESS_TOKEN: TOKEN, STUDIO_TIME_ZONE: 'Mars/Olympus' }), { message: /STUDIO_TIME_ZONE: "Mars\/Olympus" is not an IANA time zone/ });
  t.throws(() => readConfig({ HUBSPOT_ACCESS_TOKEN: TOKEN, CRM_SYNC_API_KEYS: 'short' }), { message: /CRM_SYNC_API_KEYS: must match/ });
  t.throws(() => readConfig({ HUBSPOT_ACCESS_TOKEN: TOKEN, LAKE_URI: 's3://peak-lake/' }), { message: /LAKE_URI: an S3 lake is queried with Athena/ });
});
