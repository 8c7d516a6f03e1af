import { seconds } from './time.js';

export type CrmSyncInfo = { runId: string; outcome: string; sent: number; created: number; failed: number };

type RunRecord = { runId: string; outcome: string; counts: { sent: number; created: number; failed: number; members: number }; stoppedBecause?: string };

/**
 * After the samples (and churn scores) are in: the first HubSpot sync, started through crm-sync's own API as an operator
 * would, so the sandbox holds the members' contacts from the first start. The service's schedule runs it daily after that.
 */
export async function firstCrmSync(o: { crmSyncUrl: string; apiKey: string; log: (line: string) => void; timeoutMs?: number; signal?: AbortSignal }): Promise<CrmSyncInfo> {
  const t0 = performance.now();
  const auth = { authorization: `Bearer ${o.apiKey}` };
  const started = await fetch(new URL('/v1/runs', o.crmSyncUrl), { method: 'POST', headers: auth, signal: o.signal });
  if (started.status !== 202) throw new Error(`crm-sync refused the first sync: ${started.status} ${await started.text()}`);
  const { runId } = (await started.json()) as { runId: string };
  const deadline = Date.now() + (o.timeoutMs ?? 300_000);
  for (;;) {
    const res = await fetch(new URL(`/v1/runs/${runId}`, o.crmSyncUrl), { headers: auth, signal: o.signal });
    if (!res.ok) throw new Error(`crm-sync could not say how the first sync went: ${res.status} ${await res.text()}`);
    const run = (await res.json()) as RunRecord;
    if (run.outcome !== 'running') {
      const c = run.counts;
      const why = run.stoppedBecause ? `: ${run.stoppedBecause}` : '';
      o.log(`  ${run.outcome === 'succeeded' ? '✓' : '!'} HubSpot sandbox: ${c.sent} of ${c.members} members synced (${c.created} contacts created, ${c.failed} failed), run ${run.outcome}${why}, in ${seconds(performance.now() - t0)}`);
      return { runId, outcome: run.outcome, sent: c.sent, created: c.created, failed: c.failed };
    }
    if (Date.now() > deadline) throw new Error(`the first HubSpot sync (run ${runId}) did not finish in ${seconds(o.timeoutMs ?? 300_000)}; see the crm-sync log`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
