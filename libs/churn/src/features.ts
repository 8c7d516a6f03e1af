import { runMetric, type QueryEngine, type Row, type SqlValue } from '@peak/analytics';

/** One member's row of the `churn_features` catalog metric, typed (see docs/metrics.md for each column). */
export type MemberFeatures = {
  member_id: string;
  home_location_id: string;
  plan: string;
  join_date: string;
  tenure_days: number;
  age: number | null;
  last_visit: string | null;
  days_since_last_visit: number | null;
  visits_7d: number;
  visits_30d: number;
  visits_90d: number;
  visits_prev_30d: number;
  visit_trend: number;
  active_weeks_12w: number;
  routine_share: number | null;
  favourite_class_type: string | null;
  favourite_time: string | null;
  bookings_90d: number;
  no_show_rate: number | null;
  late_cancel_rate: number | null;
  booking_lead_hours: number | null;
  upcoming_bookings: number;
  app_events_7d: number;
  app_events_30d: number;
  app_days_30d: number;
  app_events_prev_30d: number;
  days_since_app: number | null;
  failed_payments_90d: number;
  refunds_90d: number;
  last_dues_amount: number | null;
  days_since_last_dues: number | null;
  usual_class_fill: number | null;
  ratings_90d: number;
  avg_rating_90d: number | null;
};

const TEXT = ['member_id', 'home_location_id', 'plan', 'join_date'] as const;
const NULLABLE_TEXT = ['last_visit', 'favourite_class_type', 'favourite_time'] as const;
const NUMBERS = [
  'tenure_days', 'visits_7d', 'visits_30d', 'visits_90d', 'visits_prev_30d', 'visit_trend', 'active_weeks_12w', 'bookings_90d', 'upcoming_bookings', 'app_events_7d', 'app_events_30d', 'app_days_30d',
  'app_events_prev_30d', 'failed_payments_90d', 'refunds_90d', 'ratings_90d',
] as const;
const NULLABLE_NUMBERS = ['age', 'days_since_last_visit', 'routine_share', 'no_show_rate', 'late_cancel_rate', 'booking_lead_hours', 'usual_class_fill', 'avg_rating_90d', 'days_since_app', 'last_dues_amount', 'days_since_last_dues'] as const;

function value(row: Row, name: string): SqlValue {
  if (!(name in row)) throw new Error(`churn_features returned no column ${name}: the catalog and the churn library disagree`);
  return row[name] ?? null;
}

/** A result row as MemberFeatures; a value of the wrong type is a bug between the SQL and this library, so it throws. */
export function toMemberFeatures(row: Row): MemberFeatures {
  const out: Record<string, string | number | null> = {};
  for (const name of TEXT) {
    const v = value(row, name);
    if (typeof v !== 'string') throw new Error(`churn_features.${name} must be text, got ${JSON.stringify(v)}`);
    out[name] = v;
  }
  for (const name of NULLABLE_TEXT) {
    const v = value(row, name);
    if (v !== null && typeof v !== 'string') throw new Error(`churn_features.${name} must be text or empty, got ${JSON.stringify(v)}`);
    out[name] = v;
  }
  for (const name of NUMBERS) {
    const v = value(row, name);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`churn_features.${name} must be a number, got ${JSON.stringify(v)}`);
    out[name] = v;
  }
  for (const name of NULLABLE_NUMBERS) {
    const v = value(row, name);
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) throw new Error(`churn_features.${name} must be a number or empty, got ${JSON.stringify(v)}`);
    out[name] = v;
  }
  return out as MemberFeatures;
}

export type FeatureQuery = { cutoff: string; inactivityDays: number; location?: string; timeoutMs?: number };

/** Every member's features as of the end of `cutoff`, from the analytics catalog (DuckDB locally, Athena in AWS). */
export async function loadFeatures(engine: QueryEngine, q: FeatureQuery): Promise<MemberFeatures[]> {
  const answer = await runMetric(engine, {
    metric: 'churn_features',
    filters: { from: q.cutoff, to: q.cutoff, ...(q.location ? { location: q.location } : {}) },
    options: { inactivityDays: q.inactivityDays },
    timeoutMs: q.timeoutMs,
  });
  return answer.rows.map(toMemberFeatures);
}
