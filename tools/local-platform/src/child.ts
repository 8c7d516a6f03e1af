import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export type ExitInfo = { code: number | null; signal: NodeJS.Signals | null; error?: Error };

export type ManagedChild = {
  name: string;
  pid: number;
  logPath: string;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<ExitInfo>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs: number): Promise<void>;
  /** The last lines this run wrote to its log. */
  lastLines(count?: number): Promise<string[]>;
};

/**
 * Spawns `node --import tsx <entry>` with stdout/stderr appended to `logPath`. Detached into its own
 * process group so a Ctrl-C in the terminal reaches only the launcher, which stops children in order
 * (a service that got the signal twice would exit 1 mid-shutdown).
 */
export function spawnNode(opts: { name: string; entry: string; cwd: string; env: NodeJS.ProcessEnv; logPath: string }): ManagedChild {
  const fd = openSync(opts.logPath, 'a');
  const logStart = statSync(opts.logPath).size;
  writeSync(fd, `\n----- ${new Date().toISOString()} starting ${opts.name}: node --import tsx ${opts.entry}\n`);
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--import', 'tsx', opts.entry], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd], detached: true });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name: opts.name,
    pid: child.pid ?? -1,
    logPath: opts.logPath,
    exited,
    async stop(graceMs) {
      if (running()) child.kill('SIGTERM');
      const deadline = sleep(graceMs, 'timeout' as const, { ref: false });
      if ((await Promise.race([exited, deadline])) === 'timeout' && running()) {
        child.kill('SIGKILL');
      }
      await exited;
    },
    lastLines: (count = 20) => tailLines(opts.logPath, logStart, count),
  };
}

/** Last `count` non-empty lines of a file from byte `from` on (reads at most the last 64 KiB). */
export async function tailLines(path: string, from: number, count: number): Promise<string[]> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return [];
  try {
    const { size } = await file.stat();
    const start = Math.max(from, size - 64 * 1024);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    await file.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8').split('\n').filter((l) => l.trim() !== '').slice(-count);
  } finally {
    await file.close();
  }
}

/** Polls `url` until it answers 200; fails early when `exited` settles, or at the deadline with the last answer. */
export async function waitForHttp200(opts: {
  url: string;
  timeoutMs: number;
  signal: AbortSignal;
  exited?: Promise<ExitInfo>;
}): Promise<void> {
  let exit: ExitInfo | undefined;
  void opts.exited?.then((e) => (exit = e));
  let last = 'no answer yet';
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    opts.signal.throwIfAborted();
    if (exit) throw new Error(`exited during start-up (${describeExit(exit)})`);
    try {
      const res = await fetch(opts.url, { signal: AbortSignal.any([opts.signal, AbortSignal.timeout(2_000)]) });
      const body = await res.text();
      if (res.status === 200) return;
      last = `${res.status} ${body.slice(0, 500)}`;
    } catch (err) {
      opts.signal.throwIfAborted();
      last = (err as Error).cause ? String((err as Error & { cause: Error }).cause.message) : (err as Error).message;
    }
    // Fast while nothing listens yet (free for the child); slower once /ready runs real dependency checks.
    await sleep(last.startsWith('5') ? 250 : 100, undefined, { signal: opts.signal }).catch(() => undefined);
  }
  throw new Error(`not ready within ${Math.round(opts.timeoutMs / 1000)} s; last answer from ${opts.url}: ${last}`);
}

export const describeExit = (e: ExitInfo): string =>
  e.error ? `could not start: ${e.error.message}` : e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
