import { addressKey } from './addresses.js';
import type { SesEventJson } from './events.js';
import type { Outcome, OutcomeSource } from './outcomes.js';
import type { SuppressionReason } from './suppression.js';
import type { SendRequest } from './validate.js';

/** What happened to one recipient of an accepted message. */
export type RecipientResult = {
  address: string;
  outcome: Outcome;
  source: OutcomeSource;
  /** Set for bounces: Permanent/General, Transient/MailboxFull, Permanent/OnAccountSuppressionList. */
  bounceType?: 'Permanent' | 'Transient';
  bounceSubType?: string;
  /** Feedback id of the bounce or complaint event. */
  feedbackId?: string;
  /** The suppression list entry the outcome added (hard bounce → BOUNCE, complaint → COMPLAINT). */
  addedToSuppressionList?: SuppressionReason;
};

/** An event generated for a message: `not-published` when no enabled SNS destination of its set wants it. */
export type EventRecord = {
  eventType: string;
  status: 'pending' | 'published' | 'failed' | 'not-published';
  topics: string[];
  error?: string;
  event: SesEventJson;
};

/** How the SendEmail call that was accepted ended for its caller. */
export type Answer = 'answered' | 'hung' | 'reset' | 'error';

/** One accepted message, as the sandbox keeps it: the request as accepted, and what became of it. */
export type StoredMessage = SendRequest & {
  messageId: string;
  /** ISO time of acceptance, by the sandbox clock. */
  acceptedAt: string;
  answer: Answer;
  /** Whether the inner aws-ses-v2-local has it (its viewer at `/` and `/store`), under the same message id. */
  viewer: 'stored' | 'failed';
  recipients: RecipientResult[];
  events: EventRecord[];
};

export type MessageFilter = {
  /** Any recipient (To, Cc or Bcc), compared in lower case. */
  to?: string;
  configurationSet?: string;
  /** Accepted at or after this instant (ms since the epoch). */
  since?: number;
};

/** The accepted messages, oldest first: the latest `limit` of them (a long local run must not grow without end). */
export class MessageStore {
  private messages: StoredMessage[] = [];
  private readonly byId = new Map<string, StoredMessage>();
  /** Older messages no longer kept. */
  dropped = 0;

  constructor(readonly limit = 10_000) {}

  add(message: StoredMessage): void {
    this.messages.push(message);
    this.byId.set(message.messageId, message);
    while (this.messages.length > this.limit) {
      const oldest = this.messages.shift();
      if (oldest) this.byId.delete(oldest.messageId);
      this.dropped += 1;
    }
  }

  get(messageId: string): StoredMessage | undefined {
    return this.byId.get(messageId);
  }

  list(filter: MessageFilter = {}): StoredMessage[] {
    const to = filter.to === undefined ? undefined : addressKey(filter.to);
    return this.messages.filter(
      (m) =>
        (to === undefined || [...m.to, ...m.cc, ...m.bcc].some((a) => addressKey(a) === to)) &&
        (filter.configurationSet === undefined || m.configurationSet === filter.configurationSet) &&
        (filter.since === undefined || Date.parse(m.acceptedAt) >= filter.since),
    );
  }

  get size(): number {
    return this.messages.length;
  }

  clear(): void {
    this.messages = [];
    this.byId.clear();
    this.dropped = 0;
  }
}
