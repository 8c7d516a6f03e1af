import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import t from 'tap';
import { queueList, queues, dlqName } from '@peak/contracts';
import { BatchRegistry, FolderLake, type Lake } from '@peak/lake';
import { localClients, useSqsEmulator } from '@peak/service-kit/testing';
import { Queues } from '@peak/service-kit';
import { waitFor } from '@peak/local-stack';
import { createBatchWorker, watchDeadLetters, type BatchOutcome } from '@peak/etl';
import { landBatch } from './helpers.js';

const quiet = { info: () => {}, warn: () => {} };

/** Each test gets its own emulator: a worker stopped mid long-poll must not take the next test's messages. */
async function useQueues(t: Parameters<typeof useSqsEmulator>[0]) {
  const emu = await useSqsEmulator(t, { queues: queueList });
  const sqs = localClients.sqs(t, emu.endpoint);
  const qs = new Queues(sqs);
  return { sqs, qs, url: (name: string) => qs.url({ name }) };
}

const MEMBERS = `member_id,email,first_name,last_name,home_location_id,join_date,plan,status,cancelled_on,birth_year,marketing_opt_in,updated_at
M000001,ada@example.com,Ada,Lovelace,downtown,2026-01-02,unlimited,active,,1990,true,2026-01-02T10:00:00Z
`;


async function drain(client: SQSClient, queueUrl: string, waitSeconds = 0): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const r = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }));
    if (!r.Messages?.length) return bodies;
    bodies.push(...r.Messages.map((m) => m.Body ?? ''));
  }
}

type Env = Awaited<ReturnType<typeof useQueues>>;

function startWorker(t: { teardown(fn: () => unknown): void }, { sqs, qs }: Env, lake: Lake, dir: string, queueUrl: string, outcomes: BatchOutcome[], errors: Error[] = []) {
  const worker = createBatchWorker({
    sqs, queueUrl, visibilitySeconds: 30, retryDelaySeconds: 0,
    deps: {
      lake, registry: new BatchRegistry(lake), workDir: join(dir, 'work'), log: quiet,
      announce: async (m) => void (await qs.send(queues.batchProcessed, m)),
    },
    onOutcome: (o) => outcomes.push(o),
    onError: (e) => errors.push(e),
  });
  worker.start();
  t.teardown(() => worker.stop());
  return worker;
}

t.test('the same raw-landed delivered three times, to two workers at once: one result, announced', async (t) => {
  const env = await useQueues(t);
  const { sqs, url } = env;
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const queueUrl = await url(queues.rawLanded.name);
  const { record, message } = await landBatch(lake, 'members', MEMBERS);
  for (let i = 0; i < 3; i++) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
  const outcomes: BatchOutcome[] = [];
  const errors: Error[] = [];
  startWorker(t, env, lake, dir, queueUrl, outcomes, errors);
  startWorker(t, env, lake, dir, queueUrl, outcomes, errors);
  await waitFor('three deliveries handled', async () => outcomes.length === 3 || errors.length > 0, 30_000, 100);
  t.same(errors.map((e) => e.message), [], 'no worker error');
  t.ok(outcomes.filter((o) => o.kind === 'processed').length >= 1, 'processed at least once');
  t.ok(outcomes.every((o) => o.kind !== 'failed'), 'no delivery failed');
  const done = await new BatchRegistry(lake).get(record.batchId);
  t.match(done, { status: 'processed', rowsIn: 1, rowsProcessed: 1, rowsQuarantined: 0 });
  const page = await lake.list('processed/members/');
  t.same(page.items.map((i) => i.key), done?.processedKeys, 'one set of files, as the record lists');
  const announced = (await drain(sqs, await url(queues.batchProcessed.name))).map((b) => JSON.parse(b) as { batchId: string; status: string });
  t.ok(announced.length >= 1 && announced.every((a) => a.batchId === record.batchId && a.status === 'processed'), `announced (${announced.length}×, once per processing run)`);
  t.same(await drain(sqs, queueUrl), [], 'every delivery was deleted');
});

t.test('a poison message (not a raw-landed body) ends in the DLQ after the allowed receives', async (t) => {
  const env = await useQueues(t);
  const { sqs, url } = env;
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const queueUrl = await url(queues.rawLanded.name);
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"type":"raw-landed","batchId":"../../etc"}' }));
  const errors: Error[] = [];
  startWorker(t, env, lake, dir, queueUrl, [], errors);
  const dlqUrl = await url(dlqName(queues.rawLanded));
  let dead: string[] = [];
  await waitFor('the message in the DLQ', async () => (dead = await drain(sqs, dlqUrl)).length > 0, 60_000, 200);
  t.match(dead[0], /etc/);
  t.equal(errors.length, queues.rawLanded.maxReceiveCount, `one processing error per receive: ${errors.map((e) => e.message).join(' / ')}`);
  t.match(errors[0]?.message, /raw-landed message/);
});

t.test('a batch whose message reached the DLQ without being marked is marked failed, and the message stays for a redrive', async (t) => {
  const env = await useQueues(t);
  const { sqs, url } = env;
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const registry = new BatchRegistry(lake);
  const { record, message } = await landBatch(lake, 'members', MEMBERS);
  await registry.update(record.batchId, { status: 'processing' });
  const dlqUrl = await url(dlqName(queues.rawLanded));
  await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: JSON.stringify(message) }));
  await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: 'not json at all' }));
  const announced: string[] = [];
  const watcher = watchDeadLetters({ sqs, dlqUrl, revisitSeconds: 1, deps: { registry, log: quiet, announce: async (m) => void announced.push(m.status) } });
  watcher.start();
  t.teardown(() => watcher.stop());
  await waitFor('the batch marked failed', async () => (await registry.get(record.batchId))?.status === 'failed', 30_000, 100);
  t.match(await registry.get(record.batchId), { status: 'failed', error: /dead-letter queue after 1 attempts that never finished/ });
  t.same(announced, ['failed']);
  await watcher.stop();
  const kept: string[] = [];
  await waitFor('both messages visible again in the DLQ', async () => (kept.push(...(await drain(sqs, dlqUrl))), kept.length >= 2), 20_000, 200);
  t.equal(kept.length, 2, 'both messages still in the DLQ, for a redrive');
});
