import type { SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { assertValid, queues, rawLanded } from '@peak/contracts';
import { processBatch, type BatchDeps, type BatchOutcome } from './process-batch.js';

export type BatchWorkerOptions = {
  sqs: SQSClient;
  queueUrl: string;
  visibilitySeconds: number;
  /** How soon a failed message is offered again (seconds; 0 = at once). */
  retryDelaySeconds: number;
  deps: BatchDeps;
  /** Told about every message handled (tests and the status endpoint). */
  onOutcome?: (outcome: BatchOutcome) => void;
  onError?: (err: Error) => void;
};

/**
 * Consumes `raw-landed` with sqs-consumer, one batch at a time (a batch already uses every core
 * through DuckDB). A message is deleted only when its batch is published or failed for good; any
 * other error leaves it to be redelivered, and after the queue's max receives it goes to the DLQ.
 */
export type BatchWorker = {
  start(): void;
  /** Lets the batch in hand finish (and its message be deleted), then stops polling. */
  stop(): Promise<void>;
};

export function createBatchWorker(opts: BatchWorkerOptions): BatchWorker {
  let inFlight: { done: Promise<void>; settle(): void } | undefined;
  const consumer = Consumer.create({
    queueUrl: opts.queueUrl,
    sqs: opts.sqs,
    batchSize: 1,
    waitTimeSeconds: 20,
    visibilityTimeout: opts.visibilitySeconds,
    // Extend the message's visibility while a long batch runs, so no other worker picks it up meanwhile.
    heartbeatInterval: Math.max(5, Math.floor(opts.visibilitySeconds / 3)),
    messageSystemAttributeNames: ['ApproximateReceiveCount'],
    // A failed batch is offered again after a pause rather than after the whole visibility timeout.
    terminateVisibilityTimeout: opts.retryDelaySeconds === 0 ? true : opts.retryDelaySeconds, // sqs-consumer reads 0 as "off"; true means 0
    handleMessage: async (message) => {
      let settle = () => {};
      inFlight = { done: new Promise<void>((r) => (settle = r)), settle: () => settle() };
      const body = assertValid(rawLanded, parseJson(message.Body), 'raw-landed message');
      const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
      const outcome = await processBatch(body.batchId, { receiveCount, maxReceiveCount: queues.rawLanded.maxReceiveCount }, opts.deps);
      opts.onOutcome?.(outcome);
      return message;
    },
  });
  const finished = () => {
    inFlight?.settle();
    inFlight = undefined;
  };
  consumer.on('message_processed', finished); // after the delete
  consumer.on('error', (err) => opts.onError?.(err));
  consumer.on('processing_error', (err) => {
    finished();
    opts.onError?.(err);
  });
  return {
    start: () => consumer.start(),
    async stop() {
      await inFlight?.done;
      await new Promise<void>((resolve) => {
        consumer.once('stopped', () => resolve());
        consumer.stop({ abort: true }); // ends the long poll at once
      });
    },
  };
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    throw new Error(`raw-landed message body is not JSON: ${(text ?? '').slice(0, 80)}`);
  }
}
