import Type from 'typebox';
import { batchRecord, datasets, DATASET_NAMES } from '@peak/contracts';
import { MAX_CHECKINS_PER_REQUEST } from '../checkins/validate.js';

export const errorBody = Type.Object(
  {
    code: Type.String({ description: 'Stable error code (see docs/pipeline.md)' }),
    message: Type.String({ description: 'What went wrong and what to do about it' }),
  },
  { description: 'A refusal' },
);

const lakeLink = Type.Object(
  {
    key: Type.String({ description: 'Key in the lake' }),
    path: Type.Optional(Type.String({ description: 'Local file holding it (folder lake only)' })),
  },
  { description: 'An object in the lake' },
);

export const batchView = Type.Object(
  {
    ...batchRecord.properties,
    links: Type.Object(
      {
        self: Type.String({ description: 'This batch in the API' }),
        raw: lakeLink,
        quarantine: Type.Optional(lakeLink),
      },
      { description: 'The raw object, and the quarantined rows when there are any' },
    ),
  },
  { description: 'A batch record with links' },
);

export const uploadAnswer = Type.Object(
  {
    ...batchView.properties,
    duplicate: Type.Boolean({ description: 'True when the same bytes were uploaded before: this is that batch, nothing new was stored' }),
  },
  { description: 'The batch of the upload' },
);

export const batchPage = Type.Object(
  {
    date: Type.String({ format: 'date', description: 'Ingest date (UTC) listed' }),
    items: Type.Array(batchView, { description: 'Batches in the order received' }),
    next: Type.Optional(Type.String({ description: 'Pass as `after` for the next page; absent on the last page' })),
  },
  { description: 'One page of batches' },
);

export const datasetParam = Type.Object({
  dataset: Type.String({ maxLength: 100, description: `Dataset the export belongs to: ${DATASET_NAMES.join(', ')}` }),
});

export const batchIdParam = Type.Object({
  id: Type.String({ maxLength: 100, description: 'Batch id, e.g. 20261125T090102123Z-attendance-1a2b3c4d' }),
});

export const uploadBody = Type.Unknown({
  description: 'The export file exactly as exported: CSV with a header line, a JSON array of row objects, or one row object per line (NDJSON); optionally gzip-compressed',
});

const refusals = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, errorBody]));
export const authRefusals = refusals(401, 403);
export const uploadRefusals = refusals(400, 401, 403, 404, 413, 415, 503);

export const checkinsBody = Type.Union(
  [datasets.attendance.row, Type.Array(datasets.attendance.row, { minItems: 1, maxItems: MAX_CHECKINS_PER_REQUEST, description: `At most ${MAX_CHECKINS_PER_REQUEST} check-ins, each checkin_id once` })],
  {
    description:
      `One check-in (a row of the attendance contract) or a JSON array of up to ${MAX_CHECKINS_PER_REQUEST}. Every item is checked; if any is invalid nothing is accepted and the 400 answer lists each problem.`,
  },
);

export const checkinsAccepted = Type.Object(
  {
    accepted: Type.Integer({ minimum: 1, description: 'Check-ins accepted and kept on disk until written to the raw zone' }),
    queued: Type.Integer({ minimum: 1, description: 'attendance-event messages SQS took for the live leaderboard (one per check-in)' }),
  },
  { description: 'Every check-in of the request was accepted' },
);

export const checkinsRefusal = Type.Object(
  {
    ...errorBody.properties,
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          index: Type.Integer({ minimum: 0, description: 'Position of the item in the array (0 for a single object)' }),
          field: Type.String({ description: "The field at fault; '' when the item as a whole is wrong" }),
          message: Type.String({ description: 'What is wrong with it' }),
        }),
        { description: 'With INVALID_CHECKINS: every problem, at most 5 per item' },
      ),
    ),
  },
  { description: 'A refusal; nothing of the request was accepted' },
);

export const checkinsRefusals = { ...refusals(401, 403, 413, 415, 503), 400: checkinsRefusal };
