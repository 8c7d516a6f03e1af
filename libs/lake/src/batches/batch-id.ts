import { randomBytes } from 'node:crypto';
import { DATASET_NAMES, type DatasetName } from '@peak/contracts';

/**
 * Batch ids sort by the time ingest received the upload and name the dataset:
 * `20261125T090102123Z-attendance-1a2b3c4d` (UTC time to the millisecond, dataset, 32 random bits).
 * They never contain `__`, which the ETL uses to separate a batch id from a file number.
 */
const ID = new RegExp(`^(\\d{4})(\\d{2})(\\d{2})T(\\d{2})(\\d{2})(\\d{2})(\\d{3})Z-(${DATASET_NAMES.join('|')})-[0-9a-f]{8}$`);

export type ParsedBatchId = { batchId: string; dataset: DatasetName; receivedAt: Date; ingestDate: string };

export function newBatchId(dataset: DatasetName, receivedAt: Date = new Date()): string {
  return `${compactDate(receivedAt)}-${dataset}-${randomBytes(4).toString('hex')}`;
}

/** The parts of one of our batch ids, or undefined for anything else (including impossible times). */
export function parseBatchId(batchId: string): ParsedBatchId | undefined {
  const m = ID.exec(batchId);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms, dataset] = m;
  const receivedAt = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
  if (Number.isNaN(receivedAt.getTime()) || compactDate(receivedAt) !== batchId.slice(0, 19)) return undefined;
  return { batchId, dataset: dataset as DatasetName, receivedAt, ingestDate: ingestDate(receivedAt) };
}

/** UTC calendar date, `YYYY-MM-DD`: the `dt` of the raw zone. */
export const ingestDate = (at: Date): string => at.toISOString().slice(0, 10);

/** `2026-11-25` → `20261125`: the id prefix of a day's batches. */
export const batchIdDay = (date: string): string => date.replaceAll('-', '');

const compactDate = (at: Date): string => at.toISOString().replace(/[-:.]/g, '');
