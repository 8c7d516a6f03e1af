/**
 * A planner run's report: what it planned and queued (its `campaign-runs` item) and what became of each email (the
 * send ledger's `byRun` index). A run is `finished` only when every queued email has an outcome — sent, unknown,
 * failed, suppressed, capped, dropped, or already handled by an earlier run — never while one is still waiting in the
 * queue or being sent.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FINAL_STATES, type FinalState, type SendLedger } from '../ledger/send-ledger.js';
import { getRun, type CampaignRunItem } from './runs.js';

export type RunDelivery = Record<FinalState, number> & {
  /** Reserved or being sent right now. */
  inProgress: number;
  /** Already decided by an earlier run (a replayed day): nothing new was sent. */
  alreadyHandled: number;
  /** Queued and not yet decided (waiting in the queue, held for quiet hours, or in progress). */
  awaiting: number;
};

export type RunStatus = {
  run: CampaignRunItem;
  delivery: RunDelivery;
  /** planning (not recorded yet), sending, finished, or failed (the planner could not queue everything). */
  status: 'sending' | 'finished' | 'failed';
};

export async function runStatus(doc: DynamoDBDocumentClient, runsTable: string, ledger: SendLedger, runId: string): Promise<RunStatus | undefined> {
  const run = await getRun(doc, runsTable, runId);
  if (!run?.startedAt) return undefined; // unknown, or only counted on by the notifier before the planner recorded it
  const counts: Record<FinalState, number> = { sent: 0, unknown: 0, failed: 0, suppressed: 0, capped: 0, dropped: 0 };
  let inProgress = 0;
  for (const entry of await ledger.byRun(runId)) {
    if (FINAL_STATES.has(entry.state)) counts[entry.state as FinalState]++;
    else inProgress++;
  }
  const decided = Object.values(counts).reduce((a, b) => a + b, 0);
  const alreadyHandled = run.alreadyHandled ?? 0;
  const awaiting = Math.max(0, run.totals.queued - decided - alreadyHandled);
  const status = run.outcome === 'failed' ? 'failed' : awaiting > 0 ? 'sending' : 'finished';
  return { run, delivery: { ...counts, inProgress, alreadyHandled, awaiting }, status };
}
