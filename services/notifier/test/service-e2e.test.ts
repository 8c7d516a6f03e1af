/**
 * The notifier as it runs: a lake → the planner (POST /v1/campaign-runs) → SQS `email-requests` → the sender → the SES
 * sandbox → SES events through SNS → SQS `ses-events` → suppression. Real fauxqs, dynalite, DuckDB and the SES sandbox.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { DuckDbEngine } from '@peak/analytics';
import { inHoldout, queues } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@peak/local-stack';
import { Queues } from '@peak/service-kit';
import { buildForTest, localClients, useDynamoDb, useSqsEmulator } from '@peak/service-kit/testing';
import { startSesSandbox, wireSesEvents } from '@peak/ses-sandbox';
import { buildApp, readConfig } from '@peak/notifier';
import { writeCampaignWorld } from '../src/campaigns/fixtures.js';
import { localDay } from '../src/ledger/recipients.js';

const API_KEY = 'local-notifier-test-key-0123';
const auth = { authorization: `Bearer ${API_KEY}` };

t.test('campaigns end to end: planned, sent once, replayed without a second send, unsubscribes and bounces honoured', async (t) => {
  const zone = 'America/New_York';
  const asOf = localDay(new Date(Date.now() - 86_400_000), zone); // yesterday, so nothing planned is stale
  const lake = await mkdtemp(join(tmpdir(), 'peak-notifier-e2e-'));
  t.teardown(() => rm(lake, { recursive: true, force: true }));
  const world = await writeCampaignWorld(lake, asOf, zone);
  const engine = new DuckDbEngine({ lakeRoot: lake, timeZone: zone });
  t.teardown(() => engine.close());

  const emu = await useSqsEmulator(t);
  const db = await useDynamoDb(t);
  const sandbox = await startSesSandbox({ snsEndpoint: emu.endpoint, maxSendRate: 100 });
  t.teardown(() => sandbox.stop());
  const sqs = localClients.sqs(t, emu.endpoint);
  const ses = new SESv2Client({ region: LOCAL_REGION, endpoint: sandbox.endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1, requestHandler: { requestTimeout: 5_000, throwOnRequestTimeout: true } });
  t.teardown(() => ses.destroy());
  const sns = new SNSClient({ region: LOCAL_REGION, endpoint: emu.endpoint, credentials: LOCAL_CREDENTIALS });
  t.teardown(() => sns.destroy());
  await wireSesEvents({ ses, sns, sqs, configurationSet: 'peak-notifier', queueUrl: await new Queues(sqs).url(queues.sesEvents) });

  const config = readConfig({
    UNSUBSCRIBE_SIGNING_KEYS: 'test-unsubscribe-signing-key-0123456789',
    NOTIFIER_API_KEYS: API_KEY,
    PUBLIC_BASE_URL: 'https://notify.peakfitness.example',
    QUIET_HOURS: 'off',
    FREQUENCY_CAP: '5/7d',
    RECHECK_MAX_AGE_SECONDS: '0',
    STUDIO_TIME_ZONE: zone,
  });
  const app = await buildForTest(t, () => buildApp(config, { sqs, ses, dynamodb: localClients.dynamodb(t, db.endpoint), analytics: { engine } }));

  type Delivery = Record<'sent' | 'dropped' | 'suppressed' | 'capped' | 'failed' | 'unknown' | 'alreadyHandled' | 'awaiting', number>;
  type Status = { status: string; run: { totals: { queued: number } }; delivery: Delivery };
  const plan = async (body: object) => {
    const r = await app.inject({ method: 'POST', url: '/v1/campaign-runs', headers: auth, payload: body });
    t.equal(r.statusCode, 201, r.statusCode === 201 ? 'planned' : r.body);
    return r.json() as { runId: string; totals: { queued: number; planned: number } };
  };
  const finished = async (runId: string): Promise<Status> => {
    for (let i = 0; i < 600; i++) {
      const s = (await app.inject({ url: `/v1/campaign-runs/${runId}`, headers: auth })).json() as Status;
      if (s.status !== 'sending') return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${runId} did not finish in 60 s`);
  };
  const messagesTo = (address: string) => sandbox.sandbox.messages.list({ to: address });
  const member = (id: string) => world.members.find((m) => m.member_id === id) as { email: string; member_id: string; home_location_id: string };

  // A bounce and a complaint, scripted on two downtown members who will get the first announcement.
  sandbox.sandbox.outcomes.script(member('W14').email, 'hard_bounce');
  sandbox.sandbox.outcomes.script(member('N7').email, 'complaint');

  const first = await plan({ asOf, campaigns: ['win_back', 'welcome', 'milestone'] });
  t.ok(first.totals.queued > 0, `queued ${first.totals.queued}`);
  const done = await finished(first.runId);
  t.equal(done.status, 'finished', 'finished only once every email has an outcome');
  const sent = sandbox.sandbox.messages.list();
  t.equal(done.delivery.sent, sent.length, 'the report counts what SES accepted');
  t.equal(done.delivery.sent + done.delivery.dropped + done.delivery.suppressed + done.delivery.capped + done.delivery.failed + done.delivery.unknown, first.totals.queued, 'every queued email has an outcome');
  t.equal(done.delivery.failed + done.delivery.unknown, 0);
  for (const m of sent) {
    t.equal(m.headers.filter((h) => h.name === 'List-Unsubscribe').length, 1, `${m.to[0]}: one List-Unsubscribe`);
    t.equal(m.configurationSet, 'peak-notifier');
  }
  const winBack = (await app.inject({ url: '/v1/sends?campaignId=win_back', headers: auth })).json() as { sends: { memberId: string; state: string; reason?: string }[] };
  for (const s of winBack.sends) t.equal(s.state, inHoldout(s.memberId) ? 'dropped' : 'sent', `${s.memberId}: ${inHoldout(s.memberId) ? 'held out' : 'sent'}`);

  const replay = await plan({ asOf, campaigns: ['win_back', 'welcome', 'milestone'] });
  const replayed = await finished(replay.runId);
  t.equal(replayed.delivery.alreadyHandled, replay.totals.queued, 'a replayed planner run: every email already handled');
  t.equal(sandbox.sandbox.messages.list().length, sent.length, 'and nothing new sent');

  // The first announcement: downtown's active, consenting members.
  const news = (id: string) => ({ asOf, campaigns: ['location_news'], announcement: { id, locationId: 'downtown', title: 'New spin bikes', body: 'They arrive on Monday.\n\nCome and try them.' } });
  const a1 = await finished((await plan(news('bikes'))).runId);
  t.equal(a1.status, 'finished');
  await sandbox.settled();
  const w14 = member('W14').email;
  const n7 = member('N7').email;
  const sendsBefore = sandbox.sandbox.messages.list().length;
  // SES events arrive through SNS → SQS: wait until the bounce and the complaint are on the suppression list.
  for (let i = 0; i < 100 && !((await app.notifier.suppressions.get(w14)) && (await app.notifier.suppressions.get(n7))); i++) await new Promise((r) => setTimeout(r, 100));
  t.equal((await app.notifier.suppressions.get(w14))?.reason, 'HARD_BOUNCE', 'a hard bounce suppresses the address');
  t.equal((await app.notifier.suppressions.get(n7))?.reason, 'COMPLAINT', 'a complaint too');

  // One member unsubscribes through the link in the announcement they got.
  const reader = world.members.find((m) => m.home_location_id === 'downtown' && messagesTo(String(m.email)).some((x) => x.subject?.includes('New spin bikes')) && ![w14, n7].includes(String(m.email)));
  t.ok(reader, 'someone downtown got the announcement');
  const link = messagesTo(String(reader?.email)).find((x) => x.subject?.includes('New spin bikes'))?.headers.find((h) => h.name === 'List-Unsubscribe')?.value ?? '';
  const path = new URL(link.slice(1, -1)).pathname;
  const click = await app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
  t.equal(click.statusCode, 200);

  const a2 = await finished((await plan(news('pool'))).runId);
  t.equal(a2.status, 'finished');
  const pool = sandbox.sandbox.messages.list().slice(sendsBefore);
  const got = new Set(pool.flatMap((m) => m.to));
  t.notOk(got.has(String(reader?.email)), 'the member who unsubscribed gets no second announcement');
  t.notOk(got.has(w14), 'nor the bounced address');
  t.notOk(got.has(n7), 'nor the complaining one');
  const reasons = (id: string) => app.notifier.ledger.get(`location_news:${id}:pool`).then((e) => e?.reason);
  t.equal(await reasons(String(reader?.member_id)), 'UNSUBSCRIBED');
  t.equal(await reasons('W14'), 'HARD_BOUNCE');
  t.equal(await reasons('N7'), 'COMPLAINT');

  await sandbox.settled();
  const rates = (await app.inject({ url: '/v1/deliverability', headers: auth })).json() as { totals: { sends: number; hardBounces: number; complaints: number } };
  for (let i = 0; i < 50 && rates.totals.sends < sandbox.sandbox.messages.list().length; i++) await new Promise((r) => setTimeout(r, 100));
  t.match(rates.totals, { hardBounces: 1, complaints: 1 }, 'each event counted once');
});
