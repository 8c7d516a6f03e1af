import t from 'tap';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tables } from '@peak/contracts';
import { localClients, useDynamoDb } from '@peak/service-kit/testing';
import { deliverability, DELIVERABILITY_THRESHOLDS } from '../src/events/deliverability.js';
import { EventStore } from '../src/events/event-store.js';

t.test('bounce and complaint rates over a rolling window, and their alarms', async (t) => {
  const db = await useDynamoDb(t, [tables.emailEvents]);
  const events = new EventStore(DynamoDBDocumentClient.from(localClients.dynamodb(t, db.endpoint)), 'email-events');
  const now = () => Date.parse('2026-12-07T12:00:00Z');

  t.same((await deliverability(events, { now })).status, 'low_volume', 'no mail: low volume, no alarm');

  await events.count('2026-12-01', 'sends', 150); // 6 days back: inside a 7-day window
  await events.count('2026-12-01', 'deliveries', 150);
  await events.count('2026-11-30', 'sends', 1000); // 7 days back: outside
  await events.count('2026-12-07', 'sends', 100);
  await events.count('2026-12-07', 'deliveries', 99);
  await events.count('2026-12-07', 'complaints', 1);
  await events.count('2026-12-07', 'softBounces', 3);
  let d = await deliverability(events, { now });
  t.match(d, { from: '2026-12-01', to: '2026-12-07', totals: { sends: 250, deliveries: 249, complaints: 1, hardBounces: 0, softBounces: 3 } });
  t.equal(d.days.length, 7);
  t.equal(d.complaintRate, 1 / 249);
  t.equal(d.bounceRate, 0, 'soft bounces are not in the bounce rate');
  t.equal(d.status, 'alarm', `complaints at ${(100 / 249).toFixed(2)}% ≥ ${DELIVERABILITY_THRESHOLDS.complaintRate * 100}%`);
  t.match(d.alarms, [/complaint rate 0\.40% over 7 days/]);

  await events.count('2026-12-07', 'deliveries', 1000);
  await events.count('2026-12-07', 'sends', 1000);
  d = await deliverability(events, { now });
  t.equal(d.status, 'ok', `1 complaint in ${d.totals.deliveries} deliveries is under 0.1%`);
  await events.count('2026-12-06', 'hardBounces', 30);
  d = await deliverability(events, { now });
  t.equal(d.status, 'alarm');
  t.match(d.alarms, [/bounce rate 2\.40%/]);
  t.equal((await deliverability(events, { now, days: 1 })).totals.hardBounces, 0, 'a one-day window leaves yesterday out');
});
