/**
 * The planner's CLI: help, errors that say what to do (no lake yet, an unknown campaign, a bad announcement file, bad
 * settings), the dry run's text and JSON, a run refused until the send ledger is wired, and a run that queues into the
 * SQS emulator and records itself in the local DynamoDB.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import t from 'tap';
import { queues, tables, type EmailRequest } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDb } from '@peak/local-stack';
import { Queues } from '@peak/service-kit';
import { localClients, useSqsEmulator } from '@peak/service-kit/testing';
import { campaignRunsTable, getRun } from '../src/campaigns/index.js';
import { HELP, main, type CliDeps } from '../src/campaigns/cli.js';
import { writeCampaignWorld } from '../src/campaigns/fixtures.js';
import { SendLedger } from '../src/ledger/send-ledger.js';
import { emailRequestFor } from './helpers.js';

const ZONE = 'America/New_York';
const A = '2026-06-14';
const NOW = new Date('2026-06-15T10:00:00Z');
const dir = t.testdir();
const lake = join(dir, 'lake');
await writeCampaignWorld(lake, A, ZONE);
const env = { STUDIO_TIME_ZONE: ZONE };

async function run(argv: string[], deps: CliDeps = {}, environment: NodeJS.ProcessEnv = env) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, environment, { now: () => NOW, ...deps, out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join(''), err: err.join('') };
}

const announcement = (name: string, content: string) => {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
};

t.test('help and usage errors', async (t) => {
  t.match(await run(['--help']), { code: 0, out: HELP });
  t.match(await run([]), { code: 2, out: /^Peak Fitness campaign planner/ });
  t.match(await run(['send']), { code: 2, err: 'error: unknown command "send"; the command is plan (--help)\n' });
  t.match(await run(['plan', '--as-of', '2026-6-14', '--dry-run']), { code: 2, err: /--as-of must be a calendar date written YYYY-MM-DD, got "2026-6-14"/ });
  t.match(await run(['plan', '--dry-run', '--lake', lake, '--campaign', 'winback']), { code: 2, err: /unknown campaign "winback"; the campaigns are welcome, first_visit_nudge, habit, win_back, milestone, location_news, leaderboard_climb/ });
  t.match(await run(['plan', '--dry-run', '--bogus']), { code: 2, err: /Unknown option '--bogus'/ });
  t.match(await run(['plan', '--dry-run', '--lake', lake, '--as-of', '2026-06-20']), { code: 2, err: /after the lake's last day with check-ins \(2026-06-14\)/ });
});

t.test('no lake yet: load data first', async (t) => {
  const r = await run(['plan', '--dry-run', '--lake', join(dir, 'nothing-here')]);
  t.equal(r.code, 1);
  t.match(r.err, /the lake has no check-ins yet: load data first/);
});

t.test('bad settings and announcement files, said with what is wrong', async (t) => {
  t.match(await run(['plan', '--dry-run', '--lake', lake], {}, { ...env, WIN_BACK_AFTER_DAYS: '30', WIN_BACK_MAX_DAYS: '20' }), { code: 2, err: /WIN_BACK_MAX_DAYS \(20\) must be at least WIN_BACK_AFTER_DAYS \(30\)/ });
  t.match(await run(['plan', '--dry-run', '--lake', lake], {}, { STUDIO_TIME_ZONE: 'Mars/Olympus' }), { code: 2, err: /STUDIO_TIME_ZONE: "Mars\/Olympus" is not an IANA time zone/ });
  t.match(await run(['plan', '--dry-run', '--lake', 's3://peak-lake/']), { code: 2, err: /an S3 lake is queried with Athena/ });
  t.match(await run(['plan', '--dry-run', '--lake', lake, '--announce', join(dir, 'missing.json')]), { code: 2, err: /announcement file .*missing\.json does not exist/ });
  t.match(await run(['plan', '--dry-run', '--lake', lake, '--announce', announcement('broken.json', '{ "id": ')]), { code: 2, err: /announcement file .*broken\.json is not JSON/ });
  const incomplete = announcement('incomplete.json', JSON.stringify({ id: 'Spring Sale!', locationId: 'harbor', body: 'x', colour: 'red' }));
  const r = await run(['plan', '--dry-run', '--lake', lake, '--announce', incomplete]);
  t.equal(r.code, 2);
  t.match(r.err, /is not a valid announcement: .*missing "title".*unknown field "colour".*id must match pattern/);
  t.match(r.err, /expected \{ "id", "locationId", "title", "body", optional "ctaUrl", "ctaLabel", "expiresAt" \}/);
  const elsewhere = announcement('elsewhere.json', JSON.stringify({ id: 'spring', locationId: 'habour', title: 'Spring', body: 'x' }));
  t.match(await run(['plan', '--dry-run', '--lake', lake, '--announce', elsewhere]), { code: 2, err: /no member has "habour" as home studio; the studios are downtown, harbor, riverside/ });
  const labelOnly = announcement('label.json', JSON.stringify({ id: 'spring', locationId: 'harbor', title: 'Spring', body: 'x', ctaLabel: 'Go' }));
  t.match(await run(['plan', '--dry-run', '--lake', lake, '--announce', labelOnly]), { code: 2, err: /"ctaLabel" is given without "ctaUrl": add the link or drop the label/ });
  const good = announcement('good.json', JSON.stringify({ id: 'spring', locationId: 'harbor', title: 'Spring', body: 'x' }));
  t.match(await run(['plan', '--dry-run', '--lake', lake, '--announce', good, '--campaign', 'win_back']), { code: 2, err: /only used by location_news/ });
  t.match(await run(['plan', '--dry-run', '--lake', lake, '--campaign', 'location_news']), { code: 2, err: /location_news needs an announcement .*--announce <file\.json>/ });
});

t.test('a dry run prints each campaign: counts, locations, invalid rows, holdout, the first members and their keys', async (t) => {
  const r = await run(['plan', '--dry-run', '--lake', lake, '--show', '2']);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^Campaign plan plan-2026-06-14-[0-9a-z]{6} — data as of 2026-06-14 — dry run: nothing queued, nothing recorded/);
  t.match(r.out, /\nwin_back {2}\(marketing, topic win_back, template win_back; expires 2026-06-18T04:00:00\.000Z\)\n {2}audience 5 · excluded not checked \(no send ledger\) · invalid 2 · would queue 3 · in holdout \d \(/);
  t.match(r.out, /by location: downtown 5 \(3 planned\)/);
  t.match(r.out, /invalid: BADMAIL: to must match format "email"\n {2}invalid: NOMAIL: no email address/);
  t.match(r.out, /first 2 of 3:\n {4}W14 +downtown +win_back:W14:2026-05-31 .*daysSinceLastVisit=14 lastClassName=Spin/);
  t.match(r.out, /leaderboard_climb:LB1:2026-W24 .*oldRank=3 newRank=2/);
  t.notMatch(r.out, /example\.com|not-an-email/, 'no addresses printed');
  t.match(r.out, /The notifier applies the holdout, suppressions, unsubscribes, the frequency cap and quiet hours/);

  const json = await run(['plan', '--dry-run', '--json', '--lake', lake, '--campaign', 'win_back,milestone', '--as-of', '2026-06-13']);
  t.equal(json.code, 0, json.err);
  const report = JSON.parse(json.out) as { asOf: string; campaigns: { campaignId: string; planned: number; preview: { dedupeKey: string }[] }[]; requests: number };
  t.equal(report.asOf, '2026-06-13');
  t.same(report.campaigns.map((c) => c.campaignId), ['win_back', 'milestone']);
  t.same(report.campaigns[1]?.preview.map((p) => p.dedupeKey), ['milestone:M10Y:10'], 'as of the day before');
  t.notMatch(json.out, /example\.com/);
});

t.test('a run that queues: the requests are queued, the run recorded, and the send ledger excludes recent recipients', async (t) => {
  const emu = await useSqsEmulator(t);
  const sqs = localClients.sqs(t, emu.endpoint);
  const dynamo = await startDynamoDb({ tables: [tables.campaignRuns, tables.emailSends], tablePrefix: 'peak-test' });
  t.teardown(() => dynamo.stop());
  const ddb = new DynamoDBClient({ region: LOCAL_REGION, endpoint: dynamo.endpoint, credentials: LOCAL_CREDENTIALS });
  t.teardown(() => ddb.destroy());
  const doc = DynamoDBDocumentClient.from(ddb);
  // W42 had a win-back a week ago: the real ledger (the CLI's default source) says so.
  const ledger = new SendLedger(doc, 'peak-test-email-sends', { owner: 'test', leaseMs: 60_000, now: () => Date.parse('2026-06-07T10:00:00Z') });
  const earlier = emailRequestFor('W42', { dedupeKey: 'win_back:W42:2026-05-20', requestedAt: '2026-06-07T06:00:00Z', expiresAt: '2026-06-09T06:00:00Z' });
  await ledger.reserve(earlier);
  await ledger.markSending(earlier.dedupeKey);
  await ledger.finish(earlier.dedupeKey, 'sent', { messageId: 'ses-earlier' });
  const r = await run(['plan', '--lake', lake, '--campaign', 'win_back', '--campaign', 'welcome', '--json'], { sqs, dynamo: doc }, { ...env, TABLE_PREFIX: 'peak-test' });
  t.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as { runId: string; totals: { queued: number } };
  t.equal(report.totals.queued, 5, '3 welcomes and 2 win-backs (W42 contacted lately, says the ledger)');
  const url = await new Queues(sqs).url(queues.emailRequests);
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  const bodies = (got.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as EmailRequest);
  t.same(bodies.map((b) => b.dedupeKey).sort(), ['welcome:J1:once', 'welcome:J2:once', 'welcome:J3:once', 'win_back:W14:2026-05-31', 'win_back:W14L:2026-05-31']);
  t.match(await getRun(doc, campaignRunsTable('peak-test'), report.runId), { trigger: 'cli', outcome: 'succeeded', campaigns: { win_back: { excluded: 1, queued: 2 } } });
});
