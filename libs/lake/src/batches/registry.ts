import {
  assertValid,
  batchHashIndexPrefix,
  batchHashKey,
  batchRecord,
  batchRecordKey,
  DATASET_NAMES,
  lakeZones,
  type BatchRecord,
  type BatchStatus,
  type DatasetName,
} from '@peak/contracts';
import { BatchNotFoundError, BatchTransitionError } from '../errors.js';
import type { Lake } from '../lake.js';
import { batchIdDay, parseBatchId } from './batch-id.js';

/** What may change after a batch is received; the rest of a record is fixed at upload. */
export type BatchPatch = Partial<
  Pick<
    BatchRecord,
    'status' | 'rowsIn' | 'rowsProcessed' | 'rowsQuarantined' | 'reasons' | 'partitions' | 'processedKeys' | 'error' | 'replays'
  >
> & {
  /** `null` removes it (a replay moved every quarantined row). */
  quarantineKey?: string | null;
};

export type BatchListOptions = {
  /** Ingest date `YYYY-MM-DD` (UTC); all dates when absent. */
  date?: string;
  dataset?: DatasetName;
  /** Batch id to continue after (the `next` of the previous page). */
  after?: string;
  limit: number;
};

export type BatchPage = { items: BatchRecord[]; next?: string };

/** Allowed status changes: processing → processing is a redelivery, failed → processing a retry or replay. */
export const BATCH_TRANSITIONS: Readonly<Record<BatchStatus, readonly BatchStatus[]>> = {
  received: ['processing'],
  processing: ['processing', 'processed', 'failed'],
  processed: [],
  failed: ['processing'],
};

const RECORD_READS_AT_ONCE = 16;

/**
 * Batch records as JSON objects in the lake's `batches/` zone, one per batch, plus a content-hash
 * index created with a conditional write, so the same bytes uploaded twice (even at the same moment)
 * make one batch. Updates are read-modify-write: one writer per batch at a time (the ETL worker that
 * holds its message) is assumed.
 */
export class BatchRegistry {
  constructor(
    private readonly lake: Lake,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Stores a new record; false when a record with this id already exists (nothing is written). */
  async create(record: BatchRecord): Promise<boolean> {
    assertValid(batchRecord, record, 'batch record');
    if (parseBatchId(record.batchId)?.dataset !== record.dataset) {
      throw new TypeError(`batch id ${record.batchId} is not an id of a ${record.dataset} batch (see newBatchId)`);
    }
    return this.lake.putBytes(batchRecordKey(record.batchId), serialise(record), { ifAbsent: true, contentType: 'application/json' });
  }

  /** The record, or undefined for an unknown id or anything that is not a batch id. */
  async get(batchId: string): Promise<BatchRecord | undefined> {
    if (!parseBatchId(batchId)) return undefined;
    const bytes = await this.lake.getBytes(batchRecordKey(batchId));
    return bytes ? assertValid(batchRecord, JSON.parse(bytes.toString('utf8')), `batch record ${batchId}`) : undefined;
  }

  /** Applies a patch (and a status change, if allowed) and returns the new record. */
  async update(batchId: string, patch: BatchPatch): Promise<BatchRecord> {
    const current = await this.get(batchId);
    if (!current) throw new BatchNotFoundError(batchId);
    if (patch.status !== undefined && !BATCH_TRANSITIONS[current.status].includes(patch.status)) {
      throw new BatchTransitionError(batchId, current.status, patch.status);
    }
    const next: BatchRecord = { ...current, updatedAt: this.now().toISOString() };
    for (const [field, value] of Object.entries(patch)) {
      if (value === null) delete (next as Record<string, unknown>)[field];
      else if (value !== undefined) Object.assign(next, { [field]: value });
    }
    if (patch.status === 'processing') {
      next.attempts = current.attempts + 1;
      // A new attempt starts clean: the previous attempt's error no longer describes the batch.
      if (patch.error === undefined) delete next.error;
    }
    assertValid(batchRecord, next, `batch record ${batchId}`);
    await this.lake.putBytes(batchRecordKey(batchId), serialise(next), { contentType: 'application/json' });
    return next;
  }

  /** Records by ascending id (= time received), of one ingest date when `date` is given. */
  async list(opts: BatchListOptions): Promise<BatchPage> {
    const prefix = `${lakeZones.batches.prefix}${opts.date ? batchIdDay(opts.date) : ''}`;
    const ids: string[] = [];
    let startAfter = opts.after === undefined ? undefined : batchRecordKey(opts.after);
    let more = true;
    // One id more than asked for says whether there is a next page.
    while (more && ids.length <= opts.limit) {
      const page = await this.lake.list(prefix, { startAfter, limit: opts.dataset ? 1000 : opts.limit + 1 - ids.length });
      for (const { key } of page.items) {
        // The hash index sorts after every record: the records are all read.
        if (key.startsWith(batchHashIndexPrefix)) {
          more = false;
          break;
        }
        const parsed = key.endsWith('.json') ? parseBatchId(key.slice(lakeZones.batches.prefix.length, -'.json'.length)) : undefined;
        if (parsed && (opts.dataset === undefined || parsed.dataset === opts.dataset)) ids.push(parsed.batchId);
      }
      startAfter = page.next;
      more &&= page.next !== undefined;
    }
    const page = ids.slice(0, opts.limit);
    const items = await readAll(page, (id) => this.get(id));
    return ids.length > opts.limit ? { items, next: page[page.length - 1] } : { items };
  }

  /**
   * Claims `sha256` (of a dataset's upload) for `batchId`. Returns undefined when the claim is new, or
   * the id of the batch that claimed the same bytes first.
   */
  async claimHash(dataset: DatasetName, sha256: string, batchId: string): Promise<string | undefined> {
    if (!DATASET_NAMES.includes(dataset) || !/^[0-9a-f]{64}$/.test(sha256)) throw new TypeError(`not a dataset and SHA-256: ${dataset} ${sha256}`);
    const key = batchHashKey(dataset, sha256);
    for (;;) {
      if (await this.lake.putBytes(key, batchId, { ifAbsent: true, contentType: 'text/plain' })) return undefined;
      const holder = (await this.lake.getBytes(key))?.toString('utf8').trim();
      // Gone between the two calls (expired or removed): claim again.
      if (holder) return holder;
    }
  }
}

const serialise = (record: BatchRecord): string => `${JSON.stringify(record, null, 2)}\n`;

/** Reads every id's record, a few at a time, in order; records gone meanwhile are left out. */
async function readAll(ids: string[], read: (id: string) => Promise<BatchRecord | undefined>): Promise<BatchRecord[]> {
  const out: (BatchRecord | undefined)[] = [];
  for (let i = 0; i < ids.length; i += RECORD_READS_AT_ONCE) out.push(...(await Promise.all(ids.slice(i, i + RECORD_READS_AT_ONCE).map(read))));
  return out.filter((r): r is BatchRecord => r !== undefined);
}
