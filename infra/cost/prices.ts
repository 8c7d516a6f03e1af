/**
 * The dated price table: AWS on-demand list prices in us-east-1 (US East, N. Virginia), USD, as the author knew them.
 * NOT checked against aws.amazon.com/<service>/pricing from this machine (no web access); the Fargate rates agree with
 * third-party pages of 2026 (vantage.sh, cloudburn.io). Check them, change the date, run `npm run infra:cost`.
 */
export const PRICES_AS_OF = '2026-12-07';
export const PRICE_REGION = 'us-east-1';
export const PRICE_SOURCE =
  'published on-demand list prices for us-east-1 as known to the author; not checked against aws.amazon.com from this machine (no web access): verify before quoting';

/** Hours in an average month (AWS bills 730 for a month-long resource). */
export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = 30.4;

export const PRICES = {
  fargate: {
    /** Linux, per vCPU-hour / GB-hour; ARM (Graviton) is ~20% lower. Billed per second, 1-minute minimum. */
    x86VcpuHour: 0.04048,
    x86GbHour: 0.004445,
    armVcpuHour: 0.03238,
    armGbHour: 0.00356,
  },
  /** Every public IPv4 address (a Fargate task with assignPublicIp, each ALB subnet, an EIP), per hour (since 2024-02). */
  publicIpv4Hour: 0.005,
  alb: { hour: 0.0225, lcuHour: 0.008 },
  nat: { hour: 0.045, gbProcessed: 0.045 },
  vpcInterfaceEndpoint: { azHour: 0.01 },
  /** ElastiCache on-demand node-hours (Redis OSS / Memcached); Valkey nodes are 20% lower. */
  elasticacheNodeHour: {
    'cache.t4g.micro': 0.016,
    'cache.t4g.small': 0.032,
    'cache.t4g.medium': 0.065,
    'cache.t3.micro': 0.017,
    'cache.t3.small': 0.034,
    'cache.t3.medium': 0.068,
    'cache.m6g.large': 0.149,
    'cache.m7g.large': 0.158,
    'cache.r6g.large': 0.206,
    'cache.r7g.large': 0.219,
  } as Record<string, number>,
  elasticacheValkeyDiscount: 0.2,
  /** ElastiCache Serverless: data stored per GB-hour (minimum 1 GB Redis, 0.1 GB Valkey) and ElastiCache Processing Units. */
  elasticacheServerless: { redisGbHour: 0.125, valkeyGbHour: 0.084, redisMillionEcpu: 0.0034, valkeyMillionEcpu: 0.0023 },
  /** DynamoDB on demand (after the 2024-11 price cut): per million write / read request units; storage; PITR. */
  dynamodb: { millionWru: 0.625, millionRru: 0.125, gbMonth: 0.25, pitrGbMonth: 0.2 },
  /** SQS standard queue: per million requests (each 64 KB chunk of a payload is one request). */
  sqs: { millionRequests: 0.4 },
  /** S3 Standard: first 50 TB per GB-month; PUT/COPY/POST/LIST and GET per 1,000. */
  s3: { gbMonth: 0.023, thousandPuts: 0.005, thousandGets: 0.0004 },
  /** Glue: per DPU-hour, per second with a 1-minute minimum (Python shell 0.0625 or 1 DPU; Spark G.1X = 1 DPU). */
  glue: { dpuHour: 0.44, catalogHundredThousandObjects: 1, catalogMillionRequests: 1 },
  /** Athena SQL: per TB scanned, 10 MB minimum per query. */
  athena: { tbScanned: 5, minBytesPerQuery: 10_000_000 },
  /** KMS: customer managed key per month; requests per 10,000. AWS managed keys (aws/dynamodb, aws/secretsmanager) cost no monthly fee. */
  kms: { keyMonth: 1, tenThousandRequests: 0.03 },
  secretsManager: { secretMonth: 0.4, tenThousandCalls: 0.05 },
  cloudwatch: { alarmMonth: 0.1, highResolutionAlarmMonth: 0.3, compositeAlarmMonth: 0.5, logsIngestGb: 0.5, logsStoredGbMonth: 0.03, dashboardMonth: 3, metricMonth: 0.3 },
  /** SES outbound email, per 1,000 messages (attachments' data extra, not modelled). */
  ses: { thousandEmails: 0.1 },
  /** EventBridge Scheduler: per million invocations. */
  scheduler: { millionInvocations: 1 },
  /** SNS standard topics: per million publishes (64 KB chunks); deliveries to SQS are free; email deliveries per 100,000. */
  sns: { millionPublishes: 0.5, hundredThousandEmails: 2 },
  /** ECR private repository storage per GB-month (basic scanning on push is free). */
  ecr: { gbMonth: 0.1 },
  /** AWS Budgets: the first two budgets of an account are free, then per budget-day. */
  budgets: { freeBudgets: 2, budgetDay: 0.02 },
  route53: { hostedZoneMonth: 0.5 },
} as const;

/**
 * The "always free" allowances (per month, per account, in every account old or new; shared with anything else in
 * the account). Accounts created on or after 2025-07-15 get credits (USD 100 at sign-up, up to 100 more) instead of the
 * old 12-month allowances; accounts older than that keep their 12-month allowances until they lapse. Neither is
 * modelled: both end, and the platform runs for years.
 */
export const ALWAYS_FREE = {
  sqsRequests: 1_000_000,
  snsPublishes: 1_000_000,
  snsEmails: 1_000,
  dynamodbGb: 25,
  cloudwatchAlarms: 10,
  cloudwatchDashboards: 3,
  /** 5 GB of log data: ingestion, archive storage and Logs Insights scans together. */
  cloudwatchLogsGb: 5,
  kmsRequests: 20_000,
  schedulerInvocations: 14_000_000,
  glueCatalogObjects: 1_000_000,
  glueCatalogRequests: 1_000_000,
  /** Data transfer out to the internet, aggregated over the account (not modelled: the platform sends little out). */
  dataTransferOutGb: 100,
} as const;
