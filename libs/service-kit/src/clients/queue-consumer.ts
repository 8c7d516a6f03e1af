import type { Consumer } from 'sqs-consumer';

/**
 * sqs-consumer polls again at once after a failed receive (SQS unreachable): wait 0.5 s, doubling
 * up to 30 s, until a receive works again.
 */
export function backOffOnErrors(consumer: Consumer): void {
  let wait = 0;
  consumer.on('error', () => {
    wait = Math.min(30_000, wait === 0 ? 500 : wait * 2);
    consumer.updateOption('pollingWaitTimeMs', wait);
  });
  const recovered = () => {
    if (wait === 0) return;
    wait = 0;
    consumer.updateOption('pollingWaitTimeMs', 0);
  };
  consumer.on('empty', recovered);
  consumer.on('message_received', recovered);
}

/** Stops polling at once (aborting a long poll); a consumer already stopped resolves straight away. */
export function stopConsumer(consumer: Consumer): Promise<void> {
  if (!consumer.status.isRunning) return Promise.resolve();
  return new Promise<void>((resolve) => {
    consumer.once('stopped', () => resolve());
    consumer.stop({ abort: true });
  });
}

/** A message body as JSON, or an error naming the queue and the start of what arrived. */
export function parseMessageBody(text: string | undefined, what: string): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    throw new Error(`${what} body is not JSON: ${(text ?? '').slice(0, 80)}`);
  }
}
