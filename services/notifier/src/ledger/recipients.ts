/**
 * Per member (DynamoDB `email-recipients`): the marketing emails sent inside the frequency-cap window and the topics
 * the member unsubscribed from. One item per member, written read-modify-write under a version number, so two
 * consumers sending to the same member at once cannot both take the last slot of the cap.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EMAIL_TOPICS, type EmailTopic } from '@peak/contracts';
import { isConditionFailure } from './conditions.js';

/** `all` = every marketing topic at once (the "unsubscribe from everything" choice). */
export type PreferenceTopic = EmailTopic | 'all';
export const PREFERENCE_TOPICS: readonly PreferenceTopic[] = [...EMAIL_TOPICS, 'all'];

export type CapEntry = { key: string; day: string; at: string };
export type Unsubscription = { at: string; source: string };

export type RecipientItem = {
  memberId: string;
  version: number;
  marketing: CapEntry[];
  unsubscribed: Partial<Record<PreferenceTopic, Unsubscription>>;
  updatedAt: string;
};

export type FrequencyCap = {
  /** At most this many marketing emails… */
  max: number;
  /** …per this many local days, today included. */
  days: number;
  timeZone: string;
};

export type CapClaim = { outcome: 'claimed' } | { outcome: 'capped'; recent: CapEntry[] };


/** The local calendar day of an instant in a time zone, as YYYY-MM-DD. */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** YYYY-MM-DD minus n days (calendar arithmetic, no zone involved). */
export function daysBefore(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - n);
  return d.toISOString().slice(0, 10);
}

export class RecipientStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async get(memberId: string): Promise<RecipientItem | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { memberId }, ConsistentRead: true }));
    return r.Item as RecipientItem | undefined;
  }

  /** The topic the email belongs to, or everything, was unsubscribed from. */
  async unsubscribedFrom(memberId: string, topic: EmailTopic): Promise<Unsubscription | undefined> {
    const item = await this.get(memberId);
    return item?.unsubscribed?.[topic] ?? item?.unsubscribed?.all;
  }

  /**
   * Takes one slot of the member's frequency cap for this key (taking it again for the same key is a no-op), or says
   * the cap is full. The window is counted in local days of the studio's zone: today and the `days - 1` before.
   */
  async claimCapSlot(memberId: string, key: string, cap: FrequencyCap): Promise<CapClaim> {
    let result: CapClaim = { outcome: 'claimed' };
    await this.update(memberId, (item) => {
      const at = new Date(this.now());
      const today = localDay(at, cap.timeZone);
      const first = daysBefore(today, cap.days - 1);
      const recent = item.marketing.filter((e) => e.day >= first);
      if (recent.some((e) => e.key === key)) {
        result = { outcome: 'claimed' };
        return recent.length === item.marketing.length ? undefined : { ...item, marketing: recent };
      }
      if (recent.length >= cap.max) {
        result = { outcome: 'capped', recent };
        return undefined;
      }
      result = { outcome: 'claimed' };
      return { ...item, marketing: [...recent, { key, day: today, at: at.toISOString() }] };
    });
    return result;
  }

  /** Gives the slot back: the email was not sent after all (refused by SES, or decided otherwise). */
  async releaseCapSlot(memberId: string, key: string): Promise<void> {
    await this.update(memberId, (item) => (item.marketing.some((e) => e.key === key) ? { ...item, marketing: item.marketing.filter((e) => e.key !== key) } : undefined));
  }

  /** Records an unsubscribe (or a re-subscribe with `subscribed: true`); returns the member's topics afterwards. */
  async setSubscription(memberId: string, topic: PreferenceTopic, subscribed: boolean, source: string): Promise<RecipientItem> {
    return this.update(memberId, (item) => {
      const has = Boolean(item.unsubscribed[topic]);
      if (subscribed !== has) return undefined; // already as asked: the first unsubscribe keeps its time
      const unsubscribed = { ...item.unsubscribed };
      if (subscribed) delete unsubscribed[topic];
      else unsubscribed[topic] = { at: new Date(this.now()).toISOString(), source };
      return { ...item, unsubscribed };
    });
  }

  /**
   * Saves the preferences page: the topics ticked stay subscribed, the others are unsubscribed (keeping the time of
   * an earlier unsubscribe); nothing ticked also means "all", so a topic added later is not sent either.
   */
  async setPreferences(memberId: string, subscribed: readonly EmailTopic[], source: string): Promise<RecipientItem> {
    return this.update(memberId, (item) => {
      const at = { at: new Date(this.now()).toISOString(), source };
      const unsubscribed: RecipientItem['unsubscribed'] = {};
      for (const topic of EMAIL_TOPICS) if (!subscribed.includes(topic)) unsubscribed[topic] = item.unsubscribed[topic] ?? at;
      if (subscribed.length === 0) unsubscribed.all = item.unsubscribed.all ?? at;
      const same = JSON.stringify(Object.keys(unsubscribed).sort()) === JSON.stringify(Object.keys(item.unsubscribed).sort());
      return same ? undefined : { ...item, unsubscribed };
    });
  }

  /** Optimistic read-modify-write: `change` returns the new item, or undefined for "nothing to write". */
  private async update(memberId: string, change: (item: RecipientItem) => RecipientItem | undefined): Promise<RecipientItem> {
    for (let round = 0; round < 8; round++) {
      const current = await this.get(memberId);
      const item: RecipientItem = current ?? { memberId, version: 0, marketing: [], unsubscribed: {}, updatedAt: new Date(this.now()).toISOString() };
      item.marketing ??= [];
      item.unsubscribed ??= {};
      const next = change(item);
      if (!next) return item;
      const written = { ...next, memberId, version: item.version + 1, updatedAt: new Date(this.now()).toISOString() };
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: written,
            ConditionExpression: current ? 'version = :v' : 'attribute_not_exists(memberId)',
            ...(current ? { ExpressionAttributeValues: { ':v': item.version } } : {}),
          }),
        );
        return written;
      } catch (err) {
        if (!isConditionFailure(err)) throw err; // another writer got there first: read again
      }
    }
    throw new Error(`email-recipients: member ${memberId} kept changing under 8 attempts to update it`);
  }
}
