import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { QueryEngine } from '@peak/analytics';
import { assertValid, attendanceEvent, batchProcessed, type AttendanceEvent, type BatchProcessed } from '@peak/contracts';
import { backOffOnErrors, parseMessageBody, stopConsumer } from '@peak/service-kit';
import { catchUpFromLake, rebuildFromLake, refreshNames } from './rebuild.js';
import type { ApplyOutcome, BoardStore, CheckinToApply } from './store.js';

/** A processed batch bigger than this is rebuilt from the lake's aggregates, not replayed check-in by check-in. */
export const FULL_REBUILD_ROWS = 200_000;

export type BoardFeedStats = Record<ApplyOutcome | 'notAClass' | 'invalid', number> & { batches: number; rebuilds: number };

export type BoardFeedOptions = {
  sqs: SQSClient;
  attendanceQueueUrl: string;
  batchQueueUrl: string;
  store: BoardStore;
  /** The lake (absent: processed batches only reach onBatch, the boards follow the live stream alone). */
  engine?: QueryEngine;
  /** Told about every processed batch after the boards caught up (the metrics cache refreshes here). */
  onBatch?: (b: BatchProcessed) => Promise<void>;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** Seconds before a message that could not be handled (a rebuild running, Redis down) is offered again. */
  retryDelaySeconds?: number;
};

export type BoardFeed = { stats: BoardFeedStats; start(): void; stop(): Promise<void> };

/**
 * The boards' two sources: live `attendance-events` (ten at a time, one pipelined round trip) and `batch-processed`
 * (the lake caught up). A message is deleted only once it counted, was a duplicate, or can never count (not a class,
 * invalid: an invalid one is left to reach the dead-letter queue, where it stays visible).
 */
export function createBoardFeed(o: BoardFeedOptions): BoardFeed {
  const stats: BoardFeedStats = { applied: 0, duplicate: 0, late: 0, rebuilding: 0, notAClass: 0, invalid: 0, batches: 0, rebuilds: 0 };
  const retry = o.retryDelaySeconds ?? 5;
  const live = Consumer.create({
    queueUrl: o.attendanceQueueUrl, sqs: o.sqs, batchSize: 10, waitTimeSeconds: 20, terminateVisibilityTimeout: retry,
    handleMessageBatch: async (messages) => {
      const done: Message[] = [];
      const pending: { message: Message; checkin: CheckinToApply }[] = [];
      for (const message of messages) {
        let event: AttendanceEvent;
        try {
          event = assertValid(attendanceEvent, parseMessageBody(message.Body, 'attendance-event'), 'attendance-event');
        } catch (err) {
          stats.invalid++;
          o.log.warn({ messageId: message.MessageId, err: (err as Error).message }, 'attendance-event refused: left for the dead-letter queue');
          continue;
        }
        const c = event.checkin;
        if (!c.class_id) {
          stats.notAClass++; // open-gym visits do not score (score = attended classes)
          done.push(message);
          continue;
        }
        pending.push({ message, checkin: { checkinId: c.checkin_id, memberId: c.member_id, locationId: c.location_id, checkedInAt: c.checked_in_at } });
      }
      if (pending.length > 0) {
        const outcomes = await o.store.apply(pending.map((p) => p.checkin));
        outcomes.forEach((outcome, i) => {
          stats[outcome]++;
          if (outcome !== 'rebuilding') done.push(pending[i]!.message); // during a rebuild: offered again afterwards
        });
      }
      return done;
    },
  });
  const batches = Consumer.create({
    queueUrl: o.batchQueueUrl, sqs: o.sqs, batchSize: 1, waitTimeSeconds: 20, terminateVisibilityTimeout: retry, visibilityTimeout: 900, heartbeatInterval: 60,
    handleMessage: async (message) => {
      const body: BatchProcessed = assertValid(batchProcessed, parseMessageBody(message.Body, 'batch-processed message'), 'batch-processed message');
      stats.batches++;
      if (body.dataset === 'attendance' && body.status === 'processed' && o.engine) {
        if (body.rowsProcessed > FULL_REBUILD_ROWS) {
          const r = await rebuildFromLake(o.engine, o.store);
          stats.rebuilds++;
          o.log.info({ batchId: body.batchId, ...r }, 'leaderboards rebuilt from the lake');
        } else {
          const r = await catchUpFromLake(o.engine, o.store, body.partitions);
          o.log.info({ batchId: body.batchId, ...r }, 'leaderboards caught up with a processed batch');
        }
      }
      if (body.dataset === 'members' && body.status === 'processed' && o.engine) {
        o.log.info({ batchId: body.batchId, members: await refreshNames(o.engine, o.store) }, 'leaderboard names refreshed');
      }
      await o.onBatch?.(body);
      return message;
    },
  });
  for (const c of [live, batches]) {
    backOffOnErrors(c);
    c.on('error', (err) => o.log.warn({ err }, 'leaderboard queue error'));
    c.on('processing_error', (err) => o.log.warn({ err }, 'leaderboard message not handled; it will be offered again'));
  }
  return {
    stats,
    start: () => {
      live.start();
      batches.start();
    },
    stop: async () => {
      await Promise.all([stopConsumer(live), stopConsumer(batches)]);
    },
  };
}
