/**
 * One sync run: read the members' features and scores from the lake, diff them against the last synced state, make
 * sure HubSpot has the properties, push what changed, remember what HubSpot accepted, and record the run. A dry run
 * stops after the diff and records what it would send. Every run leaves a record, even one that fails.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@hubspot/api-client';
import type { QueryEngine } from '@peak/analytics';
import type { Lake } from '@peak/lake';
import { planSync } from './diff.js';
import { ensureContactProperties } from './ensure-properties.js';
import { pushChanges, type PushOptions } from './push.js';
import { readSyncInput, type SyncInput } from './read-input.js';
import { loadSyncedState, MAX_RUN_ERRORS, newRunId, recordAcks, recordRun, saveSyncedState, type SyncRun } from './state.js';

export type SyncOptions = Pick<PushOptions, 'requestsPerTenSeconds' | 'dailyBudget' | 'maxAttempts' | 'sleep' | 'onBatch'> & {
  engine: QueryEngine;
  lake: Lake;
  client: Client;
  dryRun?: boolean;
  now?: () => Date;
  /** Where the members' attributes come from (default: the lake, through `engine`); the benchmark passes generated ones. */
  readInput?: () => Promise<SyncInput>;
};

/** How many of a dry run's changes the record lists (the counts have them all). */
export const PREVIEW_SIZE = 20;

export async function runSync(options: SyncOptions): Promise<SyncRun> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const run: SyncRun = {
    runId: newRunId(started, randomBytes(2).toString('hex')),
    startedAt: started.toISOString(),
    finishedAt: null,
    asOf: null,
    dryRun: options.dryRun ?? false,
    outcome: 'running',
    counts: { members: 0, changed: 0, sent: 0, created: 0, updated: 0, failed: 0, unchanged: 0, skipped: 0, duplicates: 0, requests: 0 },
    errors: [],
  };
  await recordRun(options.lake, run);
  try {
    const input = await (options.readInput ?? (() => readSyncInput(options.engine)))();
    run.asOf = input.asOf;
    const state = await loadSyncedState(options.lake);
    const plan = planSync(input.members, input.scores, state);
    Object.assign(run.counts, { members: input.members.length, changed: plan.changed.length, unchanged: plan.unchanged, skipped: plan.skipped.length, duplicates: plan.duplicates.length });
    if (run.dryRun) {
      run.preview = plan.changed.slice(0, PREVIEW_SIZE).map((c) => ({ memberId: c.memberId, reason: c.reason, properties: c.properties }));
      run.outcome = 'succeeded';
      return run;
    }
    await ensureContactProperties(options.client);
    let batch = 0;
    const pushed = await pushChanges(plan.changed, { ...options, onAcknowledged: (acks) => recordAcks(options.lake, run.runId, ++batch, acks) });
    const next = new Map(state);
    for (const s of pushed.sent) next.set(s.memberId, s.fingerprint);
    await saveSyncedState(options.lake, next);
    Object.assign(run.counts, { sent: pushed.sent.length, created: pushed.created, updated: pushed.sent.length - pushed.created, failed: pushed.failed.length, requests: pushed.requests });
    run.errors = pushed.failed.slice(0, MAX_RUN_ERRORS);
    if (pushed.stoppedBecause) run.stoppedBecause = pushed.stoppedBecause;
    run.outcome = pushed.failed.length || pushed.stoppedBecause ? 'partial' : 'succeeded';
    return run;
  } catch (err) {
    run.outcome = 'failed';
    run.stoppedBecause = (err as Error).message;
    return run;
  } finally {
    run.finishedAt = now().toISOString();
    await recordRun(options.lake, run);
  }
}
