import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';

/**
 * DuckDB's CSV reader is fast and parallel but does not say where the rows it kept came from, and it
 * numbers rejected records by "logical line" (unquoted newlines, blank lines included). This scanner
 * walks the raw bytes once, with the same record boundaries, to find the physical line and the exact
 * text of the records the quarantine needs. It runs only when something was quarantined.
 */
export type WantedRecords = {
  /** Whether the first record is a header (CSV) that DuckDB did not count as a row. */
  header: boolean;
  /** CSV quoting (a quote at the start of a field may span newlines); false for NDJSON. */
  quoting: boolean;
  /** Ordinals (0-based, ascending) of the rows DuckDB kept that were rejected by the checks. */
  keptOrdinals: readonly number[];
  /** DuckDB's logical line numbers (ascending, distinct) of the records its reader rejected. */
  rejectedLines: readonly number[];
  /** Longest raw text kept per record; longer records are cut (the line number still says where it is). */
  maxRawBytes: number;
};

/** `recordNumber`: the kept row's ordinal, or minus the logical line for a reader reject (as in the input relation). */
export type LocatedRecord = { recordNumber: number; line: number; raw: string };

export type LocateResult = { located: LocatedRecord[]; keptRows: number; rejectedRows: number };

const LF = 0x0a, CR = 0x0d, QUOTE = 0x22, COMMA = 0x2c;

export async function locateRecords(input: Readable, wanted: WantedRecords): Promise<LocateResult> {
  const located: LocatedRecord[] = [];
  let physicalLine = 1; // line the scanner is on
  let logicalLine = 0; // DuckDB's count: records and blank lines, not newlines inside quotes
  let kept = 0, rejected = 0;
  let nextKept = 0, nextRejected = 0; // cursors into the sorted wanted lists

  // State of the record being read (it may span chunks).
  let inRecord = false, inQuotes = false, quoteInQuotes = false, fieldStart = true;
  let startLine = 0, recordBytes = 0, onlyCr = true, capture = false, isRejected = false, isHeader = false;
  let parts: Buffer[] = [], captured = 0;

  const begin = () => {
    inRecord = true; inQuotes = false; quoteInQuotes = false; fieldStart = true;
    logicalLine++;
    startLine = physicalLine; recordBytes = 0; onlyCr = true; parts = []; captured = 0;
    isHeader = wanted.header && logicalLine === 1;
    isRejected = !isHeader && wanted.rejectedLines[nextRejected] === logicalLine;
    capture = isRejected || (!isHeader && wanted.keptOrdinals[nextKept] === kept);
  };
  const take = (bytes: Buffer) => {
    recordBytes += bytes.length;
    if (onlyCr && !(bytes.length === 0 || (bytes.length === 1 && bytes[0] === CR))) onlyCr = false;
    if (!capture || captured >= wanted.maxRawBytes) return;
    const room = wanted.maxRawBytes - captured;
    const piece = bytes.length > room ? bytes.subarray(0, room) : bytes;
    parts.push(Buffer.from(piece)); // copy: the chunk is reused by the stream
    captured += piece.length;
  };
  const end = () => {
    inRecord = false;
    if (isHeader) return;
    const blank = recordBytes === 0 || onlyCr;
    if (blank && !isRejected) return; // DuckDB skips empty lines without making a row
    if (isRejected) {
      nextRejected++;
      rejected++;
    } else {
      if (capture) nextKept++;
      kept++;
    }
    if (capture) located.push({ recordNumber: isRejected ? -logicalLine : kept - 1, line: startLine, raw: decode(parts, captured, wanted.maxRawBytes, startLine === 1) });
  };

  for await (const chunk of input as AsyncIterable<Buffer>) {
    let i = 0;
    let nextQuote = wanted.quoting ? chunk.indexOf(QUOTE) : -1;
    while (i < chunk.length) {
      if (!inRecord) begin();
      if (!inQuotes && !quoteInQuotes) {
        // Fast path: no quote before the next newline, so the record (or its rest) is plain bytes.
        if (nextQuote !== -1 && nextQuote < i) nextQuote = chunk.indexOf(QUOTE, i);
        const nl = chunk.indexOf(LF, i);
        const stop = nl === -1 ? chunk.length : nl;
        if (nextQuote === -1 || nextQuote >= stop) {
          const body = chunk.subarray(i, stop);
          take(body.length > 0 && nl !== -1 && body[body.length - 1] === CR ? body.subarray(0, body.length - 1) : body);
          if (body.length > 0) fieldStart = body[body.length - 1] === COMMA;
          if (nl === -1) break;
          physicalLine++;
          end();
          i = nl + 1;
          continue;
        }
      }
      // Slow path: byte by byte through quoted fields until the record ends.
      const from = i;
      let ended = false;
      for (; i < chunk.length; i++) {
        const b = chunk[i];
        if (quoteInQuotes) {
          quoteInQuotes = false;
          if (b === QUOTE) continue; // "" inside quotes: an escaped quote
          inQuotes = false; // the quote closed the field; this byte is outside quotes
        }
        if (inQuotes) {
          if (b === QUOTE) quoteInQuotes = true;
          else if (b === LF) physicalLine++;
          continue;
        }
        if (b === LF) { ended = true; break; }
        if (b === QUOTE && fieldStart) { inQuotes = true; fieldStart = false; continue; }
        fieldStart = b === COMMA;
      }
      const body = chunk.subarray(from, i);
      take(ended && body.length > 0 && body[body.length - 1] === CR ? body.subarray(0, body.length - 1) : body);
      if (!ended) break;
      physicalLine++;
      end();
      i++;
    }
  }
  if (inRecord) end();
  return { located, keptRows: kept, rejectedRows: rejected };
}

/** The record's text: UTF-8 when it is valid, else Latin-1 (so the bytes stay readable, e.g. `Größer`). */
function decode(parts: Buffer[], length: number, max: number, firstLine: boolean): string {
  let bytes = Buffer.concat(parts, length);
  if (firstLine && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  const text = bytes.toString(isUtf8(bytes) ? 'utf8' : 'latin1');
  return length >= max ? `${text}…[cut at ${max} bytes]` : text;
}
