import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { locateRecords } from '@peak/etl';
import { readHeader } from '../src/executors/read-input.js';

/**
 * The Glue job (services/etl/glue/peak_etl_job.py) as far as this machine allows: Python 3.11 is here,
 * the `duckdb` Python package is not (glue-job-run.test.ts runs the whole job against DuckDB through a bridge).
 */
const JOB_DIR = join(import.meta.dirname, '..', 'glue');
const JOB = join(JOB_DIR, 'peak_etl_job.py');
const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }; // no __pycache__ in the repo

function python(args: string[], input?: string): string {
  const r = spawnSync('python3', args, { input, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`python3 is needed for this test: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`python3 exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

t.test('the job compiles, and uses no syntax newer than Python 3.9 (Glue Python shell)', async (t) => {
  const out = python(['-c', `
import ast, py_compile, sys, tempfile, os
src = open(sys.argv[1], encoding="utf-8").read()
ast.parse(src, feature_version=(3, 9))
with tempfile.TemporaryDirectory() as d:
    py_compile.compile(sys.argv[1], cfile=os.path.join(d, "job.pyc"), doraise=True)
print("ok")`, JOB]);
  t.equal(out.trim(), 'ok');
});

t.test('--help names every argument', async (t) => {
  const out = python([JOB, '--help']);
  for (const arg of ['--batch_id', '--bundle_uri', '--lake_uri', '--processed_queue_url', '--max_attempts', '--work_dir']) t.match(out, arg);
});

type LocateCase = { kind: 'locate'; name: string; bytes: Buffer; chunk: number; header: boolean; quoting: boolean; keptOrdinals: number[]; rejectedLines: number[]; maxRawBytes: number };
type HeaderCase = { kind: 'header'; name: string; bytes: Buffer; chunk: number; maxBytes: number };

const csv: [string, string | Buffer][] = [
  ['plain', 'a,b\n1,2\n3,4\n'],
  ['quotes spanning lines', 'a,b\n"x\ny",2\n"p\n\nq",3\n4,"last\n"\n'],
  ['escaped quotes', 'a,b\n"he said ""hi""",2\n"""",3\n"a""\n""b",4\n'],
  ['blank and whitespace lines', 'a,b\n\n1,2\n   \n\r\n3,4\n\t\n\n'],
  ['CRLF, also inside quotes', 'a,b\r\n1,2\r\n"x\r\ny",3\r\n\r\n4,5\r\n'],
  ['BOM', '\ufeffa,b\n1,2\n3,4\n'],
  ['invalid UTF-8 (Latin-1)', Buffer.from('a,b\n1,Caf\xe9\n2,ok\n3,\xff\xfe\n', 'latin1')],
  ['unterminated quote at the end', 'a,b\n1,2\n"open,3\nmore\nand more'],
  ['a quote inside a field is plain text', 'a,b\n1,x"y\n2,"z"w\n3,",\n4,5\n'],
  ['no final newline', 'a,b\n1,2\n3,4'],
  ['runs of CR', 'a,b\n\r\r\n1,2\n\r\r\r\n3,4\r\r\n'],
  ['CR only, no LF', 'a,b\r1,2\r3,4\r'],
  ['multibyte text', 'a,b\n1,ééé€€€😀😀\n2,"ü\nß"\n'],
  ['long lines', `a,b\n1,${'x'.repeat(100_000)}\n2,"${'y\n'.repeat(3000)}"\n3,3\n`],
];
const ndjson: [string, string | Buffer][] = [
  ['objects, blank lines', '{"a":1}\n\n{"a":"x\\ny"}\n  \n{"a":"q\\"uote"}\n'],
  ['BOM and CRLF', '\ufeff{"a":1}\r\n{"a":2}\r\n\r\n'],
  ['quotes do not span lines', '{"a":"open\n{"a":2}\n"\n'],
  ['invalid UTF-8', Buffer.from('{"a":"Caf\xe9"}\n{"a":2}\n', 'latin1')],
  ['no final newline', '{"a":1}\n{"a":2}'],
];

/** The same bytes cut into chunks of different sizes (the scanner keeps its state across chunks). */
const CHUNKS = [1, 2, 3, 7, 64, 1 << 20];
const wants = [
  { keptOrdinals: Array.from({ length: 100 }, (_, i) => i), rejectedLines: [], maxRawBytes: 1 << 20 },
  { keptOrdinals: [1, 3], rejectedLines: [2, 4, 5], maxRawBytes: 1 << 20 },
  { keptOrdinals: Array.from({ length: 100 }, (_, i) => i), rejectedLines: [3], maxRawBytes: 7 },
];

const cases: (LocateCase | HeaderCase)[] = [];
for (const [group, list, header, quoting] of [['csv', csv, true, true], ['ndjson', ndjson, false, false]] as const) {
  for (const [name, text] of list) {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
    for (const chunk of CHUNKS) {
      if (chunk < 7 && bytes.length > 10_000) continue; // byte-by-byte over 100 KB adds nothing but time
      for (const w of wants) cases.push({ kind: 'locate', name: `${group}: ${name} (chunks of ${chunk}, ${JSON.stringify(w.rejectedLines)}, max ${w.maxRawBytes})`, bytes, chunk, header, quoting, ...w });
    }
  }
}
const headers: [string, string | Buffer][] = [
  ['plain', 'a,b,c\n1,2,3\n'],
  ['BOM and CRLF', '\ufeffa,b\r\n1,2\r\n'],
  ['quoted names', '"a,b","c""d",e\n'],
  ['spaces JavaScript trims and Python would not (and the reverse)', ' a ,\tb\t,\u00a0c\u00a0,\ufeffd\ufeff,\u001fe\u001f,\u2028f\u3000\n'],
  ['empty file', ''],
  ['starts with a newline', '\na,b\n'],
  ['no newline at all', 'a,b'],
  ['a name twice', 'a,b,a\n'],
  ['invalid UTF-8', Buffer.from('a,\xff\xfe,b,\xe2\x82,c\n', 'latin1')],
  ['too long', `${'x,'.repeat(600_000)}\n`],
];
for (const [name, text] of headers) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  for (const chunk of [1, 5, 65_536]) {
    if (chunk < 10 && bytes.length > 10_000) continue;
    cases.push({ kind: 'header', name: `header: ${name} (chunks of ${chunk})`, bytes, chunk, maxBytes: 1 << 20 });
  }
}

const cut = (bytes: Buffer, size: number) => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

t.test('the Python line scanner and header reader find exactly what the TypeScript ones find', async (t) => {
  const out = JSON.parse(python([join(import.meta.dirname, 'python', 'scan.py'), JOB_DIR], JSON.stringify(cases.map((c) => ({ ...c, bytes: c.bytes.toString('base64') }))))) as {
    withoutDuckdb: boolean; withoutBoto3: boolean; results: unknown[];
  };
  t.ok(out.withoutDuckdb, 'the scanner was imported from the job module without the duckdb package');
  t.equal(out.results.length, cases.length);
  let located = 0;
  for (const [i, c] of cases.entries()) {
    let expected: unknown;
    if (c.kind === 'locate') {
      const r = await locateRecords(Readable.from(cut(c.bytes, c.chunk)), c);
      located += r.located.length;
      expected = { located: r.located, keptRows: r.keptRows, rejectedRows: r.rejectedRows };
    } else {
      try {
        expected = { header: (await readHeader(Readable.from(cut(c.bytes, c.chunk)))) ?? null };
      } catch (err) {
        expected = { error: (err as Error).message };
      }
    }
    t.same(out.results[i], expected, c.name);
  }
  t.ok(located > 500, `${located} records located and compared`);
});
