import t from 'tap';
import { CreateConfigurationSetCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inHoldout, tables, type EmailRequest } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@peak/local-stack';
import { localClients, useDynamoDb } from '@peak/service-kit/testing';
import { startSesSandbox } from '@peak/ses-sandbox';
import { requestRenderer } from '../src/app.js';
import { RecipientStore } from '../src/ledger/recipients.js';
import { SendLedger } from '../src/ledger/send-ledger.js';
import { SuppressionStore } from '../src/ledger/suppressions.js';
import type { MemberActivity, MemberState } from '../src/sender/member-activity.js';
import { SendPacer } from '../src/sender/pacer.js';
import { parseQuietHours } from '../src/sender/quiet-hours.js';
import { decodeTagValue, handleEmailRequest, type SenderDeps } from '../src/sender/send-request.js';
import { UnsubscribeTokens } from '../src/unsubscribe/tokens.js';
import { emailRequestFor } from './helpers.js';

/** Member ids on each side of the holdout, found by the same function the notifier uses. */
const ids = Array.from({ length: 400 }, (_, i) => `S${String(i).padStart(4, '0')}`);
const outside = ids.filter((id) => !inHoldout(id));
const heldOut = ids.find((id) => inHoldout(id)) as string;

t.test('sending one email request (SES sandbox, dynalite)', async (t) => {
  const db = await useDynamoDb(t, [tables.emailSends, tables.emailRecipients, tables.emailSuppressions]);
  const ses = await startSesSandbox({ maxSendRate: 1000 });
  t.teardown(() => ses.stop());
  const doc = DynamoDBDocumentClient.from(localClients.dynamodb(t, db.endpoint));
  const client = new SESv2Client({ region: LOCAL_REGION, endpoint: ses.endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1, requestHandler: { requestTimeout: 1_500, throwOnRequestTimeout: true } });
  t.teardown(() => client.destroy());
  await client.send(new CreateConfigurationSetCommand({ ConfigurationSetName: 'peak-notifier' }));
  let clock = Date.parse('2026-12-07T15:00:00Z'); // 10:00 in New York: outside quiet hours
  const members = new Map<string, MemberState>();
  const activity: MemberActivity = { lookup: async (memberIds) => new Map(memberIds.flatMap((id) => (members.has(id) ? [[id, members.get(id) as MemberState]] : []))) };
  const pacer = new SendPacer(1000, () => clock);
  t.teardown(() => pacer.stop());
  const logged: string[] = [];
  const deps: SenderDeps = {
    ledger: new SendLedger(doc, 'email-sends', { owner: 'test', leaseMs: 60_000, now: () => clock }),
    recipients: new RecipientStore(doc, 'email-recipients', () => clock),
    suppressions: new SuppressionStore(doc, 'email-suppressions'),
    activity,
    ses: client,
    pacer,
    tokens: new UnsubscribeTokens(['test-unsubscribe-signing-key-0123456789']),
    render: requestRenderer('Peak Fitness, 100 Summit Avenue, Springfield', 'https://peakfitness.example/book'),
    settings: {
      from: 'Peak Fitness <hello@peakfitness.example>',
      configurationSet: 'peak-notifier',
      publicBaseUrl: 'https://notify.peakfitness.example',
      timeZone: 'America/New_York',
      cap: { max: 2, days: 7, timeZone: 'America/New_York' },
      quietHours: parseQuietHours('21:00-08:00'),
      holdoutShare: 0.1,
      throttleRetries: 3,
      quotaPauseMs: 60_000,
    },
    now: () => clock,
    sleep: async () => undefined,
    log: { info: () => undefined, warn: (_o, m) => void logged.push(m), error: (_o, m) => void logged.push(m) },
  };
  let next = 0;
  const member = () => outside[next++] as string;
  const request = (overrides: Partial<EmailRequest> = {}) => {
    const id = overrides.memberId ?? member();
    members.set(id, { status: 'active', lastCheckInAt: '2026-11-20T18:00:00Z' });
    return emailRequestFor(id, { variables: { firstName: 'Ana', daysSinceLastVisit: 17 }, conditions: { noVisitSince: '2026-11-20T18:00:00Z', activeMember: true }, ...overrides, memberId: id });
  };
  const sentTo = (address: string) => ses.sandbox.messages.list({ to: address });

  t.test('a win-back goes out once, with the one-click headers, tags and configuration set', async (t) => {
    const req = request();
    const d = await handleEmailRequest(req, deps);
    t.same(d, { outcome: 'sent', action: 'delete' });
    const [message, ...more] = sentTo(req.to);
    t.equal(more.length, 0);
    t.ok(message);
    if (!message) return;
    const header = (name: string) => message.headers.filter((h) => h.name.toLowerCase() === name.toLowerCase()).map((h) => h.value);
    t.same(header('List-Unsubscribe-Post'), ['List-Unsubscribe=One-Click']);
    t.match(header('List-Unsubscribe'), [/^<https:\/\/notify\.peakfitness\.example\/u\/u1\.[A-Za-z0-9_-]+\.win_back\.[A-Za-z0-9_-]{43}>$/]);
    t.equal(message.configurationSet, 'peak-notifier');
    const tag = message.tags.find((x) => x.name === 'dedupe_key');
    t.equal(tag && decodeTagValue(tag.value), req.dedupeKey, 'the dedupe key travels as a tag');
    t.match(message.subject, /Ana/);
    t.match(message.text, /https:\/\/notify\.peakfitness\.example\/u\//, 'the text part has the unsubscribe link');
    t.match(message.html, /Peak Fitness Downtown/, 'the studio name from the location slug');
    const entry = await deps.ledger.get(req.dedupeKey);
    t.equal(entry?.state, 'sent');
    t.equal(entry?.messageId, message.messageId);
    t.same(await handleEmailRequest(req, deps), { outcome: 'duplicate', action: 'delete', reason: 'sent' }, 'a redelivery sends nothing');
    t.equal(sentTo(req.to).length, 1);
  });

  t.test('re-checks at send time: each reason recorded, nothing sent', async (t) => {
    const cases: [string, () => Promise<EmailRequest>, string, string][] = [
      ['came back since planning', async () => {
        const r = request();
        members.set(r.memberId, { status: 'active', lastCheckInAt: '2026-12-06T17:00:00Z' });
        return r;
      }, 'dropped', 'CAME_BACK'],
      ['frozen since planning', async () => {
        const r = request();
        members.set(r.memberId, { status: 'frozen', lastCheckInAt: '2026-11-20T18:00:00Z' });
        return r;
      }, 'dropped', 'NOT_ACTIVE'],
      ['a member the lake does not know', async () => {
        const r = request();
        members.delete(r.memberId);
        return r;
      }, 'dropped', 'UNKNOWN_MEMBER'],
      ['stale', async () => request({ expiresAt: '2026-12-07T14:59:59Z' }), 'dropped', 'EXPIRED'],
      ['in the holdout', async () => request({ memberId: heldOut }), 'dropped', 'HOLDOUT'],
      ['unsubscribed from the topic', async () => {
        const r = request();
        await deps.recipients.setSubscription(r.memberId, 'win_back', false, 'one-click');
        return r;
      }, 'suppressed', 'UNSUBSCRIBED'],
      ['unsubscribed from everything', async () => {
        const r = request();
        await deps.recipients.setSubscription(r.memberId, 'all', false, 'preferences page');
        return r;
      }, 'suppressed', 'UNSUBSCRIBED'],
      ['a hard-bounced address (any case)', async () => {
        const r = request();
        await deps.suppressions.add({ address: r.to.toUpperCase(), reason: 'HARD_BOUNCE', at: '2026-12-01T00:00:00Z' });
        return r;
      }, 'suppressed', 'HARD_BOUNCE'],
      ['a complaining address', async () => {
        const r = request();
        await deps.suppressions.add({ address: r.to, reason: 'COMPLAINT', at: '2026-12-01T00:00:00Z' });
        return r;
      }, 'suppressed', 'COMPLAINT'],
    ];
    for (const [what, make, state, reason] of cases) {
      const req = await make();
      const d = await handleEmailRequest(req, deps);
      t.same({ outcome: d.outcome, action: d.action, reason: d.reason }, { outcome: state, action: 'delete', reason }, what);
      t.equal((await deps.ledger.get(req.dedupeKey))?.reason, reason, `${what}: recorded with its reason`);
      t.equal(sentTo(req.to).length, 0, `${what}: not sent`);
    }
  });

  t.test('transactional mail ignores topics, holdout, cap and quiet hours, never suppression', async (t) => {
    const welcome = (id: string, key: string) => request({ memberId: id, dedupeKey: key, kind: 'transactional', campaignId: 'welcome', topic: 'onboarding', template: 'welcome', variables: { firstName: 'Bo' }, conditions: { activeMember: true } });
    await deps.recipients.setSubscription(heldOut, 'all', false, 'test');
    clock = Date.parse('2026-12-08T03:00:00Z'); // 22:00 in New York
    t.equal((await handleEmailRequest(welcome(heldOut, 'welcome:held:once'), deps)).outcome, 'sent', 'held-out, unsubscribed, at night: the welcome still goes');
    const bounced = member();
    const req = welcome(bounced, 'welcome:bounced:once');
    await deps.suppressions.add({ address: req.to, reason: 'HARD_BOUNCE', at: '2026-12-01T00:00:00Z' });
    t.equal((await handleEmailRequest(req, deps)).outcome, 'suppressed', 'a bounced address is never mailed');
    clock = Date.parse('2026-12-07T15:00:00Z');
  });

  t.test('quiet hours hold marketing mail until the window ends', async (t) => {
    clock = Date.parse('2026-12-08T02:30:00Z'); // 21:30 in New York
    const req = request();
    const d = await handleEmailRequest(req, deps);
    t.same(d, { outcome: 'held', action: 'hold', seconds: 10.5 * 3600, reason: 'quiet hours' });
    t.notOk(await deps.ledger.get(req.dedupeKey), 'nothing reserved while held');
    clock = Date.parse('2026-12-08T13:00:00Z'); // 08:00
    t.equal((await handleEmailRequest(req, deps)).outcome, 'sent', 'sent when the window opens');
    clock = Date.parse('2026-12-07T15:00:00Z');
  });

  t.test('the frequency cap: the third marketing email in 7 local days is capped, and recorded', async (t) => {
    const id = member();
    const r1 = request({ memberId: id, dedupeKey: `win_back:${id}:a` });
    const r2 = request({ memberId: id, dedupeKey: `milestone:${id}:10`, campaignId: 'milestone', topic: 'milestones', template: 'milestone', variables: { firstName: 'Ana', milestone: 10 }, conditions: { activeMember: true } });
    const r3 = request({ memberId: id, dedupeKey: `win_back:${id}:b` });
    t.equal((await handleEmailRequest(r1, deps)).outcome, 'sent');
    t.equal((await handleEmailRequest(r2, deps)).outcome, 'sent');
    const d3 = await handleEmailRequest(r3, deps);
    t.equal(d3.outcome, 'capped');
    t.equal((await deps.ledger.get(r3.dedupeKey))?.reason, 'FREQUENCY_CAP');
    t.equal(sentTo(r1.to).length, 2);
  });

  t.test('SES throttling and its own server errors are retried without a second send', async (t) => {
    const throttled = request();
    ses.sandbox.faults.add({ kind: 'throttle', count: 2 });
    t.equal((await handleEmailRequest(throttled, deps)).outcome, 'sent');
    t.equal(sentTo(throttled.to).length, 1);
    t.equal((await deps.ledger.get(throttled.dedupeKey))?.attempts, 3, 'two throttled calls, one accepted');
    const erroring = request();
    ses.sandbox.faults.add({ kind: 'server-error', count: 1 });
    t.equal((await handleEmailRequest(erroring, deps)).outcome, 'sent');
    t.equal(sentTo(erroring.to).length, 1);
    const stormy = request();
    ses.sandbox.faults.add({ kind: 'throttle', count: 10 });
    const d = await handleEmailRequest(stormy, deps);
    t.same({ outcome: d.outcome, action: d.action }, { outcome: 'retry', action: 'retry' }, 'still throttled after the retries: left for a later delivery');
    ses.sandbox.faults.clear();
    t.equal((await handleEmailRequest(stormy, deps)).outcome, 'sent', 'the later delivery sends it');
    t.equal(sentTo(stormy.to).length, 1);
  });

  t.test('a rejected message fails and gives its cap slot back', async (t) => {
    const id = member();
    const req = request({ memberId: id });
    ses.sandbox.faults.add({ kind: 'message-rejected', count: 1 });
    const d = await handleEmailRequest(req, deps);
    t.equal(d.outcome, 'failed');
    t.match((await deps.ledger.get(req.dedupeKey))?.detail, /MessageRejected/);
    t.same((await deps.recipients.get(id))?.marketing, [], 'no cap slot used');
  });

  t.test('accepted but no answer: unknown, never sent again', async (t) => {
    const req = request();
    ses.sandbox.faults.add({ kind: 'accept-then-hang', count: 1 });
    const d = await handleEmailRequest(req, deps);
    t.equal(d.outcome, 'unknown');
    t.equal((await deps.ledger.get(req.dedupeKey))?.reason, 'TIMEOUT');
    t.equal(sentTo(req.to).length, 1, 'SES has it');
    t.equal((await handleEmailRequest(req, deps)).outcome, 'duplicate', 'a redelivery does not send a second copy');
    t.equal(sentTo(req.to).length, 1);
    const reset = request();
    ses.sandbox.faults.add({ kind: 'accept-then-reset', count: 1 });
    t.equal((await handleEmailRequest(reset, deps)).outcome, 'unknown', 'a reset connection too');
  });

  t.test('daily quota spent: sending pauses, the message is held and sent after the pause', async (t) => {
    const req = request();
    ses.sandbox.faults.add({ kind: 'daily-quota', count: 1 });
    let paused = 0;
    pacer.once('paused', () => paused++);
    const d = await handleEmailRequest(req, deps);
    t.same({ outcome: d.outcome, action: d.action, seconds: d.seconds }, { outcome: 'held', action: 'hold', seconds: 60 });
    t.equal(paused, 1, 'the pacer paused');
    t.ok(pacer.pausedUntilMs > clock);
    const other = request();
    t.equal((await handleEmailRequest(other, deps)).outcome, 'held', 'everything waits while paused');
    t.notOk(await deps.ledger.get(other.dedupeKey));
    clock += 61_000;
    t.equal((await handleEmailRequest(req, deps)).outcome, 'sent', 'after the pause it goes');
    t.equal(sentTo(req.to).length, 1);
  });

  t.test('a template that cannot render fails with the reason, nothing sent', async (t) => {
    const req = request({ variables: { firstName: 'Ana' } }); // win_back needs daysSinceLastVisit
    const d = await handleEmailRequest(req, deps);
    t.equal(d.outcome, 'failed');
    t.match((await deps.ledger.get(req.dedupeKey))?.detail, /template: .*daysSinceLastVisit/);
  });
});
