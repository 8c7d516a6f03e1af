import { splitCsvLine, type DatasetContract, type RawFormat } from '@peak/contracts';
import { IngestError } from '../errors.js';
import { CONTENT_TYPE_OF, type Declared } from './declared.js';

/** How much of the (decompressed) start of an upload is checked for binary content. */
export const SNIFF_BYTES = 64 * 1024;
/** The longest first line (CSV header, first NDJSON record) looked for. */
export const FIRST_LINE_MAX = 1024 * 1024;
export const MAX_CSV_COLUMNS = 1000;

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const LF = 0x0a;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const OTHER_DELIMITERS: [string, string][] = [[';', 'semicolon'], ['\t', 'tab'], ['|', 'pipe']];
const DESCRIBED: Record<RawFormat, string> = { csv: 'CSV', json: 'a JSON array', ndjson: 'JSON objects (NDJSON)' };

/**
 * Decides what an upload is from the start of its decompressed content: its format, or a refusal
 * saying what to send instead. Undefined while more bytes are needed (`complete` = there are no more).
 */
export function sniff(head: Buffer, complete: boolean, declared: Declared, contract: DatasetContract): RawFormat | undefined {
  if (!complete && head.length < SNIFF_BYTES) return undefined;
  refuseBinary(head.subarray(0, SNIFF_BYTES));
  const text = head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head;
  const first = text.findIndex((b) => !WHITESPACE.has(b));
  if (first < 0) {
    if (!complete && head.length < FIRST_LINE_MAX) return undefined;
    throw new IngestError('EMPTY_BODY', complete ? 'The upload is empty; send the export file as the request body.' : 'The upload starts with 1 MiB of blank space; send the export file as it was exported.');
  }
  const format: RawFormat = text[first] === 0x5b ? 'json' : text[first] === 0x7b ? 'ndjson' : 'csv';
  refuseMismatch(format, declared, String.fromCharCode(text[first] ?? 0));
  if (format === 'json') return format;
  // A CSV header is the first line as it is (a blank first line is an empty header); NDJSON skips blank lines.
  const lineStart = format === 'csv' ? 0 : text.lastIndexOf(LF, first) + 1;
  const lineEnd = text.indexOf(LF, lineStart);
  if (lineEnd < 0 && !complete && text.length < FIRST_LINE_MAX) return undefined;
  if (lineEnd < 0 && !complete) {
    throw format === 'csv'
      ? new IngestError('CSV_HEADER_TOO_LONG', 'The first line (the CSV header) is longer than 1 MiB; is this a CSV file with line breaks?')
      : ndjsonRefusal('its first line is longer than 1 MiB');
  }
  const line = text.toString('utf8', lineStart, lineEnd < 0 ? text.length : lineEnd).replace(/\r$/, '');
  if (format === 'csv') checkCsvHeader(line, contract);
  else checkNdjsonFirstLine(line, contract);
  return format;
}

function refuseBinary(start: Buffer): void {
  const binary = (why: string) => new IngestError('BINARY_CONTENT', `The upload is not CSV or JSON text: ${why}.`);
  if ((start[0] === 0xff && start[1] === 0xfe) || (start[0] === 0xfe && start[1] === 0xff)) {
    throw binary('it is UTF-16 text; save it as UTF-8 (e.g. "CSV UTF-8" in Excel) and upload again');
  }
  if (start.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) throw binary('it is a ZIP archive (an Excel workbook?); export the sheet as CSV and upload that');
  if (start.includes(0)) throw binary('it contains NUL bytes in its first 64 KB, so it is a binary file');
  let control = 0;
  for (const b of start) if ((b < 0x20 && !WHITESPACE.has(b) && b !== 0x0c) || b === 0x7f) control++;
  if (control > start.length / 100) throw binary('more than 1% of its first 64 KB are control characters, so it is a binary file');
}

function refuseMismatch(format: RawFormat, declared: Declared, firstChar: string): void {
  // JSON objects sent as application/json are read as NDJSON (then checked to be one object per line).
  const fits = declared.format === undefined || declared.format === format || (declared.format === 'json' && format === 'ndjson');
  if (fits) return;
  throw new IngestError(
    'FORMAT_MISMATCH',
    `Content-Type ${declared.contentType} says ${DESCRIBED[declared.format ?? format]}, but the content starts with ${JSON.stringify(firstChar)}, ` +
      `so it looks like ${DESCRIBED[format]}; send it with Content-Type ${CONTENT_TYPE_OF[format]}, or send ${DESCRIBED[declared.format ?? format]}.`,
  );
}

function checkCsvHeader(line: string, contract: DatasetContract): void {
  const names = splitCsvLine(line).map((n) => n.trim());
  if (names.length > MAX_CSV_COLUMNS) {
    throw new IngestError('CSV_TOO_MANY_COLUMNS', `The CSV header has ${names.length} columns; at most ${MAX_CSV_COLUMNS} are accepted (${contract.name} has ${contract.columns.length}).`);
  }
  const positions = new Map<string, number[]>();
  names.forEach((name, i) => positions.set(name, [...(positions.get(name) ?? []), i + 1]));
  const repeated = [...positions].filter(([, at]) => at.length > 1);
  if (repeated.length > 0) {
    const list = repeated.map(([name, at]) => `${name ? JSON.stringify(name) : '(empty name)'} at columns ${at.join(', ')}`).join('; ');
    throw new IngestError('CSV_DUPLICATE_COLUMNS', `The CSV header repeats column names: ${list}. Each column may appear once.`);
  }
  const required = (contract.row as { required?: string[] }).required ?? [];
  const missing = required.filter((c) => !positions.has(c));
  if (missing.length === 0) return;
  const delimiter = OTHER_DELIMITERS.find(([d]) => line.split(d).length > names.length);
  if (delimiter) {
    throw new IngestError(
      'CSV_WRONG_DELIMITER',
      `The CSV header looks ${delimiter[1]}-separated (${JSON.stringify(line.slice(0, 120))}); send comma-separated CSV. Required ${contract.name} columns: ${required.join(', ')}.`,
    );
  }
  throw new IngestError(
    'CSV_MISSING_COLUMNS',
    `The CSV header lacks required ${contract.name} columns: ${missing.join(', ')}. Header found: ${names.join(', ') || '(empty first line)'}. ` +
      `Columns of ${contract.name}: ${contract.columns.join(', ')}.`,
  );
}

const ndjsonRefusal = (why: string) =>
  new IngestError(
    'NDJSON_NOT_ONE_OBJECT_PER_LINE',
    `The upload starts with "{" but ${why}. Send a JSON array of row objects (Content-Type application/json) or one row object per line (application/x-ndjson); pretty-printed or wrapped JSON is not accepted.`,
  );

function checkNdjsonFirstLine(line: string, contract: DatasetContract): void {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw ndjsonRefusal(`its first line is not one complete JSON object (${JSON.stringify(line.slice(0, 60))})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw ndjsonRefusal('its first line is not a JSON object');
  const keys = Object.keys(value);
  if (!keys.some((k) => (contract.columns as readonly string[]).includes(k))) {
    throw ndjsonRefusal(`its first object has none of the ${contract.name} columns (it has: ${keys.join(', ') || 'no keys'}), so it looks like a wrapper around the rows`);
  }
}
