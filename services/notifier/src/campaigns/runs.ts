/**
 * The `campaign-runs` table: one item per planner run (dry runs are not recorded), with what it planned per campaign.
 * What became of each email (sent, suppressed, capped, dropped, failed) is the send ledger's, counted through its
 * `byRun` index; together they make the run's report.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { physicalTableName, tables } from '@peak/contracts';
import type { CampaignId } from './catalog.js';

/** Run items are kept this long (DynamoDB TTL on `expiresAtEpoch`), as long as the send ledger keeps its items. */
export const RUN_RETENTION_DAYS = 400;

export type CampaignRunCounts = {
  /** Members the audience query returned. */
  audience: number;
  /** Left out by the campaign's frequency rule (contacted by it recently). */
  excluded: number;
  /** Rows that could not make a valid request (e.g. a malformed address), each reported with its reason. */
  invalid: number;
  /** Already past their expiry when planned (a replay of an old day). */
  expired: number;
  /** Requests built: audience − excluded − invalid − expired. */
  planned: number;
  /** Of those, taken by SQS. */
  queued: number;
  /** Of the planned marketing emails, members in the holdout group (information: the notifier holds them back). */
  inHoldout: number;
};

export type CampaignRunItem = {
  runId: string;
  asOf: string;
  /** Who started it: cli, schedule, api. */
  trigger: string;
  startedAt: string;
  finishedAt: string;
  outcome: 'succeeded' | 'failed';
  error?: string;
  campaigns: Partial<Record<CampaignId, CampaignRunCounts>>;
  totals: CampaignRunCounts;
  /** location_news: the announcement planned. */
  announcementId?: string;
  /** Emails of this run the notifier found decided by an earlier run (a replayed day); counted by the notifier. */
  alreadyHandled?: number;
  expiresAtEpoch: number;
};

export const campaignRunsTable = (prefix = ''): string => physicalTableName(tables.campaignRuns.name, prefix);

/**
 * Writes the run's record once (a second record of the same run is refused). An update, not a put: the notifier may
 * already have counted the run's `alreadyHandled` emails on the item before the planner finished queueing.
 */
export async function recordRun(doc: DynamoDBDocumentClient, tableName: string, item: CampaignRunItem): Promise<void> {
  const { runId, ...fields } = item;
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  await doc.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { runId },
      UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
      ConditionExpression: 'attribute_not_exists(startedAt)',
      ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
      ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
    }),
  );
}

/**
 * The notifier found an email of this run already decided by an earlier run (a replayed day): counted on the run, so
 * its report does not wait for it. Creates the item if the planner has not recorded the run yet.
 */
export async function countAlreadyHandled(doc: DynamoDBDocumentClient, tableName: string, runId: string): Promise<void> {
  await doc.send(new UpdateCommand({ TableName: tableName, Key: { runId }, UpdateExpression: 'ADD alreadyHandled :one', ExpressionAttributeValues: { ':one': 1 } }));
}

export async function getRun(doc: DynamoDBDocumentClient, tableName: string, runId: string): Promise<CampaignRunItem | undefined> {
  const r = await doc.send(new GetCommand({ TableName: tableName, Key: { runId }, ConsistentRead: true }));
  return r.Item as CampaignRunItem | undefined;
}
