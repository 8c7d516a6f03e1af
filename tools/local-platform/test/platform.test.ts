import t from 'tap';
import { existsSync } from 'node:fs';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { dlqName, queueList } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, portInUse } from '@peak/local-stack';
import { lockPath, parts, readLock, startPlatform } from '@peak/local-platform';
import { envWithoutTap, isGone, status, tmpDataDir } from './helpers.js';

// One boot for the whole file: it is the slow part (every service is a Node process).
t.test('the whole platform on random ports: ready, queues created, single instance, clean stop', async (t) => {
  const dataDir = await tmpDataDir(t);
  const platform = await startPlatform({ ports: 'random', dataDir, sampleData: false, env: envWithoutTap() });
  t.teardown(() => platform.stop());

  const nodeParts = parts.filter((p) => p.kind === 'node');
  for (const part of nodeParts) {
    const proc = platform.processes.find((p) => p.name === part.name);
    t.ok(proc, `${part.name} is listed`);
    t.equal(await status(`http://127.0.0.1:${proc?.port}${part.readyPath}`), 200, `${part.name} is ready`);
  }

  const sqs = new SQSClient({ region: LOCAL_REGION, endpoint: platform.urls.aws, credentials: LOCAL_CREDENTIALS });
  t.teardown(() => sqs.destroy());
  const listed = await sqs.send(new ListQueuesCommand({}));
  const names = (listed.QueueUrls ?? []).map((u) => u.split('/').pop());
  for (const q of queueList) {
    t.ok(names.includes(q.name), `queue ${q.name} exists`);
    t.ok(names.includes(dlqName(q)), `queue ${dlqName(q)} exists`);
  }
  t.same(platform.queues.map((q) => q.name).sort(), [...names].sort(), 'platform.queues lists them');

  t.equal(await status(platform.urls.mailViewer as string), 200, 'the SES mail viewer answers');
  t.equal(await status(`${platform.urls.hubspotSandbox}/health`), 200, 'the HubSpot sandbox answers');
  t.equal(await status(platform.urls.sqlSandbox as string), 200, "the SQL sandbox's docs answer");
  const sql = await fetch(platform.urls.sqlSandbox?.replace(/\/docs$/, '/v1/query') as string, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: 'SELECT count(*) AS visits FROM fact_attendance' }),
  });
  t.match(await sql.json(), { columns: [{ name: 'visits', type: 'BIGINT' }], rows: [[0]], truncated: false, elapsedMs: Number }, 'the SQL sandbox reads the (empty) lake of the data dir');

  const lock = await readLock(dataDir);
  t.equal(lock?.pid, process.pid, 'the lock names this process');
  t.equal(lock?.urls.dashboard, platform.urls.dashboard, 'the lock has the dashboard URL');

  await t.rejects(
    startPlatform({ ports: 'random', dataDir, sampleData: false }),
    {
      code: 'ALREADY_RUNNING',
      message: `the platform is already running (pid ${process.pid}) — its dashboard is at ${platform.urls.dashboard}; stop it with Ctrl-C in its terminal`,
    },
    'a second start on the same data dir is refused',
  );
  t.equal((await readLock(dataDir))?.token, lock?.token, 'the refused start left the lock alone');

  const children = platform.processes.filter((p) => p.kind === 'child');
  t.equal(children.length, nodeParts.length + 1, 'every node part and redis are children');
  await platform.stop();
  for (const p of children) t.ok(isGone(p.pid), `${p.name} (pid ${p.pid}) is gone`);
  for (const p of platform.processes) t.equal(await portInUse(p.port), false, `${p.name}'s port ${p.port} is free`);
  t.notOk(existsSync(lockPath(dataDir)), 'the lock file is removed');
  await platform.stop(); // idempotent
});
