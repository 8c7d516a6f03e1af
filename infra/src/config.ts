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
  };
}
