import Type, { type TSchema } from 'typebox';
import { errorBody } from '../refusals.js';
import { BOOKING_DAYS, BOOKING_STATUSES, HISTORY_WEEKS, RECENT_VISITS } from './history.js';
import { DEFAULT_RANGE, FILTER_SETS, RANGES } from './plan.js';

const refusals = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, errorBody]));

// ---- request

const ID_PATTERN = '^[A-Za-z0-9_.:-]{1,64}$';
const range = Type.Union(RANGES.map((r) => Type.Literal(r)), {
  default: DEFAULT_RANGE,
  description: 'Date-range preset: the N days ending on the lake\'s last day of data (`last_…`), or the N days just before those (`previous_…`, for change vs the previous period)',
});
const filterValue = (description: string) => Type.Optional(Type.String({ pattern: ID_PATTERN, description }));

export const metricParams = Type.Object({
  metric: Type.String({ pattern: '^[a-z0-9_]{1,64}$', description: 'A metric id of the analytics catalog, such as `active_members` (GET /v1/metrics lists the cached ones)' }),
});

export const metricQuery = Type.Object({
  range,
  location: filterValue('Only this studio (a location id such as `downtown`)'),
  classType: filterValue('Only this class type (class metrics only, see GET /v1/metrics)'),
  instructor: filterValue('Only this instructor (class metrics only; not together with classType)'),
});
export const METRIC_QUERY_NAMES = Object.keys(metricQuery.properties);

export const historyParams = Type.Object({
  memberId: Type.String({ pattern: ID_PATTERN, description: 'A member id, such as `M000123` (the `member_id` of an at_risk_members row)' }),
});

/** The sentence a bad value of each parameter gets (the schema check alone would say "must match pattern …"). */
const identifierRule = (name: string, example: string) => `${name} must be an identifier (letters, digits, _ . : -, at most 64 characters), such as ${example}`;
export const METRIC_QUERY_RULES: Readonly<Record<string, string>> = {
  metric: 'the metric must be a catalog id (lowercase letters, digits and _, at most 64 characters), such as active_members',
  range: `range must be one of ${RANGES.join(', ')}`,
  location: identifierRule('location', 'downtown'),
  classType: identifierRule('classType', 'spin'),
  instructor: identifierRule('instructor', 'I001'),
  memberId: identifierRule('the member id', 'M000123'),
};

// ---- answers

const asOf = Type.String({ format: 'date', description: 'The lake\'s last day of data (local): every range ends on it or before it' });
const refreshedAt = Type.String({ format: 'date-time', description: 'When the refresh that computed this ran (UTC)' });
const rangeDates = Type.Object(
  {
    preset: Type.String({ description: 'The range asked for' }),
    from: Type.String({ format: 'date', description: 'First local day, inclusive' }),
    to: Type.String({ format: 'date', description: 'Last local day, inclusive' }),
    previous: Type.Optional(Type.String({ description: 'The preset of the period just before this one' })),
  },
  { description: 'The days a range preset covers' },
);
const sqlValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null(), Type.Array(Type.Unknown())]);

export const metricAnswer = Type.Object(
  {
    metric: Type.String({ description: 'Catalog id' }),
    title: Type.String(),
    asOf,
    refreshedAt,
    range: rangeDates,
    filters: Type.Object(
      { location: Type.Optional(Type.String()), classType: Type.Optional(Type.String()), instructor: Type.Optional(Type.String()) },
      { description: 'The filters applied (none: every studio, class type and instructor)' },
    ),
    options: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), { description: 'The metric\'s options: always their defaults (docs/metrics.md)' }),
    columns: Type.Array(Type.Object({ name: Type.String(), type: Type.String() }), { description: 'The columns of `rows`, in order (GET /v1/metrics describes each)' }),
    rows: Type.Array(Type.Record(Type.String(), sqlValue), { description: 'The metric\'s rows, exactly as the analytics catalog answers them, in its order' }),
  },
  { description: 'One metric for one range and filter combination, from the cache' },
);

const column = Type.Object({ name: Type.String(), type: Type.String(), description: Type.String() });
export const metricsCatalog = Type.Object(
  {
    asOf,
    refreshedAt,
    ranges: Type.Array(rangeDates, { description: 'Every range preset and its days' }),
    filterValues: Type.Object(
      {
        locations: Type.Array(Type.String()),
        classTypes: Type.Array(Type.String(), { description: 'On the schedule in the cached period' }),
        instructors: Type.Array(Type.String(), { description: 'On the schedule in the cached period' }),
        classTypesByLocation: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'The (location, classType) pairs cached' }),
        instructorsByLocation: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'The (location, instructor) pairs cached' }),
      },
      { description: 'The filter values the lake has' },
    ),
    metrics: Type.Array(
      Type.Object({
        id: Type.String(),
        title: Type.String(),
        category: Type.String(),
        panel: Type.String({ description: 'What the dashboard shows it in' }),
        ranges: Type.Array(Type.String(), { description: 'The range presets cached' }),
        filterSets: Type.Array(Type.String(), { description: `Which filters may be set together, each one of ${FILTER_SETS.join(', ')} (\`none\`: no filter)` }),
        columns: Type.Array(column),
      }),
      { description: 'The cached metrics' },
    ),
    notCached: Type.Array(Type.Object({ id: Type.String(), reason: Type.String() }), { description: 'Catalog metrics this API does not serve, and why' }),
    cost: Type.Object(
      { combinations: Type.Integer(), queries: Type.Integer(), histories: Type.Integer(), elapsedMs: Type.Integer() },
      { description: 'What the refresh computed: combinations stored, queries run (identical ones once; the histories\' included), member histories stored (one per at-risk member), time taken' },
    ),
  },
  { description: 'What the cache holds: the last refresh, the ranges, the filter values and the cached metrics' },
);

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const localDate = Type.String({ format: 'date' });

export const memberHistory = Type.Object(
  {
    memberId: Type.String(),
    asOf,
    refreshedAt,
    member: Type.Object(
      {
        firstName: nullable(Type.String()),
        lastName: nullable(Type.String()),
        homeLocationId: nullable(Type.String()),
        plan: nullable(Type.String()),
        status: nullable(Type.String()),
        joinDate: nullable(localDate),
      },
      { description: 'From dim_members (null when the members export no longer has the member)' },
    ),
    atRisk: Type.Object(
      {
        lastVisit: nullable(localDate),
        daysSinceLastVisit: nullable(Type.Integer()),
        usualVisitsPerWeek: nullable(Type.Number()),
        usualWeekday: nullable(Type.Integer({ minimum: 1, maximum: 7, description: '1 = Monday … 7 = Sunday' })),
        usualHour: nullable(Type.Integer({ minimum: 0, maximum: 23 })),
      },
      { description: 'The member\'s at_risk_members row as of asOf (docs/metrics.md defines each column)' },
    ),
    weeks: Type.Array(Type.Object({ weekStart: localDate, visits: Type.Integer({ minimum: 0 }) }), {
      minItems: HISTORY_WEEKS,
      maxItems: HISTORY_WEEKS,
      description: `Check-ins per local week (Monday first) for the ${HISTORY_WEEKS} weeks ending with asOf's week, oldest first; weeks without any are 0`,
    }),
    recentVisits: Type.Array(
      Type.Object({
        localDate,
        localTime: Type.String({ pattern: '^[0-2][0-9]:[0-5][0-9]$', description: 'Local check-in time, HH:MM' }),
        locationId: nullable(Type.String()),
        classType: nullable(Type.String({ description: 'null for an open-gym visit (no class)' })),
        className: nullable(Type.String()),
        instructorName: nullable(Type.String()),
      }),
      { maxItems: RECENT_VISITS, description: `The last ${RECENT_VISITS} check-ins of the year up to asOf, newest first` },
    ),
    bookings90d: Type.Object(Object.fromEntries(BOOKING_STATUSES.map((s) => [s, Type.Integer({ minimum: 0 })])), {
      description: `Bookings for classes held in the ${BOOKING_DAYS} days ending on asOf (not those the studio cancelled), by status, as booking_outcomes counts them`,
    }),
  },
  { description: 'One at-risk member\'s recent history, from the same refresh as the metrics' },
);

export const answerRefusals = refusals(400, 404, 503);
export const catalogRefusals = refusals(503);
