import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { HELP, parseCli } from '../src/args.js';
import { resolveOptions } from '../src/index.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Flags as the CLI turns them into options, including the range checks generate() applies. */
const check = (argv: string[]) => {
  const parsed = parseCli(argv);
  if (!parsed.help) resolveOptions(parsed.options);
};

t.test('bad flags are rejected with a message naming the flag', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--out', 'x', '--members', 'abc'], /^--members must be a whole number between 1 and 1000000$/],
    [['--out', 'x', '--members', '0'], /^--members must be a whole number between 1 and 1000000$/],
    [['--out', 'x', '--members', '2.5'], /^--members must be a whole number between 1 and 1000000$/],
    [['--out', 'x', '--locations', '9'], /^--locations must be a whole number between 1 and 8$/],
    [['--out', 'x', '--days', '-3'], /^--days must be a whole number between 1 and 3650$/],
    [['--out', 'x', '--seed', 'lucky'], /^--seed must be a whole number between 0 and 4294967295$/],
    [['--out', 'x', '--dirty', '0.5'], /^--dirty must be a number between 0 and 0.2$/],
    [['--out', 'x', '--dirty', '-0.1'], /^--dirty must be a number between 0 and 0.2$/],
    [['--out', 'x', '--dirty', 'some'], /^--dirty must be a number between 0 and 0.2$/],
    [['--out', 'x', '--format', 'xml'], /^--format must be one of csv, json, ndjson$/],
    [['--out', 'x', '--end', '2026-02-30'], /^--end must be a calendar date YYYY-MM-DD/],
    [['--out', 'x', '--timezone', 'Mars/Olympus'], /^--timezone must be an IANA time zone/],
    [['--members', '10'], /^--out <dir> is required/],
    [['--out', 'x', '--bogus'], /^unknown flag --bogus/],
    [['--out', 'x', '--members'], /^--members needs a value/],
    [['--out', 'x', 'extra'], /^unexpected argument: extra/],
  ];
  for (const [argv, message] of cases) t.throws(() => check(argv), { code: 'BAD_OPTION', message }, argv.join(' '));
  t.same(parseCli(['--help']), { help: true });
  t.match(HELP, /Usage: npm run generate -- --out <dir>/);
  t.match(parseCli(['--out', 'o', '--seed', '7', '--members', '10', '--dirty', '.05', '--format', 'ndjson', '--force']), {
    help: false,
    options: { out: 'o', seed: 7, members: 10, dirty: 0.05, format: 'ndjson', force: true },
  });
});

t.test('the CLI exits 2 on usage errors, 0 on success with plain progress when not a TTY', async (t) => {
  const dir = t.testdir({ busy: { 'file.txt': 'x' } });
  const [bad, busy, ok] = await Promise.all([
    run(['--out', join(dir, 'a'), '--members', 'lots']),
    run(['--out', join(dir, 'busy'), '--members', '10', '--days', '3']),
    run(['--out', join(dir, 'ok'), '--members', '30', '--days', '14', '--end', '2026-06-30', '--seed', '5']),
  ]);
  t.equal(bad.code, 2);
  t.equal(bad.stderr, 'error: --members must be a whole number between 1 and 1000000\n');
  t.equal(busy.code, 2);
  t.match(busy.stderr, /is not empty; pass --force to overwrite it/);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /wrote .* in [\d.]+s/);
  t.match(ok.stderr, /simulated 21\/21 days \(100%\)/);
  t.ok(existsSync(join(dir, 'ok', 'truth', 'churn_labels.csv')));
});
