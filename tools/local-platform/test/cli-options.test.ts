import t from 'tap';
import { join } from 'node:path';
import { parseCli, usage } from '../src/cli-options.js';
import { repoRoot } from '@peak/local-platform';

t.test('defaults: fixed ports, <repo>/.data, sample data with the generator defaults', async (t) => {
  t.same(parseCli([]), { help: false, dataDir: join(repoRoot, '.data'), ports: 'fixed', portBase: undefined, sampleData: {} });
});

t.test('flags', async (t) => {
  const o = parseCli(['--data-dir', '/tmp/x', '--port-base', '5000', '--members', '200', '--days', '14', '--seed', '7']);
  t.same(o, { help: false, dataDir: '/tmp/x', ports: 'fixed', portBase: 5000, sampleData: { members: 200, days: 14, seed: 7 } });
  t.equal(parseCli(['--random-ports']).ports, 'random');
  t.equal(parseCli(['--no-sample-data']).sampleData, false);
  t.equal(parseCli(['-h']).help, true);
});

t.test('usage errors say what is wrong', async (t) => {
  t.throws(() => parseCli(['--members', 'many']), { message: '--members wants a whole number, got "many"' });
  t.throws(() => parseCli(['--random-ports', '--port-base', '5000']), { message: /exclude each other/ });
  t.throws(() => parseCli(['--no-sample-data', '--members', '5']), { message: /--no-sample-data excludes/ });
  t.throws(() => parseCli(['--bogus']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
});

t.test('the help lists every flag and the default ports', async (t) => {
  for (const flag of ['--data-dir', '--port-base', '--random-ports', '--no-sample-data', '--members', '--days', '--seed', '--help']) t.match(usage, flag);
  t.match(usage, 'leaderboard 4000, ingest 4001, notifier 4002, crm-sync 4003');
});
