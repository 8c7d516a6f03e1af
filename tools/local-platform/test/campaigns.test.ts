/** The launcher's first campaigns against a stand-in notifier API: the one line it prints for each way a run can end. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { DEMO_CAMPAIGNS } from '@peak/local-platform';
import { firstCampaigns } from '../src/campaigns.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function fakeNotifier(t: Test, handler: Handler): Promise<{ url: string; requests: { method: string; url: string; auth: string; body: string }[] }> {
  const requests: { method: string; url: string; auth: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization ?? '', body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const json = (res: ServerResponse, status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
const totals = (o: Partial<Record<string, number>> = {}) => ({ audience: 0, excluded: 0, invalid: 0, expired: 0, planned: 0, queued: 0, inHoldout: 0, ...o });
const delivery = (o: Partial<Record<string, number>> = {}) => ({ sent: 0, suppressed: 0, capped: 0, dropped: 0, failed: 0, unknown: 0, inProgress: 0, alreadyHandled: 0, awaiting: 0, ...o });

/** POST answers 201; GET answers `statuses` in turn (the last one repeats). */
const runServing = (statuses: object[]): Handler => {
  let i = 0;
  return (req, _body, res) => {
    if (req.method === 'POST') return json(res, 201, { runId: 'plan-2026-12-07-abc123', asOf: '2026-12-07' });
    json(res, 200, statuses[Math.min(i++, statuses.length - 1)]);
  };
};

t.test('a run that sends: one line with sent, suppressed, dropped, capped and the mail viewer', async (t) => {
  const sending = { status: 'sending', run: { totals: totals({ queued: 10 }) }, delivery: delivery({ sent: 3, awaiting: 7 }) };
  const done = { status: 'finished', run: { totals: totals({ queued: 10 }) }, delivery: delivery({ sent: 7, suppressed: 1, dropped: 1, capped: 1 }) };
  const notifier = await fakeNotifier(t, runServing([sending, done]));
  const lines: string[] = [];
  const info = await firstCampaigns({ notifierUrl: notifier.url, apiKey: 'k-0123456789abcdef', mailViewerUrl: 'http://127.0.0.1:4021/', locationId: 'downtown', log: (l) => lines.push(l) });
  t.match(info, { runId: 'plan-2026-12-07-abc123', asOf: '2026-12-07', status: 'finished', delivery: { sent: 7 } });
  t.match(lines, [/^ {2}✓ campaigns as of 2026-12-07: 7 emails sent, 1 suppressed, 1 dropped \(holdout, re-checks\), 1 capped in .+ — mail viewer http:\/\/127\.0\.0\.1:4021\/$/]);
  const post = notifier.requests[0];
  t.equal(post?.auth, 'Bearer k-0123456789abcdef', 'with the API key');
  const body = JSON.parse(post?.body ?? '{}') as { campaigns: string[]; announcement: { locationId: string } };
  t.same(body.campaigns, [...DEMO_CAMPAIGNS], 'every campaign');
  t.equal(body.announcement.locationId, 'downtown', 'and an announcement for the studio');
  t.ok(notifier.requests.filter((r) => r.method === 'GET').length >= 2, 'polled until finished');
});

t.test('without a studio: no location_news', async (t) => {
  const notifier = await fakeNotifier(t, runServing([{ status: 'finished', run: { totals: totals() }, delivery: delivery() }]));
  await firstCampaigns({ notifierUrl: notifier.url, apiKey: 'k', log: () => undefined });
  const body = JSON.parse(notifier.requests[0]?.body ?? '{}') as { campaigns: string[]; announcement?: unknown };
  t.notOk(body.campaigns.includes('location_news'));
  t.equal(body.announcement, undefined);
});

t.test('samples that ended long ago: nothing sent, and the line says why', async (t) => {
  const notifier = await fakeNotifier(t, runServing([{ status: 'finished', run: { totals: totals({ audience: 40, expired: 40 }) }, delivery: delivery() }]));
  const lines: string[] = [];
  const info = await firstCampaigns({ notifierUrl: notifier.url, apiKey: 'k', locationId: 'downtown', samplesEnd: '2026-11-01', log: (l) => lines.push(l) });
  t.equal(info?.totals.expired, 40);
  t.match(lines, [/^ {2}– campaigns as of 2026-12-07: nothing sent — the 40 planned emails expired days ago \(the sample data ends 2026-11-01; .*Samples that end today \(the default\) send real ones$/]);
});

t.test('a restart: everything already handled', async (t) => {
  const notifier = await fakeNotifier(t, runServing([{ status: 'finished', run: { totals: totals({ queued: 5 }) }, delivery: delivery({ alreadyHandled: 5 }) }]));
  const lines: string[] = [];
  await firstCampaigns({ notifierUrl: notifier.url, apiKey: 'k', log: (l) => lines.push(l) });
  t.match(lines, [/^ {2}✓ campaigns as of 2026-12-07: nothing new to send — all 5 emails were handled by an earlier start/]);
});

t.test('failures and unknowns are flagged; a failed run says so', async (t) => {
  const notifier = await fakeNotifier(t, runServing([{ status: 'finished', run: { totals: totals({ queued: 3 }) }, delivery: delivery({ sent: 1, failed: 1, unknown: 1 }) }]));
  const lines: string[] = [];
  await firstCampaigns({ notifierUrl: notifier.url, apiKey: 'k', log: (l) => lines.push(l) });
  t.match(lines, [/^ {2}! campaigns as of 2026-12-07: 1 emails sent, .*, 1 failed, 1 unknown in /]);

  const failed = await fakeNotifier(t, runServing([{ status: 'failed', run: { totals: totals({ planned: 4, queued: 2 }), error: 'SQS down' }, delivery: delivery() }]));
  const more: string[] = [];
  await firstCampaigns({ notifierUrl: failed.url, apiKey: 'k', log: (l) => more.push(l) });
  t.match(more, [/^ {2}! campaigns as of 2026-12-07: run plan-2026-12-07-abc123 failed \(2 of 4 queued\)/]);
});

t.test('an empty lake: one line, no run', async (t) => {
  const notifier = await fakeNotifier(t, (_req, _body, res) => json(res, 409, { code: 'NO_DATA', message: 'the lake has no check-ins yet' }));
  const lines: string[] = [];
  t.equal(await firstCampaigns({ notifierUrl: notifier.url, apiKey: 'k', log: (l) => lines.push(l) }), undefined);
  t.same(lines, ['  – campaigns not planned: the lake has no check-ins yet']);
});

t.test('a refusal or a run that never finishes is an error naming it', async (t) => {
  const refusing = await fakeNotifier(t, (_req, _body, res) => json(res, 401, { code: 'UNAUTHORIZED', message: 'bad key' }));
  await t.rejects(firstCampaigns({ notifierUrl: refusing.url, apiKey: 'k', log: () => undefined }), /the notifier refused to plan the campaigns: 401 .*bad key/);
  const notJson = await fakeNotifier(t, (_req, _body, res) => res.writeHead(500).end('boom'));
  await t.rejects(firstCampaigns({ notifierUrl: notJson.url, apiKey: 'k', log: () => undefined }), /refused to plan the campaigns: 500 boom/);

  const stuck = await fakeNotifier(t, runServing([{ status: 'sending', run: { totals: totals({ queued: 2 }) }, delivery: delivery({ awaiting: 2 }) }]));
  await t.rejects(firstCampaigns({ notifierUrl: stuck.url, apiKey: 'k', timeoutMs: 300, log: () => undefined }), /campaign run plan-2026-12-07-abc123 still had 2 emails unsent after/);

  const lost = await fakeNotifier(t, (req, _body, res) => (req.method === 'POST' ? json(res, 201, { runId: 'r1', asOf: '2026-12-07' }) : json(res, 404, { code: 'NOT_FOUND', message: 'no run' })));
  await t.rejects(firstCampaigns({ notifierUrl: lost.url, apiKey: 'k', log: () => undefined }), /could not say how campaign run r1 went: 404/);
});
