import Type, { type Static, type TObject, type TProperties } from 'typebox';
import { boolean, date, id, integer, oneOf, optional, text, timestamp, type ColumnMeta } from './columns.js';

/**
 * Relations the platform's own jobs write to the processed zone (never ingested, so no ETL plan): Parquet under
 * `processed/<name>/dt=<day>/`, read by both query engines like a dataset, so Athena, DuckDB, crm-sync and the
 * dashboard read the same numbers.
 */
export const DERIVED_NAMES = ['member_churn_scores', 'crm_sync_runs', 'crm_sync_changes', 'marketing_holdout'] as const;
export type DerivedName = (typeof DERIVED_NAMES)[number];

export type DerivedContract<P extends TProperties = TProperties> = {
  name: DerivedName;
  title: string;
  description: string;
  /** The job that writes it. */
  writer: string;
  row: TObject<P>;
  columns: readonly (keyof P & string)[];
  /** DATE column whose value is the `dt` partition. */
  partitionBy: keyof P & string;
};

function defineDerived<const P extends TProperties>(spec: Omit<DerivedContract<P>, 'row' | 'columns'> & { properties: P }): DerivedContract<P> {
  const { properties, ...rest } = spec;
  const row = Type.Object(properties, { additionalProperties: false, title: spec.title, description: spec.description });
  return { ...rest, row, columns: Object.keys(properties) as (keyof P & string)[] };
}

/** A probability in [0, 1], stored as DOUBLE. */
const probability = (doc: { description: string; example?: number }) => {
  const meta: ColumnMeta = { 'x-sql': 'DOUBLE', description: doc.description, ...(doc.example === undefined ? {} : { examples: [doc.example] }) };
  return Type.Number({ ...meta, minimum: 0, maximum: 1 });
};

export const CHURN_BANDS = ['high', 'medium', 'low'] as const;

export const memberChurnScores = defineDerived({
  name: 'member_churn_scores',
  title: 'Member churn scores',
  description: 'One row per member scored on a day: the churn model\'s calibrated probability of churning within its horizon, the band and the three factors raising it most. One file per day; a re-run of the day replaces it.',
  writer: 'churn scoring job (`npm run churn -- score`)',
  partitionBy: 'as_of',
  properties: {
    member_id: id({ description: 'Member', example: 'M000042' }),
    home_location_id: id({ description: 'Home studio', example: 'downtown' }),
    as_of: date({ description: 'Day the features were taken as of (the end of that local day)', example: '2026-06-30' }),
    score: probability({ description: 'Calibrated probability of churning within the model\'s horizon (default 30 days)', example: 0.42 }),
    band: oneOf(CHURN_BANDS, { description: 'Risk band from the model\'s thresholds', example: 'medium' }),
    factor_1: optional(text({ description: 'The factor raising the risk most, in words', example: 'last visit 21 days ago' })),
    factor_2: optional(text({ description: 'The second factor', example: 'visits down: 2 in the last 30 days vs 8 the 30 before' })),
    factor_3: optional(text({ description: 'The third factor', example: 'used the app on 1 day of the last 30' })),
    model_version: id({ description: 'Model that produced the score', example: 'churn-2026-05-01-3f2a9c1d0b' }),
    scored_at: timestamp({ description: 'When the job ran (UTC)', example: '2026-07-01T05:00:00Z' }),
  },
});
export type MemberChurnScoreRow = Static<typeof memberChurnScores.row>;

const count = (description: string) => integer({ description, minimum: 0, maximum: 100_000_000 });

export const CRM_SYNC_OUTCOMES = ['running', 'succeeded', 'partial', 'failed'] as const;

export const crmSyncRuns = defineDerived({
  name: 'crm_sync_runs',
  title: 'HubSpot sync runs',
  description: 'One row per crm-sync run (dry runs included): when it ran, the data\'s day, what it considered, sent and failed, and whether it was flagged for attention. One file per run.',
  writer: 'crm-sync (`npm run crm-sync -- run`, its daily schedule, `POST /v1/runs`)',
  partitionBy: 'run_date',
  properties: {
    run_id: id({ description: 'Run id (sorts by start time)', example: '2026-12-07T06-00-00-123Z-3f9a' }),
    run_date: date({ description: 'UTC day the run started', example: '2026-12-07' }),
    started_at: timestamp({ description: 'Start (UTC)', example: '2026-12-07T06:00:00Z' }),
    finished_at: optional(timestamp({ description: 'End (UTC)', example: '2026-12-07T06:01:40Z' })),
    as_of: optional(date({ description: 'The data\'s last day the attributes are as of', example: '2026-12-06' })),
    dry_run: boolean({ description: 'A dry run: nothing was sent', example: false }),
    full_resync: boolean({ description: 'Every member was sent, changed or not', example: false }),
    outcome: oneOf(CRM_SYNC_OUTCOMES, { description: 'succeeded, partial (some members failed or the run stopped early) or failed', example: 'succeeded' }),
    members: count('Members in the data'),
    changed: count('Members whose properties changed (or were retried) and were due to be sent'),
    unchanged: count('Members whose properties were the same as last sent'),
    skipped: count('Cancelled or opted-out members never synced: not pushed'),
    duplicates: count('Member ids that appeared more than once in the data (the first row counted)'),
    sent: count('Members HubSpot accepted'),
    created: count('Of them, contacts created'),
    updated: count('Of them, contacts updated'),
    failed: count('Members HubSpot refused or that could not be sent'),
    retried: count('Members sent again because they failed in an earlier run'),
    requests: count('HubSpot API calls made'),
    stopped_because: optional(text({ description: 'Why the run stopped early or failed', maxLength: 2000, example: 'HubSpot\'s daily limit is reached; the rest goes in the next run' })),
    alert: boolean({ description: 'Flagged for attention (see alert_reasons)', example: false }),
    alert_reasons: optional(text({ description: 'Why it was flagged, "; "-separated', maxLength: 2000, example: '12% of the members sent failed (threshold 5%)' })),
  },
});
export type CrmSyncRunRow = Static<typeof crmSyncRuns.row>;

export const CRM_SYNC_CHANGE_OUTCOMES = ['created', 'updated', 'failed', 'planned', 'duplicate'] as const;

export const crmSyncChanges = defineDerived({
  name: 'crm_sync_changes',
  title: 'HubSpot sync changelog',
  description: 'One row per member a crm-sync run sent, tried to send or (dry run) would send: the properties that changed, old and new values, and HubSpot\'s error if it refused. Duplicate member ids in the data are listed too. One file per run.',
  writer: 'crm-sync',
  partitionBy: 'run_date',
  properties: {
    run_id: id({ description: 'The run', example: '2026-12-07T06-00-00-123Z-3f9a' }),
    run_date: date({ description: 'UTC day the run started', example: '2026-12-07' }),
    member_id: id({ description: 'Member (the contact\'s peak_member_id)', example: 'M000042' }),
    home_location_id: optional(id({ description: 'Home studio', example: 'downtown' })),
    outcome: oneOf(CRM_SYNC_CHANGE_OUTCOMES, { description: 'created / updated (HubSpot accepted), failed, planned (dry run), duplicate (the member id appeared again in the data; not sent)', example: 'updated' }),
    reason: text({ description: 'Why the member was due: their lifecycle stage, a last update (cancelled, consent withdrawn), a retry, a full resync', maxLength: 500, example: 'at_risk' }),
    changed_properties: optional(text({ description: 'Names of the properties that changed, comma-separated (every property for a member never synced)', maxLength: 2000, example: 'peak_churn_risk_band,peak_visits_30d' })),
    changes: optional(text({ description: 'JSON object: property → [old, new] ("" = empty; old is null for a member never synced)', maxLength: 20000, example: '{"peak_churn_risk_band":["medium","high"]}' })),
    error_category: optional(text({ description: 'HubSpot\'s error category when it refused', example: 'VALIDATION_ERROR' })),
    error_message: optional(text({ description: 'HubSpot\'s message, emails masked', maxLength: 2000, example: 'Property values were not valid' })),
  },
});
export type CrmSyncChangeRow = Static<typeof crmSyncChanges.row>;

export const marketingHoldout = defineDerived({
  name: 'marketing_holdout',
  title: 'Marketing holdout group',
  description: 'Which members are in the stable marketing holdout group (no marketing email, no HubSpot campaign), so the campaigns\' effect on retention can be measured. A member\'s group is a hash of their id (see `holdoutBucket`), the same in crm-sync and the notifier, and never changes. A member is written when first synced and again every 300 days (the processed zone keeps a year), so count each member once.',
  writer: 'crm-sync',
  partitionBy: 'assigned_on',
  properties: {
    member_id: id({ description: 'Member', example: 'M000042' }),
    home_location_id: optional(id({ description: 'Home studio when first seen', example: 'downtown' })),
    bucket: integer({ description: 'Hash bucket 0–9999 of the member id; holdout when below the holdout share × 10000', minimum: 0, maximum: 9999, example: 421 }),
    holdout: boolean({ description: 'In the holdout group', example: true }),
    assigned_on: date({ description: 'UTC day of the run that wrote the row (first sync, or a rewrite)', example: '2026-12-07' }),
  },
});
export type MarketingHoldoutRow = Static<typeof marketingHoldout.row>;

export const derivedDatasets: { readonly [N in DerivedName]: DerivedContract } = {
  member_churn_scores: memberChurnScores,
  crm_sync_runs: crmSyncRuns,
  crm_sync_changes: crmSyncChanges,
  marketing_holdout: marketingHoldout,
};
