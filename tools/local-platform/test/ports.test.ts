import t from 'tap';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { freePort, portInUse } from '@peak/local-stack';
import { lockPath, parts, startPlatform } from '@peak/local-platform';
import { childPids, envWithoutTap, fakePart, status, tmpDataDir } from './helpers.js';

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

t.test('a fixed port already taken: refused with the port, its owner and the way out; nothing started', async (t) => {
  const dataDir = await tmpDataDir(t);
  const ingest = parts.find((p) => p.name === 'ingest');
  const highest = Math.max(...parts.map((p) => p.portOffset));
  // Occupy some free port and place the block so that ingest wants exactly that one.
  let server = await listen(0);
  let port = (server.address() as { port: number }).port;
  while (port - (ingest?.portOffset ?? 0) + highest > 65_535) {
    server.close();
    server = await listen(0);
    port = (server.address() as { port: number }).port;
  }
  t.teardown(() => server.close());
  const portBase = port - (ingest?.portOffset ?? 0);
  const lines: string[] = [];

  await t.rejects(startPlatform({ ports: 'fixed', portBase, dataDir, sampleData: false, log: (l) => lines.push(l) }), {
    code: 'PORT_TAKEN',
    message: new RegExp(`port ${port} \\(wanted by ingest\\) is already in use.*--port-base \\d+.*--random-ports.*Nothing was started`),
  });
  t.same(lines, [], 'no part reported progress');
  t.same(childPids(process.pid), [], 'no child process was started');
  for (const part of parts) {
    if (part.name !== 'ingest') t.equal(await portInUse(portBase + part.portOffset), false, `${part.name}'s port is not bound`);
  }
  t.notOk(existsSync(lockPath(dataDir)), 'the lock was released');
});

t.test('a port base out of range is refused up front', async (t) => {
  const dataDir = await tmpDataDir(t);
  await t.rejects(startPlatform({ portBase: 65_530, dataDir, sampleData: false }), { code: 'BAD_OPTIONS', message: /port base 65530 is out of range/ });
  await t.rejects(startPlatform({ ports: 'random', portBase: 5000, dataDir, sampleData: false }), { code: 'BAD_OPTIONS' });
});

t.test('--random-ports: a picked port taken before the part listens is skipped for a fresh one', async (t) => {
  const dataDir = await tmpDataDir(t);
  const held = await listen(0); // accepts connections and never answers, like a port grabbed by another program
  t.teardown(() => held.close());
  const heldPort = (held.address() as { port: number }).port;
  const picks: number[] = [];
  // The first pick is the held port; later ones come from the OS.
  const pickPort = async () => {
    const port = picks.length === 0 ? heldPort : await freePort();
    picks.push(port);
    return port;
  };
  const lines: string[] = [];
  const platform = await startPlatform({ env: envWithoutTap(), ports: 'random', dataDir, sampleData: false, pickPort, log: (l) => lines.push(l), parts: [fakePart('web', 0)] });
  t.teardown(() => platform.stop());
  const port = platform.processes[0]?.port;
  t.not(port, heldPort, 'the part runs on another port');
  t.equal(port, picks[1], 'the next pick');
  t.equal(platform.urls.web, `http://127.0.0.1:${port}/`, 'the printed URL is where it runs');
  t.equal(await status(platform.urls.web as string), 200);
  t.match(lines.join('\n'), `web: port ${heldPort} was taken by another program; trying ${port}`);
});

t.test('--random-ports: every attempt taken ends with a clear error after the bounded attempts; nothing left running', async (t) => {
  const dataDir = await tmpDataDir(t);
  const held = await Promise.all([listen(0), listen(0), listen(0), listen(0)]);
  t.teardown(() => held.forEach((s) => s.close()));
  const heldPorts = held.map((s) => (s.address() as { port: number }).port);
  let next = 0;
  const pickPort = async () => heldPorts[next++] ?? freePort();
  await t.rejects(
    startPlatform({ env: envWithoutTap(), ports: 'random', dataDir, sampleData: false, pickPort, portAttempts: 3, parts: [fakePart('web', 0)] }),
    { code: 'PORT_TAKEN', message: `web did not start: every port it tried was taken by another program (${heldPorts.slice(0, 3).join(', ')})` },
  );
  t.same(childPids(process.pid), [], 'no child process left');
  t.notOk(existsSync(lockPath(dataDir)), 'the lock was released');
});
