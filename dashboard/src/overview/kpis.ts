/**
 * The overview's KPI cards from the metrics API's answers: each card's value for the chosen range, the same figure
 * for the period just before it, and the words under it. Pure (no DOM), so the rules are tested under Node and the
 * browser test can check the page against the API with them written out again by hand.
 *
 * The rules, for a range [from, to] (docs: dashboard/README.md, "Overview"):
 * - active members: members with a check-in in the 30 days ending on `to`;
 * - visits per member per week: check-ins in the range ÷ members who came ÷ weeks;
 * - churn: churned ÷ members at the start, over the range's complete calendar months (a monthly rate; with no
 *   complete month in the range, the month so far, said so);
 * - at-risk members: how many `at_risk_members` lists on `to`;
 * - fill rate: attendees ÷ capacity over the range's classes (the class filters apply);
 * - MRR: membership dues of the range's last complete month (else the month so far, said so).
 */
import type { MetricAnswer, MetricRow } from '../api.js';
import { formatDate } from '../format.js';

export const KPI_IDS = ['active', 'visits', 'churn', 'atRisk', 'fill', 'mrr'] as const;
export type KpiId = (typeof KPI_IDS)[number];
export type KpiFormat = 'count' | 'decimal' | 'rate' | 'money';

/** The metric each card reads, for the current range and for the previous one. */
export const KPI_METRICS: Record<KpiId, string> = {
  active: 'active_members',
  visits: 'visits_per_member_per_week',
  churn: 'churn_monthly',
  atRisk: 'at_risk_members',
  fill: 'fill_by_class_type',
  mrr: 'revenue_monthly',
};

/** Cards whose metric takes the class type and instructor filters (the others are per member: a location at most). */
export const CLASS_FILTERED_KPIS: ReadonlySet<KpiId> = new Set(['fill']);

export type KpiFigure = { value: number | null; note: string };
export type Kpi = {
  id: KpiId;
  label: string;
  format: KpiFormat;
  /** Which way is good news: up (more members) or down (less churn). */
  better: 'up' | 'down';
  current: KpiFigure;
  previous: KpiFigure | null;
};

const num = (v: MetricRow[string] | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const sum = (rows: readonly MetricRow[], column: string): number => rows.reduce((n, r) => n + (num(r[column]) ?? 0), 0);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** "2026-11-01" → "Nov 2026". */
export const monthName = (iso: string): string => `${MONTHS[Number(iso.slice(5, 7)) - 1] ?? '?'} ${iso.slice(0, 4)}`;

/** The last day of the month starting on `monthStart` ("2026-02-01" → "2026-02-28"). */
export function monthEnd(monthStart: string): string {
  const y = Number(monthStart.slice(0, 4));
  const m = Number(monthStart.slice(5, 7));
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${monthStart.slice(0, 7)}-${String(last).padStart(2, '0')}`;
}

/** The monthly rows whose whole month lies on or before `to`; when there are none, the rows as they are ("so far"). */
export function completeMonths(rows: readonly MetricRow[], to: string): { rows: MetricRow[]; complete: boolean } {
  const complete = rows.filter((r) => typeof r.month === 'string' && monthEnd(r.month) <= to);
  return complete.length ? { rows: complete, complete: true } : { rows: [...rows], complete: false };
}

function monthsNote(rows: readonly MetricRow[], complete: boolean, what: string): string {
  const months = rows.map((r) => String(r.month)).sort();
  const first = months[0];
  const last = months[months.length - 1];
  if (!first || !last) return `${what}: no month in range`;
  if (!complete) return `${what}, ${monthName(last)} so far`;
  return first === last ? `${what}, ${monthName(last)}` : `${what}, average of ${monthName(first)}–${monthName(last)}`;
}

type Reader = (answer: MetricAnswer) => KpiFigure;

const READERS: Record<KpiId, Reader> = {
  active: (a) => ({ value: num(a.rows[0]?.active_members), note: `checked in within 30 days to ${formatDate(a.range.to)}` }),
  visits: (a) => ({ value: num(a.rows[0]?.visits_per_member_per_week), note: 'of the members who came' }),
  churn: (a) => {
    const { rows, complete } = completeMonths(a.rows, a.range.to);
    const start = sum(rows, 'members_start');
    return { value: start > 0 ? sum(rows, 'churned') / start : null, note: monthsNote(rows, complete, 'monthly') };
  },
  atRisk: (a) => ({ value: a.rows.length, note: `regulars not seen for 14+ days on ${formatDate(a.range.to)}` }),
  fill: (a) => {
    const capacity = sum(a.rows, 'capacity');
    return { value: capacity > 0 ? sum(a.rows, 'attendees') / capacity : null, note: 'of the spots in classes held' };
  },
  mrr: (a) => {
    const { rows, complete } = completeMonths(a.rows, a.range.to);
    const last = [...rows].sort((x, y) => String(x.month).localeCompare(String(y.month))).pop();
    const month = last ? String(last.month) : null;
    return { value: num(last?.mrr), note: month ? `membership dues, ${monthName(month)}${complete ? '' : ' so far'}` : 'no month in range' };
  },
};

const LABELS: Record<KpiId, { label: string; format: KpiFormat; better: 'up' | 'down' }> = {
  active: { label: 'Active members', format: 'count', better: 'up' },
  visits: { label: 'Visits per member per week', format: 'decimal', better: 'up' },
  churn: { label: 'Churn', format: 'rate', better: 'down' },
  atRisk: { label: 'At-risk members', format: 'count', better: 'down' },
  fill: { label: 'Class fill rate', format: 'rate', better: 'up' },
  mrr: { label: 'MRR', format: 'money', better: 'up' },
};

/** One card from its metric's answer for the range and, when loaded, for the period before. */
export function kpiFrom(id: KpiId, current: MetricAnswer, previous: MetricAnswer | null): Kpi {
  const read = READERS[id];
  return { id, ...LABELS[id], current: read(current), previous: previous ? read(previous) : null };
}

export type Change = { direction: 'up' | 'down' | 'flat'; good: boolean | null; text: string };

/**
 * The change from the previous period in words: relative for counts and money ("▲ 4.2%"), in percentage points
 * for rates ("▼ 0.8 pts"), absolute for the visits per week ("▲ 0.12"). Null when either side is missing.
 */
export function kpiChange(kpi: Kpi): Change | null {
  const now = kpi.current.value;
  const before = kpi.previous?.value;
  if (now === null || before === null || before === undefined) return null;
  const diff = now - before;
  let size: number;
  let text: string;
  if (kpi.format === 'rate') {
    size = Math.abs(diff * 100);
    text = `${size.toFixed(1)} pts`;
    size = Number(size.toFixed(1));
  } else if (kpi.format === 'decimal') {
    size = Number(Math.abs(diff).toFixed(2));
    text = size.toFixed(2);
  } else {
    if (before === 0) return now === 0 ? { direction: 'flat', good: null, text: 'no change' } : null;
    size = Number(Math.abs((diff / before) * 100).toFixed(1));
    text = `${size.toFixed(1)}%`;
  }
  if (size === 0) return { direction: 'flat', good: null, text: 'no change' };
  const direction = diff > 0 ? 'up' : 'down';
  return { direction, good: direction === kpi.better, text: `${direction === 'up' ? '▲' : '▼'} ${text}` };
}
