import { readFile } from 'node:fs/promises';
import { addDays, dateParam, sql, type QueryEngine } from '@peak/analytics';
import type { MemberFeatures } from './features.js';

export type ChurnReason = 'cancelled' | 'inactivity';
export type LabelledMember = { memberId: string; churned: boolean; reason: ChurnReason | null };

/** The labels cannot be known yet (their window runs past the data), or the lake has no check-ins at all. */
export class LabelWindowError extends Error {
  override name = 'LabelWindowError';
}

/** Last local day with a check-in in the lake, or undefined when it has none. */
export async function lakeEnd(engine: QueryEngine): Promise<string | undefined> {
  const r = await engine.query('SELECT max(local_date) AS last_day FROM fact_attendance');
  const v = r.rows[0]?.last_day;
  return typeof v === 'string' ? v : undefined;
}

/** First local day with a check-in in the lake, or undefined when it has none. */
export async function lakeStart(engine: QueryEngine): Promise<string | undefined> {
  const r = await engine.query('SELECT min(local_date) AS first_day FROM fact_attendance');
  const v = r.rows[0]?.first_day;
  return typeof v === 'string' ? v : undefined;
}

/**
 * The stated churn definition (`churn_monthly`'s, both ways at once), looking `horizonDays` ahead of the cut-off:
 * a member churned if their membership was cancelled in (cutoff, cutoff + horizon], or if the later of joining and
 * their last check-in is at least `inactivityDays` before the window's end and they made no check-in after the
 * cut-off — `nextVisit` is their first check-in in the window and the `confirmDays` after it, so a member who merely
 * paused and came straight back (whom `churn_monthly` would not count either) is not a churner.
 */
export function churnedWithin(
  f: Pick<MemberFeatures, 'join_date' | 'last_visit'>, cancelledOn: string | null, nextVisit: string | null,
  cutoff: string, horizonDays: number, inactivityDays: number,
): ChurnReason | null {
  const end = addDays(cutoff, horizonDays);
  if (cancelledOn !== null && cancelledOn > cutoff && cancelledOn <= end) return 'cancelled';
  const lastActive = f.last_visit !== null && f.last_visit > f.join_date ? f.last_visit : f.join_date;
  if (nextVisit === null && addDays(lastActive, inactivityDays) <= end) return 'inactivity';
  return null;
}

export type LabelQuery = { cutoff: string; horizonDays: number; inactivityDays: number; confirmDays: number; timeoutMs?: number };

/** Labels from the lake for the members given (the population at the cut-off), by the stated churn definition. */
export async function loadLabels(engine: QueryEngine, members: readonly MemberFeatures[], q: LabelQuery): Promise<LabelledMember[]> {
  const end = addDays(q.cutoff, q.horizonDays + q.confirmDays);
  const last = await lakeEnd(engine);
  if (last === undefined) throw new LabelWindowError('the lake has no check-ins yet: load attendance before training');
  if (end > last) {
    const span = q.horizonDays + q.confirmDays;
    throw new LabelWindowError(`labels for cut-off ${q.cutoff} need ${span} days of data after it (to ${end}), but the lake's check-ins end on ${last}; pick a cut-off on or before ${addDays(last, -span)}`);
  }
  const from = addDays(q.cutoff, 1);
  const query = sql`SELECT m.member_id, m.cancelled_on, nv.next_visit
FROM dim_members m
LEFT JOIN (
  SELECT member_id, min(local_date) AS next_visit FROM fact_attendance
  WHERE dt BETWEEN ${dateParam(q.cutoff)} AND ${dateParam(addDays(end, 1))} AND local_date BETWEEN ${dateParam(from)} AND ${dateParam(end)}
  GROUP BY member_id
) nv ON nv.member_id = m.member_id`;
  const r = await engine.query(query.text, { params: query.params, timeoutMs: q.timeoutMs });
  const byId = new Map(r.rows.map((row) => [String(row.member_id), row]));
  return members.map((f) => {
    const row = byId.get(f.member_id);
    const cancelledOn = typeof row?.cancelled_on === 'string' ? row.cancelled_on : null;
    const nextVisit = typeof row?.next_visit === 'string' ? row.next_visit : null;
    const reason = churnedWithin(f, cancelledOn, nextVisit, q.cutoff, q.horizonDays, q.inactivityDays);
    return { memberId: f.member_id, churned: reason !== null, reason };
  });
}

export type TruthRow = { churned: boolean; churnedOn: string | null; reason: ChurnReason | null };

/** The sample-data generator's ground truth (truth/churn_labels.csv), by member. */
export async function readTruth(file: string): Promise<Map<string, TruthRow>> {
  const text = await readFile(file, 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  const header = lines[0]?.split(',') ?? [];
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${file} is not a churn truth file: its header has no ${name} column (expected the generator's truth/churn_labels.csv)`);
    return i;
  };
  const [id, churned, churnedOn, reason] = [col('member_id'), col('churned'), col('churned_on'), col('reason')];
  const out = new Map<string, TruthRow>();
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const why = cells[reason];
    out.set(cells[id] ?? '', { churned: cells[churned] === 'true', churnedOn: cells[churnedOn] || null, reason: why === 'cancelled' || why === 'inactivity' ? why : null });
  }
  return out;
}

/**
 * The truth, dated as the stated definition dates churn, for a member in the population at the cut-off: they really
 * left, and their churn date is on or before the window's end. The generator records an inactivity churner's last
 * visit as the day they left; the stated definition counts that churn `inactivityDays` later, so that is added.
 */
export function truthChurnedBy(truth: TruthRow | undefined, cutoff: string, horizonDays: number, inactivityDays: number): boolean {
  if (truth === undefined || !truth.churned || truth.churnedOn === null) return false;
  const churnDate = truth.reason === 'inactivity' ? addDays(truth.churnedOn, inactivityDays) : truth.churnedOn;
  return churnDate <= addDays(cutoff, horizonDays);
}
