import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { datasets, type BatchProcessed, type BatchRecord } from '@peak/contracts';
import { BatchTransitionError, type BatchRegistry, type Lake } from '@peak/lake';
import { ConservationError, runBatch, type BatchResult } from '../executors/duckdb.js';
import { InputError } from '../executors/read-input.js';
import { earlierProcessedFiles, knownReferences } from './lake-files.js';
import { buildPlan } from '../plan/build-plan.js';

export type BatchDeps = {
  lake: Lake;
  registry: BatchRegistry;
  /** Announces the outcome (the `batch-processed` queue). */
  announce(message: BatchProcessed): Promise<void>;
  /** Scratch space; each batch gets its own folder, removed afterwards. */
  workDir: string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  now?: () => Date;
};

/** How this delivery of the message stands: the last allowed receive marks the batch failed before the DLQ. */
export type Delivery = { receiveCount: number; maxReceiveCount: number };

export type BatchOutcome =
  | { kind: 'processed'; record: BatchRecord }
  | { kind: 'failed'; record: BatchRecord }
  | { kind: 'skipped'; reason: string };

/** A failure that no retry can fix (the file itself is unusable): the batch is failed at once. */
const isPermanent = (err: unknown) => err instanceof InputError || err instanceof ConservationError || err instanceof RawObjectMissingError;

export class RawObjectMissingError extends Error {
  override name = 'RawObjectMissingError';
}

/**
 * One batch, from raw object to published outputs. Safe to run again at any point: outputs have
 * names fixed by the batch id, the batch record lists them before they are uploaded (the commit
 * manifest), and a later attempt removes whatever an earlier one published and no longer produces.
 * Throws on failures worth retrying (the message is then redelivered, and ends in the DLQ).
 */
export async function processBatch(batchId: string, delivery: Delivery, deps: BatchDeps): Promise<BatchOutcome> {
  const { lake, registry, log } = deps;
  const current = await registry.get(batchId);
  if (!current) throw new Error(`batch ${batchId} has no record in the lake (was it uploaded through ingest?)`);
  if (current.status === 'processed') return { kind: 'skipped', reason: 'already processed (a repeated delivery)' };
  if (current.status === 'failed' && current.error?.startsWith(PERMANENT)) return { kind: 'skipped', reason: 'already failed for good' };

  const record = await registry.update(batchId, { status: 'processing' });
  await mkdir(deps.workDir, { recursive: true });
  const work = await mkdtemp(join(deps.workDir, `${batchId}-`));
  try {
    const result = await runOnce(record, work, deps);
    const outputs = {
      processedKeys: result.processedFiles, // lake-relative already: processed/<dataset>/dt=…/<batch>__N.parquet
      quarantineKey: result.rowsQuarantined > 0 ? result.quarantineFile : undefined,
    };
    // The manifest first: if the upload below is cut short, the next attempt knows what this one published.
    const previous = new Set([...(record.processedKeys ?? []), ...(record.quarantineKey ? [record.quarantineKey] : [])]);
    await registry.update(batchId, {
      rowsIn: result.rowsIn, rowsProcessed: result.rowsProcessed, rowsQuarantined: result.rowsQuarantined,
      reasons: result.reasons, partitions: result.partitions.map((p) => p.slice('dt='.length)),
      // null removes the key an earlier attempt recorded, when this one quarantined nothing.
      processedKeys: outputs.processedKeys, quarantineKey: outputs.quarantineKey ?? null,
    });
    for (const key of outputs.processedKeys) await lake.putFile(key, join(work, 'out', key));
    if (outputs.quarantineKey) await lake.putFile(outputs.quarantineKey, join(work, 'out', outputs.quarantineKey));
    const kept = new Set([...outputs.processedKeys, ...(outputs.quarantineKey ? [outputs.quarantineKey] : [])]);
    for (const key of previous) if (!kept.has(key)) await lake.delete(key);
    if (!outputs.quarantineKey) await lake.delete(result.quarantineFile); // an earlier attempt may have quarantined rows

    // Announce before marking processed: a crash in between repeats the announcement (consumers are
    // idempotent), where the other order could lose it for good.
    const published = await registry.get(batchId) ?? record;
    await deps.announce(batchProcessedMessage({ ...published, status: 'processed' }, deps.now?.() ?? new Date()));
    const done = await registry.update(batchId, { status: 'processed' }).catch(async (err: unknown) => {
      // A second worker holding a repeated delivery of the message finished first, with the same outputs.
      const now = err instanceof BatchTransitionError ? await registry.get(batchId) : undefined;
      if (now?.status === 'processed') return now;
      throw err;
    });
    log.info({ batchId, dataset: done.dataset, rowsIn: done.rowsIn, rowsProcessed: done.rowsProcessed, rowsQuarantined: done.rowsQuarantined, reasons: done.reasons }, 'batch processed');
    return { kind: 'processed', record: done };
  } catch (err) {
    const permanent = isPermanent(err);
    const lastTry = delivery.receiveCount >= delivery.maxReceiveCount;
    if (!permanent && !lastTry) {
      log.warn({ batchId, err, receiveCount: delivery.receiveCount }, 'batch attempt failed; the message will be redelivered');
      throw err;
    }
    const error = `${permanent ? PERMANENT : `gave up after ${delivery.receiveCount} attempts: `}${(err as Error).message}`;
    const failed = await registry.update(batchId, { status: 'failed', error });
    await deps.announce(batchProcessedMessage(failed, deps.now?.() ?? new Date()));
    log.warn({ batchId, error }, 'batch failed');
    if (!permanent) throw err; // the message goes on to the DLQ, where operators look
    return { kind: 'failed', record: failed };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Error prefix of failures that retrying cannot fix (a repeated delivery then skips the batch). */
export const PERMANENT = 'unusable input: ';

async function runOnce(record: BatchRecord, work: string, deps: BatchDeps): Promise<BatchResult> {
  const { lake } = deps;
  const rawFile = join(work, basename(record.objectKey));
  if (!(await lake.getToFile(record.objectKey, rawFile))) throw new RawObjectMissingError(`raw object ${record.objectKey} is missing from the lake`);
  return runBatch({
    plan: buildPlan(datasets[record.dataset]),
    inputFile: rawFile,
    format: record.format,
    compression: record.compression,
    outDir: join(work, 'out'),
    batchId: record.batchId,
    knownRefs: await knownReferences(lake, record.dataset, join(work, 'refs')),
    processedFiles: earlierProcessedFiles(lake, record.dataset, record.batchId, join(work, 'earlier')),
  });
}

export function batchProcessedMessage(record: BatchRecord, at: Date): BatchProcessed {
  return {
    type: 'batch-processed',
    version: 1,
    batchId: record.batchId,
    dataset: record.dataset,
    status: record.status === 'processed' ? 'processed' : 'failed',
    rowsIn: record.rowsIn ?? 0,
    rowsProcessed: record.rowsProcessed ?? 0,
    rowsQuarantined: record.rowsQuarantined ?? 0,
    reasons: record.reasons ?? {},
    partitions: record.partitions ?? [],
    ...(record.error ? { error: record.error } : {}),
    processedAt: at.toISOString(),
  };
}
