import t from 'tap';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tables } from '@peak/contracts';
import { localClients, useDynamoDb } from '@peak/service-kit/testing';
import { RecipientStore } from '../src/ledger/recipients.js';
import { SendLedger } from '../src/ledger/send-ledger.js';
import { SuppressionStore } from '../src/ledger/suppressions.js';
import { emailRequestFor } from './helpers.js';

t.test('send ledger (DynamoDB, through dynalite)', async (t) => {
  const db = await useDynamoDb(t, [tables.emailSends, tables.emailRecipients, tables.emailSuppressions]);
  const doc = DynamoDBDocumentClient.from(localClients.dynamodb(t, db.endpoint));
  let clock = Date.parse('2026-12-07T10:00:00Z');
  const now = () => clock;
  const ledger = (owner: string, leaseMs = 60_000) => new SendLedger(doc, 'email-sends', { owner, leaseMs, now });
  const a = ledger('a');
  const b = ledger('b');

  t.test('a key is reserved once; a live lease makes others wait; a decided key is a duplicate', async (t) => {
    const req = emailRequestFor('M1');
    const first = await a.reserve(req);
    t.equal(first.outcome, 'acquired');
    t.equal((await b.reserve(req)).outcome, 'busy', 'another owner finds it busy while the lease lives');
    t.equal(await b.markSending(req.dedupeKey), false, 'only the owner may mark it sending');
    t.ok(await a.markSending(req.dedupeKey));
    t.ok(await a.finish(req.dedupeKey, 'sent', { messageId: 'ses-1' }));
    const again = await b.reserve(req);
    t.equal(again.outcome, 'duplicate');
    t.equal(again.entry.state, 'sent');
    t.equal(again.entry.messageId, 'ses-1');
    t.equal((await a.reserve(req)).outcome, 'duplicate', 'the owner too: a redelivery to the same consumer');
    const entry = await a.get(req.dedupeKey);
    t.equal(entry?.duplicates, 2, 'duplicate deliveries are counted');
    t.equal(entry?.attempts, 1);
    t.equal(await a.finish(req.dedupeKey, 'failed'), false, 'a decided key cannot be decided again');
  });

  t.test('ten consumers racing for one key: exactly one acquires it', async (t) => {
    const req = emailRequestFor('M2');
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger(`racer-${i}`).reserve(req)));
    t.equal(results.filter((r) => r.outcome === 'acquired').length, 1);
    t.equal(results.filter((r) => r.outcome === 'busy').length, 9);
  });

  t.test('an owner that died before the SES call: the key is taken over after its lease', async (t) => {
    const req = emailRequestFor('M3');
    const dead = ledger('dead', 1_000);
    t.equal((await dead.reserve(req)).outcome, 'acquired');
    clock += 1_001;
    const taken = await b.reserve(req);
    t.equal(taken.outcome, 'acquired');
    t.ok(taken.outcome === 'acquired' && taken.takenOver, 'taken over');
    t.equal(await dead.markSending(req.dedupeKey), false, 'the old owner can no longer send it');
    t.ok(await b.markSending(req.dedupeKey), 'the new owner can');
  });

  t.test('an owner that died during the SES call: the key becomes unknown, never resent', async (t) => {
    const req = emailRequestFor('M4');
    const dead = ledger('dead', 1_000);
    await dead.reserve(req);
    t.ok(await dead.markSending(req.dedupeKey));
    clock += 1_001;
    const r = await b.reserve(req);
    t.equal(r.outcome, 'ambiguous');
    t.equal(r.entry.state, 'unknown');
    t.equal(r.entry.reason, 'INTERRUPTED');
    t.equal((await a.reserve(req)).outcome, 'duplicate', 'and stays decided');
    t.ok(await a.confirmSent(req.dedupeKey, 'ses-late', '2026-12-07T10:00:05Z'), 'an SES event confirms it was sent');
    const entry = await a.get(req.dedupeKey);
    t.equal(entry?.state, 'sent');
    t.equal(entry?.messageId, 'ses-late');
    t.equal(await a.confirmSent(req.dedupeKey, 'ses-late', '2026-12-07T10:00:05Z'), false, 'a second confirmation changes nothing');
  });

  t.test('a throttled call is given back: kept by its owner, or handed to the next delivery', async (t) => {
    const req = emailRequestFor('M5');
    await a.reserve(req);
    await a.markSending(req.dedupeKey);
    t.ok(await a.release(req.dedupeKey, 'throttled', { keepLease: true }));
    t.equal((await b.reserve(req)).outcome, 'busy', 'kept: the owner retries in a moment');
    t.ok(await a.markSending(req.dedupeKey), 'the owner calls again');
    t.ok(await a.release(req.dedupeKey, 'throttled 5 times', { keepLease: false }));
    const next = await b.reserve(req);
    t.equal(next.outcome, 'acquired', 'given up: the next delivery takes it at once');
    t.ok(await b.markSending(req.dedupeKey));
    t.equal((await b.get(req.dedupeKey))?.attempts, 3, 'every SES call counted');
  });

  t.test('the send log by member, campaign and run; recent recipients', async (t) => {
    const l = ledger('log');
    for (const [member, key, campaign] of [
      ['M10', 'win_back:M10:a', 'win_back'],
      ['M10', 'milestone:M10:10', 'milestone'],
      ['M11', 'win_back:M11:a', 'win_back'],
    ] as const) {
      clock += 1_000;
      await l.reserve(emailRequestFor(member, { dedupeKey: key, campaignId: campaign, runId: 'run-log' }));
      await l.markSending(key);
      await l.finish(key, 'sent', { messageId: `m-${key}` });
    }
    await l.reserve(emailRequestFor('M12', { dedupeKey: 'win_back:M12:a', runId: 'run-log' }));
    await l.finish('win_back:M12:a', 'suppressed', { reason: 'UNSUBSCRIBED' });
    const m10 = await l.byMember('M10');
    t.same(m10.map((e) => e.dedupeKey), ['win_back:M10:a', 'milestone:M10:10'], 'oldest first');
    t.same((await l.byMember('M10', { limit: 1 })).map((e) => e.dedupeKey), ['milestone:M10:10'], 'a limit keeps the newest');
    // M3 and M5 are mid-call (sending), M4 unknown-then-confirmed; M12 was suppressed and M2 never got past reserved.
    t.same([...(await l.recentRecipients('win_back', '2026-01-01T00:00:00Z'))].sort(), ['M1', 'M10', 'M11', 'M3', 'M4', 'M5'], 'sent, unknown or being sent');
    t.same((await l.byRun('run-log')).map((e) => e.state).sort(), ['sent', 'sent', 'sent', 'suppressed']);
    t.equal((await l.byCampaign('milestone')).length, 1);
  });
});

t.test('recipients: frequency cap and preferences', async (t) => {
  const db = await useDynamoDb(t, [tables.emailRecipients, tables.emailSuppressions]);
  const doc = DynamoDBDocumentClient.from(localClients.dynamodb(t, db.endpoint));
  let clock = Date.parse('2026-12-07T15:00:00Z'); // 10:00 in New York
  const store = new RecipientStore(doc, 'email-recipients', () => clock);
  const cap = { max: 2, days: 7, timeZone: 'America/New_York' };

  t.test('at most two per seven local days; the same key again is free; a released slot is reusable', async (t) => {
    t.equal((await store.claimCapSlot('C1', 'k1', cap)).outcome, 'claimed');
    t.equal((await store.claimCapSlot('C1', 'k1', cap)).outcome, 'claimed', 'the same key again (a retry) takes no second slot');
    t.equal((await store.claimCapSlot('C1', 'k2', cap)).outcome, 'claimed');
    const third = await store.claimCapSlot('C1', 'k3', cap);
    t.equal(third.outcome, 'capped');
    await store.releaseCapSlot('C1', 'k2');
    t.equal((await store.claimCapSlot('C1', 'k3', cap)).outcome, 'claimed', 'the released slot is free again');
  });

  t.test('the window is counted in local days of the studio zone', async (t) => {
    clock = Date.parse('2026-12-01T04:30:00Z'); // 23:30 on 30 November in New York
    await store.claimCapSlot('C2', 'old1', cap);
    await store.claimCapSlot('C2', 'old2', cap);
    clock = Date.parse('2026-12-07T04:30:00Z'); // 23:30 on 6 December: 30 November is 6 days back, still inside
    t.equal((await store.claimCapSlot('C2', 'new', cap)).outcome, 'capped');
    clock = Date.parse('2026-12-07T05:30:00Z'); // 00:30 on 7 December: 30 November has left the window
    t.equal((await store.claimCapSlot('C2', 'new', cap)).outcome, 'claimed');
    const item = await store.get('C2');
    t.same(item?.marketing.map((e) => e.key), ['new'], 'entries outside the window are pruned');
  });

  t.test('five sends to one member at once: exactly two take a slot', async (t) => {
    clock = Date.parse('2026-12-07T15:00:00Z');
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => new RecipientStore(doc, 'email-recipients', () => clock).claimCapSlot('C3', k, cap)));
    t.equal(results.filter((r) => r.outcome === 'claimed').length, 2);
    t.equal((await store.get('C3'))?.marketing.length, 2);
  });

  t.test('unsubscribes per topic and from everything; the preferences page', async (t) => {
    await store.setSubscription('C4', 'win_back', false, 'one-click');
    t.ok(await store.unsubscribedFrom('C4', 'win_back'));
    t.notOk(await store.unsubscribedFrom('C4', 'milestones'));
    const first = (await store.get('C4'))?.unsubscribed.win_back?.at;
    clock += 60_000;
    await store.setSubscription('C4', 'win_back', false, 'one-click');
    t.equal((await store.get('C4'))?.unsubscribed.win_back?.at, first, 'a second unsubscribe keeps the first time');
    await store.setPreferences('C4', ['win_back', 'milestones'], 'page');
    t.notOk(await store.unsubscribedFrom('C4', 'win_back'), 'ticked again: subscribed');
    t.ok(await store.unsubscribedFrom('C4', 'location_news'), 'unticked: unsubscribed');
    await store.setPreferences('C4', [], 'page');
    t.ok((await store.get('C4'))?.unsubscribed.all, 'nothing ticked: all');
    t.ok(await store.unsubscribedFrom('C4', 'milestones'));
    await store.setSubscription('C4', 'all', true, 'support');
    await store.setPreferences('C4', ['win_back', 'onboarding', 'milestones', 'location_news', 'leaderboard'], 'page');
    t.same((await store.get('C4'))?.unsubscribed, {}, 'everything ticked: nothing unsubscribed');
  });

  t.test('suppressions are by normalised address; the first reason stays', async (t) => {
    const s = new SuppressionStore(doc, 'email-suppressions');
    t.ok(await s.add({ address: ' Ana@Example.COM ', reason: 'HARD_BOUNCE', at: '2026-12-07T10:00:00Z' }));
    t.notOk(await s.add({ address: 'ana@example.com', reason: 'COMPLAINT', at: '2026-12-07T11:00:00Z' }));
    t.equal((await s.get('ANA@example.com'))?.reason, 'HARD_BOUNCE');
    await s.remove('ana@EXAMPLE.com');
    t.notOk(await s.get('ana@example.com'));
  });
});
