import { join } from 'node:path';
import t from 'tap';
import { DATASET_NAMES, datasets, type DatasetName } from '@peak/contracts';
import type { DefectEntry, DefectKind } from '@peak/sample-data';
import { buildPlan, runBatch, type ReasonCode } from '@peak/etl';
import { knownIdsFrom, query, sampleExports } from './helpers.js';

/** Which reason codes fit each injected defect kind (file-level kinds must not quarantine anything). */
const EXPECTED: Record<Exclude<DefectKind, 'wrong_column_order' | 'crlf_line_endings' | 'utf8_bom'>, ReasonCode[]> = {
  bad_date: ['BAD_TYPE'],
  missing_id: ['MISSING_REQUIRED'],
  unknown_member_id: ['UNKNOWN_REFERENCE'],
  unknown_class_id: ['UNKNOWN_REFERENCE'],
  negative_amount: ['OUT_OF_RANGE'],
  non_numeric_amount: ['BAD_TYPE'],
  duplicate_row: ['DUPLICATE_IN_BATCH'],
  extra_column: ['MALFORMED_RECORD'], // CSV: one field too many; JSON: a key the contract does not have
  missing_column: ['MALFORMED_RECORD', 'MISSING_REQUIRED'], // CSV: one field too few; JSON: an absent required key
  latin1_text: ['MALFORMED_RECORD'],
  unterminated_quote: ['MALFORMED_RECORD'],
  malformed_line: ['MALFORMED_RECORD'],
};

const requiredOf = (name: DatasetName): readonly string[] => datasets[name].row.required ?? [];
const formatOf = (name: DatasetName) => (name === 'engagement' ? 'ndjson' : 'csv') as 'csv' | 'ndjson';

t.test('dirty exports: every listed row defect is quarantined at its line with a fitting reason, nothing else is', async (t) => {
  const dir = t.testdir();
  // Same seed with and without defects simulates the same data, so the clean run gives the true known ids.
  await sampleExports(join(dir, 'clean'));
  const knownRefs = knownIdsFrom(join(dir, 'clean'));
  const dirty = join(dir, 'dirty');
  const { dirty: manifest } = await sampleExports(dirty, 0.05);
  const defects = manifest.defects as DefectEntry[];
  t.ok(defects.length > 50, `${defects.length} defects injected`);
  const kinds = new Set(defects.map((d) => d.kind));
  for (const k of ['wrong_column_order', 'crlf_line_endings', 'utf8_bom', 'latin1_text', 'unterminated_quote', 'malformed_line'] as const) {
    t.ok(kinds.has(k), `the sample exercises ${k}`);
  }

  for (const name of DATASET_NAMES) {
    const plan = buildPlan(datasets[name]);
    const r = await runBatch({ plan, inputFile: join(dirty, 'exports', `${name}.${formatOf(name)}`), format: formatOf(name), outDir: join(dir, 'lake'), knownRefs });
    const rows = await query(`SELECT line, reasons FROM read_parquet('${join(dir, 'lake/quarantine', name, `${name}.parquet`)}')`);
    const quarantined = new Map(rows.map((row) => [Number(row.line), row.reasons as ReasonCode[]]));
    const rowDefects = defects.filter((d) => d.dataset === name && d.line !== undefined);
    for (const d of rowDefects) {
      const kind = d.kind as keyof typeof EXPECTED;
      const reasons = quarantined.get(d.line ?? -1);
      const optionalJsonKey = kind === 'missing_column' && formatOf(name) !== 'csv' && !requiredOf(name).includes(d.column ?? '');
      if (optionalJsonKey) {
        // An absent optional key is a valid JSON row by the contract: it must load, not be quarantined.
        t.equal(reasons, undefined, `${name} line ${d.line}: missing optional key ${d.column} loads`);
        continue;
      }
      t.ok(reasons?.some((code) => EXPECTED[kind].includes(code)), `${name} line ${d.line}: ${kind} → ${JSON.stringify(reasons)}`);
    }
    const listed = new Set(rowDefects.map((d) => d.line));
    const unlisted = [...quarantined.keys()].filter((line) => !listed.has(line));
    t.same(unlisted, [], `${name}: no row without a defect is quarantined`);
    t.equal(r.rowsIn, r.rowsProcessed + r.rowsQuarantined, `${name}: conservation`);
    const fileDefects = defects.filter((d) => d.dataset === name && d.line === undefined).map((d) => d.kind);
    if (fileDefects.length > 0) t.ok(r.rowsProcessed > r.rowsIn * 0.8, `${name}: valid rows still load despite ${fileDefects.join(', ')}`);
  }
});
