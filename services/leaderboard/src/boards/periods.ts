import { offsetFormat, offsetMinutesAt } from '@peak/analytics';

/** The board periods: this week (ISO, Monday first), this month, all time — in the studios' time zone. */
export const PERIODS = ['week', 'month', 'all'] as const;
export type Period = (typeof PERIODS)[number];

/** One period instance: its key (`2026-W49`, `2026-12`, `all`) and its bounds as instants (ms; `all` has none). */
export type PeriodSpan = { period: Period; key: string; start?: number; end?: number };

const DAY = 86_400_000;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Local calendar arithmetic for one IANA zone: which week and month an instant falls in, and where they begin. */
export class StudioCalendar {
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.format = offsetFormat(timeZone); // throws RangeError for an unknown zone
  }

  /** The local wall-clock time of an instant, as if it were UTC (so getUTC* read local fields). */
  private wall(instant: number): Date {
    return new Date(instant + offsetMinutesAt(this.format, instant) * 60_000);
  }

  /** The instant of a local midnight (y, m 0-based, d may overflow): the offset is read twice, as DST can move it. */
  private midnight(y: number, m: number, d: number): number {
    const wall = Date.UTC(y, m, d);
    const guess = wall - offsetMinutesAt(this.format, wall) * 60_000;
    return wall - offsetMinutesAt(this.format, guess) * 60_000;
  }

  /** The week (ISO 8601: Monday to Sunday, numbered by the year holding its Thursday) containing the instant. */
  week(instant: number): PeriodSpan {
    const local = this.wall(instant);
    const weekday = (local.getUTCDay() + 6) % 7; // Monday = 0
    const [y, m, d] = [local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() - weekday];
    const thursday = new Date(Date.UTC(y, m, d + 3));
    const isoYear = thursday.getUTCFullYear();
    const week = Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / (7 * DAY)) + 1;
    return { period: 'week', key: `${isoYear}-W${pad(week)}`, start: this.midnight(y, m, d), end: this.midnight(y, m, d + 7) };
  }

  /** The calendar month containing the instant. */
  month(instant: number): PeriodSpan {
    const local = this.wall(instant);
    const [y, m] = [local.getUTCFullYear(), local.getUTCMonth()];
    return { period: 'month', key: `${y}-${pad(m + 1)}`, start: this.midnight(y, m, 1), end: this.midnight(y, m + 1, 1) };
  }

  private readonly recent = new Map<Period, PeriodSpan>();

  /** The period holding the instant; the last one found per period is kept (most asks are for "now"). */
  span(period: Period, instant: number): PeriodSpan {
    const kept = this.recent.get(period);
    if (kept && (kept.start === undefined || (instant >= kept.start && instant < (kept.end as number)))) return kept;
    const found = period === 'week' ? this.week(instant) : period === 'month' ? this.month(instant) : { period: 'all' as const, key: 'all' };
    this.recent.set(period, found);
    return found;
  }

  /** The span a period key names (`2026-W49`, `2026-12`, `all`), or undefined when the key is not one. */
  parse(period: Period, key: string): PeriodSpan | undefined {
    if (period === 'all') return key === 'all' ? { period, key } : undefined;
    if (period === 'month') {
      const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(key);
      return m ? this.month(this.midnight(Number(m[1]), Number(m[2]) - 1, 15)) : undefined;
    }
    const w = /^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$/.exec(key);
    if (!w) return undefined;
    // ISO week 1 holds 4 January; step from its Monday.
    const jan4 = new Date(Date.UTC(Number(w[1]), 0, 4));
    const monday = Date.UTC(Number(w[1]), 0, 4 - ((jan4.getUTCDay() + 6) % 7) + (Number(w[2]) - 1) * 7);
    const span = this.week(this.midnight(new Date(monday).getUTCFullYear(), new Date(monday).getUTCMonth(), new Date(monday).getUTCDate() + 3));
    return span.key === key ? span : undefined; // W53 of a year with 52 weeks is not a week
  }
}
