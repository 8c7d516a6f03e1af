import { codedError } from '@peak/contracts';

/** Every refusal of the ingest API: its stable code and HTTP status (docs/pipeline.md lists them). */
export const INGEST_ERRORS = {
  UNAUTHENTICATED: 401,
  INVALID_API_KEY: 403,
  WRONG_SOURCE: 403, // a valid key of another source system than the one that owns the dataset
  UNKNOWN_DATASET: 404,
  BATCH_NOT_FOUND: 404,
  UPLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  EMPTY_BODY: 400,
  NOT_GZIP: 400,
  GZIP_CORRUPT: 400,
  BINARY_CONTENT: 415,
  FORMAT_MISMATCH: 415,
  CSV_HEADER_TOO_LONG: 400,
  CSV_TOO_MANY_COLUMNS: 400,
  CSV_DUPLICATE_COLUMNS: 400,
  CSV_WRONG_DELIMITER: 400,
  CSV_MISSING_COLUMNS: 400,
  NDJSON_NOT_ONE_OBJECT_PER_LINE: 400,
  ANNOUNCE_FAILED: 503,
  // POST /v1/events/check-ins
  INVALID_JSON: 400,
  INVALID_CHECKINS: 400,
  TOO_MANY_CHECKINS: 413,
  BODY_TOO_LARGE: 413,
  PUBLISH_FAILED: 503,
  SPOOL_FAILED: 503,
} as const;
export type IngestErrorCode = keyof typeof INGEST_ERRORS;

export class IngestError extends codedError(INGEST_ERRORS) {}
