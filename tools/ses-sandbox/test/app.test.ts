import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  CreateEmailTemplateCommand,
  GetEmailTemplateCommand,
  ListEmailTemplatesCommand,
} from '@aws-sdk/client-sesv2';
import { waitFor } from '@peak/local-stack';
import { checkGracefulShutdown, silentEndpoint } from '@peak/service-kit/testing';
import { readConfig, sandboxOptions } from '@peak/ses-sandbox';
import { admin, send, sesClient, simple, useSandbox } from './helper.js';

const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));
// SNS here never answers: publishing must not hold up SendEmail, nor stop().
const sns = await silentEndpoint(t);
const sandbox = await useSandbox(t, { snsEndpoint: sns.url });
const ses = sesClient(t, sandbox.endpoint);

t.test('shell: /health, /ready (the inner emulator answers), OpenAPI with the SES and sandbox routes', async (t) => {
  const health = await fetch(`${sandbox.endpoint}/health`);
  t.equal(health.status, 200);
  const ready = await fetch(`${sandbox.endpoint}/ready`);
  t.equal(ready.status, 200);
  t.match(await ready.json(), { status: 'ready', checks: { 'inner-emulator': 'ok' } });
  const spec = (await (await fetch(`${sandbox.endpoint}/docs/json`)).json()) as { paths: Record<string, unknown> };
  for (const path of [
    '/v2/email/outbound-emails',
    '/v2/email/account',
    '/v2/email/suppression/addresses',
    '/v2/email/suppression/addresses/{EmailAddress}',
    '/v2/email/configuration-sets',
    '/v2/email/configuration-sets/{ConfigurationSetName}/event-destinations',
    '/_sandbox/messages',
    '/_sandbox/counters',
    '/_sandbox/faults',
    '/_sandbox/outcomes/{address}',
    '/_sandbox/account',
    '/_sandbox/reset',
  ]) {
    t.ok(spec.paths[path], `OpenAPI documents ${path}`);
  }
});

t.test('routes the sandbox does not answer go to the inner emulator: templates through the SDK, v1, unknown routes', async (t) => {
  await ses.send(new CreateEmailTemplateCommand({ TemplateName: 'proxied', TemplateContent: { Subject: 'Hi', Text: 'Hello' } }));
  t.equal((await ses.send(new GetEmailTemplateCommand({ TemplateName: 'proxied' }))).TemplateContent?.Subject, 'Hi', 'template CRUD reaches the emulator');
  t.ok((await ses.send(new ListEmailTemplatesCommand({}))).TemplatesMetadata?.some((m) => m.TemplateName === 'proxied'));

  const v1 = await fetch(`${sandbox.endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 x' },
    body: new URLSearchParams({
      Action: 'SendEmail',
      Source: 'hello@peakfitness.example',
      'Destination.ToAddresses.member.1': 'v1@example.com',
      'Message.Subject.Data': 'v1',
      'Message.Body.Text.Data': 'v1 body',
    }).toString(),
  });
  t.equal(v1.status, 200, 'a v1 SendEmail (form-encoded) passes through untouched');
  const store = (await (await fetch(`${sandbox.endpoint}/store`)).json()) as { emails: { destination: { to: string[] } }[] };
  t.ok(
    store.emails.some((e) => e.destination.to.includes('v1@example.com')),
    'and lands in the emulator',
  );
  t.same(await admin(sandbox.endpoint).messages('?to=v1%40example.com'), [], 'but is not a sandbox send (no quotas, no events)');

  const unknown = await fetch(`${sandbox.endpoint}/v2/email/deliverability-dashboard`, { headers: { authorization: 'AWS4-HMAC-SHA256 x' } });
  t.equal(unknown.status, 404, "an operation neither implements: the emulator's 404");
  t.equal(await unknown.text(), '<UnknownOperationException/>');
});

t.test('config: defaults, the options they make, and a ConfigError naming bad values', async (t) => {
  const config = readConfig({});
  t.match(config, {
    PORT: 4021,
    AWS_REGION: 'us-east-1',
    SES_SANDBOX_MAX_SEND_RATE: 14,
    SES_SANDBOX_MAX_24_HOUR_SEND: 50_000,
    SES_SANDBOX_SUPPRESSED_REASONS: 'BOUNCE,COMPLAINT',
    SES_SANDBOX_DEFAULT_OUTCOME: 'deliver',
    SES_SANDBOX_STORED_MESSAGES: 10_000,
    SES_SANDBOX_SNS_ENDPOINT: undefined,
  });
  t.same(sandboxOptions(config), { region: 'us-east-1', maxSendRate: 14, max24HourSend: 50_000, suppressedReasons: ['BOUNCE', 'COMPLAINT'], defaultOutcome: 'deliver', maxStoredMessages: 10_000 });
  t.match(sandboxOptions(readConfig({ SES_SANDBOX_SUPPRESSED_REASONS: 'none', AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:4020', SES_SANDBOX_MAX_SEND_RATE: '0.5' })), {
    suppressedReasons: [],
    snsEndpoint: 'http://127.0.0.1:4020',
    maxSendRate: 0.5,
  });
  t.throws(() => readConfig({ SES_SANDBOX_MAX_SEND_RATE: '0', SES_SANDBOX_SUPPRESSED_REASONS: 'BOUNCE,UNSUBSCRIBE' }), {
    name: 'ConfigError',
    message: /SES_SANDBOX_MAX_SEND_RATE[\s\S]*SES_SANDBOX_SUPPRESSED_REASONS/,
  });
});

t.test('server.ts: boots from env, logs JSON, exits 0 on SIGTERM', async (t) => {
  await checkGracefulShutdown(t, server, {});
});

t.test('a publish that never returns holds up neither the SendEmail answer nor the next send', async (t) => {
  await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: 'slow-sns' }));
  await ses.send(
    new CreateConfigurationSetEventDestinationCommand({
      ConfigurationSetName: 'slow-sns',
      EventDestinationName: 'sns',
      EventDestination: { Enabled: true, MatchingEventTypes: ['SEND', 'DELIVERY'], SnsDestination: { TopicArn: 'arn:aws:sns:us-east-1:000000000000:ses-events' } },
    }),
  );
  const first = await send(ses, simple('a@example.com', { ConfigurationSetName: 'slow-sns' }));
  t.ok(first.MessageId, 'answered');
  await waitFor('the publish to reach SNS', async () => sns.requests() >= 1, 10_000);
  const second = await send(ses, simple('b@example.com', { ConfigurationSetName: 'slow-sns' }));
  t.ok(second.MessageId, 'answered while the first publish still hangs');
  const controls = admin(sandbox.endpoint);
  const [a, b] = await controls.messages();
  t.same(
    [...(a?.events ?? []), ...(b?.events ?? [])].map((e) => e.status),
    ['pending', 'pending', 'pending', 'pending'],
    'their events wait their turn',
  );
  t.match(await controls.counters(), { sends: 2, events: { published: 0, pending: 4 } });
});
