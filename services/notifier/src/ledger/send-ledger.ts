/**
 * The send ledger (DynamoDB `email-sends`): one item per dedupe key, the only thing that decides whether an email may
 * go out. A consumer **reserves** the key with a conditional put before anything else; the reservation is a lease held
 * by one owner. Just before calling SES the owner marks it **sending** (durably: a crash after this point is an
 * ambiguous outcome, never a resend) and afterwards records the **outcome**. Every later delivery of the same key — a
 * redelivered SQS message, a second consumer, a replayed planner run — finds the item and stops.
 *
 * States: `reserved` → `sending` → `sent` | `failed` | `unknown`, or `reserved` → `suppressed` | `capped` | `dropped`
 * (decided without calling SES). `reserved` with an expired lease (its owner died before calling SES) is taken over;
 * `sending` with an expired lease (its owner died during the call) becomes `unknown`: marketing mail never risks a
 * second copy. A throttled call puts the item back to `reserved`, lease expired, for the next delivery.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { EmailKind, EmailRequest, EmailTopic } from '@peak/contracts';
import { isConditionFailure } from './conditions.js';

export const SEND_STATES = ['reserved', 'sending', 'sent', 'unknown', 'failed', 'suppressed', 'capped', 'dropped'] as const;
export type SendState = (typeof SEND_STATES)[number];
export type FinalState = Exclude<SendState, 'reserved' | 'sending'>;
export const FINAL_STATES: ReadonlySet<SendState> = new Set<SendState>(['sent', 'unknown', 'failed', 'suppressed', 'capped', 'dropped']);

/** Why an email ended where it did (the send log's `reason`). */
export const SEND_REASONS = {
  UNSUBSCRIBED: 'the member unsubscribed from this topic (or from everything)',
  HARD_BOUNCE: 'the address bounced permanently before',
  COMPLAINT: 'the recipient marked an earlier email as spam',
  ACCOUNT_SUPPRESSED: 'the address is on the SES account suppression list',
  HOLDOUT: 'the member is in the marketing holdout group',
  FREQUENCY_CAP: 'the member already had the most marketing emails allowed in the window',
  CAME_BACK: 'the member checked in after the email was planned',
  NOT_ACTIVE: 'the membership is frozen or cancelled',
  UNKNOWN_MEMBER: 'the member is not in the lake',
  EXPIRED: 'the email was not sent before it went stale',
  REJECTED: 'SES refused the message',
  TIMEOUT: 'no answer from SES after the request left: it may have been sent',
  INTERRUPTED: 'the sender stopped during the SES call: it may have been sent',
  SERVER_ERROR_AFTER_SEND: 'the connection failed after the request left: it may have been sent',
} as const;
export type SendReason = keyof typeof SEND_REASONS;

export type LedgerEntry = {
  dedupeKey: string;
  state: SendState;
  memberId: string;
  campaignId: string;
  runId: string;
  kind: EmailKind;
  topic: EmailTopic;
  template: string;
  to: string;
  locationId: string;
  requestId: string;
  createdAt: string;
  updatedAt: string;
  owner?: string;
  leaseUntil?: number;
  /** SES calls made for this key (throttled calls included: none of them was accepted). */
  attempts: number;
  messageId?: string;
  sentAt?: string;
  reason?: SendReason;
  detail?: string;
  /** Deliveries of the request that found the key already decided. */
  duplicates?: number;
  /** Planner runs (other than `runId`) that asked for the key again. */
  requestedBy?: Set<string>;
  expiresAtEpoch: number;
};

export type Reservation =
  | { outcome: 'acquired'; entry: LedgerEntry; takenOver: boolean }
  /** Decided before (any final state): the delivery is a duplicate. `firstForRun`: the first time this other run asked. */
  | { outcome: 'duplicate'; entry: LedgerEntry; firstForRun: boolean }
  /** Another consumer holds a live lease on it: leave the message for later. */
  | { outcome: 'busy'; entry: LedgerEntry }
  /** Its owner died during the SES call: now `unknown`, never resent. */
  | { outcome: 'ambiguous'; entry: LedgerEntry };

export type SendLedgerOptions = {
  /** This consumer's identity: only the owner of a lease may move the item on. */
  owner: string;
  leaseMs: number;
  /** Items are kept this long (DynamoDB TTL), longer than any campaign's frequency rule. */
  retentionDays?: number;
  now?: () => number;
};


export class SendLedger {
  private readonly now: () => number;
  private readonly retentionSeconds: number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly opts: SendLedgerOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.retentionSeconds = (opts.retentionDays ?? 400) * 86_400;
  }

  get owner(): string {
    return this.opts.owner;
  }

  async get(dedupeKey: string): Promise<LedgerEntry | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { dedupeKey }, ConsistentRead: true }));
    return r.Item as LedgerEntry | undefined;
  }

  /** Sends a conditional update: its attributes afterwards, or undefined when the condition failed (someone else moved the item). */
  private async conditional(input: Omit<UpdateCommandInput, 'TableName'>): Promise<Record<string, unknown> | undefined> {
    try {
      const r = await this.doc.send(new UpdateCommand({ ReturnValues: 'ALL_NEW', ...input, TableName: this.tableName }));
      return r.Attributes ?? {};
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  /** Reserves the request's key for this owner, or says why it cannot be. */
  async reserve(request: EmailRequest): Promise<Reservation> {
    const at = this.now();
    const iso = new Date(at).toISOString();
    const entry: LedgerEntry = {
      dedupeKey: request.dedupeKey,
      state: 'reserved',
      memberId: request.memberId,
      campaignId: request.campaignId,
      runId: request.runId,
      kind: request.kind,
      topic: request.topic,
      template: request.template,
      to: request.to,
      locationId: request.locationId,
      requestId: request.requestId,
      createdAt: iso,
      updatedAt: iso,
      owner: this.opts.owner,
      leaseUntil: at + this.opts.leaseMs,
      attempts: 0,
      expiresAtEpoch: Math.floor(at / 1000) + this.retentionSeconds,
    };
    for (let round = 0; round < 3; round++) {
      try {
        await this.doc.send(new PutCommand({ TableName: this.tableName, Item: entry, ConditionExpression: 'attribute_not_exists(dedupeKey)' }));
        return { outcome: 'acquired', entry, takenOver: false };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
      const existing = await this.get(request.dedupeKey);
      if (!existing) continue; // deleted by hand between the two calls: try again
      if (FINAL_STATES.has(existing.state)) {
        const otherRun = await this.countDuplicate(existing, request.runId);
        return { outcome: 'duplicate', entry: existing, firstForRun: otherRun };
      }
      if ((existing.leaseUntil ?? 0) > at) return { outcome: 'busy', entry: existing };
      if (existing.state === 'sending') {
        const decided = await this.finishIf(existing, 'unknown', { reason: 'INTERRUPTED' });
        if (decided) return { outcome: 'ambiguous', entry: decided };
        continue; // someone else moved it on first: look again
      }
      const taken = await this.takeOver(existing, at);
      if (taken) return { outcome: 'acquired', entry: taken, takenOver: true };
    }
    const last = await this.get(request.dedupeKey);
    return { outcome: 'busy', entry: last ?? entry };
  }

  /** Marks the reservation `sending` just before the SES call (false: it is no longer ours — do not call SES). */
  async markSending(key: string): Promise<boolean> {
    const at = this.now();
    return (await this.conditional({
      Key: { dedupeKey: key },
      UpdateExpression: 'SET #state = :sending, leaseUntil = :lease, updatedAt = :now ADD attempts :one',
      ConditionExpression: '#state = :reserved AND #owner = :me AND leaseUntil > :at',
      ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
      ExpressionAttributeValues: {
        ':sending': 'sending',
        ':reserved': 'reserved',
        ':me': this.opts.owner,
        ':lease': at + this.opts.leaseMs,
        ':at': at,
        ':now': new Date(at).toISOString(),
        ':one': 1,
      },
    })) !== undefined;
  }

  /** Records the final state of a reservation this owner holds; false when it is no longer ours. */
  async finish(key: string, state: FinalState, fields: { reason?: SendReason; detail?: string; messageId?: string } = {}): Promise<boolean> {
    const at = this.now();
    const values: Record<string, unknown> = { ':state': state, ':me': this.opts.owner, ':now': new Date(at).toISOString(), ':r': 'reserved', ':s': 'sending' };
    const sets = ['#state = :state', 'updatedAt = :now'];
    const set = (expression: string, name: string, value: unknown) => {
      sets.push(expression);
      values[name] = value;
    };
    if (fields.reason) set('reason = :reason', ':reason', fields.reason);
    if (fields.detail) set('detail = :detail', ':detail', fields.detail.slice(0, 500));
    if (fields.messageId) set('messageId = :mid, sentAt = :now', ':mid', fields.messageId);
    return (await this.conditional({
      Key: { dedupeKey: key },
      UpdateExpression: `SET ${sets.join(', ')} REMOVE leaseUntil`,
      ConditionExpression: '#owner = :me AND #state IN (:r, :s)',
      ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
      ExpressionAttributeValues: values,
    })) !== undefined;
  }

  /**
   * Gives a call back (SES throttled us, or answered with its own error: nothing was accepted): the item is `reserved`
   * again. `keepLease`: this owner retries in a moment; otherwise the next delivery takes it over at once.
   */
  async release(key: string, detail: string, opts: { keepLease: boolean }): Promise<boolean> {
    const at = this.now();
    return (await this.conditional({
      Key: { dedupeKey: key },
      UpdateExpression: 'SET #state = :reserved, leaseUntil = :lease, updatedAt = :now, detail = :detail',
      ConditionExpression: '#owner = :me AND #state IN (:reserved, :sending)',
      ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
      ExpressionAttributeValues: {
        ':reserved': 'reserved',
        ':sending': 'sending',
        ':me': this.opts.owner,
        ':lease': opts.keepLease ? at + this.opts.leaseMs : 0,
        ':now': new Date(at).toISOString(),
        ':detail': detail.slice(0, 500),
      },
    })) !== undefined;
  }

  /**
   * An SES Send/Delivery event names the key of a message whose call ended ambiguously: it was sent after all. Only
   * `unknown` (or a `sending` whose answer is still on its way) is changed; a decided item keeps its outcome.
   */
  async confirmSent(key: string, messageId: string, at: string): Promise<boolean> {
    return (await this.conditional({
      Key: { dedupeKey: key },
      UpdateExpression: 'SET #state = :sent, messageId = :mid, sentAt = :at, updatedAt = :now, detail = :detail REMOVE leaseUntil',
      ConditionExpression: '#state IN (:unknown, :sending)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':sent': 'sent',
        ':unknown': 'unknown',
        ':sending': 'sending',
        ':mid': messageId,
        ':at': at,
        ':now': new Date(this.now()).toISOString(),
        ':detail': 'confirmed by an SES event after an ambiguous call',
      },
    })) !== undefined;
  }

  /** A member's send log, oldest first (at most `limit` items, newest if more). */
  async byMember(memberId: string, opts: { since?: string; limit?: number } = {}): Promise<LedgerEntry[]> {
    return this.queryIndex('byMember', 'memberId', memberId, opts);
  }

  /** A campaign's send log since a time. */
  async byCampaign(campaignId: string, opts: { since?: string; limit?: number } = {}): Promise<LedgerEntry[]> {
    return this.queryIndex('byCampaign', 'campaignId', campaignId, opts);
  }

  /** Members a campaign emailed (or may have: `unknown`) since a time — the planner's frequency rule. */
  async recentRecipients(campaignId: string, since: string): Promise<Set<string>> {
    const entries = await this.queryIndex('byCampaign', 'campaignId', campaignId, { since });
    return new Set(entries.filter((e) => e.state === 'sent' || e.state === 'unknown' || e.state === 'sending').map((e) => e.memberId));
  }

  /** Every key a planner run asked for that reached the ledger. */
  async byRun(runId: string): Promise<LedgerEntry[]> {
    const items: LedgerEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'byRun',
          KeyConditionExpression: 'runId = :run',
          ExpressionAttributeValues: { ':run': runId },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((r.Items ?? []) as LedgerEntry[]));
      start = r.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async queryIndex(index: string, attribute: string, value: string, opts: { since?: string; limit?: number }): Promise<LedgerEntry[]> {
    const items: LedgerEntry[] = [];
    let start: Record<string, unknown> | undefined;
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    do {
      const r = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: opts.since ? '#a = :v AND createdAt >= :since' : '#a = :v',
          ExpressionAttributeNames: { '#a': attribute },
          ExpressionAttributeValues: { ':v': value, ...(opts.since ? { ':since': opts.since } : {}) },
          ScanIndexForward: false, // newest first, so a limit keeps the newest
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((r.Items ?? []) as LedgerEntry[]));
      start = r.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items.slice(0, limit).reverse();
  }

  private async takeOver(existing: LedgerEntry, at: number): Promise<LedgerEntry | undefined> {
    return (await this.conditional({
      Key: { dedupeKey: existing.dedupeKey },
      UpdateExpression: 'SET #owner = :me, leaseUntil = :lease, updatedAt = :now',
      ConditionExpression: '#state = :reserved AND leaseUntil = :old',
      ExpressionAttributeNames: { '#owner': 'owner', '#state': 'state' },
      ExpressionAttributeValues: { ':me': this.opts.owner, ':lease': at + this.opts.leaseMs, ':now': new Date(at).toISOString(), ':reserved': 'reserved', ':old': existing.leaseUntil ?? 0 },
      ReturnValues: 'ALL_NEW',
    })) as LedgerEntry | undefined;
  }

  /** Moves an item whose owner vanished to a final state, if nobody else did first. */
  private async finishIf(existing: LedgerEntry, state: FinalState, fields: { reason: SendReason }): Promise<LedgerEntry | undefined> {
    return (await this.conditional({
      Key: { dedupeKey: existing.dedupeKey },
      UpdateExpression: 'SET #state = :state, reason = :reason, updatedAt = :now REMOVE leaseUntil',
      ConditionExpression: '#state = :old AND leaseUntil = :lease',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':state': state, ':reason': fields.reason, ':now': new Date(this.now()).toISOString(), ':old': existing.state, ':lease': existing.leaseUntil ?? 0 },
      ReturnValues: 'ALL_NEW',
    })) as LedgerEntry | undefined;
  }

  /**
   * Counts a delivery that found the key decided. Returns true the first time a *different* planner run asked for
   * this key (a replayed run): that run's report counts it as already handled, not as pending.
   */
  private async countDuplicate(existing: LedgerEntry, runId: string): Promise<boolean> {
    const r = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { dedupeKey: existing.dedupeKey },
        UpdateExpression: 'ADD duplicates :one, requestedBy :run',
        ExpressionAttributeValues: { ':one': 1, ':run': new Set([runId]) },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    const before = r.Attributes?.requestedBy as Set<string> | undefined;
    return runId !== existing.runId && !before?.has(runId);
  }
}
