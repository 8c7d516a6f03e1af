/**
 * Addresses never mailed again (DynamoDB `email-suppressions`): permanent bounces and complaints, fed by SES events.
 * Soft (transient) bounces are not suppressions. Keyed by the normalised address, so the same person under two
 * member ids, or a member who changed address, is handled by address — which is what a bounce is about.
 */
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './conditions.js';

export type SuppressionReason = 'HARD_BOUNCE' | 'COMPLAINT';

export type Suppression = {
  address: string;
  reason: SuppressionReason;
  at: string;
  messageId?: string;
  feedbackId?: string;
  detail?: string;
};

/** Addresses compare without case and surrounding space (providers treat them so; SES's own list does too). */
export const normaliseAddress = (address: string): string => address.trim().toLowerCase();

export class SuppressionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async get(address: string): Promise<Suppression | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { address: normaliseAddress(address) }, ConsistentRead: true }));
    return r.Item as Suppression | undefined;
  }

  /** Adds the address; an address already suppressed keeps its first reason (true when this call added it). */
  async add(entry: Suppression): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.tableName, Item: { ...entry, address: normaliseAddress(entry.address) }, ConditionExpression: 'attribute_not_exists(address)' }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Lifts a suppression (support, after the member fixed their mailbox). */
  async remove(address: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { address: normaliseAddress(address) } }));
  }
}
