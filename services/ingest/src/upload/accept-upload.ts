import { finished, type Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { queues, rawObjectKey, type BatchRecord, type DatasetContract, type RawLanded } from '@peak/contracts';
import { ingestDate, newBatchId, parseBatchId, type BatchRegistry, type Lake } from '@peak/lake';
import type { Queues } from '@peak/service-kit';
import { IngestError } from '../errors.js';
import { CONTENT_TYPE_OF, type Declared } from './declared.js';
import { UploadInspector, type Inspection } from './inspector.js';

export type UploadDeps = { lake: Lake; batches: BatchRegistry; queues: Queues; log: FastifyBaseLogger };
export type Upload = { contract: DatasetContract; source: string; body: Readable; declared: Declared; maxBytes: number };
export type Accepted = { record: BatchRecord; duplicate: boolean };

type Landed = Inspection & { objectKey: string; contentSha256: string; bytes: number };

const extension = ({ format, compression }: Inspection) => (compression === 'gzip' ? `${format}.gz` : format);

/**
 * One upload, start to end: stream it into the raw zone (checked on the way), claim its content
 * hash, then either record and announce a new batch or answer with the batch that already has
 * these bytes. A refused upload leaves nothing in the lake and creates no batch.
 */
export async function acceptUpload(deps: UploadDeps, upload: Upload): Promise<Accepted> {
  const receivedAt = new Date();
  const batchId = newBatchId(upload.contract.name, receivedAt);
  const landed = await landRaw(deps.lake, upload, batchId, receivedAt);
  let existing: string | undefined;
  let record: BatchRecord;
  try {
    existing = await deps.batches.claimHash(upload.contract.name, landed.contentSha256, batchId);
    if (existing !== undefined) return await duplicateOf(deps, existing, upload, landed);
    record = newRecord(batchId, upload, landed, receivedAt);
    // false: a duplicate upload racing this one adopted the batch first, and announced it.
    if (!(await deps.batches.create(record))) return { record: (await deps.batches.get(batchId)) ?? record, duplicate: false };
  } catch (err) {
    // Until a record points at it, the raw object is nobody's: a retry uploads it again.
    if (existing === undefined) await deps.lake.delete(landed.objectKey).catch((e: unknown) => deps.log.warn({ err: e }, 'could not delete an unrecorded raw object'));
    throw err;
  }
  await announce(deps.queues, record);
  return { record, duplicate: false };
}

async function landRaw(lake: Lake, upload: Upload, batchId: string, receivedAt: Date): Promise<Landed> {
  const inspector = new UploadInspector({ declared: upload.declared, contract: upload.contract, maxBytes: upload.maxBytes });
  inspector.on('error', () => undefined); // reported by the lake write and by `refusal`
  // Not pipeline(): on a refusal the request must stay open for the answer; Node discards the rest of it.
  upload.body.pipe(inspector);
  finished(upload.body, (err) => {
    if (err) inspector.destroy(err);
  });
  let inspection: Inspection;
  try {
    inspection = await inspector.inspection;
  } catch (err) {
    upload.body.unpipe(inspector);
    throw err;
  }
  const objectKey = rawObjectKey(upload.contract.name, ingestDate(receivedAt), batchId, extension(inspection));
  try {
    const { bytes } = await lake.putStream(objectKey, inspector, { contentType: inspection.compression === 'gzip' ? 'application/gzip' : CONTENT_TYPE_OF[inspection.format] });
    return { ...inspection, objectKey, bytes, contentSha256: inspector.contentSha256 ?? '' };
  } catch (err) {
    upload.body.unpipe(inspector);
    await lake.delete(objectKey);
    throw inspector.refusal ?? err;
  }
}

/** The batch that already holds these bytes; a new upload repairs what a crash of the first one left undone. */
async function duplicateOf(deps: UploadDeps, batchId: string, upload: Upload, landed: Landed): Promise<Accepted> {
  try {
    const record = await deps.batches.get(batchId);
    if (record?.status === 'received') await announce(deps.queues, record); // the first upload may have stopped before announcing
    return { record: record ?? (await adopt(deps, batchId, upload, landed)), duplicate: true };
  } finally {
    await deps.lake.delete(landed.objectKey);
  }
}

/**
 * The hash is claimed but the batch has no record: its upload is between the claim and the record,
 * or died there. Either way the bytes are the same, so this upload records the batch under the
 * claimed id; the record's conditional create lets only one of the two do it.
 */
async function adopt(deps: UploadDeps, batchId: string, upload: Upload, landed: Landed): Promise<BatchRecord> {
  const parsed = parseBatchId(batchId);
  if (!parsed) throw new Error(`the content-hash index names ${JSON.stringify(batchId)}, which is not a batch id`);
  const objectKey = rawObjectKey(upload.contract.name, parsed.ingestDate, batchId, extension(landed));
  await deps.lake.copy(landed.objectKey, objectKey);
  const record = newRecord(batchId, upload, { ...landed, objectKey }, parsed.receivedAt);
  if (!(await deps.batches.create(record))) return (await deps.batches.get(batchId)) ?? record;
  await announce(deps.queues, record);
  return record;
}

function newRecord(batchId: string, upload: Upload, landed: Landed, receivedAt: Date): BatchRecord {
  const at = receivedAt.toISOString();
  return {
    batchId,
    dataset: upload.contract.name,
    source: upload.source,
    format: landed.format,
    compression: landed.compression,
    objectKey: landed.objectKey,
    contentSha256: landed.contentSha256,
    bytes: landed.bytes,
    receivedAt: at,
    status: 'received',
    updatedAt: at,
    attempts: 0,
  };
}

async function announce(sqs: Queues, record: BatchRecord): Promise<void> {
  const message: RawLanded = {
    type: 'raw-landed',
    version: 1,
    batchId: record.batchId,
    dataset: record.dataset,
    objectKey: record.objectKey,
    format: record.format,
    compression: record.compression,
    contentSha256: record.contentSha256,
    bytes: record.bytes,
    source: record.source,
    receivedAt: record.receivedAt,
  };
  try {
    await sqs.send(queues.rawLanded, message);
  } catch (err) {
    throw new IngestError('ANNOUNCE_FAILED', `batch ${record.batchId} is stored but could not be announced (${(err as Error).message}); upload the same file again to retry`);
  }
}
