import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DATASET_NAMES } from '@peak/contracts';
import { HELP, main } from '../src/cli.js';
import { datasetNames, REPO_ROOT, TEMPLATES } from '../src/index.js';

/** Runs the CLI in-process; returns its exit code and what it printed. */
function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = main(argv, (s) => (stdout += s), (s) => (stderr += s));
  return { code, stdout, stderr };
}

const files = (root: string) => readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();

t.test('a name in every spelling the templates use', async (t) => {
  t.same(datasetNames('class_ratings_v2'), { name: 'class_ratings_v2', kebab: 'class-ratings-v2', camel: 'classRatingsV2', Pascal: 'ClassRatingsV2', CONSTANT: 'CLASS_RATINGS_V2', title: 'Class ratings v2' });
  t.same(datasetNames('visits'), { name: 'visits', kebab: 'visits', camel: 'visits', Pascal: 'Visits', CONSTANT: 'VISITS', title: 'Visits' });
});

t.test('bad, reserved and taken names are refused with what to change', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['Class-Feedback', 'BAD_NAME', /lower-case snake_case/],
    ['class__feedback', 'BAD_NAME', /single underscores/],
    ['2fa_events', 'BAD_NAME', /a letter, then/],
    ['feedback_', 'BAD_NAME', /snake_case/],
    ['', 'BAD_NAME', /snake_case/],
    ['a'.repeat(36), 'BAD_NAME', /at most 35/],
    ['fact_feedback', 'BAD_NAME', /fact_ are the star schema's views/],
    ['dim_rooms', 'BAD_NAME', /dim_ are the star schema's views/],
    ['select', 'BAD_NAME', /SQL or JavaScript keyword/],
    ['class', 'BAD_NAME', /SQL or JavaScript keyword/],
    ['churn_labels', 'BAD_NAME', /already uses/],
    ['attendance', 'DATASET_EXISTS', /dataset attendance already exists/],
  ];
  for (const [name, code, message] of cases) t.throws(() => datasetNames(name), { code, message }, JSON.stringify(name));
  t.doesNotThrow(() => datasetNames('a'.repeat(35)), '35 characters still make a valid batch id');
  for (const name of DATASET_NAMES) t.throws(() => datasetNames(name), { code: 'DATASET_EXISTS' }, `${name} exists`);
});

t.test('scaffolds three files with the name filled in, then prints the steps left', async (t) => {
  const root = t.testdir();
  const run = cli('room_bookings', '--root', root);
  t.equal(run.code, 0, run.stderr);
  t.same(files(root), ['libs/analytics/src/metrics/room-bookings.ts', 'libs/analytics/test/room-bookings.test.ts', 'libs/contracts/src/datasets/room-bookings.ts']);
  const contract = readFileSync(join(root, 'libs/contracts/src/datasets/room-bookings.ts'), 'utf8');
  t.match(contract, "export const roomBookings = defineDataset({\n  name: 'room_bookings',");
  t.match(contract, 'export type RoomBookingsRow = RowOf<typeof roomBookings>;');
  t.match(readFileSync(join(root, 'libs/analytics/src/metrics/room-bookings.ts'), 'utf8'), "id: 'room_bookings_daily'");
  for (const f of files(root)) t.notMatch(readFileSync(join(root, f), 'utf8'), /\{\{|\}\}/, `${f}: no placeholder left`);
  t.match(run.stdout, /wrote \(in .*\):\n {2}libs\/contracts\/src\/datasets\/room-bookings\.ts/);
  t.match(run.stdout, "add 'room_bookings' to DATASET_NAMES");
  t.match(run.stdout, 'import { roomBookingsDaily } from \'./room-bookings.js\'');
  t.match(run.stdout, / 9\. Check: /, 'nine numbered steps');
});

t.test('never overwrites: an existing file refuses the whole scaffold', async (t) => {
  const root = t.testdir({ libs: { analytics: { test: { 'room-bookings.test.ts': '// mine\n' } } } });
  const run = cli('room_bookings', '--root', root);
  t.equal(run.code, 2);
  t.match(run.stderr, /^error: libs\/analytics\/test\/room-bookings\.test\.ts already exists; nothing was written/);
  t.same(files(root), ['libs/analytics/test/room-bookings.test.ts'], 'nothing else written');
  t.equal(readFileSync(join(root, 'libs/analytics/test/room-bookings.test.ts'), 'utf8'), '// mine\n', 'the file is untouched');
});

t.test('the real repository already has class_feedback: refused before anything is read or written', async (t) => {
  const run = cli('class_feedback');
  t.equal(run.code, 2);
  t.match(run.stderr, /dataset class_feedback already exists/);
  t.equal(run.stdout, '');
  t.ok(TEMPLATES.every((tpl) => !existsSync(join(REPO_ROOT, tpl.target.replace('{{kebab}}', 'room-bookings')))), 'no stray scaffold in the repository');
});

t.test('--dry-run writes nothing; usage errors exit 2', async (t) => {
  const root = t.testdir();
  const dry = cli('--dry-run', 'room_bookings', '--root', root);
  t.equal(dry.code, 0);
  t.match(dry.stdout, /^would write/);
  t.same(files(root), []);
  for (const [argv, message] of [
    [[], /give exactly one dataset name.*\(got none\)/],
    [['a_b', 'c_d'], /give exactly one dataset name.*\(got a_b c_d\)/],
    [['a_b', '--force'], /Unknown option '--force'.*see --help/],
    [['--root'], /--root.*argument missing|--root <value>.*see --help/],
  ] as [string[], RegExp][]) {
    const run = cli(...argv);
    t.equal(run.code, 2, argv.join(' '));
    t.match(run.stderr, message, argv.join(' '));
  }
  t.same(cli('--help'), { code: 0, stdout: HELP, stderr: '' });
});

t.test('npm run new-dataset runs the CLI as a program', async (t) => {
  const root = t.testdir();
  writeFileSync(join(root, 'marker'), '');
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tools/new-dataset/src/cli.ts'), 'room_bookings', '--dry-run', '--root', root], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  t.match(run.stdout, /would write .*\n.*room-bookings\.ts/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tools/new-dataset/src/cli.ts'), 'Bad'], { encoding: 'utf8' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /^error: a dataset name is lower-case snake_case/);
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; workspaces: string[] };
  t.match(pkg.scripts['new-dataset'], 'tools/new-dataset/src/cli.ts', 'the npm script points at the CLI');
  t.ok(pkg.workspaces.includes('tools/new-dataset'), 'a workspace like the other tools');
});
