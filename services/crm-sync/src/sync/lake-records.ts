/**
 * The runs, the per-member changelog and the holdout group as lake relations (`crm_sync_runs`, `crm_sync_changes`,
 * `marketing_holdout`: contracts in @peak/contracts), so marketing and analysts query them in SQL beside the data —
 * one Parquet file per run under `processed/<relation>/dt=<run day>/<run id>.parquet`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDerivedParquet, type DerivedRow } from '@peak/analytics';
import { holdoutBucket, inHoldout, lakeZones, type CrmSyncChangeRow, type CrmSyncRunRow, type DerivedName, type MarketingHoldoutRow } from '@peak/contracts';
import type { Lake } from '@peak/lake';
import type { PlannedChange, SyncPlan } from './diff.js';
import { maskEmails, type SentMember } from './push.js';
import type { RunError, StoredState, SyncRun } from './state.js';

export type ChangeRow = CrmSyncChangeRow;

const runDate = (run: SyncRun) => run.startedAt.slice(0, 10);
/** What changed, the email left out: the changelog is for analysts, who have no need of addresses (`email` still named when it changed). */
const described = (c: PlannedChange) => {
  const { email: _email, ...rest } = c.changes;
  return {
    changed_properties: Object.keys(c.changes).join(',') || undefined,
    changes: Object.keys(rest).length ? JSON.stringify(rest) : undefined,
  };
};
const base = (run: SyncRun, memberId: string, homeLocation: string | null | undefined) => ({
  run_id: run.runId, run_date: runDate(run), member_id: memberId, ...(homeLocation ? { home_location_id: homeLocation } : {}),
});

/** The changelog's rows, by what happened to the member. */
export const changeRows = {
  duplicates: (run: SyncRun, duplicates: SyncPlan['duplicates']): ChangeRow[] =>
    duplicates.map((d) => ({ ...base(run, d.memberId, d.homeLocation), outcome: 'duplicate', reason: 'the member id appears more than once in the data; the first row was used' })),
  planned: (run: SyncRun, changed: readonly PlannedChange[]): ChangeRow[] =>
    changed.map((c) => ({ ...base(run, c.memberId, c.homeLocation), outcome: 'planned', reason: c.reason, ...described(c) })),
  answered: (run: SyncRun, answer: { sent: readonly SentMember[]; failed: readonly RunError[] }, planned: ReadonlyMap<string, PlannedChange>): ChangeRow[] => [
    ...answer.sent.map((s): ChangeRow => {
      const c = planned.get(s.memberId);
      return { ...base(run, s.memberId, c?.homeLocation), outcome: s.created ? 'created' : 'updated', reason: c?.reason ?? 'sent', ...(c ? described(c) : {}) };
    }),
    ...answer.failed.map((f): ChangeRow => {
      const c = planned.get(f.memberId);
      return { ...base(run, f.memberId, c?.homeLocation), outcome: 'failed', reason: c?.reason ?? 'sent', ...(c ? described(c) : {}), error_category: f.category, error_message: f.message.slice(0, 2000) };
    }),
  ],
};

/**
 * The processed zone keeps a year (the lake's lifecycle rule): a member's row is written again after this many days, so
 * every synced member stays in the relation (readers count each member once).
 */
export const HOLDOUT_REWRITE_DAYS = 300;

/**
 * Members to list in the holdout relation: those HubSpot holds from crm-sync and those this run is about to send, when
 * not listed yet or listed too long ago to be kept. Written while the upserts are paced out (the CPU is idle then).
 */
export function holdoutRows(state: StoredState, sending: readonly PlannedChange[], run: SyncRun, share?: number): MarketingHoldoutRow[] {
  const rows: MarketingHoldoutRow[] = [];
  const stale = new Date(Date.parse(`${runDate(run)}T00:00:00Z`) - HOLDOUT_REWRITE_DAYS * 86_400_000).toISOString().slice(0, 10);
  const due = (memberId: string) => {
    const recorded = state.holdoutRecorded.get(memberId);
    return recorded === undefined || recorded <= stale;
  };
  const add = (memberId: string, home: string | null | undefined) =>
    rows.push({ member_id: memberId, ...(home ? { home_location_id: home } : {}), bucket: holdoutBucket(memberId), holdout: inHoldout(memberId, share), assigned_on: runDate(run) });
  for (const [memberId, properties] of state.members) if (due(memberId)) add(memberId, properties.peak_home_location);
  for (const c of sending) if (c.treatment === 'sync' && !state.members.has(c.memberId) && due(c.memberId)) add(c.memberId, c.homeLocation);
  return rows;
}

function runRow(run: SyncRun): CrmSyncRunRow {
  const c = run.counts;
  return {
    run_id: run.runId, run_date: runDate(run), started_at: run.startedAt,
    ...(run.finishedAt ? { finished_at: run.finishedAt } : {}), ...(run.asOf ? { as_of: run.asOf } : {}),
    dry_run: run.dryRun, full_resync: run.fullResync, outcome: run.outcome,
    members: c.members, changed: c.changed, unchanged: c.unchanged, skipped: c.skipped, duplicates: c.duplicates, sent: c.sent,
    created: c.created, updated: c.updated, failed: c.failed, retried: c.retried, requests: c.requests,
    ...(run.stoppedBecause ? { stopped_because: maskEmails(run.stoppedBecause).slice(0, 2000) } : {}),
    alert: run.alert !== undefined, ...(run.alert ? { alert_reasons: run.alert.reasons.join('; ').slice(0, 2000) } : {}),
  };
}

async function putRelation(lake: Lake, name: DerivedName, day: string, runId: string, rows: readonly DerivedRow[], orderBy: string): Promise<void> {
  if (!rows.length) return;
  const dir = await mkdtemp(join(tmpdir(), 'crm-sync-'));
  try {
    const file = join(dir, `${runId}.parquet`);
    await writeDerivedParquet(name, rows, file, orderBy);
    await lake.putFile(`${lakeZones.processed.prefix}${name}/dt=${day}/${runId}.parquet`, file, { contentType: 'application/vnd.apache.parquet' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const writeRunDatasets = {
  changes: (lake: Lake, run: SyncRun, changes: readonly ChangeRow[]) => putRelation(lake, 'crm_sync_changes', runDate(run), run.runId, changes, 'member_id'),
  run: (lake: Lake, run: SyncRun) => putRelation(lake, 'crm_sync_runs', runDate(run), run.runId, [runRow(run)], 'run_id'),
  holdout: (lake: Lake, run: SyncRun, rows: readonly MarketingHoldoutRow[]) => putRelation(lake, 'marketing_holdout', runDate(run), run.runId, rows, 'member_id'),
};
