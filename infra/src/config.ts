import * as pulumi from '@pulumi/pulumi';
import { parseAlertEmails } from './alerts.js';
import { parseBudgetMonthlyUsd } from './budget.js';
import { DEFAULT_CACHE_NODE_TYPE, DEFAULT_SNAPSHOT_RETENTION_DAYS } from './cache.js';
import { LOG_RETENTION_DAYS } from './platform-service.js';
import { checkLoginSourceCidrs } from './public-load-balancer.js';
import { DEFAULT_ETL_DUCKDB_VERSION, DEFAULT_ETL_GLUE_TIMEOUT_MINUTES, ETL_GLUE_CAPACITIES, MAX_ETL_GLUE_TIMEOUT_MINUTES, type EtlEngine } from './etl-glue-job.js';

/** What one stack (stage) is configured with; read once in index.ts and passed down as component args. */
export interface StackConfig {
  stage: string;
  /** Physical name prefix of every resource: `peak-<stage>`. */
  prefix: string;
  tags: Record<string, string>;
  /** Let `pulumi destroy` delete a lake bucket that still holds objects (dev stacks only). */
  forceDestroyLake: boolean;
  /** IANA zone of the studios: the Athena views' local days and hours are computed in it. */
  studioTimeZone: string;
  /** Per-query bytes-scanned cutoff of the services' `analytics` Athena workgroup. */
  analyticsScanLimitBytes: number;
  /** Per-query bytes-scanned cutoff of the students' `student_sandbox` Athena workgroup. */
  sandboxScanLimitBytes: number;
  /** Tag of the platform image in the stage's ECR repository that the scheduled jobs run. */
  imageTag: string;
  /** EventBridge Scheduler cron expressions of the churn jobs, evaluated in `studioTimeZone`. */
  churnSchedules: { train: string; score: string };
  /** Where the jobs' Fargate tasks run; absent keys fall back to the default VPC (see JobNetwork). */
  jobNetwork: JobNetworkConfig;
  /** crm-sync's daily HubSpot sync (the CrmSyncJob): when it runs and how fast it may call HubSpot. */
  crmSync: CrmSyncConfig;
  /** The DynamoDB tables of the contracts (the Tables component). */
  tables: TablesConfig;
  /** The notifier's SES side (the Email component). */
  email: EmailConfig;
  /** The notifier's daily campaign planner (the CampaignPlannerJob). */
  campaignPlanner: CampaignPlannerConfig;
  /** Who hears of an alarm or a budget overrun (the Alerts and Budget components). */
  alerts: AlertsConfig;
  /** The ETL in AWS: the Glue job the ETL service's worker runs per batch (EtlGlueJob). */
  etl: EtlConfig;
  /** The long-running services on Fargate and their public load balancer (ServiceCluster, PublicLoadBalancer, PlatformService). */
  services: ServicesConfig;
  /** The leaderboard's Redis (the Cache component: ElastiCache Valkey). */
  cache: CacheConfig;
}

export interface ServicesConfig {
  /** Public subnets of one VPC (≥ 2 zones) for the load balancer and the tasks; undefined: the default VPC's. */
  subnetIds?: string[];
  /** A public IP per task (no NAT gateway); undefined: the component's default (on in the default VPC). */
  assignPublicIp?: boolean;
  /** HTTPS with host routing `<service>.<domain>`; undefined: plain HTTP, one port per public service (dev only). */
  https?: { domain: string; certificateArn: string };
  loadBalancerDeletionProtection: boolean;
  /** CloudWatch retention of the services' log groups (a value CloudWatch accepts). */
  logRetentionDays: number;
  /** Without HTTPS (no sign-in on plain HTTP): the IPv4 CIDRs that may reach the leaderboard's port; empty: nobody. */
  dashboardAllowedCidrs: string[];
  /** With HTTPS: how long a dashboard sign-in lasts at the load balancer (a disabled user keeps it until then). */
  dashboardSessionHours: number;
  /** Tasks of the HTTP-only ingest service, and the most tasks the queue workers (notifier, leaderboard) scale to. */
  ingestTasks: number;
  maxWorkerTasks: number;
}

export interface CacheConfig {
  nodeType: string;
  /** Read replicas; 1 or more turns on automatic failover and Multi-AZ. */
  replicas: number;
  snapshotRetentionDays: number;
}

export interface EtlConfig {
  /** `duckdb`: the Glue Python-shell job; `spark` is refused by EtlGlueJob until a Spark job script exists. */
  engine: EtlEngine;
  /** DPU of a run: 0.0625 (1 GB) or 1 (16 GB, batches of several GB). */
  glueMaxCapacity: number;
  /** Glue's per-run timeout; the worker waits this plus 10 minutes. */
  glueTimeoutMinutes: number;
  /** The `duckdb` Python wheel the job installs. */
  duckdbVersion: string;
}

export interface AlertsConfig {
  /** Addresses subscribed to the alert topic (each confirms once); none: the topic has no email subscriber. */
  emails: string[];
  /** The AWS Budgets monthly cost limit of the account, whole US dollars. */
  budgetMonthlyUsd: number;
}

export interface TablesConfig {
  /** DynamoDB deletion protection on every table: a protected table survives `pulumi destroy` and a replacement. */
  deletionProtection: boolean;
}

export interface EmailConfig {
  /** The SES sending domain (the notifier's SES_FROM_ADDRESS is at it); undefined: no SES identity is created. */
  domain?: string;
  /** Every email's footer address (anti-spam laws); required with a domain (the service's default is a placeholder). */
  postalAddress?: string;
  /** An email's default button link (the member app); required with a domain. */
  memberAppUrl?: string;
}

export interface CampaignPlannerConfig {
  /** EventBridge Scheduler cron expression, evaluated in `studioTimeZone`. */
  schedule: string;
}

/** crm-sync's run in AWS; the HubSpot token is not configuration (a Secrets Manager secret the operator fills). */
export interface CrmSyncConfig {
  /** EventBridge Scheduler cron expression, evaluated in `studioTimeZone`. */
  schedule: string;
  /** HUBSPOT_REQUESTS_PER_10S of the task. */
  requestsPerTenSeconds: number;
  /** HUBSPOT_DAILY_BUDGET of the task; undefined: the key is absent and the variable unset (whatever HubSpot says remains). */
  dailyBudget?: number;
}

/** The jobs' network as configured; each part is undefined when its key is absent. */
export interface JobNetworkConfig {
  subnetIds?: string[];
  securityGroupIds?: string[];
  assignPublicIp?: boolean;
}

// Lowercase (S3 names) and short, so `peak-<stage>-attendance-events-dlq` stays far below the 80-char SQS limit.
export const STAGE_PATTERN = /^[a-z][a-z0-9]{1,11}$/;

/** The sample data's zone, and the studios' until a studio opens elsewhere. */
export const DEFAULT_STUDIO_TIME_ZONE = 'America/New_York';
/** Athena refuses a per-query cutoff below 10 MB (`BytesScannedCutoffPerQuery` minimum 10,000,000 bytes). */
export const MIN_SCAN_LIMIT_MB = 10;
/** Students: 1 GB covers a full scan of a year of 10k members (~350 MB of Parquet, docs/benchmarks.md), ≤ half a cent at $5/TB. */
export const DEFAULT_SANDBOX_SCAN_LIMIT_MB = 1_000;
/** Services: only a guard against a runaway query (100 GB ≈ $0.50), far above what any metric reads. */
export const DEFAULT_ANALYTICS_SCAN_LIMIT_MB = 100_000;
const BYTES_PER_MB = 1_000_000;

/** The platform image's tag until a deploy pins one (prod should pin an immutable tag, e.g. the git SHA). */
export const DEFAULT_IMAGE_TAG = 'latest';
// Docker/ECR tag grammar: a word character first, then word characters, dots and dashes, 128 at most.
const IMAGE_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Daily at 05:00 in the studios' zone: after the nightly exports are processed, before the studios open. */
export const DEFAULT_CHURN_SCORE_SCHEDULE = 'cron(0 5 * * ? *)';
/** Mondays at 04:00 in the studios' zone: an hour before that day's scoring, which then uses the new champion. */
export const DEFAULT_CHURN_TRAIN_SCHEDULE = 'cron(0 4 ? * MON *)';
/** Daily at 06:00 in the studios' zone: an hour after the churn scores (05:00), as crm-sync's own schedule does locally. */
export const DEFAULT_CRM_SYNC_SCHEDULE = 'cron(0 6 * * ? *)';
/**
 * Daily at 06:30 in the studios' zone: after the night's data is processed, staggered after the churn scores (05:00) and
 * crm-sync (06:00), which share the analytics workgroup. Marketing mail it plans is held by the notifier's quiet hours
 * (to 08:00 by default), transactional mail goes at once.
 */
export const DEFAULT_CAMPAIGN_PLANNER_SCHEDULE = 'cron(30 6 * * ? *)';
/** crm-sync's own default (HUBSPOT_REQUESTS_PER_10S): HubSpot's 100 a 10 s on the lower tiers, less 5%. */
export const DEFAULT_HUBSPOT_REQUESTS_PER_10S = 95;
/** The bounds crm-sync's configuration accepts for HUBSPOT_REQUESTS_PER_10S (services/crm-sync/src/config.ts). */
export const MAX_HUBSPOT_REQUESTS_PER_10S = 1_000;
/** EventBridge Scheduler's limits on an ECS target's awsvpc configuration. */
export const MAX_JOB_SUBNETS = 16;
export const MAX_JOB_SECURITY_GROUPS = 5;

/** A whole number of megabytes (10^6 bytes, Athena's unit) ≥ Athena's minimum, as bytes. */
function scanLimitBytes(config: pulumi.Config, key: string, defaultMb: number): number {
  const text = config.get(key);
  if (text === undefined) return defaultMb * BYTES_PER_MB;
  const mb = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(mb) || mb < MIN_SCAN_LIMIT_MB) {
    throw new Error(
      `${config.name}:${key} must be a whole number of megabytes, at least ${MIN_SCAN_LIMIT_MB} (Athena's minimum per-query cutoff is 10 MB); got ${JSON.stringify(text)}`,
    );
  }
  return mb * BYTES_PER_MB;
}

function timeZone(config: pulumi.Config, key: string): string {
  const zone = config.get(key) ?? DEFAULT_STUDIO_TIME_ZONE;
  try {
    // Throws a RangeError for a name the zone database does not know; Athena knows the same IANA names.
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new Error(`${config.name}:${key} must be an IANA time zone name such as ${DEFAULT_STUDIO_TIME_ZONE}; got ${JSON.stringify(zone)}`);
  }
  return zone;
}

type CronField = { name: string; min: number; max: number; names?: readonly string[]; special?: RegExp };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
// EventBridge's six cron fields (eb-cron-expressions); `special` are the items that are not values, ranges or steps.
const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, special: /^(\?|L|LW|L-\d{1,2}|\d{1,2}W)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS, special: /^(\?|L|[1-7]L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)#[1-5])$/ },
  { name: 'year', min: 1970, max: 2199 },
];

/** Why one cron field is malformed, or undefined when it is plausible: `*`, values, ranges, lists and `/` steps in range. */
function cronFieldProblem(field: CronField, text: string): string | undefined {
  for (const item of text.split(',')) {
    if (field.special?.test(item)) {
      if (item === '?' && text !== '?') return `${field.name}: "?" cannot be part of a list`;
      continue;
    }
    const [base = '', step, ...rest] = item.split('/');
    if (rest.length > 0 || (step !== undefined && !/^\d{1,4}$/.test(step)) || step === '0') return `${field.name}: bad step in ${JSON.stringify(item)}`;
    if (base === '*') continue;
    const ends = base.split('-');
    if (ends.length > 2) return `${field.name}: bad range ${JSON.stringify(item)}`;
    for (const end of ends) {
      const named = field.names?.indexOf(end) ?? -1;
      const value = named >= 0 ? named + field.min : /^\d{1,4}$/.test(end) ? Number(end) : Number.NaN;
      if (!(value >= field.min && value <= field.max)) return `${field.name}: ${JSON.stringify(end)} is not ${field.min}–${field.max}${field.names ? ` or ${field.names[0]}–${field.names.at(-1)}` : ''}`;
    }
  }
  return undefined;
}

/**
 * An EventBridge Scheduler cron expression, checked for plausibility so a typo fails at `pulumi preview` rather than at
 * `pulumi up`: six fields in range, and `?` in exactly one of day-of-month and day-of-week (AWS cannot use both).
 */
export function cronProblem(expression: string): string | undefined {
  const inner = /^cron\((.*)\)$/.exec(expression.trim())?.[1];
  if (inner === undefined) return 'not of the form cron(…)';
  const fields = inner.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) return `${fields.length} fields, not 6`;
  for (const [i, field] of CRON_FIELDS.entries()) {
    const problem = cronFieldProblem(field, fields[i] ?? '');
    if (problem) return problem;
  }
  if ((fields[2] === '?') === (fields[4] === '?')) return 'exactly one of day-of-month and day-of-week must be "?"';
  return undefined;
}

function cronSchedule(config: pulumi.Config, key: string, fallback: string): string {
  const expression = config.get(key) ?? fallback;
  const problem = cronProblem(expression);
  if (problem) {
    throw new Error(
      `${config.name}:${key} must be an EventBridge Scheduler cron expression, cron(minutes hours day-of-month month day-of-week year) in the studios' time zone, such as ${fallback}: ${problem}; got ${JSON.stringify(expression)}`,
    );
  }
  return expression.trim();
}

/** A comma-separated list of AWS ids (`subnet-…`, `sg-…`): undefined when the key is absent, refused when empty or malformed. */
function idList(config: pulumi.Config, key: string, kind: 'subnet' | 'sg', max: number): string[] | undefined {
  const text = config.get(key);
  if (text === undefined) return undefined;
  const ids = text.split(',').map((id) => id.trim()).filter((id) => id !== '');
  const pattern = new RegExp(`^${kind}-[0-9a-f]{8}([0-9a-f]{9})?$`);
  const fail = (why: string) => {
    throw new Error(`${config.name}:${key} must be a comma-separated list of 1 to ${max} ${kind}-… ids${kind === 'subnet' ? ' of one VPC' : ''} (remove the key to use the default VPC): ${why}; got ${JSON.stringify(text)}`);
  };
  if (ids.length === 0) fail('the list is empty');
  if (ids.length > max) fail(`${ids.length} ids, more than EventBridge Scheduler accepts`);
  const bad = ids.find((id) => !pattern.test(id));
  if (bad !== undefined) fail(`${JSON.stringify(bad)} is not a ${kind}-… id`);
  if (new Set(ids).size !== ids.length) fail('an id is listed twice');
  return ids;
}

/** A whole number from `min` to `max` (digits only); undefined when the key is absent. `what` says what it is for. */
function wholeNumber(config: pulumi.Config, key: string, range: { min: number; max?: number }, what: string): number | undefined {
  const text = config.get(key);
  if (text === undefined) return undefined;
  const value = /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!(value >= range.min && value <= (range.max ?? Number.MAX_SAFE_INTEGER))) {
    const bounds = range.max === undefined ? `at least ${range.min}` : `from ${range.min} to ${range.max}`;
    throw new Error(`${config.name}:${key} must be a whole number ${bounds} (${what}); got ${JSON.stringify(text)}`);
  }
  return value;
}

function crmSync(config: pulumi.Config): CrmSyncConfig {
  const requestsPerTenSeconds = wholeNumber(
    config,
    'hubspotRequestsPer10s',
    { min: 1, max: MAX_HUBSPOT_REQUESTS_PER_10S },
    "requests crm-sync sends to HubSpot in any 10 seconds, below the private app's limit",
  );
  const dailyBudget = wholeNumber(config, 'hubspotDailyBudget', { min: 1 }, "requests a crm-sync run may use of the HubSpot account's daily limit; remove the key to leave it to what HubSpot says remains");
  return {
    schedule: cronSchedule(config, 'crmSyncSchedule', DEFAULT_CRM_SYNC_SCHEDULE),
    requestsPerTenSeconds: requestsPerTenSeconds ?? DEFAULT_HUBSPOT_REQUESTS_PER_10S,
    ...(dailyBudget === undefined ? {} : { dailyBudget }),
  };
}

// A DNS name SES can verify: at least two labels of letters, digits and inner hyphens, lowercase (as DNS compares them).
const DOMAIN_PATTERN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The SES sending domain, lowercased; undefined when the key is absent. An address or a URL is refused with a hint. */
function emailDomain(config: pulumi.Config, key: string): string | undefined {
  const text = config.get(key);
  if (text === undefined) return undefined;
  const domain = text.trim().toLowerCase();
  if (!DOMAIN_PATTERN.test(domain)) {
    const hint = domain.includes('@') ? ' (the domain only, not an address)' : domain.includes('/') ? ' (a bare domain, not a URL)' : '';
    throw new Error(`${config.name}:${key} must be the domain the notifier sends from, such as mail.example.com${hint}; remove the key to create no SES identity; got ${JSON.stringify(text)}`);
  }
  return domain;
}

/** The sending domain and, with it, what every email must carry: the studio chain's postal address and the member app's URL. */
function emailConfig(config: pulumi.Config): EmailConfig {
  const domain = emailDomain(config, 'emailDomain');
  if (domain === undefined) return {};
  const postalAddress = config.get('notifierPostalAddress')?.trim();
  const memberAppUrl = config.get('memberAppUrl')?.trim();
  if (!postalAddress) throw new Error(`${config.name}:notifierPostalAddress is required with emailDomain: every marketing email's footer carries the sender's postal address (CAN-SPAM); set it, e.g. "Peak Fitness, 1 Main St, Springfield"`);
  if (!memberAppUrl || !/^https:\/\/[^\s/]+/.test(memberAppUrl)) throw new Error(`${config.name}:memberAppUrl is required with emailDomain: an https URL of the member app, the emails' default button; got ${JSON.stringify(memberAppUrl ?? null)}`);
  return { domain, postalAddress, memberAppUrl };
}

function imageTag(config: pulumi.Config, key: string): string {
  const tag = config.get(key) ?? DEFAULT_IMAGE_TAG;
  if (!IMAGE_TAG_PATTERN.test(tag)) {
    throw new Error(`${config.name}:${key} must be an image tag (letters, digits, _ . -, at most 128, not starting with . or -) such as a git SHA; got ${JSON.stringify(tag)}`);
  }
  return tag;
}

// An ACM certificate ARN: arn:<partition>:acm:<region>:<account>:certificate/<id>.
const CERTIFICATE_ARN_PATTERN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;

function services(config: pulumi.Config): ServicesConfig {
  const domainText = config.get('publicDomain');
  const certificateArn = config.get('certificateArn');
  if ((domainText === undefined) !== (certificateArn === undefined)) {
    throw new Error(`${config.name}:publicDomain and ${config.name}:certificateArn go together: HTTPS needs the domain the services are named under and an ACM certificate in the stack's region covering ingest., leaderboard. and notifier.<domain>; set both, or neither for plain HTTP (dev only)`);
  }
  let https: ServicesConfig['https'];
  if (domainText !== undefined && certificateArn !== undefined) {
    const domain = domainText.trim().toLowerCase();
    if (!DOMAIN_PATTERN.test(domain)) throw new Error(`${config.name}:publicDomain must be a DNS name such as app.example.com (a bare domain, not a URL); got ${JSON.stringify(domainText)}`);
    if (!CERTIFICATE_ARN_PATTERN.test(certificateArn.trim())) throw new Error(`${config.name}:certificateArn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>); got ${JSON.stringify(certificateArn)}`);
    https = { domain, certificateArn: certificateArn.trim() };
  }
  const retention = wholeNumber(config, 'serviceLogRetentionDays', { min: 1, max: 3653 }, 'days CloudWatch keeps the services\' logs') ?? 30;
  if (!LOG_RETENTION_DAYS.includes(retention)) throw new Error(`${config.name}:serviceLogRetentionDays must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(', ')}); got ${retention}`);
  const cidrText = config.get('dashboardAllowedCidrs');
  const dashboardAllowedCidrs = cidrText === undefined ? [] : checkLoginSourceCidrs(cidrText.split(',').filter((c) => c.trim() !== ''), `${config.name}:dashboardAllowedCidrs`);
  if (https && dashboardAllowedCidrs.length > 0) {
    throw new Error(`${config.name}:dashboardAllowedCidrs applies without publicDomain only (plain HTTP, no sign-in); with HTTPS the dashboard is behind the Cognito sign-in: remove it`);
  }
  const subnetIds = idList(config, 'serviceSubnetIds', 'subnet', MAX_JOB_SUBNETS);
  const assignPublicIp = config.getBoolean('serviceAssignPublicIp');
  return {
    ...(subnetIds === undefined ? {} : { subnetIds }),
    ...(assignPublicIp === undefined ? {} : { assignPublicIp }),
    ...(https === undefined ? {} : { https }),
    loadBalancerDeletionProtection: config.getBoolean('loadBalancerDeletionProtection') ?? false,
    dashboardAllowedCidrs,
    dashboardSessionHours: wholeNumber(config, 'dashboardSessionHours', { min: 1, max: 168 }, 'hours a dashboard sign-in lasts') ?? 12,
    logRetentionDays: retention,
    ingestTasks: wholeNumber(config, 'ingestTasks', { min: 1, max: 20 }, 'ingest tasks behind the load balancer') ?? 1,
    maxWorkerTasks: wholeNumber(config, 'maxWorkerTasks', { min: 1, max: 20 }, 'most tasks a queue worker (notifier, leaderboard) scales out to') ?? 2,
  };
}

function cache(config: pulumi.Config): CacheConfig {
  const nodeType = config.get('cacheNodeType') ?? DEFAULT_CACHE_NODE_TYPE;
  if (!/^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(nodeType)) throw new Error(`${config.name}:cacheNodeType must be an ElastiCache node type such as ${DEFAULT_CACHE_NODE_TYPE}; got ${JSON.stringify(nodeType)}`);
  return {
    nodeType,
    replicas: wholeNumber(config, 'cacheReplicas', { min: 0, max: 5 }, 'read replicas of the cache; 1 or more turns on automatic failover') ?? 0,
    snapshotRetentionDays: wholeNumber(config, 'cacheSnapshotRetentionDays', { min: 0, max: 35 }, 'days of daily cache snapshots kept') ?? DEFAULT_SNAPSHOT_RETENTION_DAYS,
  };
}

function etl(config: pulumi.Config): EtlConfig {
  const engine = config.get('etlEngine') ?? 'duckdb';
  if (engine !== 'duckdb' && engine !== 'spark') throw new Error(`${config.name}:etlEngine must be duckdb or spark; got ${JSON.stringify(engine)}`);
  const capacityText = config.get('etlGlueMaxCapacity');
  const capacity = capacityText === undefined ? ETL_GLUE_CAPACITIES[0] : Number(capacityText.trim());
  if (!(ETL_GLUE_CAPACITIES as readonly number[]).includes(capacity)) {
    throw new Error(`${config.name}:etlGlueMaxCapacity must be ${ETL_GLUE_CAPACITIES.join(' or ')} (DPU of a Glue Python-shell run); got ${JSON.stringify(capacityText)}`);
  }
  const timeout = wholeNumber(config, 'etlGlueTimeoutMinutes', { min: 1, max: MAX_ETL_GLUE_TIMEOUT_MINUTES }, 'minutes a Glue run may take; the worker holds the raw-landed message meanwhile');
  const duckdbVersion = config.get('etlGlueDuckdbVersion') ?? DEFAULT_ETL_DUCKDB_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(duckdbVersion)) throw new Error(`${config.name}:etlGlueDuckdbVersion must be a duckdb release such as ${DEFAULT_ETL_DUCKDB_VERSION}; got ${JSON.stringify(duckdbVersion)}`);
  return { engine, glueMaxCapacity: capacity, glueTimeoutMinutes: timeout ?? DEFAULT_ETL_GLUE_TIMEOUT_MINUTES, duckdbVersion };
}

export function loadStackConfig(): StackConfig {
  // Namespace defaults to the project name: keys are `peak-fitness:<key>`.
  const config = new pulumi.Config();
  const stage = config.require('stage', { pattern: STAGE_PATTERN });
  return {
    stage,
    prefix: `peak-${stage}`,
    tags: { project: 'peak-fitness', stage, 'managed-by': 'pulumi' },
    forceDestroyLake: config.getBoolean('forceDestroyLake') ?? false,
    studioTimeZone: timeZone(config, 'studioTimeZone'),
    analyticsScanLimitBytes: scanLimitBytes(config, 'analyticsScanLimitMb', DEFAULT_ANALYTICS_SCAN_LIMIT_MB),
    sandboxScanLimitBytes: scanLimitBytes(config, 'sandboxScanLimitMb', DEFAULT_SANDBOX_SCAN_LIMIT_MB),
    imageTag: imageTag(config, 'imageTag'),
    churnSchedules: {
      train: cronSchedule(config, 'churnTrainSchedule', DEFAULT_CHURN_TRAIN_SCHEDULE),
      score: cronSchedule(config, 'churnScoreSchedule', DEFAULT_CHURN_SCORE_SCHEDULE),
    },
    jobNetwork: {
      subnetIds: idList(config, 'jobSubnetIds', 'subnet', MAX_JOB_SUBNETS),
      securityGroupIds: idList(config, 'jobSecurityGroupIds', 'sg', MAX_JOB_SECURITY_GROUPS),
      assignPublicIp: config.getBoolean('jobAssignPublicIp'),
    },
    crmSync: crmSync(config),
    // On unless a stack turns it off (dev): a table holding the send ledger must not go with a stray destroy.
    tables: { deletionProtection: config.getBoolean('tableDeletionProtection') ?? true },
    email: emailConfig(config),
    campaignPlanner: { schedule: cronSchedule(config, 'campaignPlannerSchedule', DEFAULT_CAMPAIGN_PLANNER_SCHEDULE) },
    etl: etl(config),
    services: services(config),
    cache: cache(config),
    alerts: {
      emails: parseAlertEmails(config.get('alertEmails'), `${config.name}:alertEmails`),
      budgetMonthlyUsd: parseBudgetMonthlyUsd(config.get('budgetMonthlyUsd'), `${config.name}:budgetMonthlyUsd`),
    },
  };
}
