import t from 'tap';
import { ContractError, queues, type RawLanded } from '@peak/contracts';
import { GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createServiceApp, Queues, sqsPlugin } from '@peak/service-kit';
import { waitFor } from '@peak/local-stack';
import { closedEndpoint, localClients, readiness, silentEndpoint, useSqsEmulator } from '@peak/service-kit/testing';

// Typed loosely on purpose: the contracts' union-of-literals fields currently have `never` as static type.
const landed = {
  type: 'raw-landed',
  version: 1,
  batchId: 'batch_0001',
  dataset: 'attendance',
  objectKey: 'raw/attendance/dt=2026-11-25/batch_0001.csv',
  format: 'csv',
  compression: 'none',
  contentSha256: 'a'.repeat(64),
  bytes: 120,
  source: 'door-system',
  receivedAt: '2026-11-25T06:00:00.000Z',
} as Record<string, unknown> as RawLanded;

t.test('Queues.send validates the body against the queue contract before sending', async (t) => {
  const emu = await useSqsEmulator(t);
  const q = new Queues(emu.sqs);

  const broken = { ...landed, bytes: -1, extra: true } as unknown as RawLanded;
  await t.rejects(q.send(queues.rawLanded, broken), ContractError, 'a body that breaks the contract is refused');
  const { QueueUrl } = await emu.sqs.send(new GetQueueUrlCommand({ QueueName: 'raw-landed' }));
  const none = await emu.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
  t.equal(none.Messages, undefined, 'nothing reached the queue');

  const id = await q.send(queues.rawLanded, landed);
  t.ok(id, 'SQS returned a message id');
  const got = await emu.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
  t.same(JSON.parse(got.Messages?.[0]?.Body ?? '{}'), landed, 'the valid body arrives as sent');
});

t.test('Queues uses the stage prefix in physical queue names', async (t) => {
  const emu = await useSqsEmulator(t, { queues: [queues.rawLanded], queuePrefix: 'peak-test' });
  const q = new Queues(emu.sqs, 'peak-test');
  t.match(await q.url(queues.rawLanded), /peak-test-raw-landed$/);
  await t.rejects(new Queues(emu.sqs).check(queues.rawLanded), /queue raw-landed: .*does not exist/);
});

t.test('sqsPlugin readiness: ok while SQS answers; error, unreachable (reason with the queue under details) when it does not', async (t) => {
  const emu = await useSqsEmulator(t, { queues: [queues.rawLanded] });
  const up = await createServiceApp({ name: 'test', description: 'test' });
  t.teardown(() => up.close());
  await up.register(sqsPlugin, { region: 'us-east-1', queuePrefix: '', uses: [queues.rawLanded], client: emu.sqs });
  t.same(await readiness(up), { statusCode: 200, status: 'ready', checks: { sqs: 'ok' } });

  const missing = await createServiceApp({ name: 'test', description: 'test', readinessDetails: true });
  t.teardown(() => missing.close());
  await missing.register(sqsPlugin, { region: 'us-east-1', queuePrefix: '', uses: [queues.emailRequests], client: emu.sqs });
  t.match(await readiness(missing), { statusCode: 503, checks: { sqs: 'error' }, details: { sqs: /^queue email-requests: .*does not exist/ } });

  const down = await createServiceApp({ name: 'test', description: 'test', readinessDetails: true });
  t.teardown(() => down.close());
  const closed = await closedEndpoint();
  await down.register(sqsPlugin, { region: 'us-east-1', queuePrefix: '', uses: [queues.rawLanded], client: localClients.sqs(t, closed) });
  t.match(await readiness(down), { statusCode: 503, checks: { sqs: 'unreachable' }, details: { sqs: /^queue raw-landed: connect ECONNREFUSED/ } });
});

t.test('sqsPlugin readiness: SQS hanging is a timeout, and the SDK call is cancelled (its connection closed)', async (t) => {
  const hung = await silentEndpoint(t);
  const app = await createServiceApp({ name: 'test', description: 'test', readinessTimeoutMs: 500 });
  t.teardown(() => app.close());
  await app.register(sqsPlugin, { region: 'us-east-1', queuePrefix: '', uses: [queues.rawLanded], client: localClients.sqs(t, hung.url) });
  t.same(await readiness(app), { statusCode: 503, status: 'not ready', checks: { sqs: 'timeout' } });
  // A cold client may be aborted before its first request is even written: ask until one reached SQS.
  for (let i = 0; i < 5 && hung.requests() === 0; i++) await readiness(app);
  t.ok(hung.requests() > 0, 'a check did reach the endpoint');
  // Without the abort signal the SDK (no request timeout by default) would wait on that connection for good.
  await waitFor('every timed-out SQS call to close its connection', async () => hung.pending() === 0, 10_000);
  t.pass('no request left open');
});
