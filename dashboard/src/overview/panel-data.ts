/**
 * The overview's charts and tables from metric rows: the retention cohort grid, the monthly member movement, the
 * fill-rate grid (weekday × hour, every studio summed) and the one-sentence summaries the charts carry as their
 * aria-labels. Pure, tested under Node.
 */
import type { MetricRow } from '../api.js';
import { formatCount, formatPercent } from '../format.js';
import { monthName } from './kpis.js';

const num = (v: MetricRow[string] | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const text = (v: MetricRow[string] | undefined): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

// ---- retention cohorts

export type CohortCell = { cohort: number; monthsSince: number; rate: number; retained: number; size: number };
export type CohortGrid = { cohorts: string[]; sizes: number[]; months: number; cells: CohortCell[] };

/** Rows of `retention_cohorts` as a grid: one line per join month (oldest first), one column per month since joining. */
export function cohortGrid(rows: readonly MetricRow[]): CohortGrid {
  const cohorts = [...new Set(rows.map((r) => text(r.cohort_month)))].sort();
  const sizes = cohorts.map((c) => num(rows.find((r) => text(r.cohort_month) === c)?.cohort_size));
  const cells = rows
    .filter((r) => num(r.cohort_size) > 0)
    .map((r) => ({
      cohort: cohorts.indexOf(text(r.cohort_month)),
      monthsSince: num(r.months_since_join),
      rate: num(r.retention_rate),
      retained: num(r.retained),
      size: num(r.cohort_size),
    }));
  const months = cells.reduce((m, c) => Math.max(m, c.monthsSince + 1), 0);
  return { cohorts: cohorts.map(monthName), sizes, months, cells };
}

/** "Of the 120 members who joined in Jul 2025, 41% still came 3 months later" — the oldest cohort at its third month, or what there is. */
export function cohortSummary(grid: CohortGrid): string {
  if (!grid.cells.length) return 'No members joined in this period.';
  const at = Math.min(3, grid.months - 1);
  const cell = grid.cells.find((c) => c.cohort === 0 && c.monthsSince === at) ?? grid.cells[0];
  if (!cell) return 'No members joined in this period.';
  const later = cell.monthsSince === 0 ? 'in their first month' : `${cell.monthsSince} month${cell.monthsSince === 1 ? '' : 's'} later`;
  return `Retention by join month: of the ${formatCount(cell.size)} members who joined in ${grid.cohorts[cell.cohort]}, ${formatPercent(cell.rate)} came ${later}.`;
}

// ---- member movement

export type Movement = { months: string[]; joined: number[]; churned: number[]; net: number[]; members: number[] };

/** Rows of `churn_monthly` as series: joiners up, leavers down (negative), the net change and the members at month end. */
export function movementSeries(rows: readonly MetricRow[]): Movement {
  const sorted = [...rows].sort((a, b) => text(a.month).localeCompare(text(b.month)));
  return {
    months: sorted.map((r) => monthName(text(r.month))),
    joined: sorted.map((r) => num(r.joined)),
    churned: sorted.map((r) => -num(r.churned)),
    net: sorted.map((r) => num(r.net_change)),
    members: sorted.map((r) => num(r.members_end)),
  };
}

export function movementSummary(m: Movement): string {
  if (!m.months.length) return 'No months in this period.';
  const joined = m.joined.reduce((a, b) => a + b, 0);
  const churned = -m.churned.reduce((a, b) => a + b, 0);
  const net = joined - churned;
  return `${m.months[0]} to ${m.months[m.months.length - 1]}: ${formatCount(joined)} joined, ${formatCount(churned)} churned, net ${net >= 0 ? '+' : '−'}${formatCount(Math.abs(net))}; ${formatCount(m.members[m.members.length - 1])} members at the end.`;
}

// ---- class fill by weekday × hour

export type FillCell = { weekday: number; hour: number; classes: number; capacity: number; attendees: number; rate: number };
export type FillGrid = { hours: number[]; cells: FillCell[] };

/** Rows of `class_fill_heatmap` summed over studios per (weekday, hour): attendees ÷ capacity; hours from the first to the last class. */
export function fillGrid(rows: readonly MetricRow[]): FillGrid {
  const byKey = new Map<string, FillCell>();
  for (const r of rows) {
    const weekday = num(r.local_weekday);
    const hour = num(r.local_hour);
    const key = `${weekday}|${hour}`;
    const cell = byKey.get(key) ?? { weekday, hour, classes: 0, capacity: 0, attendees: 0, rate: 0 };
    cell.classes += num(r.classes);
    cell.capacity += num(r.capacity);
    cell.attendees += num(r.attendees);
    byKey.set(key, cell);
  }
  const cells = [...byKey.values()].map((c) => ({ ...c, rate: c.capacity > 0 ? c.attendees / c.capacity : 0 }));
  const hourList = cells.map((c) => c.hour);
  const first = Math.min(...hourList);
  const last = Math.max(...hourList);
  const hours = cells.length ? Array.from({ length: last - first + 1 }, (_, i) => first + i) : [];
  return { hours, cells };
}

export const hourLabel = (hour: number): string => `${String(hour).padStart(2, '0')}:00`;

export function fillSummary(grid: FillGrid): string {
  if (!grid.cells.length) return 'No classes in this period.';
  const best = grid.cells.reduce((a, b) => (b.rate > a.rate ? b : a));
  const worst = grid.cells.reduce((a, b) => (b.rate < a.rate ? b : a));
  const slot = (c: FillCell) => `${WEEKDAYS[c.weekday - 1] ?? c.weekday} ${hourLabel(c.hour)}`;
  return `Fullest: ${slot(best)} (${formatPercent(best.rate)} of spots taken); emptiest: ${slot(worst)} (${formatPercent(worst.rate)}).`;
}
