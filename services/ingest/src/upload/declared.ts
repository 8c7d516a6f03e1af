import type { IncomingHttpHeaders } from 'node:http';
import type { RawFormat } from '@peak/contracts';
import { IngestError } from '../errors.js';

/** Content types an export may be sent as, and the format each one declares (none: sniffed). */
const FORMAT_OF_TYPE: Record<string, RawFormat | undefined> = {
  'text/csv': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/gzip': undefined,
  'application/octet-stream': undefined,
};
export const UPLOAD_CONTENT_TYPES = Object.keys(FORMAT_OF_TYPE);

/** The content type to send each format as (in messages telling a client what to do). */
export const CONTENT_TYPE_OF: Record<RawFormat, string> = { csv: 'text/csv', json: 'application/json', ndjson: 'application/x-ndjson' };

/** What the client says it sends. */
export type Declared = { contentType: string; format?: RawFormat; gzip: boolean };

export function declaredUpload(headers: IncomingHttpHeaders): Declared {
  const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!(contentType in FORMAT_OF_TYPE)) {
    throw new IngestError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${contentType || '(none)'} is not accepted; send the export as one of ${UPLOAD_CONTENT_TYPES.join(', ')}.`,
    );
  }
  const encoding = (headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!['identity', 'gzip', 'x-gzip'].includes(encoding)) {
    throw new IngestError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not accepted; send the file as it is, or gzip-compressed with Content-Encoding: gzip.`);
  }
  return { contentType, format: FORMAT_OF_TYPE[contentType], gzip: encoding !== 'identity' || contentType === 'application/gzip' };
}
