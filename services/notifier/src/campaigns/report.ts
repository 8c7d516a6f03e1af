/** A planner run for people (the CLI prints it) and for machines (the JSON form: no addresses in either). */
import type { PlanReport } from './plan.js';

const pct = (share: number | null): string => (share === null ? '–' : `${(share * 100).toFixed(1)}%`);
const n = (v: number): string => v.toLocaleString('en-US');

export function describePlan(report: PlanReport): string {
  const lines: string[] = [];
  const what = report.dryRun ? 'dry run: nothing queued, nothing recorded' : `queued ${n(report.totals.queued)} of ${n(report.totals.planned)}`;
  lines.push(`Campaign plan ${report.runId} — data as of ${report.asOf}${report.asOf === report.lakeEnd ? '' : ` (the lake ends ${report.lakeEnd})`} — ${what}`);
  if (report.campaigns.length === 0) lines.push('  no campaign is scheduled for this day (name them with --campaign)');
  if (report.totals.expired > 0) lines.push(`  ${n(report.totals.expired)} emails already past their expiry (an old day replayed?): counted as expired, not queued`);
  for (const c of report.campaigns) {
    lines.push('');
    const excluded = c.excluded === null ? 'not checked (no send ledger)' : n(c.excluded);
    const holdout = c.kind === 'marketing' ? ` · in holdout ${n(c.inHoldout)} (${pct(c.holdoutShare)}, held back by the notifier)` : '';
    lines.push(`${c.campaignId}  (${c.kind}, topic ${c.topic}, template ${c.template}; expires ${c.expiresAt})`);
    lines.push(`  audience ${n(c.audience)} · excluded ${excluded} · invalid ${n(c.invalid)}${c.expired ? ` · expired ${n(c.expired)}` : ''} · ${report.dryRun ? 'would queue' : 'planned'} ${n(c.planned)}${report.dryRun ? '' : ` · queued ${n(c.queued)}`}${holdout}`);
    if (c.frequency) lines.push(`  frequency rule: ${c.frequency.rule} (since ${c.frequency.since})`);
    const places = Object.entries(c.byLocation).sort(([a], [b]) => a.localeCompare(b));
    if (places.length > 0) lines.push(`  by location: ${places.map(([loc, v]) => `${loc} ${n(v.audience)}${v.planned === v.audience ? '' : ` (${n(v.planned)} planned)`}`).join(', ')}`);
    for (const bad of c.invalidRows.slice(0, 10)) lines.push(`  invalid: ${bad.memberId}: ${bad.reason}`);
    if (c.invalid > Math.min(10, c.invalidRows.length)) lines.push(`  … ${n(c.invalid - Math.min(10, c.invalidRows.length))} more invalid (--json lists up to 100)`);
    if (c.preview.length > 0) {
      lines.push(`  first ${c.preview.length} of ${n(c.planned)}:`);
      for (const p of c.preview) {
        const vars = Object.entries(p.variables)
          .filter(([k]) => k !== 'firstName' && k !== 'locationId' && k !== 'body')
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        lines.push(`    ${p.memberId.padEnd(10)} ${p.locationId.padEnd(12)} ${p.dedupeKey}${p.inHoldout ? '  [holdout]' : ''}${vars ? `  ${vars}` : ''}`);
      }
    }
  }
  lines.push('');
  const t = report.totals;
  lines.push(`Total: audience ${n(t.audience)} · excluded ${n(t.excluded)} · invalid ${n(t.invalid)} · ${report.dryRun ? 'would queue' : 'queued'} ${n(report.dryRun ? t.planned : t.queued)}`);
  lines.push('The notifier applies the holdout, suppressions, unsubscribes, the frequency cap and quiet hours when it sends, and records each outcome.');
  return lines.join('\n');
}

/** The report without the requests themselves (they hold addresses): what `--json` prints and an API would answer. */
export function reportJson(report: PlanReport): Omit<PlanReport, 'requests'> & { requests: number } {
  const { requests, ...rest } = report;
  return { ...rest, requests: requests.length };
}
