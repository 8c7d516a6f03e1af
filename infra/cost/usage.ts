/**
 * Usage assumptions per volume tier. 1× is "the seed's volumes": one default sample dataset (tools/sample-data's
 * defaults — 2,000 members, 4 studios, 365 days), its exports delivered once a day; 10× and 100× multiply the
 * members and every daily export. Each knob says why; change them here, then `npm run infra:cost`.
 */
export interface Tier {
  label: string;
  /** Multiplier of members and of every daily export. */
  factor: number;
}
export const TIERS: readonly Tier[] = [
  { label: '1×', factor: 1 },
  { label: '10×', factor: 10 },
  { label: '100×', factor: 100 },
];

export const USAGE = {
  /** Exports land once a day, one file per dataset (the studios' nightly exports): files do not grow with volume. */
  exportFilesPerDatasetPerDay: 1,
  /** Athena queries a day (metrics cache misses, the jobs' queries); grows with the number of staff users, ~√factor. */
  athenaQueriesPerDay: (factor: number) => 300 * Math.sqrt(factor),
  /** Days of processed Parquet an average query reads (metrics are mostly 30-day windows; dt partitions are pruned). */
  athenaDaysPerQuery: 30,
  /** The weekly training run reads a year of everything once. */
  athenaTrainingDays: 365,
  /** Marketing + transactional emails per member per month (campaigns, lifecycle, receipts). */
  emailsPerMemberMonth: 2,
  /** SES events per email the notifier receives (SEND, DELIVERY; a few BOUNCE, COMPLAINT, DELIVERY_DELAY). */
  sesEventsPerEmail: 2.2,
  /** DynamoDB request units per email: ledger claim + state changes, event records, recipient and suppression reads. */
  wruPerEmail: 6,
  rruPerEmail: 6,
  /** DynamoDB bytes kept per email (ledger item with indexes, its events), kept ~13 months by TTL. */
  dynamodbBytesPerEmail: 3_000,
  dynamodbMonthsKept: 13,
  /** SQS requests per message: send, receive, delete (batching would lower it). */
  sqsRequestsPerMessage: 3,
  /** An idle long-polling consumer (20 s wait) makes this many receives a month per queue. */
  sqsIdleReceivesPerQueueMonth: (86_400 / 20) * 30.4,
  /** S3 PUT/LIST per day beyond the exports: processed files, batch records, registry, crm-sync state, models. */
  s3PutsPerDatasetPerDay: 6,
  /** Athena writes its result (and metadata) per query, and reads ~3 Parquet objects per day-partition scanned. */
  s3PutsPerQuery: 2,
  s3GetsPerQueryDay: 3,
  /** Query results are kept 7 days (the athena-results lifecycle rule); ~100 KB each. */
  athenaResultBytes: 100_000,
  /** Minutes a scheduled Fargate task is billed per run, by task family suffix (image pull + the work; benchmarks in docs/benchmarks.md). */
  jobMinutes: {
    'churn-train': [10, 15, 40],
    'churn-score': [5, 6, 10],
    'crm-sync': [5, 8, 30],
    'campaign-planner': [5, 6, 10],
  } as Record<string, [number, number, number]>,
  /** A job the table does not name. */
  defaultJobMinutes: [10, 15, 30] as [number, number, number],
  /** Glue ETL (Python shell, DuckDB): one run per export file; billed minutes = 1-minute minimum + 1 per 100 MB. */
  glueRunsPerFile: 1,
  glueMbPerMinute: 100,
  // Long-running services: the desired count at 1× and 10×, the autoscaling maximum at 100×.
  /** CloudWatch Logs ingested per month: 0.5 GB per service task plus 5 MB per job run, ×√factor for the services. */
  logsGbPerServiceTaskMonth: 0.5,
  logsMbPerJobRun: 5,
  /** ECR: images kept (tagged images are not expired) × compressed size, layers mostly shared between tags. */
  ecrStoredGb: 3,
  /** A bucket other than the lake (the ETL job's artifacts): a few scripts and wheels. */
  otherBucketGb: 0.1,
  /** ALB: requests a day (dashboard, leaderboard, ingest uploads, unsubscribe clicks) and bytes each; ~√factor. */
  albRequestsPerDay: (factor: number) => 20_000 * Math.sqrt(factor),
  albBytesPerRequest: 20_000,
  /** Secrets Manager calls: one per task start (ECS reads the secret) plus one per service start a day. */
  secretCallsPerTaskStart: 1,
} as const;
