import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import t from 'tap';
import { lockPath, readLock } from '@peak/local-platform';
import { acquireLock } from '../src/lock.js';
import { eventually, isGone, tmpDataDir } from './helpers.js';

/** A pid that existed and has exited: what a SIGKILLed launcher leaves in its lock. */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '']);
  await once(p, 'exit');
  return p.pid!;
}

t.test('taking over a dead launcher\'s lock stops the children it left running, and only those', async (t) => {
  const dataDir = await tmpDataDir(t);
  const orphan = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  const stranger = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' }); // a reused pid running something else
  t.teardown(() => {
    for (const p of [orphan, stranger]) if (p.exitCode === null) p.kill('SIGKILL');
  });
  const held = {
    pid: await deadPid(),
    startedAt: '2026-11-25T00:00:00.000Z',
    token: 'old-run',
    urls: {},
    processes: [
      { name: 'ingest', pid: orphan.pid!, port: 4001, kind: 'child' },
      { name: 'redis', pid: stranger.pid!, port: 4022, kind: 'child' },
    ],
  };
  await writeFile(lockPath(dataDir), JSON.stringify(held));

  const notes: string[] = [];
  const lock = await acquireLock(dataDir, {}, (line) => notes.push(line));
  t.teardown(() => lock.release());

  await eventually('the orphaned service to stop', () => isGone(orphan.pid!));
  t.notOk(isGone(stranger.pid!), 'a process that is not ours is left alone');
  t.match(notes.join('\n'), /taking over a stale lock[\s\S]*stopping what the dead launcher left running: ingest/);
  t.equal((await readLock(dataDir))?.pid, process.pid, 'the lock is ours now');
});
