import { seconds } from './time.js';

/**
 * Every campaign of the notifier's catalog (services/notifier/src/campaigns/catalog.ts), named here rather than imported
 * so the launcher does not load the notifier's modules; the API refuses (400, naming the campaigns) a name it does not know.
 */
export const DEMO_CAMPAIGNS = ['welcome', 'first_visit_nudge', 'habit', 'win_back', 'milestone', 'leaderboard_climb', 'location_news'] as const;

/** The sample announcement of the first start: one studio's members get it once, whatever is replayed (its id is the period). */
export function sampleAnnouncement(locationId: string) {
  return {
    id: 'sample-open-house',
    locationId,
    title: 'Open house this Saturday',
    body: 'Bring a friend to any class this Saturday: their first class is on us.\n\nSee you at the studio!',
  };
}

export type CampaignRunBody = { campaigns: readonly string[]; announcement?: ReturnType<typeof sampleAnnouncement> };

export type Delivery = { sent: number; suppressed: number; capped: number; dropped: number; failed: number; unknown: number; inProgress: number; alreadyHandled: number; awaiting: number };
type Totals = { audience: number; excluded: number; invalid: number; expired: number; planned: number; queued: number; inHoldout: number };
type RunStatus = { status: 'sending' | 'finished' | 'failed'; run: { totals: Totals; error?: string }; delivery: Delivery };

export type CampaignsInfo = {
  runId: string;
  /** The day the audiences were read as of (the lake's last day with check-ins). */
  asOf: string;
  status: RunStatus['status'];
  totals: Totals;
  delivery: Delivery;
  /** What was asked of `POST /v1/campaign-runs`: the same body again is a replayed run. */
  request: CampaignRunBody;
};

const n = (v: number): string => v.toLocaleString('en-US');

/** Plans a run through the notifier's API and waits until every queued email has an outcome. */
export async function runCampaigns(o: {
  notifierUrl: string;
  apiKey: string;
  body: CampaignRunBody;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<CampaignsInfo | { noData: string }> {
  const headers = { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' };
  const started = await fetch(new URL('/v1/campaign-runs', o.notifierUrl), { method: 'POST', headers, body: JSON.stringify(o.body), signal: o.signal });
  if (started.status !== 201) {
    const text = await started.text();
    const err = (() => {
      try {
        return JSON.parse(text) as { code?: string; message?: string };
      } catch {
        return {};
      }
    })();
    if (err.code === 'NO_DATA') return { noData: err.message ?? 'the lake has no check-ins yet' };
    throw new Error(`the notifier refused to plan the campaigns: ${started.status} ${text}`);
  }
  const plan = (await started.json()) as { runId: string; asOf: string };
  const timeoutMs = o.timeoutMs ?? 300_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(new URL(`/v1/campaign-runs/${plan.runId}`, o.notifierUrl), { headers, signal: o.signal });
    if (!res.ok) throw new Error(`the notifier could not say how campaign run ${plan.runId} went: ${res.status} ${await res.text()}`);
    const s = (await res.json()) as RunStatus;
    if (s.status !== 'sending') return { runId: plan.runId, asOf: plan.asOf, status: s.status, totals: s.run.totals, delivery: s.delivery, request: o.body };
    if (Date.now() > deadline) {
      throw new Error(`campaign run ${plan.runId} still had ${n(s.delivery.awaiting)} emails unsent after ${seconds(timeoutMs)}; see the notifier's log`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * After the samples are in: the first campaigns, planned through the notifier's API as an operator would (every campaign
 * of the catalog as of the lake's last day, plus a sample announcement for one studio), and their emails sent into the
 * SES sandbox. One line says what became of them. Planned again (a restart), the same emails are already handled.
 */
export async function firstCampaigns(o: {
  notifierUrl: string;
  apiKey: string;
  mailViewerUrl?: string;
  /** The studio of the sample announcement (none: no location_news). */
  locationId?: string;
  /** The samples' last day, to explain why nothing was sent when their emails are past their expiry. */
  samplesEnd?: string;
  log: (line: string) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<CampaignsInfo | undefined> {
  const t0 = performance.now();
  const body: CampaignRunBody = o.locationId
    ? { campaigns: DEMO_CAMPAIGNS, announcement: sampleAnnouncement(o.locationId) }
    : { campaigns: DEMO_CAMPAIGNS.filter((c) => c !== 'location_news') };
  const result = await runCampaigns({ notifierUrl: o.notifierUrl, apiKey: o.apiKey, body, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  if ('noData' in result) {
    o.log(`  – campaigns not planned: ${result.noData}`);
    return undefined;
  }
  const { delivery: d, totals: t } = result;
  const took = seconds(performance.now() - t0);
  const where = o.mailViewerUrl ? ` — mail viewer ${o.mailViewerUrl}` : '';
  if (result.status === 'failed') {
    o.log(`  ! campaigns as of ${result.asOf}: run ${result.runId} failed (${result.totals.queued} of ${result.totals.planned} queued); see the notifier's log`);
  } else if (t.queued === 0 && t.expired > 0) {
    const end = o.samplesEnd ?? result.asOf;
    o.log(
      `  – campaigns as of ${result.asOf}: nothing sent — the ${n(t.expired)} planned emails expired days ago (the sample data ends ${end}; ` +
        'a campaign email is worth sending for 2–3 days after its day). Samples that end today (the default) send real ones',
    );
  } else if (d.alreadyHandled > 0 && d.alreadyHandled === t.queued) {
    o.log(
      `  ✓ campaigns as of ${result.asOf}: nothing new to send — all ${n(d.alreadyHandled)} emails were handled by an earlier start ` +
        `(the send ledger is kept in the data dir's dynamodb/; the mail viewer only shows this start's mail) in ${took}`,
    );
  } else {
    const earlier = d.alreadyHandled > 0 ? `, ${n(d.alreadyHandled)} already handled by an earlier start` : '';
    const failed = d.failed + d.unknown > 0 ? `, ${n(d.failed)} failed, ${n(d.unknown)} unknown` : '';
    o.log(
      `  ${d.failed + d.unknown > 0 ? '!' : '✓'} campaigns as of ${result.asOf}: ${n(d.sent)} emails sent, ${n(d.suppressed)} suppressed, ` +
        `${n(d.dropped)} dropped (holdout, re-checks), ${n(d.capped)} capped${failed}${earlier} in ${took}${where}`,
    );
  }
  return result;
}
