import Type, { type Static } from 'typebox';
import { literalUnion } from './columns.js';
import { DATASET_NAMES } from './dataset.js';

/** Pieces shared by the batch record and the messages about a batch. */
export const batchIdSchema = Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$', description: 'Ingest batch identifier' });
export const datasetNameSchema = literalUnion(DATASET_NAMES, { description: 'Source dataset' });
export const RAW_FORMATS = ['csv', 'json', 'ndjson'] as const;
export type RawFormat = (typeof RAW_FORMATS)[number];
export const rawFormatSchema = literalUnion(RAW_FORMATS, { description: 'File format of the raw object' });
export const COMPRESSIONS = ['none', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];
export const compressionSchema = literalUnion(COMPRESSIONS, { description: 'Compression of the raw object' });
export const sha256Schema = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the bytes as uploaded' });

/**
 * Where a batch is in the pipeline. received → processing → processed | failed; processing again
 * on a redelivery, and failed → processing on a retry or replay.
 */
export const BATCH_STATUSES = ['received', 'processing', 'processed', 'failed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

const isoTime = (description: string) => Type.String({ format: 'date-time', description });
const count = (description: string) => Type.Integer({ minimum: 0, description });

export const batchRecord = Type.Object(
  {
    batchId: batchIdSchema,
    dataset: datasetNameSchema,
    source: Type.String({ minLength: 1, description: 'Source system that uploaded it (from its API key)' }),
    format: rawFormatSchema,
    compression: compressionSchema,
    objectKey: Type.String({ minLength: 1, description: 'Raw object in the lake: raw/<dataset>/dt=<ingest date>/<batch id>.<ext>' }),
    contentSha256: sha256Schema,
    bytes: count('Size of the raw object as uploaded'),
    receivedAt: isoTime('When ingest accepted the upload'),
    status: literalUnion(BATCH_STATUSES, { description: 'received → processing → processed | failed' }),
    updatedAt: isoTime('Last change of this record'),
    attempts: count('How many times the ETL started processing the batch'),
    rowsIn: Type.Optional(count('Rows read from the raw object')),
    rowsProcessed: Type.Optional(count('Rows written to the processed zone')),
    rowsQuarantined: Type.Optional(count('Rows written to the quarantine zone (rowsIn = rowsProcessed + rowsQuarantined)')),
    reasons: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'Quarantined rows per reason code' })),
    partitions: Type.Optional(Type.Array(Type.String({ format: 'date' }), { description: 'dt partitions the batch wrote' })),
    quarantineKey: Type.Optional(Type.String({ minLength: 1, description: 'Lake key of the quarantined rows, when there are any' })),
    processedKeys: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Lake keys of the Parquet files the batch wrote' })),
    error: Type.Optional(Type.String({ description: 'Why the last attempt failed as a whole (status = failed)' })),
    replays: Type.Optional(
      Type.Array(
        Type.Object(
          {
            at: isoTime('When the quarantine was replayed'),
            rowsTried: count('Quarantined rows run through the checks again (malformed records cannot be)'),
            rowsMoved: count('Rows that passed and moved to the processed zone'),
            rowsQuarantined: count('Rows still quarantined afterwards'),
          },
          { additionalProperties: false },
        ),
        { description: 'Quarantine replays, oldest first' },
      ),
    ),
  },
  { additionalProperties: false, title: 'batch-record', description: 'One uploaded export and what became of it; stored at batches/<batch id>.json' },
);

export type BatchRecord = Static<typeof batchRecord>;
