/**
 * Benchmark: crm-sync's runSync (in this process, the real @hubspot/api-client) against the HubSpot sandbox (its own
 * process, as the local platform runs it) with HubSpot's lower-tier limit on: 100 requests per rolling 10 s per token.
 * 100,000 generated members to sync (plus the cancelled and no-consent members a real export has, which are skipped by
 * design), with churn scores for most; crm-sync's state and run records in a folder lake. Three runs (issue 7):
 *  1. the first sync: contacts/s against the theoretical maximum under the limit (100 requests/10 s × 100 contacts a
 *     batch = 1,000 contacts/s), target ≥ 0.9; also against crm-sync's own pace (its default, 95 requests/10 s); no 429s; every
 *     member one contact in the sandbox (its search total, and the member ids in its request log: no duplicates);
 *  2. the same members again: no upsert at all (the sandbox's request log and the run record);
 *  3. 1% of the members changed (one more visit): exactly those sent, in 10 requests.
 * Then where the first sync's wall time went (the sandbox's arrival times, on the same clock): the diff and property
 * setup before the first upsert, the limiter's spacing, waits after 429s, slower gaps, and the state and records after.
 * Prints markdown tables on stdout (progress on stderr); `npm run bench` collects them into docs/benchmarks.md.
 * CRM_SYNC_BENCH_MEMBERS (default 100000) for a quicker try; CRM_SYNC_BENCH_PACE (default: crm-sync's default) for its pace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QueryEngine } from '@peak/analytics';
import { CLASS_TYPES, type MEMBER_PLANS } from '@peak/contracts';
import type { RecordedRequest } from '@peak/hubspot-sandbox';
import { FolderLake } from '@peak/lake';
import { freePort, waitFor } from '@peak/local-stack';
import { readSyncSettings } from '../services/crm-sync/src/config.js';
import { hubspotClient } from '../services/crm-sync/src/hubspot.js';
import type { ChurnScore, MemberFeatures } from '../services/crm-sync/src/sync/attributes.js';
import { MEMBER_ID_PROPERTY } from '../services/crm-sync/src/sync/contact-properties.js';
import { emptyState, planSync } from '../services/crm-sync/src/sync/diff.js';
import type { SyncInput } from '../services/crm-sync/src/sync/read-input.js';
import { runSync } from '../services/crm-sync/src/sync/run.js';
import type { SyncRun } from '../services/crm-sync/src/sync/state.js';
import { prng } from './prng.js';

const MEMBERS = Number(process.env.CRM_SYNC_BENCH_MEMBERS ?? 100_000); // members to sync (the skipped ones come on top)
// crm-sync's requests per 10 s: its configured default (HUBSPOT_REQUESTS_PER_10S, 95: HubSpot's 100 less 5% headroom)
const PACE = Number(process.env.CRM_SYNC_BENCH_PACE ?? readSyncSettings({}).HUBSPOT_REQUESTS_PER_10S);
const HUBSPOT_LIMIT = 100; // requests per rolling 10 s: HubSpot's free and starter tiers
const WINDOW_MS = 10_000;
const BATCH = 100; // contacts per batch upsert (HubSpot's maximum, crm-sync's BATCH_SIZE)
const CHANGED_SHARE = 0.01;
const TOKEN = 'pat-crm-sync-bench';
const AS_OF = '2026-06-30';
const UPSERT_PATH = '/crm/v3/objects/contacts/batch/upsert';
const sandboxServer = fileURLToPath(new URL('../tools/hubspot-sandbox/src/server.ts', import.meta.url));

const LOCATIONS: [string, number][] = [['downtown', 0.3], ['riverside', 0.2], ['northgate', 0.2], ['lakeside', 0.15], ['westfield', 0.15]];
const PLAN_WEIGHTS: Record<(typeof MEMBER_PLANS)[number], number> = { unlimited: 0.3, eight_per_month: 0.2, four_per_month: 0.15, annual_unlimited: 0.15, class_pack: 0.12, intro_offer: 0.08 };
const FIRST = ['anna', 'ben', 'carla', 'dev', 'elif', 'femi', 'grace', 'hugo', 'ines', 'jon', 'kemi', 'liam', 'maya', 'noah', 'olga', 'priya'];
const LAST = ['smith', 'garcia', 'chen', 'okafor', 'novak', 'patel', 'kim', 'silva', 'murphy', 'haddad', 'berg', 'rossi'];
const DOMAINS = ['example.com', 'example.net', 'example.org', 'mail.example.com'];
const DAY_MS = 86_400_000;
const asOfMs = Date.parse(`${AS_OF}T00:00:00Z`);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const log = (line: string) => process.stderr.write(`[crm-sync bench] ${line}\n`);

// ---------------------------------------------------------------------------------------------------------------
// Members: `member_features` rows as of AS_OF, deterministic. Generated until MEMBERS of them are to be synced.
const rand = prng(7);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const weighted = <T>(items: readonly [T, number][]): T => {
  let r = rand() * items.reduce((s, [, w]) => s + w, 0);
  for (const [item, w] of items) if ((r -= w) < 0) return item;
  return (items.at(-1) as [T, number])[0];
};
const poisson = (mean: number) => {
  // Knuth's, fine for the small means of visits
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rand(); p > limit; p *= rand()) k++;
  return k;
};

function member(n: number): MemberFeatures {
  const status = weighted([['active', 0.9], ['frozen', 0.07], ['cancelled', 0.03]] as [string, number][]);
  const tenure = rand() < 0.04 ? Math.floor(rand() * 30) : 30 + Math.floor(rand() ** 1.5 * 2_500); // 4% joined this month
  const perDay = status === 'frozen' ? 0 : (rand() ** 1.3 * 4) / 7; // a member's usual visits a day
  const recent = status === 'active' && rand() >= 0.12; // else quiet for weeks or months, or no visit this year at all
  const quiet = rand() < 0.15 ? null : 14 + Math.floor(rand() * 250);
  const since = recent ? Math.min(tenure, Math.floor(rand() * 14)) : quiet === null ? null : Math.min(tenure, quiet);
  const days = Math.min(90, tenure + 1); // days of the last 90 they were a member
  const visits30 = since === null || since >= 30 ? 0 : 1 + poisson(perDay * Math.max(0, Math.min(30, days) - since - 1));
  const older = since === null || since >= 90 ? 0 : since < 30 ? poisson(perDay * Math.max(0, days - 30)) : 1 + poisson(perDay * Math.max(0, days - since - 1));
  const before30 = Math.round(older * (0.4 + 0.2 * rand())); // of days 30–89, those in 30–59
  const first = pick(FIRST);
  const last = pick(LAST);
  const id = `M${String(n).padStart(6, '0')}`;
  return {
    member_id: id,
    email: rand() < 0.99 ? `${first}.${last}.${n}@${pick(DOMAINS)}` : null, // unique: HubSpot's email is a unique property
    home_location_id: weighted(LOCATIONS),
    plan: weighted(Object.entries(PLAN_WEIGHTS)),
    status,
    join_date: day(asOfMs - tenure * DAY_MS),
    tenure_days: tenure,
    marketing_opt_in: rand() < 0.96 ? true : rand() < 0.75 ? false : null, // null: never asked (synced; only false withdraws)
    last_visit: since === null ? null : day(asOfMs - since * DAY_MS),
    days_since_last_visit: since,
    visits_30d: visits30,
    visits_90d: visits30 + older,
    visit_trend: visits30 - before30,
    favourite_class_type: visits30 + older > 0 ? pick(CLASS_TYPES) : null,
    at_risk: status === 'active' && since !== null && since >= 14 && since < 60 && older >= 3,
  };
}

const members: MemberFeatures[] = [];
const scores = new Map<string, ChurnScore>();
let toSync = 0;
for (let n = 1; toSync < MEMBERS; n++) {
  const m = member(n);
  members.push(m);
  if (m.status !== 'cancelled' && m.marketing_opt_in !== false) toSync++;
  if (rand() < 0.93) {
    // The churn model scores most members; a few (new, or joined after the last training) have none yet.
    const score = Math.min(0.999, rand() ** (m.at_risk ? 0.5 : 2.5));
    scores.set(m.member_id, { score, band: score >= 0.6 ? 'high' : score >= 0.3 ? 'medium' : 'low' });
  }
}
const eligible = members.filter((m) => m.status !== 'cancelled' && m.marketing_opt_in !== false);
const cancelled = members.filter((m) => m.status === 'cancelled').length;
const noConsent = members.filter((m) => m.status !== 'cancelled' && m.marketing_opt_in === false).length;
const frozen = eligible.filter((m) => m.status === 'frozen').length;
log(`${fmt(members.length)} members generated: ${fmt(eligible.length)} to sync (${fmt(frozen)} frozen), ${fmt(cancelled)} cancelled and ${fmt(noConsent)} without consent (never synced: skipped); ${fmt(scores.size)} with a churn score`);

// ---------------------------------------------------------------------------------------------------------------
// The sandbox in its own process; crm-sync's state in a folder lake whose ack writes are timed.
async function startSandbox(recorded: number): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', sandboxServer], {
    env: {
      ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn',
      HUBSPOT_SANDBOX_TOKENS: TOKEN, HUBSPOT_SANDBOX_TIER: 'starter',
      HUBSPOT_SANDBOX_RATE_LIMIT: String(HUBSPOT_LIMIT), HUBSPOT_SANDBOX_RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
      HUBSPOT_SANDBOX_DAILY_LIMIT: '1000000', HUBSPOT_SANDBOX_RECORDED_REQUESTS: String(recorded),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitFor('the HubSpot sandbox to answer', async () => {
    if (exited) throw new Error('the HubSpot sandbox exited before answering');
    return (await fetch(`${url}/health`).catch(() => undefined))?.ok === true;
  }, 60_000, 100);
  return { url, child };
}

/** A folder lake that times crm-sync's ack writes and notes when each other object was written (Date.now). */
class TimedLake extends FolderLake {
  ackWrites: number[] = [];
  written: { key: string; at: number }[] = [];
  override async putBytes(...args: Parameters<FolderLake['putBytes']>): Promise<boolean> {
    const [key] = args;
    const t0 = performance.now();
    try {
      return await super.putBytes(...args);
    } finally {
      if (key.startsWith('crm-sync/acks/')) this.ackWrites.push(performance.now() - t0);
      else this.written.push({ key, at: Date.now() });
    }
  }

  override async putFile(...args: Parameters<FolderLake['putFile']>): Promise<{ bytes: number }> {
    try {
      return await super.putFile(...args);
    } finally {
      this.written.push({ key: args[0], at: Date.now() });
    }
  }
}

/** Never asked when runSync is given `readInput`: counts calls so the report can say so. */
let engineCalls = 0;
const engine: QueryEngine = {
  name: 'duckdb',
  query: async () => {
    engineCalls++;
    throw new Error('the benchmark gives runSync its members: the query engine should not be asked');
  },
  close: async () => undefined,
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const mean = (values: number[]) => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : 0);

type Upsert = { body: { inputs: { id: string }[] } } & RecordedRequest;
const work = await mkdtemp(join(tmpdir(), 'peak-crm-sync-bench-'));
const sandbox = await startSandbox(Math.ceil(MEMBERS / BATCH) * 2 + 1_000); // every request of the first run, retries included
try {
  const admin = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${sandbox.url}${path}`, init);
    if (!res.ok) throw new Error(`sandbox ${path}: ${res.status} ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  };
  const requests = async () => {
    const r = await admin<{ results: RecordedRequest[]; dropped: number }>('/_sandbox/requests');
    if (r.dropped) throw new Error(`the sandbox dropped ${r.dropped} recorded requests: raise HUBSPOT_SANDBOX_RECORDED_REQUESTS`);
    await admin('/_sandbox/requests', { method: 'DELETE' });
    return { all: r.results, upserts: r.results.filter((q): q is Upsert => q.method === 'POST' && q.path === UPSERT_PATH && q.status < 300) };
  };
  const searchTotal = async (filterGroups: unknown[]) => {
    const res = await fetch(`${sandbox.url}/crm/v3/objects/contacts/search`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filterGroups, limit: 1, properties: [MEMBER_ID_PROPERTY] }),
    });
    if (!res.ok) throw new Error(`search: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { total: number }).total;
  };

  const lake = new TimedLake(join(work, 'lake'));
  const client = hubspotClient(sandbox.url, TOKEN);
  const sync = async (label: string, input: SyncInput) => {
    const started = Date.now();
    const t0 = performance.now();
    let lastLog = t0;
    const run = await runSync({
      engine, lake, client, requestsPerTenSeconds: PACE, readInput: async () => input,
      onBatch: (done, total) => {
        const now = performance.now();
        if (now - lastLog < 10_000 && done < total) return;
        lastLog = now;
        log(`${label}: ${fmt(done)}/${fmt(total)} members sent, ${fmt((now - t0) / 1000, 1)} s, ${fmt(done / ((now - t0) / 1000))} contacts/s`);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    if (run.outcome !== 'succeeded') throw new Error(`${label}: the run ${run.outcome}: ${run.stoppedBecause ?? JSON.stringify(run.errors.slice(0, 3))}`);
    log(`${label}: ${run.outcome} in ${fmt(seconds, 1)} s: ${JSON.stringify(run.counts)}`);
    return { run, seconds, started, ended: Date.now(), ...(await requests()) };
  };
  const input = (list: MemberFeatures[]): SyncInput => ({ asOf: AS_OF, members: list, scores, scoresDay: AS_OF });

  // 1. The first sync: every eligible member created.
  log(`first sync of ${fmt(eligible.length)} members at ${PACE} requests/10 s (≈ ${fmt((eligible.length / BATCH / PACE) * 10)} s)…`);
  const first = await sync('first sync', input(members));
  const ackWrites = [...lake.ackWrites];
  const writtenAfter = lake.written.filter((w) => w.at >= first.started);
  // The first run's diff alone (again, now warm), to tell it from the rest of the time before the first upsert.
  const diffStart = performance.now();
  planSync(members, scores, emptyState());
  const diffSeconds = (performance.now() - diffStart) / 1000;
  const created = await searchTotal([{ filters: [{ propertyName: MEMBER_ID_PROPERTY, operator: 'HAS_PROPERTY' }] }]);
  const allContacts = await searchTotal([]);
  await admin('/_sandbox/requests', { method: 'DELETE' }); // those two searches are not the next run's
  const sentIds = first.upserts.flatMap((q) => q.body.inputs.map((i) => i.id));
  const distinctSent = new Set(sentIds).size;
  const expected = new Set(eligible.map((m) => m.member_id));
  const sentAreEligible = sentIds.every((id) => expected.has(id));
  const throttled = first.all.filter((q) => q.status === 429).length;
  const setupRequests = first.all.filter((q) => q.path.startsWith('/crm/v3/properties/')).length;
  const rate = first.run.counts.sent / first.seconds;
  const ideal = (HUBSPOT_LIMIT / (WINDOW_MS / 1000)) * BATCH; // contacts/s at HubSpot's limit
  const paced = (PACE / (WINDOW_MS / 1000)) * BATCH;

  // Where the first sync's time went: the sandbox's arrival times (same clock: one machine) and its time per request.
  const arrivals = first.upserts.map((q) => Date.parse(q.at));
  const gaps = arrivals.slice(1).map((at, i) => at - (arrivals[i] as number));
  const firstAt = arrivals[0] ?? first.started;
  const lastAt = arrivals.at(-1) ?? first.ended;
  const minTime = WINDOW_MS / PACE; // crm-sync's spacing, not rounded (hubspotPacer)
  const refusals = first.all.filter((q) => q.status === 429).map((q) => Date.parse(q.at));
  let throttledMs = 0;
  const paceGaps: number[] = []; // the gaps with no 429 in them
  gaps.forEach((g, i) => {
    const [from, to] = [arrivals[i] as number, arrivals[i + 1] as number];
    if (refusals.some((at) => at >= from && at <= to)) throttledMs += g - minTime;
    else paceGaps.push(g);
  });
  const slowMs = paceGaps.reduce((s, g) => s + Math.max(0, g - minTime), 0);
  // What the sandbox had admitted from this token in the 10 s before each 429, and how much of it was property setup.
  const admitted = first.all.filter((q) => q.status !== 429 && q.status !== 401 && !q.path.endsWith('/search'));
  const isSetup = (q: RecordedRequest) => q.path.startsWith('/crm/v3/properties/');
  const refusalContext = refusals.map((at) => {
    const inWindow = admitted.filter((q) => Date.parse(q.at) > at - WINDOW_MS && Date.parse(q.at) <= at);
    return `${inWindow.length} admitted in the 10 s before (${inWindow.filter(isSetup).length} property setup)`;
  });
  // The busiest rolling 10 s crm-sync asked for (refused requests included), and how much of it was property setup.
  const attempted = first.all.filter((q) => q.status !== 401 && !q.path.endsWith('/search'));
  let busiest = { count: 0, setup: 0 };
  attempted.forEach((q, i) => {
    const at = Date.parse(q.at);
    const inWindow = attempted.slice(0, i + 1).filter((r) => Date.parse(r.at) > at - WINDOW_MS);
    if (inWindow.length > busiest.count) busiest = { count: inWindow.length, setup: inWindow.filter(isSetup).length };
  });
  const setupSpan = (() => {
    const setup = admitted.filter(isSetup).map((q) => Date.parse(q.at));
    return setup.length ? (firstAt - Math.min(...setup)) / 1000 : 0;
  })();
  // The push phase alone: from the first upsert to the last one's answer (one spacing for it).
  const pushRate = first.run.counts.sent / ((lastAt - firstAt + minTime) / 1000);

  // 2. The same members again.
  const second = await sync('no changes', input(members));

  // 3. 1% changed: one more visit for members picked at random among those synced.
  const pickRand = prng(11);
  const changedIds = new Set<string>();
  const wanted = Math.round(eligible.length * CHANGED_SHARE);
  while (changedIds.size < wanted) changedIds.add((eligible[Math.floor(pickRand() * eligible.length)] as MemberFeatures).member_id);
  const changedMembers = members.map((m) =>
    changedIds.has(m.member_id) ? { ...m, visits_30d: (m.visits_30d ?? 0) + 1, visits_90d: (m.visits_90d ?? 0) + 1, visit_trend: (m.visit_trend ?? 0) + 1 } : m,
  );
  const third = await sync('1% changed', input(changedMembers));
  const thirdIds = new Set(third.upserts.flatMap((q) => q.body.inputs.map((i) => i.id)));
  const sameSet = thirdIds.size === changedIds.size && [...changedIds].every((id) => thirdIds.has(id));
  const contactsAfter = await searchTotal([]);

  const ok = (pass: boolean) => (pass ? '✓' : '✗');
  const counts = (run: SyncRun) => run.counts;
  const c1 = counts(first.run);
  const rows: [string, string, string, string][] = [
    [`first sync: contacts/s vs HubSpot's limit (${HUBSPOT_LIMIT} req/10 s × ${BATCH} = ${fmt(ideal)}/s)`, `${(rate / ideal).toFixed(3)} (${fmt(rate)}/s)`, '≥ 0.9', ok(rate / ideal >= 0.9)],
    [`first sync: vs crm-sync's pace (${PACE} req/10 s = ${fmt(paced)}/s)`, (rate / paced).toFixed(3), '—', ''],
    ['first sync, the push alone (first upsert → last, no diff or records): vs HubSpot\'s limit', `${(pushRate / ideal).toFixed(3)} (${fmt(pushRate)}/s)`, '—', ''],
    ['first sync: 429s received', fmt(throttled), '0', ok(throttled === 0)],
    [`first sync: most requests made in a rolling ${WINDOW_MS / 1000} s, 429s included (of which property set-up, paced by the same limiter)`, `${busiest.count} (${busiest.setup})`, `≤ ${HUBSPOT_LIMIT}`, ok(busiest.count <= HUBSPOT_LIMIT)],
    ['first sync: requests (upserts + property setup)', `${fmt(first.upserts.length)} + ${setupRequests}`, `${fmt(Math.ceil(eligible.length / BATCH))} upserts`, ok(first.upserts.length === Math.ceil(eligible.length / BATCH))],
    ['first sync: wall time', `${fmt(first.seconds, 1)} s`, '—', ''],
    ['first sync: contacts in the sandbox (search total) · distinct member ids upserted', `${fmt(created)} · ${fmt(distinctSent)} of ${fmt(sentIds.length)}`, fmt(eligible.length), ok(created === eligible.length && allContacts === created && distinctSent === eligible.length && sentIds.length === distinctSent && sentAreEligible && c1.created === eligible.length)],
    ['no changes: upsert calls (sandbox log · run record)', `${second.upserts.length} · ${second.run.counts.requests}`, '0', ok(second.upserts.length === 0 && second.run.counts.requests === 0 && second.run.counts.changed === 0)],
    [`${CHANGED_SHARE * 100}% changed: member ids upserted = the changed set`, `${fmt(thirdIds.size)} ${sameSet ? '=' : '≠'} ${fmt(changedIds.size)}`, 'same set', ok(sameSet)],
    [`${CHANGED_SHARE * 100}% changed: upsert requests (sandbox log · run record)`, `${third.upserts.length} · ${third.run.counts.requests}`, fmt(Math.ceil(wanted / BATCH)), ok(third.upserts.length === Math.ceil(wanted / BATCH) && third.run.counts.requests === third.upserts.length && contactsAfter === created)],
  ];
  console.log('| measure | value | target | ✓/✗ |');
  console.log('|---|---:|---|:-:|');
  for (const [m, v, t, s] of rows) console.log(`| ${m} | ${v} | ${t} | ${s} |`);
  console.log(
    `\n${fmt(members.length)} generated members (deterministic): ${fmt(eligible.length)} synced (${fmt(eligible.length - frozen)} active, ${fmt(frozen)} frozen), ` +
      `${fmt(cancelled)} cancelled and ${fmt(noConsent)} without marketing consent — never synced, so skipped by design (run record: ` +
      `members ${fmt(c1.members)} = sent ${fmt(c1.sent)} + skipped ${fmt(c1.skipped)}); ${fmt(scores.size)} with a churn score. ` +
      `The sandbox in its own process (starter tier: ${HUBSPOT_LIMIT} requests per rolling ${WINDOW_MS / 1000} s per token), crm-sync in this one at ` +
      `requestsPerTenSeconds ${PACE}, its state and run records in a folder lake. Runs: first ${fmt(first.seconds, 1)} s, no changes ${fmt(second.seconds, 1)} s ` +
      `(${second.all.length} requests: the property check), 1% changed ${fmt(third.seconds, 1)} s (sent ${fmt(third.run.counts.sent)}, updated ${fmt(third.run.counts.updated)}, created ${third.run.counts.created}).` +
      (engineCalls ? ` The query engine was asked ${engineCalls} times although readInput was given.` : ''),
  );
  console.log(`\n| where the first sync's ${fmt(first.seconds, 1)} s went | seconds |`);
  console.log('|---|---:|');
  console.log(`| before the first upsert: diff ${fmt(members.length)} members (alone, warm: ${fmt(diffSeconds, 2)} s), load the state, ${setupRequests} property requests (sent in the ${fmt(setupSpan, 2)} s before the first upsert) | ${fmt((firstAt - first.started) / 1000, 2)} |`);
  console.log(`| upserts at crm-sync's spacing (${fmt(first.upserts.length - 1)} gaps of ${fmt(minTime, 1)} ms) | ${fmt((lastAt - firstAt - throttledMs - slowMs) / 1000, 2)} |`);
  console.log(`| waiting after 429s${refusalContext.length ? ` (${refusalContext.join('; ')})` : ''} | ${fmt(throttledMs / 1000, 2)} |`);
  console.log(`| gaps longer than the spacing (request + ack write over ${fmt(minTime, 1)} ms: ${paceGaps.filter((g) => g > minTime + 5).length} gaps over ${fmt(minTime + 5, 1)} ms, max ${fmt(Math.max(0, ...paceGaps))} ms) | ${fmt(slowMs / 1000, 2)} |`);
  // The holdout relation is written while the upserts go out; after the last one, the state and the changelog together, then the run's JSON and row.
  const doneAt = (part: string, from = lastAt) => writtenAfter.find((w) => w.key.includes(part) && w.at >= from)?.at ?? from;
  const [holdoutAt, stateAt, changesAt] = [doneAt('marketing_holdout/', first.started), doneAt('synced-state'), doneAt('crm_sync_changes/')];
  console.log(
    `| after the last upsert: the state of ${fmt(c1.sent)} members saved (${fmt((stateAt - lastAt) / 1000, 1)} s) while the changelog of ${fmt(c1.sent)} rows is written (${fmt((changesAt - lastAt) / 1000, 1)} s), ` +
      `then the run record and row (the holdout relation was written during the upserts, ${fmt((holdoutAt - firstAt) / 1000, 1)} s after the first) | ${fmt((first.ended - lastAt) / 1000, 2)} |`,
  );
  console.log('');
  console.log('| first sync, per request | mean | p99 |');
  console.log('|---|---:|---:|');
  console.log(`| gap between upserts, 429 waits aside (ms) | ${fmt(mean(paceGaps), 1)} | ${fmt(percentile(paceGaps, 99))} |`);
  console.log(`| sandbox time per 100-contact upsert (ms) | ${fmt(mean(first.upserts.map((q) => q.durationMs)), 1)} | ${fmt(percentile(first.upserts.map((q) => q.durationMs), 99))} |`);
  console.log(`| crm-sync's ack write per batch (folder lake, fsync; ms) | ${fmt(mean(ackWrites), 1)} | ${fmt(percentile(ackWrites, 99), 1)} |`);
  console.log(`\npeak RSS (benchmark process): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  sandbox.child.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}
