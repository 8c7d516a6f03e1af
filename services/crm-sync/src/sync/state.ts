/**
 * What crm-sync keeps durably, in the lake (S3 in AWS, a folder locally) beside the data it reads:
 *
 *   `crm-sync/synced-state.json.gz`   member id → fingerprint of the properties last sent successfully
 *   `crm-sync/runs/<run id>.json`     one record per run: when, the data's day, counts, per-member errors
 *
 * The state is written whole (gzip, an atomic put) at checkpoints during a run and at its end. A crash between
 * checkpoints only makes the next run send those members again, which an upsert makes harmless.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Lake } from '@peak/lake';
import type { SyncedState } from './diff.js';

export const STATE_KEY = 'crm-sync/synced-state.json.gz';
export const RUNS_PREFIX = 'crm-sync/runs/';
const STATE_VERSION = 1;

/** The state could not be read: never treated as empty (that would re-send every member). */
export class SyncStateError extends Error {
  override name = 'SyncStateError';
}

export async function loadSyncedState(lake: Lake): Promise<Map<string, string>> {
  const bytes = await lake.getBytes(STATE_KEY);
  if (!bytes) return new Map(); // the first run
  let parsed: { version?: unknown; members?: unknown };
  try {
    parsed = JSON.parse(gunzipSync(bytes).toString('utf8')) as typeof parsed;
  } catch (err) {
    throw new SyncStateError(`${STATE_KEY} in ${lake.describe()} is damaged (${(err as Error).message}); restore it from a backup, or delete it to send every member again`);
  }
  if (parsed.version !== STATE_VERSION || typeof parsed.members !== 'object' || parsed.members === null) {
    throw new SyncStateError(`${STATE_KEY} in ${lake.describe()} is not a version ${STATE_VERSION} state; delete it to send every member again`);
  }
  return new Map(Object.entries(parsed.members as Record<string, string>).filter(([, v]) => typeof v === 'string'));
}

export async function saveSyncedState(lake: Lake, state: SyncedState): Promise<void> {
  const body = JSON.stringify({ version: STATE_VERSION, members: Object.fromEntries(state) });
  await lake.putBytes(STATE_KEY, gzipSync(body), { contentType: 'application/gzip' });
}

export type RunError = { memberId: string; category: string; message: string };
export type SyncRun = {
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  /** The data's last day (the lake's), which the attributes are as of. */
  asOf: string | null;
  dryRun: boolean;
  outcome: 'running' | 'succeeded' | 'partial' | 'failed';
  counts: { members: number; changed: number; sent: number; failed: number; unchanged: number; skipped: number; duplicates: number; requests: number };
  /** Per-member failures (at most MAX_RUN_ERRORS kept; `counts.failed` has them all). */
  errors: RunError[];
  /** Why a run stopped early (daily limit, HubSpot down, …) or failed. */
  stoppedBecause?: string;
  /** A dry run's first changes: what it would send. */
  preview?: { memberId: string; reason: string; properties: Record<string, string> }[];
};
export const MAX_RUN_ERRORS = 1000;

/** Run ids sort by time, to the millisecond: `2026-12-07T06-00-00-123Z-3f9a`. */
export const newRunId = (now: Date, suffix: string): string => `${now.toISOString().replaceAll(':', '-').replace('.', '-')}-${suffix}`;

export async function recordRun(lake: Lake, run: SyncRun): Promise<void> {
  await lake.putBytes(`${RUNS_PREFIX}${run.runId}.json`, JSON.stringify(run, null, 1), { contentType: 'application/json' });
}

/** The latest runs, newest first. */
export async function latestRuns(lake: Lake, limit = 20): Promise<SyncRun[]> {
  const keys: string[] = [];
  let startAfter: string | undefined;
  do {
    const page = await lake.list(RUNS_PREFIX, { startAfter });
    keys.push(...page.items.map((i) => i.key).filter((k) => k.endsWith('.json')));
    startAfter = page.next;
  } while (startAfter);
  const newest = keys.sort().reverse().slice(0, limit);
  const runs = await Promise.all(newest.map(async (key) => JSON.parse((await lake.getBytes(key))?.toString('utf8') ?? 'null') as SyncRun | null));
  return runs.filter((r): r is SyncRun => r !== null);
}
