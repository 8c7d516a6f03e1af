import { addDays, type MetricFilters } from '@peak/analytics';

/**
 * What the refresher computes: which catalog metrics, over which date-range presets, with which filters. The
 * dashboard's panels decide it (README.md beside this file explains each choice and what a refresh costs).
 */

/** Date-range presets, each ending on the lake's last day of data (`asOf`), and the period just before each. */
const PERIODS = [
  { name: '7_days', days: 7 },
  { name: '30_days', days: 30 },
  { name: '90_days', days: 90 },
  { name: '12_months', days: 365 }, // whole days, not calendar months: every preset is "the N days ending on asOf"
] as const;
type PeriodName = (typeof PERIODS)[number]['name'];

export const CURRENT_RANGES = PERIODS.map((p) => `last_${p.name}` as const);
export const PREVIOUS_RANGES = PERIODS.map((p) => `previous_${p.name}` as const);
export const RANGES = [...CURRENT_RANGES, ...PREVIOUS_RANGES] as const;
export type RangePreset = `last_${PeriodName}` | `previous_${PeriodName}`;
export const DEFAULT_RANGE: RangePreset = 'last_30_days';

export type RangeDates = { preset: RangePreset; from: string; to: string; previous?: RangePreset };

/** The local days a preset covers when the lake's last day is `asOf` (both ends inclusive). */
export function rangeDates(preset: RangePreset, asOf: string): RangeDates {
  const period = PERIODS.find((p) => preset.endsWith(p.name));
  if (!period) throw new Error(`no period for range ${preset}`);
  const isPrevious = preset.startsWith('previous_');
  const to = isPrevious ? addDays(asOf, -period.days) : asOf;
  const dates: RangeDates = { preset, from: addDays(to, -(period.days - 1)), to };
  if (!isPrevious) dates.previous = `previous_${period.name}`;
  return dates;
}

/**
 * Which filters are set in a cached combination. Member and revenue metrics take a location only (class type and
 * instructor narrow them to "members who attended such a class", which the dashboard does not show); class metrics
 * take class type or instructor, alone or with a location where that pair is on the schedule. Never class type and
 * instructor together: that cross product is most of the cost and rarely asked for.
 */
export const FILTER_SETS = ['none', 'location', 'classType', 'location+classType', 'instructor', 'location+instructor'] as const;
export type FilterSet = (typeof FILTER_SETS)[number];
const MEMBER_FILTER_SETS: readonly FilterSet[] = ['none', 'location'];
const CLASS_FILTER_SETS: readonly FilterSet[] = FILTER_SETS;

/**
 * How a refresh computes a metric's combinations when not one query each: `fill-grain`, one query per range grouped
 * by every filter and group column, each combination summed from its rows; `by-filter-key`, one query per range
 * whose rows are the answers of every filter choice side by side, each combination picked from them (derive.ts).
 */
export type BatchKind = 'fill-grain' | 'by-filter-key';

export type CachedMetric = { metric: string; ranges: readonly RangePreset[]; filterSets: readonly FilterSet[]; panel: string; batch?: BatchKind };

/** The cached metrics: KPI cards get every range and its previous period (for "change vs previous"); charts the current ranges. */
export const CACHE_PLAN: readonly CachedMetric[] = [
  { metric: 'active_members', ranges: RANGES, filterSets: MEMBER_FILTER_SETS, panel: 'KPI: active members' },
  { metric: 'visits_per_member_per_week', ranges: RANGES, filterSets: MEMBER_FILTER_SETS, panel: 'KPI: visits per member per week' },
  { metric: 'at_risk_members', ranges: RANGES, filterSets: MEMBER_FILTER_SETS, panel: 'KPI: at-risk count (rows)' },
  { metric: 'churn_monthly', ranges: RANGES, filterSets: MEMBER_FILTER_SETS, panel: 'KPI: churn; chart: churn and net member movement' },
  { metric: 'revenue_monthly', ranges: RANGES, filterSets: MEMBER_FILTER_SETS, panel: 'KPI: MRR' },
  // batch: fill is a sum over classes, so one grain query per range answers every filter choice (245 on the benchmark lake)
  { metric: 'fill_by_class_type', ranges: RANGES, filterSets: CLASS_FILTER_SETS, panel: 'KPI: fill rate (attendees ÷ capacity over the rows)', batch: 'fill-grain' },
  { metric: 'retention_cohorts', ranges: CURRENT_RANGES, filterSets: MEMBER_FILTER_SETS, panel: 'retention cohort heatmap' },
  // batch: the same sums as fill_by_class_type, from the same grain query per range
  { metric: 'class_fill_heatmap', ranges: CURRENT_RANGES, filterSets: CLASS_FILTER_SETS, panel: 'class fill-rate heatmap (weekday × hour)', batch: 'fill-grain' },
  // batch: distinct members do not add up across filters, so one query per range keyed by the filter choice instead
  { metric: 'instructor_performance', ranges: CURRENT_RANGES, filterSets: CLASS_FILTER_SETS, panel: 'instructor table', batch: 'by-filter-key' },
  { metric: 'booking_outcomes', ranges: CURRENT_RANGES, filterSets: MEMBER_FILTER_SETS, panel: 'bookings: conversion, no-shows' },
  { metric: 'first_visit_gap', ranges: CURRENT_RANGES, filterSets: MEMBER_FILTER_SETS, panel: 'first visit after joining' },
  { metric: 'ltv_estimate', ranges: CURRENT_RANGES, filterSets: MEMBER_FILTER_SETS, panel: 'lifetime value' },
  { metric: 'class_ratings', ranges: CURRENT_RANGES, filterSets: MEMBER_FILTER_SETS, panel: 'class ratings' },
];

/** Catalog metrics left out, and why (the 404 says it). */
export const NOT_CACHED_METRICS: Readonly<Record<string, string>> = {
  member_features: 'it is one row per member (crm-sync and the campaigns read it from the lake)',
  churn_features: 'it is one row per member, the churn model\'s inputs (the churn API serves the scores)',
  holdout_retention: 'marketing\'s experiment readout, not a dashboard panel yet: query it from the lake (npm run sql, Athena)',
};

/** The filter values a refresh found in the lake: every location, and the (location, value) pairs on the schedule. */
export type FilterValues = {
  locations: string[];
  classTypes: string[];
  instructors: string[];
  classTypesByLocation: Record<string, string[]>;
  instructorsByLocation: Record<string, string[]>;
};

export type Combination = { metric: string; range: RangePreset; filters: Omit<MetricFilters, 'from' | 'to'> };

/** Every filter choice of one filter set. */
function filterChoices(set: FilterSet, values: FilterValues): Combination['filters'][] {
  const byLocation = (pairs: Record<string, string[]>, name: 'classType' | 'instructor') =>
    Object.entries(pairs).flatMap(([location, list]) => list.map((value) => ({ location, [name]: value })));
  switch (set) {
    case 'none':
      return [{}];
    case 'location':
      return values.locations.map((location) => ({ location }));
    case 'classType':
      return values.classTypes.map((classType) => ({ classType }));
    case 'instructor':
      return values.instructors.map((instructor) => ({ instructor }));
    case 'location+classType':
      return byLocation(values.classTypesByLocation, 'classType');
    case 'location+instructor':
      return byLocation(values.instructorsByLocation, 'instructor');
  }
}

/** Every combination a refresh computes, in plan order. */
export function planCombinations(plan: readonly CachedMetric[], values: FilterValues): Combination[] {
  return plan.flatMap(({ metric, ranges, filterSets }) =>
    ranges.flatMap((range) => filterSets.flatMap((set) => filterChoices(set, values).map((filters) => ({ metric, range, filters })))),
  );
}

/** The filter set a request's filters fall in. */
export function filterSetOf(filters: Combination['filters']): FilterSet | undefined {
  if (filters.classType !== undefined && filters.instructor !== undefined) return undefined;
  const narrow = filters.classType !== undefined ? 'classType' : filters.instructor !== undefined ? 'instructor' : undefined;
  if (!narrow) return filters.location === undefined ? 'none' : 'location';
  return filters.location === undefined ? narrow : `location+${narrow}`;
}

/** The Redis hash field of one combination's answer (filter values are identifiers: no `|` in them). */
export function combinationField({ metric, range, filters }: Combination): string {
  return `answer|${metric}|${range}|${filters.location ?? ''}|${filters.classType ?? ''}|${filters.instructor ?? ''}`;
}
