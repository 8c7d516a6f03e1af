import { defineMetric, type MetricDefinition, type OptionValues } from './define.js';
import { addDays, checkFilters, classFilters, MetricInputError, memberVisitsIn, membersInScope, monthsBetween, monthStart, paramsCte, partitionRange, visitsIn, type MetricFilters } from './filters.js';
import { dateParam, integerLiteral, sql, trusted, type Sql } from './sql.js';
import { classRatings } from './class-feedback.js';
import { churnFeatures } from './churn-features.js';

const LOCATION_HOME = 'location = members whose home studio it is; class type / instructor = members who attended such a class in the period looked at (their other visits still count)';
const LOCATION_VISIT = 'location = where the check-in happened; class type / instructor = check-ins of such classes only (open-gym visits drop out)';
/** How far back "last visit" looks: a member with no visit in a year has long churned by any definition. */
const LOOKBACK_DAYS = 365;

export const activeMembers = defineMetric({
  id: 'active_members',
  title: 'Active members',
  category: 'engagement',
  definition: 'Members with at least one check-in in the `windowDays` local days ending on `to` (default 30), counted once each.',
  filtersApply: LOCATION_HOME,
  options: { windowDays: { kind: 'integer', description: 'Length of the activity window in days', default: 30, min: 1, max: 365 } },
  columns: [
    { name: 'as_of', type: 'DATE', description: 'Last day of the window (the range\'s `to`)' },
    { name: 'active_members', type: 'BIGINT', description: 'Members with a check-in in the window' },
  ],
  orderBy: 'one row',
  build(f, o) {
    const from = addDays(f.to, -(Number(o.windowDays) - 1));
    return sql`WITH ${paramsCte({ as_of: f.to })},
scope AS (${membersInScope(f, from, f.to)}),
active AS (SELECT DISTINCT v.member_id FROM (${memberVisitsIn(f, from, f.to)}) AS v JOIN scope s ON s.member_id = v.member_id)
SELECT p.as_of, count(a.member_id) AS active_members
FROM params p LEFT JOIN active a ON TRUE
GROUP BY p.as_of`;
  },
});

export const visitsPerMemberPerWeek = defineMetric({
  id: 'visits_per_member_per_week',
  title: 'Visits per member per week',
  category: 'engagement',
  definition: 'Check-ins in [`from`, `to`] ÷ members who checked in at least once in it ÷ (days in the range ÷ 7). Empty when nobody checked in.',
  filtersApply: LOCATION_VISIT,
  options: {},
  columns: [
    { name: 'visits', type: 'BIGINT', description: 'Check-ins in the range' },
    { name: 'members', type: 'BIGINT', description: 'Members with at least one of them' },
    { name: 'weeks', type: 'DOUBLE', description: 'Days in the range ÷ 7' },
    { name: 'visits_per_member_per_week', type: 'DOUBLE', description: 'visits ÷ members ÷ weeks' },
  ],
  orderBy: 'one row',
  build(f) {
    const weeks = trusted(`CAST(date_diff('day', p.range_from, p.as_of) + 1 AS DOUBLE) / 7`);
    return sql`WITH ${paramsCte({ range_from: f.from, as_of: f.to })},
visits AS (${visitsIn(f, f.from, f.to)})
SELECT count(v.member_id) AS visits, count(DISTINCT v.member_id) AS members, ${weeks} AS weeks,
  CASE WHEN count(v.member_id) = 0 THEN NULL ELSE CAST(count(v.member_id) AS DOUBLE) / count(DISTINCT v.member_id) / (${weeks}) END AS visits_per_member_per_week
FROM params p LEFT JOIN visits v ON TRUE
GROUP BY p.range_from, p.as_of`;
  },
});

/** The at-risk window's options, shared by at_risk_members and member_features (the flag is the same rule). */
const AT_RISK_OPTIONS = {
  minDaysSince: { kind: 'integer', description: 'Days without a check-in that make an active member at risk', default: 14, min: 1, max: 364 },
  windowDays: { kind: 'integer', description: 'Activity window: a member with no check-in in this many days is no longer active (as `active_members`)', default: 30, min: 2, max: 365 },
} as const;

function checkAtRiskOptions(o: OptionValues): void {
  if (Number(o.minDaysSince) >= Number(o.windowDays)) {
    throw new MetricInputError('BAD_OPTION', `minDaysSince (${o.minDaysSince}) must be smaller than windowDays (${o.windowDays}): nobody can be active and away that long`);
  }
}

export const atRiskMembers = defineMetric({
  id: 'at_risk_members',
  title: 'At-risk members',
  category: 'retention',
  definition:
    'Members whose membership status is `active`, who checked in during the `windowDays` local days ending on `to` (default 30, so they still count in `active_members`) ' +
    'but not in the last `minDaysSince` of them (default 14): last check-in between `windowDays` − 1 and `minDaysSince` days before `to` — the step before churning by inactivity. ' +
    'Their usual pattern comes from the 84 days up to their last visit: check-ins per week (÷ 12 weeks, or the weeks since joining if fewer), most frequent local weekday (1 = Monday) and hour.',
  filtersApply: LOCATION_HOME,
  options: AT_RISK_OPTIONS,
  columns: [
    { name: 'member_id', type: 'VARCHAR', description: 'Member' },
    { name: 'first_name', type: 'VARCHAR', description: 'Given name' },
    { name: 'last_name', type: 'VARCHAR', description: 'Family name' },
    { name: 'home_location_id', type: 'VARCHAR', description: 'Home studio' },
    { name: 'plan', type: 'VARCHAR', description: 'Membership plan' },
    { name: 'last_visit', type: 'DATE', description: 'Local day of the last check-in' },
    { name: 'days_since_last_visit', type: 'INTEGER', description: '`to` − last visit, in days' },
    { name: 'usual_visits_per_week', type: 'DOUBLE', description: 'Check-ins per week in the 12 weeks up to the last visit' },
    { name: 'usual_weekday', type: 'INTEGER', description: 'Most frequent local weekday then (1 = Monday … 7 = Sunday; ties: the earlier day)' },
    { name: 'usual_hour', type: 'INTEGER', description: 'Most frequent local hour then (ties: the earlier hour)' },
  ],
  orderBy: 'days_since_last_visit, member_id',
  checkOptions: checkAtRiskOptions,
  build(f, o) {
    const windowFrom = addDays(f.to, -(Number(o.windowDays) - 1));
    const quietFrom = addDays(f.to, -(Number(o.minDaysSince) - 1)); // first day of the quiet stretch
    const patternFrom = addDays(windowFrom, -83);
    return sql`WITH ${paramsCte({ as_of: f.to })},
scope AS (${membersInScope(f, windowFrom, f.to)}),
last_visits AS (SELECT member_id, max(local_date) AS last_visit FROM (${memberVisitsIn(f, windowFrom, f.to)}) AS v GROUP BY member_id),
at_risk AS (
  SELECT s.member_id, s.first_name, s.last_name, s.home_location_id, s.plan, s.join_date, l.last_visit
  FROM scope s JOIN last_visits l ON l.member_id = s.member_id
  WHERE s.status = 'active' AND l.last_visit < ${dateParam(quietFrom)}
),
recent AS (
  SELECT v.member_id, v.local_weekday, v.local_hour, count(*) AS visits
  FROM fact_attendance v JOIN at_risk r ON r.member_id = v.member_id
  WHERE ${partitionRange(patternFrom, f.to)} AND v.local_date BETWEEN ${dateParam(patternFrom)} AND ${dateParam(f.to)}
    AND date_diff('day', v.local_date, r.last_visit) BETWEEN 0 AND 83
  GROUP BY v.member_id, v.local_weekday, v.local_hour
),
recent_counts AS (SELECT member_id, sum(visits) AS visits_84d FROM recent GROUP BY member_id),
weekdays AS (
  SELECT member_id, local_weekday, row_number() OVER (PARTITION BY member_id ORDER BY sum(visits) DESC, local_weekday) AS pick
  FROM recent GROUP BY member_id, local_weekday
),
hours AS (
  SELECT member_id, local_hour, row_number() OVER (PARTITION BY member_id ORDER BY sum(visits) DESC, local_hour) AS pick
  FROM recent GROUP BY member_id, local_hour
)
SELECT r.member_id, r.first_name, r.last_name, r.home_location_id, r.plan, r.last_visit,
  CAST(date_diff('day', r.last_visit, p.as_of) AS INTEGER) AS days_since_last_visit,
  CAST(c.visits_84d AS DOUBLE) / CASE WHEN date_diff('day', r.join_date, r.last_visit) >= 77 THEN 12
    ELSE ceil(CAST(date_diff('day', r.join_date, r.last_visit) + 1 AS DOUBLE) / 7) END AS usual_visits_per_week,
  w.local_weekday AS usual_weekday, h.local_hour AS usual_hour
FROM at_risk r
CROSS JOIN params p
JOIN recent_counts c ON c.member_id = r.member_id
LEFT JOIN weekdays w ON w.member_id = r.member_id AND w.pick = 1
LEFT JOIN hours h ON h.member_id = r.member_id AND h.pick = 1
ORDER BY days_since_last_visit, r.member_id`;
  },
});

export const churnMonthly = defineMetric({
  id: 'churn_monthly',
  title: 'Monthly churn and net member movement',
  category: 'retention',
  definition:
    'For each calendar month touching [`from`, `to`]: members at the start (joined before the month, not churned before it), joined in the month, churned in the month, at the end (start + joined − churned), ' +
    'and churn rate = churned ÷ start. **Churn date**, by `churnBy`: `inactivity` (default) — the day `inactivityDays` (default 30) after the later of joining and the last check-in up to `to` ' +
    '(so a member who never checked in churns that many days after joining), only if that day is on or before `to`; `cancellation` — the membership\'s `cancelled_on`. ' +
    'A member who comes back after a long gap is not counted as churned and rejoined (their last check-in is what counts).',
  filtersApply: `${LOCATION_HOME}; the period looked at starts \`inactivityDays\` before \`from\``,
  options: {
    churnBy: { kind: 'choice', description: 'What makes a member churned', default: 'inactivity', choices: ['inactivity', 'cancellation'] },
    inactivityDays: { kind: 'integer', description: 'Days without a check-in after which a member has churned (churnBy = inactivity)', default: 30, min: 7, max: 365 },
  },
  columns: [
    { name: 'month', type: 'DATE', description: 'First day of the month' },
    { name: 'members_start', type: 'BIGINT', description: 'Members at the start of the month' },
    { name: 'joined', type: 'BIGINT', description: 'Members who joined during the month' },
    { name: 'churned', type: 'BIGINT', description: 'Members whose churn date falls in the month' },
    { name: 'members_end', type: 'BIGINT', description: 'start + joined − churned' },
    { name: 'net_change', type: 'BIGINT', description: 'joined − churned' },
    { name: 'churn_rate', type: 'DOUBLE', description: 'churned ÷ start (empty when start is 0)' },
  ],
  orderBy: 'month',
  build(f, o) {
    const days = integerLiteral(Number(o.inactivityDays));
    // Check-ins before from − inactivityDays cannot move a churn date into the range (it lands before `from` either way), so none are read.
    const lookFrom = addDays(f.from, -Number(o.inactivityDays));
    const inactiveFrom = sql`CAST(CASE WHEN l.last_visit > s.join_date THEN l.last_visit ELSE s.join_date END + INTERVAL '1' DAY * ${days} AS DATE)`;
    const byCancellation = o.churnBy === 'cancellation';
    const churnDate = byCancellation ? trusted('s.cancelled_on') : sql`CASE WHEN ${inactiveFrom} <= p.as_of THEN ${inactiveFrom} END`;
    const lastVisits = byCancellation
      ? trusted('SELECT member_id, CAST(NULL AS DATE) AS last_visit FROM scope WHERE FALSE') // the churn date does not depend on visits
      : sql`SELECT member_id, max(local_date) AS last_visit FROM (${memberVisitsIn(f, lookFrom, f.to)}) AS v GROUP BY member_id`;
    return sql`WITH ${paramsCte({ as_of: f.to })},
scope AS (${membersInScope(f, lookFrom, f.to)}),
last_visits AS (${lastVisits}),
lifecycle AS (
  SELECT s.member_id, s.join_date, ${churnDate} AS churn_date
  FROM scope s CROSS JOIN params p LEFT JOIN last_visits l ON l.member_id = s.member_id
),
months AS (${monthsBetween(f.from, f.to)}),
movement AS (
  SELECT mo.month,
    sum(CASE WHEN lc.join_date < mo.month AND (lc.churn_date IS NULL OR lc.churn_date >= mo.month) THEN 1 ELSE 0 END) AS members_start,
    sum(CASE WHEN lc.join_date >= mo.month AND lc.join_date < mo.next_month THEN 1 ELSE 0 END) AS joined,
    sum(CASE WHEN lc.churn_date >= mo.month AND lc.churn_date < mo.next_month THEN 1 ELSE 0 END) AS churned
  FROM months mo LEFT JOIN lifecycle lc ON TRUE -- every month, even with no members in scope
  GROUP BY mo.month
)
SELECT month, members_start, joined, churned, members_start + joined - churned AS members_end, joined - churned AS net_change,
  CASE WHEN members_start = 0 THEN NULL ELSE CAST(churned AS DOUBLE) / members_start END AS churn_rate
FROM movement
ORDER BY month`;
  },
});

export const retentionCohorts = defineMetric({
  id: 'retention_cohorts',
  title: 'Retention cohorts by join month',
  category: 'retention',
  definition:
    'Members who joined in each month touching [`from`, `to`] (by `join_date`), and for each month since (0 = the join month, up to the month of `to`): ' +
    'how many of them checked in at least once in that month, and that share of the cohort. The heatmap of the dashboard.',
  filtersApply: LOCATION_HOME,
  options: {},
  columns: [
    { name: 'cohort_month', type: 'DATE', description: 'First day of the join month' },
    { name: 'months_since_join', type: 'INTEGER', description: '0 = the join month' },
    { name: 'cohort_size', type: 'BIGINT', description: 'Members who joined that month' },
    { name: 'retained', type: 'BIGINT', description: 'Of them, members with a check-in in that month' },
    { name: 'retention_rate', type: 'DOUBLE', description: 'retained ÷ cohort_size' },
  ],
  orderBy: 'cohort_month, months_since_join',
  build(f) {
    const firstMonth = monthStart(f.from);
    return sql`WITH scope AS (${membersInScope(f, firstMonth, f.to)}),
visits AS (${memberVisitsIn(f, firstMonth, f.to)}),
cohorts AS (
  SELECT member_id, CAST(date_trunc('month', join_date) AS DATE) AS cohort_month
  FROM scope WHERE join_date BETWEEN ${dateParam(firstMonth)} AND ${dateParam(f.to)}
),
sizes AS (SELECT cohort_month, count(*) AS cohort_size FROM cohorts GROUP BY cohort_month),
offsets AS (
  SELECT c.cohort_month, CAST(date_diff('month', c.cohort_month, months.month) AS INTEGER) AS months_since_join
  FROM sizes c JOIN (${monthsBetween(f.from, f.to)}) AS months ON months.month >= c.cohort_month
),
active AS (
  SELECT c.cohort_month, CAST(date_diff('month', c.cohort_month, CAST(date_trunc('month', v.local_date) AS DATE)) AS INTEGER) AS months_since_join,
    count(DISTINCT v.member_id) AS retained
  FROM cohorts c JOIN visits v ON v.member_id = c.member_id
  WHERE v.local_date >= c.cohort_month
  GROUP BY 1, 2
)
SELECT o.cohort_month, o.months_since_join, s.cohort_size, coalesce(a.retained, 0) AS retained,
  CAST(coalesce(a.retained, 0) AS DOUBLE) / s.cohort_size AS retention_rate
FROM offsets o
JOIN sizes s ON s.cohort_month = o.cohort_month
LEFT JOIN active a ON a.cohort_month = o.cohort_month AND a.months_since_join = o.months_since_join
ORDER BY o.cohort_month, o.months_since_join`;
  },
});

const LOCATION_CLASS = 'location = where the class is held; class type / instructor = those classes only';

/** Classes (not cancelled by the studio) starting on local days [from, to], narrowed by location, type and instructor. */
function classesIn(f: MetricFilters, from: string, to: string): Sql {
  return sql`SELECT c.* FROM dim_classes c
  WHERE c.local_date BETWEEN ${dateParam(from)} AND ${dateParam(to)} AND NOT c.cancelled${f.location ? sql` AND c.location_id = ${f.location}` : trusted('')}${classFilters(f, 'c')}`;
}

/** Members checked in per class: distinct members (a double scan at the door is one attendee). */
function attendeesOf(from: string, to: string): Sql {
  // A check-in happens shortly before its class, possibly on the UTC day before: one more day of partitions.
  return sql`SELECT class_id, count(DISTINCT member_id) AS attendees FROM fact_attendance
  WHERE ${partitionRange(addDays(from, -1), to)} AND class_id IS NOT NULL GROUP BY class_id`;
}

/** Fill = attendees ÷ capacity over the classes of each group (ordered by the group columns). */
function fillBy(f: MetricFilters, groupColumns: readonly string[]): Sql {
  const cols = trusted(groupColumns.map((c) => `k.${c}`).join(', '));
  return sql`WITH classes AS (${classesIn(f, f.from, f.to)}),
attendees AS (${attendeesOf(f.from, f.to)})
SELECT ${cols}, count(*) AS classes, sum(k.capacity) AS capacity, sum(coalesce(a.attendees, 0)) AS attendees,
  CAST(sum(coalesce(a.attendees, 0)) AS DOUBLE) / sum(k.capacity) AS fill_rate
FROM classes k LEFT JOIN attendees a ON a.class_id = k.class_id
GROUP BY ${cols}
ORDER BY ${cols}`;
}

/** The group columns of the fill metrics (their rows come in this order). */
export const FILL_GROUP_COLUMNS = {
  class_fill_heatmap: ['location_id', 'local_weekday', 'local_hour'],
  fill_by_class_type: ['class_type'],
} as const satisfies Readonly<Record<string, readonly string[]>>;

/**
 * The columns of {@link fillGrain}'s groups: every column the fill metrics filter on (location, class type and
 * instructor, as `classesIn` filters) or group by.
 */
export const FILL_GRAIN_COLUMNS = ['location_id', 'class_type', 'instructor_id', 'local_weekday', 'local_hour'] as const;

/**
 * The fill metrics' query with no filters, grouped by location × class type × instructor × local weekday × local
 * hour (the metrics cache's batch): every group of every filter choice of `class_fill_heatmap` and
 * `fill_by_class_type` is a union of these groups, so summing their `classes`, `capacity` and `attendees` (whole
 * numbers) gives exactly what the metric's own query gives; its fill rate is then attendees ÷ capacity of the sums.
 * The per-group `fill_rate` here is of no use for that.
 */
export function fillGrain(from: string, to: string): Sql {
  return fillBy(checkFilters({ from, to }), FILL_GRAIN_COLUMNS);
}

const fillColumns = [
  { name: 'classes', type: 'BIGINT', description: 'Classes held (not cancelled by the studio)' },
  { name: 'capacity', type: 'BIGINT', description: 'Spots offered' },
  { name: 'attendees', type: 'BIGINT', description: 'Members checked in to them' },
  { name: 'fill_rate', type: 'DOUBLE', description: 'attendees ÷ capacity' },
] as const;

export const classFillHeatmap = defineMetric({
  id: 'class_fill_heatmap',
  title: 'Class fill rate by location × weekday × hour',
  category: 'classes',
  definition: 'Classes starting on local days [`from`, `to`] (not cancelled by the studio), grouped by location, local weekday (1 = Monday) and local start hour: attendees (distinct members checked in to the class) ÷ capacity.',
  filtersApply: LOCATION_CLASS,
  options: {},
  columns: [
    { name: 'location_id', type: 'VARCHAR', description: 'Studio' },
    { name: 'local_weekday', type: 'INTEGER', description: '1 = Monday … 7 = Sunday' },
    { name: 'local_hour', type: 'INTEGER', description: 'Local start hour' },
    ...fillColumns,
  ],
  orderBy: 'location_id, local_weekday, local_hour',
  build: (f) => fillBy(f, FILL_GROUP_COLUMNS.class_fill_heatmap),
});

export const fillByClassType = defineMetric({
  id: 'fill_by_class_type',
  title: 'Class fill rate by class type',
  category: 'classes',
  definition: 'As the heatmap, grouped by class type.',
  filtersApply: LOCATION_CLASS,
  options: {},
  columns: [{ name: 'class_type', type: 'VARCHAR', description: 'Kind of class' }, ...fillColumns],
  orderBy: 'class_type',
  build: (f) => fillBy(f, FILL_GROUP_COLUMNS.fill_by_class_type),
});

/**
 * The filter keys of {@link instructorPerformanceSql}: which filters (besides those of its own `f`) a group of its rows
 * answers. An instructor filter needs none: every part of the metric is per instructor, so it only picks that
 * instructor's row of the answer without it.
 */
export const INSTRUCTOR_FILTER_KEYS = ['none', 'location', 'classType', 'location+classType'] as const;
export type InstructorFilterKey = (typeof INSTRUCTOR_FILTER_KEYS)[number];

/** The columns a keyed answer starts with: the key's name, then its location and class type ('' = not grouped by it). */
export const INSTRUCTOR_KEY_COLUMNS = ['filter_key', 'key_location', 'key_class_type'] as const;
const KEY_VALUES: Record<InstructorFilterKey, readonly [location: string, classType: string]> = {
  none: ["''", "''"],
  location: ['k.location_id', "''"],
  classType: ["''", 'k.class_type'],
  'location+classType': ['k.location_id', 'k.class_type'],
};

/**
 * instructor_performance's SQL. Without `keys`, the metric itself. With keys (the metrics cache's batch), the classes
 * are repeated once per key (UNION ALL) and every step is also grouped by {@link INSTRUCTOR_KEY_COLUMNS} (first in
 * the answer, which is ordered by them, then by instructor as the metric is): the rows of key `location` with
 * key_location = L are, row for row, the answer filtered on location L (given the same `f`); those of `none`, the
 * answer to `f` itself.
 */
export function instructorPerformanceSql(f: MetricFilters, keys?: readonly InstructorFilterKey[]): Sql {
  if (keys !== undefined && keys.length === 0) throw new Error('instructorPerformanceSql: give at least one filter key, or no list for the metric itself');
  const unknown = keys?.find((key) => !INSTRUCTOR_FILTER_KEYS.includes(key));
  if (unknown !== undefined) throw new Error(`instructorPerformanceSql: no filter key ${JSON.stringify(unknown)}; the keys are ${INSTRUCTOR_FILTER_KEYS.join(', ')}`);
  const keyed = keys !== undefined;
  const source = trusted(keyed ? 'keyed' : 'classes');
  // the key's columns before instructor_id (in SELECT, GROUP BY, PARTITION BY, ORDER BY), and the join on them
  const by = (alias: string) => trusted(keyed ? INSTRUCTOR_KEY_COLUMNS.map((c) => `${alias}${c}, `).join('') : '');
  const on = (a: string, b: string) => trusted(keyed ? INSTRUCTOR_KEY_COLUMNS.map((c) => `${a}.${c} = ${b}.${c} AND `).join('') : '');
  const [name, location, classType] = INSTRUCTOR_KEY_COLUMNS;
  const branches = [...new Set(keys)].map((key) => `SELECT '${key}' AS ${name}, ${KEY_VALUES[key][0]} AS ${location}, ${KEY_VALUES[key][1]} AS ${classType}, k.* FROM classes k`);
  const keyedCte = trusted(keyed ? `keyed AS (\n  ${branches.join('\n  UNION ALL ')}\n),\n` : '');
  return sql`WITH classes AS (${classesIn(f, f.from, f.to)}),
${keyedCte}checkins AS (
  SELECT DISTINCT a.class_id, a.member_id FROM fact_attendance a
  WHERE ${partitionRange(addDays(f.from, -1), f.to)} AND a.class_id IN (SELECT class_id FROM classes)
),
per_class AS (SELECT class_id, count(*) AS attendees FROM checkins GROUP BY class_id),
per_member AS (
  SELECT ${by('k.')}k.instructor_id, ch.member_id, count(*) AS classes_attended
  FROM checkins ch JOIN ${source} k ON k.class_id = ch.class_id GROUP BY ${by('k.')}k.instructor_id, ch.member_id
),
loyalty AS (
  SELECT ${by('')}instructor_id, count(*) AS members, sum(CASE WHEN classes_attended >= 2 THEN 1 ELSE 0 END) AS repeat_members
  FROM per_member GROUP BY ${by('')}instructor_id
),
bookings AS (
  SELECT ${by('k.')}k.instructor_id,
    sum(CASE WHEN s.status = 'no_show' THEN 1 ELSE 0 END) AS no_shows,
    sum(CASE WHEN s.status <> 'cancelled' THEN 1 ELSE 0 END) AS held
  FROM dim_signups s JOIN ${source} k ON k.class_id = s.class_id GROUP BY ${by('k.')}k.instructor_id
),
names AS (
  SELECT ${by('')}instructor_id, instructor_name, row_number() OVER (PARTITION BY ${by('')}instructor_id ORDER BY starts_at DESC, class_id DESC) AS pick FROM ${source}
),
fill AS (
  SELECT ${by('k.')}k.instructor_id, count(*) AS classes, sum(k.capacity) AS capacity, sum(coalesce(p.attendees, 0)) AS attendees
  FROM ${source} k LEFT JOIN per_class p ON p.class_id = k.class_id GROUP BY ${by('k.')}k.instructor_id
)
SELECT ${by('fl.')}fl.instructor_id, n.instructor_name, fl.classes, fl.capacity, fl.attendees,
  CAST(fl.attendees AS DOUBLE) / fl.capacity AS fill_rate,
  CAST(fl.attendees AS DOUBLE) / fl.classes AS avg_attendees,
  coalesce(l.members, 0) AS members,
  CASE WHEN coalesce(l.members, 0) = 0 THEN NULL ELSE CAST(l.repeat_members AS DOUBLE) / l.members END AS repeat_member_share,
  CASE WHEN coalesce(b.held, 0) = 0 THEN NULL ELSE CAST(b.no_shows AS DOUBLE) / b.held END AS no_show_rate
FROM fill fl
JOIN names n ON ${on('n', 'fl')}n.instructor_id = fl.instructor_id AND n.pick = 1
LEFT JOIN loyalty l ON ${on('l', 'fl')}l.instructor_id = fl.instructor_id
LEFT JOIN bookings b ON ${on('b', 'fl')}b.instructor_id = fl.instructor_id
ORDER BY ${by('fl.')}fl.instructor_id`;
}

export const instructorPerformance = defineMetric({
  id: 'instructor_performance',
  title: 'Instructor performance',
  category: 'classes',
  definition:
    'Per instructor, over the classes they taught on local days [`from`, `to`]: classes, fill rate (attendees ÷ capacity), average attendees per class, distinct members, ' +
    'the share of those members who came to two or more of their classes (loyalty), and the no-show rate of the bookings for their classes (no-shows ÷ bookings not cancelled in time).',
  filtersApply: LOCATION_CLASS,
  options: {},
  columns: [
    { name: 'instructor_id', type: 'VARCHAR', description: 'Instructor' },
    { name: 'instructor_name', type: 'VARCHAR', description: 'Name on the schedule (of their latest class)' },
    ...fillColumns,
    { name: 'avg_attendees', type: 'DOUBLE', description: 'attendees ÷ classes' },
    { name: 'members', type: 'BIGINT', description: 'Distinct members who came' },
    { name: 'repeat_member_share', type: 'DOUBLE', description: 'Members who came to ≥ 2 of their classes ÷ members (empty when none came)' },
    { name: 'no_show_rate', type: 'DOUBLE', description: 'no-shows ÷ (bookings − on-time cancellations) (empty without bookings)' },
  ],
  orderBy: 'instructor_id',
  build: (f) => instructorPerformanceSql(f),
});

export const bookingOutcomes = defineMetric({
  id: 'booking_outcomes',
  title: 'Bookings: attendance conversion, no-shows, late cancels',
  category: 'classes',
  definition:
    'Bookings (current version of each signup) for classes starting on local days [`from`, `to`], by outcome. Conversion = attended ÷ bookings; ' +
    'no-show rate = no-shows ÷ (bookings − on-time cancellations, i.e. the bookings that still held a spot); late-cancel rate = late cancellations ÷ bookings. Rates are empty without bookings.',
  filtersApply: LOCATION_CLASS,
  options: {},
  columns: [
    { name: 'bookings', type: 'BIGINT', description: 'All bookings for those classes' },
    { name: 'attended', type: 'BIGINT', description: 'Status attended' },
    { name: 'no_shows', type: 'BIGINT', description: 'Status no_show' },
    { name: 'late_cancelled', type: 'BIGINT', description: 'Status late_cancelled' },
    { name: 'cancelled', type: 'BIGINT', description: 'Status cancelled (in time)' },
    { name: 'still_booked', type: 'BIGINT', description: 'Status booked (class not reconciled yet)' },
    { name: 'conversion_rate', type: 'DOUBLE', description: 'attended ÷ bookings' },
    { name: 'no_show_rate', type: 'DOUBLE', description: 'no_shows ÷ (bookings − cancelled)' },
    { name: 'late_cancel_rate', type: 'DOUBLE', description: 'late_cancelled ÷ bookings' },
  ],
  orderBy: 'one row',
  build(f) {
    const n = (status: string) => trusted(`sum(CASE WHEN s.status = '${status}' THEN 1 ELSE 0 END)`);
    return sql`WITH classes AS (${classesIn(f, f.from, f.to)}),
outcomes AS (
  SELECT count(s.signup_id) AS bookings, ${n('attended')} AS attended, ${n('no_show')} AS no_shows, ${n('late_cancelled')} AS late_cancelled,
    ${n('cancelled')} AS cancelled, ${n('booked')} AS still_booked
  FROM dim_signups s JOIN classes k ON k.class_id = s.class_id
)
SELECT bookings, coalesce(attended, 0) AS attended, coalesce(no_shows, 0) AS no_shows, coalesce(late_cancelled, 0) AS late_cancelled,
  coalesce(cancelled, 0) AS cancelled, coalesce(still_booked, 0) AS still_booked,
  CASE WHEN bookings = 0 THEN NULL ELSE CAST(attended AS DOUBLE) / bookings END AS conversion_rate,
  CASE WHEN bookings - cancelled = 0 OR bookings = 0 THEN NULL ELSE CAST(no_shows AS DOUBLE) / (bookings - cancelled) END AS no_show_rate,
  CASE WHEN bookings = 0 THEN NULL ELSE CAST(late_cancelled AS DOUBLE) / bookings END AS late_cancel_rate
FROM outcomes`;
  },
});

export const firstVisitGap = defineMetric({
  id: 'first_visit_gap',
  title: 'First visit after joining',
  category: 'members',
  definition:
    'Members who joined on [`from`, `to`]: how many checked in by `to`, days from joining to the first check-in (average and median over those who came), ' +
    'and the share of all who joined that came within `withinDays` days (default 7).',
  filtersApply: LOCATION_HOME,
  options: { withinDays: { kind: 'integer', description: 'Days after joining that count as an early first visit', default: 7, min: 0, max: 90 } },
  columns: [
    { name: 'members_joined', type: 'BIGINT', description: 'Members who joined in the range' },
    { name: 'first_visited', type: 'BIGINT', description: 'Of them, members with a check-in by `to`' },
    { name: 'avg_days_to_first_visit', type: 'DOUBLE', description: 'Mean days from joining to the first check-in' },
    { name: 'median_days_to_first_visit', type: 'DOUBLE', description: 'Median of the same (mean of the two middle values for an even count)' },
    { name: 'share_within_days', type: 'DOUBLE', description: 'Members whose first check-in came within `withinDays` days ÷ members joined' },
  ],
  orderBy: 'one row',
  build(f, o) {
    return sql`WITH scope AS (${membersInScope(f, f.from, f.to)}),
visits AS (${memberVisitsIn(f, f.from, f.to)}),
joined AS (SELECT member_id, join_date FROM scope WHERE join_date BETWEEN ${dateParam(f.from)} AND ${dateParam(f.to)}),
firsts AS (
  SELECT j.member_id, date_diff('day', j.join_date, min(v.local_date)) AS days
  FROM joined j JOIN visits v ON v.member_id = j.member_id AND v.local_date >= j.join_date
  GROUP BY j.member_id, j.join_date
),
ranked AS (SELECT days, row_number() OVER (ORDER BY days) AS position, count(*) OVER () AS n FROM firsts)
SELECT (SELECT count(*) FROM joined) AS members_joined,
  (SELECT count(*) FROM firsts) AS first_visited,
  (SELECT avg(CAST(days AS DOUBLE)) FROM firsts) AS avg_days_to_first_visit,
  (SELECT avg(CAST(days AS DOUBLE)) FROM ranked WHERE position IN (floor(CAST(n + 1 AS DOUBLE) / 2), ceil(CAST(n + 1 AS DOUBLE) / 2))) AS median_days_to_first_visit,
  CASE WHEN (SELECT count(*) FROM joined) = 0 THEN NULL
    ELSE CAST((SELECT count(*) FROM firsts WHERE days <= ${Number(o.withinDays)}) AS DOUBLE) / (SELECT count(*) FROM joined) END AS share_within_days`;
  },
});

function revenueSql(f: MetricFilters): Sql {
  const firstMonth = monthStart(f.from);
  const lastDay = f.to;
  const population = f.classType || f.instructor ? sql` AND t.member_id IN (SELECT member_id FROM scope)` : trusted('');
  return sql`WITH scope AS (${membersInScope({ ...f, location: undefined } as MetricFilters, firstMonth, lastDay)}),
payments AS (
  SELECT t.member_id, t.type, t.amount, t.status, CAST(date_trunc('month', t.local_date) AS DATE) AS month
  FROM fact_transactions t
  WHERE ${partitionRange(firstMonth, lastDay)} AND t.local_date BETWEEN ${dateParam(firstMonth)} AND ${dateParam(lastDay)}${f.location ? sql` AND t.location_id = ${f.location}` : trusted('')}${population}
),
months AS (${monthsBetween(f.from, f.to)}),
per_month AS (
  SELECT mo.month,
    sum(CASE WHEN p.status = 'settled' AND p.type <> 'refund' THEN p.amount ELSE 0 END) AS gross_revenue,
    sum(CASE WHEN p.status = 'settled' AND p.type = 'membership' THEN p.amount ELSE 0 END) AS mrr,
    sum(CASE WHEN p.status = 'settled' AND p.type = 'refund' THEN p.amount ELSE 0 END) AS refunds,
    count(DISTINCT CASE WHEN p.status = 'settled' AND p.type <> 'refund' THEN p.member_id END) AS paying_members,
    sum(CASE WHEN p.status = 'failed' THEN 1 ELSE 0 END) AS failed_payments
  FROM months mo LEFT JOIN payments p ON p.month = mo.month
  GROUP BY mo.month
)
SELECT month, CAST(gross_revenue AS DOUBLE) AS gross_revenue, CAST(mrr AS DOUBLE) AS mrr, CAST(refunds AS DOUBLE) AS refunds,
  CAST(gross_revenue - refunds AS DOUBLE) AS net_revenue, paying_members,
  CASE WHEN paying_members = 0 THEN NULL ELSE CAST(gross_revenue - refunds AS DOUBLE) / paying_members END AS arpu,
  failed_payments
FROM per_month
ORDER BY month`;
}

export const revenueMonthly = defineMetric({
  id: 'revenue_monthly',
  title: 'Revenue: MRR, ARPU, refunds',
  category: 'revenue',
  definition:
    'For each local calendar month touching [`from`, `to`] (whole months up to `to`): gross revenue (settled payments other than refunds), MRR (settled membership dues), refunds (settled refunds), ' +
    'net revenue (gross − refunds), paying members (distinct members with a settled payment other than a refund), ARPU (net ÷ paying members) and failed payments. Amounts in the currency\'s major unit.',
  filtersApply: 'location = the studio that took the payment; class type / instructor = payments of members who attended such a class in those months',
  options: {},
  columns: [
    { name: 'month', type: 'DATE', description: 'First day of the local month' },
    { name: 'gross_revenue', type: 'DOUBLE', description: 'Settled payments other than refunds' },
    { name: 'mrr', type: 'DOUBLE', description: 'Settled membership dues (monthly recurring revenue)' },
    { name: 'refunds', type: 'DOUBLE', description: 'Settled refunds' },
    { name: 'net_revenue', type: 'DOUBLE', description: 'gross − refunds' },
    { name: 'paying_members', type: 'BIGINT', description: 'Members with a settled payment other than a refund' },
    { name: 'arpu', type: 'DOUBLE', description: 'net ÷ paying members (empty without paying members)' },
    { name: 'failed_payments', type: 'BIGINT', description: 'Payment attempts that failed' },
  ],
  orderBy: 'month',
  build: (f) => revenueSql(f),
});

export const ltvEstimate = defineMetric({
  id: 'ltv_estimate',
  title: 'Lifetime value estimate',
  category: 'revenue',
  definition:
    'Average monthly ARPU over the months of [`from`, `to`] (from `revenue_monthly`) × expected lifetime in months (1 ÷ the average monthly churn rate of `churn_monthly`, by inactivity of `inactivityDays`). ' +
    'Empty when nobody churned in the range (the lifetime cannot be estimated from it).',
  filtersApply: 'as `revenue_monthly` and `churn_monthly`',
  options: { inactivityDays: { kind: 'integer', description: 'Churn after this many days without a check-in', default: 30, min: 7, max: 365 } },
  columns: [
    { name: 'avg_monthly_arpu', type: 'DOUBLE', description: 'Mean of the months\' ARPU' },
    { name: 'avg_monthly_churn_rate', type: 'DOUBLE', description: 'Mean of the months\' churn rate' },
    { name: 'expected_lifetime_months', type: 'DOUBLE', description: '1 ÷ average churn rate' },
    { name: 'ltv_estimate', type: 'DOUBLE', description: 'ARPU × lifetime' },
  ],
  orderBy: 'one row',
  build(f, o) {
    return sql`SELECT r.avg_monthly_arpu, c.avg_monthly_churn_rate,
  CASE WHEN c.avg_monthly_churn_rate > 0 THEN 1 / c.avg_monthly_churn_rate END AS expected_lifetime_months,
  CASE WHEN c.avg_monthly_churn_rate > 0 THEN r.avg_monthly_arpu / c.avg_monthly_churn_rate END AS ltv_estimate
FROM (SELECT avg(arpu) AS avg_monthly_arpu FROM (${revenueSql(f)}) AS revenue) AS r
CROSS JOIN (SELECT avg(churn_rate) AS avg_monthly_churn_rate FROM (${churnMonthly.build(f, { churnBy: 'inactivity', inactivityDays: Number(o.inactivityDays) })}) AS churn) AS c`;
  },
});

export const memberFeatures = defineMetric({
  id: 'member_features',
  title: 'Member feature vector',
  category: 'members',
  definition:
    'One row per member in scope, as of `to`: what crm-sync and the campaigns need. Last check-in within the year before `to`, check-ins in the last 30 and 90 days, ' +
    'trend = check-ins in the last 30 days − the 30 before, tenure in days, favourite class type over the last 90 days (most check-ins; ties alphabetical), ' +
    'and the at-risk flag of `at_risk_members` (status active, last check-in between `windowDays` − 1 and `minDaysSince` days before `to`).',
  filtersApply: LOCATION_HOME,
  options: AT_RISK_OPTIONS,
  checkOptions: checkAtRiskOptions,
  columns: [
    { name: 'member_id', type: 'VARCHAR', description: 'Member' },
    { name: 'email', type: 'VARCHAR', description: 'Contact email (the HubSpot key)' },
    { name: 'first_name', type: 'VARCHAR', description: 'Given name' },
    { name: 'home_location_id', type: 'VARCHAR', description: 'Home studio' },
    { name: 'plan', type: 'VARCHAR', description: 'Membership plan' },
    { name: 'status', type: 'VARCHAR', description: 'Membership status' },
    { name: 'join_date', type: 'DATE', description: 'Member since' },
    { name: 'tenure_days', type: 'INTEGER', description: '`to` − join date' },
    { name: 'marketing_opt_in', type: 'BOOLEAN', description: 'Consented to marketing email' },
    { name: 'last_visit', type: 'DATE', description: 'Last check-in (empty: none in the year before `to`)' },
    { name: 'days_since_last_visit', type: 'INTEGER', description: '`to` − last visit' },
    { name: 'visits_30d', type: 'BIGINT', description: 'Check-ins in the 30 days ending `to`' },
    { name: 'visits_90d', type: 'BIGINT', description: 'Check-ins in the 90 days ending `to`' },
    { name: 'visit_trend', type: 'BIGINT', description: 'visits_30d − check-ins in the 30 days before those' },
    { name: 'favourite_class_type', type: 'VARCHAR', description: 'Most attended class type in the 90 days (empty: no classes)' },
    { name: 'at_risk', type: 'BOOLEAN', description: 'Listed by `at_risk_members` with the same options' },
  ],
  orderBy: 'member_id',
  build(f, o) {
    const since = (days: number) => sql`date_diff('day', v.local_date, p.as_of) < ${integerLiteral(days)}`;
    const atRisk = sql`s.status = 'active' AND date_diff('day', l.last_visit, p.as_of) BETWEEN ${integerLiteral(Number(o.minDaysSince))} AND ${integerLiteral(Number(o.windowDays) - 1)}`;
    // A year of check-ins for the last visit alone; everything else from the last 90 days, per member and class type (none: open gym).
    return sql`WITH ${paramsCte({ as_of: f.to })},
scope AS (${membersInScope(f, addDays(f.to, -89), f.to)}),
last_visits AS (SELECT member_id, max(local_date) AS last_visit FROM (${memberVisitsIn(f, addDays(f.to, -(LOOKBACK_DAYS - 1)), f.to)}) AS v GROUP BY member_id),
recent AS (
  SELECT v.member_id, c.class_type, count(*) AS visits_90d,
    sum(CASE WHEN ${since(30)} THEN 1 ELSE 0 END) AS visits_30d,
    sum(CASE WHEN ${since(60)} AND NOT (${since(30)}) THEN 1 ELSE 0 END) AS visits_prev_30d
  FROM (${memberVisitsIn(f, addDays(f.to, -89), f.to)}) AS v CROSS JOIN params p LEFT JOIN dim_classes c ON c.class_id = v.class_id
  GROUP BY v.member_id, c.class_type
),
counts AS (
  SELECT r.member_id, sum(r.visits_30d) AS visits_30d, sum(r.visits_90d) AS visits_90d, sum(r.visits_prev_30d) AS visits_prev_30d
  FROM recent r GROUP BY r.member_id
),
favourites AS (
  SELECT member_id, class_type, row_number() OVER (PARTITION BY member_id ORDER BY visits_90d DESC, class_type) AS pick
  FROM recent WHERE class_type IS NOT NULL
)
SELECT s.member_id, s.email, s.first_name, s.home_location_id, s.plan, s.status, s.join_date,
  CAST(date_diff('day', s.join_date, p.as_of) AS INTEGER) AS tenure_days, s.marketing_opt_in, l.last_visit,
  CAST(date_diff('day', l.last_visit, p.as_of) AS INTEGER) AS days_since_last_visit,
  coalesce(c.visits_30d, 0) AS visits_30d, coalesce(c.visits_90d, 0) AS visits_90d,
  coalesce(c.visits_30d, 0) - coalesce(c.visits_prev_30d, 0) AS visit_trend,
  fv.class_type AS favourite_class_type,
  coalesce(${atRisk}, FALSE) AS at_risk
FROM scope s
CROSS JOIN params p
LEFT JOIN last_visits l ON l.member_id = s.member_id
LEFT JOIN counts c ON c.member_id = s.member_id
LEFT JOIN favourites fv ON fv.member_id = s.member_id AND fv.pick = 1
ORDER BY s.member_id`;
  },
});

export const holdoutRetention = defineMetric({
  id: 'holdout_retention',
  title: 'Retention: marketing holdout vs contacted',
  category: 'retention',
  definition:
    'Of the members crm-sync placed in a marketing group (`marketing_holdout`: the stable ~10% holdout, who get no campaign, and everyone else, "contacted") ' +
    'who were active at the start — a check-in in the `windowDays` days ending on `from` — how many were still active at the end (a check-in in the `windowDays` days ending on `to`). ' +
    'Groups are compared as assigned (intention to treat), whether or not a given member was mailed; the difference in retention rate is the campaigns\' effect. ' +
    'Use a range of at least a month: over a shorter one both groups keep almost everyone.',
  filtersApply: LOCATION_HOME,
  options: { windowDays: { kind: 'integer', description: 'Length of the activity window at each end, in days', default: 30, min: 7, max: 180 } },
  columns: [
    { name: 'member_group', type: 'VARCHAR', description: '`contacted` or `holdout`' },
    { name: 'members_at_start', type: 'BIGINT', description: 'Members of the group active at `from`' },
    { name: 'retained', type: 'BIGINT', description: 'Of them, members active at `to`' },
    { name: 'retention_rate', type: 'DOUBLE', description: 'retained ÷ members_at_start (empty when none)' },
  ],
  orderBy: 'member_group',
  build(f, o) {
    const window = Number(o.windowDays);
    const startFrom = addDays(f.from, -(window - 1));
    const endFrom = addDays(f.to, -(window - 1));
    return sql`WITH scope AS (${membersInScope(f, startFrom, f.to)}),
assigned AS (SELECT member_id, max(CASE WHEN holdout THEN 1 ELSE 0 END) AS held FROM marketing_holdout GROUP BY member_id),
at_start AS (SELECT DISTINCT v.member_id FROM (${memberVisitsIn(f, startFrom, f.from)}) AS v),
at_end AS (SELECT DISTINCT v.member_id FROM (${memberVisitsIn(f, endFrom, f.to)}) AS v),
cohort AS (
  SELECT g.member_id, g.held, CASE WHEN e.member_id IS NULL THEN 0 ELSE 1 END AS kept
  FROM assigned g JOIN scope s ON s.member_id = g.member_id JOIN at_start a ON a.member_id = g.member_id LEFT JOIN at_end e ON e.member_id = g.member_id
),
member_groups AS (SELECT 'contacted' AS member_group, 0 AS held UNION ALL SELECT 'holdout' AS member_group, 1 AS held)
SELECT l.member_group, count(c.member_id) AS members_at_start, coalesce(sum(c.kept), 0) AS retained,
  CASE WHEN count(c.member_id) = 0 THEN NULL ELSE CAST(sum(c.kept) AS DOUBLE) / count(c.member_id) END AS retention_rate
FROM member_groups l LEFT JOIN cohort c ON c.held = l.held
GROUP BY l.member_group
ORDER BY l.member_group`;
  },
});

export const METRICS: readonly MetricDefinition[] = [
  activeMembers, visitsPerMemberPerWeek, atRiskMembers, churnMonthly, retentionCohorts, firstVisitGap, bookingOutcomes,
  classFillHeatmap, fillByClassType, instructorPerformance, revenueMonthly, ltvEstimate, memberFeatures,
  classRatings, churnFeatures, holdoutRetention,
];
