import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'tap';
import type { NodePart } from '@peak/local-platform';

/** A fresh data dir, removed when the test ends. */
export async function tmpDataDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'peak-platform-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/** Pids whose parent is `pid` (empty when none), leaving out the `ps` that asks. */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([, comm]) => comm !== undefined && comm !== 'ps')
      .map(([p]) => Number(p));
  } catch (err) {
    // ps exits 1 when nothing matches; any other failure (ps missing) must fail the test, not pass it.
    if ((err as { status?: number }).status === 1) return [];
    throw err;
  }
}

/** Polls `probe` until it returns a truthy value, failing after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export async function status(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  return res.status;
}

/** A node part running the fake service fixture (FAKE_MODE picks its behaviour). */
export const fakePart = (name: string, portOffset: number, opts: { after?: string[]; mode?: string } = {}): NodePart => ({
  kind: 'node',
  name,
  entry: 'tools/local-platform/test/fixtures/fake-service.ts',
  portOffset,
  after: opts.after ?? [],
  readyPath: '/ready',
  env: () => ({ FAKE_MODE: opts.mode ?? 'ok' }),
  links: [{ key: name, label: name, path: '/' }],
});

/**
 * This environment without tap's coverage hooks: the platform's children are not under test here, and
 * instrumenting every one of them slows the boot by a quarter or more on two cores.
 */
export function envWithoutTap(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('_TAPJS_') && !k.startsWith('TAP')));
}
