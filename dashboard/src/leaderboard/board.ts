/**
 * The leaderboard page's words and arithmetic, pure (unit-tested under Node): period names, the empty board's
 * sentence, a member's standing in words, which rows moved since the last look, and the keys of the periods
 * before and after a board's.
 */
import type { BoardEntry, LeaderboardPeriod, Standing } from '../api.js';
import { formatCount, inZone, studioName } from '../format.js';

export const PERIOD_LABEL: Record<LeaderboardPeriod, string> = { week: 'This week', month: 'This month', all: 'All time' };
const PERIOD_NOUN: Record<LeaderboardPeriod, string> = { week: 'week', month: 'month', all: 'all time' };

/** "No classes counted this week yet.", "No classes counted at Downtown this month yet.", "… in that week." */
export function emptyBoardText(location: string | null, period: LeaderboardPeriod, past: boolean): string {
  const where = location ? ` at ${studioName(location)}` : '';
  if (period === 'all') return `No classes counted${where} yet.`;
  return past ? `No classes were counted${where} in that ${PERIOD_NOUN[period]}.` : `No classes counted${where} this ${PERIOD_NOUN[period]} yet.`;
}

/** 1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd". */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${formatCount(n)}${suffix}`;
}

/** "Anna K. (M000123) is 2nd of 3 members with 2 classes, ahead of 50% of the others." (the id alone without a name) */
export function standingText(s: Standing): string {
  const classes = `${formatCount(s.classes)} ${s.classes === 1 ? 'class' : 'classes'}`;
  const ahead = s.members === 1 ? ', the only member on this board' : s.rank === s.members ? ', last on this board' : `, ahead of ${Math.round(s.percentile)}% of the others`;
  const who = s.name ? `${s.name} (${s.memberId})` : s.memberId;
  return `${who} is ${ordinal(s.rank)} of ${formatCount(s.members)} ${s.members === 1 ? 'member' : 'members'} with ${classes}${ahead}.`;
}

/** How a row changed since the last look: up or down in rank, new on the page, more classes at the same rank. */
export type Mark = 'up' | 'down' | 'new' | 'more';

/**
 * The rows of `next` that differ from `prev` (the same page fetched before). A member who was not on the page
 * before is `new` only when the page was shown before at all (the first look marks nothing).
 */
export function changedRows(prev: readonly BoardEntry[] | null, next: readonly BoardEntry[]): Map<string, { mark: Mark; by: number }> {
  const marks = new Map<string, { mark: Mark; by: number }>();
  if (!prev) return marks;
  const before = new Map(prev.map((e) => [e.memberId, e]));
  for (const e of next) {
    const was = before.get(e.memberId);
    if (!was) marks.set(e.memberId, { mark: 'new', by: 0 });
    else if (e.rank < was.rank) marks.set(e.memberId, { mark: 'up', by: was.rank - e.rank });
    else if (e.rank > was.rank) marks.set(e.memberId, { mark: 'down', by: e.rank - was.rank });
    else if (e.classes !== was.classes) marks.set(e.memberId, { mark: 'more', by: e.classes - was.classes });
  }
  return marks;
}

/** "up 2 places", "down 1 place", "new on this page", "1 more class". */
export function markText(m: { mark: Mark; by: number }): string {
  const places = `${m.by} ${m.by === 1 ? 'place' : 'places'}`;
  if (m.mark === 'up') return `up ${places}`;
  if (m.mark === 'down') return `down ${places}`;
  if (m.mark === 'new') return 'new on this page';
  return `${m.by} more ${m.by === 1 ? 'class' : 'classes'}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The ISO week (Monday first; week 1 holds the year's first Thursday) of a calendar day: "2026-W50". */
export function isoWeekKey(y: number, m: number, d: number): string {
  const date = new Date(Date.UTC(y, m - 1, d));
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0
  date.setUTCDate(date.getUTCDate() - weekday + 3); // that week's Thursday decides the year
  const year = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  return `${year}-W${pad(1 + Math.round((date.getTime() - firstThursday.getTime()) / (7 * 86_400_000)))}`;
}

/** The key of the period holding a moment, in the studios' zone ("2026-W50", "2026-12"); null for all time. */
export function periodKeyAt(period: LeaderboardPeriod, ms: number, timeZone: string): string | null {
  if (period === 'all' || !Number.isFinite(ms)) return null;
  const p = inZone(ms, timeZone);
  return period === 'week' ? isoWeekKey(p.y, p.m, p.d) : `${p.y}-${pad(p.m)}`;
}

/** The periods just before and just after a board's (from its start and end), by key. */
export function neighbourKeys(board: { period: string; from: string | null; to: string | null }, timeZone: string): { earlier: string | null; later: string | null } {
  const period = board.period as LeaderboardPeriod;
  const from = board.from ? Date.parse(board.from) : NaN;
  const to = board.to ? Date.parse(board.to) : NaN;
  return { earlier: periodKeyAt(period, from - 1, timeZone), later: periodKeyAt(period, to, timeZone) };
}
