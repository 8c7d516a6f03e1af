/** Calendar helpers on "epoch days" (whole days since 1970-01-01), the generator's unit of simulated time. */
export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch day of a `YYYY-MM-DD` string, or undefined when it is not a real calendar date. */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March; a round trip rejects it.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / DAY_MS;
}

const dateCache = new Map<number, string>();

export function isoDate(day: number): string {
  let s = dateCache.get(day);
  if (s === undefined) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10);
    dateCache.set(day, s);
  }
  return s;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** ISO instant to the second, `...Z`; the day prefix is cached because millions of rows share few days. */
export function isoTimestamp(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const secs = Math.floor((ms - day * DAY_MS) / 1000);
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  return `${isoDate(day)}T${pad2(h)}:${pad2(m)}:${pad2(s)}Z`;
}

/** 0 = Sunday … 6 = Saturday. */
export const weekday = (day: number): number => (((day + 4) % 7) + 7) % 7;
/** 0 = January … 11 = December. */
export const monthOf = (day: number): number => new Date(day * DAY_MS).getUTCMonth();
export const dayOfMonth = (day: number): number => new Date(day * DAY_MS).getUTCDate();
export const yearOf = (day: number): number => new Date(day * DAY_MS).getUTCFullYear();
/** Month counter (year*12 + month), for per-calendar-month plan limits. */
export const monthKey = (day: number): number => yearOf(day) * 12 + monthOf(day);

export function todayUtc(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Studio wall-clock time → UTC. Timetables are local (06:00 spin), exports are UTC instants, so the
 * UTC hour of a class moves with daylight saving time just as in a real chain's exports.
 */
export class Zone {
  private readonly offsets = new Map<number, number>();
  private readonly fmt: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  }

  /** Minutes east of UTC on that local day (read at midday, after any 2 a.m. switch). */
  offsetMinutes(day: number): number {
    let off = this.offsets.get(day);
    if (off === undefined) {
      const name = this.fmt.formatToParts(new Date(day * DAY_MS + 12 * 3_600_000)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
      const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
      off = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
      this.offsets.set(day, off);
    }
    return off;
  }

  /** UTC epoch ms of a local wall-clock minute (may exceed 1440 to spill into the next day). */
  toUtc(day: number, minuteOfDay: number): number {
    return day * DAY_MS + (minuteOfDay - this.offsetMinutes(day)) * MINUTE_MS;
  }
}
