import { boolean, date, email, id, integer, money, oneOf, optional, text, timestamp } from '../columns.js';
import { DATASET_NAMES, defineDataset, type DatasetName, type DatasetContract, type RowOf } from '../dataset.js';
import { classFeedback } from './class-feedback.js';
import { locationId, memberId } from './common.js';

export { CLASS_RATING, classFeedback, FEEDBACK_CHANNELS, type ClassFeedbackRow } from './class-feedback.js';

export const MEMBER_PLANS = ['unlimited', 'eight_per_month', 'four_per_month', 'annual_unlimited', 'class_pack', 'intro_offer'] as const;
export const MEMBER_STATUSES = ['active', 'frozen', 'cancelled'] as const;
export const CLASS_TYPES = ['yoga', 'hiit', 'spin', 'pilates', 'strength', 'boxing', 'barre', 'mobility'] as const;
export const SIGNUP_STATUSES = ['booked', 'cancelled', 'late_cancelled', 'attended', 'no_show'] as const;
export const CHANNELS = ['app', 'web', 'front_desk', 'kiosk'] as const;
export const CHECKIN_METHODS = ['app', 'card', 'front_desk', 'kiosk'] as const;
export const TRANSACTION_TYPES = ['membership', 'drop_in', 'class_pack', 'retail', 'refund'] as const;
export const TRANSACTION_STATUSES = ['settled', 'pending', 'failed'] as const;
export const CURRENCIES = ['USD'] as const;
export const ENGAGEMENT_EVENTS = [
  'app_open', 'schedule_view', 'class_view', 'booking_started', 'workout_logged',
  'push_opened', 'email_opened', 'email_clicked', 'referral_sent',
] as const;
export const PLATFORMS = ['ios', 'android', 'web'] as const;

export const members = defineDataset({
  name: 'members',
  title: 'Members',
  description: 'One row per member (the DIM_USERS of the seed). Full or incremental exports; the newest `updated_at` wins.',
  source: 'membership-system',
  properties: {
    member_id: memberId,
    email: email({ description: 'Contact email; the HubSpot contact key', example: 'ana.diaz@example.com' }),
    first_name: text({ description: 'Given name', example: 'Ana', maxLength: 80 }),
    last_name: text({ description: 'Family name', example: 'Díaz', maxLength: 80 }),
    home_location_id: locationId,
    join_date: date({ description: 'Day the membership started', example: '2026-01-04' }),
    plan: oneOf(MEMBER_PLANS, { description: 'Membership plan', example: 'unlimited' }),
    status: oneOf(MEMBER_STATUSES, { description: 'Membership status at export time', example: 'active' }),
    cancelled_on: optional(date({ description: 'Day the membership was cancelled (status = cancelled)', example: '2026-06-30' })),
    birth_year: optional(integer({ description: 'Year of birth, if given', minimum: 1900, maximum: 2020, example: 1991 })),
    marketing_opt_in: boolean({ description: 'Consented to marketing email', example: true }),
    updated_at: timestamp({ description: 'Last change in the source system', example: '2026-01-04T10:15:00Z' }),
  },
  primaryKey: ['member_id'],
  partitionBy: 'join_date',
  references: [],
  versionColumn: 'updated_at',
});

export const classes = defineDataset({
  name: 'classes',
  title: 'Classes',
  description: 'One row per scheduled class session (DIM_CLASSES of the seed), with its capacity.',
  source: 'scheduling-system',
  properties: {
    class_id: id({ description: 'Class session identifier', example: 'C0001234' }),
    location_id: locationId,
    class_type: oneOf(CLASS_TYPES, { description: 'Kind of class', example: 'spin' }),
    class_name: text({ description: 'Name shown on the schedule', example: 'Morning Spin 45', maxLength: 120 }),
    instructor_id: id({ description: 'Instructor identifier', example: 'I017' }),
    instructor_name: text({ description: 'Instructor display name', example: 'Maya Chen', maxLength: 120 }),
    starts_at: timestamp({ description: 'Start time (UTC)', example: '2026-01-05T07:00:00Z' }),
    duration_minutes: integer({ description: 'Length of the class', minimum: 10, maximum: 240, example: 45 }),
    capacity: integer({ description: 'Bookable spots', minimum: 1, maximum: 500, example: 24 }),
    cancelled: boolean({ description: 'The studio cancelled this session', example: false }),
    updated_at: timestamp({ description: 'Last change in the source system', example: '2025-12-20T09:00:00Z' }),
  },
  primaryKey: ['class_id'],
  partitionBy: 'starts_at',
  references: [],
  versionColumn: 'updated_at',
});

export const signups = defineDataset({
  name: 'signups',
  title: 'Class signups',
  description: 'One row per booking of a class session, with its final status (booked, cancelled, late cancel, attended, no-show).',
  source: 'scheduling-system',
  properties: {
    signup_id: id({ description: 'Booking identifier', example: 'S00098765' }),
    member_id: memberId,
    class_id: id({ description: 'Booked class session', example: 'C0001234' }),
    booked_at: timestamp({ description: 'When the booking was made', example: '2026-01-03T18:02:11Z' }),
    status: oneOf(SIGNUP_STATUSES, { description: 'Outcome of the booking', example: 'attended' }),
    cancelled_at: optional(timestamp({ description: 'When it was cancelled, for cancelled/late_cancelled', example: '2026-01-04T20:00:00Z' })),
    channel: oneOf(CHANNELS, { description: 'Where the booking was made', example: 'app' }),
    updated_at: timestamp({ description: 'Last change in the source system', example: '2026-01-05T08:00:00Z' }),
  },
  primaryKey: ['signup_id'],
  partitionBy: 'booked_at',
  references: [
    { column: 'member_id', dataset: 'members' },
    { column: 'class_id', dataset: 'classes' },
  ],
  versionColumn: 'updated_at',
});

export const attendance = defineDataset({
  name: 'attendance',
  title: 'Check-ins',
  description: 'One row per check-in at a studio door (FACT_ATTENDANCE of the seed). `class_id` is empty for open-gym visits.',
  source: 'door-system',
  properties: {
    checkin_id: id({ description: 'Check-in identifier (idempotency key for real-time events too)', example: 'K000123456' }),
    member_id: memberId,
    class_id: optional(id({ description: 'Class session attended; empty for an open-gym visit', example: 'C0001234' })),
    location_id: locationId,
    checked_in_at: timestamp({ description: 'Door scan time (UTC)', example: '2026-01-05T06:52:40Z' }),
    method: oneOf(CHECKIN_METHODS, { description: 'How the member checked in', example: 'card' }),
  },
  primaryKey: ['checkin_id'],
  partitionBy: 'checked_in_at',
  references: [
    { column: 'member_id', dataset: 'members' },
    { column: 'class_id', dataset: 'classes' },
  ],
});

export const transactions = defineDataset({
  name: 'transactions',
  title: 'Transactions',
  description: 'Payments and refunds: membership dues, drop-ins, class packs, retail. Amounts are positive; a refund is its own row.',
  source: 'payments-system',
  properties: {
    transaction_id: id({ description: 'Payment identifier', example: 'T00054321' }),
    member_id: memberId,
    location_id: locationId,
    occurred_at: timestamp({ description: 'When the payment settled or was attempted', example: '2026-01-04T10:16:02Z' }),
    type: oneOf(TRANSACTION_TYPES, { description: 'What was paid for', example: 'membership' }),
    amount: money({ description: 'Amount in the currency major unit, ≥ 0', example: 149 }),
    currency: oneOf(CURRENCIES, { description: 'ISO 4217 currency', example: 'USD' }),
    status: oneOf(TRANSACTION_STATUSES, { description: 'Payment outcome', example: 'settled' }),
    refund_of: optional(id({ description: 'For a refund: the transaction it refunds', example: 'T00054000' })),
    description: optional(text({ description: 'Line item text from the till', example: 'Unlimited monthly', maxLength: 200 })),
  },
  primaryKey: ['transaction_id'],
  partitionBy: 'occurred_at',
  references: [{ column: 'member_id', dataset: 'members' }],
});

export const engagement = defineDataset({
  name: 'engagement',
  title: 'App engagement',
  description: 'App and web events of signed-in members (opens, schedule views, workouts logged, email/push interactions).',
  source: 'app-analytics',
  properties: {
    event_id: id({ description: 'Event identifier', example: 'E0000123456' }),
    member_id: memberId,
    occurred_at: timestamp({ description: 'When it happened (UTC)', example: '2026-01-05T06:30:12Z' }),
    event_type: oneOf(ENGAGEMENT_EVENTS, { description: 'What the member did', example: 'app_open' }),
    platform: oneOf(PLATFORMS, { description: 'Client platform', example: 'ios' }),
    session_id: optional(id({ description: 'App session, when known', example: 'sess-9f2c' })),
    duration_seconds: optional(integer({ description: 'Time spent, for timed events', minimum: 0, maximum: 86_400, example: 95 })),
  },
  primaryKey: ['event_id'],
  partitionBy: 'occurred_at',
  references: [{ column: 'member_id', dataset: 'members' }],
});

export const datasets = { members, classes, signups, attendance, transactions, engagement, class_feedback: classFeedback } as const satisfies Record<
  DatasetName,
  DatasetContract
>;

/**
 * The order to load datasets in, derived from the contracts' references: each wave references only datasets of
 * earlier waves (members and classes first), so the ETL's reference checks find the rows a batch names.
 */
export function loadWaves(): DatasetName[][] {
  const waves: DatasetName[][] = [];
  const placed = new Set<DatasetName>();
  while (placed.size < DATASET_NAMES.length) {
    const wave = DATASET_NAMES.filter((d) => !placed.has(d) && datasets[d].references.every((r) => r.dataset === d || placed.has(r.dataset)));
    if (wave.length === 0) throw new Error(`the references of ${DATASET_NAMES.filter((d) => !placed.has(d)).join(', ')} form a cycle`);
    for (const d of wave) placed.add(d);
    waves.push(wave);
  }
  return waves;
}

export type MemberRow = RowOf<typeof members>;
export type ClassRow = RowOf<typeof classes>;
export type SignupRow = RowOf<typeof signups>;
export type AttendanceRow = RowOf<typeof attendance>;
export type TransactionRow = RowOf<typeof transactions>;
export type EngagementRow = RowOf<typeof engagement>;
