/**
 * A member's contact properties from the analytics catalog's `member_features` row and the churn model's score, in
 * the text HubSpot takes (numbers as decimals, dates as YYYY-MM-DD — midnight UTC —, booleans as "true"/"false", an
 * empty string to clear a value), and what crm-sync does with each member:
 *
 * - `sync`: an active or frozen member with marketing consent — every attribute;
 * - `final`: a member who cancelled or withdrew consent and was synced before — one last update (lifecycle stage,
 *   at-risk cleared, risk cleared) so campaigns stop targeting them, then nothing more;
 * - `skip`: such a member never synced before — never pushed (no contact is created for someone who left or said no).
 *
 * Lifecycle stage, in order: cancelled (status) · frozen (status) · new (joined < 30 days ago) · at_risk (the
 * catalog's flag) · lapsed (no check-in in 30 days) · active.
 */
import { inHoldout } from '@peak/contracts';
import { MEMBER_ID_PROPERTY, type LifecycleStage } from './contact-properties.js';
import { steadyScore, stickyBand, type BandThresholds } from './stability.js';

/** The `member_features` columns crm-sync reads (docs/metrics.md). */
export type MemberFeatures = {
  member_id: string;
  email: string | null;
  home_location_id: string | null;
  plan: string | null;
  status: string | null;
  join_date: string | null;
  tenure_days: number | null;
  marketing_opt_in: boolean | null;
  last_visit: string | null;
  days_since_last_visit: number | null;
  visits_30d: number | null;
  visits_90d: number | null;
  visit_trend: number | null;
  favourite_class_type: string | null;
  at_risk: boolean | null;
};
export type ChurnScore = { score: number; band: string };

export const NEW_MEMBER_DAYS = 30;
export const LAPSED_AFTER_DAYS = 30;

export type Treatment = 'sync' | 'final' | 'skip';
export type ContactUpdate = { memberId: string; email: string | null; homeLocation: string | null; treatment: Treatment; reason: string; properties: Record<string, string> };

/** How the values are steadied (stability.ts) and who is held out. */
export type AttributeRules = {
  /** The churn model's thresholds; without them the model's band is sent as it is. */
  thresholds?: BandThresholds;
  bandMargin?: number;
  scoreStep?: number;
  holdoutShare?: number;
};

export function lifecycleStage(m: MemberFeatures): LifecycleStage {
  if (m.status === 'cancelled') return 'cancelled';
  if (m.status === 'frozen') return 'frozen';
  if (m.tenure_days !== null && m.tenure_days < NEW_MEMBER_DAYS) return 'new';
  if (m.at_risk) return 'at_risk';
  if (m.days_since_last_visit === null || m.days_since_last_visit >= LAPSED_AFTER_DAYS) return 'lapsed';
  return 'active';
}

const text = (v: string | null | undefined) => v ?? '';
const whole = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v)) : '');
/** Two decimals (a percent): finer is noise to a marketer, and would make every member "changed" every day. */
const score = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : '');
const day = (v: string | null | undefined) => (v && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : '');

/** Every property of a member who is synced; band and score steadied against what was sent last. */
function fullProperties(m: MemberFeatures, risk: ChurnScore | undefined, stage: LifecycleStage, previous: Readonly<Record<string, string>> | undefined, rules: AttributeRules): Record<string, string> {
  const lastBand = previous?.peak_churn_risk_band;
  const band = risk === undefined ? '' : rules.thresholds ? stickyBand(risk.score, rules.thresholds, lastBand, rules.bandMargin) : risk.band;
  return {
    [MEMBER_ID_PROPERTY]: m.member_id,
    peak_churn_risk_score: steadyScore(score(risk?.score), previous?.peak_churn_risk_score, band !== (lastBand ?? ''), rules.scoreStep),
    peak_churn_risk_band: band,
    peak_last_visit_date: day(m.last_visit),
    peak_visits_30d: whole(m.visits_30d),
    peak_visits_90d: whole(m.visits_90d),
    peak_visit_trend: whole(m.visit_trend),
    peak_member_since: day(m.join_date),
    peak_home_location: text(m.home_location_id),
    peak_plan: text(m.plan),
    peak_favourite_class_type: text(m.favourite_class_type),
    peak_lifecycle_stage: stage,
    peak_at_risk: m.at_risk && stage === 'at_risk' ? 'true' : 'false',
    peak_marketing_holdout: inHoldout(m.member_id, rules.holdoutShare) ? 'true' : 'false',
  };
}

/** What crm-sync sends for one member, given what it last sent them (undefined: never synced). */
export function contactUpdate(m: MemberFeatures, risk: ChurnScore | undefined, previous: Readonly<Record<string, string>> | undefined, rules: AttributeRules = {}): ContactUpdate {
  const stage = lifecycleStage(m);
  const base = { memberId: m.member_id, email: m.email, homeLocation: m.home_location_id };
  const leaving = m.status === 'cancelled' ? 'cancelled' : m.marketing_opt_in === false ? 'withdrew consent' : null;
  if (!leaving) {
    const properties = fullProperties(m, risk, stage, previous, rules);
    if (m.email) properties.email = m.email; // assigned, not spread: this runs for every member, every day
    return { ...base, treatment: 'sync', reason: stage, properties };
  }
  if (!previous) return { ...base, treatment: 'skip', reason: `${leaving}, never synced: not pushed`, properties: {} };
  // The last word: campaigns keyed on stage, risk or at-risk stop at once; nothing else about them is kept up to date.
  return {
    ...base,
    treatment: 'final',
    reason: `${leaving}: last update`,
    // Consent withdrawn: the stage stays what HubSpot last had, so a later lapse or freeze sends nothing more.
    properties: { [MEMBER_ID_PROPERTY]: m.member_id, peak_lifecycle_stage: leaving === 'cancelled' ? 'cancelled' : (previous.peak_lifecycle_stage ?? stage), peak_at_risk: 'false', peak_churn_risk_score: '', peak_churn_risk_band: '' },
  };
}
