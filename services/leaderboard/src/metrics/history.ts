import { addDays, dateParam, integerLiteral, joinSql, sql, type Row, type Sql, type SqlValue } from '@peak/analytics';

/**
 * The at-risk table's drill-down: for each member `at_risk_members` lists (no filter) as of `asOf`, their profile,
 * weekly visits, last check-ins and recent bookings. A refresh computes them with a few set-based queries over all
 * those members at once and stores each response body in its generation as `history|<memberId>`.
 */

export const HISTORY_WEEKS = 26;
export const RECENT_VISITS = 10;
export const BOOKING_DAYS = 90;
/** How far back the last check-ins are looked for, as the catalog's last visit: a year. */
const RECENT_VISITS_LOOKBACK_DAYS = 365;
/** Members per query: keeps each Athena query's parameter list bounded however many members are at risk. */
export const HISTORY_MEMBERS_PER_QUERY = 500;
export const BOOKING_STATUSES = ['attended', 'no_show', 'late_cancelled', 'cancelled', 'booked'] as const;
type BookingStatus = (typeof BOOKING_STATUSES)[number];

/** The Redis hash field of a member's history (member ids are identifiers: no `|` in them). */
export const historyField = (memberId: string) => `history|${memberId}`;

export type MemberHistory = {
  memberId: string;
  asOf: string;
  refreshedAt: string;
  member: { firstName: string | null; lastName: string | null; homeLocationId: string | null; plan: string | null; status: string | null; joinDate: string | null };
  atRisk: { lastVisit: string | null; daysSinceLastVisit: number | null; usualVisitsPerWeek: number | null; usualWeekday: number | null; usualHour: number | null };
  weeks: { weekStart: string; visits: number }[];
  recentVisits: { localDate: string; localTime: string; locationId: string | null; classType: string | null; className: string | null; instructorName: string | null }[];
  bookings90d: Record<BookingStatus, number>;
};

export type HistoryPart = 'members' | 'weeks' | 'recentVisits' | 'bookings';
export type HistoryQuery = { part: HistoryPart; query: Sql };

/** Monday of the local week of a day (ISO weeks, as the boards'). */
function weekStart(isoDate: string): string {
  const sundayZero = new Date(`${isoDate}T00:00:00Z`).getUTCDay();
  return addDays(isoDate, -((sundayZero + 6) % 7));
}

/** The Mondays of the HISTORY_WEEKS weeks ending with asOf's week, oldest first. */
function historyWeeks(asOf: string): string[] {
  const last = weekStart(asOf);
  return Array.from({ length: HISTORY_WEEKS }, (_, i) => addDays(last, -7 * (HISTORY_WEEKS - 1 - i)));
}

/** The `dt` partitions of `f` that can hold a local day in [from, to]: the catalog's partitionRange, which @peak/analytics does not export. */
const checkInDays = (from: string, to: string): Sql => sql`f.dt BETWEEN ${dateParam(addDays(from, -1))} AND ${dateParam(addDays(to, 1))}`;

/** The four queries of one group of members: profile, visits per week, last check-ins, bookings by outcome. */
function groupQueries(memberIds: readonly string[], asOf: string): HistoryQuery[] {
  const ids = joinSql(memberIds.map((id) => sql`${id}`), ', ');
  const firstWeek = historyWeeks(asOf)[0] ?? asOf;
  const lookFrom = addDays(asOf, -(RECENT_VISITS_LOOKBACK_DAYS - 1));
  const bookingsFrom = addDays(asOf, -(BOOKING_DAYS - 1));
  return [
    {
      part: 'members',
      query: sql`SELECT m.member_id, m.first_name, m.last_name, m.home_location_id, m.plan, m.status, m.join_date
FROM dim_members m
WHERE m.member_id IN (${ids})`,
    },
    {
      part: 'weeks',
      // local_weekday is ISO (1 = Monday) on both engines, unlike their own weekday functions.
      query: sql`SELECT f.member_id, CAST(f.local_date - INTERVAL '1' DAY * (f.local_weekday - 1) AS DATE) AS week_start, count(*) AS visits
FROM fact_attendance f
WHERE ${checkInDays(firstWeek, asOf)} AND f.local_date BETWEEN ${dateParam(firstWeek)} AND ${dateParam(asOf)} AND f.member_id IN (${ids})
GROUP BY f.member_id, CAST(f.local_date - INTERVAL '1' DAY * (f.local_weekday - 1) AS DATE)
ORDER BY f.member_id, week_start`,
    },
    {
      part: 'recentVisits',
      // The views expose the local hour only; the minute is the UTC one, the same in every whole-hour zone.
      query: sql`WITH ranked AS (
  SELECT f.member_id, f.class_id, f.location_id, f.local_date, f.local_hour, minute(f.checked_in_at) AS local_minute,
    row_number() OVER (PARTITION BY f.member_id ORDER BY f.checked_in_at DESC, f.checkin_id DESC) AS recency
  FROM fact_attendance f
  WHERE ${checkInDays(lookFrom, asOf)} AND f.local_date BETWEEN ${dateParam(lookFrom)} AND ${dateParam(asOf)} AND f.member_id IN (${ids})
)
SELECT r.member_id, r.local_date, r.local_hour, r.local_minute, r.location_id, c.class_type, c.class_name, c.instructor_name
FROM ranked r
LEFT JOIN dim_classes c ON c.class_id = r.class_id
WHERE r.recency <= ${integerLiteral(RECENT_VISITS)}
ORDER BY r.member_id, r.recency`,
    },
    {
      part: 'bookings',
      // As booking_outcomes: bookings for the classes held in the period (not those the studio cancelled).
      query: sql`SELECT s.member_id, s.status, count(*) AS bookings
FROM dim_signups s
JOIN dim_classes c ON c.class_id = s.class_id
WHERE c.local_date BETWEEN ${dateParam(bookingsFrom)} AND ${dateParam(asOf)} AND NOT c.cancelled AND s.member_id IN (${ids})
GROUP BY s.member_id, s.status`,
    },
  ];
}

/** The queries of the histories of these members as of asOf: four per HISTORY_MEMBERS_PER_QUERY members. */
export function historyQueries(memberIds: readonly string[], asOf: string): HistoryQuery[] {
  const queries: HistoryQuery[] = [];
  for (let i = 0; i < memberIds.length; i += HISTORY_MEMBERS_PER_QUERY) queries.push(...groupQueries(memberIds.slice(i, i + HISTORY_MEMBERS_PER_QUERY), asOf));
  return queries;
}

const text = (v: SqlValue | undefined): string | null => (typeof v === 'string' ? v : null);
const number = (v: SqlValue | undefined): number | null => (typeof v === 'number' ? v : null);
const twoDigits = (v: SqlValue | undefined) => String(v).padStart(2, '0');

/** Rows grouped by member, in the order the query gave them. */
function byMember(rows: readonly Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const id = String(row.member_id);
    const group = groups.get(id);
    if (group) group.push(row);
    else groups.set(id, [row]);
  }
  return groups;
}

/** Every at-risk member's history as its response body (JSON text), by member id, from their at_risk_members rows and the answers of historyQueries. */
export function buildHistories(atRiskRows: readonly Row[], asOf: string, refreshedAt: string, answers: readonly { part: HistoryPart; rows: readonly Row[] }[]): Map<string, string> {
  const rowsOf = (part: HistoryPart) => byMember(answers.filter((a) => a.part === part).flatMap((a) => a.rows));
  const members = rowsOf('members');
  const weeks = rowsOf('weeks');
  const visits = rowsOf('recentVisits');
  const bookings = rowsOf('bookings');
  const mondays = historyWeeks(asOf);
  const bodies = new Map<string, string>();
  for (const risk of atRiskRows) {
    const memberId = String(risk.member_id);
    const m = members.get(memberId)?.[0] ?? {}; // gone from the members export: its fields are null
    const perWeek = new Map((weeks.get(memberId) ?? []).map((w) => [String(w.week_start), Number(w.visits)]));
    const outcomes = Object.fromEntries(BOOKING_STATUSES.map((s) => [s, 0])) as Record<BookingStatus, number>;
    for (const b of bookings.get(memberId) ?? []) if (String(b.status) in outcomes) outcomes[b.status as BookingStatus] = Number(b.bookings);
    const history: MemberHistory = {
      memberId,
      asOf,
      refreshedAt,
      member: { firstName: text(m.first_name), lastName: text(m.last_name), homeLocationId: text(m.home_location_id), plan: text(m.plan), status: text(m.status), joinDate: text(m.join_date) },
      atRisk: {
        lastVisit: text(risk.last_visit),
        daysSinceLastVisit: number(risk.days_since_last_visit),
        usualVisitsPerWeek: number(risk.usual_visits_per_week),
        usualWeekday: number(risk.usual_weekday),
        usualHour: number(risk.usual_hour),
      },
      weeks: mondays.map((monday) => ({ weekStart: monday, visits: perWeek.get(monday) ?? 0 })),
      recentVisits: (visits.get(memberId) ?? []).map((v) => ({
        localDate: String(v.local_date),
        localTime: `${twoDigits(v.local_hour)}:${twoDigits(v.local_minute)}`,
        locationId: text(v.location_id),
        classType: text(v.class_type),
        className: text(v.class_name),
        instructorName: text(v.instructor_name),
      })),
      bookings90d: outcomes,
    };
    bodies.set(memberId, JSON.stringify(history));
  }
  return bodies;
}
