/**
 * The notifier's two queues. `email-requests`: several receive loops (SENDER_CONSUMERS), each handling up to 10
 * messages at once; a message is deleted only once its email reached a ledger outcome, held messages get their
 * visibility pushed to when they may go, and malformed ones are left to reach the dead-letter queue (logged with
 * the reason). While SES says the daily quota is spent or sending is paused, the loops stop receiving altogether, so
 * waiting messages do not use up their receives. `ses-events`: one loop.
 */
import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { assertValid, emailRequest, type EmailRequest } from '@peak/contracts';
import { backOffOnErrors, parseMessageBody, stopConsumer } from '@peak/service-kit';
import { handleSesEvent, parseSesEventBody, type SesEventDeps } from '../events/handle-ses-event.js';
import { handleEmailRequest, type Outcome, type SenderDeps } from './send-request.js';

/** SQS caps a message's visibility at 12 hours from its receipt. */
const MAX_HOLD_SECONDS = 12 * 60 * 60 - 60;

export type SenderStats = Record<Outcome | 'invalid', number> & { events: number; invalidEvents: number };

export type NotifierQueuesOptions = {
  sqs: SQSClient;
  requestsQueueUrl: string;
  eventsQueueUrl: string;
  consumers: number;
  sender: SenderDeps;
  events: SesEventDeps;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
};

export type NotifierQueues = { stats: SenderStats; start(): void; stop(): Promise<void> };

export function notifierQueues(o: NotifierQueuesOptions): NotifierQueues {
  const stats: SenderStats = { sent: 0, unknown: 0, failed: 0, suppressed: 0, capped: 0, dropped: 0, duplicate: 0, busy: 0, held: 0, retry: 0, invalid: 0, events: 0, invalidEvents: 0 };
  let running = false;

  const hold = async (entries: { message: Message; seconds: number }[]) => {
    if (entries.length === 0) return;
    await o.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: o.requestsQueueUrl,
        Entries: entries.map(({ message, seconds }, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: Math.min(MAX_HOLD_SECONDS, Math.max(0, seconds)) })),
      }),
    );
  };

  const senders = Array.from({ length: o.consumers }, () =>
    Consumer.create({
      queueUrl: o.requestsQueueUrl,
      sqs: o.sqs,
      batchSize: 10,
      waitTimeSeconds: 20,
      visibilityTimeout: 60,
      heartbeatInterval: 20, // a batch waiting for its send slots keeps its messages hidden
      handleMessageBatch: async (messages) => {
        const valid: { message: Message; request: EmailRequest }[] = [];
        for (const message of messages) {
          try {
            valid.push({ message, request: assertValid(emailRequest, parseMessageBody(message.Body, 'email-request'), 'email-request') });
          } catch (err) {
            stats.invalid++;
            o.log.warn({ messageId: message.MessageId, err: (err as Error).message }, 'email-request refused: left for the dead-letter queue');
          }
        }
        const results = await Promise.all(
          valid.map(async ({ message, request }) => {
            try {
              return { message, disposition: await handleEmailRequest(request, o.sender) };
            } catch (err) {
              o.log.warn({ dedupeKey: request.dedupeKey, err }, 'email-request not handled; it will be offered again');
              return { message, disposition: undefined };
            }
          }),
        );
        const done: Message[] = [];
        const held: { message: Message; seconds: number }[] = [];
        for (const { message, disposition } of results) {
          if (!disposition) continue;
          stats[disposition.outcome]++;
          if (disposition.action === 'delete') done.push(message);
          else if (disposition.action === 'hold') held.push({ message, seconds: disposition.seconds ?? 60 });
        }
        await hold(held).catch((err) => o.log.warn({ err }, 'could not hold messages: they come back after their visibility timeout'));
        return done;
      },
    }),
  );

  const events = Consumer.create({
    queueUrl: o.eventsQueueUrl,
    sqs: o.sqs,
    batchSize: 10,
    waitTimeSeconds: 20,
    handleMessageBatch: async (messages) => {
      const done: Message[] = [];
      for (const message of messages) {
        try {
          const event = parseSesEventBody(message.Body);
          await handleSesEvent(event, o.events);
          stats.events++;
          done.push(message);
        } catch (err) {
          stats.invalidEvents++;
          o.log.warn({ messageId: message.MessageId, err: (err as Error).message }, 'ses-event not handled: offered again, then left for the dead-letter queue');
        }
      }
      return done;
    },
  });

  for (const c of [...senders, events]) {
    backOffOnErrors(c);
    c.on('error', (err) => {
      if (running) o.log.warn({ err }, 'notifier queue error'); // stopping aborts the long polls: not worth a warning
    });
    c.on('processing_error', (err) => o.log.warn({ err }, 'notifier message not handled; it will be offered again'));
  }

  o.sender.pacer.on('paused', ({ until, reason, message }) => {
    o.log.error({ reason, until: new Date(until).toISOString(), ses: message }, 'SES sending paused: no email-requests are received until then');
    for (const c of senders) c.stop();
  });
  o.sender.pacer.on('resumed', () => {
    if (!running) return;
    o.log.info({}, 'SES sending resumed');
    for (const c of senders) c.start();
  });

  return {
    stats,
    start() {
      running = true;
      for (const c of [...senders, events]) c.start();
    },
    async stop() {
      running = false;
      await Promise.all([...senders, events].map((c) => stopConsumer(c)));
    },
  };
}
