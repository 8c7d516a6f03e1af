import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { FastifyBaseLogger } from 'fastify';
import type { Counters } from './counters.js';
import type { EventRecord } from './messages.js';

/**
 * Publishes events to their SNS topics after the SendEmail answer has gone out, one at a time in the order given (so
 * each message's Send, Delivery/Bounce, Complaint reach a subscribed queue in that order). A failure is logged,
 * counted and noted on the event; it never reaches the caller of SendEmail. Closing aborts what is in flight.
 */
export class EventPublisher {
  private chain: Promise<void> = Promise.resolve();
  private readonly closing = new AbortController();

  constructor(
    private readonly sns: SNSClient | undefined,
    private readonly counters: Counters,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Queues the records that have topics; the rest are already `not-published`. */
  publish(records: readonly EventRecord[]): void {
    const work = records.filter((r) => r.status === 'pending');
    if (work.length === 0) return;
    this.counters.value.events.pending += work.length;
    this.chain = this.chain
      // setImmediate: after the answer's write has been started in this turn of the event loop.
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(async () => {
        for (const record of work) await this.publishOne(record);
      });
  }

  /** Resolves once everything queued so far has been published (or has failed). */
  settled(): Promise<void> {
    return this.chain;
  }

  close(): void {
    this.closing.abort(new Error('the SES sandbox stopped'));
  }

  private async publishOne(record: EventRecord): Promise<void> {
    const events = () => this.counters.value.events; // a reset in between replaces the counters
    try {
      if (this.closing.signal.aborted) throw this.closing.signal.reason;
      if (!this.sns) throw new Error('no SNS endpoint configured (option snsEndpoint / SES_SANDBOX_SNS_ENDPOINT)');
      const Message = JSON.stringify(record.event);
      for (const TopicArn of record.topics) await this.sns.send(new PublishCommand({ TopicArn, Message }), { abortSignal: this.closing.signal });
      record.status = 'published';
      events().published += 1;
    } catch (err) {
      record.status = 'failed';
      record.error = (err as Error).message;
      events().publishFailures += 1;
      this.log.warn({ err, eventType: record.eventType, messageId: record.event.mail.messageId, topics: record.topics }, 'could not publish an SES event to SNS');
    } finally {
      events().pending = Math.max(0, events().pending - 1);
    }
  }
}
