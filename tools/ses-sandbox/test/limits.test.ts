import t from 'tap';
import { GetAccountCommand, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { admin, manualClock, rejection, send, sesClient, simple, useSandbox } from './helper.js';

// The sandbox clock stands still unless a test moves it: every send of a burst falls in the same instant, so the
// limits are checked without any timing in the assertions.
const clock = manualClock();
const sandbox = await useSandbox(t, { now: clock.now, maxSendRate: 3, max24HourSend: 10 });
const ses = sesClient(t, sandbox.endpoint);
const controls = admin(sandbox.endpoint);
t.beforeEach(async () => {
  await controls.reset();
  clock.advance(60_000); // a quiet minute between tests
});

const quota = async () => (await ses.send(new GetAccountCommand({}))).SendQuota;

t.test('the rate: exactly MaxSendRate recipients in one second pass, one more is a 429 that sends nothing', async (t) => {
  for (let i = 0; i < 3; i++) t.equal((await send(ses, simple(`r${i}@example.com`))).$metadata.httpStatusCode, 200, `send ${i + 1} of 3 passes`);
  const err = await rejection(send(ses, simple('r3@example.com')));
  t.ok(err instanceof TooManyRequestsException, 'the 4th: TooManyRequestsException');
  t.equal(err.$metadata.httpStatusCode, 429);
  t.equal(err.message, 'Maximum sending rate exceeded.');

  clock.advance(999);
  t.ok((await rejection(send(ses, simple('r3@example.com')))) instanceof TooManyRequestsException, '999 ms later: still within the second');
  clock.advance(1);
  t.equal((await send(ses, simple('r3@example.com'))).$metadata.httpStatusCode, 200, 'a full second after the burst: room again');

  const counters = await controls.counters();
  t.equal(counters.sends, 4, 'the refused sends are not counted');
  t.equal(counters.refusals.rate_limit, 2);
  t.same((await controls.messages()).map((m) => m.to[0]), ['r0@example.com', 'r1@example.com', 'r2@example.com', 'r3@example.com'], 'and not stored');
  t.equal((await quota())?.SentLast24Hours, 4);
});

t.test('a concurrent burst: of 6 sends in the same instant exactly 3 are accepted', async (t) => {
  const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => send(ses, simple(`burst${i}@example.com`))));
  const accepted = results.filter((r) => r.status === 'fulfilled');
  const throttled = results.filter((r) => r.status === 'rejected' && r.reason instanceof TooManyRequestsException);
  t.equal(accepted.length, 3, '3 accepted');
  t.equal(throttled.length, 3, '3 throttled');
  t.equal((await controls.messages()).length, 3, 'only the accepted are stored');
});

t.test('the rate counts recipients, not calls; the window slides', async (t) => {
  await send(ses, simple(['a@example.com', 'b@example.com']));
  clock.advance(500);
  await send(ses, simple('c@example.com'));
  const err = await rejection(send(ses, simple('d@example.com')));
  t.equal(err.message, 'Maximum sending rate exceeded.', '2 + 1 recipients fill the second');
  clock.advance(500);
  t.equal((await send(ses, simple(['d@example.com', 'e@example.com']))).$metadata.httpStatusCode, 200, 'once the first two leave the window, two more fit');
  clock.advance(1_000);
  t.ok((await rejection(send(ses, simple(['f@example.com', 'g@example.com', 'h@example.com', 'i@example.com'])))) instanceof TooManyRequestsException, 'a message with more recipients than the rate never fits');
});

t.test('the daily quota: Max24HourSend recipients per rolling 24 h, then "Daily message quota exceeded."', async (t) => {
  for (let i = 0; i < 10; i++) {
    await send(ses, simple(`d${i}@example.com`));
    clock.advance(1_000); // stay under the rate
  }
  t.match(await quota(), { Max24HourSend: 10, MaxSendRate: 3, SentLast24Hours: 10 });
  const err = await rejection(send(ses, simple('one-more@example.com')));
  t.ok(err instanceof TooManyRequestsException, 'TooManyRequestsException');
  t.equal(err.$metadata.httpStatusCode, 429);
  t.equal(err.message, 'Daily message quota exceeded.', 'told apart from the rate by its message');
  t.equal((await quota())?.SentLast24Hours, 10, 'the refusal is not counted');
  t.equal((await controls.counters()).refusals.daily_quota, 1);

  clock.advance(24 * 60 * 60 * 1_000 - 2_000); // the first nine sends (T … T+8 s) leave the window
  t.equal((await quota())?.SentLast24Hours, 1, '24 h after the first sends only the last one is still in the window');
  t.equal((await send(ses, simple('one-more@example.com'))).$metadata.httpStatusCode, 200, 'and sending works again');
});

t.test('the quotas are the account settings: changed at run time, -1 = no daily quota', async (t) => {
  t.equal((await controls.account({ maxSendRate: 1, max24HourSend: -1 })).status, 200);
  t.match(await quota(), { MaxSendRate: 1, Max24HourSend: -1 });
  await send(ses, simple('x@example.com'));
  t.ok((await rejection(send(ses, simple('y@example.com')))) instanceof TooManyRequestsException, 'rate 1');
  t.equal((await controls.account({ maxSendRate: 0 })).status, 400, 'a rate of 0 is refused');
  t.equal((await controls.account({ max24HourSend: -2 })).status, 400, 'a daily quota below -1 is refused');
  await controls.reset();
  t.match(await quota(), { MaxSendRate: 3, Max24HourSend: 10 }, 'reset restores the settings the sandbox started with');
});
