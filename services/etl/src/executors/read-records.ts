import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Pre-pass over a raw export: splits it into records itself so that NO record is dropped. DuckDB's
 * CSV reader skips or rejects bad lines without their line numbers lining up with the file, so we
 * find record boundaries here (quote-aware), check UTF-8 and field counts, map columns by header
 * name (exports may reorder them), and hand DuckDB a well-formed all-text file to read.
 */
export type RawRecord = {
  /** 1-based physical line where the record starts (what the dirty manifest calls `line`). */
  line: number;
  /** Why the record cannot be read as a row, or null. */
  malformed: null | 'field_count' | 'unterminated_quote' | 'invalid_utf8' | 'bad_json' | 'unknown_key' | 'not_an_object';
  /** Raw text of a malformed record (Latin-1 decoded when it is not UTF-8), else null. */
  raw: string | null;
  /** Field values in contract column order; null = absent or empty. */
  fields: (string | null)[];
};

export type ReadResult = { records: RawRecord[]; missingColumns: string[]; ignoredColumns: string[] };

const LF = 0x0a, CR = 0x0d, QUOTE = 0x22;

export function readCsv(buf: Buffer, columns: readonly string[]): ReadResult {
  let start = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  const records: { line: number; start: number; end: number; unterminated: boolean }[] = [];
  let line = 1;
  while (start < buf.length) {
    let i = start, inQuotes = false, newlines = 0;
    for (; i < buf.length; i++) {
      const b = buf[i];
      if (b === QUOTE) inQuotes = !inQuotes; // "" inside quotes toggles twice: still inside
      else if (b === LF) { if (!inQuotes) break; newlines++; }
    }
    let end = i;
    if (end > start && buf[end - 1] === CR) end--;
    records.push({ line, start, end, unterminated: inQuotes });
    line += newlines + 1;
    start = i + 1;
  }
  const header = records.shift();
  if (!header) return { records: [], missingColumns: [...columns], ignoredColumns: [] };
  const headerFields = splitCsv(buf.toString('utf8', header.start, header.end)).map((h) => h.trim());
  const position = columns.map((c) => headerFields.indexOf(c));
  const missingColumns = columns.filter((_, i) => position[i] === -1);
  const ignoredColumns = headerFields.filter((h) => !columns.includes(h));

  const out: RawRecord[] = [];
  const allUtf8 = isUtf8(buf); // one native pass; per-record checks only for files with bad bytes
  for (const r of records) {
    if (r.end === r.start && r.start >= buf.length - 1) continue; // the file's final newline, not a record
    const bytes = buf.subarray(r.start, r.end);
    const utf8 = allUtf8 || isUtf8(bytes);
    const text = bytes.toString(utf8 ? 'utf8' : 'latin1');
    const malformed = r.unterminated ? 'unterminated_quote' : !utf8 ? 'invalid_utf8' : null;
    if (malformed) { out.push({ line: r.line, malformed, raw: text, fields: columns.map(() => null) }); continue; }
    const values = splitCsv(text);
    if (values.length !== headerFields.length) {
      out.push({ line: r.line, malformed: 'field_count', raw: text, fields: columns.map(() => null) });
      continue;
    }
    out.push({ line: r.line, malformed: null, raw: null, fields: position.map((p) => (p === -1 ? null : emptyToNull(values[p]))) });
  }
  return { records: out, missingColumns, ignoredColumns };
}

/** RFC 4180 field split of one record (quotes already known to be balanced). */
function splitCsv(text: string): string[] {
  if (!text.includes('"')) return text.split(','); // most records: no quoting at all
  const fields: string[] = [];
  let field = '', inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') { if (text[i + 1] === '"') { field += '"'; i++; } else inQuotes = false; } else field += ch;
    } else if (ch === '"') inQuotes = true;
    else if (ch === ',') { fields.push(field); field = ''; } else field += ch;
  }
  fields.push(field);
  return fields;
}

const emptyToNull = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

/** NDJSON, or a JSON array written one row object per line (as the exports are). */
export function readJsonLines(buf: Buffer, columns: readonly string[]): ReadResult {
  // Valid UTF-8 files (the norm) are decoded once; otherwise bytes are kept as Latin-1 and checked per line.
  const allUtf8 = isUtf8(buf);
  let text = buf.toString(allUtf8 ? 'utf8' : 'latin1');
  if (text.startsWith(allUtf8 ? '\ufeff' : '\u00ef\u00bb\u00bf')) text = text.slice(allUtf8 ? 1 : 3);
  const lines = text.split('\n');
  const out: RawRecord[] = [];
  const known = new Set(columns);
  lines.forEach((rawLine, idx) => {
    const line = idx + 1;
    let body = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const trimmed = body.trim();
    if (trimmed === '' || trimmed === '[' || trimmed === ']') return; // array brackets and blank lines are not records
    body = trimmed.endsWith(',') ? trimmed.slice(0, -1) : trimmed;
    let utf8 = body;
    if (!allUtf8) {
      const bytes = Buffer.from(body, 'latin1');
      if (!isUtf8(bytes)) { out.push({ line, malformed: 'invalid_utf8', raw: body, fields: columns.map(() => null) }); return; }
      utf8 = bytes.toString('utf8');
    }
    let value: unknown;
    try { value = JSON.parse(utf8); } catch { out.push({ line, malformed: 'bad_json', raw: utf8, fields: columns.map(() => null) }); return; }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      out.push({ line, malformed: 'not_an_object', raw: utf8, fields: columns.map(() => null) });
      return;
    }
    const obj = value as Record<string, unknown>;
    if (Object.keys(obj).some((k) => !known.has(k))) { out.push({ line, malformed: 'unknown_key', raw: utf8, fields: columns.map(() => null) }); return; }
    out.push({ line, malformed: null, raw: null, fields: columns.map((c) => jsonText(obj[c])) });
  });
  return { records: out, missingColumns: [], ignoredColumns: [] };
}

/** JSON scalars as the text a CSV export would hold, so one plan types both formats. */
function jsonText(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v); // objects/arrays then fail the column's type or format check
}

/** Writes records as a CSV every field of which is quoted (DuckDB then reads it without guessing), in chunks. */
export function writeNormalisedCsv(path: string, records: RawRecord[], columns: readonly string[]): void {
  const q = (v: string | null) => (v === null ? '' : v.includes('"') ? `"${v.replaceAll('"', '""')}"` : `"${v}"`);
  const fd = openSync(path, 'w');
  try {
    let chunk = `${['__rec', '__malformed', '__raw', ...columns].join(',')}\n`;
    for (const r of records) {
      chunk += `${[String(r.line), q(r.malformed), q(r.raw), ...r.fields.map(q)].join(',')}\n`;
      if (chunk.length > 1 << 20) { writeSync(fd, chunk); chunk = ''; } // bounded strings for big files
    }
    writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}
