import type { MemberFeatures } from './features.js';

/**
 * How member features become the model's numbers. Fitted on the training rows (medians, categories) and saved
 * inside the model, so scoring encodes exactly as training did.
 */
export type Encoder = {
  /** Medians used where a value is missing (age, booking lead time, class fill). */
  medians: Record<ImputedFeature, number>;
  /** Category values seen in training, per categorical feature; an unseen value encodes as all zeros. */
  categories: Record<CategoricalFeature, string[]>;
  /** Days after which a member counts as churned by inactivity (caps days since the last visit). */
  inactivityDays: number;
};

export const IMPUTED = ['age', 'booking_lead_hours', 'usual_class_fill', 'avg_rating_90d'] as const;
export type ImputedFeature = (typeof IMPUTED)[number];
export const CATEGORICAL = ['home_location_id', 'favourite_class_type', 'favourite_time'] as const;
export type CategoricalFeature = (typeof CATEGORICAL)[number];

/** The member-facing factor a model column belongs to: contributions are summed per factor. */
export type Factor = keyof Omit<MemberFeatures, 'member_id' | 'join_date' | 'last_visit' | 'visits_prev_30d' | 'app_events_prev_30d' | 'app_events_7d'>;

type NumericColumn = { name: string; factor: Factor; value: (f: MemberFeatures, e: Encoder) => number };

const log1p = (x: number) => Math.log1p(Math.max(0, x));
const ratio = (recent: number, before: number) => Math.log((recent + 1) / (before + 1));
const imputed = (v: number | null, e: Encoder, name: ImputedFeature) => v ?? e.medians[name];
/** Never visited since joining: as far away as the join date, which is how the inactivity rule sees it. */
const daysAway = (f: MemberFeatures) => f.days_since_last_visit ?? f.tenure_days;

/** Numeric columns: counts on a log scale (the tenth visit matters less than the first), missing values flagged. */
const NUMERIC: readonly NumericColumn[] = [
  { name: 'days_since_last_visit', factor: 'days_since_last_visit', value: (f, e) => Math.min(daysAway(f), e.inactivityDays) },
  { name: 'log_days_since_last_visit', factor: 'days_since_last_visit', value: (f) => log1p(daysAway(f)) },
  // Days away measured in the member's own usual gaps between visits: ten days is nothing for some, a lot for others.
  { name: 'log_overdue', factor: 'days_since_last_visit', value: (f) => log1p((daysAway(f) * f.visits_90d) / 90) },
  // Steps of days away and of tenure: the risk does not grow along one straight line in either.
  ...[[4, 7], [8, 14], [15, 21], [22, 29]].map(([lo, hi]) => ({ name: `days_away_${lo}_${hi}`, factor: 'days_since_last_visit' as Factor, value: (f: MemberFeatures) => (daysAway(f) >= (lo as number) && daysAway(f) <= (hi as number) ? 1 : 0) })),
  ...[[0, 30], [31, 60], [61, 120], [121, 365]].map(([lo, hi]) => ({ name: `tenure_${lo}_${hi}`, factor: 'tenure_days' as Factor, value: (f: MemberFeatures) => (f.tenure_days >= (lo as number) && f.tenure_days <= (hi as number) ? 1 : 0) })),
  { name: 'never_visited', factor: 'days_since_last_visit', value: (f) => (f.days_since_last_visit === null ? 1 : 0) },
  { name: 'log_visits_7d', factor: 'visits_7d', value: (f) => log1p(f.visits_7d) },
  { name: 'log_visits_30d', factor: 'visits_30d', value: (f) => log1p(f.visits_30d) },
  { name: 'log_visits_90d', factor: 'visits_90d', value: (f) => log1p(f.visits_90d) },
  { name: 'visit_trend_ratio', factor: 'visit_trend', value: (f) => ratio(f.visits_30d, f.visits_prev_30d) },
  // The last 30 days against the 60 before them, per 30 days: members fade out over weeks before they go.
  { name: 'visit_fade_ratio', factor: 'visit_trend', value: (f) => ratio(f.visits_30d, (f.visits_90d - f.visits_30d) / 2) },
  { name: 'app_fade_ratio', factor: 'app_events_30d', value: (f) => ratio(f.app_events_7d * (30 / 7), f.app_events_30d) },
  { name: 'active_weeks_12w', factor: 'active_weeks_12w', value: (f) => f.active_weeks_12w },
  { name: 'routine_share', factor: 'routine_share', value: (f) => f.routine_share ?? 0 },
  { name: 'log_tenure_days', factor: 'tenure_days', value: (f) => log1p(f.tenure_days) },
  { name: 'age', factor: 'age', value: (f, e) => imputed(f.age, e, 'age') },
  { name: 'log_bookings_90d', factor: 'bookings_90d', value: (f) => log1p(f.bookings_90d) },
  { name: 'no_show_rate', factor: 'no_show_rate', value: (f) => f.no_show_rate ?? 0 },
  { name: 'late_cancel_rate', factor: 'late_cancel_rate', value: (f) => f.late_cancel_rate ?? 0 },
  { name: 'log_booking_lead_hours', factor: 'booking_lead_hours', value: (f, e) => log1p(imputed(f.booking_lead_hours, e, 'booking_lead_hours')) },
  { name: 'log_upcoming_bookings', factor: 'upcoming_bookings', value: (f) => log1p(f.upcoming_bookings) },
  { name: 'log_app_events_7d', factor: 'app_events_30d', value: (f) => log1p(f.app_events_7d) },
  // No app event in 60 days reads as 60: the absence is as far as the query looks.
  { name: 'log_days_since_app', factor: 'days_since_app', value: (f) => log1p(f.days_since_app ?? 60) },
  { name: 'log_app_events_30d', factor: 'app_events_30d', value: (f) => log1p(f.app_events_30d) },
  { name: 'app_days_30d', factor: 'app_days_30d', value: (f) => f.app_days_30d },
  { name: 'app_trend_ratio', factor: 'app_events_30d', value: (f) => ratio(f.app_events_30d, f.app_events_prev_30d) },
  { name: 'failed_payments_90d', factor: 'failed_payments_90d', value: (f) => f.failed_payments_90d },
  { name: 'refunds_90d', factor: 'refunds_90d', value: (f) => f.refunds_90d },
  // Where the member is in their billing cycle, and what they pay: renewals are when members decide to stay or go.
  { name: 'log_last_dues_amount', factor: 'last_dues_amount', value: (f) => log1p(f.last_dues_amount ?? 0) },
  { name: 'no_dues_in_year', factor: 'last_dues_amount', value: (f) => (f.last_dues_amount === null ? 1 : 0) },
  { name: 'log_days_since_last_dues', factor: 'days_since_last_dues', value: (f) => log1p(f.days_since_last_dues ?? 365) },
  { name: 'new_member', factor: 'tenure_days', value: (f) => (f.tenure_days < 45 ? 1 : 0) },
  // A new member's first weeks decide whether they stay (the industry's "first 30 days"): their visits so far, apart.
  { name: 'new_member_log_visits', factor: 'visits_90d', value: (f) => (f.tenure_days < 45 ? log1p(f.visits_90d) : 0) },
  { name: 'new_member_log_app_events', factor: 'app_events_30d', value: (f) => (f.tenure_days < 45 ? log1p(f.app_events_30d) : 0) },
  { name: 'usual_class_fill', factor: 'usual_class_fill', value: (f, e) => imputed(f.usual_class_fill, e, 'usual_class_fill') },
  { name: 'log_ratings_90d', factor: 'ratings_90d', value: (f) => log1p(f.ratings_90d) },
  { name: 'avg_rating_90d', factor: 'avg_rating_90d', value: (f, e) => imputed(f.avg_rating_90d, e, 'avg_rating_90d') },
  { name: 'no_rating_90d', factor: 'avg_rating_90d', value: (f) => (f.avg_rating_90d === null ? 1 : 0) },
];

const NONE = '(none)';
const category = (f: MemberFeatures, name: CategoricalFeature) => f[name] ?? NONE;

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Fits the encoder on training rows: medians of the imputed features, categories seen (sorted). */
export function fitEncoder(rows: readonly MemberFeatures[], inactivityDays: number): Encoder {
  if (rows.length === 0) throw new Error('no training rows to fit the feature encoder on');
  const medians = Object.fromEntries(IMPUTED.map((n) => [n, median(rows.flatMap((r) => (r[n] === null ? [] : [r[n]])))])) as Record<ImputedFeature, number>;
  const categories = Object.fromEntries(CATEGORICAL.map((n) => [n, [...new Set(rows.map((r) => category(r, n)))].sort()])) as Record<CategoricalFeature, string[]>;
  return { medians, categories, inactivityDays };
}

/** Column names in model order, and the factor each belongs to. */
export function encodedColumns(e: Encoder): { name: string; factor: Factor }[] {
  return [
    ...NUMERIC.map((c) => ({ name: c.name, factor: c.factor })),
    ...CATEGORICAL.flatMap((n) => e.categories[n].map((v) => ({ name: `${n}=${v}`, factor: n as Factor }))),
  ];
}

/** One member as the model's row of numbers (every value finite). */
export function encode(e: Encoder, f: MemberFeatures): Float64Array {
  const out = new Float64Array(NUMERIC.length + CATEGORICAL.reduce((n, c) => n + e.categories[c].length, 0));
  let i = 0;
  for (const c of NUMERIC) {
    const v = c.value(f, e);
    if (!Number.isFinite(v)) throw new Error(`member ${f.member_id}: feature ${c.name} is not a finite number (${v})`);
    out[i++] = v;
  }
  for (const n of CATEGORICAL) {
    const v = category(f, n);
    for (const known of e.categories[n]) out[i++] = known === v ? 1 : 0;
  }
  return out;
}
