import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import t, { type Test } from 'tap';
import { queueList, queues, type BatchProcessed } from '@peak/contracts';
import { BatchRegistry, FolderLake } from '@peak/lake';
import { waitFor } from '@peak/local-stack';
import { Queues } from '@peak/service-kit';
import { localClients, useSqsEmulator } from '@peak/service-kit/testing';
import { createBatchWorker, type BatchOutcome } from '@peak/etl';
import { landBatch, query } from './helpers.js';

/**
 * SQS (the emulator) is briefly unreachable: the worker's client goes through a TCP proxy the test
 * cuts (every open connection reset, new ones refused with a reset) and restores. The test's own
 * client talks to the emulator directly.
 */
type Proxy = { endpoint: string; cut(): void; restore(): void; refused(): number; stop(): Promise<void> };

async function startProxy(targetPort: number): Promise<Proxy> {
  const open = new Set<Socket>();
  let down = false;
  let refused = 0;
  const server: Server = createServer((client) => {
    if (down) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', close);
      s.on('close', close);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const cut = () => {
    down = true;
    for (const s of open) s.resetAndDestroy();
    open.clear();
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    cut,
    restore: () => void (down = false),
    refused: () => refused,
    stop: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const MEMBERS = `member_id,email,first_name,last_name,home_location_id,join_date,plan,status,cancelled_on,birth_year,marketing_opt_in,updated_at
M000001,ada@example.com,Ada,Lovelace,downtown,2026-01-02,unlimited,active,,1990,true,2026-01-02T10:00:00Z
M000002,alan@example.com,Alan,Turing,riverside,2026-01-03,unlimited,active,,1985,false,2026-01-03T10:00:00Z
M000003,grace@example.com,Grace,Hopper,downtown,2026-01-04,unlimited,active,,1980,true,2026-01-04T10:00:00Z
`;


async function drain(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!r.Messages?.length) return bodies;
    bodies.push(...r.Messages.map((m) => m.Body ?? ''));
  }
}

async function queueIsEmpty(sqs: SQSClient, queueUrl: string): Promise<boolean> {
  const { Attributes: a } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return a?.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0';
}

async function setup(t: Test) {
  const emu = await useSqsEmulator(t, { queues: queueList });
  const direct = localClients.sqs(t, emu.endpoint); // the test's own view of SQS, never cut
  const proxy = await startProxy(emu.port);
  t.teardown(() => proxy.stop());
  const viaProxy = localClients.sqs(t, proxy.endpoint); // the worker's
  const lake = new FolderLake(join(t.testdir(), 'lake'));
  const directQueues = new Queues(direct);
  return {
    direct, proxy, viaProxy, lake,
    rawLandedUrl: await directQueues.url(queues.rawLanded),
    processedUrl: await directQueues.url(queues.batchProcessed),
  };
}

/** The batch once in the lake: its record lists exactly the files present, each member exactly once. */
async function processedOnce(t: Test, lake: FolderLake, batchId: string, attempts: number): Promise<void> {
  const done = await new BatchRegistry(lake).get(batchId);
  t.match(done, { status: 'processed', attempts, rowsIn: 3, rowsProcessed: 3, rowsQuarantined: 0 });
  const files = (await lake.list('processed/members/')).items.map((i) => i.key);
  t.same(files, done?.processedKeys, 'the lake holds exactly the files the record lists');
  const rows = await query(`SELECT member_id, count(*) AS n FROM read_parquet([${files.map((f) => `'${lake.localPath(f)}'`).join(', ')}]) GROUP BY ALL ORDER BY ALL`);
  t.same(rows, [{ member_id: 'M000001', n: '1' }, { member_id: 'M000002', n: '1' }, { member_id: 'M000003', n: '1' }], 'every row once: none lost, none doubled');
}

t.test('SQS unreachable while the worker polls: it logs errors, keeps polling, and processes the batch once SQS is back', async (t) => {
  const { direct, proxy, viaProxy, lake, rawLandedUrl, processedUrl } = await setup(t);
  const outcomes: BatchOutcome[] = [];
  const errors: Error[] = [];
  proxy.cut();
  const worker = createBatchWorker({
    sqs: viaProxy, queueUrl: rawLandedUrl, visibilitySeconds: 6, retryDelaySeconds: 0,
    deps: {
      lake, registry: new BatchRegistry(lake), workDir: join(t.testdir(), 'work'), log: { info: () => {}, warn: () => {} },
      announce: async (m: BatchProcessed) => void (await new Queues(viaProxy).send(queues.batchProcessed, m)),
    },
    onOutcome: (o) => outcomes.push(o),
    onError: (e) => errors.push(e),
  });
  worker.start();
  t.teardown(() => worker.stop());

  const { record, message } = await landBatch(lake, 'members', MEMBERS);
  await direct.send(new SendMessageCommand({ QueueUrl: rawLandedUrl, MessageBody: JSON.stringify(message) }));
  // Down for a few seconds: poll after poll fails (the worker does not stop on them).
  const sentAt = Date.now();
  await waitFor('failed polls for 3 s while SQS is down', async () => errors.length >= 5 && Date.now() - sentAt >= 3000, 20_000, 50);
  t.equal((await new BatchRegistry(lake).get(record.batchId))?.status, 'received', 'nothing was processed while SQS was down');
  t.ok(proxy.refused() > 0, `the worker's connections were refused (${proxy.refused()})`);
  t.match(errors[0]?.message, /SQS receive message failed/, 'each failed poll is reported');

  proxy.restore();
  await waitFor('the batch processed', async () => outcomes.length > 0, 20_000, 50);
  t.same(outcomes.map((o) => o.kind), ['processed'], 'processed once');
  await processedOnce(t, lake, record.batchId, 1);

  // Still running: a batch landed after the outage goes through too.
  const second = await landBatch(lake, 'members', MEMBERS.replaceAll('M00000', 'M00001'));
  await direct.send(new SendMessageCommand({ QueueUrl: rawLandedUrl, MessageBody: JSON.stringify(second.message) }));
  await waitFor('the second batch processed', async () => outcomes.length > 1, 20_000, 50);
  t.same(outcomes.map((o) => o.kind), ['processed', 'processed'], 'the worker kept running');
  await waitFor('raw-landed empty (both messages deleted)', () => queueIsEmpty(direct, rawLandedUrl), 10_000, 50);
  const announced = (await drain(direct, processedUrl)).map((b) => JSON.parse(b) as BatchProcessed);
  t.same(announced.map((a) => [a.batchId, a.status, a.rowsProcessed]), [[record.batchId, 'processed', 3], [second.record.batchId, 'processed', 3]], 'each batch announced once');
  t.comment(`${errors.length} failed polls reported during the outage`);
});

t.test('SQS goes away in the middle of a batch (at its announcement): redelivered once SQS is back, published once', async (t) => {
  const { direct, proxy, viaProxy, lake, rawLandedUrl, processedUrl } = await setup(t);
  const outcomes: BatchOutcome[] = [];
  const errors: Error[] = [];
  const warnings: string[] = [];
  let announcements = 0;
  const worker = createBatchWorker({
    sqs: viaProxy, queueUrl: rawLandedUrl, visibilitySeconds: 6, retryDelaySeconds: 0,
    deps: {
      lake, registry: new BatchRegistry(lake), workDir: join(t.testdir(), 'work'), log: { info: () => {}, warn: (_o, msg) => void warnings.push(msg) },
      announce: async (m: BatchProcessed) => {
        if (++announcements === 1) proxy.cut(); // SQS goes down just as the first announcement is sent
        await new Queues(viaProxy).send(queues.batchProcessed, m);
      },
    },
    onOutcome: (o) => outcomes.push(o),
    onError: (e) => errors.push(e),
  });
  worker.start();
  t.teardown(() => worker.stop());

  const { record, message } = await landBatch(lake, 'members', MEMBERS);
  await direct.send(new SendMessageCommand({ QueueUrl: rawLandedUrl, MessageBody: JSON.stringify(message) }));
  await waitFor('the failed attempt and a failed poll after it', async () => announcements === 1 && errors.length >= 2, 20_000, 50);
  t.match(await new BatchRegistry(lake).get(record.batchId), { status: 'processing', attempts: 1 }, 'outputs published, not yet marked processed');
  t.ok(warnings.some((w) => /redeliver/.test(w)), 'the failed attempt is logged');

  proxy.restore();
  // The message comes back after its visibility timeout (the worker could not shorten it while SQS was down).
  await waitFor('the batch processed on redelivery', async () => outcomes.length > 0, 20_000, 50);
  t.same(outcomes.map((o) => o.kind), ['processed']);
  await processedOnce(t, lake, record.batchId, 2);
  await waitFor('raw-landed empty (the message deleted)', () => queueIsEmpty(direct, rawLandedUrl), 10_000, 50);
  const announced = (await drain(direct, processedUrl)).map((b) => JSON.parse(b) as BatchProcessed);
  t.same(announced.map((a) => [a.batchId, a.status, a.rowsProcessed]), [[record.batchId, 'processed', 3]], 'announced once');
});
