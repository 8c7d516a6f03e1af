/**
 * The planner run over the hand-made lake: the dry run's report; requests valid against the contract, with dedupe keys
 * that do not depend on the run; the frequency rule through the recentRecipients port; invalid rows reported; stale
 * replays; input errors that say what to do; and a real run into the SQS emulator (exactly the planned messages, 10 per
 * SendMessageBatch, failed entries retried, a clear failure when SQS keeps refusing) recorded in `campaign-runs` on the
 * local DynamoDB stand-in.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, type SendMessageBatchCommandOutput, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type PutCommand } from '@aws-sdk/lib-dynamodb';
import t from 'tap';
import { DuckDbEngine, type QueryEngine } from '@peak/analytics';
import { assertValid, emailRequest, inHoldout, queues, tables, type EmailRequest } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDb } from '@peak/local-stack';
import { Queues } from '@peak/service-kit';
import { localClients, useSqsEmulator } from '@peak/service-kit/testing';
import {
  AnnouncementError, campaignRunsTable, EmptyLakeError, getRun, planCampaigns, PlanInputError, QueueingError, queueRequests, reportJson,
  type PlanOptions, type RecentRecipients,
} from '../src/campaigns/index.js';
import { writeCampaignWorld } from '../src/campaigns/fixtures.js';

const ZONE = 'America/New_York';
const A = '2026-06-14'; // a Sunday; the lake ends on it
const NOW = new Date('2026-06-15T10:00:00Z'); // Monday 06:00 in New York: the scheduled run
const lakeDir = t.testdir();
await writeCampaignWorld(lakeDir, A, ZONE);
const engine = new DuckDbEngine({ lakeRoot: lakeDir, timeZone: ZONE });
t.teardown(() => engine.close());

const emu = await useSqsEmulator(t);
const sqs = localClients.sqs(t, emu.endpoint);
const queueUrl = await new Queues(sqs).url(queues.emailRequests);
const dynamo = await startDynamoDb({ tables: [tables.campaignRuns] });
t.teardown(() => dynamo.stop());
const ddb = new DynamoDBClient({ region: LOCAL_REGION, endpoint: dynamo.endpoint, credentials: LOCAL_CREDENTIALS });
t.teardown(() => ddb.destroy());
const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });

const nobody: RecentRecipients = async () => new Set();
const base: PlanOptions = { engine, timeZone: ZONE, now: () => NOW };
const real = (extra: Partial<PlanOptions> = {}): PlanOptions => ({ ...base, sqs, dynamo: doc, recentRecipients: nobody, queue: { retryDelayMs: 1 }, ...extra });
const HARBOR_NEWS = { id: 'harbor-reopening', locationId: 'harbor', title: 'We reopen on Monday', body: 'New floors & bikes' };

/** Every message on the queue, removed from it. */
async function drain(): Promise<EmailRequest[]> {
  const bodies: EmailRequest[] = [];
  for (let empty = 0; empty < 2; ) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!r.Messages?.length) {
      empty++;
      continue;
    }
    for (const m of r.Messages) {
      bodies.push(JSON.parse(m.Body ?? '{}') as EmailRequest);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return bodies;
}
const keysOf = (requests: readonly EmailRequest[]) => requests.map((r) => r.dedupeKey).sort();

t.test('a dry run: per campaign the audience, locations, exclusions, invalid rows, holdout share and first members; nothing queued or recorded', async (t) => {
  const report = await planCampaigns({ ...base, dryRun: true, previewSize: 2, runId: 'plan-dry-test' });
  t.match(report, { asOf: A, lakeEnd: A, dryRun: true, trigger: 'cli' });
  t.same(report.campaigns.map((c) => c.campaignId), ['welcome', 'first_visit_nudge', 'habit', 'win_back', 'milestone', 'leaderboard_climb'], 'Monday\'s campaigns: the daily ones and the leaderboard');

  const winBack = report.campaigns.find((c) => c.campaignId === 'win_back');
  const planned = ['W14', 'W14L', 'W42'];
  const held = planned.filter((m) => inHoldout(m)).length;
  t.match(winBack, {
    kind: 'marketing', topic: 'win_back', template: 'win_back',
    audience: 5, excluded: null, invalid: 2, expired: 0, planned: 3, queued: 0, inHoldout: held, holdoutShare: held / 3,
    byLocation: { downtown: { audience: 5, planned: 3 } },
    frequency: { rule: 'not contacted by win_back in the last 30 days', since: '2026-05-16T04:00:00.000Z', checked: false },
    expiresAt: '2026-06-18T04:00:00.000Z',
  });
  t.same(winBack?.invalidRows, [
    { memberId: 'BADMAIL', reason: 'to must match format "email"' },
    { memberId: 'NOMAIL', reason: 'no email address' },
  ], 'invalid rows named, with the reason and without the address');
  t.same(winBack?.preview.map((p) => p.dedupeKey), ['win_back:W14:2026-05-31', 'win_back:W14L:2026-05-31'], 'the first members with their dedupe keys');
  t.match(report.campaigns.find((c) => c.campaignId === 'welcome'), { kind: 'transactional', audience: 3, planned: 3, inHoldout: 0, holdoutShare: null });
  t.match(report.campaigns.find((c) => c.campaignId === 'leaderboard_climb'), { audience: 2, excluded: 0, frequency: null, byLocation: { harbor: { audience: 2, planned: 2 } } });
  t.match(report.totals, { audience: 3 + 3 + 2 + 5 + 4 + 2, invalid: 2, planned: 3 + 3 + 2 + 3 + 4 + 2, queued: 0 });

  const half = await planCampaigns({ ...base, dryRun: true, campaigns: ['win_back'], holdoutShare: 0.5 });
  t.equal(half.campaigns[0]?.inHoldout, planned.filter((m) => inHoldout(m, 0.5)).length, 'counted with HOLDOUT_SHARE');

  const json = JSON.stringify(reportJson(report));
  t.notMatch(json, /@example\.com|not-an-email/, 'no address in the report');
  t.equal(reportJson(report).requests, report.requests.length, 'the JSON form counts the requests');
  t.same(await drain(), [], 'nothing queued');
  t.equal(await getRun(doc, campaignRunsTable(), 'plan-dry-test'), undefined, 'nothing recorded');
});

t.test('requests: valid against the contract, one per (campaign, member, period), the same keys when the day is planned again', async (t) => {
  const first = await planCampaigns({ ...base, dryRun: true });
  const second = await planCampaigns({ ...base, dryRun: true, now: () => new Date(NOW.getTime() + 3_600_000) });
  t.not(first.runId, second.runId, 'each run has its own id');
  t.match(first.runId, /^plan-2026-06-14-[0-9a-z]{6}$/);
  t.same(keysOf(first.requests), keysOf(second.requests), 'identical dedupe keys');
  t.equal(new Set(keysOf(first.requests)).size, first.requests.length, 'one request per key');
  t.equal(new Set(first.requests.map((r) => r.requestId)).size, first.requests.length, 'request ids unique');
  for (const r of first.requests) {
    assertValid(emailRequest, r, `request ${r.dedupeKey}`);
    t.notOk(r.dedupeKey.includes(first.runId), `${r.dedupeKey}: no run id in the key`);
    t.equal(r.runId, first.runId);
  }
  t.match(first.requests.find((r) => r.dedupeKey === 'win_back:W14:2026-05-31'), {
    type: 'email-request', version: 1, campaignId: 'win_back', kind: 'marketing', topic: 'win_back', template: 'win_back', memberId: 'W14',
    to: 'w14@example.com', locationId: 'downtown', requestedAt: NOW.toISOString(), expiresAt: '2026-06-18T04:00:00.000Z',
    conditions: { noVisitSince: '2026-05-31T11:15:00.000Z', activeMember: true },
  });
  t.match(first.requests.find((r) => r.memberId === 'J1'), { dedupeKey: 'welcome:J1:once', kind: 'transactional', topic: 'onboarding' });
  t.match(first.requests.find((r) => r.memberId === 'M50'), { dedupeKey: 'milestone:M50:50', topic: 'milestones' });
  t.match(first.requests.find((r) => r.memberId === 'LB1'), { dedupeKey: 'leaderboard_climb:LB1:2026-W24', topic: 'leaderboard', variables: { oldRank: 3, newRank: 2 } });
});

t.test('the frequency rule: members the campaign contacted recently are excluded, asked per campaign since the right instant', async (t) => {
  const asked: [string, string][] = [];
  const recent: RecentRecipients = async (campaign, since) => {
    asked.push([campaign, since]);
    return new Set(campaign === 'win_back' ? ['W14', 'SOMEONE_ELSE'] : campaign === 'habit' ? ['H3'] : []);
  };
  const report = await planCampaigns({ ...base, dryRun: true, recentRecipients: recent });
  t.same(asked.sort(), [
    ['first_visit_nudge', '2026-06-12T04:00:00.000Z'],
    ['habit', '2026-06-12T04:00:00.000Z'],
    ['milestone', '2026-06-12T04:00:00.000Z'],
    ['welcome', '2026-06-12T04:00:00.000Z'],
    ['win_back', '2026-05-16T04:00:00.000Z'],
  ], 'win_back: 30 days to the as-of day; the catch-up campaigns: since their window began; the leaderboard has no rule');
  t.match(report.campaigns.find((c) => c.campaignId === 'win_back'), { audience: 5, excluded: 1, invalid: 2, planned: 2, frequency: { checked: true } });
  t.match(report.campaigns.find((c) => c.campaignId === 'habit'), { audience: 2, excluded: 1, planned: 1 });
  t.notOk(report.requests.some((r) => r.memberId === 'W14' && r.campaignId === 'win_back'), 'W14 not planned');
  t.ok(report.requests.some((r) => r.memberId === 'W14L'), 'W14L still is');
});

t.test('a member an audience lists twice is one member and one email', async (t) => {
  const doubled: QueryEngine = {
    name: 'duckdb',
    query: async (text, options) => {
      const r = await engine.query(text, options);
      return text.includes('dim_members') ? { ...r, rows: [...r.rows, ...r.rows] } : r;
    },
    close: async () => undefined,
  };
  const report = await planCampaigns({ ...base, engine: doubled, dryRun: true, campaigns: ['welcome'] });
  t.match(report.campaigns[0], { audience: 3, planned: 3, byLocation: { downtown: { audience: 3, planned: 3 } } });
  t.equal(report.requests.length, 3);
});

t.test('a replay long after the day: everything expired, counted, nothing queued', async (t) => {
  const report = await planCampaigns({ ...real(), now: () => new Date('2026-06-25T10:00:00Z'), campaigns: ['win_back', 'welcome'], runId: 'plan-stale-test' });
  t.match(report.campaigns, [{ campaignId: 'welcome', audience: 3, expired: 3, planned: 0, queued: 0 }, { campaignId: 'win_back', audience: 5, invalid: 2, expired: 3, planned: 0 }]);
  t.same(await drain(), []);
  t.match(await getRun(doc, campaignRunsTable(), 'plan-stale-test'), { outcome: 'succeeded', totals: { expired: 6, queued: 0 } }, 'still recorded');
});

t.test('what cannot be planned, said with what to do', async (t) => {
  await t.rejects(planCampaigns({ ...base, dryRun: true, asOf: '2026-06-15' }), { name: 'PlanInputError', message: /after the lake's last day with check-ins \(2026-06-14\).*plan 2026-06-14 or earlier/ });
  await t.rejects(planCampaigns({ ...base, dryRun: true, asOf: '14/06/2026' }), PlanInputError);
  await t.rejects(planCampaigns({ ...base, dryRun: true, campaigns: ['win_back', 'winback'] }), {
    message: 'unknown campaign "winback"; the campaigns are welcome, first_visit_nudge, habit, win_back, milestone, location_news, leaderboard_climb',
  });
  await t.rejects(planCampaigns({ ...base, dryRun: true, campaigns: ['location_news'] }), { message: /location_news needs an announcement.*--announce/ });
  await t.rejects(planCampaigns({ ...base, dryRun: true, campaigns: ['win_back'], announcement: HARBOR_NEWS }), { message: /only used by location_news/ });
  await t.rejects(planCampaigns({ ...base, dryRun: true, announcement: { ...HARBOR_NEWS, locationId: 'habour' } }), new AnnouncementError('no member has "habour" as home studio; the studios are downtown, harbor, riverside'));
  await t.rejects(planCampaigns({ ...base, sqs, dynamo: doc }), { name: 'PlanInputError', message: /needs recentRecipients \(the send ledger\); a dry run needs none/ });
  const empty = new DuckDbEngine({ lakeRoot: t.testdir(), timeZone: ZONE });
  t.teardown(() => empty.close());
  await t.rejects(planCampaigns({ ...base, engine: empty, dryRun: true }), new EmptyLakeError('the lake has no check-ins yet: load data first (the studios\' exports through ingest; locally `npm start` loads the samples)'));
});

t.test('a real run puts exactly the planned requests on the queue and records the run; a replay gives the same keys', async (t) => {
  const progress: [number, number][] = [];
  const report = await planCampaigns(real({ trigger: 'schedule', queue: { retryDelayMs: 1, onProgress: (done, total) => progress.push([done, total]) } }));
  const onQueue = await drain();
  t.equal(onQueue.length, report.requests.length, `${report.requests.length} messages`);
  t.same([...onQueue].sort((a, b) => a.requestId.localeCompare(b.requestId)), [...report.requests].sort((a, b) => a.requestId.localeCompare(b.requestId)), 'exactly the planned requests');
  for (const m of onQueue) assertValid(emailRequest, m, 'message');
  t.same(progress.at(-1), [report.requests.length, report.requests.length], 'progress reported up to the end');
  t.equal(report.totals.queued, report.totals.planned);

  const item = await getRun(doc, campaignRunsTable(), report.runId);
  t.match(item, {
    runId: report.runId, asOf: A, trigger: 'schedule', outcome: 'succeeded', startedAt: NOW.toISOString(),
    campaigns: {
      win_back: { audience: 5, excluded: 0, invalid: 2, expired: 0, planned: 3, queued: 3 },
      welcome: { audience: 3, planned: 3, queued: 3, inHoldout: 0 },
      leaderboard_climb: { audience: 2, queued: 2 },
    },
    totals: { planned: report.requests.length, queued: report.requests.length, invalid: 2 },
  });
  t.notOk(item?.error);
  t.equal(item?.expiresAtEpoch, Math.floor(NOW.getTime() / 1000) + 400 * 86_400, 'kept 400 days (TTL)');

  const replay = await planCampaigns(real());
  const again = await drain();
  t.not(replay.runId, report.runId);
  t.same(keysOf(again), keysOf(onQueue), 'the replay asks for the same emails: the notifier sends nothing new');
  t.ok(await getRun(doc, campaignRunsTable(), replay.runId), 'each run recorded');
});

t.test('location news: the announcement to its studio', async (t) => {
  const report = await planCampaigns(real({ announcement: HARBOR_NEWS, campaigns: ['location_news'] }));
  const onQueue = await drain();
  t.same(keysOf(onQueue), ['LB1', 'LB2', 'LB3', 'LB5'].map((m) => `location_news:${m}:harbor-reopening`));
  t.match(onQueue[0], { topic: 'location_news', template: 'location_news', variables: { title: HARBOR_NEWS.title, body: HARBOR_NEWS.body } });
  t.match(await getRun(doc, campaignRunsTable(), report.runId), { announcementId: 'harbor-reopening', campaigns: { location_news: { queued: 4 } } });
});

/** The real queue behind a stand-in that refuses some entries of each SendMessageBatch. */
function refusingSqs(refuse: (id: string, attempt: number) => boolean, calls: number[]): SQSClient {
  const attempts = new Map<string, number>();
  return {
    send: async (command: unknown) => {
      if (!(command instanceof SendMessageBatchCommand)) return sqs.send(command as never);
      const entries = command.input.Entries ?? [];
      calls.push(entries.length);
      const refused = entries.filter((e) => {
        const n = (attempts.get(e.Id as string) ?? 0) + 1;
        attempts.set(e.Id as string, n);
        return refuse(e.Id as string, n);
      });
      const taken = entries.filter((e) => !refused.includes(e));
      const out: SendMessageBatchCommandOutput = taken.length
        ? await sqs.send(new SendMessageBatchCommand({ ...command.input, Entries: taken }))
        : { Successful: [], Failed: [], $metadata: {} };
      return { ...out, Failed: [...(out.Failed ?? []), ...refused.map((e) => ({ Id: e.Id, Code: 'InternalError', Message: 'try again', SenderFault: false }))] };
    },
  } as unknown as SQSClient;
}

t.test('SendMessageBatch: 10 per call; entries SQS failed are sent again, and only they', async (t) => {
  const calls: number[] = [];
  const flaky = refusingSqs((id, attempt) => attempt === 1 && Number(id) % 4 === 1, calls);
  const report = await planCampaigns(real({ sqs: flaky }));
  const onQueue = await drain();
  t.equal(onQueue.length, report.requests.length, 'every request on the queue once');
  t.same(keysOf(onQueue), keysOf(report.requests));
  t.ok(calls.every((n) => n <= 10), 'never more than 10 per call');
  t.equal(calls.filter((n) => n === 10).length, Math.floor(report.requests.length / 10), 'full batches of 10');
  t.ok(calls.length > Math.ceil(report.requests.length / 10), 'and retries of the refused entries');
});

t.test('requests SQS keeps refusing: the run fails with a clear error and is recorded as failed', async (t) => {
  const flaky = refusingSqs((id) => Number(id) < 2, []);
  const failed = planCampaigns(real({ sqs: flaky, campaigns: ['welcome', 'win_back'], runId: 'plan-refused-test' }));
  await t.rejects(failed, QueueingError);
  await t.rejects(failed, {
    message: /^2 of 6 email requests did not reach the email-requests queue after retries \(InternalError: try again \(after 3 sends\)\); 4 did\. Plan 2026-06-14 again once SQS answers: the same dedupe keys come back/,
    notQueued: 2,
    queued: 4,
  });
  t.equal((await drain()).length, 4, 'the others are on the queue');
  t.match(await getRun(doc, campaignRunsTable(), 'plan-refused-test'), {
    outcome: 'failed', error: /2 of 6 email requests did not reach/, campaigns: { welcome: { planned: 3, queued: 1 }, win_back: { planned: 3, queued: 3 } },
  });
});

t.test('queueRequests: an entry refused as our fault is not retried; a call that fails as a whole is', async (t) => {
  const requests = (await planCampaigns({ ...base, dryRun: true, campaigns: ['welcome'] })).requests;
  let calls = 0;
  const ours = {
    send: async (command: SendMessageBatchCommand) => {
      calls++;
      const entries = command.input.Entries ?? [];
      if (calls === 1) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return { Successful: entries.slice(1).map((e) => ({ Id: e.Id })), Failed: [{ Id: entries[0]?.Id, Code: 'InvalidMessageContents', SenderFault: true }] };
    },
  } as unknown as SQSClient;
  const result = await queueRequests(ours, queueUrl, requests, { retryDelayMs: 1 });
  t.equal(calls, 2, 'the failed call sent again, the refused entry not');
  t.same([...result.queued].sort(), [1, 2]);
  t.same(result.failed, [{ index: 0, reason: 'InvalidMessageContents (refused as our fault, not retried)' }]);
});

t.test('a run that cannot be recorded says what was queued', async (t) => {
  const broken = { send: async (c: PutCommand) => { throw new Error(`no table ${c.input.TableName}`); } } as unknown as DynamoDBDocumentClient;
  await t.rejects(planCampaigns(real({ dynamo: broken, campaigns: ['welcome'], runId: 'plan-unrecorded' })), {
    message: 'the run plan-unrecorded queued 3 of 3 requests but could not be recorded in campaign-runs: no table campaign-runs',
  });
  t.equal((await drain()).length, 3);
});
