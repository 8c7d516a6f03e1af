import t, { type Test } from 'tap';
import {
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  NotFoundException,
  BadRequestException,
  type EventType,
} from '@aws-sdk/client-sesv2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { assertValid, sesEvent } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startSqsEmulator } from '@peak/local-stack';
import type { SesEventJson } from '@peak/ses-sandbox';
import { admin, FROM, rejection, send, sesClient, simple, useSandbox } from './helper.js';

// One fauxqs (SQS + SNS) and one sandbox publishing to it, for the whole file.
const fauxqs = await startSqsEmulator({ queues: [] });
t.teardown(() => fauxqs.stop());
const sns = new SNSClient({ region: LOCAL_REGION, endpoint: fauxqs.endpoint, credentials: LOCAL_CREDENTIALS });
t.teardown(() => sns.destroy());
const sandbox = await useSandbox(t, { snsEndpoint: fauxqs.endpoint, maxSendRate: 1_000 });
const ses = sesClient(t, sandbox.endpoint);
const controls = admin(sandbox.endpoint);

const { TopicArn: topicArn = '' } = await sns.send(new CreateTopicCommand({ Name: 'ses-events' }));
/** A queue subscribed to `topic`, with or without RawMessageDelivery; answers its URL. */
async function subscribedQueue(name: string, raw: boolean, topic = topicArn): Promise<string> {
  const { QueueUrl = '' } = await fauxqs.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await fauxqs.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: Attributes?.QueueArn, Attributes: { RawMessageDelivery: String(raw) } }));
  return QueueUrl;
}
const rawQueue = await subscribedQueue('ses-events-raw', true);
const envelopeQueue = await subscribedQueue('ses-events-envelope', false);

const ALL: EventType[] = ['SEND', 'DELIVERY', 'BOUNCE', 'COMPLAINT'];
async function configurationSet(name: string, destinations: { name: string; types: EventType[]; enabled?: boolean; topic?: string }[]) {
  await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: name }));
  for (const d of destinations) {
    await ses.send(
      new CreateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: name,
        EventDestinationName: d.name,
        EventDestination: { Enabled: d.enabled ?? true, MatchingEventTypes: d.types, SnsDestination: { TopicArn: d.topic ?? topicArn } },
      }),
    );
  }
}
await configurationSet('notifier', [{ name: 'to-sns', types: ALL }]);

/** Every message waiting in a queue, oldest first, deleted as read (fauxqs enqueues on publish, so after a flush all are there). */
async function drain(QueueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await fauxqs.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return bodies;
    for (const m of Messages) {
      bodies.push(m.Body ?? '');
      await fauxqs.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

type Envelope = { Type: string; MessageId: string; TopicArn: string; Message: string; Timestamp: string; SignatureVersion: string; Signature: string; SigningCertURL: string; UnsubscribeURL: string };

/** The events both queues got, checked to be the same events in the same order (raw bodies vs enveloped ones). */
async function received(t: Test): Promise<SesEventJson[]> {
  await controls.flush();
  const raw = (await drain(rawQueue)).map((b) => JSON.parse(b) as SesEventJson);
  const envelopes = (await drain(envelopeQueue)).map((b) => JSON.parse(b) as Envelope);
  for (const e of envelopes) t.match(e, { Type: 'Notification', TopicArn: topicArn, Message: String, MessageId: String, Timestamp: String, SignatureVersion: '1' }, 'an SNS envelope');
  t.same(
    envelopes.map((e) => JSON.parse(e.Message) as unknown),
    raw,
    'the enveloped queue carries the same events, as a JSON string in Message',
  );
  for (const e of raw) assertValid(sesEvent, e, `${e.eventType} event`);
  return raw;
}

t.beforeEach(async () => {
  await controls.reset();
});

t.test('the configuration set and its destination read back through the SDK', async (t) => {
  const set = await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: 'notifier' }));
  t.match(set, { ConfigurationSetName: 'notifier', SendingOptions: { SendingEnabled: true } });
  const { EventDestinations } = await ses.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: 'notifier' }));
  t.same(EventDestinations, [{ Name: 'to-sns', Enabled: true, MatchingEventTypes: ALL, SnsDestination: { TopicArn: topicArn } }]);
  const dup = await rejection(
    ses.send(new CreateConfigurationSetEventDestinationCommand({ ConfigurationSetName: 'notifier', EventDestinationName: 'to-sns', EventDestination: { MatchingEventTypes: ['SEND'], SnsDestination: { TopicArn: topicArn } } })),
  );
  t.equal(dup.name, 'AlreadyExistsException');
  const missing = await rejection(ses.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: 'nope' })));
  t.ok(missing instanceof NotFoundException);
  const badArn = await rejection(
    ses.send(new CreateConfigurationSetEventDestinationCommand({ ConfigurationSetName: 'notifier', EventDestinationName: 'bad', EventDestination: { MatchingEventTypes: ['SEND'], SnsDestination: { TopicArn: 'not-an-arn' } } })),
  );
  t.ok(badArn instanceof BadRequestException, 'a TopicArn that is not one');
  const noTypes = await rejection(ses.send(new CreateConfigurationSetEventDestinationCommand({ ConfigurationSetName: 'notifier', EventDestinationName: 'bad', EventDestination: { MatchingEventTypes: [], SnsDestination: { TopicArn: topicArn } } })));
  t.ok(noTypes instanceof BadRequestException, 'no event types');
});

const tagged = (to: string) =>
  simple(to, {
    ConfigurationSetName: 'notifier',
    EmailTags: [
      { Name: 'dk', Value: 'k7q2x' },
      { Name: 'campaign', Value: 'win_back' },
    ],
    Content: {
      Simple: {
        Subject: { Data: 'We miss you' },
        Body: { Text: { Data: 'Come back' } },
        Headers: [
          { Name: 'List-Unsubscribe', Value: '<https://peak.example/u/t1>' },
          { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
        ],
      },
    },
  });

t.test('success@simulator: Send then Delivery, with the mail object SES publishes', async (t) => {
  const { MessageId } = await send(ses, tagged('success@simulator.amazonses.com'));
  const events = await received(t);
  t.same(
    events.map((e) => e.eventType),
    ['Send', 'Delivery'],
  );
  const [sent, delivered] = events;
  t.same(sent?.send, {}, 'send: {}');
  t.match(sent?.mail, {
    timestamp: String,
    source: FROM,
    sourceArn: 'arn:aws:ses:us-east-1:000000000000:identity/peakfitness.example',
    sendingAccountId: '000000000000',
    messageId: MessageId,
    destination: ['success@simulator.amazonses.com'],
    headersTruncated: false,
    commonHeaders: { from: [FROM], to: ['success@simulator.amazonses.com'], messageId: MessageId, subject: 'We miss you', date: String },
  });
  t.same(
    sent?.mail.tags,
    {
      'ses:operation': ['SendEmail'],
      'ses:configuration-set': ['notifier'],
      'ses:source-ip': ['127.0.0.1'],
      'ses:from-domain': ['peakfitness.example'],
      'ses:caller-identity': ['ses-sandbox'],
      dk: ['k7q2x'],
      campaign: ['win_back'],
    },
    "tags: SES's own and the message's, as {name: [value]}",
  );
  const headerNames = sent?.mail.headers.map((h) => h.name);
  t.same(headerNames, ['From', 'To', 'Subject', 'MIME-Version', 'Content-Type', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'Message-ID', 'Date'], 'the headers SES built, then ours');
  t.same(delivered?.mail, sent?.mail, 'the same mail object in every event');
  t.match(delivered?.delivery, { timestamp: String, processingTimeMillis: Number, recipients: ['success@simulator.amazonses.com'], smtpResponse: /^250 /, reportingMTA: String });
  t.ok(Date.parse(delivered?.delivery?.timestamp ?? '') > Date.parse(sent?.mail.timestamp ?? ''), 'delivered after it was sent');
  const counters = await controls.counters();
  t.match(counters, { sends: 1, events: { generated: { Send: 1, Delivery: 1 }, published: 2, publishFailures: 0, notPublished: 0, pending: 0 } });
  t.match((await controls.messages())[0]?.events, [{ eventType: 'Send', status: 'published', topics: [topicArn] }, { eventType: 'Delivery', status: 'published' }]);
});

t.test('ooto@simulator: delivered (the auto-reply is not modelled)', async (t) => {
  await send(ses, tagged('ooto@simulator.amazonses.com'));
  t.same(
    (await received(t)).map((e) => e.eventType),
    ['Send', 'Delivery'],
  );
});

t.test('bounce@simulator: Send then a Permanent/General Bounce', async (t) => {
  const { MessageId } = await send(ses, tagged('bounce@simulator.amazonses.com'));
  const events = await received(t);
  t.same(
    events.map((e) => e.eventType),
    ['Send', 'Bounce'],
  );
  t.match(events[1], {
    mail: { messageId: MessageId },
    bounce: {
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [{ emailAddress: 'bounce@simulator.amazonses.com', action: 'failed', status: '5.1.1', diagnosticCode: /^smtp; 550/ }],
      timestamp: String,
      feedbackId: /^0100[0-9a-f]{12}-/,
      reportingMTA: /^dsn; /,
    },
  });
});

t.test('complaint@simulator: Send, Delivery, then Complaint', async (t) => {
  await send(ses, tagged('complaint@simulator.amazonses.com'));
  const events = await received(t);
  t.same(
    events.map((e) => e.eventType),
    ['Send', 'Delivery', 'Complaint'],
  );
  t.match(events[2]?.complaint, {
    complainedRecipients: [{ emailAddress: 'complaint@simulator.amazonses.com' }],
    complaintFeedbackType: 'abuse',
    feedbackId: String,
    userAgent: 'Amazon SES Mailbox Simulator',
    timestamp: String,
    arrivalDate: String,
  });
});

t.test('suppressionlist@simulator: Send then a Permanent/OnAccountSuppressionList Bounce', async (t) => {
  await send(ses, tagged('suppressionlist@simulator.amazonses.com'));
  const events = await received(t);
  t.same(
    events.map((e) => e.eventType),
    ['Send', 'Bounce'],
  );
  t.match(events[1]?.bounce, { bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList', bouncedRecipients: [{ emailAddress: 'suppressionlist@simulator.amazonses.com' }] });
});

t.test('scripted addresses: soft bounce is Transient/MailboxFull; several messages keep their own order', async (t) => {
  await controls.outcome('full@example.com', 'soft_bounce');
  await controls.outcome('angry@example.com', 'complaint');
  const a = await send(ses, tagged('full@example.com'));
  const b = await send(ses, tagged('angry@example.com'));
  const c = await send(ses, tagged('fine@example.com'));
  const events = await received(t);
  t.same(
    events.map((e) => `${e.mail.messageId === a.MessageId ? 'a' : e.mail.messageId === b.MessageId ? 'b' : e.mail.messageId === c.MessageId ? 'c' : '?'}:${e.eventType}`),
    ['a:Send', 'a:Bounce', 'b:Send', 'b:Delivery', 'b:Complaint', 'c:Send', 'c:Delivery'],
  );
  t.match(events[1]?.bounce, { bounceType: 'Transient', bounceSubType: 'MailboxFull', bouncedRecipients: [{ emailAddress: 'full@example.com', status: /^4\./ }] });
  t.equal(events[4]?.complaint?.userAgent, 'ses-sandbox');
});

t.test('MatchingEventTypes and Enabled decide what is published; no configuration set, nothing', async (t) => {
  await configurationSet('bounces-only', [
    { name: 'bounces', types: ['BOUNCE'] },
    { name: 'off', types: ALL, enabled: false },
  ]);
  await send(ses, simple('bounce@simulator.amazonses.com', { ConfigurationSetName: 'bounces-only' }));
  await send(ses, simple('success@simulator.amazonses.com', { ConfigurationSetName: 'bounces-only' }));
  await send(ses, simple('bounce@simulator.amazonses.com'));
  t.same(
    (await received(t)).map((e) => e.eventType),
    ['Bounce'],
    'only the one bounce of the set that wants bounces',
  );
  const counters = await controls.counters();
  t.match(counters, { events: { published: 1, notPublished: 5 } }, 'the other 5 events are kept, not published');
  const [, , alone] = await controls.messages();
  t.same(
    alone?.events.map((e) => e.status),
    ['not-published', 'not-published'],
    'still generated and kept for inspection',
  );
  t.notOk(alone?.events[0]?.event.mail.tags['ses:configuration-set'], 'without a set, no ses:configuration-set tag');
});

t.test('a publish that fails is counted and logged; the send had already been answered', async (t) => {
  await configurationSet('dangling', [{ name: 'gone', types: ['SEND'], topic: 'arn:aws:sns:us-east-1:000000000000:no-such-topic' }]);
  const answer = await send(ses, simple('success@simulator.amazonses.com', { ConfigurationSetName: 'dangling' }));
  t.equal(answer.$metadata.httpStatusCode, 200, 'SendEmail succeeds');
  await controls.flush();
  t.match(await controls.counters(), { sends: 1, events: { published: 0, publishFailures: 1 } });
  t.match((await controls.messages())[0]?.events[0], { eventType: 'Send', status: 'failed', error: /Topic does not exist|not found/i });
  t.same(await drain(rawQueue), [], 'nothing arrives');
});
