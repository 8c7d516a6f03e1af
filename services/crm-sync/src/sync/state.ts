/**
 * What crm-sync keeps durably, in the lake (S3 in AWS, a folder locally) beside the data it reads:
 *
 *   `crm-sync/synced-state.json.gz`        member id → the properties HubSpot accepted from crm-sync; failures and why
 *   `crm-sync/acks/<run id>/<batch>.json`   what HubSpot acknowledged or refused, batch by batch, during a run
 *   `crm-sync/runs/<run id>.json`          one record per run: when, the data's day, counts, per-member errors
 *
 * Every batch's answer is written at once as a small ack file; the whole state (gzip, an atomic put) only at the end
 * of a run, after which its acks are deleted. Loading folds in any acks left by a run that died, so a re-run never
 * sends again what HubSpot had already acknowledged. Folding twice is harmless: an ack is a plain assignment (a
 * failure's attempts may count twice). Only one run at a time writes (the run lock); a run deletes only the acks it
 * folded in and its own, so a run that outlived its lock's lease cannot delete another's.
 */
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { listAllKeys, type Lake } from '@peak/lake';
import type { Failure } from './diff.js';

export const STATE_KEY = 'crm-sync/synced-state.json.gz';
export const RUNS_PREFIX = 'crm-sync/runs/';
export const ACKS_PREFIX = 'crm-sync/acks/';
const STATE_VERSION = 2;
const gzipAsync = promisify(gzip);

/** The state could not be read: never treated as empty (that would re-send every member). */
export class SyncStateError extends Error {
  override name = 'SyncStateError';
}

/** On disk: property names once, each member's values in that order (null = never sent); ~12 MB raw for 100k members. */
type StateFile = { version: number; fields: string[]; members: Record<string, (string | null)[]>; failures: Record<string, Failure>; holdoutRecorded: Record<string, string> };

/** The state as a run holds it: the diff's input, and the day each member was last written to the `marketing_holdout` relation. */
export type StoredState = { members: Map<string, Record<string, string>>; failures: Map<string, Failure>; holdoutRecorded: Map<string, string> };
export const emptyStoredState = (): StoredState => ({ members: new Map(), failures: new Map(), holdoutRecorded: new Map() });

function decode(file: StateFile): StoredState {
  const members = new Map<string, Record<string, string>>();
  for (const [id, values] of Object.entries(file.members)) {
    const properties: Record<string, string> = {};
    file.fields.forEach((name, i) => {
      const v = values[i];
      if (typeof v === 'string') properties[name] = v;
    });
    members.set(id, properties);
  }
  return { members, failures: new Map(Object.entries(file.failures ?? {})), holdoutRecorded: new Map(Object.entries(file.holdoutRecorded ?? {})) };
}

function encode(state: StoredState): StateFile {
  const fields = [...new Set([...state.members.values()].flatMap((p) => Object.keys(p)))].sort();
  const members: StateFile['members'] = {};
  for (const [id, properties] of state.members) members[id] = fields.map((f) => properties[f] ?? null);
  return { version: STATE_VERSION, fields, members, failures: Object.fromEntries(state.failures), holdoutRecorded: Object.fromEntries(state.holdoutRecorded) };
}

async function readStateFile(lake: Lake): Promise<StoredState> {
  const bytes = await lake.getBytes(STATE_KEY);
  if (!bytes) return emptyStoredState(); // the first run
  let parsed: Partial<StateFile>;
  try {
    parsed = JSON.parse(gunzipSync(bytes).toString('utf8')) as Partial<StateFile>;
  } catch (err) {
    throw new SyncStateError(`${STATE_KEY} in ${lake.describe()} is damaged (${(err as Error).message}); restore it from a backup, or delete it to send every member again`);
  }
  if (parsed.version !== STATE_VERSION || !Array.isArray(parsed.fields) || typeof parsed.members !== 'object' || parsed.members === null) {
    throw new SyncStateError(`${STATE_KEY} in ${lake.describe()} is not a version ${STATE_VERSION} state; delete it to send every member again`);
  }
  return decode(parsed as StateFile);
}

/** One batch's answer: the members HubSpot accepted, with what was sent, and those it refused. */
export type BatchAcks = { sent: { memberId: string; properties: Record<string, string> }[]; failed: RunError[]; at: string };

/** Folds one batch's answer into the state: accepted properties merged, failures counted (or cleared). */
export function applyAcks(state: Pick<StoredState, 'members' | 'failures'>, acks: BatchAcks): void {
  for (const s of acks.sent) {
    state.members.set(s.memberId, { ...state.members.get(s.memberId), ...s.properties });
    state.failures.delete(s.memberId);
  }
  for (const f of acks.failed) {
    const before = state.failures.get(f.memberId);
    state.failures.set(f.memberId, { category: f.category, message: f.message, firstFailedAt: before?.firstFailedAt ?? acks.at, lastFailedAt: acks.at, attempts: (before?.attempts ?? 0) + 1 });
  }
}

/** The synced state with the acks of runs that ended without saving it folded in (in run and batch order), and their keys. */
export async function loadSyncedState(lake: Lake): Promise<StoredState & { ackKeys: string[] }> {
  const state = await readStateFile(lake);
  const ackKeys = await listAllKeys(lake, ACKS_PREFIX);
  for (const key of ackKeys) {
    const bytes = await lake.getBytes(key);
    if (bytes) applyAcks(state, JSON.parse(bytes.toString('utf8')) as BatchAcks);
  }
  return { ...state, ackKeys };
}

/** One batch's answer, written before the next batch is sent. */
export async function recordAcks(lake: Lake, runId: string, batch: number, acks: BatchAcks): Promise<void> {
  await lake.putBytes(`${ACKS_PREFIX}${runId}/${String(batch).padStart(6, '0')}.json`, JSON.stringify(acks), { contentType: 'application/json' });
}

/**
 * The whole state, then the acks it now holds are deleted: those it folded in at load and the run's own — never another
 * run's (a crash in between leaves acks that fold in again: assignments, harmless but for a failure's attempt count).
 */
export async function saveSyncedState(lake: Lake, state: StoredState, acks: { runId?: string; folded?: readonly string[] } = {}): Promise<void> {
  // zlib's thread pool, not the event loop: the changelog's Parquet is written meanwhile.
  await lake.putBytes(STATE_KEY, await gzipAsync(JSON.stringify(encode(state))), { contentType: 'application/gzip' });
  for (const ackKey of acks.folded ?? []) if (ackKey.startsWith(ACKS_PREFIX)) await lake.delete(ackKey); // keys listed under ACKS_PREFIX
  if (acks.runId && (await lake.list(`${ACKS_PREFIX}${acks.runId}/`, { limit: 1 })).items.length) await lake.deletePrefix(`${ACKS_PREFIX}${acks.runId}/`);
}

export type RunError = { memberId: string; category: string; message: string };
export type SyncRun = {
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  /** The data's last day (the lake's), which the attributes are as of. */
  asOf: string | null;
  dryRun: boolean;
  /** Every member was sent, changed or not. */
  fullResync: boolean;
  outcome: 'running' | 'succeeded' | 'partial' | 'failed';
  counts: { members: number; changed: number; sent: number; created: number; updated: number; failed: number; retried: number; unchanged: number; skipped: number; duplicates: number; requests: number };
  /** Set when the run needs a person's attention (alerts.ts): the reasons, in words. */
  alert?: { reasons: string[] };
  /** Per-member failures (at most MAX_RUN_ERRORS kept; `counts.failed` has them all). */
  errors: RunError[];
  /** Why a run stopped early (daily limit, HubSpot down, …) or failed. */
  stoppedBecause?: string;
  /** A dry run's first changes: what it would send. */
  preview?: { memberId: string; action: 'create' | 'update'; reason: string; changed: string[]; properties: Record<string, string> }[];
  /** A dry run's totals: contacts it would create (never synced by crm-sync) and update, and the member ids twice in the data. */
  wouldSend?: { create: number; update: number; duplicateIds: string[] };
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
