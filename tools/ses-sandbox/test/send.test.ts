import t, { type Test } from 'tap';
import {
  BadRequestException,
  CreateConfigurationSetCommand,
  CreateEmailTemplateCommand,
  GetAccountCommand,
  NotFoundException,
  SendEmailCommand,
  type SendEmailCommandInput,
} from '@aws-sdk/client-sesv2';
import { SES_ID_PATTERN, type StoredMessage } from '@peak/ses-sandbox';
import { MessageStore } from '../src/messages.js';
import { admin, FROM, manualClock, rejection, send, sesClient, simple, useSandbox } from './helper.js';

// One sandbox for the file; every test starts from a reset account.
const clock = manualClock();
const sandbox = await useSandbox(t, { now: clock.now, maxSendRate: 1_000, max24HourSend: 100_000 });
const ses = sesClient(t, sandbox.endpoint);
const controls = admin(sandbox.endpoint);
await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: 'marketing' }));
t.beforeEach(async () => {
  await controls.reset();
});

type ViewerStore = { emails: { messageId: string; from: string; subject: string; destination: { to: string[] }; headers?: { name: string; value: string }[]; body: { html?: string; text?: string } }[] };
const viewerStore = async () => (await (await fetch(`${sandbox.endpoint}/store`)).json()) as ViewerStore;

const unsubscribe = [
  { Name: 'List-Unsubscribe', Value: '<https://peak.example/u/tok123>' },
  { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
];

t.test('a Simple send is stored with headers, tags and configuration set, and is in the inner emulator under the same id', async (t) => {
  const input = simple('ana@example.com', {
    Destination: { ToAddresses: ['Ana Lima <ana@example.com>'], CcAddresses: ['coach@example.com'], BccAddresses: ['audit@example.com'] },
    ReplyToAddresses: ['help@peakfitness.example'],
    EmailTags: [
      { Name: 'dk', Value: 'abc-123_XYZ' },
      { Name: 'campaign', Value: 'win_back' },
    ],
    ConfigurationSetName: 'marketing',
  });
  if (input.Content?.Simple) input.Content.Simple.Headers = unsubscribe;
  const answer = await send(ses, input);
  t.match(answer.MessageId, SES_ID_PATTERN, 'an id in the shape SES gives them');
  t.equal(answer.$metadata.httpStatusCode, 200);
  t.ok(answer.$metadata.requestId, 'x-amzn-RequestId read by the SDK');
  t.equal(answer.MessageId?.slice(4, 16), clock.now().toString(16).padStart(12, '0'), 'its time part is the acceptance time');

  const [stored, ...others] = await controls.messages();
  t.equal(others.length, 0);
  t.match(stored, {
    messageId: answer.MessageId,
    acceptedAt: new Date(clock.now()).toISOString(),
    kind: 'Simple',
    from: FROM,
    fromAddress: 'hello@peakfitness.example',
    replyTo: ['help@peakfitness.example'],
    to: ['ana@example.com'],
    cc: ['coach@example.com'],
    bcc: ['audit@example.com'],
    subject: 'Hello from Peak',
    text: 'See you at the gym.',
    html: '<p>See you at the gym.</p>',
    headers: [
      { name: 'List-Unsubscribe', value: '<https://peak.example/u/tok123>' },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ],
    tags: [
      { name: 'dk', value: 'abc-123_XYZ' },
      { name: 'campaign', value: 'win_back' },
    ],
    configurationSet: 'marketing',
    answer: 'answered',
    viewer: 'stored',
    recipients: [
      { address: 'ana@example.com', outcome: 'deliver', source: 'default' },
      { address: 'coach@example.com', outcome: 'deliver' },
      { address: 'audit@example.com', outcome: 'deliver' },
    ],
  });
  t.same(
    stored?.events.map((e) => [e.eventType, e.status]),
    [
      ['Send', 'not-published'],
      ['Delivery', 'not-published'],
      ['Delivery', 'not-published'],
      ['Delivery', 'not-published'],
    ],
    'events generated; the set has no destination, so none published',
  );

  const viewer = (await viewerStore()).emails.find((e) => e.messageId === answer.MessageId);
  t.ok(viewer, "the inner emulator's /store (proxied) has it under the id the caller got");
  t.match(viewer, { from: FROM, subject: 'Hello from Peak', destination: { to: ['Ana Lima <ana@example.com>'] }, headers: [{ name: 'List-Unsubscribe' }, { name: 'List-Unsubscribe-Post' }] });
  const eml = await fetch(`${sandbox.endpoint}/get-emlContent?messageId=${encodeURIComponent(answer.MessageId ?? '')}`);
  t.equal(eml.status, 200, "the emulator's .eml download finds it by that id");
  const { body: emlBody } = (await eml.json()) as { body: { data: number[] } };
  t.match(Buffer.from(emlBody.data).toString('utf8'), /List-Unsubscribe: <https:\/\/peak.example\/u\/tok123>/, 'with our headers in the MIME');

  const page = await fetch(`${sandbox.endpoint}/`);
  t.equal(page.status, 200, 'the mail viewer is served at /');
  t.match(page.headers.get('content-type'), /text\/html/);
});

t.test('filters: by recipient (any case, Cc and Bcc too), by configuration set, since', async (t) => {
  await send(ses, simple('a@example.com'));
  clock.advance(1_000);
  const since = clock.now();
  await send(ses, simple('b@example.com', { ConfigurationSetName: 'marketing', Destination: { ToAddresses: ['b@example.com'], BccAddresses: ['A@Example.com'] } }));
  const subjects = async (q: string) => (await controls.messages(q)).map((m) => m.to[0]);
  t.same(await subjects('?to=a%40example.com'), ['a@example.com', 'b@example.com'], 'a recipient in To or Bcc, any case');
  t.same(await subjects('?configurationSet=marketing'), ['b@example.com']);
  t.same(await subjects(`?since=${since}`), ['b@example.com'], 'since as epoch ms');
  t.same(await subjects(`?since=${new Date(since).toISOString()}`), ['b@example.com'], 'since as ISO');
  const one = await controls.call<{ messageId: string }>('GET', `/messages/${(await controls.messages())[0]?.messageId}`);
  t.equal(one.status, 200, 'one message by id');
  t.equal((await controls.call('GET', '/messages/nope')).status, 404);
  t.equal((await controls.call('GET', '/messages?since=yesterday')).status, 400);
});

t.test('Raw: the MIME headers are recorded (the emulator does not) and recipients come from them when Destination is empty', async (t) => {
  const mime = [
    'From: Peak Fitness <hello@peakfitness.example>',
    'To: "Lima, Ana" <ana@example.com>, bo@example.com',
    'Subject: Raw hello',
    'List-Unsubscribe: <https://peak.example/u/raw>',
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    'X-Folded: first',
    '  second',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    '',
    'Raw body',
  ].join('\r\n');
  const answer = await send(ses, { Content: { Raw: { Data: new TextEncoder().encode(mime) } } });
  const [stored] = await controls.messages();
  t.match(stored, {
    messageId: answer.MessageId,
    kind: 'Raw',
    from: 'Peak Fitness <hello@peakfitness.example>',
    to: ['ana@example.com', 'bo@example.com'],
    subject: 'Raw hello',
    text: /Raw body/,
    viewer: 'stored',
  });
  t.match(stored?.headers, [{ name: 'From' }, { name: 'To' }, { name: 'Subject' }, { name: 'List-Unsubscribe', value: '<https://peak.example/u/raw>' }, { name: 'List-Unsubscribe-Post' }, { name: 'X-Folded', value: 'first second' }]);

  const twice = mime.replace('MIME-Version', 'List-Unsubscribe: <https://peak.example/u/other>\r\nMIME-Version');
  const err = await rejection(send(ses, { Content: { Raw: { Data: new TextEncoder().encode(twice) } } }));
  t.ok(err instanceof BadRequestException, 'a Raw message with List-Unsubscribe twice is refused too');
  t.equal((await controls.messages()).length, 1, 'and not stored');
});

t.test('Template: rendered by the inner emulator; an unknown template is NotFoundException and sends nothing', async (t) => {
  await ses.send(new CreateEmailTemplateCommand({ TemplateName: 'welcome', TemplateContent: { Subject: 'Welcome {{name}}', Text: 'Hi {{name}}!', Html: '<b>Hi {{name}}!</b>' } }));
  const answer = await send(ses, {
    FromEmailAddress: FROM,
    Destination: { ToAddresses: ['new@example.com'] },
    Content: { Template: { TemplateName: 'welcome', TemplateData: JSON.stringify({ name: 'Ana' }), Headers: unsubscribe } },
  });
  t.match((await controls.messages())[0], { messageId: answer.MessageId, kind: 'Template', subject: 'Welcome Ana', text: 'Hi Ana!', html: '<b>Hi Ana!</b>', template: { name: 'welcome' }, headers: [{ name: 'List-Unsubscribe' }, { name: 'List-Unsubscribe-Post' }] });

  const before = await controls.counters();
  const missing = await rejection(send(ses, { FromEmailAddress: FROM, Destination: { ToAddresses: ['new@example.com'] }, Content: { Template: { TemplateName: 'nope', TemplateData: '{}' } } }));
  t.ok(missing instanceof NotFoundException, `NotFoundException, got ${missing.name}`);
  t.equal(missing.$metadata.httpStatusCode, 404);
  const after = await controls.counters();
  t.equal(after.sends, before.sends, 'not counted as a send');
  t.equal(after.refusals.emulator, 1, 'counted as refused by the emulator');
  t.equal((await ses.send(new GetAccountCommand({}))).SendQuota?.SentLast24Hours, 1, 'its quota use was given back');
});

t.test('GetAccount: the quota settings, recipients of the last 24 h, and the fields the SDK knows', async (t) => {
  await send(ses, simple(['a@example.com', 'b@example.com']));
  const account = await ses.send(new GetAccountCommand({}));
  t.match(account, {
    SendQuota: { Max24HourSend: 100_000, MaxSendRate: 1_000, SentLast24Hours: 2 },
    SendingEnabled: true,
    ProductionAccessEnabled: true,
    EnforcementStatus: 'HEALTHY',
    SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    DedicatedIpAutoWarmupEnabled: false,
    Details: { MailType: 'MARKETING', ReviewDetails: { Status: 'GRANTED' } },
  });
  clock.advance(24 * 60 * 60 * 1_000);
  t.equal((await ses.send(new GetAccountCommand({}))).SendQuota?.SentLast24Hours, 0, 'a day later the window is empty');
});

/** Sends `input` and expects BadRequestException (400) whose message matches `message`; nothing is stored. */
async function refused(t: Test, input: SendEmailCommandInput, message: RegExp, what: string) {
  const err = await rejection(send(ses, input));
  t.ok(err instanceof BadRequestException, `${what}: BadRequestException (got ${err.name})`);
  t.equal(err.$metadata.httpStatusCode, 400, `${what}: HTTP 400`);
  t.match(err.message, message, `${what}: message`);
}

t.test('malformed requests get the SDK-parsed 400s, and nothing is stored or counted', async (t) => {
  const withHeaders = (headers: { Name: string; Value: string }[]) => {
    const input = simple('ana@example.com');
    if (input.Content?.Simple) input.Content.Simple.Headers = headers;
    return input;
  };
  await refused(t, simple('ana@example.com', { EmailTags: [{ Name: 'dk', Value: 'has:colon' }] }), /Invalid tag value/, 'a tag value with ":"');
  await refused(t, simple('ana@example.com', { EmailTags: [{ Name: 'bad name', Value: 'x' }] }), /Invalid tag name/, 'a tag name with a space');
  await refused(t, simple('ana@example.com', { EmailTags: [{ Name: 'dk', Value: 'x'.repeat(257) }] }), /Invalid tag value/, 'a tag value of 257 characters');
  t.equal((await send(ses, simple('ana@example.com', { EmailTags: [{ Name: 'dk', Value: 'x'.repeat(256) }] }))).$metadata.httpStatusCode, 200, '256 characters are fine');
  await controls.reset();

  const sixteen = Array.from({ length: 16 }, (_, i) => ({ Name: `X-Peak-${i}`, Value: 'v' }));
  await refused(t, withHeaders(sixteen), /at most 15/, '16 headers');
  t.equal((await send(ses, withHeaders(sixteen.slice(0, 15)))).$metadata.httpStatusCode, 200, '15 headers are fine');
  await controls.reset();
  await refused(t, withHeaders([...unsubscribe, { Name: 'list-unsubscribe', Value: '<mailto:u@peak.example>' }]), /List-Unsubscribe.*more than once/, 'List-Unsubscribe twice (any case)');
  await refused(t, withHeaders([unsubscribe[1] ?? { Name: '', Value: '' }, unsubscribe[1] ?? { Name: '', Value: '' }]), /List-Unsubscribe-Post.*more than once/, 'List-Unsubscribe-Post twice');
  await refused(t, withHeaders([{ Name: 'X:Colon', Value: 'v' }]), /Invalid header name/, 'a header name with ":"');
  await refused(t, withHeaders([{ Name: 'X-' + 'n'.repeat(125), Value: 'v' }]), /Invalid header name/, 'a header name of 127 characters');
  await refused(t, withHeaders([{ Name: 'X-Bad', Value: 'line\r\nInjected: yes' }]), /Invalid value for header X-Bad/, 'CR/LF in a header value');
  await refused(t, withHeaders([{ Name: 'X-Long', Value: 'v'.repeat(996) }]), /Invalid value for header X-Long/, 'a value of 996 characters');
  await refused(t, withHeaders([{ Name: 'Subject', Value: 'sneaky' }]), /set by SES/, 'a header SES sets itself');

  await refused(t, simple('ana@example.com', { FromEmailAddress: undefined }), /FromEmailAddress/, 'no From');
  await refused(t, simple('ana@example.com', { FromEmailAddress: 'not an address' }), /Illegal address/, 'a From that is not an address');
  await refused(t, simple('ana@example.com', { Destination: { ToAddresses: [] } }), /at least one recipient/, 'no recipient');
  await refused(t, simple('ana@example.com', { Destination: { ToAddresses: ['ana@'] } }), /Illegal address/, 'a broken recipient');
  await refused(t, simple(Array.from({ length: 51 }, (_, i) => `r${i}@example.com`)), /exceeds 50/, '51 recipients');
  await refused(t, { FromEmailAddress: FROM, Destination: { ToAddresses: ['ana@example.com'] }, Content: {} }, /exactly one of Simple, Raw or Template/, 'no content');
  await refused(
    t,
    { ...simple('ana@example.com'), Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } }, Raw: { Data: new Uint8Array([65]) } } },
    /exactly one/,
    'two kinds of content',
  );
  await refused(t, { ...simple('ana@example.com'), Content: { Simple: { Subject: { Data: 's' }, Body: {} } } }, /Html, Text or both/, 'no body');

  const unknownSet = await rejection(send(ses, simple('ana@example.com', { ConfigurationSetName: 'nope' })));
  t.ok(unknownSet instanceof NotFoundException, 'an unknown configuration set is NotFoundException');
  t.equal(unknownSet.$metadata.httpStatusCode, 404);
  t.match(unknownSet.message, /Configuration set <nope> does not exist/);

  const counters = await controls.counters();
  t.equal(counters.sends, 0, 'nothing accepted');
  t.equal((await controls.messages()).length, 0, 'nothing stored');
  t.ok((counters.refusals.bad_request ?? 0) >= 15, 'refusals counted as bad_request');
  t.equal(counters.refusals.not_found, 1, 'and not_found');
});

t.test('invalid JSON (the SDK made to send a broken body) is a BadRequestException the SDK parses', async (t) => {
  const broken = sesClient(t, sandbox.endpoint);
  broken.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body: unknown; headers: Record<string, string> };
      request.body = '{"FromEmailAddress": ';
      request.headers['content-length'] = String(Buffer.byteLength(request.body as string));
      return next(args);
    },
    { step: 'finalizeRequest', name: 'breakBody' },
  );
  const err = await rejection(broken.send(new SendEmailCommand(simple('ana@example.com'))));
  t.ok(err instanceof BadRequestException, `BadRequestException, got ${err.name}`);
  t.equal(err.$metadata.httpStatusCode, 400);
  t.match(err.message, /not valid JSON/);

  const plain = await fetch(`${sandbox.endpoint}/v2/email/outbound-emails`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 x' }, body: '{' });
  t.equal(plain.status, 400);
  t.match(plain.headers.get('x-amzn-errortype'), /^BadRequestException:/, 'the error type travels in x-amzn-ErrorType');
  t.same(await plain.json(), { message: 'The request body is not valid JSON.' }, 'the body is {"message": …}');
  const unsigned = await fetch(`${sandbox.endpoint}/v2/email/account`);
  t.equal(unsigned.status, 403, 'an unsigned request is refused');
  t.match(unsigned.headers.get('x-amzn-errortype'), /^MissingAuthenticationTokenException/);
});

t.test('the store keeps the latest N messages and says how many it dropped', async (t) => {
  const store = new MessageStore(2);
  const message = (id: string) => ({ messageId: id, acceptedAt: new Date(0).toISOString(), to: [], cc: [], bcc: [] }) as unknown as StoredMessage;
  for (const id of ['a', 'b', 'c']) store.add(message(id));
  t.same(
    store.list().map((m) => m.messageId),
    ['b', 'c'],
  );
  t.equal(store.dropped, 1);
  t.equal(store.get('a'), undefined, 'a dropped message is gone by id too');
  const listed = await controls.call<{ dropped: number; messages: unknown[] }>('GET', '/messages');
  t.equal(listed.body.dropped, 0, '/_sandbox/messages says how many were dropped');
});
