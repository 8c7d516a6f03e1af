import { defineMetric } from './define.js';
import { addDays, memberVisitsIn, membersInScope, paramsCte, partitionRange } from './filters.js';
import { dateParam, integerLiteral, sql, trusted, type Sql } from './sql.js';

/** Local hour bands a favourite visit time falls in (the studios' own schedule blocks). */
export const TIME_BANDS = { morning: 'before 10:00', midday: '10:00–15:59', evening: '16:00 and later' } as const;

/**
 * The churn model's inputs, one row per member who is still a member at the cut-off `to`: nothing dated after
 * `to` is read (no leakage), so a model trained on past cut-offs scores today's members the same way.
 */
export const churnFeatures = defineMetric({
  id: 'churn_features',
  title: 'Churn model features',
  category: 'members',
  definition:
    'One row per member who is a member at the end of `to` (the cut-off), read from their newest version recorded by the UTC day `to` ' +
    '(a member whose every version was recorded later — a snapshot export — is read from the earliest one: their attributes may then be newer than `to`): joined on or before it, not cancelled by it (`cancelled_on` after it or empty) and not yet churned by inactivity ' +
    '(the later of joining and the last check-in is fewer than `inactivityDays` days before it — `churn_monthly`\'s definition). Only data dated on or before `to` is read. ' +
    'Check-ins in the last 7, 30 and 90 days and the 30 before the last 30; days since the last check-in (empty: none since joining); weeks with a check-in among the last 12; ' +
    'routine = share of the last 84 days\' check-ins on their most frequent weekday; favourite class type and time band (morning < 10:00 ≤ midday < 16:00 ≤ evening) over 90 days; ' +
    'bookings of classes held in the last 90 days with their no-show and late-cancel rates and mean lead time in hours; bookings already made (before the UTC day `to`, so nothing later leaks in) for classes after `to`; ' +
    'app events in the last 7 and 30 UTC days and the 30 before, active app days, days since the last app event; ' +
    'failed membership payments and refunds in 90 days; the amount of the last membership payment in the year and days since (where the member is in their billing cycle); ' +
    'the mean fill (check-ins ÷ capacity) of the distinct classes they attended in 90 days; class ratings they gave in 90 days and their mean stars. ' +
    'Rates and means are empty when there is nothing to divide by.',
  filtersApply: 'location = members whose home studio it is; class type / instructor = members who attended such a class in the 90 days (their other activity still counts)',
  options: {
    inactivityDays: { kind: 'integer', description: 'Days without a check-in after which a member has churned (they are then no longer scored)', default: 30, min: 7, max: 365 },
  },
  columns: [
    { name: 'member_id', type: 'VARCHAR', description: 'Member' },
    { name: 'home_location_id', type: 'VARCHAR', description: 'Home studio' },
    { name: 'plan', type: 'VARCHAR', description: 'Membership plan, from the member\'s version as of `to` (see the definition)' },
    { name: 'join_date', type: 'DATE', description: 'Member since' },
    { name: 'tenure_days', type: 'INTEGER', description: '`to` − join date' },
    { name: 'age', type: 'INTEGER', description: 'Year of `to` − birth year (empty when not given)' },
    { name: 'last_visit', type: 'DATE', description: 'Last check-in since joining (empty: none)' },
    { name: 'days_since_last_visit', type: 'INTEGER', description: '`to` − last visit (empty: no visit since joining)' },
    { name: 'visits_7d', type: 'BIGINT', description: 'Check-ins in the 7 days ending `to`' },
    { name: 'visits_30d', type: 'BIGINT', description: 'Check-ins in the 30 days ending `to`' },
    { name: 'visits_90d', type: 'BIGINT', description: 'Check-ins in the 90 days ending `to`' },
    { name: 'visits_prev_30d', type: 'BIGINT', description: 'Check-ins in the 30 days before the last 30' },
    { name: 'visit_trend', type: 'BIGINT', description: 'visits_30d − visits_prev_30d' },
    { name: 'active_weeks_12w', type: 'BIGINT', description: 'Of the 12 seven-day weeks ending `to`, those with a check-in' },
    { name: 'routine_share', type: 'DOUBLE', description: 'Check-ins on the most frequent weekday ÷ check-ins, last 84 days (empty: none)' },
    { name: 'favourite_class_type', type: 'VARCHAR', description: 'Most attended class type in 90 days (ties alphabetical; empty: no classes)' },
    { name: 'favourite_time', type: 'VARCHAR', description: 'Time band of most check-ins in 90 days: morning, midday or evening (ties in that order; empty: none)' },
    { name: 'bookings_90d', type: 'BIGINT', description: 'Bookings of classes held in the 90 days' },
    { name: 'no_show_rate', type: 'DOUBLE', description: 'no_show ÷ those bookings' },
    { name: 'late_cancel_rate', type: 'DOUBLE', description: 'late_cancelled ÷ those bookings' },
    { name: 'booking_lead_hours', type: 'DOUBLE', description: 'Mean hours between booking and class start' },
    { name: 'upcoming_bookings', type: 'BIGINT', description: 'Bookings made before the UTC day `to` for classes after `to`, not cancelled by then' },
    { name: 'app_events_7d', type: 'BIGINT', description: 'App events in the 7 UTC days ending `to`' },
    { name: 'app_events_30d', type: 'BIGINT', description: 'App events in the 30 UTC days ending `to`' },
    { name: 'app_days_30d', type: 'BIGINT', description: 'Distinct UTC days with an app event in them' },
    { name: 'app_events_prev_30d', type: 'BIGINT', description: 'App events in the 30 UTC days before those' },
    { name: 'days_since_app', type: 'INTEGER', description: '`to` − the UTC day of their last app event in the 60 days (empty: none)' },
    { name: 'failed_payments_90d', type: 'BIGINT', description: 'Failed membership payments in the 90 days' },
    { name: 'refunds_90d', type: 'BIGINT', description: 'Refunds in the 90 days' },
    { name: 'last_dues_amount', type: 'DOUBLE', description: 'Amount of their last membership payment (settled or pending) in the year up to `to` (empty: none)' },
    { name: 'days_since_last_dues', type: 'INTEGER', description: '`to` − the local day of that payment (empty: none)' },
    { name: 'usual_class_fill', type: 'DOUBLE', description: 'Mean of check-ins ÷ capacity over the classes they attended in 90 days' },
    { name: 'ratings_90d', type: 'BIGINT', description: 'Class ratings they submitted in the 90 days' },
    { name: 'avg_rating_90d', type: 'DOUBLE', description: 'Mean stars of those ratings (empty: none)' },
  ],
  orderBy: 'member_id',
  build(f, o) {
    const to = f.to;
    const days = Number(o.inactivityDays);
    const age = (column: string) => trusted(`date_diff('day', ${column}, p.as_of)`);
    const within = (column: string, n: number) => sql`${age(column)} < ${integerLiteral(n)}`;
    const count = (cond: Sql) => sql`sum(CASE WHEN ${cond} THEN 1 ELSE 0 END)`;
    // The latest activity that keeps a member a member: the last check-in, or joining if that came later.
    // Whole minutes from booking to class start, from calendar days and clock fields: date_diff on timestamps differs between the engines.
    const leadMinutes = trusted("date_diff('day', CAST(s.booked_at AS DATE), CAST(c.starts_at AS DATE)) * 1440 + (hour(c.starts_at) - hour(s.booked_at)) * 60 + minute(c.starts_at) - minute(s.booked_at)");
    const lastActive = trusted('CASE WHEN l.last_visit > pop.join_date THEN l.last_visit ELSE pop.join_date END');
    return sql`WITH ${paramsCte({ as_of: to })},
member_versions AS (
  SELECT member_id, home_location_id, plan, join_date, cancelled_on, birth_year FROM (
    SELECT m.*, row_number() OVER (PARTITION BY m.member_id ORDER BY
      CASE WHEN CAST(m.updated_at AS DATE) <= p.as_of THEN 0 ELSE 1 END,
      CASE WHEN CAST(m.updated_at AS DATE) <= p.as_of THEN m.updated_at END DESC, m.updated_at, m.dt) AS version_rank
    FROM members m CROSS JOIN params p
  ) AS ranked WHERE version_rank = 1
),
scope AS (${membersInScope(f, addDays(to, -89), to, trusted('member_versions'))}),
visits AS (${memberVisitsIn(f, addDays(to, -364), to)}),
last_visits AS (SELECT member_id, max(local_date) AS last_visit FROM visits GROUP BY member_id),
population AS (
  SELECT pop.member_id, pop.home_location_id, pop.plan, pop.join_date, pop.birth_year,
    CASE WHEN l.last_visit >= pop.join_date THEN l.last_visit END AS last_visit
  FROM scope pop CROSS JOIN params p LEFT JOIN last_visits l ON l.member_id = pop.member_id
  WHERE pop.join_date <= ${dateParam(to)} AND (pop.cancelled_on IS NULL OR pop.cancelled_on > ${dateParam(to)})
    AND date_diff('day', ${lastActive}, p.as_of) < ${integerLiteral(days)}
),
visit_counts AS (
  SELECT v.member_id, ${count(within('v.local_date', 7))} AS visits_7d, ${count(within('v.local_date', 30))} AS visits_30d,
    ${count(within('v.local_date', 90))} AS visits_90d,
    ${count(sql`${within('v.local_date', 60)} AND NOT (${within('v.local_date', 30)})`)} AS visits_prev_30d,
    count(DISTINCT CASE WHEN ${within('v.local_date', 84)} THEN floor(CAST(${age('v.local_date')} AS DOUBLE) / 7) END) AS active_weeks_12w
  FROM visits v CROSS JOIN params p GROUP BY v.member_id
),
weekday_counts AS (
  SELECT v.member_id, v.local_weekday, count(*) AS n FROM visits v
  WHERE v.local_date > ${dateParam(addDays(to, -84))} GROUP BY v.member_id, v.local_weekday
),
routine AS (SELECT member_id, CAST(max(n) AS DOUBLE) / sum(n) AS routine_share FROM weekday_counts GROUP BY member_id),
recent AS (
  SELECT v.member_id, v.class_id, CASE WHEN v.local_hour < 10 THEN 'morning' WHEN v.local_hour < 16 THEN 'midday' ELSE 'evening' END AS time_band
  FROM visits v WHERE v.local_date > ${dateParam(addDays(to, -90))}
),
class_types AS (
  SELECT r.member_id, c.class_type, row_number() OVER (PARTITION BY r.member_id ORDER BY count(*) DESC, c.class_type) AS pick
  FROM recent r JOIN dim_classes c ON c.class_id = r.class_id GROUP BY r.member_id, c.class_type
),
time_bands AS (
  SELECT member_id, time_band,
    row_number() OVER (PARTITION BY member_id ORDER BY count(*) DESC, CASE time_band WHEN 'morning' THEN 1 WHEN 'midday' THEN 2 ELSE 3 END) AS pick
  FROM recent GROUP BY member_id, time_band
),
class_checkins AS (
  SELECT a.class_id, count(*) AS checkins FROM fact_attendance a
  WHERE ${partitionRange(addDays(to, -89), to)} AND a.local_date BETWEEN ${dateParam(addDays(to, -89))} AND ${dateParam(to)} AND a.class_id IS NOT NULL
  GROUP BY a.class_id
),
fill AS (
  SELECT r.member_id, avg(CAST(k.checkins AS DOUBLE) / c.capacity) AS usual_class_fill
  FROM (SELECT DISTINCT member_id, class_id FROM recent) r JOIN class_checkins k ON k.class_id = r.class_id JOIN dim_classes c ON c.class_id = r.class_id
  GROUP BY r.member_id
),
bookings AS (
  SELECT s.member_id, count(*) AS bookings_90d,
    ${count(trusted("s.status = 'no_show'"))} AS no_shows, ${count(trusted("s.status = 'late_cancelled'"))} AS late_cancels,
    avg(CASE WHEN s.booked_at <= c.starts_at THEN CAST(${leadMinutes} AS DOUBLE) / 60 END) AS booking_lead_hours
  FROM dim_signups s JOIN dim_classes c ON c.class_id = s.class_id
  WHERE c.local_date BETWEEN ${dateParam(addDays(to, -89))} AND ${dateParam(to)}
  GROUP BY s.member_id
),
upcoming AS (
  SELECT s.member_id, count(*) AS upcoming_bookings
  FROM dim_signups s JOIN dim_classes c ON c.class_id = s.class_id
  WHERE c.local_date > ${dateParam(to)} AND CAST(s.booked_at AS DATE) < ${dateParam(to)}
    AND (s.cancelled_at IS NULL OR CAST(s.cancelled_at AS DATE) >= ${dateParam(to)})
  GROUP BY s.member_id
),
app_events AS (
  SELECT e.member_id, CAST(e.occurred_at AS DATE) AS utc_day FROM engagement e
  WHERE e.dt BETWEEN ${dateParam(addDays(to, -59))} AND ${dateParam(to)}
),
app AS (
  SELECT e.member_id, ${count(within('e.utc_day', 30))} AS app_events_30d,
    count(DISTINCT CASE WHEN ${within('e.utc_day', 30)} THEN e.utc_day END) AS app_days_30d,
    ${count(sql`NOT (${within('e.utc_day', 30)})`)} AS app_events_prev_30d, ${count(within('e.utc_day', 7))} AS app_events_7d,
    min(${age('e.utc_day')}) AS days_since_app
  FROM app_events e CROSS JOIN params p
  GROUP BY e.member_id
),
payments AS (
  SELECT t.member_id, ${count(trusted("t.type = 'membership' AND t.status = 'failed'"))} AS failed_payments_90d, ${count(trusted("t.type = 'refund'"))} AS refunds_90d
  FROM fact_transactions t
  WHERE ${partitionRange(addDays(to, -89), to)} AND t.local_date BETWEEN ${dateParam(addDays(to, -89))} AND ${dateParam(to)}
  GROUP BY t.member_id
),
dues AS (
  SELECT member_id, local_date, amount, row_number() OVER (PARTITION BY member_id ORDER BY occurred_at DESC, transaction_id DESC) AS pick
  FROM fact_transactions
  WHERE ${partitionRange(addDays(to, -364), to)} AND local_date BETWEEN ${dateParam(addDays(to, -364))} AND ${dateParam(to)}
    AND type = 'membership' AND status <> 'failed'
),
ratings AS (
  SELECT r.member_id, count(*) AS ratings_90d, avg(CAST(r.rating AS DOUBLE)) AS avg_rating_90d FROM fact_class_feedback r
  WHERE ${partitionRange(addDays(to, -89), to)} AND r.local_date BETWEEN ${dateParam(addDays(to, -89))} AND ${dateParam(to)}
  GROUP BY r.member_id
)
SELECT pop.member_id, pop.home_location_id, pop.plan, pop.join_date,
  CAST(date_diff('day', pop.join_date, p.as_of) AS INTEGER) AS tenure_days,
  CAST(year(p.as_of) - pop.birth_year AS INTEGER) AS age,
  pop.last_visit, CAST(date_diff('day', pop.last_visit, p.as_of) AS INTEGER) AS days_since_last_visit,
  coalesce(vc.visits_7d, 0) AS visits_7d, coalesce(vc.visits_30d, 0) AS visits_30d, coalesce(vc.visits_90d, 0) AS visits_90d,
  coalesce(vc.visits_prev_30d, 0) AS visits_prev_30d, coalesce(vc.visits_30d, 0) - coalesce(vc.visits_prev_30d, 0) AS visit_trend,
  coalesce(vc.active_weeks_12w, 0) AS active_weeks_12w, r.routine_share,
  ct.class_type AS favourite_class_type, tb.time_band AS favourite_time,
  coalesce(b.bookings_90d, 0) AS bookings_90d,
  CAST(b.no_shows AS DOUBLE) / b.bookings_90d AS no_show_rate, CAST(b.late_cancels AS DOUBLE) / b.bookings_90d AS late_cancel_rate, b.booking_lead_hours,
  coalesce(u.upcoming_bookings, 0) AS upcoming_bookings,
  coalesce(a.app_events_7d, 0) AS app_events_7d, coalesce(a.app_events_30d, 0) AS app_events_30d, coalesce(a.app_days_30d, 0) AS app_days_30d, coalesce(a.app_events_prev_30d, 0) AS app_events_prev_30d,
  CAST(a.days_since_app AS INTEGER) AS days_since_app,
  coalesce(pm.failed_payments_90d, 0) AS failed_payments_90d, coalesce(pm.refunds_90d, 0) AS refunds_90d,
  CAST(d.amount AS DOUBLE) AS last_dues_amount, CAST(date_diff('day', d.local_date, p.as_of) AS INTEGER) AS days_since_last_dues,
  fl.usual_class_fill, coalesce(rt.ratings_90d, 0) AS ratings_90d, rt.avg_rating_90d
FROM population pop
CROSS JOIN params p
LEFT JOIN visit_counts vc ON vc.member_id = pop.member_id
LEFT JOIN routine r ON r.member_id = pop.member_id
LEFT JOIN class_types ct ON ct.member_id = pop.member_id AND ct.pick = 1
LEFT JOIN time_bands tb ON tb.member_id = pop.member_id AND tb.pick = 1
LEFT JOIN fill fl ON fl.member_id = pop.member_id
LEFT JOIN bookings b ON b.member_id = pop.member_id
LEFT JOIN upcoming u ON u.member_id = pop.member_id
LEFT JOIN app a ON a.member_id = pop.member_id
LEFT JOIN payments pm ON pm.member_id = pop.member_id
LEFT JOIN dues d ON d.member_id = pop.member_id AND d.pick = 1
LEFT JOIN ratings rt ON rt.member_id = pop.member_id
ORDER BY pop.member_id`;
  },
});
