import Type, { type Static, type TSchema } from 'typebox';
import { batchIdSchema as batchId, compressionSchema, datasetNameSchema as datasetName, rawFormatSchema, sha256Schema } from '../batch.js';
import { attendance } from '../datasets/index.js';
import { emailRequest, sesEvent } from './email.js';

export * from './email.js';

/**
 * SQS message bodies. Every body carries `type` and `version` so a consumer can refuse what it
 * does not understand before touching it (and the DLQ shows what a message was meant to be).
 */
const envelope = <T extends string>(type: T) => ({
  type: Type.Literal(type, { description: 'Message type; a consumer refuses any other' }),
  version: Type.Literal(1, { description: 'Contract version of the body' }),
});

const isoTime = (description: string) => Type.String({ format: 'date-time', description });
const count = (description: string) => Type.Integer({ minimum: 0, description });

export const rawLanded = Type.Object(
  {
    ...envelope('raw-landed'),
    batchId,
    dataset: datasetName,
    objectKey: Type.String({ minLength: 1, description: 'Key in the lake: raw/<dataset>/dt=<ingest date>/<batch id>.<ext>' }),
    format: rawFormatSchema,
    compression: compressionSchema,
    contentSha256: sha256Schema,
    bytes: count('Size of the raw object'),
    source: Type.String({ minLength: 1, description: 'Source system that uploaded it (from its API key)' }),
    receivedAt: isoTime('When ingest accepted the upload'),
  },
  { additionalProperties: false, title: 'raw-landed', description: 'A raw export is in the lake and waits for the ETL' },
);

export const batchProcessed = Type.Object(
  {
    ...envelope('batch-processed'),
    batchId,
    dataset: datasetName,
    status: Type.Union([Type.Literal('processed'), Type.Literal('failed')], { description: 'Whether the batch completed (rows may still be quarantined)' }),
    rowsIn: count('Rows read from the raw object'),
    rowsProcessed: count('Rows written to the processed zone'),
    rowsQuarantined: count('Rows written to the quarantine zone (rowsIn = rowsProcessed + rowsQuarantined)'),
    reasons: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'Quarantined rows per reason code' }),
    partitions: Type.Array(Type.String({ format: 'date' }), { description: 'dt partitions the batch wrote' }),
    error: Type.Optional(Type.String({ description: 'Why the batch failed as a whole (status = failed)' })),
    processedAt: isoTime('When the ETL finished'),
  },
  { additionalProperties: false, title: 'batch-processed', description: 'The ETL finished a batch; analytics caches refresh' },
);

export const attendanceEvent = Type.Object(
  {
    ...envelope('attendance-event'),
    checkin: attendance.row,
    receivedAt: isoTime('When ingest accepted the event'),
  },
  { additionalProperties: false, title: 'attendance-event', description: 'A real-time check-in for the live leaderboard' },
);

export type RawLanded = Static<typeof rawLanded>;
export type BatchProcessed = Static<typeof batchProcessed>;
export type AttendanceEvent = Static<typeof attendanceEvent>;

export const messages = { rawLanded, batchProcessed, attendanceEvent, emailRequest, sesEvent } as const satisfies Record<string, TSchema>;
