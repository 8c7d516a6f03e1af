/**
 * Numbers, percentages, dates and names as the dashboard shows them. Deterministic: English, a fixed month
 * table, UTC for timestamps, whatever the browser's locale and time zone. Anything that is not a finite number
 * shows as an en dash, never as "NaN".
 */

export const DASH = '–';

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** 12345 → "12,345". */
export function formatCount(n: number | null | undefined): string {
  return finite(n) ? grouped.format(Math.round(n)) : DASH;
}

/** A fraction as a percentage: 0.1234 → "12%" (digits 0), "12.3%" (digits 1). */
export function formatPercent(fraction: number | null | undefined, digits = 0): string {
  if (!finite(fraction)) return DASH;
  const s = (fraction * 100).toFixed(digits);
  return `${Number(s) === 0 ? (0).toFixed(digits) : s}%`; // no "-0%"
}

/**
 * A churn risk (a probability) for a manager: whole percents, with "<1%" and ">99%" at the ends so that
 * a small risk never reads as none and a large one never as certain.
 */
export function formatRisk(score: number | null | undefined): string {
  if (!finite(score)) return DASH;
  if (score > 0 && score < 0.005) return '<1%';
  if (score < 1 && score > 0.995) return '>99%';
  return formatPercent(score, 0);
}

/** part of whole as a percentage with one decimal ("12.5%"); a dash when whole is 0. */
export function formatShare(part: number, whole: number): string {
  return whole > 0 ? formatPercent(part / whole, 1) : DASH;
}

/** A difference of two fractions in percentage points: 0.034 → "3.4 points". */
export function formatPoints(diff: number): string {
  if (!finite(diff)) return DASH;
  const p = Math.abs(diff * 100);
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)} point${p.toFixed(1) === '1.0' ? '' : 's'}`;
}

/** A metric with a fixed number of decimals: 0.86123 → "0.861". */
export function formatMetric(x: number | null | undefined, digits = 3): string {
  return finite(x) ? x.toFixed(digits) : DASH;
}

/** A lift: 3.21 → "3.2×". */
export function formatLift(x: number | null | undefined): string {
  return finite(x) ? `${x.toFixed(1)}×` : DASH;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-12-07" (or a timestamp, read in UTC) → "7 Dec 2026"; anything unreadable is shown as it came. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(iso);
  if (!m) return iso;
  const month = MONTHS[Number(m[2]) - 1];
  return month ? `${Number(m[3])} ${month} ${m[1]}` : iso;
}

/** "2026-12-07T06:03:11.000Z" → "7 Dec 2026, 06:03 UTC"; a bare date → "7 Dec 2026". */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return formatDate(iso);
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${formatDate(d.toISOString())}, ${hh}:${mm} UTC`;
}

/** An identifier as a name: "downtown" → "Downtown", "harbor-view" / "harbor_view" → "Harbor View". */
export function titleCase(id: string): string {
  return id
    .split(/[-_\s]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/** A studio's name from its location id (the API gives ids only; the sample chain's ids are slugs). */
export const studioName = (locationId: string): string => titleCase(locationId) || locationId;

/** A plan's name: "unlimited" → "Unlimited", "off_peak" → "Off Peak"; unknown → a dash. */
export const planName = (plan: string | null | undefined): string => (plan ? titleCase(plan) || plan : DASH);

/** "Jane Doe", or the member id when the name is missing. */
export function memberName(m: { firstName?: string | null; lastName?: string | null; memberId: string }): string {
  const name = [m.firstName, m.lastName].filter((s) => s && s.trim()).join(' ').trim();
  return name || m.memberId;
}

/** "1 member", "2 members". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** A bin's label: (0.05, 0.1) → "5–10%". */
export function formatRange(from: number, to: number): string {
  return `${Math.round(from * 100)}–${Math.round(to * 100)}%`;
}

/**
 * The studio filter's choices, by name: "All studios", then each known studio; a studio from the URL that the
 * API does not know is kept (marked "unknown") so the select still shows what the URL asks for.
 */
export function studioChoices(known: readonly string[] | null, current: string | null): [value: string, text: string][] {
  const ids = [...(known ?? [])].sort((a, b) => studioName(a).localeCompare(studioName(b)));
  if (current && !ids.includes(current)) ids.push(current);
  return [['', 'All studios'], ...ids.map((id): [string, string] => [id, known && !known.includes(id) ? `${id} (unknown)` : studioName(id)])];
}

export type LocalDay = { y: number; m: number; d: number; hh: string; mm: string };
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** A timestamp's calendar day and time of day in a time zone (UTC when the zone is unknown). */
export function inZone(ms: number, timeZone: string): LocalDay {
  let f = zoneFormats.get(timeZone);
  if (!f) {
    const opts = { year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } as const;
    try {
      f = new Intl.DateTimeFormat('en-US', { ...opts, timeZone });
    } catch {
      f = new Intl.DateTimeFormat('en-US', { ...opts, timeZone: 'UTC' });
    }
    zoneFormats.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(ms).map((p) => [p.type, p.value]));
  return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day), hh: parts.hour ?? '00', mm: parts.minute ?? '00' };
}

/**
 * A period's days in the studios' zone, its end exclusive: "7–13 Dec 2026", "30 Nov – 6 Dec 2026",
 * "28 Dec 2026 – 3 Jan 2027"; no start (all time) → "All time".
 */
export function formatPeriodDates(from: string | null | undefined, to: string | null | undefined, timeZone: string): string {
  const start = from ? Date.parse(from) : NaN;
  const end = to ? Date.parse(to) : NaN;
  if (!Number.isFinite(start)) return 'All time';
  const a = inZone(start, timeZone);
  if (!Number.isFinite(end)) return `Since ${a.d} ${MONTHS[a.m - 1]} ${a.y}`;
  const b = inZone(end - 1, timeZone); // the last moment of the period
  if (a.y !== b.y) return `${a.d} ${MONTHS[a.m - 1]} ${a.y} – ${b.d} ${MONTHS[b.m - 1]} ${b.y}`;
  if (a.m !== b.m) return `${a.d} ${MONTHS[a.m - 1]} – ${b.d} ${MONTHS[b.m - 1]} ${b.y}`;
  return a.d === b.d ? `${a.d} ${MONTHS[a.m - 1]} ${a.y}` : `${a.d}–${b.d} ${MONTHS[a.m - 1]} ${a.y}`;
}

/** A timestamp in the studios' zone: "9 Dec 2026, 10:00"; unreadable → as it came. */
export function formatZoned(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return DASH;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const p = inZone(ms, timeZone);
  return `${p.d} ${MONTHS[p.m - 1]} ${p.y}, ${p.hh}:${p.mm}`;
}
