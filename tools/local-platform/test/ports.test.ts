import t from 'tap';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { portInUse } from '@peak/local-stack';
import { lockPath, parts, startPlatform } from '@peak/local-platform';
import { childPids, tmpDataDir } from './helpers.js';

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
