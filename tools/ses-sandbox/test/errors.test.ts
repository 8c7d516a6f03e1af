import t from 'tap';
import {
  AlreadyExistsException,
  BadRequestException,
  CreateConfigurationSetCommand,
  GetSuppressedDestinationCommand,
  InternalServiceErrorException,
  MessageRejected,
  NotFoundException,
  PutAccountSendingAttributesCommand,
  SendingPausedException,
  SESv2ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { admin, rejection, send, sesClient, simple, useSandbox } from './helper.js';

const sandbox = await useSandbox(t);
const ses = sesClient(t, sandbox.endpoint);
const controls = admin(sandbox.endpoint);
t.beforeEach(async () => {
  await controls.reset('?configurationSets=true');
});

/**
 * Every error the notifier must tell apart, as the real @aws-sdk/client-sesv2 parses it: the class (from
 * x-amzn-ErrorType), the HTTP status, client/server fault, the message, the request id.
 */
const cases: { what: string; cause: () => Promise<unknown>; Class: new (...args: never[]) => SESv2ServiceException; status: number; fault: 'client' | 'server'; message: RegExp }[] = [
  {
    what: 'throttling',
    cause: async () => {
      await controls.fault({ kind: 'throttle', count: 1 });
      return send(ses, simple('ana@example.com'));
    },
    Class: TooManyRequestsException,
    status: 429,
    fault: 'client',
    message: /^Maximum sending rate exceeded\.$/,
  },
  {
    what: 'daily quota',
    cause: async () => {
      await controls.fault({ kind: 'daily-quota', count: 1 });
      return send(ses, simple('ana@example.com'));
    },
    Class: TooManyRequestsException,
    status: 429,
    fault: 'client',
    message: /^Daily message quota exceeded\.$/,
  },
  {
    what: 'rejected message',
    cause: async () => {
      await controls.fault({ kind: 'message-rejected', count: 1, message: 'Email address is not verified.' });
      return send(ses, simple('ana@example.com'));
    },
    Class: MessageRejected,
    status: 400,
    fault: 'client',
    message: /^Email address is not verified\.$/,
  },
  { what: 'bad request', cause: () => send(ses, simple('ana@example.com', { EmailTags: [{ Name: 'a b', Value: 'c' }] })), Class: BadRequestException, status: 400, fault: 'client', message: /Invalid tag name/ },
  { what: 'not found (send)', cause: () => send(ses, simple('ana@example.com', { ConfigurationSetName: 'missing' })), Class: NotFoundException, status: 404, fault: 'client', message: /does not exist/ },
  {
    what: 'not found (suppression list)',
    cause: () => ses.send(new GetSuppressedDestinationCommand({ EmailAddress: 'nobody@example.com' })),
    Class: NotFoundException,
    status: 404,
    fault: 'client',
    message: /not.*suppression list|does not exist/,
  },
  {
    what: 'sending paused (injected)',
    cause: async () => {
      await controls.fault({ kind: 'sending-paused', count: 1 });
      return send(ses, simple('ana@example.com'));
    },
    Class: SendingPausedException,
    status: 400,
    fault: 'client',
    message: /paused/,
  },
  {
    what: 'sending paused (PutAccountSendingAttributes)',
    cause: async () => {
      await ses.send(new PutAccountSendingAttributesCommand({ SendingEnabled: false }));
      return send(ses, simple('ana@example.com'));
    },
    Class: SendingPausedException,
    status: 400,
    fault: 'client',
    message: /paused for this account/,
  },
  {
    what: 'internal error',
    cause: async () => {
      await controls.fault({ kind: 'server-error', count: 1 });
      return send(ses, simple('ana@example.com'));
    },
    Class: InternalServiceErrorException,
    status: 500,
    fault: 'server',
    message: /Internal service error/,
  },
  {
    what: 'already exists',
    cause: async () => {
      await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: 'twice' }));
      return ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: 'twice' }));
    },
    Class: AlreadyExistsException,
    status: 400,
    fault: 'client',
    message: /already exists/,
  },
];

for (const c of cases) {
  t.test(`${c.what}: ${c.Class.name} (${c.status})`, async (t) => {
    const err = await rejection<SESv2ServiceException>(c.cause());
    t.ok(err instanceof c.Class, `an instance of ${c.Class.name} (got ${err.name})`);
    t.ok(err instanceof SESv2ServiceException, 'and of SESv2ServiceException');
    t.equal(err.name, c.Class.name);
    t.equal(err.$metadata.httpStatusCode, c.status, '$metadata.httpStatusCode');
    t.equal(err.$fault, c.fault, '$fault');
    t.match(err.message, c.message, 'message');
    t.match(err.$metadata.requestId, /^[0-9a-f-]{36}$/, 'the request id from x-amzn-RequestId');
    t.equal(err.$metadata.attempts, 1, 'no retry (maxAttempts: 1)');
  });
}

t.test('the wire format: x-amzn-ErrorType (with the namespace suffix the SDK strips), x-amzn-RequestId, {"message"}', async (t) => {
  await controls.fault({ kind: 'throttle', count: 1 });
  const res = await fetch(`${sandbox.endpoint}/v2/email/outbound-emails`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 Credential=local/20261201/us-east-1/ses/aws4_request' },
    body: JSON.stringify(simple('ana@example.com')),
  });
  t.equal(res.status, 429);
  t.equal(res.headers.get('x-amzn-errortype'), 'TooManyRequestsException:http://internal.amazon.com/coral/com.amazonaws.sesv2/');
  t.match(res.headers.get('x-amzn-requestid'), /^[0-9a-f-]{36}$/);
  t.match(res.headers.get('content-type'), /^application\/json/);
  t.same(await res.json(), { message: 'Maximum sending rate exceeded.' });
});

t.test('refusals are counted by reason and nothing is stored', async (t) => {
  await controls.fault({ kind: 'throttle', count: 2 });
  await controls.fault({ kind: 'server-error', count: 1 });
  for (let i = 0; i < 3; i++) await rejection(send(ses, simple('ana@example.com')));
  const counters = await controls.counters();
  t.same(counters.refusals, { 'fault:throttle': 2, 'fault:server-error': 1 });
  t.equal(counters.sends, 0);
  t.same(await controls.messages(), []);
});
