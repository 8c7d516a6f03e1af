import type { SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { assertValid, queues, rawLanded } from '@peak/contracts';
import { backOffOnErrors, parseMessageBody, stopConsumer } from '@peak/service-kit';
import { batchProcessedMessage, processBatch, type BatchDeps, type BatchOutcome, type Delivery } from './process-batch.js';

export type BatchWorkerOptions = {
  sqs: SQSClient;
  queueUrl: string;
  visibilitySeconds: number;
  /** How soon a failed message is offered again (seconds; 0 = at once). */
  retryDelaySeconds: number;
  deps: BatchDeps;
  /**
   * Runs one batch: processBatch in this process (the default), or a Glue job run (processBatchOnGlue).
   * Returns when the message may be deleted; throws to have it redelivered.
   */
  execute?: (batchId: string, delivery: Delivery, deps: BatchDeps) => Promise<BatchOutcome>;
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
  const execute = opts.execute ?? processBatch;
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
      const body = assertValid(rawLanded, parseMessageBody(message.Body, 'raw-landed message'), 'raw-landed message');
      const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
      const outcome = await execute(body.batchId, { receiveCount, maxReceiveCount: queues.rawLanded.maxReceiveCount }, opts.deps);
      opts.onOutcome?.(outcome);
      return message;
    },
  });
  const finished = () => {
    inFlight?.settle();
    inFlight = undefined;
  };
  consumer.on('message_processed', finished); // after the delete
  backOffOnErrors(consumer);
  consumer.on('error', (err) => opts.onError?.(err));
  consumer.on('processing_error', (err) => {
    finished();
    opts.onError?.(err);
  });
  return {
    start: () => consumer.start(),
    async stop() {
      await inFlight?.done;
      await stopConsumer(consumer);
    },
  };
}

export type DeadLetterWatchOptions = {
  sqs: SQSClient;
  dlqUrl: string;
  deps: Pick<BatchDeps, 'registry' | 'announce' | 'log' | 'now'>;
  /** How long a looked-at message stays hidden before it is looked at again (seconds). */
  revisitSeconds?: number;
};

/**
 * Watches `raw-landed-dlq`: a message lands there without its batch being marked when the worker died
 * on every delivery (killed, out of memory). The batch is then marked failed with that explanation.
 * Messages are never deleted here: they wait in the DLQ for an operator to redrive them.
 */
export function watchDeadLetters(opts: DeadLetterWatchOptions): BatchWorker {
  const consumer = Consumer.create({
    queueUrl: opts.dlqUrl,
    sqs: opts.sqs,
    batchSize: 10,
    waitTimeSeconds: 20,
    visibilityTimeout: opts.revisitSeconds ?? 3600,
    shouldDeleteMessages: false,
    messageSystemAttributeNames: ['ApproximateReceiveCount'],
    handleMessage: async (message) => {
      let batchId: string;
      try {
        batchId = assertValid(rawLanded, parseMessageBody(message.Body, 'raw-landed message'), 'raw-landed message').batchId;
      } catch (err) {
        opts.deps.log.warn({ err, messageId: message.MessageId }, 'dead-letter watch: not a raw-landed message; left in the DLQ');
        return undefined;
      }
      const record = await opts.deps.registry.get(batchId);
      if (record && (record.status === 'received' || record.status === 'processing')) {
        const error = `ended in the dead-letter queue after ${record.attempts} attempts that never finished (the worker died each time, e.g. out of memory); fix the cause, then redrive raw-landed-dlq`;
        // A batch fails only from processing (the registry's rule); one never started gets there first.
        if (record.status === 'received') await opts.deps.registry.update(batchId, { status: 'processing' });
        const failed = await opts.deps.registry.update(batchId, { status: 'failed', error });
        await opts.deps.announce(batchProcessedMessage(failed, opts.deps.now?.() ?? new Date()));
        opts.deps.log.warn({ batchId, error }, 'batch failed in the dead-letter queue');
      }
      return undefined;
    },
  });
  backOffOnErrors(consumer);
  consumer.on('error', (err) => opts.deps.log.warn({ err }, 'dead-letter watch: queue error'));
  consumer.on('processing_error', (err) => opts.deps.log.warn({ err }, 'dead-letter watch: could not mark a batch'));
  return { start: () => consumer.start(), stop: () => stopConsumer(consumer) };
}
