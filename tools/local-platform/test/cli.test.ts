import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockPath, readLock, repoRoot } from '@peak/local-platform';
import { envWithoutTap, eventually, isGone, status, tmpDataDir } from './helpers.js';

t.test('npm start: boots, prints one URL table, Ctrl-C stops every process and exits 0', async (t) => {
  const dataDir = await tmpDataDir(t);
  const cli = spawn(
    process.execPath,
    ['--import', 'tsx', 'tools/local-platform/src/cli.ts', '--random-ports', '--no-sample-data', '--data-dir', dataDir],
    { cwd: repoRoot, env: envWithoutTap(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
  cli.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(cli, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let pids: number[] = [];
  t.teardown(async () => {
    // Only when the test failed half-way: never leave a platform behind.
    if (cli.exitCode === null && cli.signalCode === null) {
      cli.kill('SIGINT');
      await Promise.race([exited, sleep(15_000, undefined, { ref: false })]);
      cli.kill('SIGKILL');
    }
    for (const pid of pids) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
  });

  await eventually(
    'the URL table',
    () => {
      if (cli.exitCode !== null) throw new Error(`the CLI exited with ${cli.exitCode}:\n${out}\n${err}`);
      return out.includes('Press Ctrl-C to stop everything');
    },
    120_000,
  );
  const lock = await readLock(dataDir);
  pids = (lock?.processes ?? []).filter((p) => p.kind === 'child').map((p) => p.pid);
  t.equal(lock?.pid, cli.pid, 'the lock names the CLI');
  t.ok(pids.length >= 6, 'the lock lists the child processes');
  const dashboard = lock?.urls.dashboard as string;
  t.match(out, dashboard, 'the dashboard URL is printed');
  t.equal(await status(dashboard), 200, 'the dashboard answers');
  for (const label of ['Dashboard', 'Ingest API', 'Leaderboard API docs', 'CRM sync API docs', 'Notifier API docs', 'Mail viewer (SES)', 'HubSpot sandbox', 'SQL sandbox (read-only)', 'SQS/S3 endpoint', 'Redis URL', 'Logs', 'Data']) {
    t.match(out, label, `the table has ${label}`);
  }
  t.equal(out.split('┌').length - 1, 1, 'exactly one table');
  t.match(out, /✓ leaderboard\s+ready in/, 'one progress line per part');

  cli.kill('SIGINT');
  // An unref'd deadline: a pending timer must not keep the test process alive after the exit.
  const [code] = await Promise.race([exited, sleep(20_000, undefined, { ref: false }).then(() => ['no exit within 20 s'] as const)]);
  t.equal(code, 0, 'exits 0 on Ctrl-C');
  for (const pid of pids) t.ok(isGone(pid), `child ${pid} is gone`);
  t.notOk(existsSync(lockPath(dataDir)), 'the lock file is removed');
});
