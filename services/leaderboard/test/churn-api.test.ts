/**
 * The churn API over a real lake (generated, trained and scored as the jobs do): every route's answer is the read
 * library's, spot-checked against the scores Parquet file; bad input of every kind is a 400 with what to send; no
 * scores, no model and no LAKE_URI answer 404/503 in words; a burst of requests runs the SQL once.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { DuckDbEngine } from '@peak/analytics';
import { churnMembers, churnModelReport, churnSummary, runScoring } from '@peak/churn';
import { FolderLake } from '@peak/lake';
import { localAwsEnv } from '@peak/local-stack';
import { buildForTest, closedEndpoint, localClients, readiness, spawnService, useRedis, useSqsEmulator } from '@peak/service-kit/testing';
import { buildApp, readConfig } from '@peak/leaderboard';
import { buildScoredLake, readScoresFile, RecordingEngine } from '../../../libs/churn/test/scored-lake.js';

const dir = t.testdir();
const scored = await buildScoredLake(join(dir, 'world'));
const rows = await readScoresFile(scored.scoresFile, scored.lakeRoot);
const studios = [...new Set(rows.map((r) => r.home_location_id))].sort();
const lake = new FolderLake(scored.lakeRoot);
const engine = new DuckDbEngine({ lakeRoot: scored.lakeRoot, timeZone: scored.timeZone });
t.teardown(() => engine.close());

const emu = await useSqsEmulator(t);
const sqs = localClients.sqs(t, emu.endpoint);
const redis = await useRedis(t);
// The feed off: no board rebuild or metrics refresh at start, so the engine runs only the churn API's queries (counted below).
const env = (extra: Record<string, string> = {}) => ({ REDIS_URL: redis.url, STUDIO_TIME_ZONE: scored.timeZone, LEADERBOARD_FEED: 'off', ...extra });
const lakeApp = (t: Test, lakeRoot = scored.lakeRoot, overrides: Parameters<typeof buildApp>[1] = {}) =>
  buildForTest(t, () => buildApp(readConfig(env({ LAKE_URI: pathToFileURL(lakeRoot).href })), { sqs, ...overrides }));

type Answer = { statusCode: number; body: Record<string, unknown> };
const get = async (app: Awaited<ReturnType<typeof buildApp>>, url: string): Promise<Answer> => {
  const res = await app.inject({ method: 'GET', url });
  return { statusCode: res.statusCode, body: res.json<Record<string, unknown>>() };
};
const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

t.test('the three routes answer what the read library does, and the Parquet file agrees', async (t) => {
  const app = await lakeApp(t);

  const summary = await get(app, '/v1/churn/summary');
  t.equal(summary.statusCode, 200);
  t.same(summary.body, json(await churnSummary(engine)), 'GET /v1/churn/summary');
  t.match(summary.body, { asOf: '2026-06-30', modelVersion: scored.model.version, scoredAt: '2026-07-01T05:00:00.000Z', members: rows.length });
  t.same(summary.body.bands, { high: rows.filter((r) => r.band === 'high').length, medium: rows.filter((r) => r.band === 'medium').length, low: rows.filter((r) => r.band === 'low').length }, 'bands as in the file');
  for (const studio of studios) {
    const one = await get(app, `/v1/churn/summary?location=${studio}`);
    t.same(one.body, json(await churnSummary(engine, { location: studio })), `?location=${studio}`);
    t.equal(one.body.members, rows.filter((r) => r.home_location_id === studio).length, `${studio}: members as in the file`);
  }

  const page = await get(app, '/v1/churn/members');
  t.same(page.body, json(await churnMembers(engine, { limit: 50, offset: 0 })), 'GET /v1/churn/members: 50 from the top by default');
  const riskiest = [...rows].sort((a, b) => b.score - a.score || (a.member_id < b.member_id ? -1 : 1))[0];
  t.match(page.body, { total: rows.length, limit: 50, offset: 0, members: [{ memberId: riskiest?.member_id, firstName: riskiest?.first_name, score: riskiest?.score, band: riskiest?.band }] }, 'the riskiest member of the file first');
  const studio = studios[0] ?? '';
  const filtered = await get(app, `/v1/churn/members?location=${studio}&band=low&limit=5&offset=3`);
  t.same(filtered.body, json(await churnMembers(engine, { location: studio, band: 'low', limit: 5, offset: 3 })), 'location, band, limit and offset');
  t.equal(filtered.body.total, rows.filter((r) => r.home_location_id === studio && r.band === 'low').length, 'total as in the file');
  t.same((await get(app, '/v1/churn/members?location=&band=&limit=&offset=')).body, page.body, 'empty values are the defaults');
  t.match((await get(app, `/v1/churn/members?offset=${rows.length}`)).body, { total: rows.length, members: [] }, 'past the end: an empty page with the total');

  const model = await get(app, '/v1/churn/model');
  t.equal(model.statusCode, 200);
  t.same(model.body, json(await churnModelReport(lake)), 'GET /v1/churn/model');
  t.match(model.body, { version: scored.model.version, evaluation: { lake: { model: { reliability: Array }, baseline: Object }, truth: Object }, registry: [{ promoted: true, reason: 'first model' }] });
});

t.test('bad input: 400 with what to send instead, never an engine error', async (t) => {
  const app = await lakeApp(t);
  const cases: [string, string, RegExp][] = [
    ["/v1/churn/members?location=' OR 1=1 --", 'BAD_REQUEST', /^location must be a studio id \(letters, digits, _ \. : -, at most 64 characters\), such as downtown$/],
    ["/v1/churn/summary?location=' OR 1=1 --", 'BAD_REQUEST', /^location must be a studio id/],
    [`/v1/churn/summary?location=${'x'.repeat(65)}`, 'BAD_REQUEST', /^location must be a studio id/],
    ['/v1/churn/members?location=down%20town', 'BAD_REQUEST', /^location must be a studio id/],
    ['/v1/churn/members?limit=1e9', 'BAD_REQUEST', /^limit must be a whole number from 1 to 200$/],
    ['/v1/churn/members?limit=201', 'BAD_REQUEST', /^limit must be a whole number from 1 to 200$/],
    ['/v1/churn/members?limit=0', 'BAD_REQUEST', /^limit must be/],
    ['/v1/churn/members?limit=2.5', 'BAD_REQUEST', /^limit must be/],
    ['/v1/churn/members?limit=ten', 'BAD_REQUEST', /^limit must be/],
    ['/v1/churn/members?offset=-1', 'BAD_REQUEST', /^offset must be a whole number from 0 to 1,000,000$/],
    ['/v1/churn/members?offset=1000001', 'BAD_REQUEST', /^offset must be/],
    ['/v1/churn/members?band=HIGH', 'BAD_REQUEST', /^band must be one of high, medium, low$/],
    ['/v1/churn/members?band=high&band=low', 'BAD_REQUEST', /^band is given 2 times; give it once$/],
    ['/v1/churn/summary?location=downtown&location=riverside', 'BAD_REQUEST', /^location is given 2 times; give it once$/],
    ['/v1/churn/members?limit=5&limit=5&limit=5', 'BAD_REQUEST', /^limit is given 3 times/],
    ['/v1/churn/summary?location=atlantis', 'UNKNOWN_FILTER_VALUE', new RegExp(`^no location "atlantis" in the churn scores of 2026-06-30; known: ${studios.join(', ')}$`)],
    ['/v1/churn/members?location=atlantis&band=high', 'UNKNOWN_FILTER_VALUE', /known: /],
  ];
  for (const [url, code, message] of cases) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 400, url);
    t.match(res.headers['content-type'], /application\/json/);
    t.match(res.json(), { code, message }, `${url}: ${res.json<{ message: string }>().message}`);
  }
  t.equal((await get(app, '/v1/churn/members?offset=1000000')).statusCode, 200, 'the furthest offset allowed');
  t.equal((await get(app, '/v1/churn/members?limit=200')).statusCode, 200, 'the largest page allowed');
});

t.test('answers are kept per scores day and file: a burst runs the SQL once; a re-run of the day shows after the recheck', async (t) => {
  const copy = join(dir, 'copy');
  cpSync(scored.lakeRoot, copy, { recursive: true });
  const recording = new RecordingEngine(new DuckDbEngine({ lakeRoot: copy, timeZone: scored.timeZone }));
  t.teardown(() => recording.close());
  let clock = 0;
  const app = await lakeApp(t, copy, { analytics: { engine: recording, lake: new FolderLake(copy) }, churnAnswers: { now: () => clock } });

  const burst = await Promise.all(Array.from({ length: 20 }, () => get(app, '/v1/churn/summary')));
  t.ok(burst.every((r) => r.statusCode === 200 && r.body.scoredAt === '2026-07-01T05:00:00.000Z'), '20 answers');
  t.equal(recording.texts.filter((s) => /max\(dt\)/.test(s)).length, 1, 'the newest day looked up once');
  t.equal(recording.texts.length, 4, 'and the summary\'s three queries run once');
  // Pages with rows (an empty page also counts the total: one more query), whatever the model's bands hold.
  await Promise.all(Array.from({ length: 10 }, () => get(app, '/v1/churn/members?limit=7')));
  t.equal(recording.texts.length, 5, 'a burst of one members page: one query');
  await get(app, '/v1/churn/members?limit=10');
  t.equal(recording.texts.length, 6, 'another page is another query');

  const scorer = new DuckDbEngine({ lakeRoot: copy, timeZone: scored.timeZone });
  await runScoring(scorer, new FolderLake(copy), { now: new Date('2026-07-01T09:00:00Z') }).finally(() => scorer.close());
  clock += 4_000;
  t.equal((await get(app, '/v1/churn/summary')).body.scoredAt, '2026-07-01T05:00:00.000Z', 'within 5 s of the last look: the kept answer');
  clock += 1_000;
  t.equal((await get(app, '/v1/churn/summary')).body.scoredAt, '2026-07-01T09:00:00.000Z', '5 s on: the day\'s new file is read');
  const texts = recording.texts.length;
  await Promise.all(Array.from({ length: 5 }, () => get(app, '/v1/churn/summary')));
  t.equal(recording.texts.length, texts, 'and kept again');
});

t.test('before any scores or model: 404 saying what to run; the lake folder is checked by /ready', async (t) => {
  const empty = join(dir, 'empty-lake');
  mkdirSync(empty);
  const app = await lakeApp(t, empty);
  for (const url of ['/v1/churn/summary', '/v1/churn/summary?location=downtown', '/v1/churn/members?band=high']) {
    t.match(await get(app, url), { statusCode: 404, body: { code: 'NO_SCORES', message: 'no churn scores yet: run `npm run churn -- train` then `npm run churn -- score`' } }, url);
  }
  t.match(await get(app, '/v1/churn/model'), { statusCode: 404, body: { code: 'NO_MODEL', message: /no churn model has been promoted yet: train one with `npm run churn -- train`/ } });
  t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: { redis: 'ok', sqs: 'ok', lake: 'ok' } });

  const missing = await lakeApp(t, join(dir, 'no-such-lake'), { readinessDetails: true });
  t.match(await readiness(missing), { statusCode: 503, checks: { lake: 'error' }, details: { lake: /^folder .*no-such-lake does not exist$/ } });
});

t.test('without LAKE_URI: 503 NOT_CONFIGURED saying what to set; /ready does not check a lake', async (t) => {
  const app = await buildForTest(t, () => buildApp(readConfig(env()), { sqs }));
  for (const url of ['/v1/churn/summary', '/v1/churn/members?limit=1e9', '/v1/churn/model']) {
    t.match(await get(app, url), { statusCode: 503, body: { code: 'NOT_CONFIGURED', message: /LAKE_URI is not set: set it/ } }, url);
  }
  t.same((await readiness(app)).checks, { redis: 'ok', sqs: 'ok' });
});

t.test('the OpenAPI document lists the three paths with their query parameters and refusals', async (t) => {
  const app = await buildForTest(t, () => buildApp(readConfig(env()), { sqs }));
  type Op = { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> };
  const spec = (await get(app, '/docs/json')).body as { paths: Record<string, { get: Op }> };
  const params = (path: string) => (spec.paths[path]?.get.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name).sort();
  t.same(params('/v1/churn/summary'), ['location']);
  t.same(params('/v1/churn/members'), ['band', 'limit', 'location', 'offset']);
  t.same(params('/v1/churn/model'), []);
  t.same(Object.keys(spec.paths['/v1/churn/summary']?.get.responses ?? {}).sort(), ['200', '400', '404', '503']);
  t.same(Object.keys(spec.paths['/v1/churn/members']?.get.responses ?? {}).sort(), ['200', '400', '404', '503']);
  t.same(Object.keys(spec.paths['/v1/churn/model']?.get.responses ?? {}).sort(), ['200', '404', '503']);
});

t.test('server.ts with LAKE_URI: answers from the lake, then closes its engine and exits 0 on SIGTERM', async (t) => {
  const entry = fileURLToPath(new URL('../src/server.ts', import.meta.url));
  const service = await spawnService(t, entry, {
    ...localAwsEnv({ sqs: emu.endpoint, s3: emu.endpoint, sesv2: await closedEndpoint(), dynamodb: await closedEndpoint() }),
    ...env({ LAKE_URI: pathToFileURL(scored.lakeRoot).href }),
  });
  t.equal((await fetch(`${service.url}/ready`)).status, 200, '/ready');
  const summary = await fetch(`${service.url}/v1/churn/summary`);
  t.equal(summary.status, 200);
  t.match(await summary.json(), { asOf: '2026-06-30', members: rows.length });
  t.equal(await service.stop('SIGTERM'), 0, 'exits 0');
});

t.test('config: the analytics variables, alone and together', async (t) => {
  t.match(readConfig({}), { ANALYTICS_ENGINE: 'duckdb', STUDIO_TIME_ZONE: 'America/New_York', LAKE_URI: undefined });
  t.match(readConfig({ LAKE_URI: 's3://peak-dev-lake/', ANALYTICS_ENGINE: 'athena', ATHENA_WORKGROUP: 'peak-dev', GLUE_DATABASE: 'peak_dev' }), { ANALYTICS_ENGINE: 'athena' });
  t.throws(() => readConfig({ ANALYTICS_ENGINE: 'spark' }), { name: 'ConfigError', message: /ANALYTICS_ENGINE: must be one of duckdb, athena/ });
  t.throws(() => readConfig({ LAKE_URI: 'lake' }), { message: /LAKE_URI: must match pattern/ });
  t.throws(() => readConfig({ STUDIO_TIME_ZONE: "UTC'; DROP" }), { message: /STUDIO_TIME_ZONE: must match pattern/ });
  t.throws(() => readConfig({ ANALYTICS_ENGINE: 'athena' }), { message: /ATHENA_WORKGROUP: required with ANALYTICS_ENGINE=athena[\s\S]*GLUE_DATABASE: required/ });
  t.throws(() => readConfig({ LAKE_URI: 'file:///tmp/lake', ANALYTICS_ENGINE: 'athena', ATHENA_WORKGROUP: 'w', GLUE_DATABASE: 'd' }), { message: /LAKE_URI: Athena reads the S3 lake/ });
  t.throws(() => readConfig({ LAKE_URI: 's3://peak-dev-lake/' }), { message: /LAKE_URI: an S3 lake is queried with Athena: set ANALYTICS_ENGINE=athena/ });
});
