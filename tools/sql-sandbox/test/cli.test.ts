import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { formatResult } from '@peak/sql-sandbox';
import { tinyLake } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

type Run = { code: number | null; stdout: string; stderr: string };

/** `node --import tsx tools/sql-sandbox/src/cli.ts …` from the repo root, with `input` on stdin. */
function cli(args: string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/sql-sandbox/src/cli.ts', ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

// The runs are independent: in parallel, so the file stays quick although each one boots tsx.
t.test('the console: -c, refusals, the REPL, a missing lake', async (t) => {
  const lake = await tinyLake(t);
  const [ok, refused, repl, noLake] = await Promise.all([
    cli(['--lake', lake, '-c', 'SELECT location_id, count(*) AS visits FROM fact_attendance GROUP BY 1 ORDER BY 1']),
    cli(['--lake', lake, '-c', 'DROP VIEW members']),
    cli(['--lake', lake], ['.tables', '.schema fact_attendance', 'SELECT member_id,', '       plan', 'FROM dim_members ORDER BY 1;', 'SELECT * FROM nowhere;', 'DELETE FROM members;', '.quit', 'SELECT 1;'].join('\n')),
    cli(['--lake', join(lake, 'nowhere'), '-c', 'SELECT 1']),
  ]);

  t.equal(ok.code, 0, '-c exits 0');
  t.same(ok.stdout.split('\n').slice(0, 4), ['location_id │ visits', '────────────┼───────', 'downtown    │      4', 'uptown      │      1'], 'an aligned table, numbers to the right');
  t.match(ok.stdout, /^\(2 rows; \d+ ms\)$/m, 'row count and elapsed time');

  t.equal(refused.code, 1, 'a refusal exits 1');
  t.match(refused.stderr, /^refused: only one read-only query \(SELECT …\) per request: found DROP/m, 'and says why');
  t.equal(refused.stdout, '', 'nothing on stdout');

  t.equal(repl.code, 0, 'the REPL ends on .quit');
  t.match(repl.stdout, /^fact_attendance\s+One row per check-in/m, '.tables lists the views with their descriptions');
  t.match(repl.stdout, /^ {2}local_hour\s+INTEGER\s+Hour of day/m, '.schema lists columns, types and meanings');
  t.match(repl.stdout, /member_id │ plan\s*\n.*\nM1 +│ unlimited\s*\nM2 +│ unlimited\s*\n\(2 rows; \d+ ms\)/, 'a query over several lines runs at the ;');
  t.match(repl.stderr, /error: Catalog Error: Table with name nowhere does not exist/, 'an error is printed and the REPL goes on');
  t.match(repl.stderr, /refused: .*found DELETE/, 'so is a refusal');
  t.notMatch(repl.stdout, /\(1 row;/, 'nothing runs after .quit');

  t.equal(noLake.code, 1, 'a missing lake exits 1');
  t.match(noLake.stderr, /no lake folder at .*nowhere.*or pass --lake <folder>/);
});

t.test('formatResult: NULLs, long and nested values, the truncated note, EXPLAIN as it is', async (t) => {
  const table = formatResult({
    columns: [
      { name: 'name', type: 'VARCHAR' },
      { name: 'n', type: 'BIGINT' },
      { name: 'tags', type: 'VARCHAR[]' },
    ],
    rows: [
      ['a', 1, ['x']],
      [null, 12345, null],
      ['y'.repeat(80), null, { k: 'v' }],
    ],
    truncated: true,
    elapsedMs: 7,
  });
  t.same(table.split('\n'), [
    `name${' '.repeat(56)} │ n     │ tags     `,
    `${'─'.repeat(60)}─┼───────┼──────────`,
    `a${' '.repeat(59)} │     1 │ ["x"]    `,
    `NULL${' '.repeat(56)} │ 12345 │ NULL     `,
    `${'y'.repeat(59)}… │  NULL │ {"k":"v"}`,
    '(3 rows, truncated: the sandbox returns at most this many; 7 ms)',
  ]);
  const plan = formatResult({ columns: [{ name: 'explain_key', type: 'VARCHAR' }, { name: 'explain_value', type: 'VARCHAR' }], rows: [['physical_plan', '┌─┐\n└─┘']], truncated: false, elapsedMs: 1 });
  t.equal(plan, '┌─┐\n└─┘\n(1 row; 1 ms)', 'the plan keeps its lines');
  t.equal(formatResult({ columns: [{ name: 'x', type: 'INTEGER' }], rows: [], truncated: false, elapsedMs: 0 }), 'x\n─\n(0 rows; 0 ms)', 'no rows');
});
