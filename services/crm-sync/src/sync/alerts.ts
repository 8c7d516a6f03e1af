/**
 * When a run needs a person: too many members failed, the run failed or stopped early, or its counts are far off the
 * last run's (a broken export shrinks the member count; a mass change of values floods HubSpot workflows). The run
 * record carries the reasons; the service logs the run at error level (a log-based alarm in AWS).
 */
import type { SyncRun } from './state.js';

export type AlertThresholds = {
  /** Failed ÷ (sent + failed) above this flags the run (default 0.05). */
  failedShare?: number;
  /** Members in the data differing from the last run by more than this share flags it (default 0.2). */
  membersChange?: number;
  /** Changed members more than this many times the last run's, and over 1% of members, flags it (default 5). */
  changedFactor?: number;
};

const percent = (x: number) => `${Math.round(x * 1000) / 10}%`;

export function flagRun(run: SyncRun, previous: SyncRun | undefined, thresholds: AlertThresholds = {}): string[] {
  const reasons: string[] = [];
  const c = run.counts;
  if (run.outcome === 'failed') reasons.push(`the run failed: ${run.stoppedBecause ?? 'no reason recorded'}`);
  else if (run.stoppedBecause) reasons.push(`the run stopped early: ${run.stoppedBecause}`);
  const tried = c.sent + c.failed;
  const failedShare = thresholds.failedShare ?? 0.05;
  if (tried > 0 && c.failed / tried > failedShare) reasons.push(`${percent(c.failed / tried)} of the members sent failed (threshold ${percent(failedShare)})`);
  if (previous && run.outcome !== 'failed') {
    const p = previous.counts;
    const membersChange = thresholds.membersChange ?? 0.2;
    if (p.members > 0 && Math.abs(c.members - p.members) / p.members > membersChange) {
      reasons.push(`${c.members} members in the data vs ${p.members} in the last run (${run.asOf ?? '?'} vs ${previous.asOf ?? '?'}): more than ${percent(membersChange)} apart — check the members export`);
    }
    const factor = thresholds.changedFactor ?? 5;
    if (!run.fullResync && c.changed > factor * Math.max(p.changed, 1) && c.changed > 0.01 * c.members) {
      reasons.push(`${c.changed} members changed vs ${p.changed} in the last run: more than ${factor}× — a data or model change? HubSpot workflows will see every one`);
    }
  }
  return reasons;
}
