import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { Static } from 'typebox';
import { assertValid, type QueueDefinition } from '@peak/contracts';
import type { Queues } from '@peak/service-kit';

/** SQS takes at most 10 messages per SendMessageBatch. */
export const SQS_BATCH_SIZE = 10;

export type PublishOptions = {
  /** Sends of one batch in all, the first included, before its failed entries are given up (default 3). */
  attempts?: number;
  /** Pause before the n-th retry: n × this (default 100 ms). */
  retryDelayMs?: number;
  /** SendMessageBatch calls in flight at once (default 8). */
  concurrency?: number;
};

/** Some messages did not reach the queue (the rest may have). */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly failed: number,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

/**
 * Sends every body to a contract queue with SendMessageBatch, 10 per call. SQS answers a batch call
 * per entry: entries in `Failed` (or in neither list) are sent again, up to `attempts` sends; an entry
 * failed by our own fault (`SenderFault`, e.g. an invalid body) is not retried. Each body is checked
 * against the queue's message contract first. Resolves once SQS has taken every message; rejects with
 * a PublishError (or the SDK's error, after its own retries) otherwise.
 */
export async function publishBatched<Q extends QueueDefinition>(
  queues: Queues,
  queue: Q,
  bodies: readonly Static<Q['message']>[],
  opts: PublishOptions = {},
): Promise<void> {
  for (const body of bodies) assertValid(queue.message, body, `message for ${queue.name}`);
  if (bodies.length === 0) return;
  const url = await queues.url(queue);
  const batches: SendMessageBatchRequestEntry[][] = [];
  for (let i = 0; i < bodies.length; i += SQS_BATCH_SIZE) {
    batches.push(bodies.slice(i, i + SQS_BATCH_SIZE).map((body, j) => ({ Id: `m${i + j}`, MessageBody: JSON.stringify(body) })));
  }
  let next = 0;
  const worker = async () => {
    while (next < batches.length) await sendBatch(queues.sqs, url, batches[next++] ?? [], opts);
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, batches.length) }, worker));
}

async function sendBatch(sqs: SQSClient, url: string, entries: SendMessageBatchRequestEntry[], opts: PublishOptions): Promise<void> {
  const attempts = opts.attempts ?? 3;
  let pending = entries;
  for (let attempt = 1; ; attempt++) {
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: pending }));
    const sent = new Set((out.Successful ?? []).map((s) => s.Id));
    const failed = out.Failed ?? [];
    pending = pending.filter((e) => !sent.has(e.Id));
    if (pending.length === 0) return;
    const ours = failed.filter((f) => f.SenderFault);
    if (ours.length > 0 || attempt >= attempts) {
      const why = [...new Set(failed.map((f) => `${f.Code ?? 'unknown'}${f.Message ? ` (${f.Message})` : ''}`))].join(', ') || 'no answer for them';
      throw new PublishError(`${pending.length} of ${entries.length} messages not taken by SQS after ${attempt} sends: ${why}`, pending.length);
    }
    await sleep((opts.retryDelayMs ?? 100) * attempt);
  }
}
