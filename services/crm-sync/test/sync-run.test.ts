/**
 * A whole sync run over a generated lake (sample exports → the real ETL → Parquet, DuckDB) into the HubSpot sandbox
 * through the real client: a dry run sends nothing; the first run creates the properties and every eligible member's
 * contact with the lake's values; the next run sends nothing; a changed member is sent alone; every run is recorded.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { DuckDbEngine, runMetric } from '@peak/analytics';
import { buildSampleLake } from '@peak/churn';
import { inHoldout } from '@peak/contracts';
import { FolderLake } from '@peak/lake';
import { buildForTest } from '@peak/service-kit/testing';
import { buildApp as buildSandbox, readConfig as sandboxConfig } from '@peak/hubspot-sandbox';
import { hubspotClient } from '../src/hubspot.js';
import { MEMBER_ID_PROPERTY } from '../src/sync/contact-properties.js';
import { main } from '../src/cli.js';
import { runSync } from '../src/sync/run.js';
import { emptyState, planSync } from '../src/sync/diff.js';
import { pushChanges } from '../src/sync/push.js';
import { readSyncInput } from '../src/sync/read-input.js';
import { latestRuns, loadSyncedState, recordAcks } from '../src/sync/state.js';

const TOKEN = 'pat-crm-sync-run-test';
const dir = t.testdir();
const world = await buildSampleLake(join(dir, 'world'), { members: 150, days: 120, end: '2026-06-30', seed: 5 });
const engine = new DuckDbEngine({ lakeRoot: world.lakeRoot, timeZone: world.timeZone });
t.teardown(() => engine.close());
const lake = new FolderLake(world.lakeRoot);
const sandbox = await buildForTest(t, () => buildSandbox(sandboxConfig({ HUBSPOT_SANDBOX_TOKENS: TOKEN })));
await sandbox.listen({ host: '127.0.0.1', port: 0 });
const sandboxUrl = `http://127.0.0.1:${(sandbox.server.address() as AddressInfo).port}`;
const client = hubspotClient(sandboxUrl, TOKEN);
const fast = { requestsPerTenSeconds: 1000 };

type Features = { member_id: string; status: string; marketing_opt_in: boolean; visits_30d: number; last_visit: string | null };
const features = (await runMetric(engine, { metric: 'member_features', filters: { from: '2026-06-30', to: '2026-06-30' } })).rows as unknown as Features[];
const eligible = features.filter((m) => m.status !== 'cancelled' && m.marketing_opt_in !== false);
const readContacts = async (ids: string[]) =>
  (await client.crm.contacts.batchApi.read({ idProperty: MEMBER_ID_PROPERTY, inputs: ids.map((id) => ({ id })), properties: [MEMBER_ID_PROPERTY, 'peak_visits_30d', 'peak_last_visit_date', 'peak_lifecycle_stage'], propertiesWithHistory: [] })).results;

t.test('a dry run lists what it would send and sends nothing', async (t) => {
  const run = await runSync({ engine, lake, client, dryRun: true, ...fast });
  t.match(run, { outcome: 'succeeded', dryRun: true, asOf: '2026-06-30' });
  t.equal(run.counts.members, features.length);
  t.equal(run.counts.changed, eligible.length, 'every member who may be synced');
  t.equal(run.counts.skipped, features.length - eligible.length, 'cancelled and opted-out members, never synced: skipped');
  t.equal(run.preview?.length, Math.min(20, eligible.length));
  t.same(run.wouldSend, { create: eligible.length, update: 0, duplicateIds: [] }, 'every contact would be created');
  t.match(run.preview?.[0], { action: 'create', changed: Array }, 'each previewed member: create or update, and what changes');
  t.equal((await loadSyncedState(lake)).members.size, 0, 'no state written');
  t.equal(run.counts.requests, 0, 'no request to HubSpot');
});

t.test('the first run sends every eligible member with the lake\'s values; the next sends nothing', async (t) => {
  const first = await runSync({ engine, lake, client, ...fast });
  t.match(first, { outcome: 'succeeded', dryRun: false });
  t.equal(first.counts.sent, eligible.length);
  t.same([first.counts.created, first.counts.updated], [eligible.length, 0], 'every contact created by the first run');
  t.equal(first.counts.requests, Math.ceil(eligible.length / 100), 'batches of 100');
  const sample = eligible.slice(0, 5);
  const contacts = await readContacts(sample.map((m) => m.member_id));
  for (const m of sample) {
    const c = contacts.find((x) => x.properties[MEMBER_ID_PROPERTY] === m.member_id);
    t.equal(c?.properties.peak_visits_30d, String(m.visits_30d), `${m.member_id}: visits in 30 days`);
    t.equal(c?.properties.peak_last_visit_date ?? '', m.last_visit ?? '', `${m.member_id}: last visit`);
  }
  t.equal((await loadSyncedState(lake)).members.size, eligible.length, 'what HubSpot accepted is remembered');

  const second = await runSync({ engine, lake, client, ...fast });
  t.match(second.counts, { changed: 0, sent: 0, requests: 0, unchanged: eligible.length });
  const runs = await latestRuns(lake);
  t.same(runs.map((r) => [r.dryRun, r.outcome]).slice(0, 3), [[false, 'succeeded'], [false, 'succeeded'], [true, 'succeeded']], 'every run recorded, newest first');
});

t.test('runs, the per-member changelog and the holdout group are relations in the lake, queryable in SQL', async (t) => {
  const rows = async (q: string) => (await engine.query(q)).rows;
  const runs = await rows('SELECT run_id, dry_run, outcome, members, changed, sent, created, alert FROM crm_sync_runs ORDER BY run_id');
  const recorded = await latestRuns(lake);
  t.same(runs.map((r) => r.run_id), recorded.map((r) => r.runId).reverse(), 'one row per run recorded');
  t.match(runs[1], { dry_run: false, outcome: 'succeeded', sent: eligible.length, created: eligible.length, alert: false });
  const firstRun = String(runs[1]?.run_id);
  const changes = await rows(`SELECT outcome, count(*) AS n FROM crm_sync_changes WHERE run_id = '${firstRun}' GROUP BY outcome`);
  t.same(changes, [{ outcome: 'created', n: eligible.length }], 'every member the first run created');
  const planned = await rows(`SELECT count(*) AS n FROM crm_sync_changes WHERE run_id = '${String(runs[0]?.run_id)}' AND outcome = 'planned'`);
  t.same(planned, [{ n: eligible.length }], 'the dry run lists every member it would send, not only its preview');
  const one = (await rows(`SELECT changed_properties, changes FROM crm_sync_changes WHERE run_id = '${firstRun}' ORDER BY member_id LIMIT 1`))[0];
  t.match(String(one?.changed_properties), /peak_lifecycle_stage/);
  t.match(JSON.parse(String(one?.changes)), { peak_member_id: [null, /^M/] }, 'old → new, as JSON');
  const holdout = await rows('SELECT count(*) AS members, count(DISTINCT member_id) AS distinct_members, sum(CASE WHEN holdout THEN 1 ELSE 0 END) AS held FROM marketing_holdout');
  t.match(holdout, [{ members: eligible.length, distinct_members: eligible.length }], 'every synced member, once');
  const held = eligible.filter((m) => inHoldout(m.member_id)).length;
  t.equal(holdout[0]?.held, held, `${held} in the holdout group, as inHoldout says`);
});

t.test('a member HubSpot refuses: reported per row, retried next run with the reason kept; the run is flagged', async (t) => {
  const stateLake = new FolderLake(t.testdir());
  const bad = eligible[3]?.member_id ?? '';
  const input = await readSyncInput(engine, lake);
  // An email HubSpot refuses for one member (the sandbox validates emails like HubSpot).
  const broken = { ...input, members: input.members.map((m) => (m.member_id === bad ? { ...m, email: 'not-an-email' } : m)) };
  const first = await runSync({ engine, lake: stateLake, client, ...fast, readInput: async () => broken, alerts: { failedShare: 0.001 } });
  t.match(first, { outcome: 'partial', counts: { failed: 1, sent: eligible.length - 1 } });
  t.match(first.errors, [{ memberId: bad, category: 'VALIDATION_ERROR' }]);
  t.notMatch(JSON.stringify(first.errors), /not-an-email/, 'HubSpot quoting the address: masked');
  t.match(first.alert?.reasons, [/of the members sent failed/], 'flagged');
  const second = await runSync({ engine, lake: stateLake, client, ...fast, readInput: async () => broken });
  t.match(second.counts, { changed: 1, retried: 1, failed: 1 }, 'the failed member alone is tried again');
  t.equal((await loadSyncedState(stateLake)).failures.get(bad)?.attempts, 2, 'the reason kept, attempts counted');
  const fixed = await runSync({ engine, lake: stateLake, client, ...fast, readInput: async () => input });
  t.match(fixed.counts, { changed: 1, sent: 1, failed: 0 });
  t.notOk((await loadSyncedState(stateLake)).failures.has(bad), 'sent at last: no failure left');
  const full = await runSync({ engine, lake: stateLake, client, ...fast, fullResync: true, readInput: async () => input });
  t.match(full, { fullResync: true, counts: { changed: eligible.length, sent: eligible.length, created: 0 } }, 'a full resync sends everyone, and creates no one twice');
});

t.test('429 storms, 500s, a timeout and a partial batch error during a run: everyone synced by the next run, no duplicate contacts, the history true', async (t) => {
  const stateLake = new FolderLake(t.testdir());
  const admin = (path: string, init?: RequestInit) => fetch(`${sandboxUrl}/_sandbox${path}`, init);
  const fault = (spec: object) => admin('/faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  const upserts = async () => ((await (await admin('/requests')).json()) as { results: { path: string }[] }).results.filter((r) => r.path.endsWith('/batch/upsert')).length;
  await admin('/requests', { method: 'DELETE' });
  const bad = eligible[10]?.member_id ?? '';
  await fault({ kind: 'rate-limit', path: '/crm/v3/objects/contacts/batch/upsert', count: 3 });
  await fault({ kind: 'server-error', status: 502, path: '/crm/v3/objects/contacts/batch/upsert', count: 2 });
  await fault({ kind: 'delay', ms: 1_500, path: '/crm/v3/objects/contacts/batch/upsert', count: 1 });
  await fault({ kind: 'input-error', ids: [bad], count: 1 });
  const slept: number[] = [];
  const options = { engine, lake: stateLake, client, ...fast, requestTimeoutMs: 500, sleep: async (ms: number) => void slept.push(ms) };
  const first = await runSync(options);
  t.match(first, { outcome: 'partial', counts: { sent: eligible.length - 1, failed: 1 } }, 'one member refused; everyone else through the storm');
  t.match(first.errors, [{ memberId: bad }]);
  // In order: the late answer (given up), two 429s the client saw, two 502s (their waits are jittered, up to 16 s).
  t.equal(slept.length, 5, `a wait after each failed attempt (${slept.join(', ')} ms)`);
  t.ok((slept[1] ?? 0) >= 10_000 && (slept[2] ?? 0) >= 10_000, 'each 429 waited out at least the 10 s HubSpot asks');
  // The sandbox applies every fault matching a request at once: the delay rides on the first 429, which the client gave up on.
  t.equal(first.counts.requests, Math.ceil(eligible.length / 100) + 3 + 2, 'the history counts every attempt: the batches, 3 × 429 (the first also too late), 2 × 502');
  const second = await runSync(options);
  t.match(second, { outcome: 'succeeded', counts: { changed: 1, retried: 1, sent: 1, failed: 0 } }, 'the next run sends the one left');
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // the timed-out call's late answer lands too
  t.equal(await upserts(), first.counts.requests + second.counts.requests, 'the sandbox saw exactly the calls the runs counted');
  const search = await client.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: MEMBER_ID_PROPERTY, operator: 'HAS_PROPERTY' as never }] }], properties: [MEMBER_ID_PROPERTY], limit: 1, after: '0', sorts: [] });
  t.equal(search.total, eligible.length, 'one contact per member: retries and the late answer made no duplicate');
});

t.test('the property set-up and the upserts share one limiter: a first run never trips HubSpot\'s 10-second limit', async (t) => {
  // HubSpot's window shortened to 2 s (20 calls): the set-up's 17 calls and 4 batches in one window would be 429s.
  const tight = await buildForTest(t, () => buildSandbox(sandboxConfig({ HUBSPOT_SANDBOX_TOKENS: TOKEN, HUBSPOT_SANDBOX_RATE_LIMIT: '20', HUBSPOT_SANDBOX_RATE_LIMIT_WINDOW_MS: '2000' })));
  await tight.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(tight.server.address() as AddressInfo).port}`;
  const input = await readSyncInput(engine, lake);
  const many = { ...input, members: Array.from({ length: 4 }, (_, copy) => input.members.map((m) => ({ ...m, member_id: `${m.member_id}-${copy}`, email: null }))).flat() };
  const run = await runSync({ engine, lake: new FolderLake(t.testdir()), client: hubspotClient(url, TOKEN), requestsPerTenSeconds: 90, readInput: async () => many });
  t.equal(run.outcome, 'succeeded');
  t.ok(run.counts.requests >= 4, `${run.counts.requests} upserts`);
  const recorded = (await (await fetch(`${url}/_sandbox/requests`)).json()) as { results: { status: number }[] };
  t.ok(recorded.results.length >= 17 + 4, `${recorded.results.length} calls in all`);
  t.same(recorded.results.filter((r) => r.status === 429), [], 'no 429');
});

t.test('a run that died after its first batch: the re-run sends only the members HubSpot had not acknowledged', async (t) => {
  const stateLake = new FolderLake(t.testdir());
  const input = await readSyncInput(engine, lake);
  const plan = planSync(input.members, input.scores, emptyState(), input.thresholds ? { thresholds: input.thresholds } : {});
  // The dead run: its first batch acknowledged and written down, then the process gone (no state saved).
  const first = plan.changed.slice(0, 40);
  const dead = await pushChanges(first, { client, ...fast, onAcknowledged: (answer) => recordAcks(stateLake, 'dead-run', 1, { ...answer, sent: [...answer.sent], failed: [...answer.failed], at: '2026-07-01T06:00:00Z' }) });
  t.same([dead.sent.length, dead.failed.slice(0, 2), dead.stoppedBecause], [40, [], undefined], 'the first batch went through');
  t.equal((await loadSyncedState(stateLake)).members.size, 40, 'the acks fold into the state');
  await fetch(`${sandboxUrl}/_sandbox/requests`, { method: 'DELETE' });
  const rerun = await runSync({ engine, lake: stateLake, client, ...fast });
  t.ok(plan.changed.length > 40, `members left to send (${plan.changed.length - 40})`);
  t.equal(rerun.counts.sent, plan.changed.length - 40, 'only the rest was sent');
  const recorded = (await (await fetch(`${sandboxUrl}/_sandbox/requests`)).json()) as { results: { path: string; body?: { inputs?: { id: string }[] } }[] };
  const resent = recorded.results.filter((r) => r.path.endsWith('/batch/upsert')).flatMap((r) => r.body?.inputs?.map((i) => i.id) ?? []);
  const acknowledged = new Set(first.map((c) => c.memberId));
  t.same(resent.filter((id) => acknowledged.has(id)), [], 'nothing HubSpot had acknowledged was sent again');
  t.equal((await stateLake.list('crm-sync/acks/')).items.length, 0, 'the acks are gone once the state holds them');
  t.equal((await loadSyncedState(stateLake)).members.size, plan.changed.length);
});

t.test('a run that cannot read the lake is recorded as failed with the reason', async (t) => {
  const emptyEngine = new DuckDbEngine({ lakeRoot: t.testdir(), timeZone: world.timeZone });
  t.teardown(() => emptyEngine.close());
  const run = await runSync({ engine: emptyEngine, lake, client, ...fast });
  t.equal(run.outcome, 'failed');
  t.ok(run.stoppedBecause, `the reason: ${run.stoppedBecause}`);
  t.equal((await latestRuns(lake, 1))[0]?.outcome, 'failed', 'and it is in the run history');
});

t.test('the CLI: help, usage errors, a dry run and the run history', async (t) => {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  const capture = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    out.length = 0;
    err.length = 0;
    process.stdout.write = ((s: string) => out.push(String(s)) > 0) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => err.push(String(s)) > 0) as typeof process.stderr.write;
    try {
      return await main(argv, { STUDIO_TIME_ZONE: world.timeZone, ...env });
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    }
  };
  t.equal(await capture(['--help']), 0);
  t.match(out.join(''), /Usage: npm run crm-sync -- <command>/);
  t.equal(await capture(['sync-everything']), 2);
  t.match(err.join(''), /unknown command "sync-everything"; the commands are run and runs/);
  t.equal(await capture(['run', '--lake', world.lakeRoot]), 2, 'no token');
  t.match(err.join(''), /HUBSPOT_ACCESS_TOKEN is not set/);
  t.equal(await capture(['runs', '--limit', 'lots', '--lake', world.lakeRoot]), 2);
  t.match(err.join(''), /--limit must be a whole number above 0/);
  t.equal(await capture(['run', '--dry-run', '--lake', world.lakeRoot], { HUBSPOT_ACCESS_TOKEN: 'pat-unused-in-a-dry-run', HUBSPOT_BASE_URL: 'http://127.0.0.1:9' }), 0, 'a dry run needs no HubSpot');
  t.match(out.join(''), /dry run {2}succeeded {2}data as of 2026-06-30/);
  t.match(out.join(''), /members \d+ · changed 0 · sent 0/, 'after the runs above, nothing would change');
  t.notMatch(out.join(''), /Would send/);
  t.equal(await capture(['runs', '--limit', '2', '--lake', world.lakeRoot]), 0);
  t.equal(out.join('').match(/^\S+ {2}(dry run|run) /gm)?.length, 2, 'the two latest runs');
});
