/**
 * SES events seen, and per-day counts (DynamoDB `email-events`). SNS delivers at least once, so each event is first
 * recorded under its own id (message, event type, recipient) with a conditional put; only a first sighting is
 * counted. Counts are per UTC day of the event; the deliverability rates are read from them.
 */
import { BatchGetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../ledger/conditions.js';

export const EVENT_COUNTERS = ['sends', 'deliveries', 'hardBounces', 'softBounces', 'complaints', 'rejects', 'renderingFailures', 'delays'] as const;
export type EventCounter = (typeof EVENT_COUNTERS)[number];
export type DayCounts = Record<EventCounter, number> & { day: string };

export class EventStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly retentionDays = 90,
  ) {}

  /** Records the event once: true the first time, false for a redelivery. */
  async firstSighting(eventId: string, fields: Record<string, string>, at: Date): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id: `event#${eventId}`, ...fields, expiresAtEpoch: Math.floor(at.getTime() / 1000) + this.retentionDays * 86_400 },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async count(day: string, counter: EventCounter, by = 1): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { id: `day#${day}` },
        UpdateExpression: 'SET #day = :day, expiresAtEpoch = :exp ADD #c :by',
        ExpressionAttributeNames: { '#c': counter, '#day': 'day' },
        ExpressionAttributeValues: { ':by': by, ':day': day, ':exp': Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + this.retentionDays * 86_400 },
      }),
    );
  }

  /** The counts of each day asked for (zeros for a day without events). */
  async days(days: readonly string[]): Promise<DayCounts[]> {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < days.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = days.slice(i, i + 100).map((d) => ({ id: `day#${d}` }));
      for (let round = 0; keys && keys.length > 0 && round < 5; round++) {
        const r = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of r.Responses?.[this.tableName] ?? []) found.set(String(item.day), item);
        keys = r.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return days.map((day) => {
      const item = found.get(day) ?? {};
      const counts = Object.fromEntries(EVENT_COUNTERS.map((c) => [c, Number(item[c] ?? 0)])) as Record<EventCounter, number>;
      return { day, ...counts };
    });
  }
}
