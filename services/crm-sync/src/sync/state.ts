/**
 * What crm-sync keeps durably, in the lake (S3 in AWS, a folder locally) beside the data it reads:
 *
 *   `crm-sync/synced-state.json.gz`        member id → fingerprint of the properties last sent successfully
 *   `crm-sync/acks/<run id>/<batch>.json`   what HubSpot acknowledged, batch by batch, during a run
 *   `crm-sync/runs/<run id>.json`          one record per run: when, the data's day, counts, per-member errors
 *
 * Every acknowledged batch is written at once as a small ack file; the whole state (gzip, an atomic put) only at the
 * end of a run, after which its acks are deleted. Loading folds in any acks left by a run that died, so a re-run never
 * sends again what HubSpot had already acknowledged. Folding twice is harmless: an ack is a plain assignment.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { listAllKeys, type Lake } from '@peak/lake';
import type { SyncedState } from './diff.js';

export const STATE_KEY = 'crm-sync/synced-state.json.gz';
export const RUNS_PREFIX = 'crm-sync/runs/';
export const ACKS_PREFIX = 'crm-sync/acks/';
const STATE_VERSION = 1;

/** The state could not be read: never treated as empty (that would re-send every member). */
export class SyncStateError extends Error {
  override name = 'SyncStateError';
}

async function readStateFile(lake: Lake): Promise<Map<string, string>> {
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

export type Ack = { memberId: string; fingerprint: string };

/** The synced state with the acks of runs that ended without saving it folded in (in run and batch order). */
export async function loadSyncedState(lake: Lake): Promise<Map<string, string>> {
  const state = await readStateFile(lake);
  for (const key of await listAllKeys(lake, ACKS_PREFIX)) {
    const bytes = await lake.getBytes(key);
    const acks = bytes ? (JSON.parse(bytes.toString('utf8')) as Ack[]) : [];
    for (const a of acks) state.set(a.memberId, a.fingerprint);
  }
  return state;
}

/** One acknowledged batch, written before the next is sent. */
export async function recordAcks(lake: Lake, runId: string, batch: number, acks: readonly Ack[]): Promise<void> {
  await lake.putBytes(`${ACKS_PREFIX}${runId}/${String(batch).padStart(6, '0')}.json`, JSON.stringify(acks), { contentType: 'application/json' });
}

/** The whole state, then the acks it now holds are deleted (a crash in between leaves acks that fold in harmlessly). */
export async function saveSyncedState(lake: Lake, state: SyncedState): Promise<void> {
  const body = JSON.stringify({ version: STATE_VERSION, members: Object.fromEntries(state) });
  await lake.putBytes(STATE_KEY, gzipSync(body), { contentType: 'application/gzip' });
  if ((await lake.list(ACKS_PREFIX, { limit: 1 })).items.length) await lake.deletePrefix(ACKS_PREFIX);
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
  counts: { members: number; changed: number; sent: number; created: number; updated: number; failed: number; unchanged: number; skipped: number; duplicates: number; requests: number };
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
  const keys = (await listAllKeys(lake, RUNS_PREFIX)).filter((k) => k.endsWith('.json'));
  const newest = keys.reverse().slice(0, limit);
  const runs = await Promise.all(newest.map(async (key) => JSON.parse((await lake.getBytes(key))?.toString('utf8') ?? 'null') as SyncRun | null));
  return runs.filter((r): r is SyncRun => r !== null);
}
