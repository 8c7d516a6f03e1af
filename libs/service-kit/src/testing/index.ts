/**
 * Test helpers shared by every service: real emulators on random loopback ports, AWS clients aimed at
 * them, an app closed after its test, the checks every service shell must pass, and a spawned
 * `server.ts` process. Imported as `@peak/service-kit/testing`; never from service code.
 */
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FastifyInstance } from 'fastify';
import { tableList, type TableDefinition } from '@peak/contracts';
import {
  freePort,
  startDynamoDb,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startRedis,
  startSesEmulator,
  startSqsEmulator,
  waitFor,
  type SqsEmulatorOptions,
} from '@peak/local-stack';

// Node 20 is supported by the SDK until 2027; its notice on every test file would only clutter the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The part of a tap test the helpers use (kept structural so helpers do not depend on tap's types). */
export type Teardown = { teardown(fn: () => unknown): void };
export type Asserts = Teardown & {
  equal(found: unknown, wanted: unknown, message: string): boolean;
  ok(value: unknown, message: string): boolean;
  match(found: unknown, pattern: unknown, message: string): boolean;
};

export async function useSqsEmulator(t: Teardown, opts: SqsEmulatorOptions = {}) {
  const emu = await startSqsEmulator(opts);
  t.teardown(() => emu.stop());
  return emu;
}

export async function useSesEmulator(t: Teardown) {
  const ses = await startSesEmulator();
  t.teardown(() => ses.stop());
  return ses;
}

/** dynalite with every declared table (or the ones given), stopped after the test. */
export async function useDynamoDb(t: Teardown, tables: readonly TableDefinition[] = tableList) {
  const db = await startDynamoDb({ tables });
  t.teardown(() => db.stop());
  return db;
}

export async function useRedis(t: Teardown) {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  return redis;
}

/** `http://127.0.0.1:PORT` where nothing listens: a dependency that is down. */
export async function closedEndpoint(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/**
 * `http://127.0.0.1:PORT` that accepts connections, reads requests and never answers: a dependency that
 * hangs. `requests()` counts connections that sent a request; `pending()` those still open (a cancelled
 * call closes its own; an idle pooled keep-alive socket, which sent nothing, is not counted).
 */
export async function silentEndpoint(t: Teardown): Promise<{ url: string; requests(): number; pending(): number }> {
  const sockets = new Set<Socket>();
  const asked = new Set<Socket>();
  let requests = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      requests += 1;
      asked.add(socket);
    });
    socket.on('close', () => {
      sockets.delete(socket);
      asked.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests: () => requests, pending: () => asked.size };
}

const local = (endpoint: string) => ({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });

/** AWS SDK clients aimed at an emulator (or a closed port), destroyed after the test. */
export const localClients = {
  sqs(t: Teardown, endpoint: string): SQSClient {
    const c = new SQSClient(local(endpoint));
    t.teardown(() => c.destroy());
    return c;
  },
  s3(t: Teardown, endpoint: string): S3Client {
    const c = new S3Client({ ...local(endpoint), forcePathStyle: true });
    t.teardown(() => c.destroy());
    return c;
  },
  ses(t: Teardown, endpoint: string): SESv2Client {
    const c = new SESv2Client(local(endpoint));
    t.teardown(() => c.destroy());
    return c;
  },
  dynamodb(t: Teardown, endpoint: string): DynamoDBClient {
    const c = new DynamoDBClient(local(endpoint));
    t.teardown(() => c.destroy());
    return c;
  },
};

/** Builds an app for one test and closes it afterwards. */
export async function buildForTest<A extends FastifyInstance>(t: Teardown, build: () => Promise<A>): Promise<A> {
  const app = await build();
  t.teardown(() => app.close());
  await app.ready();
  return app;
}

/** /ready's answer: `details` only when the app was built with `readinessDetails` and something fails. */
export type Readiness = { statusCode: number; status: string; checks: Record<string, string>; details?: Record<string, string> };

export async function readiness(app: FastifyInstance): Promise<Readiness> {
  const res = await app.inject({ method: 'GET', url: '/ready' });
  const body = res.json<Omit<Readiness, 'statusCode'>>();
  return { statusCode: res.statusCode, ...body };
}

/**
 * The shell every service shares: /health answers, /docs/json is OpenAPI 3 listing `paths`, and an
 * unknown route is a JSON 404 with a code.
 */
export async function checkServiceShell(t: Asserts, app: FastifyInstance, paths: readonly string[] = []): Promise<void> {
  const health = await app.inject({ method: 'GET', url: '/health' });
  t.equal(health.statusCode, 200, '/health is 200');
  t.match(health.json(), { status: 'ok' }, '/health says ok');

  const docs = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(docs.statusCode, 200, '/docs/json is served');
  const spec = docs.json<{ openapi: string; paths: Record<string, unknown> }>();
  t.match(spec.openapi, /^3\./, 'OpenAPI 3');
  for (const path of ['/health', '/ready', ...paths]) t.ok(spec.paths[path], `OpenAPI documents ${path}`);

  const missing = await app.inject({ method: 'GET', url: '/no/such/route' });
  t.equal(missing.statusCode, 404, 'unknown route is 404');
  t.match(missing.headers['content-type'], /application\/json/, '404 is JSON');
  t.match(missing.json(), { code: 'NOT_FOUND', message: String }, '404 has a code and a message');
}

export type SpawnedService = {
  url: string;
  /** Sends `signal` and resolves with the exit code once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  stdout(): string;
  stderr(): string;
};

/**
 * Runs a service's `server.ts` as its own process (`node --import tsx`), with `env` on a free port,
 * and waits until /health answers. Killed after the test if it is still running.
 */
export async function spawnService(t: Teardown, entry: string, env: Record<string, string>, timeoutMs = 20_000): Promise<SpawnedService> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: dirname(entry),
    env: {
      ...process.env,
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `${entry} to answer /health`,
    async () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${err.trim()}`);
      return (await fetch(`${url}/health`)).ok;
    },
    timeoutMs,
  );
  return {
    url,
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${entry} did not exit within ${timeoutMs} ms of ${signal}`)), timeoutMs);
      });
      return Promise.race([exited, deadline]).finally(() => clearTimeout(timer));
    },
    stdout: () => out,
    stderr: () => err,
  };
}

/** Runs `server.ts` with a bad environment and returns its exit code and stderr. */
export async function runWithBadConfig(entry: string, env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: dirname(entry),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr };
}

/**
 * The process contract of every service: it boots from its environment alone (the AWS SDK finds the
 * emulators through AWS_ENDPOINT_URL_*, so /ready is 200), logs JSON lines (pino) and exits 0 within
 * the deadline on SIGTERM.
 */
export async function checkGracefulShutdown(t: Asserts, entry: string, env: Record<string, string>): Promise<void> {
  const service = await spawnService(t, entry, env);
  const health = await fetch(`${service.url}/health`);
  t.equal(health.status, 200, 'the process answers /health');
  const ready = await fetch(`${service.url}/ready`);
  t.equal(ready.status, 200, `its dependencies answer, configured from env only: ${await ready.text()}`);
  const started = Date.now();
  const code = await service.stop('SIGTERM');
  t.equal(code, 0, `exits 0 on SIGTERM (in ${Date.now() - started} ms)`);
  const lines = service.stdout().trim().split('\n').filter(Boolean);
  t.ok(lines.length > 0, 'logs to stdout');
  const parsed = lines.map((l) => {
    try {
      return JSON.parse(l) as { level?: number; msg?: string };
    } catch {
      return undefined;
    }
  });
  t.ok(
    parsed.every((p) => p && typeof p.level === 'number' && typeof p.msg === 'string'),
    'every log line is pino JSON',
  );
  t.ok(
    parsed.some((p) => p?.msg === 'closing'),
    'logs that it is closing',
  );
}
