import * as pulumi from '@pulumi/pulumi';

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
}

export interface TablesConfig {
  /** DynamoDB deletion protection on every table: a protected table survives `pulumi destroy` and a replacement. */
  deletionProtection: boolean;
}

export interface EmailConfig {
  /** The SES sending domain (the notifier's SES_FROM_ADDRESS is at it); undefined: no SES identity is created. */
  domain?: string;
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

function imageTag(config: pulumi.Config, key: string): string {
  const tag = config.get(key) ?? DEFAULT_IMAGE_TAG;
  if (!IMAGE_TAG_PATTERN.test(tag)) {
    throw new Error(`${config.name}:${key} must be an image tag (letters, digits, _ . -, at most 128, not starting with . or -) such as a git SHA; got ${JSON.stringify(tag)}`);
  }
  return tag;
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
    email: ((domain) => (domain === undefined ? {} : { domain }))(emailDomain(config, 'emailDomain')),
    campaignPlanner: { schedule: cronSchedule(config, 'campaignPlannerSchedule', DEFAULT_CAMPAIGN_PLANNER_SCHEDULE) },
  };
}
