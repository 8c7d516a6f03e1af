import type { TSchema } from 'typebox';
import { messages } from './messages/index.js';

/**
 * Every SQS queue of the platform, read by the local launcher (which creates them in the emulator)
 * and by the Pulumi program (which creates them in AWS). Each queue has a dead-letter queue
 * `<name>-dlq` that receives a message after `maxReceiveCount` failed deliveries.
 */
export type QueueDefinition = {
  /** Logical name; AWS names are `<prefix>-<name>` (prefix = `peak-<stage>`). */
  name: string;
  description: string;
  message: TSchema;
  producer: string;
  consumer: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  messageRetentionSeconds: number;
  dlqRetentionSeconds: number;
  receiveWaitTimeSeconds: number;
};

const DAY = 86_400;

const queue = (q: Omit<QueueDefinition, 'dlqRetentionSeconds' | 'receiveWaitTimeSeconds'> & Partial<QueueDefinition>): QueueDefinition => ({
  dlqRetentionSeconds: 14 * DAY, // the SQS maximum: time to inspect and redrive
  receiveWaitTimeSeconds: 20, // long polling: fewer empty receives
  ...q,
});

export const queues = {
  rawLanded: queue({
    name: 'raw-landed',
    description: 'ingest → ETL: a raw export landed in the lake',
    message: messages.rawLanded,
    producer: 'ingest',
    consumer: 'etl',
    visibilityTimeoutSeconds: 900, // a large batch may take minutes to validate and write
    maxReceiveCount: 3,
    messageRetentionSeconds: 4 * DAY,
  }),
  batchProcessed: queue({
    name: 'batch-processed',
    description: 'ETL → leaderboard: a batch reached the processed zone; refresh metric caches',
    message: messages.batchProcessed,
    producer: 'etl',
    consumer: 'leaderboard',
    visibilityTimeoutSeconds: 300,
    maxReceiveCount: 5,
    messageRetentionSeconds: 4 * DAY,
  }),
  attendanceEvents: queue({
    name: 'attendance-events',
    description: 'ingest → leaderboard: real-time check-ins for live rank updates',
    message: messages.attendanceEvent,
    producer: 'ingest',
    consumer: 'leaderboard',
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 5,
    messageRetentionSeconds: 1 * DAY, // a live event older than a day is history: the batch path has it
  }),
  emailRequests: queue({
    name: 'email-requests',
    description: 'campaign planner → notifier: send one templated email',
    message: messages.emailRequest,
    producer: 'campaign-planner',
    consumer: 'notifier',
    visibilityTimeoutSeconds: 60,
    maxReceiveCount: 5,
    messageRetentionSeconds: 4 * DAY,
  }),
  sesEvents: queue({
    name: 'ses-events',
    description: 'SES (via SNS) → notifier: deliveries, bounces and complaints for the suppression list',
    message: messages.sesEvent,
    producer: 'ses',
    consumer: 'notifier',
    visibilityTimeoutSeconds: 60,
    maxReceiveCount: 5,
    messageRetentionSeconds: 4 * DAY,
  }),
} as const satisfies Record<string, QueueDefinition>;

export type QueueKey = keyof typeof queues;
export const queueList: readonly QueueDefinition[] = Object.values(queues);

export const dlqName = (q: Pick<QueueDefinition, 'name'>): string => `${q.name}-dlq`;
/** Physical queue name: the logical name, prefixed per stage in AWS (`peak-dev-raw-landed`). */
export const physicalQueueName = (name: string, prefix = ''): string => (prefix ? `${prefix}-${name}` : name);
