/**
 * One sync run: read the members' attributes from the lake, diff them against what HubSpot holds from earlier runs,
 * make sure HubSpot has the properties, push what changed (and what failed last time), remember each batch's answer,
 * and record the run. A dry run stops after the diff. Every run leaves a record (JSON for the API and CLI, and rows
 * in the lake's `crm_sync_runs` and `crm_sync_changes`, queryable in SQL), even one that fails.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@hubspot/api-client';
import type { QueryEngine } from '@peak/analytics';
import type { Lake } from '@peak/lake';
import { flagRun, type AlertThresholds } from './alerts.js';
import { planSyncYielding, type PlanOptions } from './diff.js';
import { ensureContactProperties } from './ensure-properties.js';
import { changeRows, holdoutRows, writeRunDatasets, type ChangeRow } from './lake-records.js';
import { hubspotPacer, pushChanges, type PushOptions } from './push.js';
import { readSyncInput, type SyncInput } from './read-input.js';
import { applyAcks, latestRuns, loadSyncedState, MAX_RUN_ERRORS, newRunId, recordAcks, recordRun, saveSyncedState, type SyncRun } from './state.js';

export type SyncOptions = Pick<PushOptions, 'requestsPerTenSeconds' | 'dailyBudget' | 'maxAttempts' | 'requestTimeoutMs' | 'sleep' | 'onBatch'> &
  Omit<PlanOptions, 'thresholds'> & {
    engine: QueryEngine;
    lake: Lake;
    client: Client;
    dryRun?: boolean;
    now?: () => Date;
    /** Where the members' attributes come from (default: the lake, through `engine`); the benchmark passes generated ones. */
    readInput?: () => Promise<SyncInput>;
    alerts?: AlertThresholds;
    /** Stops the run between batches (the service shutting down); it then saves what was sent and records itself. */
    signal?: AbortSignal;
    /** After each write of the run's record (the first tells callers the run's id; the API answers 202 with it). */
    onRecorded?: (run: SyncRun) => Promise<void> | void;
  };

/** How many of a dry run's changes the run record lists (the changelog in the lake has them all). */
export const PREVIEW_SIZE = 20;

export async function runSync(options: SyncOptions): Promise<SyncRun> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const { lake } = options;
  const run: SyncRun = {
    runId: newRunId(started, randomBytes(2).toString('hex')),
    startedAt: started.toISOString(),
    finishedAt: null,
    asOf: null,
    dryRun: options.dryRun ?? false,
    fullResync: options.fullResync ?? false,
    outcome: 'running',
    counts: { members: 0, changed: 0, sent: 0, created: 0, updated: 0, failed: 0, retried: 0, unchanged: 0, skipped: 0, duplicates: 0, requests: 0 },
    errors: [],
  };
  const changes: ChangeRow[] = [];
  let changesWritten: Promise<void> | undefined;
  // One limiter for every HubSpot call of the run: the set-up's calls count against the same 10 s as the upserts.
  const limiter = hubspotPacer(options.requestsPerTenSeconds ?? 95);
  let settingUp: Promise<unknown> = Promise.resolve();
  const record = async () => {
    await recordRun(lake, run);
    await options.onRecorded?.(run);
  };
  await record();
  try {
    // HubSpot's property set-up (network, paced) goes on while the lake is read and the diff worked out.
    if (!run.dryRun) {
      settingUp = ensureContactProperties(options.client, undefined, (call) => limiter.schedule(call));
      settingUp.catch(() => undefined); // awaited before the push
    }
    const input = await (options.readInput ?? (() => readSyncInput(options.engine, lake)))();
    run.asOf = input.asOf;
    const state = await loadSyncedState(lake);
    const plan = await planSyncYielding(input.members, input.scores, state, { ...options, ...(input.thresholds ? { thresholds: input.thresholds } : {}) });
    Object.assign(run.counts, {
      members: input.members.length, changed: plan.changed.length, unchanged: plan.unchanged, skipped: plan.skipped.length,
      duplicates: plan.duplicates.length, retried: plan.changed.filter((c) => c.retryOf).length,
    });
    changes.push(...changeRows.duplicates(run, plan.duplicates));
    if (run.dryRun) {
      const action = (memberId: string) => (state.members.has(memberId) ? ('update' as const) : ('create' as const));
      const withoutEmail = ({ email: _email, ...rest }: Record<string, string>) => rest; // the record sits in the lake for months
      run.preview = plan.changed.slice(0, PREVIEW_SIZE).map((c) => ({ memberId: c.memberId, action: action(c.memberId), reason: c.reason, changed: Object.keys(c.changes), properties: withoutEmail(c.properties) }));
      const create = plan.changed.filter((c) => action(c.memberId) === 'create').length;
      run.wouldSend = { create, update: plan.changed.length - create, duplicateIds: plan.duplicates.slice(0, PREVIEW_SIZE).map((d) => d.memberId) };
      changes.push(...changeRows.planned(run, plan.changed));
      run.outcome = 'succeeded';
      return run;
    }
    await settingUp;
    // The holdout rows go to the lake while the upserts are paced out; listed before the state says so (a crash: listed twice, counted once).
    const listed = holdoutRows(state, plan.changed, run, options.holdoutShare);
    const holdoutWritten = writeRunDatasets.holdout(lake, run, listed);
    holdoutWritten.catch(() => undefined); // awaited below, after the push
    const planned = new Map(plan.changed.map((c) => [c.memberId, c]));
    let batch = 0;
    const pushed = await pushChanges(plan.changed, {
      ...options,
      limiter,
      onAcknowledged: async (answer) => {
        const acks = { sent: answer.sent.map(({ memberId, properties }) => ({ memberId, properties })), failed: [...answer.failed], at: now().toISOString() };
        // In memory first: if the ack file cannot be written the run stops, and still saves what HubSpot accepted.
        applyAcks(state, acks);
        changes.push(...changeRows.answered(run, answer, planned));
        await recordAcks(lake, run.runId, ++batch, acks);
      },
    });
    Object.assign(run.counts, { sent: pushed.sent.length, created: pushed.created, updated: pushed.sent.length - pushed.created, failed: pushed.failed.length, requests: pushed.requests });
    run.errors = pushed.failed.slice(0, MAX_RUN_ERRORS);
    if (pushed.stoppedBecause) run.stoppedBecause = pushed.stoppedBecause;
    await holdoutWritten;
    for (const r of listed) state.holdoutRecorded.set(r.member_id, r.assigned_on);
    // The changelog is complete: written while the state is saved.
    changesWritten = writeRunDatasets.changes(lake, run, changes);
    changesWritten.catch(() => undefined);
    await saveSyncedState(lake, state, { runId: run.runId, folded: state.ackKeys });
    run.outcome = pushed.failed.length || pushed.stoppedBecause ? 'partial' : 'succeeded';
    return run;
  } catch (err) {
    run.outcome = 'failed';
    run.stoppedBecause = (err as Error).message;
    return run;
  } finally {
    await settingUp.catch(() => undefined); // a run that failed early must not go on calling HubSpot
    await limiter.stop({ dropWaitingJobs: false }).catch(() => undefined);
    run.finishedAt = now().toISOString();
    // The run to compare with: one that read the data (a failed run's zeros would make any normal run look far off).
    const previous = (await latestRuns(lake, 10).catch(() => [])).find((r) => r.runId !== run.runId && !r.dryRun && (r.outcome === 'succeeded' || r.outcome === 'partial') && r.counts.members > 0);
    const alert = flagRun(run, previous, options.alerts);
    if (alert.length) run.alert = { reasons: alert };
    await record();
    // The SQL copies last: a lake that refuses them leaves the JSON record, which already says what happened.
    await Promise.all([changesWritten ?? writeRunDatasets.changes(lake, run, changes), writeRunDatasets.run(lake, run)]).catch((err: Error) => {
      run.stoppedBecause = `${run.stoppedBecause ? `${run.stoppedBecause}; ` : ''}the run's rows could not be written to the lake (${err.message})`;
      return record();
    });
  }
}
