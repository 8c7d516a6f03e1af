import type { CHANNELS, CHECKIN_METHODS, CLASS_TYPES, FEEDBACK_CHANNELS, MEMBER_PLANS, PLATFORMS } from '@peak/contracts';

/**
 * Every behaviour parameter of the simulation, in one place (README "Behaviour model" explains them).
 * Values are chosen to look like a mid-size boutique studio chain; none is measured from real data.
 */

export type ClassType = (typeof CLASS_TYPES)[number];
export type Plan = (typeof MEMBER_PLANS)[number];
export type Channel = (typeof CHANNELS)[number];
export type CheckinMethod = (typeof CHECKIN_METHODS)[number];
export type Platform = (typeof PLATFORMS)[number];
export type FeedbackChannel = (typeof FEEDBACK_CHANNELS)[number];

export const LOCATION_SLUGS = ['downtown', 'riverside', 'northgate', 'lakeside', 'westfield', 'harborview', 'hillcrest', 'eastside'] as const;
/** Relative size of each location's membership (downtown is the flagship). */
export const LOCATION_SIZE = [1.4, 1.15, 1.0, 0.95, 0.9, 0.85, 0.8, 0.75] as const;

export const BANDS = ['early', 'morning', 'lunch', 'evening'] as const;
export type Band = (typeof BANDS)[number];
export const BAND_LABEL: Record<Band, readonly string[]> = {
  early: ['Sunrise', 'Early', 'Dawn'],
  morning: ['Morning', 'Weekend', 'Mid-Morning'],
  lunch: ['Lunch', 'Midday', 'Express'],
  evening: ['Evening', 'After Work', 'Night'],
};

export type Slot = { minute: number; band: Band; weight: number };
const at = (h: number, m: number) => h * 60 + m;
/** Weekly timetable template; `weight` is how sought-after the slot is (room count and member pull). */
export const WEEKDAY_SLOTS: readonly Slot[] = [
  { minute: at(6, 0), band: 'early', weight: 1.0 },
  { minute: at(7, 15), band: 'early', weight: 0.9 },
  { minute: at(9, 30), band: 'morning', weight: 0.4 },
  { minute: at(12, 15), band: 'lunch', weight: 0.6 },
  { minute: at(17, 30), band: 'evening', weight: 1.0 },
  { minute: at(18, 30), band: 'evening', weight: 1.0 },
  { minute: at(19, 30), band: 'evening', weight: 0.5 },
];
export const SATURDAY_SLOTS: readonly Slot[] = [
  { minute: at(8, 0), band: 'morning', weight: 0.7 },
  { minute: at(9, 15), band: 'morning', weight: 1.0 },
  { minute: at(10, 30), band: 'morning', weight: 0.9 },
  { minute: at(12, 0), band: 'lunch', weight: 0.35 },
];
export const SUNDAY_SLOTS: readonly Slot[] = [
  { minute: at(9, 0), band: 'morning', weight: 0.8 },
  { minute: at(10, 15), band: 'morning', weight: 0.85 },
  { minute: at(11, 30), band: 'lunch', weight: 0.45 },
  { minute: at(17, 0), band: 'evening', weight: 0.35 },
];
/** Friday evenings empty out. */
export const FRIDAY_EVENING_FACTOR = 0.6;
/** Minute ranges members use for open-gym visits in each band. */
export const BAND_RANGE: Record<Band, readonly [number, number]> = {
  early: [at(5, 30), at(8, 45)],
  morning: [at(9, 0), at(11, 45)],
  lunch: [at(11, 45), at(14, 0)],
  evening: [at(16, 30), at(20, 45)],
};

export type ClassTypeSpec = { capacity: number; duration: number; names: readonly string[]; popularity: number };
export const CLASS_TYPE_SPECS: Record<ClassType, ClassTypeSpec> = {
  spin: { capacity: 24, duration: 45, names: ['Spin', 'Rhythm Ride', 'Climb & Sprint'], popularity: 0.2 },
  yoga: { capacity: 30, duration: 60, names: ['Vinyasa Flow', 'Power Yoga', 'Yin Yoga'], popularity: 0.18 },
  hiit: { capacity: 20, duration: 45, names: ['HIIT', 'Tabata Burn', 'Metcon'], popularity: 0.16 },
  pilates: { capacity: 12, duration: 50, names: ['Reformer Pilates', 'Mat Pilates'], popularity: 0.12 },
  strength: { capacity: 16, duration: 50, names: ['Full Body Strength', 'Lift', 'Upper Body Strength'], popularity: 0.11 },
  boxing: { capacity: 18, duration: 50, names: ['Boxing Conditioning', 'Box & Burn'], popularity: 0.09 },
  barre: { capacity: 20, duration: 50, names: ['Barre Burn', 'Barre Sculpt'], popularity: 0.08 },
  mobility: { capacity: 25, duration: 30, names: ['Mobility Reset', 'Stretch & Recover'], popularity: 0.06 },
};
/** Which class types studios put in each band (multiplies popularity when building the timetable). */
export const TYPE_BAND_AFFINITY: Record<Band | 'weekend', Record<ClassType, number>> = {
  early: { spin: 1.5, hiit: 1.4, strength: 1.1, boxing: 0.8, yoga: 0.6, pilates: 0.6, barre: 0.4, mobility: 0.3 },
  morning: { spin: 0.6, hiit: 0.5, strength: 0.6, boxing: 0.4, yoga: 1.5, pilates: 1.3, barre: 1.1, mobility: 1.0 },
  lunch: { spin: 1.0, hiit: 1.2, strength: 0.8, boxing: 0.6, yoga: 0.9, pilates: 0.8, barre: 1.0, mobility: 0.9 },
  evening: { spin: 1.2, hiit: 1.1, strength: 1.0, boxing: 1.1, yoga: 1.0, pilates: 0.8, barre: 0.7, mobility: 0.5 },
  weekend: { spin: 1.1, hiit: 1.0, strength: 0.7, boxing: 0.8, yoga: 1.3, pilates: 1.0, barre: 0.9, mobility: 0.6 },
};
/** Timetable sizing: weekly spots offered ≈ expected weekly class visits / this. */
export const TARGET_UTILIZATION = 0.72;
/** Expected share of the window an average member is around (for sizing the timetable only). */
export const ACTIVE_SHARE_ESTIMATE = 0.5;
export const CLASSES_PER_INSTRUCTOR_WEEK = 9;
export const STUDIO_CANCEL_RATE = 0.012;
export const SUBSTITUTE_RATE = 0.04;

export type PlanSpec = {
  price: number;
  period: 'month' | 'year' | 'pack' | 'intro';
  /** Classes per calendar month included; beyond it a visit is a paid drop-in. */
  classCap?: number;
  openGym: boolean;
  description: string;
  /** Median visits per week for members on the plan. */
  visitsPerWeek: number;
  /** Share of leavers on this plan who formally cancel at once (the others drift away). */
  explicitCancelShare: number;
  hazardFactor: number;
};
export const PLAN_SPECS: Record<Plan, PlanSpec> = {
  unlimited: { price: 179, period: 'month', openGym: true, description: 'Unlimited monthly', visitsPerWeek: 2.4, explicitCancelShare: 0.45, hazardFactor: 1 },
  eight_per_month: { price: 139, period: 'month', classCap: 8, openGym: false, description: '8 classes / month', visitsPerWeek: 1.8, explicitCancelShare: 0.45, hazardFactor: 1 },
  four_per_month: { price: 89, period: 'month', classCap: 4, openGym: false, description: '4 classes / month', visitsPerWeek: 1.0, explicitCancelShare: 0.45, hazardFactor: 1.1 },
  annual_unlimited: { price: 1699, period: 'year', openGym: true, description: 'Annual unlimited', visitsPerWeek: 2.6, explicitCancelShare: 0.25, hazardFactor: 0.55 },
  class_pack: { price: 229, period: 'pack', openGym: false, description: '10-class pack', visitsPerWeek: 1.2, explicitCancelShare: 0.1, hazardFactor: 1.25 },
  intro_offer: { price: 49, period: 'intro', openGym: true, description: 'Intro offer – 30 days unlimited', visitsPerWeek: 2.2, explicitCancelShare: 0.3, hazardFactor: 1.5 },
};
export const PACK_CLASSES = 10;
export const INTRO_DAYS = 30;
export const DROP_IN_PRICE = 32;
/** Plan mix of members who join inside the window, and of those who were already members. */
export const PLAN_MIX_NEW: Record<Plan, number> = { intro_offer: 0.25, unlimited: 0.27, eight_per_month: 0.17, four_per_month: 0.12, annual_unlimited: 0.07, class_pack: 0.12 };
export const PLAN_MIX_EXISTING: Record<Plan, number> = { intro_offer: 0, unlimited: 0.36, eight_per_month: 0.21, four_per_month: 0.12, annual_unlimited: 0.18, class_pack: 0.13 };
/** What intro members convert to; conversion odds rise with how often they came. */
export const INTRO_CONVERSION: Partial<Record<Plan, number>> = { unlimited: 0.45, eight_per_month: 0.35, four_per_month: 0.2 };
export const RETAIL_ITEMS = [
  { name: 'Water bottle', price: 3.5, weight: 30 },
  { name: 'Protein bar', price: 4.25, weight: 25 },
  { name: 'Towel rental', price: 2, weight: 15 },
  { name: 'Smoothie', price: 8.75, weight: 14 },
  { name: 'Grip socks', price: 14, weight: 8 },
  { name: 'Shaker cup', price: 18.5, weight: 4 },
  { name: 'Peak Fitness T-shirt', price: 35, weight: 3 },
  { name: 'Leggings', price: 88, weight: 1 },
] as const;
export const RETAIL_PER_VISIT = 0.045;

/** Join seasonality (Jan … Dec): New Year's resolutions and a back-to-routine September. */
export const MONTH_JOIN_WEIGHT = [2.3, 1.35, 1.15, 1.0, 0.95, 0.75, 0.75, 0.85, 1.4, 1.05, 0.85, 0.6] as const;
/** Visit seasonality (Jan … Dec). */
export const MONTH_VISIT_FACTOR = [1.2, 1.12, 1.05, 1.0, 0.98, 0.92, 0.86, 0.86, 1.04, 1.0, 0.95, 0.82] as const;
/** Sun … Sat: Mondays are busy, Fridays and Sundays quieter. */
export const WEEKDAY_VISIT_WEIGHT = [0.75, 1.25, 1.2, 1.1, 1.05, 0.8, 0.85] as const;
export const WEEKDAY_JOIN_WEIGHT = [0.7, 1.4, 1.15, 1.05, 1.0, 0.9, 0.8] as const;

/** For a 365-day window, 40% of members joined before it; shorter windows hold fewer new joins. */
export const PRE_WINDOW_SHARE_PER_YEAR = 0.6;
export const PRE_WINDOW_SHARE_MIN = 0.4;
export const PRE_WINDOW_YEARS = 3;
export const ROUTINE_SHARE_NEW = 0.3;
export const ROUTINE_SHARE_EXISTING = 0.5;
/** Weekly drift and noise of log-motivation; routine members drift less and wobble less. */
export const MOTIVATION = { driftRoutine: -0.004, driftOther: -0.022, sigmaRoutine: 0.07, sigmaOther: 0.15, min: 0.04, max: 1.6 } as const;
/** Daily hazard of leaving: base × (1 + (days since last visit / scale)^power), capped. */
export const HAZARD = { base: 0.0008, gapScale: 10, power: 2, routineFactor: 0.45, cap: 0.06 } as const;
/**
 * Leaving is not instant: after the hazard fires, motivation fades to FADE_TO of its level over
 * 14–42 days (fewer visits and app sessions), then the member is gone. Some cancellations are abrupt.
 */
export const FADE = { minDays: 14, maxDays: 42, to: 0.12, abruptCancelShare: 0.3 } as const;
/** Members who drift away formally cancel later with this probability, after 14–90 days. */
export const LATE_FORMAL_CANCEL = 0.55;
export const FREEZE_DAILY = 0.00012;
export const OTHER_LOCATION_SHARE = 0.1;
export const BOOKING_OUTCOMES = { cancelled: 0.07, lateCancelled: 0.035, noShow: 0.045 } as const;
export const PAYMENT_FAILURE = 0.035;
export const PAYMENT_RETRY_DAYS = 3;
export const PAYMENT_MAX_ATTEMPTS = 3;
export const REFUND_RATE = { retail: 0.04, class_pack: 0.02, drop_in: 0.02, cancelledDues: 0.5 } as const;
/** Engagement: mean app sessions per active day at motivation 1 and app affinity 1. */
export const APP_SESSIONS_PER_DAY = 0.2;

/**
 * Class ratings (the member app asks after each attended class). Stars come from a latent score: `base` +
 * `instructor` × ln(instructor popularity) + `motivation` × (motivation − 1) + `noise` × N(0, 1), rounded into 1–5.
 */
export const FEEDBACK = {
  rate: 0.25,
  score: { base: 3.9, instructor: 1.2, motivation: 0.4, noise: 0.85 },
  /** app: the prompt right after class; email: the next day's follow-up; kiosk: at the door on the way out. */
  channels: { app: 0.7, email: 0.2, kiosk: 0.1 } satisfies Record<FeedbackChannel, number>,
  /** Minutes after the class ends, per channel. */
  delayMinutes: { app: [5, 180], email: [14 * 60, 40 * 60], kiosk: [0, 15] } satisfies Record<FeedbackChannel, readonly [number, number]>,
  commentShare: 0.3,
  /** Share who skip the "would you recommend" question; of the others, the chance of yes by stars 1…5. */
  recommendSkipped: 0.15,
  recommendYes: [0.02, 0.1, 0.4, 0.85, 0.97],
} as const;
/** Comments by how the class went (commas and quotes included: CSV must quote them). */
export const FEEDBACK_COMMENTS = {
  low: ['Room was far too hot', 'Started 10 minutes late', "Too crowded, couldn't see the instructor", 'Not for me'],
  mid: ['Good workout, music too loud', 'Fine, a bit rushed', 'OK class, nothing special'],
  high: ['Great class, will be back', 'Loved the playlist', 'Tough but fun', 'The "hill" song again, perfect!', 'Best instructor in the studio'],
} as const;
