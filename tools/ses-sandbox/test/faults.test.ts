import t from 'tap';
import { GetAccountCommand, InternalServiceErrorException, SESv2ServiceException, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { waitFor } from '@peak/local-stack';
import { admin, manualClock, rejection, send, sesClient, simple, useSandbox } from './helper.js';

const clock = manualClock();
const sandbox = await useSandbox(t, { now: clock.now, maxSendRate: 2 });
const ses = sesClient(t, sandbox.endpoint);
const controls = admin(sandbox.endpoint);
t.beforeEach(async () => {
  await controls.reset();
  clock.advance(60_000);
});

type Listed = { faults: { id: string; kind: string; applied: number; count?: number; until?: number }[] };
const faults = async () => (await controls.call<Listed>('GET', '/faults')).body.faults;
const sentLast24Hours = async () => (await ses.send(new GetAccountCommand({}))).SendQuota?.SentLast24Hours;

t.test('faults are added, listed with how often they applied, and removed', async (t) => {
  const added = await controls.fault({ kind: 'throttle', count: 2 });
  t.equal(added.status, 201);
  t.match(added.body, { id: /^[0-9a-f-]{36}$/, kind: 'throttle', count: 2, applied: 0 });
  await controls.fault({ kind: 'server-error' });
  t.same(
    (await faults()).map((f) => f.kind),
    ['throttle', 'server-error'],
  );
  t.equal((await controls.call('DELETE', `/faults/${added.body.id}`)).status, 204);
  t.equal((await controls.call('DELETE', `/faults/${added.body.id}`)).status, 404);
  t.equal((await controls.call('DELETE', '/faults')).status, 204);
  t.same(await faults(), []);
  t.equal((await controls.fault({ kind: 'meteor' })).status, 400, 'an unknown kind');
  t.equal((await controls.fault({ kind: 'throttle', count: 0 })).status, 400, 'count ≥ 1');
});

t.test('the next N sends: a 429 storm of 2, then sends go through; refusals send nothing', async (t) => {
  await controls.fault({ kind: 'throttle', count: 2 });
  for (let i = 0; i < 2; i++) {
    const err = await rejection(send(ses, simple('ana@example.com')));
    t.ok(err instanceof TooManyRequestsException, `send ${i + 1}: throttled`);
  }
  t.equal((await send(ses, simple('ana@example.com'))).$metadata.httpStatusCode, 200, 'the third goes through');
  t.same(await faults(), [], 'the fault is used up');
  t.equal(await sentLast24Hours(), 1, 'only the accepted send counts against the quota');
  t.equal((await controls.messages()).length, 1);
});

t.test('a fault for T ms of the sandbox clock', async (t) => {
  await controls.fault({ kind: 'server-error', forMs: 5_000, message: 'upstream is down' });
  const err = await rejection(send(ses, simple('ana@example.com')));
  t.ok(err instanceof InternalServiceErrorException);
  t.equal(err.message, 'upstream is down', 'with the given message');
  clock.advance(4_999);
  t.ok((await rejection(send(ses, simple('ana@example.com')))) instanceof InternalServiceErrorException, 'still in force');
  clock.advance(1);
  t.equal((await send(ses, simple('ana@example.com'))).$metadata.httpStatusCode, 200, 'over after T ms');
});

t.test('accept-then-hang: the message is stored and counted as sent, but the answer never comes; the client gives up', async (t) => {
  await controls.fault({ kind: 'accept-then-hang', count: 1 });
  // @smithy/node-http-handler 4.14 only logs a warning when requestTimeout passes, unless throwOnRequestTimeout is set.
  const impatient = sesClient(t, sandbox.endpoint, { requestHandler: { requestTimeout: 1_000, throwOnRequestTimeout: true } });
  const err = await rejection(send(impatient, simple('ana@example.com', { EmailTags: [{ Name: 'dk', Value: 'hang1' }] })));
  t.notOk(err instanceof SESv2ServiceException, 'not an SES error: the ambiguous case');
  t.match(err.name, /TimeoutError|RequestTimeout/, `the client timed out (${err.name}: ${err.message})`);

  // Acceptance happens before the hang; on a slow machine the client may have given up first, so wait for it.
  await waitFor('the held send to be stored', async () => (await controls.messages()).length === 1, 10_000);
  const [message] = await controls.messages();
  t.match(message, { answer: 'hung', to: ['ana@example.com'], tags: [{ name: 'dk', value: 'hang1' }], recipients: [{ outcome: 'deliver' }] });
  t.match(await controls.counters(), { sends: 1, recipients: 1, unanswered: { hung: 1 } });
  t.equal(await sentLast24Hours(), 1, 'it counts against the quota');
  t.equal((await send(ses, simple('bo@example.com'))).$metadata.httpStatusCode, 200, 'the next send is answered (count: 1)');
});

t.test('accept-then-hang applies only to sends the quotas let through', async (t) => {
  await send(ses, simple(['a@example.com', 'b@example.com'])); // fills the rate of 2
  await controls.fault({ kind: 'accept-then-hang', count: 1 });
  t.ok((await rejection(send(ses, simple('c@example.com')))) instanceof TooManyRequestsException, 'a throttled send is answered');
  t.match(await faults(), [{ kind: 'accept-then-hang', applied: 0 }], 'and the fault is still waiting');
});

t.test('accept-then-reset: stored and counted, then the connection is reset', async (t) => {
  await controls.fault({ kind: 'accept-then-reset', count: 1 });
  const err = await rejection(send(ses, simple('ana@example.com')));
  t.notOk(err instanceof SESv2ServiceException, `a network error (${err.name}: ${err.message})`);
  t.match((await controls.messages())[0], { answer: 'reset' });
  t.match(await controls.counters(), { sends: 1, unanswered: { reset: 1 } });
});

t.test('accept-then-error: stored and counted, then a 500 InternalServiceErrorException', async (t) => {
  await controls.fault({ kind: 'accept-then-error', count: 1 });
  const err = await rejection(send(ses, simple('ana@example.com')));
  t.ok(err instanceof InternalServiceErrorException);
  t.equal(err.$metadata.httpStatusCode, 500);
  t.match((await controls.messages())[0], { answer: 'error' });
  t.equal(await sentLast24Hours(), 1);
});

t.test('reset clears faults, messages, counters and spent quota', async (t) => {
  await send(ses, simple('ana@example.com'));
  await controls.fault({ kind: 'throttle' });
  t.equal((await controls.reset()).status, 204);
  t.same(await faults(), []);
  t.same(await controls.messages(), []);
  t.match(await controls.counters(), { sends: 0, recipients: 0, refusals: {} });
  t.equal(await sentLast24Hours(), 0);
});

// Last: it stops the file's sandbox (the teardown's stop() is then a no-op).
t.test('stop() closes promptly while an answer is withheld', async (t) => {
  await controls.fault({ kind: 'accept-then-hang' });
  const pending = fetch(`${sandbox.endpoint}/v2/email/outbound-emails`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 Credential=local' },
    body: JSON.stringify(simple('held@example.com')),
  }).then(
    (res) => `answered ${res.status}`,
    () => 'connection closed',
  );
  await waitFor('the send to be held', async () => ((await controls.counters()) as unknown as { unanswered: { hung: number } }).unanswered.hung === 1, 10_000);
  // Not a timing assertion: without the cut, stop() would wait for the client forever and this race would lose.
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([sandbox.stop().then(() => 'stopped'), new Promise<string>((resolve) => (timer = setTimeout(resolve, 15_000, 'still waiting')))]);
  clearTimeout(timer);
  t.equal(outcome, 'stopped', 'stop() returns without waiting for the held request');
  t.equal(await pending, 'connection closed', 'the held request ends, unanswered');
  const after = await fetch(`${sandbox.endpoint}/health`).then(
    () => 'answered',
    () => 'refused',
  );
  t.equal(after, 'refused', 'nothing listens any more');
  const inner = await fetch(`${sandbox.emulatorEndpoint}/health-check`).then(
    () => 'answered',
    () => 'refused',
  );
  t.equal(inner, 'refused', 'the inner emulator is stopped too');
});
