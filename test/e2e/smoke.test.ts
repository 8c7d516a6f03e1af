/**
 * End-to-end: the whole local platform as `npm start` runs it (random ports, small sample data ending today), booted
 * once for the whole file (every service is a Node process: the boot is the slow part). Every export flows through
 * ingest and the ETL into Parquet, the first HubSpot sync and the first campaigns run, every service answers and
 * documents itself, the dashboard's status page (in a real browser) shows every dependency up, a second start on the
 * same data dir is refused, and the stop leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { dlqName, queueList } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, portInUse } from '@peak/local-stack';
import { localSecrets, lockPath, parts, readLock, runCampaigns, sampleAnnouncement, SES_CONFIGURATION_SET, startPlatform } from '@peak/local-platform';
import { envWithoutTap, isGone, status, tmpDataDir } from '../../tools/local-platform/test/helpers.js';
import { launchChromium } from './browser.js';

type SandboxMessage = { messageId: string; to: string[]; subject: string; text: string; html: string; configurationSet: string; headers: { name: string; value: string }[]; tags: { name: string; value: string }[] };

// Small samples ending today (the default end), so the first campaigns' emails are fresh and really sent.
t.test('the whole platform on random ports: data in, Parquet out, ready, documented, first campaigns sent, single instance, clean stop', async (t) => {
  const dataDir = await tmpDataDir(t);
  const platform = await startPlatform({ ports: 'random', dataDir, sampleData: { members: 150, days: 30, seed: 7 }, logLevel: 'warn', env: envWithoutTap() });
  t.teardown(() => platform.stop());

  // Sample data: every dataset exported, with rows, and the ground truth kept apart.
  const manifest = JSON.parse(await readFile(join(platform.samples!.dir, 'manifest.json'), 'utf8')) as {
    files: { dataset: string; rows: number }[];
  };
  const datasets = manifest.files.map((f) => f.dataset).sort();
  t.same(datasets, ['attendance', 'churn_labels', 'class_feedback', 'classes', 'engagement', 'members', 'signups', 'transactions']);
  for (const f of manifest.files) t.ok(f.rows > 0, `${f.dataset} has rows`);

  // File in → Parquet out: every export went through ingest and the ETL; rows in = processed + quarantined.
  const loaded = platform.loaded ?? [];
  t.same(loaded.map((b) => b.dataset).sort(), datasets.filter((d) => d !== 'churn_labels'), 'every export loaded as a batch');
  for (const b of loaded) {
    t.equal(b.status, 'processed', `${b.dataset}: batch processed`);
    t.equal(b.rowsIn, manifest.files.find((f) => f.dataset === b.dataset)?.rows, `${b.dataset}: every row read`);
    t.equal((b.rowsProcessed ?? 0) + (b.rowsQuarantined ?? 0), b.rowsIn, `${b.dataset}: conservation`);
    t.equal(b.rowsQuarantined, 0, `${b.dataset}: clean samples quarantine nothing`);
  }
  const parquet = execFileSync('find', [join(dataDir, 'lake', 'processed'), '-name', '*.parquet'], { encoding: 'utf8' }).trim().split('\n');
  t.ok(parquet.length > 30, `Parquet files by day in the processed zone (${parquet.length})`);
  t.equal(platform.churn, undefined, 'a month of samples is too short to train the churn model on (a log line, not a failed start)');
  // Members out to the CRM: the first sync put every eligible member into the HubSpot sandbox, once.
  t.match(platform.crmSync, { outcome: 'succeeded', failed: 0 }, 'the first HubSpot sync ran');
  const contacts = (await (await fetch(new URL('/crm/v3/objects/contacts/search', platform.urls.hubspotSandbox), {
    method: 'POST', headers: { authorization: 'Bearer pat-local-sandbox', 'content-type': 'application/json' },
    body: JSON.stringify({ filterGroups: [{ filters: [{ propertyName: 'peak_member_id', operator: 'HAS_PROPERTY' }] }], properties: ['peak_member_id', 'peak_home_location'], limit: 1 }),
  })).json()) as { total: number };
  t.ok(platform.crmSync && platform.crmSync.created > 0 && platform.crmSync.created === platform.crmSync.sent, `contacts created (${platform.crmSync?.created})`);
  t.equal(contacts.total, platform.crmSync?.created, 'the sandbox holds exactly the contacts the run created: one per member');
  const workerRes = await fetch(new URL('/v1/worker', platform.urls.etlDocs));
  const worker = (await workerRes.json()) as { processed: number };
  t.equal(worker.processed, loaded.length, 'the ETL worker reports every batch');

  // Every service documents its API.
  for (const key of ['ingestDocs', 'etlDocs', 'leaderboardDocs', 'crmSyncDocs', 'notifierDocs', 'hubspotSandbox']) {
    const base = platform.urls[key];
    t.ok(base, `${key} has a URL`);
    const res = await fetch(new URL('/docs/json', base));
    t.equal(res.status, 200, `${key} serves its OpenAPI document`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    t.match(doc.openapi, /^3\./);
    t.ok(doc.paths['/ready'], `${key} documents /ready`);
  }

  // The dashboard, in a real browser: every dependency of the leaderboard reported ready.
  const browser = await launchChromium(t);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${platform.urls.dashboard!}#/status`);
  t.match(await page.title(), /Peak Fitness/);
  await page.getByText('Every dependency answers.').waitFor({ timeout: 10_000 });
  const up = await page.locator('#checks li.ok .name').allTextContents();
  t.same(up.sort(), ['lake', 'redis', 'sqs'], 'the lake, redis and sqs shown as up');
  t.equal(await page.locator('#checks li.failing').count(), 0, 'nothing shown as down');
  if (process.env.SMOKE_SCREENSHOT) await page.screenshot({ path: process.env.SMOKE_SCREENSHOT, fullPage: true });
  t.same(errors, [], 'no script errors on the dashboard');

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
  const visits = platform.loaded?.find((b) => b.dataset === 'attendance')?.rowsProcessed;
  t.ok(visits, 'the sample check-ins were loaded');
  t.match(await sql.json(), { columns: [{ name: 'visits', type: 'BIGINT' }], rows: [[visits]], truncated: false, elapsedMs: Number }, 'the SQL sandbox reads the lake of the data dir');

  await t.test('the first campaigns: sent once into the SES sandbox, to sample members, with one-click unsubscribe', (t) => firstCampaigns(t, platform));

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

type Started = Awaited<ReturnType<typeof startPlatform>>;

async function firstCampaigns(t: Test, platform: Started): Promise<void> {
  const c = platform.campaigns;
  if (!c) throw new Error('startPlatform did not plan the first campaigns');
  const notifier = platform.urls.notifier as string;
  const ses = platform.urls.mailViewer?.replace(/\/$/, '') as string;
  const api = { authorization: `Bearer ${localSecrets.notifierApiKey}` };
  const messages = async () => ((await (await fetch(`${ses}/_sandbox/messages`)).json()) as { messages: SandboxMessage[] }).messages;

  t.equal(c.status, 'finished', `run ${c.runId} finished: every queued email has an outcome`);
  t.ok(c.delivery.sent > 0, `emails sent (${c.delivery.sent}; ${c.delivery.dropped} dropped, ${c.delivery.capped} capped, ${c.delivery.suppressed} suppressed)`);
  t.equal(c.delivery.failed + c.delivery.unknown, 0, 'none failed or unknown');
  const d = c.delivery;
  t.equal(d.sent + d.suppressed + d.capped + d.dropped + d.alreadyHandled, c.totals.queued, 'every queued email accounted for');

  // The sample members, by address: every email goes to one of them.
  const members = platform.samples?.manifest.files.find((f) => f.dataset === 'members');
  const [header, ...rows] = (await readFile(join(platform.samples?.dir as string, members?.file as string), 'utf8')).trim().split('\n');
  const col = (name: string) => (header ?? '').split(',').indexOf(name);
  const memberOf = new Map(rows.map((r) => r.split(',')).map((f) => [String(f[col('email')]).toLowerCase(), String(f[col('member_id')])]));

  const sent = await messages();
  t.equal(sent.length, d.sent, 'the SES sandbox holds exactly the emails the run reported as sent');
  const unsubscribeLink = new RegExp(`^<${notifier.replace(/[.]/g, '\\.')}/u/[^<>\\s]+>$`);
  let problems = 0;
  for (const m of sent) {
    const header = (name: string) => m.headers.filter((h) => h.name.toLowerCase() === name.toLowerCase()).map((h) => h.value);
    const ok =
      m.to.length === 1 &&
      memberOf.has(String(m.to[0]).toLowerCase()) &&
      header('List-Unsubscribe').length === 1 &&
      unsubscribeLink.test(header('List-Unsubscribe')[0] ?? '') &&
      header('List-Unsubscribe-Post').length === 1 &&
      header('List-Unsubscribe-Post')[0] === 'List-Unsubscribe=One-Click' &&
      m.configurationSet === SES_CONFIGURATION_SET &&
      m.subject.length > 0 &&
      m.text.length > 0 &&
      m.html.length > 0;
    if (!ok) problems++;
    if (!ok && problems <= 3) t.fail(`email ${m.messageId}: ${JSON.stringify({ to: m.to, subject: m.subject, headers: m.headers, configurationSet: m.configurationSet })}`);
  }
  t.equal(problems, 0, `all ${sent.length}: to a sample member, one List-Unsubscribe (${notifier}/u/…), one List-Unsubscribe-Post: List-Unsubscribe=One-Click, through ${SES_CONFIGURATION_SET}`);
  const announcement = sampleAnnouncement(platform.samples?.manifest.locations[0] as string);
  const news = sent.filter((m) => m.tags.some((tag) => tag.name === 'campaign' && tag.value === 'location_news'));
  t.ok(news.length > 0, `the sample announcement went out (${news.length})`);
  t.ok(news.every((m) => m.subject.includes(announcement.title) && m.text.includes('their first class is on us')), 'with its title in the subject and its body in the text');

  // An operator replays the same run: nothing new is sent, every email is already handled.
  const replay = await runCampaigns({ notifierUrl: notifier, apiKey: localSecrets.notifierApiKey, body: c.request, timeoutMs: 60_000 });
  if ('noData' in replay) throw new Error(replay.noData);
  t.equal(replay.status, 'finished', 'the replayed run finished');
  t.ok(replay.totals.queued > 0, `it queued emails again (${replay.totals.queued}; the rest left out by the frequency rules)`);
  t.equal(replay.delivery.alreadyHandled, replay.totals.queued, 'every email of the replayed run is already handled');
  t.equal(replay.delivery.sent, 0, 'none sent again');
  t.equal((await messages()).length, sent.length, 'and the SES sandbox got nothing new');

  // A member unsubscribes through the link of the announcement: the next announcement is not sent to them.
  const reader = news[0] as SandboxMessage;
  const memberId = memberOf.get(String(reader.to[0]).toLowerCase()) as string;
  const link = new URL((reader.headers.find((h) => h.name === 'List-Unsubscribe')?.value ?? '').slice(1, -1));
  const click = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click', redirect: 'manual' });
  t.equal(click.status, 200, 'the one-click unsubscribe answers 200, no redirect');
  const next = { ...announcement, id: 'platform-test-news', title: 'New spin bikes' };
  const second = await runCampaigns({ notifierUrl: notifier, apiKey: localSecrets.notifierApiKey, body: { campaigns: ['location_news'], announcement: next }, timeoutMs: 60_000 });
  if ('noData' in second) throw new Error(second.noData);
  t.equal(second.status, 'finished', 'the next announcement was planned and handled');
  const after = (await messages()).slice(sent.length);
  t.notOk(after.some((m) => m.to.some((a) => a.toLowerCase() === String(reader.to[0]).toLowerCase())), 'the member who unsubscribed gets no email of it');
  const entry = (await (await fetch(new URL(`/v1/sends/${encodeURIComponent(`location_news:${memberId}:${next.id}`)}`, notifier), { headers: api })).json()) as { state: string; reason?: string };
  t.match(entry, { state: 'suppressed', reason: 'UNSUBSCRIBED' }, 'the send log says why');
}
