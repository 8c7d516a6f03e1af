import Type, { type Static, type TSchema } from 'typebox';
import { literalUnion } from '../columns.js';
import { batchIdSchema as batchId, compressionSchema, datasetNameSchema as datasetName, rawFormatSchema, sha256Schema } from '../batch.js';
import { attendance } from '../datasets/index.js';

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

export const EMAIL_TEMPLATES = ['welcome', 'first_visit_nudge', 'at_risk_nudge', 'win_back', 'milestone'] as const;

export const emailRequest = Type.Object(
  {
    ...envelope('email-request'),
    requestId: Type.String({ minLength: 1, maxLength: 128, description: 'Identifier of this request (for tracing)' }),
    dedupeKey: Type.String({ minLength: 1, maxLength: 256, description: 'Same key = same email; it is sent at most once' }),
    template: literalUnion(EMAIL_TEMPLATES, { description: 'SES template to render' }),
    memberId: Type.String({ minLength: 1, maxLength: 64, description: 'Member the email is for' }),
    to: Type.String({ format: 'email', maxLength: 254, description: 'Recipient address' }),
    locationId: Type.String({ minLength: 1, maxLength: 64, description: 'Home location of the member (campaigns are per location)' }),
    variables: Type.Record(Type.String(), Type.Union([Type.String({ maxLength: 1000 }), Type.Number()]), { description: 'Template variables by name' }),
    campaignId: Type.Optional(Type.String({ maxLength: 128, description: 'Campaign that planned the email, if any' })),
    requestedAt: isoTime('When the campaign planner asked for it'),
  },
  { additionalProperties: false, title: 'email-request', description: 'Send one templated email to one member' },
);

/** The subset of an SES event notification (via SNS → SQS) the notifier reads; SES adds more fields. */
export const sesEvent = Type.Object(
  {
    eventType: literalUnion(
      ['Send', 'Delivery', 'Bounce', 'Complaint', 'Reject', 'Open', 'Click', 'DeliveryDelay', 'Subscription', 'RenderingFailure'],
      { description: 'What happened to the message' },
    ),
    mail: Type.Object(
      {
        messageId: Type.String({ description: 'SES message id (returned by SendEmail)' }),
        timestamp: isoTime('When SES accepted the message'),
        destination: Type.Array(Type.String(), { description: 'Recipient addresses' }),
      },
      { description: 'The message the event is about' },
    ),
    bounce: Type.Optional(
      Type.Object(
        {
          bounceType: Type.Union([Type.Literal('Permanent'), Type.Literal('Transient'), Type.Literal('Undetermined')], {
            description: 'Permanent bounces suppress the address',
          }),
          bouncedRecipients: Type.Array(Type.Object({ emailAddress: Type.String({ description: 'Address that bounced' }) }), {
            description: 'Recipients that bounced',
          }),
        },
        { description: 'Present when eventType = Bounce' },
      ),
    ),
    complaint: Type.Optional(
      Type.Object(
        {
          complainedRecipients: Type.Array(Type.Object({ emailAddress: Type.String({ description: 'Address that complained' }) }), {
            description: 'Recipients that marked the email as spam',
          }),
        },
        { description: 'Present when eventType = Complaint' },
      ),
    ),
  },
  { title: 'ses-event', description: 'SES delivery/bounce/complaint notification; bounces and complaints feed the suppression list' },
);

export type RawLanded = Static<typeof rawLanded>;
export type BatchProcessed = Static<typeof batchProcessed>;
export type AttendanceEvent = Static<typeof attendanceEvent>;
export type EmailRequest = Static<typeof emailRequest>;
export type SesEvent = Static<typeof sesEvent>;

export const messages = { rawLanded, batchProcessed, attendanceEvent, emailRequest, sesEvent } as const satisfies Record<string, TSchema>;
