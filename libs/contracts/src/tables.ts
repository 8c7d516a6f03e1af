/**
 * Every DynamoDB table of the platform, read by the local launcher (which creates them in the local stand-in) and
 * by the Pulumi program (which creates them in AWS). The notifier keeps its state here because each send needs a
 * durable conditional write (the send ledger's reservation) that several consumers can race on safely.
 * Keys are strings; tables are on-demand; `ttlAttribute` holds epoch seconds after which DynamoDB deletes the item.
 */
export type KeyAttribute = { name: string; type: 'S' | 'N' };

export type TableIndex = { name: string; partitionKey: KeyAttribute; sortKey?: KeyAttribute; description: string };

export type TableDefinition = {
  /** Logical name; AWS names are `<prefix>-<name>` (prefix = `peak-<stage>`). */
  name: string;
  description: string;
  owner: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  indexes: readonly TableIndex[];
  ttlAttribute?: string;
};

const s = (name: string): KeyAttribute => ({ name, type: 'S' });

export const tables = {
  emailSends: {
    name: 'email-sends',
    description: 'The send ledger: one item per dedupe key, reserved before SES is called, with its outcome (sent, suppressed, capped, dropped, failed, unknown)',
    owner: 'notifier',
    partitionKey: s('dedupeKey'),
    indexes: [
      { name: 'byMember', partitionKey: s('memberId'), sortKey: s('createdAt'), description: 'A member\'s send log, newest last' },
      { name: 'byCampaign', partitionKey: s('campaignId'), sortKey: s('createdAt'), description: 'A campaign\'s send log (the planner\'s "not contacted for this lately")' },
      { name: 'byRun', partitionKey: s('runId'), sortKey: s('dedupeKey'), description: 'Everything a planner run asked for: its report' },
    ],
    ttlAttribute: 'expiresAtEpoch',
  },
  emailRecipients: {
    name: 'email-recipients',
    description: 'Per member: marketing sends in the frequency-cap window and topic preferences (unsubscribes), updated with optimistic concurrency',
    owner: 'notifier',
    partitionKey: s('memberId'),
    indexes: [],
  },
  emailSuppressions: {
    name: 'email-suppressions',
    description: 'Addresses never mailed again: hard bounces and complaints (from SES events), keyed by the normalised address',
    owner: 'notifier',
    partitionKey: s('address'),
    indexes: [],
  },
  emailEvents: {
    name: 'email-events',
    description: 'SES events seen (one item per message, event type and recipient, so a redelivered event counts once) and per-day counters of sends, deliveries, bounces and complaints',
    owner: 'notifier',
    partitionKey: s('id'),
    indexes: [],
    ttlAttribute: 'expiresAtEpoch',
  },
  campaignRuns: {
    name: 'campaign-runs',
    description: 'One item per planner run: what it planned per campaign; sends are counted from the ledger\'s byRun index',
    owner: 'notifier',
    partitionKey: s('runId'),
    indexes: [],
    ttlAttribute: 'expiresAtEpoch',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof tables;
export const tableList: readonly TableDefinition[] = Object.values(tables);

/** Physical table name: the logical name, prefixed per stage in AWS (`peak-dev-email-sends`). */
export const physicalTableName = (name: string, prefix = ''): string => (prefix ? `${prefix}-${name}` : name);
