/**
 * Puts email requests on the `email-requests` queue with SendMessageBatch, 10 per call. SQS answers per entry: an entry
 * that failed on SQS's side (or got no answer) is sent again, up to `attempts` sends of its batch; one that failed by
 * our own fault (`SenderFault`) is not. A call that fails as a whole (the SDK's own retries spent) counts as a failed
 * attempt for each of its entries. Nothing is thrown here: the caller learns which requests SQS took, records the run
 * and fails it if some were not.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { EmailRequest } from '@peak/contracts';

/** SQS takes at most 10 messages per SendMessageBatch. */
export const SQS_BATCH_SIZE = 10;

export type QueueOptions = {
  /** Sends of a batch in all, the first included, before its failed entries are given up (default 3). */
  attempts?: number;
  /** Pause before the n-th retry: n × this (default 200 ms). */
  retryDelayMs?: number;
  /** SendMessageBatch calls in flight at once (default 8). */
  concurrency?: number;
  /** After each batch: requests taken so far, out of all. */
  onProgress?: (queued: number, total: number) => void;
};

export type QueueResult = {
  /** Indexes (into the requests given) that SQS took. */
  queued: Set<number>;
  /** Those it did not, with SQS's reason. */
  failed: { index: number; reason: string }[];
};

export async function queueRequests(sqs: SQSClient, queueUrl: string, requests: readonly EmailRequest[], opts: QueueOptions = {}): Promise<QueueResult> {
  const result: QueueResult = { queued: new Set(), failed: [] };
  const batches: SendMessageBatchRequestEntry[][] = [];
  for (let i = 0; i < requests.length; i += SQS_BATCH_SIZE) {
    batches.push(requests.slice(i, i + SQS_BATCH_SIZE).map((body, j) => ({ Id: String(i + j), MessageBody: JSON.stringify(body) })));
  }
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++] ?? [];
      await sendBatch(sqs, queueUrl, batch, opts, result);
      opts.onProgress?.(result.queued.size, requests.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, batches.length) }, worker));
  result.failed.sort((a, b) => a.index - b.index);
  return result;
}

async function sendBatch(sqs: SQSClient, queueUrl: string, entries: SendMessageBatchRequestEntry[], opts: QueueOptions, result: QueueResult): Promise<void> {
  const attempts = Math.max(1, opts.attempts ?? 3);
  let pending = entries;
  const reasons = new Map<string, string>();
  for (let attempt = 1; pending.length > 0; attempt++) {
    try {
      const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      for (const s of out.Successful ?? []) if (s.Id !== undefined) result.queued.add(Number(s.Id));
      const ours = new Set<string>();
      for (const f of out.Failed ?? []) {
        if (f.Id === undefined) continue;
        reasons.set(f.Id, `${f.Code ?? 'failed'}${f.Message ? `: ${f.Message}` : ''}`);
        if (f.SenderFault) ours.add(f.Id);
      }
      for (const e of pending) {
        if (ours.has(e.Id as string)) result.failed.push({ index: Number(e.Id), reason: `${reasons.get(e.Id as string)} (refused as our fault, not retried)` });
      }
      pending = pending.filter((e) => !result.queued.has(Number(e.Id)) && !ours.has(e.Id as string));
      for (const e of pending) if (!reasons.has(e.Id as string)) reasons.set(e.Id as string, 'no answer for it in the batch response');
    } catch (err) {
      for (const e of pending) reasons.set(e.Id as string, `${(err as Error).name}: ${(err as Error).message}`);
    }
    if (pending.length === 0) return;
    if (attempt >= attempts) {
      for (const e of pending) result.failed.push({ index: Number(e.Id), reason: `${reasons.get(e.Id as string) ?? 'unknown'} (after ${attempt} sends)` });
      return;
    }
    await sleep((opts.retryDelayMs ?? 200) * attempt);
  }
}
