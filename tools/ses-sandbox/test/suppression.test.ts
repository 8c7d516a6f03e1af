import t from 'tap';
import {
  BadRequestException,
  CreateConfigurationSetCommand,
  DeleteSuppressedDestinationCommand,
  GetSuppressedDestinationCommand,
  ListSuppressedDestinationsCommand,
  NotFoundException,
  paginateListSuppressedDestinations,
  PutAccountSuppressionAttributesCommand,
  PutSuppressedDestinationCommand,
  type SuppressionListReason,
} from '@aws-sdk/client-sesv2';
import { SES_ID_PATTERN } from '@peak/ses-sandbox';
import { admin, manualClock, rejection, send, sesClient, simple, useSandbox } from './helper.js';

const clock = manualClock();
const sandbox = await useSandbox(t, { now: clock.now, maxSendRate: 1_000 });
const ses = sesClient(t, sandbox.endpoint);
const controls = admin(sandbox.endpoint);
t.beforeEach(async () => {
  await controls.reset('?configurationSets=true');
});

const put = (EmailAddress: string, Reason: SuppressionListReason) => ses.send(new PutSuppressedDestinationCommand({ EmailAddress, Reason }));
const get = (EmailAddress: string) => ses.send(new GetSuppressedDestinationCommand({ EmailAddress }));

t.test('Put, Get, Delete: a round trip through the SDK, times as Dates, NotFoundException when absent', async (t) => {
  t.equal((await put('ana+gym@example.com', 'BOUNCE')).$metadata.httpStatusCode, 200);
  const got = await get('ana+gym@example.com');
  t.equal(got.SuppressedDestination?.EmailAddress, 'ana+gym@example.com', 'an address with + survives the path');
  t.equal(got.SuppressedDestination?.Reason, 'BOUNCE');
  t.same(got.SuppressedDestination?.LastUpdateTime, new Date(clock.now()), 'LastUpdateTime parsed by the SDK as a Date');
  t.same(got.SuppressedDestination?.Attributes, {}, 'no attributes: put by hand');
  t.equal((await get('ANA+GYM@example.com')).SuppressedDestination?.EmailAddress, 'ana+gym@example.com', 'found in any case');

  clock.advance(5_000);
  await put('ana+gym@example.com', 'COMPLAINT');
  t.match((await get('ana+gym@example.com')).SuppressedDestination, { Reason: 'COMPLAINT', LastUpdateTime: new Date(clock.now()) }, 'a second put replaces the reason and time');

  t.equal((await ses.send(new DeleteSuppressedDestinationCommand({ EmailAddress: 'ana+gym@example.com' }))).$metadata.httpStatusCode, 200);
  const gone = await rejection(get('ana+gym@example.com'));
  t.ok(gone instanceof NotFoundException, 'deleted: NotFoundException');
  t.equal(gone.$metadata.httpStatusCode, 404);
  t.ok((await rejection(ses.send(new DeleteSuppressedDestinationCommand({ EmailAddress: 'ana+gym@example.com' })))) instanceof NotFoundException, 'deleting twice: NotFoundException');

  t.ok((await rejection(put('not-an-address', 'BOUNCE'))) instanceof BadRequestException, 'a malformed address: BadRequestException');
  t.ok((await rejection(put('ana@example.com', 'UNSUBSCRIBE' as SuppressionListReason))) instanceof BadRequestException, 'an unknown reason: BadRequestException');
});

t.test('List: Reasons filter, StartDate/EndDate, PageSize and NextToken through the SDK paginator', async (t) => {
  const start = clock.now();
  for (let i = 0; i < 7; i++) {
    await put(`user${i}@example.com`, i % 2 === 0 ? 'BOUNCE' : 'COMPLAINT');
    clock.advance(1_000);
  }
  const all = await ses.send(new ListSuppressedDestinationsCommand({}));
  t.equal(all.SuppressedDestinationSummaries?.length, 7);
  t.equal(all.NextToken, undefined, 'one page');
  t.match(all.SuppressedDestinationSummaries?.[0], { EmailAddress: 'user0@example.com', Reason: 'BOUNCE', LastUpdateTime: new Date(start) });

  const bounces = await ses.send(new ListSuppressedDestinationsCommand({ Reasons: ['BOUNCE'] }));
  t.same(bounces.SuppressedDestinationSummaries?.map((s) => s.EmailAddress), ['user0@example.com', 'user2@example.com', 'user4@example.com', 'user6@example.com'], 'Reasons: BOUNCE');
  const both = await ses.send(new ListSuppressedDestinationsCommand({ Reasons: ['BOUNCE', 'COMPLAINT'] }));
  t.equal(both.SuppressedDestinationSummaries?.length, 7, 'Reasons: both');

  const window = await ses.send(new ListSuppressedDestinationsCommand({ StartDate: new Date(start + 2_000), EndDate: new Date(start + 4_000) }));
  t.same(window.SuppressedDestinationSummaries?.map((s) => s.EmailAddress), ['user2@example.com', 'user3@example.com', 'user4@example.com'], 'StartDate and EndDate, inclusive');

  const seen: string[] = [];
  let pages = 0;
  for await (const page of paginateListSuppressedDestinations({ client: ses, pageSize: 3 }, {})) {
    pages++;
    seen.push(...(page.SuppressedDestinationSummaries ?? []).map((s) => s.EmailAddress ?? ''));
  }
  t.equal(pages, 3, 'pages of 3, 3 and 1');
  t.same(seen, Array.from({ length: 7 }, (_, i) => `user${i}@example.com`), 'every address once, in order');

  const first = await ses.send(new ListSuppressedDestinationsCommand({ PageSize: 2, Reasons: ['COMPLAINT'] }));
  t.ok(first.NextToken, 'a token when more match');
  const second = await ses.send(new ListSuppressedDestinationsCommand({ PageSize: 2, Reasons: ['COMPLAINT'], NextToken: first.NextToken }));
  t.same(second.SuppressedDestinationSummaries?.map((s) => s.EmailAddress), ['user5@example.com'], 'the token pages within the filter');
  t.ok((await rejection(ses.send(new ListSuppressedDestinationsCommand({ NextToken: 'garbage' })))) instanceof BadRequestException, 'a bad token: BadRequestException');
  t.ok((await rejection(ses.send(new ListSuppressedDestinationsCommand({ PageSize: 1001 })))) instanceof BadRequestException, 'PageSize over 1000: BadRequestException');
});

t.test('a send to a suppressed address is accepted but not delivered: a Permanent/OnAccountSuppressionList bounce', async (t) => {
  await put('gone@example.com', 'BOUNCE');
  const answer = await send(ses, simple(['gone@example.com', 'here@example.com']));
  t.match(answer.MessageId, SES_ID_PATTERN, 'a MessageId all the same');
  const [message] = await controls.messages();
  t.match(message?.recipients, [
    { address: 'gone@example.com', outcome: 'suppressed', source: 'suppression-list', bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList', feedbackId: SES_ID_PATTERN },
    { address: 'here@example.com', outcome: 'deliver' },
  ]);
  t.same(
    message?.events.map((e) => e.eventType),
    ['Send', 'Bounce', 'Delivery'],
    'Send, then the bounce for the suppressed recipient and the delivery for the other',
  );
  t.match(message?.events[1]?.event.bounce, {
    bounceType: 'Permanent',
    bounceSubType: 'OnAccountSuppressionList',
    bouncedRecipients: [{ emailAddress: 'gone@example.com', action: 'failed', status: '5.1.1', diagnosticCode: /suppression list/ }],
  });
  t.equal((await get('gone@example.com')).SuppressedDestination?.Reason, 'BOUNCE', 'the entry is unchanged');
});

t.test('hard bounces and complaints add the address by themselves; soft bounces and simulator addresses do not', async (t) => {
  await controls.outcome('hard@example.com', 'hard_bounce');
  await controls.outcome('angry@example.com', 'complaint');
  await controls.outcome('full@example.com', 'soft_bounce');
  const answer = await send(ses, simple(['hard@example.com', 'angry@example.com', 'full@example.com', 'bounce@simulator.amazonses.com', 'complaint@simulator.amazonses.com']));
  const [message] = await controls.messages();
  t.match(message?.recipients, [
    { address: 'hard@example.com', outcome: 'hard_bounce', source: 'scripted', bounceType: 'Permanent', bounceSubType: 'General', addedToSuppressionList: 'BOUNCE' },
    { address: 'angry@example.com', outcome: 'complaint', addedToSuppressionList: 'COMPLAINT' },
    { address: 'full@example.com', outcome: 'soft_bounce', bounceType: 'Transient', bounceSubType: 'MailboxFull' },
    { address: 'bounce@simulator.amazonses.com', outcome: 'hard_bounce', source: 'simulator' },
    { address: 'complaint@simulator.amazonses.com', outcome: 'complaint', source: 'simulator' },
  ]);
  t.notOk(message?.recipients[2]?.addedToSuppressionList, 'a soft bounce is not a suppression');
  const hard = (await get('hard@example.com')).SuppressedDestination;
  t.match(hard, { Reason: 'BOUNCE', Attributes: { MessageId: answer.MessageId, FeedbackId: message?.recipients[0]?.feedbackId } }, 'with the message and feedback ids');
  t.equal((await get('angry@example.com')).SuppressedDestination?.Reason, 'COMPLAINT');
  const listed = (await ses.send(new ListSuppressedDestinationsCommand({}))).SuppressedDestinationSummaries?.map((s) => s.EmailAddress);
  t.same(listed, ['angry@example.com', 'hard@example.com'], 'only those two: not the soft bounce, not the simulator');

  await send(ses, simple('hard@example.com'));
  t.match((await controls.messages())[1]?.recipients, [{ outcome: 'suppressed', bounceSubType: 'OnAccountSuppressionList' }], 'the next send to it is suppressed');
});

t.test('automatic adding follows the account reasons, and a configuration set overrides them', async (t) => {
  await ses.send(new PutAccountSuppressionAttributesCommand({ SuppressedReasons: ['COMPLAINT'] }));
  await controls.outcome('hard@example.com', 'hard_bounce');
  await controls.outcome('angry@example.com', 'complaint');
  await send(ses, simple(['hard@example.com', 'angry@example.com']));
  t.same((await ses.send(new ListSuppressedDestinationsCommand({}))).SuppressedDestinationSummaries?.map((s) => s.EmailAddress), ['angry@example.com'], 'account: complaints only');

  await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: 'bounces-only', SuppressionOptions: { SuppressedReasons: ['BOUNCE'] } }));
  await controls.outcome('hard2@example.com', 'hard_bounce');
  await controls.outcome('angry2@example.com', 'complaint');
  await send(ses, simple(['hard2@example.com', 'angry2@example.com'], { ConfigurationSetName: 'bounces-only' }));
  t.same(
    (await ses.send(new ListSuppressedDestinationsCommand({}))).SuppressedDestinationSummaries?.map((s) => s.EmailAddress),
    ['angry@example.com', 'hard2@example.com'],
    "the set's reasons (bounces) instead of the account's",
  );
});

t.test('scripted outcomes: listed, replaced, removed', async (t) => {
  t.equal((await controls.outcome('Member@Example.com', 'soft_bounce')).status, 200);
  await controls.outcome('member@example.com', 'hard_bounce');
  t.same((await controls.call('GET', '/outcomes')).body, { outcomes: [{ address: 'member@example.com', outcome: 'hard_bounce' }] }, 'one entry per address, any case');
  t.equal((await controls.outcome('member@example.com', 'explode')).status, 400, 'an unknown outcome');
  t.equal((await controls.outcome('nobody', 'deliver')).status, 400, 'not an address');
  t.equal((await controls.call('DELETE', `/outcomes/${encodeURIComponent('member@example.com')}`)).status, 204);
  t.equal((await controls.call('DELETE', `/outcomes/${encodeURIComponent('member@example.com')}`)).status, 404);
  await controls.outcome('a@example.com', 'deliver');
  t.equal((await controls.call('DELETE', '/outcomes')).status, 204);
  t.same((await controls.call('GET', '/outcomes')).body, { outcomes: [] });
  await controls.account({ defaultOutcome: 'soft_bounce' });
  await send(ses, simple('anyone@example.com'));
  t.match((await controls.messages())[0]?.recipients, [{ outcome: 'soft_bounce', source: 'default' }], 'the default outcome applies to everyone else');
});
