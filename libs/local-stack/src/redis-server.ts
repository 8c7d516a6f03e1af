import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { freePort, waitFor } from './ports.js';

export type RedisServer = { url: string; port: number; pid: number; stop(): Promise<void> };

export class MissingSystemPackageError extends Error {
  readonly code = 'MISSING_SYSTEM_PACKAGE';
}

/** Path of redis-server, or a clear error saying how to install it. */
export function findRedisServer(): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  throw new MissingSystemPackageError(
    'redis-server is not installed. Run `bash scripts/setup.sh` (as root it runs `apt-get install -y redis-server`), or install it yourself: `sudo apt-get install -y redis-server`.',
  );
}

/**
 * A throwaway redis-server on loopback: no persistence (`--save ''`, no AOF), so nothing outlives
 * the process. `dir` is where it may write temp files.
 */
export async function startRedis(opts: { port?: number; dir?: string; stopTimeoutMs?: number } = {}): Promise<RedisServer> {
  const bin = findRedisServer();
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'];
  if (opts.dir) args.push('--dir', opts.dir);
  // Own process group: a terminal's Ctrl-C reaches the launcher, which stops Redis after its clients.
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = ''; // redis logs to stdout: kept (the tail) to explain an early exit
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // An early exit (or spawn error) ends the wait at once, with Redis's own words.
  const gaveUp = new AbortController();
  child.once('error', (err) => gaveUp.abort(new Error(`redis-server could not start: ${err.message}`)));
  void exited.then(() =>
    gaveUp.abort(new Error(`redis-server exited with ${child.exitCode ?? child.signalCode} before answering on port ${port}:\n${output.trim()}`)),
  );
  try {
    await waitFor(`redis-server on port ${port}`, () => ping(port), 15_000, 50, gaveUp.signal);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // A Redis stuck on shutdown must not hang the platform's stop.
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.stopTimeoutMs ?? 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}
