/** Test-side view of the example world: local times by Intl, independently of the SQL views. */
import { buildExampleWorld, EXAMPLE_ZONE, type ExampleWorld, type FixtureRow } from '@peak/analytics';

export const buildWorld = buildExampleWorld;
export const ZONE = EXAMPLE_ZONE;

const dayFormat = (zone: string) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
const hourFormat = (zone: string) => new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' });

/** Local calendar day and hour of a UTC instant in `zone`, computed by Intl (independently of the SQL). */
export function localTime(isoUtc: string, zone: string): { date: string; hour: number; weekday: number } {
  const d = new Date(isoUtc);
  const date = dayFormat(zone).format(d);
  const weekday = ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
  return { date, hour: Number(hourFormat(zone).format(d)), weekday };
}

export const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);

/** The world as the metric tests reason about it: current member versions, visits with local time and class. */
export function viewOf(w: ExampleWorld) {
  const current = new Map<string, FixtureRow>();
  for (const m of [...w.members, ...w.membersUpdate]) {
    const prev = current.get(String(m.member_id));
    if (!prev || String(m.updated_at) > String(prev.updated_at)) current.set(String(m.member_id), m);
  }
  const classById = new Map(w.classes.map((c) => [String(c.class_id), c]));
  const visits = w.attendance.map((a) => {
    const t = localTime(String(a.checked_in_at), ZONE);
    const c = a.class_id ? classById.get(String(a.class_id)) : undefined;
    return {
      member_id: String(a.member_id), location_id: String(a.location_id), local_date: t.date, local_hour: t.hour, local_weekday: t.weekday,
      class_type: c ? String(c.class_type) : undefined, instructor_id: c ? String(c.instructor_id) : undefined,
    };
  });
  type Local = { local_date: string; local_weekday: number; local_hour: number };
  const classes = w.classes.map((c): FixtureRow & Local => {
    const t = localTime(String(c.starts_at), ZONE);
    return { ...c, local_date: t.date, local_weekday: t.weekday, local_hour: t.hour };
  });
  const transactions = w.transactions.map((x): FixtureRow & { local_date: string } => ({ ...x, local_date: localTime(String(x.occurred_at), ZONE).date }));
  const checkins = w.attendance.map((a, i) => ({ class_id: a.class_id ?? null, ...(visits[i] as (typeof visits)[number]) }));
  return { members: [...current.values()], visits, classes, signups: w.signups, transactions, checkins };
}
