/**
 * The bad-input corpus (test/fixtures/bad-input, README there) through the whole path: each file is
 * uploaded to the real ingest app (folder lake, SQS emulator), and each accepted upload is taken off
 * the raw-landed queue and run through the ETL's processBatch over the same lake. A refusal must be
 * the exact 4xx and code, leave nothing behind and announce nothing; an accepted file must end as a
 * processed batch whose quarantine is exactly the expected rows (line, reasons, raw text), or — where
 * the file cannot be read as records at all — a failed batch saying why. Then the generator's
 * `--dirty` sample goes the same way, and its dirty manifest and the quarantine must agree row for row.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DuckDBInstance } from '@duckdb/node-api';
import t, { type Test } from 'tap';
import { datasets, DATASET_NAMES, loadWaves, type BatchProcessed, type BatchRecord, type DatasetName, type RawLanded } from '@peak/contracts';
import { processBatch, type BatchDeps, type ReasonCode } from '@peak/etl';
import { buildApp, INGEST_ERRORS, readConfig } from '@peak/ingest';
import { generate, DEFECT_KINDS, type DefectKind } from '@peak/sample-data';
import { buildForTest, localClients, useSqsEmulator } from '@peak/service-kit/testing';
import { bigFixtures, HUGE_CSV_ROW, HUGE_NDJSON_ROW, WIDE_NDJSON_ROW, writeBigFixtures } from '../fixtures/bad-input/generate-big.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/bad-input');
const MAX_RAW = 1 << 20; // the ETL keeps at most 1 MiB of a quarantined record's text

const emu = await useSqsEmulator(t, {});
const sqs = localClients.sqs(t, emu.endpoint);

// One API key per source system; an upload uses the key of its dataset's source.
const keyOf = (dataset: DatasetName) => `${datasets[dataset].source}-key-0123456789`;
const API_KEYS = [...new Set(DATASET_NAMES.map((d) => datasets[d].source))].map((s) => `${s}:${s}-key-0123456789`).join(',');

type Q = { line: number; reasons: ReasonCode[]; detail?: string; raw: string };
/** A refusal at upload: HTTP status, error code, and (part of) the message the user reads. */
type Refused = { refused: number; code: keyof typeof INGEST_ERRORS; message: RegExp };
/** Accepted (202), processed: rows read, rows loaded, and every quarantined row in line order. */
type Loaded = { rowsIn: number; processed: number; quarantine: Q[]; rows?: { sql: string; want: Record<string, unknown>[] } };
/** Accepted (202), but the file cannot be read as records: the batch fails as a whole, with this error. */
type Failed = { failed: RegExp };
type Case = {
  file: string;
  dataset: DatasetName;
  type: string;
  encoding?: string;
  /** What the user sees, in words (the expectation below says it exactly). */
  sees: string;
  expect: Refused | Loaded | Failed;
  /** Generated (big) fixture: streamed from the temp folder in 64 KiB chunks, as a socket delivers it. */
  big?: true;
};

const CSV = 'text/csv';
const JSON_ARRAY = 'application/json';
const NDJSON = 'application/x-ndjson';
const ok = (line: number, raw: string, ...reasons: ReasonCode[]): Q => ({ line, reasons, raw });
const bad = (line: number, detail: string, raw: string): Q => ({ line, reasons: ['MALFORMED_RECORD'], detail, raw });
const att = (id: string, member = 'M000001', location = 'downtown', at = '2026-01-05T06:30:00Z', method = 'card', cls = '') => `${id},${member},${cls},${location},${at},${method}`;
const json = (id: string, extra: Record<string, unknown> = {}, member = 'M000001') =>
  JSON.stringify({ checkin_id: id, member_id: member, location_id: 'downtown', checked_in_at: '2026-01-05T06:30:00Z', method: 'card', ...extra });

/** Reference data first, so member_id / class_id checks resolve against the processed zone. */
const BASE: Case[] = [
  { file: 'members-base.csv', dataset: 'members', type: CSV, sees: '202; 3 members loaded', expect: { rowsIn: 3, processed: 3, quarantine: [] } },
  { file: 'classes-base.csv', dataset: 'classes', type: CSV, sees: '202; 2 classes loaded', expect: { rowsIn: 2, processed: 2, quarantine: [] } },
];

const CASES: Case[] = [
  // ---- refused at upload: nothing stored, no batch, nothing announced ----
  { file: 'attendance-empty.csv', dataset: 'attendance', type: CSV, sees: '400 EMPTY_BODY: the upload is empty', expect: { refused: 400, code: 'EMPTY_BODY', message: /^The upload is empty; send the export file as the request body\.$/ } },
  { file: 'attendance-blank-space.csv', dataset: 'attendance', type: CSV, sees: '400 EMPTY_BODY: only blank space is an empty upload', expect: { refused: 400, code: 'EMPTY_BODY', message: /^The upload is empty/ } },
  { file: 'binary-garbage.bin', dataset: 'attendance', type: 'application/octet-stream', sees: '415 BINARY_CONTENT: NUL bytes, so not CSV or JSON text', expect: { refused: 415, code: 'BINARY_CONTENT', message: /not CSV or JSON text: it contains NUL bytes/ } },
  { file: 'attendance-truncated.csv.gz', dataset: 'attendance', type: 'application/gzip', sees: '400 GZIP_CORRUPT: compress again and upload it whole', expect: { refused: 400, code: 'GZIP_CORRUPT', message: /truncated or corrupt \(unexpected end of file\); compress the export again and upload it whole/ } },
  { file: 'attendance-semicolon.csv', dataset: 'attendance', type: CSV, sees: '400 CSV_WRONG_DELIMITER: looks semicolon-separated; send comma-separated CSV', expect: { refused: 400, code: 'CSV_WRONG_DELIMITER', message: /semicolon-separated .*send comma-separated CSV/ } },
  { file: 'attendance-duplicate-headers.csv', dataset: 'attendance', type: CSV, sees: '400 CSV_DUPLICATE_COLUMNS: member_id at columns 2 and 7', expect: { refused: 400, code: 'CSV_DUPLICATE_COLUMNS', message: /"member_id" at columns 2, 7\. Each column may appear once/ } },
  { file: 'attendance-json-wrapper.json', dataset: 'attendance', type: JSON_ARRAY, sees: '400 NDJSON_NOT_ONE_OBJECT_PER_LINE: a wrapper object around the rows', expect: { refused: 400, code: 'NDJSON_NOT_ONE_OBJECT_PER_LINE', message: /none of the attendance columns \(it has: data\), so it looks like a wrapper/ } },
  { file: 'attendance-json-pretty-object.json', dataset: 'attendance', type: JSON_ARRAY, sees: '400 NDJSON_NOT_ONE_OBJECT_PER_LINE: a pretty-printed object', expect: { refused: 400, code: 'NDJSON_NOT_ONE_OBJECT_PER_LINE', message: /first line is not one complete JSON object \("\{"\)/ } },
  { file: 'attendance-json-scalar.json', dataset: 'attendance', type: JSON_ARRAY, sees: '415 FORMAT_MISMATCH: a JSON string is not a JSON array', expect: { refused: 415, code: 'FORMAT_MISMATCH', message: /says a JSON array, but the content starts with "\\""/ } },
  { file: 'big-single-line.csv', dataset: 'attendance', type: CSV, big: true, sees: '400 CSV_HEADER_TOO_LONG: no line break in the first 1 MiB', expect: { refused: 400, code: 'CSV_HEADER_TOO_LONG', message: /longer than 1 MiB; is this a CSV file with line breaks\?/ } },
  { file: 'big-single-line.ndjson', dataset: 'attendance', type: NDJSON, big: true, sees: '400 NDJSON_NOT_ONE_OBJECT_PER_LINE: first line longer than 1 MiB', expect: { refused: 400, code: 'NDJSON_NOT_ONE_OBJECT_PER_LINE', message: /its first line is longer than 1 MiB/ } },
  { file: 'big-5000-columns.csv', dataset: 'attendance', type: CSV, big: true, sees: '400 CSV_TOO_MANY_COLUMNS: 5000 columns, at most 1000', expect: { refused: 400, code: 'CSV_TOO_MANY_COLUMNS', message: /has 5000 columns; at most 1000 are accepted/ } },

  // ---- accepted; the batch is processed and the bad rows quarantined ----
  { file: 'attendance-header-only.csv', dataset: 'attendance', type: CSV, sees: '202; a day without rows: 0 in, 0 loaded, nothing quarantined', expect: { rowsIn: 0, processed: 0, quarantine: [] } },
  { file: 'attendance-bom.csv', dataset: 'attendance', type: CSV, sees: '202; BOM ignored; line 4 BAD_TYPE (05/01/2026 07:30)', expect: { rowsIn: 3, processed: 2, quarantine: [ok(4, att('K-bom-3', 'M000003', 'downtown', '05/01/2026 07:30', 'kiosk'), 'BAD_TYPE')] } },
  { file: 'attendance-crlf.csv', dataset: 'attendance', type: CSV, sees: '202; CRLF read as line ends; line 3 UNKNOWN_REFERENCE (M999999), raw text without CR', expect: { rowsIn: 3, processed: 2, quarantine: [ok(3, att('K-crlf-2', 'M999999', 'riverside', '2026-01-05T07:00:00Z', 'app'), 'UNKNOWN_REFERENCE')] } },
  { file: 'attendance-blank-lines.csv', dataset: 'attendance', type: CSV, sees: '202; blank lines are no rows; line 6 NOT_ALLOWED_VALUE (method door), counted by physical line', expect: { rowsIn: 2, processed: 1, quarantine: [ok(6, att('K-blank-2', 'M000002', 'riverside', '2026-01-05T07:30:00Z', 'door'), 'NOT_ALLOWED_VALUE')] } },
  { file: 'attendance-whitespace-line.csv', dataset: 'attendance', type: CSV, sees: '202; a line of only spaces or a tab is a record with one field: MALFORMED_RECORD at lines 3 and 5', expect: { rowsIn: 4, processed: 2, quarantine: [bad(3, 'too_few_fields', '   '), bad(5, 'too_few_fields', '\t')] } },
  { file: 'attendance-trailing-comma.csv', dataset: 'attendance', type: CSV, sees: '202; a trailing comma (an empty extra field) is tolerated; a non-empty extra field is MALFORMED_RECORD (line 5)', expect: { rowsIn: 4, processed: 3, quarantine: [bad(5, 'too_many_fields', `${att('K-tc-4', 'M000001', 'downtown', '2026-01-05T18:30:00Z')},north door`)] } },
  { file: 'attendance-mid-field-quote.csv', dataset: 'attendance', type: CSV, sees: '202; a quote inside a field is kept as a character, then checked: line 3 BAD_FORMAT (river"side), line 5 NOT_ALLOWED_VALUE (card")', expect: { rowsIn: 4, processed: 2, quarantine: [ok(3, att('K-mq-2', 'M000002', 'river"side', '2026-01-05T07:30:00Z', 'app'), 'BAD_FORMAT'), ok(5, att('K-mq-4', 'M000001', 'downtown', '2026-01-05T18:30:00Z', 'card"'), 'NOT_ALLOWED_VALUE')] } },
  { file: 'attendance-unterminated-quote-last.csv', dataset: 'attendance', type: CSV, sees: '202; the last line opens a quote that never closes: that line MALFORMED_RECORD, the rows before it load', expect: { rowsIn: 3, processed: 2, quarantine: [bad(4, 'bad_quoting', `${att('K-uql-3', 'M000003', '"downtown', '2026-01-05T08:30:00Z', 'kiosk')}\n`)] } },
  {
    file: 'attendance-unterminated-quote-middle.csv', dataset: 'attendance', type: CSV,
    sees: '202; a quote opened on line 3 never closes, so lines 3–5 are one broken record (MALFORMED_RECORD at line 3, raw text = the rest of the file); only line 2 loads',
    expect: { rowsIn: 2, processed: 1, quarantine: [bad(3, 'bad_quoting', `${att('K-uqm-2', 'M000002', '"riverside', '2026-01-05T07:30:00Z', 'app')}\n${att('K-uqm-3', 'M000003', 'downtown', '2026-01-05T08:30:00Z', 'kiosk')}\n${att('K-uqm-4', 'M000001', 'downtown', '2026-01-05T18:30:00Z')}\n`)] },
  },
  { file: 'attendance-invalid-utf8.csv', dataset: 'attendance', type: CSV, sees: '202; lines 3 and 4 hold bytes that are not UTF-8: MALFORMED_RECORD, raw text shown as Latin-1', expect: { rowsIn: 4, processed: 2, quarantine: [bad(3, 'invalid_utf8', att('K-utf-2', 'M000002', 'down\u00c3(town', '2026-01-05T07:30:00Z', 'app')), bad(4, 'invalid_utf8', att('K-utf-3', 'M000003', '\u00ffriverside', '2026-01-05T08:30:00Z', 'kiosk'))] } },
  {
    file: 'members-latin1.csv', dataset: 'members', type: CSV,
    sees: '202; a Latin-1 file: the rows with accents (lines 2, 4) are MALFORMED_RECORD, shown readable; the ASCII row loads',
    expect: { rowsIn: 3, processed: 1, quarantine: [
      bad(2, 'invalid_utf8', 'M100001,zoe.muller@example.com,Zoë,Müller,downtown,2026-01-06,unlimited,active,,1992,true,2026-01-06T10:00:00Z'),
      bad(4, 'invalid_utf8', 'M100003,jose.pena@example.com,José,Peña,downtown,2026-01-06,intro_offer,active,,2001,true,2026-01-06T12:00:00Z'),
    ] },
  },
  {
    file: 'transactions-quoted-multiline.csv', dataset: 'transactions', type: CSV,
    sees: '202; a quoted description spanning lines 2–3 and one with "" and a comma load as they are; line 5 OUT_OF_RANGE (-9.00), counted by physical line',
    expect: {
      rowsIn: 3, processed: 2, quarantine: [ok(5, 'T-ml-3,M000003,downtown,2026-01-05T12:00:00Z,retail,-9.00,USD,settled,,Towel', 'OUT_OF_RANGE')],
      rows: { sql: 'SELECT transaction_id, description FROM data ORDER BY 1', want: [{ transaction_id: 'T-ml-1', description: 'Water bottle\nand towel' }, { transaction_id: 'T-ml-2', description: 'Bar "Peanut", 60 g' }] },
    },
  },
  {
    file: 'attendance-array-pretty.json', dataset: 'attendance', type: JSON_ARRAY,
    sees: '202; a pretty-printed JSON array reads fine; element 2 has a key the contract lacks (door): MALFORMED_RECORD, line = element number',
    expect: { rowsIn: 3, processed: 2, quarantine: [bad(2, 'unknown_key', '{\n    "checkin_id": "K-ap-2",\n    "member_id": "M000002",\n    "location_id": "downtown",\n    "checked_in_at": "2026-01-05T06:30:00Z",\n    "method": "card",\n    "door": "north"\n  }')] },
  },
  { file: 'attendance-array-minified.json', dataset: 'attendance', type: JSON_ARRAY, sees: '202; a minified array (one line) reads fine; element 3 NOT_ALLOWED_VALUE (turnstile)', expect: { rowsIn: 3, processed: 2, quarantine: [ok(3, json('K-am-3', { method: 'turnstile' }, 'M000003'), 'NOT_ALLOWED_VALUE')] } },
  {
    file: 'attendance-array-non-object.json', dataset: 'attendance', type: JSON_ARRAY,
    sees: '202; elements 2–6 are not objects (42, "K-ano-x", null, [1,2], true): MALFORMED_RECORD each; the two objects load',
    expect: { rowsIn: 7, processed: 2, quarantine: [bad(2, 'not_an_object', '42'), bad(3, 'not_an_object', '"K-ano-x"'), bad(4, 'not_an_object', 'null'), bad(5, 'not_an_object', '[1,2]'), bad(6, 'not_an_object', 'true')] },
  },
  { file: 'attendance-crlf.ndjson', dataset: 'attendance', type: NDJSON, sees: '202; CRLF NDJSON reads fine; line 2 BAD_TYPE (2026-01-05 07:30 has no T and offset), raw text without CR', expect: { rowsIn: 3, processed: 2, quarantine: [ok(2, json('K-ncrlf-2', { checked_in_at: '2026-01-05 07:30' }, 'M000002'), 'BAD_TYPE')] } },
  {
    file: 'attendance-bom.ndjson', dataset: 'attendance', type: NDJSON,
    sees: '202; BOM ignored (not in the raw text); line 1 NOT_ALLOWED_VALUE (door); line 3 is cut off: MALFORMED_RECORD',
    expect: { rowsIn: 3, processed: 1, quarantine: [ok(1, json('K-nbom-1', { method: 'door' }), 'NOT_ALLOWED_VALUE'), bad(3, 'bad_json', '{"checkin_id":"K-nbom-3","member_id":"M0')] },
  },
  {
    file: 'attendance-unknown-key.ndjson', dataset: 'attendance', type: NDJSON,
    sees: '202; keys the contract lacks (door; Method with a capital M) make the record MALFORMED_RECORD (lines 2, 3)',
    expect: { rowsIn: 3, processed: 1, quarantine: [
      bad(2, 'unknown_key', json('K-uk-2', { door: 'north' }, 'M000002')),
      bad(3, 'unknown_key', '{"checkin_id":"K-uk-3","member_id":"M000003","location_id":"downtown","checked_in_at":"2026-01-05T06:30:00Z","Method":"app"}'),
    ] },
  },
  {
    file: 'attendance-nested.ndjson', dataset: 'attendance', type: NDJSON,
    sees: '202; an object or array as a column value (lines 2, 3) and a nested object under an unknown key (line 4): MALFORMED_RECORD',
    expect: { rowsIn: 4, processed: 1, quarantine: [
      bad(2, 'nested_value', json('K-nest-2', { member_id: { id: 'M000002' } })),
      bad(3, 'nested_value', json('K-nest-3', { location_id: ['downtown', 'riverside'] })),
      bad(4, 'unknown_key', json('K-nest-4', { meta: { door: 'north' } })),
    ] },
  },
  {
    file: 'attendance-pretty-inside.ndjson', dataset: 'attendance', type: NDJSON,
    sees: '202; NDJSON is read line by line: a pretty-printed object on lines 2–8 is seven broken lines, MALFORMED_RECORD each',
    expect: { rowsIn: 9, processed: 2, quarantine: [
      bad(2, 'bad_json', '{'), bad(3, 'bad_json', '  "checkin_id": "K-pi-2",'), bad(4, 'bad_json', '  "member_id": "M000002",'), bad(5, 'bad_json', '  "location_id": "downtown",'),
      bad(6, 'bad_json', '  "checked_in_at": "2026-01-05T06:30:00Z",'), bad(7, 'bad_json', '  "method": "card"'), bad(8, 'bad_json', '}'),
    ] },
  },
  {
    file: 'members-json-scalars.ndjson', dataset: 'members', type: NDJSON,
    sees: '202; JSON numbers and booleans are read as their text, like CSV: 123 and true load as names, 100105 as an id, "false"/"1990" as boolean/integer; plan true is NOT_ALLOWED_VALUE (line 2), opt-in 1 is BAD_TYPE (line 4), a null name MISSING_REQUIRED (line 6)',
    expect: {
      rowsIn: 6, processed: 3,
      quarantine: [
        ok(2, '{"member_id":"M100102","email":"m100102@example.com","first_name":"Sam","last_name":"Reed","home_location_id":"downtown","join_date":"2026-01-07","plan":true,"status":"active","marketing_opt_in":true,"updated_at":"2026-01-07T10:00:00Z"}', 'NOT_ALLOWED_VALUE'),
        ok(4, '{"member_id":"M100104","email":"m100104@example.com","first_name":"Sam","last_name":"Reed","home_location_id":"downtown","join_date":"2026-01-07","plan":"unlimited","status":"active","marketing_opt_in":1,"updated_at":"2026-01-07T10:00:00Z"}', 'BAD_TYPE'),
        ok(6, '{"member_id":"M100106","email":"m100106@example.com","first_name":null,"last_name":"Reed","home_location_id":"downtown","join_date":"2026-01-07","plan":"unlimited","status":"active","marketing_opt_in":true,"updated_at":"2026-01-07T10:00:00Z"}', 'MISSING_REQUIRED'),
      ],
      rows: {
        sql: 'SELECT member_id, first_name, last_name, marketing_opt_in, birth_year FROM data ORDER BY 1',
        want: [
          { member_id: '100105', first_name: 'Sam', last_name: 'Reed', marketing_opt_in: true, birth_year: null },
          { member_id: 'M100101', first_name: '123', last_name: 'true', marketing_opt_in: true, birth_year: null },
          { member_id: 'M100103', first_name: 'Sam', last_name: 'Reed', marketing_opt_in: false, birth_year: 1990 },
        ],
      },
    },
  },
  {
    file: 'big-line-inside.csv', dataset: 'attendance', type: CSV, big: true,
    sees: '202; a 10 MB line is over the ETL\'s line limit: MALFORMED_RECORD at line 3, its raw text cut at 1 MiB; the other rows load',
    expect: { rowsIn: 3, processed: 2, quarantine: [bad(3, 'line_too_long', `${HUGE_CSV_ROW.slice(0, MAX_RAW)}…[cut at ${MAX_RAW} bytes]`)] },
  },
  {
    file: 'big-line-inside.ndjson', dataset: 'attendance', type: NDJSON, big: true,
    sees: '202; a 10 MB NDJSON line: MALFORMED_RECORD at line 2, raw text cut at 1 MiB; the other rows load',
    expect: { rowsIn: 3, processed: 2, quarantine: [bad(2, 'line_too_long', `${HUGE_NDJSON_ROW.slice(0, MAX_RAW)}…[cut at ${MAX_RAW} bytes]`)] },
  },
  { file: 'big-5000-keys.ndjson', dataset: 'attendance', type: NDJSON, big: true, sees: '202; an object with 4,995 keys the contract lacks: MALFORMED_RECORD, whole text kept', expect: { rowsIn: 1, processed: 0, quarantine: [bad(1, 'unknown_key', WIDE_NDJSON_ROW)] } },

  // ---- accepted, but not readable as records: the batch fails as a whole ----
  {
    file: 'attendance-array-truncated.json', dataset: 'attendance', type: JSON_ARRAY,
    sees: '202 at upload (ingest does not parse a JSON array), then the batch is failed: "unusable input: the file is not a JSON array of objects (… unexpected end of data …)"; nothing loaded or quarantined',
    expect: { failed: /^unusable input: the file is not a JSON array of objects \(.*unexpected end of data.*\); send a JSON array or one object per line \(NDJSON\)$/ },
  },
];

type Answer = BatchRecord & { duplicate: boolean; links: { quarantine?: { key: string; path?: string } } };

/** A raw text as compared: itself, or for a huge one its length, digest and ends (a diff of megabytes helps no one). */
const shown = (raw: string) =>
  raw.length <= 4096 ? raw : { chars: raw.length, sha256: createHash('sha256').update(raw).digest('hex'), head: raw.slice(0, 80), tail: raw.slice(-40) };

/** Runs one query on a throwaway DuckDB; `FROM data` reads the given Parquet files. */
async function query(sql: string, files: string[]): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    const from = `read_parquet([${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}], hive_partitioning = false)`;
    return (await con.runAndReadAll(sql.replace('FROM data', `FROM ${from}`))).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** Ingest and the ETL over one lake folder: upload a body, then process what ingest announced. */
async function pipeline(t: Test, lakeDir: string) {
  const config = readConfig({ LAKE_URI: pathToFileURL(lakeDir).href, INGEST_API_KEYS: API_KEYS });
  const app = await buildForTest(t, () => buildApp(config, { sqs }));
  const announced: BatchProcessed[] = [];
  const deps: BatchDeps = { lake: app.lake, registry: app.batches, announce: async (m) => void announced.push(m), workDir: join(lakeDir, '..', 'work'), log: { info: () => {}, warn: () => {} } };
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'raw-landed' }));

  /** Every raw-landed message waiting (each deleted once read). */
  const drain = async (): Promise<RawLanded[]> => {
    const found: RawLanded[] = [];
    for (;;) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!out.Messages?.length) return found;
      for (const m of out.Messages) {
        found.push(JSON.parse(m.Body ?? '{}') as RawLanded);
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    }
  };
  const upload = (dataset: DatasetName, type: string, payload: Buffer | Readable, encoding?: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/datasets/${dataset}/batches`,
      headers: { authorization: `Bearer ${keyOf(dataset)}`, 'content-type': type, ...(encoding ? { 'content-encoding': encoding } : {}) },
      payload,
    });
  /** Processes the batch ingest announced, then answers what GET /v1/batches/:id shows the user. */
  const etl = async (batchId: string): Promise<Answer> => {
    await processBatch(batchId, { receiveCount: 1, maxReceiveCount: 3 }, deps);
    return (await app.inject({ method: 'GET', url: `/v1/batches/${batchId}`, headers: { authorization: `Bearer ${keyOf('members')}` } })).json<Answer>();
  };
  const localFiles = (keys: readonly string[] = []) => keys.map((k) => app.lake.localPath(k) ?? '');
  return { app, drain, upload, etl, announced, localFiles };
}
type Pipeline = Awaited<ReturnType<typeof pipeline>>;

/** Uploads one fixture and checks all of its path; returns the batch (undefined when refused). */
async function runCase(t: Test, p: Pipeline, c: Case, path: string): Promise<Answer | undefined> {
  const payload = c.big ? createReadStream(path, { highWaterMark: 64 * 1024 }) : await readFile(path);
  const res = await p.upload(c.dataset, c.type, payload, c.encoding);
  const landed = await p.drain();
  if ('refused' in c.expect) {
    t.equal(res.statusCode, c.expect.refused, `refused with ${c.expect.refused}`);
    t.equal(INGEST_ERRORS[c.expect.code], c.expect.refused, `${c.expect.code} is documented with that status`);
    t.match(res.json(), { code: c.expect.code, message: c.expect.message }, `${c.expect.code} and a message saying what to do`);
    t.same(landed, [], 'nothing announced');
    return undefined;
  }
  t.equal(res.statusCode, 202, `accepted: ${res.body.slice(0, 300)}`);
  const accepted = res.json<Answer>();
  t.same(landed.map((m) => m.batchId), [accepted.batchId], 'announced once on raw-landed');
  const batch = await p.etl(accepted.batchId);
  const message = p.announced.at(-1);
  if ('failed' in c.expect) {
    t.match(batch, { status: 'failed', error: c.expect.failed }, 'the batch failed as a whole, saying why');
    t.notOk(batch.rowsIn !== undefined || batch.quarantineKey, 'no rows counted, nothing quarantined');
    t.match(message, { batchId: accepted.batchId, status: 'failed', error: c.expect.failed }, 'batch-processed says failed');
    return batch;
  }
  const want = c.expect;
  t.match(batch, { status: 'processed', rowsIn: want.rowsIn, rowsProcessed: want.processed, rowsQuarantined: want.quarantine.length }, 'processed with these counts');
  t.equal(batch.rowsIn, (batch.rowsProcessed ?? NaN) + (batch.rowsQuarantined ?? NaN), 'rows in = processed + quarantined');
  const reasons: Record<string, number> = {};
  for (const q of want.quarantine) for (const r of q.reasons) reasons[r] = (reasons[r] ?? 0) + 1;
  t.same(batch.reasons, reasons, 'quarantined rows per reason code');
  t.match(message, { batchId: accepted.batchId, status: 'processed', rowsIn: want.rowsIn, rowsProcessed: want.processed, rowsQuarantined: want.quarantine.length }, 'batch-processed carries the counts');
  if (want.quarantine.length === 0) {
    t.equal(batch.links.quarantine, undefined, 'no quarantine link when nothing is quarantined');
  } else {
    const rows = await query('SELECT line, reasons, malformed_detail, raw_record FROM data ORDER BY line', [batch.links.quarantine?.path ?? '']);
    t.same(
      rows.map((r) => ({ line: Number(r.line), reasons: r.reasons, ...(r.malformed_detail === null ? {} : { detail: r.malformed_detail }), raw: shown(String(r.raw_record)) })),
      want.quarantine.map((q) => ({ ...q, raw: shown(q.raw) })),
      'the quarantine, row for row: line, reasons, raw text',
    );
  }
  if (want.rows) t.same(await query(want.rows.sql, p.localFiles(batch.processedKeys)), want.rows.want, 'the loaded rows as stored');
  return batch;
}

t.test('bad-input corpus: each file gets its exact 4xx, or its exact quarantine, through ingest and the ETL', async (t) => {
  const dir = t.testdir();
  const big = await writeBigFixtures(join(dir, 'big'));
  const p = await pipeline(t, join(dir, 'lake'));
  const pathOf = (c: Case) => (c.big ? big[c.file] : join(FIXTURES, c.file)) ?? '';

  for (const c of BASE) await t.test(`${c.file} (reference data)`, async (t) => void (await runCase(t, p, c, pathOf(c))));
  const accepted: Answer[] = [];
  for (const c of CASES) {
    await t.test(`${c.file} as ${c.dataset} (${c.type}${c.encoding ? `, ${c.encoding}` : ''}) — the user sees: ${c.sees}`, async (t) => {
      const batch = await runCase(t, p, c, pathOf(c));
      if (batch) accepted.push(batch);
    });
  }

  await t.test('the services are still standing, and nothing was left half-done', async (t) => {
    t.equal((await p.app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'ingest answers /health');
    const records = await p.app.batches.list({ limit: 500 });
    t.equal(records.items.length, BASE.length + accepted.length, 'a batch for each accepted upload, none for a refusal');
    t.same(records.items.filter((r) => r.status !== 'processed' && r.status !== 'failed'), [], 'every batch ended processed or failed: none stalled');
    const files = (await readdir(join(dir, 'lake'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    t.equal(files.filter((f) => f.includes('/raw/')).length, BASE.length + accepted.length, 'a raw object for each accepted upload only');
    t.same(files.filter((f) => f.includes('.lake-tmp-')), [], 'no temp files');
    t.same(await p.drain(), [], 'nothing left on raw-landed');
  });
});

t.test('the corpus, its README and this test list the same files', async (t) => {
  const committed = (await readdir(FIXTURES)).filter((f) => !f.startsWith('.') && f !== 'README.md' && f !== 'generate-big.ts');
  const generated = Object.keys(bigFixtures());
  const tested = [...BASE, ...CASES].map((c) => c.file);
  t.same([...committed, ...generated].sort(), [...tested].sort(), 'every fixture has a case, every case a fixture');
  const readme = await readFile(join(FIXTURES, 'README.md'), 'utf8');
  t.same(tested.filter((f) => !readme.includes(`\`${f}\``)), [], 'the README has a row for every fixture');
});

/** Which reason codes fit each injected defect kind (file-level kinds must not quarantine anything). */
const FITS: Record<Exclude<DefectKind, 'wrong_column_order' | 'crlf_line_endings' | 'utf8_bom'>, ReasonCode[]> = {
  bad_date: ['BAD_TYPE'],
  missing_id: ['MISSING_REQUIRED'],
  unknown_member_id: ['UNKNOWN_REFERENCE'],
  unknown_class_id: ['UNKNOWN_REFERENCE'],
  negative_amount: ['OUT_OF_RANGE'],
  non_numeric_amount: ['BAD_TYPE'],
  duplicate_row: ['DUPLICATE_IN_BATCH'],
  extra_column: ['MALFORMED_RECORD'], // CSV: one field too many; NDJSON: a key the contract lacks
  missing_column: ['MALFORMED_RECORD', 'MISSING_REQUIRED'], // CSV: one field too few; NDJSON: an absent required key
  latin1_text: ['MALFORMED_RECORD'],
  unterminated_quote: ['MALFORMED_RECORD'],
  malformed_line: ['MALFORMED_RECORD'],
};
const WAVES = loadWaves();
const CONTENT_TYPE = { csv: CSV, json: JSON_ARRAY, ndjson: NDJSON } as const;

t.test('--dirty sample through ingest and the ETL: the dirty manifest and the quarantine agree row for row', async (t) => {
  const dir = t.testdir();
  const options = { members: 60, days: 21, end: '2026-06-30', seed: 11 };
  // The same seed without defects simulates the same data: it names every real member and class.
  const clean = await generate({ ...options, out: join(dir, 'clean') });
  const dirty = await generate({ ...options, out: join(dir, 'dirty'), dirty: 0.05 });
  const defects = dirty.dirty.defects;
  t.same([...new Set(defects.map((d) => d.kind))].sort(), [...DEFECT_KINDS].sort(), 'the sample has every kind of defect the generator makes');
  const firstColumn = async (file: string) => new Set((await readFile(join(dir, 'clean', file), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',')[0] ?? ''));
  const real: Partial<Record<DatasetName, Set<string>>> = { members: await firstColumn('exports/members.csv'), classes: await firstColumn('exports/classes.csv') };
  t.equal(real.members?.size, clean.rows.members, 'every real member id');

  const p = await pipeline(t, join(dir, 'lake'));
  const loaded: Partial<Record<DatasetName, Set<string>>> = {};
  let cascades = 0;
  for (const wave of WAVES) {
    for (const name of wave) {
      const file = dirty.manifest.files.find((f) => f.dataset === name);
      if (!file) throw new Error(`no ${name} export`);
      const res = await p.upload(name, CONTENT_TYPE[file.format], await readFile(join(dir, 'dirty', file.file)));
      t.equal(res.statusCode, 202, `${name}: the dirty export is accepted`);
      const [landed] = await p.drain();
      const batch = await p.etl(landed?.batchId ?? '');
      t.equal(batch.status, 'processed', `${name}: processed`);
      t.equal(batch.rowsIn, file.rows, `${name}: every data line is a row in (${file.rows})`);
      t.equal(batch.rowsIn, (batch.rowsProcessed ?? NaN) + (batch.rowsQuarantined ?? NaN), `${name}: rows in = processed + quarantined`);

      const contract = datasets[name];
      const required: readonly string[] = contract.row.required ?? [];
      const key = contract.primaryKey[0] ?? '';
      loaded[name] = new Set((await query(`SELECT DISTINCT "${key}" AS k FROM data`, p.localFiles(batch.processedKeys))).map((r) => String(r.k)));
      const refCols = contract.references.map((r) => `raw_${r.column}`);
      const rows = batch.links.quarantine?.path
        ? await query(`SELECT line, reasons${refCols.map((c) => `, "${c}"`).join('')} FROM data`, [batch.links.quarantine.path])
        : [];
      const quarantined = new Map(rows.map((r) => [Number(r.line), r]));
      const listed = defects.filter((d) => d.dataset === name && d.line !== undefined);

      for (const d of listed) {
        const reasons = quarantined.get(d.line ?? -1)?.reasons as ReasonCode[] | undefined;
        const kind = d.kind as keyof typeof FITS;
        if (kind === 'missing_column' && file.format !== 'csv' && !required.includes(d.column ?? '')) {
          // An absent optional key is a valid JSON row: it loads (unless its member did not — checked below).
          t.ok(reasons === undefined || isCascade(name, reasons, quarantined.get(d.line ?? -1)), `${name} line ${d.line}: missing optional key ${d.column} is no defect`);
          continue;
        }
        t.ok(reasons?.some((r) => FITS[kind].includes(r)), `${name} line ${d.line}: ${kind} (${d.detail}) → ${JSON.stringify(reasons)}`);
      }
      const lines = new Set(listed.map((d) => d.line));
      const unlisted = [...quarantined.entries()].filter(([line]) => !lines.has(line));
      // A row the manifest does not list may only be quarantined because the member or class it
      // names is real but its own row was quarantined: the reference check cannot find it loaded.
      const wrong = unlisted.filter(([, row]) => !isCascade(name, row.reasons as ReasonCode[], row));
      // File-level defects (column order, CRLF, BOM) must quarantine nothing: were one misread, every row would show here.
      const fileDefects = defects.filter((d) => d.dataset === name && d.line === undefined).map((d) => d.kind);
      const despite = fileDefects.length > 0 ? ` (the file has ${fileDefects.join(', ')})` : '';
      t.same(wrong.map(([line, row]) => ({ line, reasons: row.reasons })), [], `${name}${despite}: no row without a listed defect is quarantined, but ${unlisted.length} whose member or class row was`);
      cascades += unlisted.length;
    }
  }
  t.ok(cascades > 0, `${cascades} rows follow their member's or class's quarantined row into the quarantine`);

  /** Quarantined only because a member or class it names is real (in the clean sample) but was not loaded. */
  function isCascade(name: DatasetName, reasons: readonly ReasonCode[], row: Record<string, unknown> | undefined): boolean {
    if (!row || reasons.length !== 1 || reasons[0] !== 'UNKNOWN_REFERENCE') return false;
    return datasets[name].references.some((r) => {
      const value = row[`raw_${r.column}`];
      return typeof value === 'string' && real[r.dataset]?.has(value) === true && loaded[r.dataset]?.has(value) === false;
    });
  }
});
