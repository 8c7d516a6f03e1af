import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { datasets, isValid, type DatasetName } from '@peak/contracts';
import type { TObject } from 'typebox';
import { DEFECT_KINDS, type DefectEntry, type GenerationResult } from '../src/index.js';
import { castRecord, decodeUtf8, generateInto, parseCsvLine, physicalLines } from './helpers.js';

type Row = Record<string, unknown>;
type Asserts = Pick<typeof t, 'ok' | 'equal' | 'same'>;

/** A valid stand-in for a column, to show the listed defect is the row's only problem. */
function placeholder(schema: TObject, column: string, kind: string, value: unknown): unknown {
  if (kind === 'negative_amount') return Math.abs(Number(value));
  if (kind === 'non_numeric_amount') return 1;
  const prop = schema.properties[column] as { format?: string } | undefined;
  if (prop?.format === 'date') return '2026-01-01';
  if (prop?.format === 'date-time') return '2026-01-01T00:00:00Z';
  return 'X1';
}

/** Re-reads every export and checks each listed defect is really there, and every other row is clean. */
function verify(t: Asserts, out: string, result: GenerationResult): Set<string> {
  const seen = new Set<string>();
  const ids = { members: new Set<unknown>(), classes: new Set<unknown>() };
  const n = result.manifest.options.members;
  for (let i = 1; i <= n; i++) ids.members.add(`M${String(i).padStart(6, '0')}`);
  const classRows = result.manifest.files.find((f) => f.dataset === 'classes')?.rows ?? 0;
  for (let i = 1; i <= classRows; i++) ids.classes.add(`C${String(i).padStart(7, '0')}`);

  for (const f of result.manifest.files) {
    if (f.dataset === 'churn_labels') continue;
    const dataset = f.dataset as DatasetName;
    const contract = datasets[dataset];
    const schema = contract.row as TObject;
    const entries = result.dirty.defects.filter((d) => d.file === f.file);
    for (const e of entries) seen.add(e.kind);
    const fileKinds = new Set(entries.filter((e) => e.line === undefined).map((e) => e.kind));
    const bytes = readFileSync(join(out, f.file));
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    t.equal(bom, fileKinds.has('utf8_bom'), `${f.file}: BOM iff listed`);
    const lf = bytes.filter((b) => b === 0x0a).length;
    const crlf = bytes.toString('latin1').split('\r\n').length - 1;
    t.equal(crlf === lf, fileKinds.has('crlf_line_endings'), `${f.file}: CRLF iff listed`);
    const lines = physicalLines(bom ? bytes.subarray(3) : bytes);
    const byLine = new Map<number, DefectEntry>();
    for (const e of entries) if (e.line !== undefined) byLine.set(e.line, e);
    t.equal(byLine.size, entries.filter((e) => e.line !== undefined).length, `${f.file}: one defect per line`);

    let header: string[] = [...contract.columns];
    let first = 1;
    let last = lines.length;
    if (f.format === 'csv') {
      header = parseCsvLine(decodeUtf8(lines[0] as Buffer) as string) as string[];
      t.same([...header].sort(), [...contract.columns].sort(), `${f.file}: header names`);
      t.equal(header.join() !== contract.columns.join(), fileKinds.has('wrong_column_order'), `${f.file}: reordered iff listed`);
    } else if (f.format === 'json') {
      t.equal(lines[0]?.toString(), '[');
      t.equal(lines[lines.length - 1]?.toString(), ']');
      last = lines.length - 1;
    } else first = 0;
    t.equal(last - first, f.rows, `${f.file}: data lines = manifest rows`);

    const asRow = (text: string): Row | undefined => {
      if (f.format === 'csv') {
        const fields = parseCsvLine(text);
        return fields && fields.length === header.length ? castRecord(schema, header, fields) : undefined;
      }
      try {
        return JSON.parse(f.format === 'json' ? text.replace(/,$/, '') : text) as Row;
      } catch {
        return undefined;
      }
    };
    const fieldCount = (text: string) => parseCsvLine(text)?.length;
    let dirtyClean = 0;
    const problems: string[] = [];
    for (let i = first; i < last; i++) {
      const lineNo = i + 1;
      const raw = lines[i] as Buffer;
      const text = decodeUtf8(raw);
      const e = byLine.get(lineNo);
      if (!e) {
        const row = text === undefined ? undefined : asRow(text);
        if (!row || !isValid(schema, row)) dirtyClean++;
        continue;
      }
      byLine.delete(lineNo);
      const row = text === undefined ? undefined : asRow(text);
      const col = e.column as string;
      const ok = (() => {
        switch (e.kind) {
          case 'duplicate_row':
            return raw.toString().replace(/,$/, '') === lines[i - 1]?.toString().replace(/,$/, '') && e.detail === `exact copy of line ${lineNo - 1}`;
          case 'latin1_text': {
            const latin = asRow(raw.toString('latin1'));
            return text === undefined && latin !== undefined && isValid(schema, latin) && /[\u0080-\u00ff]/.test(String(latin[col]));
          }
          case 'unterminated_quote':
            return text !== undefined && lineNo === last && parseCsvLine(text) === undefined && text.includes(',"');
          case 'malformed_line':
            return text !== undefined && row === undefined;
          case 'extra_column':
            if (f.format === 'csv') return text !== undefined && fieldCount(text) === header.length + 1;
            return row !== undefined && Object.keys(row).some((k) => !header.includes(k)) && isValid(schema, Object.fromEntries(Object.entries(row).filter(([k]) => header.includes(k))));
          case 'missing_column':
            if (f.format === 'csv') return text !== undefined && fieldCount(text) === header.length - 1;
            return row !== undefined && !(col in row);
          default: {
            if (!row) return false;
            const value = row[col];
            const kindOk =
              e.kind === 'bad_date' ? typeof value === 'string' && value !== '' && !isValid(schema.properties[col] as TObject, value)
              : e.kind === 'missing_id' ? value === undefined || value === null
              : e.kind === 'unknown_member_id' ? typeof value === 'string' && !ids.members.has(value)
              : e.kind === 'unknown_class_id' ? typeof value === 'string' && !ids.classes.has(value)
              : e.kind === 'negative_amount' ? typeof value === 'number' && value < 0
              : e.kind === 'non_numeric_amount' ? Number.isNaN(Number(value))
              : false;
            const fixed = { ...row, [col]: placeholder(schema, col, e.kind, value) };
            const keyOk = e.key === undefined || row[contract.primaryKey[0] as string] === e.key;
            return kindOk && keyOk && isValid(schema, fixed);
          }
        }
      })();
      if (!ok) problems.push(`${f.file}:${lineNo} ${e.kind} ${e.detail}`);
    }
    t.same(problems, [], `${f.file}: every listed defect is at its line`);
    t.same([...byLine.keys()], [], `${f.file}: no defect listed outside the data lines`);
    t.equal(dirtyClean, 0, `${f.file}: all unlisted rows are valid`);
  }
  return seen;
}

t.test('dirty CSV/NDJSON exports: every kind injected, listed exactly, the rest clean', async (t) => {
  const out = t.testdir();
  const result = await generateInto(out, { seed: 77, members: 300, days: 90, dirty: 0.03 });
  const seen = verify(t, out, result);
  t.same([...seen].sort(), [...DEFECT_KINDS].sort(), 'every defect kind appears');
  t.same(JSON.parse(readFileSync(join(out, 'dirty-manifest.json'), 'utf8')), result.dirty);
  const engagement = result.manifest.files.find((f) => f.dataset === 'engagement');
  const injected = result.dirty.defects.filter((d) => d.dataset === 'engagement' && d.line !== undefined).length;
  const share = injected / (engagement?.rows ?? 1);
  t.ok(share > 0.015 && share < 0.06, `about the requested rate of rows (${share.toFixed(3)})`);
});

t.test('dirty JSON exports get the defects that make sense in JSON', async (t) => {
  const out = t.testdir();
  const result = await generateInto(out, { seed: 78, members: 200, days: 60, dirty: 0.05, format: 'json' });
  const seen = verify(t, out, result);
  const csvOnly = ['unterminated_quote', 'wrong_column_order', 'malformed_line'];
  t.same([...seen].sort(), DEFECT_KINDS.filter((k) => !csvOnly.includes(k)).sort());
});

t.test('the simulated data does not change when defects are injected', async (t) => {
  const root = t.testdir({ clean: {}, dirty: {} });
  const clean = await generateInto(join(root, 'clean'), { seed: 79, members: 150, days: 30 });
  const dirty = await generateInto(join(root, 'dirty'), { seed: 79, members: 150, days: 30, dirty: 0.1 });
  for (const f of clean.manifest.files) {
    const d = dirty.manifest.files.find((x) => x.file === f.file);
    const extra = dirty.dirty.defects.filter((x) => x.file === f.file && x.kind === 'duplicate_row').length;
    t.equal(d?.rows, f.rows + extra, `${f.file}: same rows plus the duplicates`);
  }
});
