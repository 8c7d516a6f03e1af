import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockPath, readLock, repoRoot } from '@peak/local-platform';
import { envWithoutTap, eventually, isGone, status, tmpDataDir } from './helpers.js';

/** Starts `npm start`'s CLI on random ports without sample data; the teardown never leaves a platform behind. */
async function bootCli(t: Test) {
  const dataDir = await tmpDataDir(t);
  const cli = spawn(
    process.execPath,
    ['--import', 'tsx', 'tools/local-platform/src/cli.ts', '--random-ports', '--no-sample-data', '--data-dir', dataDir],
    { cwd: repoRoot, env: envWithoutTap(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const io = { out: '', err: '' };
  cli.stdout.on('data', (d: Buffer) => (io.out += d.toString()));
  cli.stderr.on('data', (d: Buffer) => (io.err += d.toString()));
  const exited = once(cli, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const state = { pids: [] as number[] };
  t.teardown(async () => {
    // Only when the test failed half-way: never leave a platform behind.
    if (cli.exitCode === null && cli.signalCode === null) {
      cli.kill('SIGINT');
      await Promise.race([exited, sleep(15_000, undefined, { ref: false })]);
      cli.kill('SIGKILL');
    }
    for (const pid of state.pids) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
  });
  await eventually(
    'the URL table',
    () => {
      if (cli.exitCode !== null) throw new Error(`the CLI exited with ${cli.exitCode}:\n${io.out}\n${io.err}`);
      return io.out.includes('Press Ctrl-C to stop everything');
    },
    120_000,
  );
  const lock = await readLock(dataDir);
  state.pids = (lock?.processes ?? []).filter((p) => p.kind === 'child').map((p) => p.pid);
  // An unref'd deadline: a pending timer must not keep the test process alive after the exit.
  const exit = async () => (await Promise.race([exited, sleep(20_000, undefined, { ref: false }).then(() => ['no exit within 20 s'] as const)]))[0];
  return { cli, io, dataDir, lock, pids: state.pids, exit };
}

t.test('npm start: boots, prints one URL table, Ctrl-C stops every process and exits 0', async (t) => {
  const { cli, io, dataDir, lock, pids, exit } = await bootCli(t);
  const out = io.out;
  t.equal(lock?.pid, cli.pid, 'the lock names the CLI');
  t.ok(pids.length >= 6, 'the lock lists the child processes');
  const dashboard = lock?.urls.dashboard as string;
  t.match(out, dashboard, 'the dashboard URL is printed');
  t.equal(await status(dashboard), 200, 'the dashboard answers');
  for (const label of ['Dashboard', 'Ingest API', 'Leaderboard API docs', 'CRM sync API docs', 'Notifier API docs', 'Mail viewer (SES)', 'SES sandbox admin (/_sandbox)', 'Notifier API key (local only)', 'HubSpot sandbox', 'SQL sandbox (read-only)', 'SQS/S3 endpoint', 'Redis URL', 'Logs', 'Data']) {
    t.match(out, label, `the table has ${label}`);
  }
  t.equal(out.split('┌').length - 1, 1, 'exactly one table');
  t.match(out, /✓ leaderboard\s+ready in/, 'one progress line per part');

  cli.kill('SIGINT');
  t.equal(await exit(), 0, 'exits 0 on Ctrl-C');
  for (const pid of pids) t.ok(isGone(pid), `child ${pid} is gone`);
  t.notOk(existsSync(lockPath(dataDir)), 'the lock file is removed');
});

t.test('a service dying while the platform runs: the CLI says which, stops the rest and exits 1', async (t) => {
  const { io, dataDir, lock, pids, exit } = await bootCli(t);
  const victim = lock?.processes.find((p) => p.name === 'leaderboard' && p.kind === 'child');
  if (!victim) throw new Error(`no leaderboard child in the lock: ${JSON.stringify(lock?.processes)}`);
  process.kill(victim.pid, 'SIGKILL');
  t.equal(await exit(), 1, 'exits 1');
  t.match(io.err, /leaderboard \(pid \d+\) stopped unexpectedly/, 'names the part that died');
  t.match(io.out, /leaderboard stopped unexpectedly — stopping every process/, 'says it is stopping the rest');
  for (const pid of pids) t.ok(isGone(pid), `child ${pid} is gone`);
  t.notOk(existsSync(lockPath(dataDir)), 'the lock file is removed');
});
