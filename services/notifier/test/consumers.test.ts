/**
 * The notifier's two queue consumers against malformed, oversized, duplicated and hostile messages: bad ones are never
 * deleted (they reach the dead-letter queue after the queue's receives, logged with the reason), good ones next to
 * them are handled, duplicates send once. Real fauxqs, dynalite and SES sandbox.
 */
import t from 'tap';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { inHoldout, queues } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, waitFor } from '@peak/local-stack';
import { Queues } from '@peak/service-kit';
import { buildForTest, localClients, useDynamoDb, useSqsEmulator } from '@peak/service-kit/testing';
import { startSesSandbox } from '@peak/ses-sandbox';
import { buildApp, readConfig } from '@peak/notifier';
import { encodeTagValue } from '../src/sender/send-request.js';
import { emailRequestFor } from './helpers.js';

t.test('consumers: malformed, oversized, duplicated and hostile messages', async (t) => {
  const emu = await useSqsEmulator(t);
  const db = await useDynamoDb(t);
  const sandbox = await startSesSandbox({ maxSendRate: 200 });
  t.teardown(() => sandbox.stop());
  const sqs = localClients.sqs(t, emu.endpoint);
  const ses = new SESv2Client({ region: LOCAL_REGION, endpoint: sandbox.endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  t.teardown(() => ses.destroy());
  const warnings: string[] = [];
  const logger = { level: 'warn', stream: { write: (line: string) => void warnings.push(line) } };
  const config = readConfig({ UNSUBSCRIBE_SIGNING_KEYS: 'test-unsubscribe-signing-key-0123456789', QUIET_HOURS: 'off', SES_CONFIGURATION_SET: 'none' });
  const app = await buildForTest(t, () => buildApp(config, { sqs, ses, dynamodb: localClients.dynamodb(t, db.endpoint), logger }));
  const q = new Queues(sqs);
  const requestsUrl = await q.url(queues.emailRequests);
  const eventsUrl = await q.url(queues.sesEvents);
  const send = (url: string, body: string) => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
  const notVisible = async (url: string) =>
    Number((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }))).Attributes?.ApproximateNumberOfMessagesNotVisible);

  const ids = Array.from({ length: 200 }, (_, i) => `Q${i}`).filter((id) => !inHoldout(id));
  const welcome = (id: string) =>
    emailRequestFor(id, { dedupeKey: `welcome:${id}:once`, campaignId: 'welcome', kind: 'transactional', topic: 'onboarding', template: 'welcome', variables: { firstName: 'Zoë' }, expiresAt: new Date(Date.now() + 86_400_000).toISOString() });

  t.test('email-requests', async (t) => {
    const good = welcome(ids[0] as string);
    const bad: [string, string][] = [
      ['not JSON', '{"type": "email-request", '],
      ['another message type', JSON.stringify({ ...welcome(ids[1] as string), type: 'raw-landed' })],
      ['a header injected into the address', JSON.stringify({ ...welcome(ids[2] as string), to: 'victim@example.com\r\nBcc: everyone@example.com' })],
      ['a dedupe key with spaces and newlines', JSON.stringify({ ...welcome(ids[3] as string), dedupeKey: 'welcome: x\n' })],
      ['an unknown template', JSON.stringify({ ...welcome(ids[4] as string), template: '../../etc/passwd' })],
      ['an oversized variable (200 kB)', JSON.stringify({ ...welcome(ids[5] as string), variables: { firstName: 'x'.repeat(200_000) } })],
      ['too many variables', JSON.stringify({ ...welcome(ids[6] as string), variables: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`v${i}`, i])) })],
      ['a prototype-polluting key', `{"__proto__":{"polluted":true},${JSON.stringify(welcome(ids[7] as string)).slice(1)}`],
      ['an extra field', JSON.stringify({ ...welcome(ids[8] as string), bcc: 'everyone@example.com' })],
    ];
    for (const [, body] of bad) await send(requestsUrl, body);
    for (let i = 0; i < 3; i++) await send(requestsUrl, JSON.stringify(good)); // duplicated delivery
    const hostileName = welcome(ids[9] as string);
    hostileName.variables.firstName = '<script>alert(1)</script>';
    await send(requestsUrl, JSON.stringify(hostileName));

    await waitFor('the good requests handled', async () => (app.notifier.stats?.sent ?? 0) + (app.notifier.stats?.duplicate ?? 0) >= 4, 30_000);
    await waitFor('the bad ones seen', async () => (app.notifier.stats?.invalid ?? 0) >= bad.length, 30_000);
    t.equal(sandbox.sandbox.messages.list({ to: good.to }).length, 1, 'three deliveries of one request: one email');
    t.equal(app.notifier.stats?.duplicate, 2);
    t.equal((await app.notifier.ledger.get(good.dedupeKey))?.duplicates, 2);
    const [hostile] = sandbox.sandbox.messages.list({ to: hostileName.to });
    t.notMatch(hostile?.html, /<script>/, 'a hostile name is escaped in the HTML');
    t.match(hostile?.html, /&lt;script&gt;/);
    t.equal(sandbox.sandbox.messages.list().length, 2, 'nothing else was sent: not to an injected Bcc, not for a refused request');
    t.equal(await notVisible(requestsUrl), bad.length, 'every malformed message left on the queue for its dead-letter queue');
    t.equal(({} as { polluted?: boolean }).polluted, undefined, 'no prototype pollution');
    const reasons = warnings.filter((w) => w.includes('email-request refused'));
    t.equal(reasons.length, bad.length, 'each refusal logged');
    t.match(reasons.join('\n'), /not JSON[\s\S]*must match format/);
  });

  t.test('ses-events: raw and enveloped; malformed ones left for the dead-letter queue', async (t) => {
    const event = (address: string, extra: object = {}) => ({
      eventType: 'Bounce',
      mail: { messageId: `m-${address}`, timestamp: new Date().toISOString(), destination: [address], tags: { dedupe_key: [encodeTagValue('nope:1:1')] } },
      bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: address }] },
      ...extra,
    });
    await send(eventsUrl, JSON.stringify(event('raw@example.com')));
    await send(eventsUrl, JSON.stringify({ Type: 'Notification', MessageId: 'n1', TopicArn: 'arn:aws:sns:us-east-1:000000000000:ses-events', Message: JSON.stringify(event('wrapped@example.com')) }));
    await send(eventsUrl, JSON.stringify(event('raw@example.com'))); // SNS delivers at least once
    const bad = [
      'not json',
      JSON.stringify({ Type: 'Notification', Message: '{broken' }),
      JSON.stringify({ ...event('x@example.com'), eventType: 'Exploded' }),
      JSON.stringify({ eventType: 'Bounce' }),
      JSON.stringify({ ...event('y@example.com'), mail: { messageId: 'm', timestamp: 'yesterday', destination: ['y@example.com'] } }),
    ];
    for (const body of bad) await send(eventsUrl, body);
    await waitFor('events handled', async () => (app.notifier.stats?.events ?? 0) >= 3 && (app.notifier.stats?.invalidEvents ?? 0) >= bad.length, 30_000);
    t.equal((await app.notifier.suppressions.get('raw@example.com'))?.reason, 'HARD_BOUNCE');
    t.equal((await app.notifier.suppressions.get('WRAPPED@example.com'))?.reason, 'HARD_BOUNCE', 'the SNS envelope is unwrapped');
    const day = new Date().toISOString().slice(0, 10);
    t.equal((await app.notifier.events.days([day]))[0]?.hardBounces, 2, 'a redelivered event is counted once');
    t.equal(await notVisible(eventsUrl), bad.length, 'the malformed events stay for the dead-letter queue');
    t.notOk(await app.notifier.suppressions.get('x@example.com'), 'nothing suppressed from a refused event');
  });
});
