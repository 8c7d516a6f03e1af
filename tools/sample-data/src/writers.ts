import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { columnMeta, type DatasetName, type SqlType } from '@peak/contracts';
import type { TObject } from 'typebox';
import { badDate, LATIN1_COLUMNS, nonNumericAmount, type DefectEntry, type FilePlan, type Format, type RowDefect } from './dirty.js';

export type FileStats = { file: string; dataset: DatasetName | 'churn_labels'; format: Format; rows: number; bytes: number; sha256: string };

type Row = Record<string, unknown>;
type Encoded = { text: string; latin1: boolean };

const NEEDS_QUOTES = /[",\r\n]/;
const LINE_BREAK = /[\r\n]/;

/** RFC 4180: quote a field holding a quote, comma or line break; double inner quotes. */
function quote(field: string): string {
  if (!NEEDS_QUOTES.test(field)) return field;
  if (LINE_BREAK.test(field)) throw new Error(`line break in a field would break line numbering: ${JSON.stringify(field)}`);
  return `"${field.replaceAll('"', '""')}"`;
}

/** Text of one typed value as the CSV exports write it: 2-decimal money, true/false, empty when absent. */
function csvCell(value: unknown, sql: SqlType): string {
  if (value === undefined || value === null) return '';
  if (sql === 'DECIMAL(12,2)' && typeof value === 'number') return value.toFixed(2);
  return String(value);
}

const isLatin1Name = (text: string): boolean => {
  let accented = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return false;
    if (c > 0x7f) accented = true;
  }
  return accented;
};

/** JSON string literal; most values need no escaping, so skip JSON.stringify for them. */
function jsonString(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return JSON.stringify(v);
  }
  return `"${v}"`;
}

const BUFFER_BYTES = 1 << 20;

/**
 * Streams one export file: encodes typed rows (CSV, JSON array with one row per line, or NDJSON),
 * injects the defects its plan asks for, and keeps line numbers, byte count and SHA-256 as it goes.
 */
export class ExportWriter<R extends object> {
  private readonly stream: WriteStream;
  private readonly hash: Hash = createHash('sha256');
  private readonly columns: readonly string[];
  private readonly sql: SqlType[];
  private readonly eol: string;
  private readonly order: number[];
  /** `"column":` prefixes, built once: JSON rows are millions of lines. */
  private readonly jsonKeys: string[];
  /** Rows are encoded straight into this buffer (much faster than joining strings, then encoding). */
  private buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private pos = 0;
  private lines = 0;
  private rowIndex = 0;
  private rowsWritten = 0;
  private bytes = 0;
  private held: { row: Row; kind: RowDefect | undefined } | undefined;
  private failure: Error | undefined;

  constructor(
    path: string,
    private readonly file: string,
    private readonly dataset: DatasetName | 'churn_labels',
    private readonly format: Format,
    schema: TObject,
    columns: readonly string[],
    private readonly primaryKey: string | undefined,
    private readonly plan: FilePlan | undefined,
    private readonly defects: DefectEntry[],
  ) {
    this.columns = columns;
    this.sql = columns.map((c) => columnMeta(schema.properties[c] as never)['x-sql']);
    this.eol = plan?.crlf ? '\r\n' : '\n';
    this.order = plan?.permutation ?? columns.map((_, i) => i);
    this.jsonKeys = columns.map((c) => `${JSON.stringify(c)}:`);
    this.stream = createWriteStream(path);
    this.stream.on('error', (err) => {
      this.failure = err;
    });
    if (plan?.bom) this.push('\uFEFF');
    if (format === 'csv') this.pushLine(this.order.map((i) => quote(columns[i] as string)).join(','));
    else if (format === 'json') {
      this.push('[');
      this.lines = 1;
    }
    if (plan) this.recordFileDefects(plan);
  }

  write(row: R): void {
    const r = row as Row;
    const kind = this.plan ? this.chooseDefect(r, this.plan) : undefined;
    this.rowIndex++;
    if (this.plan?.unterminatedAtEnd) {
      // Hold one row back: the last row of the file is the one that gets the unterminated quote.
      if (this.held) this.emit(this.held.row, this.held.kind);
      this.held = { row: r, kind };
      return;
    }
    this.emit(r, kind);
  }

  /** Resolves once the file stream has room again (call between batches to bound memory). */
  async drain(): Promise<void> {
    this.flush();
    if (this.failure) throw this.failure;
    if (this.stream.writableNeedDrain) await once(this.stream, 'drain');
  }

  async close(): Promise<FileStats> {
    if (this.held) this.emit(this.held.row, this.plan?.unterminatedAtEnd ? 'unterminated_quote' : this.held.kind);
    this.held = undefined;
    if (this.format === 'json') this.pushLine(this.rowsWritten === 0 ? ']' : `${this.eol}]`);
    this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
    if (this.failure) throw this.failure;
    return { file: this.file, dataset: this.dataset, format: this.format, rows: this.rowsWritten, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  private recordFileDefects(plan: FilePlan): void {
    const base = { file: this.file, dataset: this.dataset as DatasetName };
    if (plan.permutation) {
      const header = plan.permutation.map((i) => this.columns[i]).join(',');
      this.defects.push({ ...base, kind: 'wrong_column_order', detail: `header and every row use column order ${header} (valid data, reordered)` });
    }
    if (plan.crlf) this.defects.push({ ...base, kind: 'crlf_line_endings', detail: 'every line ends with CR LF' });
    if (plan.bom) this.defects.push({ ...base, kind: 'utf8_bom', detail: 'file starts with a UTF-8 byte order mark (EF BB BF)' });
  }

  private chooseDefect(row: Row, plan: FilePlan): RowDefect | undefined {
    for (const [kind, from] of plan.forced) {
      if (from <= this.rowIndex && this.eligible(kind, row)) {
        plan.forced.delete(kind);
        return kind;
      }
    }
    if (!plan.rng.chance(plan.rate)) return undefined;
    const kinds = plan.rowKinds.filter((k) => this.eligible(k, row));
    return kinds.length === 0 ? undefined : plan.rng.pick(kinds);
  }

  private eligible(kind: RowDefect, row: Row): boolean {
    if (kind !== 'latin1_text') return true;
    // Latin-1 can only carry the row if every character fits in one byte and a name is accented.
    return LATIN1_COLUMNS.some((c) => typeof row[c] === 'string' && isLatin1Name(row[c])) && this.fitsLatin1(row);
  }

  private fitsLatin1(row: Row): boolean {
    return this.columns.every((c) => typeof row[c] !== 'string' || !/[\u0100-\uffff]/.test(row[c]));
  }

  private emit(row: Row, kind: RowDefect | undefined): void {
    if (kind === 'duplicate_row') {
      const enc = this.encode(row, undefined);
      this.pushRow(enc);
      const original = this.lines;
      this.pushRow(enc);
      this.addDefect(row, 'duplicate_row', undefined, `exact copy of line ${original}`);
      return;
    }
    if (kind === undefined) {
      this.pushRow(this.encode(row, undefined));
      return;
    }
    const { enc, column, detail, keyLost } = this.corrupt(row, kind, this.plan as FilePlan);
    this.pushRow(enc);
    this.addDefect(keyLost ? undefined : row, kind, column, detail);
  }

  private addDefect(row: Row | undefined, kind: RowDefect, column: string | undefined, detail: string): void {
    const key = row && this.primaryKey ? row[this.primaryKey] : undefined;
    this.defects.push({
      file: this.file,
      dataset: this.dataset as DatasetName,
      kind,
      line: this.lines,
      ...(column === undefined ? {} : { column }),
      ...(typeof key === 'string' && key !== '' ? { key } : {}),
      detail,
    });
  }

  /** Applies one row defect; returns the encoded line and what the manifest should say. */
  private corrupt(row: Row, kind: RowDefect, plan: FilePlan): { enc: Encoded; column?: string; detail: string; keyLost?: boolean } {
    const rng = plan.rng;
    const copy: Row = { ...row };
    const shown = (c: string): string => csvCell(row[c], this.sql[this.columns.indexOf(c)] as SqlType);
    switch (kind) {
      case 'bad_date': {
        const cols = this.columns.filter((c, i) => (this.sql[i] === 'DATE' || this.sql[i] === 'TIMESTAMP') && typeof row[c] === 'string');
        const column = rng.pick(cols);
        const sql = this.sql[this.columns.indexOf(column)] as 'DATE' | 'TIMESTAMP';
        copy[column] = badDate(row[column] as string, sql, rng);
        return { enc: this.encode(copy, undefined), column, detail: `${column} ${shown(column)} written as ${String(copy[column])}` };
      }
      case 'missing_id': {
        const cols = this.idColumns();
        const column = rng.pick(cols);
        copy[column] = this.format === 'csv' ? '' : null;
        return { enc: this.encode(copy, undefined), column, detail: `${column} ${shown(column)} left ${this.format === 'csv' ? 'empty' : 'null'}`, keyLost: column === this.primaryKey };
      }
      case 'unknown_member_id': {
        copy.member_id = plan.unknownMemberId();
        return { enc: this.encode(copy, undefined), column: 'member_id', detail: `member_id ${shown('member_id')} replaced by ${String(copy.member_id)}, which no member has` };
      }
      case 'unknown_class_id': {
        copy.class_id = plan.unknownClassId();
        const was = row.class_id === undefined ? 'an open-gym visit' : shown('class_id');
        return { enc: this.encode(copy, undefined), column: 'class_id', detail: `class_id of ${was} set to ${String(copy.class_id)}, which no class has` };
      }
      case 'negative_amount': {
        copy.amount = -(row.amount as number);
        const text = this.format === 'csv' ? `-${shown('amount')}` : String(copy.amount);
        if (this.format === 'csv') copy.amount = text;
        return { enc: this.encode(copy, undefined), column: 'amount', detail: `amount ${shown('amount')} written as ${text}` };
      }
      case 'non_numeric_amount': {
        copy.amount = nonNumericAmount(shown('amount'), rng);
        return { enc: this.encode(copy, undefined), column: 'amount', detail: `amount ${shown('amount')} written as ${String(copy.amount)}` };
      }
      case 'extra_column': {
        // Never empty: one trailing empty field (a trailing comma) is tolerated by the ETL, as by most CSV readers.
        const value = rng.pick(['LEGACY', 'n/a', '1', 'x']);
        return { enc: this.encode(row, { extra: value }), detail: `one field more than the header (extra value ${JSON.stringify(value)})` };
      }
      case 'missing_column': {
        const required = this.format === 'csv' ? this.columns : this.columns.filter((c) => row[c] !== undefined);
        const column = rng.pick(required);
        return { enc: this.encode(row, { drop: column }), column, detail: `field ${column} left out (one field fewer than the header)`, keyLost: column === this.primaryKey };
      }
      case 'latin1_text': {
        const column = LATIN1_COLUMNS.find((c) => typeof row[c] === 'string' && isLatin1Name(row[c])) as string;
        return { enc: { ...this.encode(row, undefined), latin1: true }, column, detail: `row encoded as Latin-1, not UTF-8 (${column} ${String(row[column])})` };
      }
      case 'unterminated_quote': {
        const text = this.columns.filter((c, i) => this.sql[i] === 'VARCHAR' && typeof row[c] === 'string' && !(row[c] as string).includes('"'));
        const column = text.includes('last_name') ? 'last_name' : text.includes('class_name') ? 'class_name' : text.includes('description') ? 'description' : (text[text.length - 1] as string);
        return { enc: this.encode(row, { openQuote: column }), column, detail: `${column} opens a quote that is never closed (last line of the file)` };
      }
      case 'malformed_line': {
        const full = this.encode(row, undefined).text;
        const cut = Math.floor(full.length * rng.between(0.35, 0.8));
        return { enc: { text: full.slice(0, cut), latin1: false }, detail: `JSON cut off after ${cut} of ${full.length} characters` };
      }
      case 'duplicate_row':
        throw new Error('duplicate rows are emitted by emit()');
    }
  }

  private idColumns(): string[] {
    const ids = ['member_id', 'class_id', 'instructor_id'];
    const cols = this.columns.filter((c) => c === this.primaryKey || ids.includes(c));
    // Attendance class_id is optional (open gym), so blanking it is not a defect.
    return this.dataset === 'attendance' ? cols.filter((c) => c !== 'class_id') : cols;
  }

  private encode(row: Row, shape: { extra?: string; drop?: string; openQuote?: string } | undefined): Encoded {
    if (this.format === 'csv') {
      const fields: string[] = [];
      for (const i of this.order) {
        const column = this.columns[i] as string;
        if (shape?.drop === column) continue;
        const cell = csvCell(row[column], this.sql[i] as SqlType);
        fields.push(shape?.openQuote === column ? `"${cell}` : quote(cell));
      }
      if (shape?.extra !== undefined) fields.push(quote(shape.extra));
      return { text: fields.join(','), latin1: false };
    }
    let text = '{';
    let first = true;
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i] as string;
      const value = row[column];
      if (value === undefined || shape?.drop === column) continue;
      text += `${first ? '' : ','}${this.jsonKeys[i] as string}${typeof value === 'string' ? jsonString(value) : JSON.stringify(value)}`;
      first = false;
    }
    if (shape?.extra !== undefined) text += `${first ? '' : ','}"legacy_ref":${JSON.stringify(shape.extra)}`;
    return { text: `${text}}`, latin1: false };
  }

  private pushRow(enc: Encoded): void {
    const lead = this.format === 'json' ? (this.rowsWritten === 0 ? this.eol : `,${this.eol}`) : '';
    const tail = this.format === 'json' ? '' : this.eol;
    if (enc.latin1) {
      this.push(lead);
      this.push(enc.text, 'latin1');
      this.push(tail);
    } else {
      this.push(lead + enc.text + tail);
    }
    this.lines++;
    this.rowsWritten++;
  }

  private pushLine(text: string): void {
    this.push(text + this.eol);
    this.lines++;
  }

  private push(text: string, encoding: 'utf8' | 'latin1' = 'utf8'): void {
    // Worst case 3 bytes per UTF-16 unit; a longer text than the buffer gets a buffer of its own.
    const room = text.length * 3;
    if (this.pos + room > this.buf.length) {
      this.flush();
      if (room > this.buf.length) this.buf = Buffer.allocUnsafe(room);
    }
    this.pos += this.buf.write(text, this.pos, encoding);
  }

  private flush(): void {
    if (this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.stream.write(chunk);
    // The stream keeps `chunk` until it is on disk, so continue in a fresh buffer.
    this.buf = Buffer.allocUnsafe(BUFFER_BYTES);
    this.pos = 0;
  }
}
