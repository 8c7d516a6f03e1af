import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { checkPartTable, lockPath, parts, startPlatform } from '@peak/local-platform';
import { childPids, envWithoutTap, fakePart, isGone, status, tmpDataDir } from './helpers.js';

const env = envWithoutTap(); // the fakes boot faster uninstrumented, which keeps the deadlines below honest

// The launcher's own behaviour, on fake services (fast): failures at boot, crashes, stale locks.

t.test('a part that exits at boot: rejected with its name, last log lines and log path; the rest stopped', async (t) => {
  const dataDir = await tmpDataDir(t);
  const err = await startPlatform({
    env,
    ports: 'random',
    dataDir,
    sampleData: false,
    parts: [fakePart('steady', 0), fakePart('flaky', 1, { mode: 'exit-at-boot' }), fakePart('late', 2, { after: ['flaky'] })],
  }).then(
    () => undefined,
    (e: Error & { code?: string }) => e,
  );
  t.equal(err?.code, 'PART_FAILED');
  t.match(err?.message, /^flaky did not start: exited during start-up \(exit code 3\)/);
  t.match(err?.message, /fake: refusing to start/, 'quotes the log');
  t.match(err?.message, `full log: ${dataDir}/logs/flaky.log`);
  t.same(childPids(process.pid), [], 'nothing left running');
  t.notOk(existsSync(lockPath(dataDir)), 'lock released');
});

t.test('a part never ready: rejected at the deadline with its last /ready answer', async (t) => {
  const dataDir = await tmpDataDir(t);
  await t.rejects(
    startPlatform({ env, ports: 'random', dataDir, sampleData: false, readyTimeoutMs: 4_000, parts: [fakePart('stuck', 0, { mode: 'never-ready' })] }),
    { code: 'PART_FAILED', message: /stuck did not start: not ready within 4 s; last answer from http:\/\/127\.0\.0\.1:\d+\/ready: 503/ },
  );
  t.same(childPids(process.pid), [], 'nothing left running');
});

t.test('a part that dies while running: `crashed` says which, with its log', async (t) => {
  const dataDir = await tmpDataDir(t);
  const platform = await startPlatform({ env, ports: 'random', dataDir, sampleData: false, parts: [fakePart('doomed', 0, { mode: 'crash-after-ready' })] });
  t.teardown(() => platform.stop());
  const crash = await platform.crashed;
  t.equal(crash.name, 'doomed');
  t.match(crash.message, /doomed \(pid \d+\) stopped unexpectedly: exit code 7/);
  t.match(crash.lastLines.join('\n'), /crashing on purpose/);
});

t.test('redis dying while running is noticed too (it is watched by pid)', async (t) => {
  const dataDir = await tmpDataDir(t);
  const platform = await startPlatform({ env, ports: 'random', dataDir, sampleData: false, parts: parts.filter((p) => p.name === 'redis') });
  t.teardown(() => platform.stop());
  const redis = platform.processes.find((p) => p.name === 'redis');
  process.kill(redis?.pid as number, 'SIGKILL');
  const crash = await platform.crashed;
  t.equal(crash.name, 'redis');
  t.match(crash.message, /redis \(pid \d+\) stopped unexpectedly: the process is gone/);
});

t.test('a stale lock (its pid is dead) is taken over with a note', async (t) => {
  const dataDir = await tmpDataDir(t);
  const gone = spawn(process.execPath, ['-e', '0']);
  await once(gone, 'exit');
  await writeFile(lockPath(dataDir), JSON.stringify({ pid: gone.pid, startedAt: 'yesterday', token: 'old', urls: {}, processes: [] }));
  const lines: string[] = [];
  const platform = await startPlatform({ env, ports: 'random', dataDir, sampleData: false, log: (l) => lines.push(l), parts: [fakePart('web', 0)] });
  t.match(lines.join('\n'), `taking over a stale lock from pid ${gone.pid}`);
  t.equal(await status(platform.urls.web as string), 200);
  const pid = platform.processes[0]?.pid as number;
  await platform.stop();
  t.ok(isGone(pid), 'child gone after stop');
});

t.test('start-up interrupted through the abort signal stops what started', async (t) => {
  const dataDir = await tmpDataDir(t);
  const ac = new AbortController();
  const started = startPlatform({
    env,
    ports: 'random',
    dataDir,
    sampleData: false,
    signal: ac.signal,
    log: (l) => l.includes('first') && ac.abort(),
    parts: [fakePart('first', 0), fakePart('second', 1, { after: ['first'], mode: 'never-ready' })],
  });
  await t.rejects(started, { code: 'ABORTED' });
  t.same(childPids(process.pid), [], 'nothing left running');
});

t.test('the process table is checked before anything starts', async (t) => {
  t.throws(() => checkPartTable([fakePart('a', 0, { after: ['b'] }), fakePart('b', 1, { after: ['a'] })]), { message: /cycle: a → b → a/ });
  t.throws(() => checkPartTable([fakePart('a', 0, { after: ['nope'] })]), { message: /a starts after unknown part nope/ });
  t.throws(() => checkPartTable([fakePart('a', 0), fakePart('a', 1)]), { message: /share a name/ });
});
