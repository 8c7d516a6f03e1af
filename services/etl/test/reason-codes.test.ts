import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { datasets } from '@peak/contracts';
import { buildPlan, REASON_CODES, runBatch, type ReasonCode } from '@peak/etl';
import { query } from './helpers.js';

// One hand-written transactions row per case; each must be quarantined with exactly these codes.
const HEADER = 'transaction_id,member_id,location_id,occurred_at,type,amount,currency,status,refund_of,description';
const GOOD = 'T1,M000001,downtown,2026-01-04T10:16:02Z,membership,149.00,USD,settled,,Unlimited monthly';
const cases: { name: string; line: string | Buffer; codes: ReasonCode[] }[] = [
  { name: 'missing member_id', line: 'T2,,downtown,2026-01-04T10:16:02Z,membership,149.00,USD,settled,,', codes: ['MISSING_REQUIRED'] },
  { name: 'US-style date', line: 'T3,M000001,downtown,01/04/2026,membership,149.00,USD,settled,,', codes: ['BAD_TYPE'] },
  { name: 'impossible day', line: 'T4,M000001,downtown,2026-02-30T10:00:00Z,membership,149.00,USD,settled,,', codes: ['BAD_TYPE'] },
  { name: 'amount with currency sign', line: 'T5,M000001,downtown,2026-01-04T10:16:02Z,membership,$149.00,USD,settled,,', codes: ['BAD_TYPE'] },
  { name: 'negative amount', line: 'T6,M000001,downtown,2026-01-04T10:16:02Z,membership,-149.00,USD,settled,,', codes: ['OUT_OF_RANGE'] },
  { name: 'amount above maximum', line: 'T7,M000001,downtown,2026-01-04T10:16:02Z,membership,100000.01,USD,settled,,', codes: ['OUT_OF_RANGE'] },
  { name: 'three decimals', line: 'T8,M000001,downtown,2026-01-04T10:16:02Z,membership,149.005,USD,settled,,', codes: ['BAD_PRECISION'] },
  { name: 'space in an id', line: 'T9,M000001,down town,2026-01-04T10:16:02Z,membership,149.00,USD,settled,,', codes: ['BAD_FORMAT'] },
  { name: 'blank description', line: 'T10,M000001,downtown,2026-01-04T10:16:02Z,membership,149.00,USD,settled,,"   "', codes: ['BAD_FORMAT'] },
  { name: 'unknown type', line: 'T11,M000001,downtown,2026-01-04T10:16:02Z,donation,149.00,USD,settled,,', codes: ['NOT_ALLOWED_VALUE'] },
  { name: 'unknown member', line: 'T12,M999999,downtown,2026-01-04T10:16:02Z,membership,149.00,USD,settled,,', codes: ['UNKNOWN_REFERENCE'] },
  { name: 'duplicate of T1', line: GOOD, codes: ['DUPLICATE_IN_BATCH'] },
  { name: 'extra field', line: 'T13,M000001,downtown,2026-01-04T10:16:02Z,membership,149.00,USD,settled,,,x', codes: ['MALFORMED_RECORD'] },
  { name: 'missing field', line: 'T14,M000001,downtown,2026-01-04T10:16:02Z,membership,149.00,USD,settled,', codes: ['MALFORMED_RECORD'] },
  { name: 'Latin-1 text', line: Buffer.from('T15,M000001,downtown,2026-01-04T10:16:02Z,retail,9.00,USD,settled,,Caf\xe9 latte', 'latin1'), codes: ['MALFORMED_RECORD'] },
  { name: 'two defects at once', line: 'T16,,downtown,N/A,membership,149.00,USD,settled,,', codes: ['BAD_TYPE', 'MISSING_REQUIRED'] },
  // Last: a quote that never closes swallows the rest of the file, as a truncated export does.
  { name: 'unterminated quote', line: 'T17,M000001,downtown,2026-01-04T10:16:02Z,retail,9.00,USD,settled,,"Café', codes: ['MALFORMED_RECORD'] },
];

t.test('each defect is quarantined at its line with exactly its reason codes', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'transactions.csv');
  const parts = [HEADER, GOOD, ...cases.map((c) => c.line)].map((l) => (typeof l === 'string' ? Buffer.from(l, 'utf8') : l));
  writeFileSync(file, Buffer.concat(parts.flatMap((p) => [p, Buffer.from('\n')])));
  const out = join(dir, 'lake');
  const r = await runBatch({ plan: buildPlan(datasets.transactions), inputFile: file, format: 'csv', outDir: out, knownRefs: { members: ['M000001'] } });
  t.equal(r.rowsIn, cases.length + 1);
  t.equal(r.rowsProcessed, 1, 'only the good row is processed');
  t.equal(r.rowsQuarantined, cases.length);
  const rows = await query(`SELECT line, reasons, malformed_detail, raw_record FROM read_parquet('${out}/quarantine/transactions/transactions.parquet') ORDER BY line`);
  t.same(rows.map((row) => Number(row.line)), cases.map((_, i) => i + 3), "line = the record's physical line");
  cases.forEach((c, i) => t.same(rows[i]?.reasons, c.codes, c.name));
  t.match(rows.find((row) => row.malformed_detail === 'invalid_utf8')?.raw_record, /Caf\u00e9 latte/, 'Latin-1 raw text kept, readable');
  t.equal(rows.at(-1)?.malformed_detail, 'bad_quoting');
  t.same(rows.filter((row) => (row.reasons as string[]).includes('MALFORMED_RECORD')).map((row) => row.malformed_detail), ['too_many_fields', 'too_few_fields', 'invalid_utf8', 'bad_quoting']);
  // The same good row again in a later batch: already loaded.
  const again = join(dir, 'again.csv');
  writeFileSync(again, `${HEADER}\n${GOOD}\n`);
  const later = await runBatch({ plan: buildPlan(datasets.transactions), inputFile: again, format: 'csv', outDir: out, knownRefs: { members: ['M000001'] } });
  t.same(later.reasons, { ALREADY_PROCESSED: 1 }, 'a row an earlier batch loaded is ALREADY_PROCESSED');
  const covered = new Set([...cases.flatMap((c) => c.codes), ...Object.keys(later.reasons)]);
  t.same([...covered].sort(), Object.keys(REASON_CODES).sort(), 'every reason code has a fixture');
});

t.test('NDJSON: unparsable line, unknown key, missing required key, numbers and booleans as text', async (t) => {
  const dir = t.testdir({
    'e.ndjson': [
      '{"event_id":"E1","member_id":"M000001","occurred_at":"2026-01-05T06:30:12Z","event_type":"app_open","platform":"ios","duration_seconds":95}',
      '{"event_id":"E2","member_id":"M000001","occurred_at":"2026-01-05T06:30:12Z","event_type":"app_open","platform":"ios","duration_seconds":1.5}',
      '{"event_id":"E3","member_id":"M000001","occurred_at":"2026-01-05T06:30:12Z","event_type":"app_open","platform":"io',
      '{"event_id":"E4","member_id":"M000001","occurred_at":"2026-01-05T06:30:12Z","event_type":"app_open","platform":"ios","extra":1}',
      '{"event_id":"E5","occurred_at":"2026-01-05T06:30:12Z","event_type":"app_open","platform":"ios"}',
      '{"event_id":"E6","member_id":"M000001","occurred_at":"2026-01-05T06:30:12+02:00","event_type":"app_open","platform":"web"}',
      '',
    ].join('\r\n'),
  });
  const out = join(dir, 'lake');
  const r = await runBatch({ plan: buildPlan(datasets.engagement), inputFile: join(dir, 'e.ndjson'), format: 'ndjson', outDir: out });
  t.same(r.referencesChecked, [], 'no known members given: FK check left out, not failed');
  const q = await query(`SELECT line, reasons FROM read_parquet('${out}/quarantine/engagement/e.parquet') ORDER BY 1`);
  t.same(q.map((x) => [Number(x.line), x.reasons]), [[2, ['BAD_TYPE']], [3, ['MALFORMED_RECORD']], [4, ['MALFORMED_RECORD']], [5, ['MISSING_REQUIRED']]]);
  const ok = await query(`SELECT event_id, CAST(occurred_at AS VARCHAR) AS at, duration_seconds FROM read_parquet('${out}/processed/engagement/*/*.parquet') ORDER BY 1`);
  t.same(ok, [{ event_id: 'E1', at: '2026-01-05 06:30:12', duration_seconds: 95 }, { event_id: 'E6', at: '2026-01-05 04:30:12', duration_seconds: null }], 'offsets are converted to UTC');
  t.same(r.partitions, ['dt=2026-01-05']);
});

t.test('CSV: columns matched by header name, BOM and CRLF accepted', async (t) => {
  const body = '\ufeffmember_id,checkin_id,location_id,class_id,method,checked_in_at\r\nM000001,K1,downtown,,card,2026-01-05T06:52:40Z\r\n';
  const dir = t.testdir({ 'a.csv': body });
  const out = join(dir, 'lake');
  const r = await runBatch({ plan: buildPlan(datasets.attendance), inputFile: join(dir, 'a.csv'), format: 'csv', outDir: out });
  t.equal(r.rowsProcessed, 1, JSON.stringify(r.reasons));
  const [row] = await query(`SELECT checkin_id, member_id, class_id, method FROM read_parquet('${out}/processed/attendance/*/*.parquet')`);
  t.same(row, { checkin_id: 'K1', member_id: 'M000001', class_id: null, method: 'card' });
});

t.test('JSON array written one row object per line, as the exports are', async (t) => {
  const row = (id: string, amount: string) =>
    `{"transaction_id":"${id}","member_id":"M000001","location_id":"downtown","occurred_at":"2026-01-04T10:16:02Z","type":"retail","amount":${amount},"currency":"USD","status":"settled"}`;
  const dir = t.testdir({ 't.json': `[\n${row('T1', '9.5')},\n${row('T2', '-1')},\n${row('T3', '12.25')}\n]\n` });
  const out = join(dir, 'lake');
  const r = await runBatch({ plan: buildPlan(datasets.transactions), inputFile: join(dir, 't.json'), format: 'json', outDir: out });
  t.same([r.rowsIn, r.rowsProcessed, r.rowsQuarantined, r.reasons], [3, 2, 1, { OUT_OF_RANGE: 1 }]);
  const amounts = await query(`SELECT CAST(amount AS VARCHAR) AS a, typeof(amount) AS t FROM read_parquet('${out}/processed/transactions/*/*.parquet') ORDER BY 1`);
  t.same(amounts, [{ a: '12.25', t: 'DECIMAL(12,2)' }, { a: '9.50', t: 'DECIMAL(12,2)' }]);
});

t.test('degenerate files: empty, header only, wrong delimiter — nothing lost, nothing crashes', async (t) => {
  const dir = t.testdir({
    'empty.csv': '',
    'header.csv': `${HEADER}\n`,
    'semicolons.csv': `${HEADER.replaceAll(',', ';')}\n${GOOD.replaceAll(',', ';')}\n`,
  });
  const plan = buildPlan(datasets.transactions);
  const out = join(dir, 'lake');
  for (const f of ['empty', 'header']) {
    const r = await runBatch({ plan, inputFile: join(dir, `${f}.csv`), format: 'csv', outDir: out });
    t.same([r.rowsIn, r.rowsProcessed, r.rowsQuarantined, r.partitions], [0, 0, 0, []], `${f}: an empty batch`);
  }
  const r = await runBatch({ plan, inputFile: join(dir, 'semicolons.csv'), format: 'csv', outDir: out });
  t.same([r.rowsIn, r.rowsQuarantined, r.reasons], [1, 1, { MISSING_REQUIRED: 1 }], 'the row is quarantined, not dropped');
  t.equal(r.missingColumns.length, plan.columns.length, 'no contract column found in the header');
  t.same(r.ignoredColumns, [HEADER.replaceAll(',', ';')]);
});
