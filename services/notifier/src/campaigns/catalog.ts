/**
 * Every campaign, declared in one place: who gets it (a portable SQL query over the star schema as of a day — the
 * same text runs on DuckDB locally and Athena in AWS), what it is (topic, kind, template), when it is planned (a cron
 * expression in the studios' time zone), how often a member may get it (the frequency rule), what makes two plans the
 * same email (the dedupe period), how long a planned email stays worth sending, and what must still hold when it is
 * sent (the notifier re-checks it).
 *
 * Conventions of the audience queries:
 * - they return `member_id`, `email`, `first_name`, `home_location_id`, then the campaign's own columns;
 * - `?` parameters only in WHERE clauses (Athena accepts them nowhere else), dates through `dateParam`;
 * - local days are `fact_attendance.local_date` (the check-in's day in STUDIO_TIME_ZONE, as the views compute it), and
 *   `dt` (the UTC day) is bounded one day either side so both engines read only the partitions they need;
 * - members are `dim_members` (the newest version the lake holds): `status` is the membership's status at the last
 *   export, so "active" means active now, not on the as-of day;
 * - a "class" is a check-in with a class (open-gym visits are not classes), counted as the leaderboard counts them;
 *   a "visit" is any check-in.
 *
 * Marketing campaigns also require `marketing_opt_in` (the member's consent in the membership system, which crm-sync
 * honours too). The planner does NOT apply the holdout, suppression, topic unsubscribes, the frequency cap or quiet
 * hours: the notifier does at send time, and records each outcome per email.
 */
import { dateParam, integerLiteral, sql, trusted, type Row, type Sql } from '@peak/analytics';
import type { EmailKind, EmailRequest, EmailTemplate, EmailTopic } from '@peak/contracts';
import type { Announcement } from './announcement.js';
import { addDays, daysBetween, lastFullWeeks, localMidnight } from './days.js';
import type { CampaignSettings } from './settings.js';

export const CAMPAIGN_IDS = ['welcome', 'first_visit_nudge', 'habit', 'win_back', 'milestone', 'location_news', 'leaderboard_climb'] as const;
export type CampaignId = (typeof CAMPAIGN_IDS)[number];

/** The class counts that earn a milestone email. */
export const MILESTONES = [10, 50, 100] as const;
/** The class check-in that earns the habit email. */
export const HABIT_CLASS = 3;
/** Days after the day they joined that the welcome (day 1) and the first-visit nudge (day 7) are for. */
export const WELCOME_DAY = 1;
export const NUDGE_DAY = 7;
/** win_back's `lastClassName`: the class type a member went to most in this many days up to their last visit. */
export const USUAL_CLASS_DAYS = 84;

/** What an audience query is built for. */
export type CampaignContext = {
  /** The local day the data is read as of (the lake's last day by default). */
  asOf: string;
  timeZone: string;
  settings: CampaignSettings;
  /** location_news only. */
  announcement?: Announcement;
};

export type Conditions = NonNullable<EmailRequest['conditions']>;
export type Variables = EmailRequest['variables'];

/** One email a member row turns into: the dedupe period, the template's variables and the send-time conditions. */
export type PlannedEmail = { period: string; variables: Variables; conditions: Conditions };

export type CampaignDefinition = {
  id: CampaignId;
  title: string;
  topic: EmailTopic;
  kind: EmailKind;
  template: EmailTemplate;
  /** Cron expression in STUDIO_TIME_ZONE; null = on demand only. */
  schedule: string | null;
  scheduleText: string;
  audienceText: string;
  /** Not contacted by this campaign in the `days` days up to the as-of day (and since); null = no rule. */
  frequency: { days: (s: CampaignSettings) => number; text: string } | null;
  periodText: string;
  /** A planned email is dropped after this instant. */
  expiresAt: (ctx: CampaignContext) => string;
  expiryText: string;
  conditionsText: string;
  variablesText: string;
  /** Why a run cannot plan this campaign as asked (e.g. no announcement); undefined when it can. */
  missingInput?: (ctx: CampaignContext) => string | undefined;
  audience: (ctx: CampaignContext) => Sql;
  email: (row: Row, ctx: CampaignContext) => PlannedEmail;
};

// --- SQL building blocks -------------------------------------------------------------------------------------------

const MEMBER_COLUMNS = trusted('m.member_id, m.email, m.first_name, m.home_location_id');
/** Members who may get a transactional email: an active membership. */
const ACTIVE = trusted("m.status = 'active'");
/** Members who may get a marketing email: an active membership and marketing consent. */
const ACTIVE_CONSENTING = trusted("m.status = 'active' AND m.marketing_opt_in = TRUE");

/** `dt` (UTC day) partitions that can hold a local day in [from, to]: one day either side covers every zone. */
const partitions = (alias: string, from: string, to: string): Sql =>
  sql`${trusted(alias)}.dt BETWEEN ${dateParam(addDays(from, -1))} AND ${dateParam(addDays(to, 1))}`;

/**
 * Members whose n-th class check-in (n in `numbers`, counting every class check-in the lake holds up to `asOf`,
 * ordered by time then check-in id) fell on a local day in [from, asOf].
 */
function nthClass(ctx: CampaignContext, numbers: readonly number[], marketing: boolean): Sql {
  const from = addDays(ctx.asOf, -ctx.settings.catchUpDays);
  const wanted = trusted(numbers.map((n) => String(Math.trunc(n))).join(', '));
  return sql`WITH numbered AS (
  SELECT a.member_id, a.local_date, a.checked_in_at,
    row_number() OVER (PARTITION BY a.member_id ORDER BY a.checked_in_at, a.checkin_id) AS class_number
  FROM fact_attendance a
  WHERE a.class_id IS NOT NULL AND a.dt <= ${dateParam(addDays(ctx.asOf, 1))} AND a.local_date <= ${dateParam(ctx.asOf)}
)
SELECT ${MEMBER_COLUMNS}, c.class_number, c.local_date AS reached_on
FROM numbered c JOIN dim_members m ON m.member_id = c.member_id
WHERE c.class_number IN (${wanted}) AND c.local_date BETWEEN ${dateParam(from)} AND ${dateParam(ctx.asOf)} AND ${marketing ? ACTIVE_CONSENTING : ACTIVE}
ORDER BY m.member_id, c.class_number`;
}

/** Members who joined `day` days before a day in the catch-up window ending on the as-of day. */
const joinWindow = (ctx: CampaignContext, day: number) => ({ from: addDays(ctx.asOf, -day - ctx.settings.catchUpDays), to: addDays(ctx.asOf, -day) });

/**
 * One studio's class board for a week, as the leaderboard service ranks it: classes attended at that studio in the
 * week (check-ins with a class, local days Monday–Sunday); more classes first; at equal classes, whoever reached that
 * count first (their last counted check-in, to the second); then the higher member id (the live board's order).
 */
const weekBoard = (from: string, to: string): Sql => sql`SELECT location_id, member_id, classes,
    row_number() OVER (PARTITION BY location_id ORDER BY classes DESC, reached_at, member_id DESC) AS board_rank,
    count(*) OVER (PARTITION BY location_id) AS board_size
  FROM (
    SELECT a.location_id, a.member_id, count(*) AS classes, CAST(date_trunc('second', max(a.checked_in_at)) AS TIMESTAMP) AS reached_at
    FROM fact_attendance a
    WHERE a.class_id IS NOT NULL AND ${partitions('a', from, to)} AND a.local_date BETWEEN ${dateParam(from)} AND ${dateParam(to)}
    GROUP BY a.location_id, a.member_id
  ) AS tally`;

// --- Row readers ---------------------------------------------------------------------------------------------------

const text = (row: Row, column: string): string | undefined => {
  const v = row[column];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
};
const num = (row: Row, column: string): number => {
  const v = row[column];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`audience column ${column} is ${JSON.stringify(v)}, not a number`);
  return v;
};
const day = (row: Row, column: string): string => {
  const v = text(row, column);
  if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new Error(`audience column ${column} is ${JSON.stringify(row[column])}, not a day`);
  return v;
};

/**
 * The variables every email carries: the first name when the lake has one. The home studio travels as the request's
 * `locationId` (the notifier names it in the footer); the button's link is the notifier's default (MEMBER_APP_URL).
 * Each template takes exactly the variables its spec lists (services/notifier/src/templates/catalog.ts) and refuses others.
 */
function common(row: Row): Variables {
  const firstName = text(row, 'first_name');
  return firstName ? { firstName } : {};
}

/** A class type as it reads in a sentence ("Spin", "HIIT"). */
const CLASS_TYPE_NAMES: Readonly<Record<string, string>> = {
  yoga: 'Yoga', hiit: 'HIIT', spin: 'Spin', pilates: 'Pilates', strength: 'Strength', boxing: 'Boxing', barre: 'Barre', mobility: 'Mobility',
};
export const classTypeName = (type: string): string => CLASS_TYPE_NAMES[type] ?? type.charAt(0).toUpperCase() + type.slice(1).replaceAll('_', ' ');

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** "week of 8 June": how the leaderboard email names the week (its Monday). */
export const weekLabel = (monday: string): string => `week of ${Number(monday.slice(8, 10))} ${MONTHS[Number(monday.slice(5, 7)) - 1]}`;

/** The end of the as-of day plus `days` days, in the studios' zone. */
const daysAfterAsOf = (days: number) => (ctx: CampaignContext) => localMidnight(addDays(ctx.asOf, 1 + days), ctx.timeZone);

const ACTIVE_ONLY: Conditions = { activeMember: true };
const catchUpRule = {
  days: (s: CampaignSettings) => s.catchUpDays + 1,
  text: 'not contacted by this campaign since the catch-up window began',
};
const DAILY = '0 6 * * *';
const CATCH_UP_TEXT = '(and the CAMPAIGN_CATCH_UP_DAYS days before, default 2, in case a run was missed)';

// --- The campaigns -------------------------------------------------------------------------------------------------

export const CAMPAIGNS: Readonly<Record<CampaignId, CampaignDefinition>> = {
  welcome: {
    id: 'welcome',
    title: 'Welcome (day 1)',
    topic: 'onboarding',
    kind: 'transactional',
    template: 'welcome',
    schedule: DAILY,
    scheduleText: 'daily 06:00',
    audienceText: `active members who joined the day before the as-of day ${CATCH_UP_TEXT}; no consent needed (transactional)`,
    frequency: catchUpRule,
    periodText: '`once`',
    expiresAt: daysAfterAsOf(2),
    expiryText: '2 days after the as-of day',
    conditionsText: 'activeMember',
    variablesText: 'firstName?',
    audience: (ctx) => {
      const w = joinWindow(ctx, WELCOME_DAY);
      return sql`SELECT ${MEMBER_COLUMNS}, m.join_date
FROM dim_members m
WHERE ${ACTIVE} AND m.join_date BETWEEN ${dateParam(w.from)} AND ${dateParam(w.to)}
ORDER BY m.member_id`;
    },
    email: (row) => ({ period: 'once', variables: common(row), conditions: ACTIVE_ONLY }),
  },

  first_visit_nudge: {
    id: 'first_visit_nudge',
    title: 'First-visit nudge (day 7)',
    topic: 'onboarding',
    kind: 'marketing',
    template: 'first_visit_nudge',
    schedule: DAILY,
    scheduleText: 'daily 06:00',
    audienceText: `active, consenting members who joined 7 days before the as-of day ${CATCH_UP_TEXT} and have not checked in since the day they joined`,
    frequency: catchUpRule,
    periodText: '`once`',
    expiresAt: daysAfterAsOf(2),
    expiryText: '2 days after the as-of day',
    conditionsText: 'noVisitSince = the start of the join day (local midnight); activeMember',
    variablesText: 'firstName?',
    audience: (ctx) => {
      const w = joinWindow(ctx, NUDGE_DAY);
      return sql`WITH joined AS (
  SELECT ${MEMBER_COLUMNS}, m.join_date
  FROM dim_members m
  WHERE ${ACTIVE_CONSENTING} AND m.join_date BETWEEN ${dateParam(w.from)} AND ${dateParam(w.to)}
),
visited AS (
  SELECT DISTINCT a.member_id
  FROM fact_attendance a JOIN joined j ON j.member_id = a.member_id
  WHERE ${partitions('a', w.from, ctx.asOf)} AND a.local_date BETWEEN ${dateParam(w.from)} AND ${dateParam(ctx.asOf)} AND a.local_date >= j.join_date
)
SELECT j.member_id, j.email, j.first_name, j.home_location_id, j.join_date
FROM joined j LEFT JOIN visited v ON v.member_id = j.member_id
WHERE v.member_id IS NULL
ORDER BY j.member_id`;
    },
    email: (row, ctx) => {
      const joinDate = day(row, 'join_date');
      return { period: 'once', variables: common(row), conditions: { noVisitSince: localMidnight(joinDate, ctx.timeZone), activeMember: true } };
    },
  },

  habit: {
    id: 'habit',
    title: 'Habit (after the third class)',
    topic: 'onboarding',
    kind: 'marketing',
    template: 'habit',
    schedule: DAILY,
    scheduleText: 'daily 06:00',
    audienceText: `active, consenting members whose 3rd class check-in (ever, in the lake) was on the as-of day ${CATCH_UP_TEXT}`,
    frequency: catchUpRule,
    periodText: '`once`',
    expiresAt: daysAfterAsOf(3),
    expiryText: '3 days after the as-of day',
    conditionsText: 'activeMember',
    variablesText: 'firstName?, classesAttended (3)',
    audience: (ctx) => nthClass(ctx, [HABIT_CLASS], true),
    email: (row) => ({ period: 'once', variables: { ...common(row), classesAttended: num(row, 'class_number') }, conditions: ACTIVE_ONLY }),
  },

  win_back: {
    id: 'win_back',
    title: 'Win-back',
    topic: 'win_back',
    kind: 'marketing',
    template: 'win_back',
    schedule: DAILY,
    scheduleText: 'daily 06:00',
    audienceText:
      'active, consenting members whose last check-in (any visit) was WIN_BACK_AFTER_DAYS (default 14) to WIN_BACK_MAX_DAYS (default 42) days before the as-of day; ' +
      'a member who never checked in is not lapsing (first_visit_nudge is for them)',
    frequency: { days: () => 30, text: 'not contacted by win_back in the last 30 days' },
    periodText: 'the day of the last check-in (one win-back per lapse)',
    expiresAt: daysAfterAsOf(3),
    expiryText: '3 days after the as-of day',
    conditionsText: 'noVisitSince = the last check-in instant; activeMember',
    variablesText: 'firstName?, daysSinceLastVisit, lastClassName? (the class type they went to most in the 12 weeks up to their last visit)',
    audience: (ctx) => {
      const { winBackAfterDays: after, winBackMaxDays: max } = ctx.settings;
      const lookFrom = addDays(ctx.asOf, -max);
      const lapseTo = addDays(ctx.asOf, -after);
      const habitFrom = addDays(lookFrom, -(USUAL_CLASS_DAYS - 1));
      return sql`WITH last_visits AS (
  SELECT a.member_id, max(a.local_date) AS last_visit, max(a.checked_in_at) AS last_checkin_at
  FROM fact_attendance a
  WHERE ${partitions('a', lookFrom, ctx.asOf)} AND a.local_date BETWEEN ${dateParam(lookFrom)} AND ${dateParam(ctx.asOf)}
  GROUP BY a.member_id
),
lapsed AS (
  SELECT ${MEMBER_COLUMNS}, l.last_visit, l.last_checkin_at
  FROM dim_members m JOIN last_visits l ON l.member_id = m.member_id
  WHERE ${ACTIVE_CONSENTING} AND l.last_visit BETWEEN ${dateParam(lookFrom)} AND ${dateParam(lapseTo)}
),
class_types AS (
  SELECT a.member_id, c.class_type, count(*) AS classes, max(a.checked_in_at) AS latest
  FROM fact_attendance a
  JOIN lapsed l ON l.member_id = a.member_id
  JOIN dim_classes c ON c.class_id = a.class_id
  WHERE ${partitions('a', habitFrom, lapseTo)} AND a.local_date BETWEEN ${dateParam(habitFrom)} AND ${dateParam(lapseTo)}
    AND date_diff('day', a.local_date, l.last_visit) BETWEEN 0 AND ${integerLiteral(USUAL_CLASS_DAYS - 1)}
  GROUP BY a.member_id, c.class_type
),
usual AS (
  SELECT member_id, class_type, row_number() OVER (PARTITION BY member_id ORDER BY classes DESC, latest DESC, class_type) AS pick
  FROM class_types
)
SELECT l.member_id, l.email, l.first_name, l.home_location_id, l.last_visit, l.last_checkin_at, u.class_type AS usual_class_type
FROM lapsed l LEFT JOIN usual u ON u.member_id = l.member_id AND u.pick = 1
ORDER BY l.member_id`;
    },
    email: (row, ctx) => {
      const lastVisit = day(row, 'last_visit');
      const lastCheckin = text(row, 'last_checkin_at');
      if (!lastCheckin) throw new Error('audience column last_checkin_at is empty');
      const usual = text(row, 'usual_class_type');
      return {
        period: lastVisit,
        variables: { ...common(row), daysSinceLastVisit: daysBetween(lastVisit, ctx.asOf), ...(usual ? { lastClassName: classTypeName(usual) } : {}) },
        conditions: { noVisitSince: new Date(lastCheckin).toISOString(), activeMember: true },
      };
    },
  },

  milestone: {
    id: 'milestone',
    title: 'Class milestones',
    topic: 'milestones',
    kind: 'marketing',
    template: 'milestone',
    schedule: DAILY,
    scheduleText: 'daily 06:00',
    audienceText: `active, consenting members whose 10th, 50th or 100th class check-in (ever, in the lake) was on the as-of day ${CATCH_UP_TEXT}`,
    frequency: catchUpRule,
    periodText: 'the milestone (`10`, `50`, `100`)',
    expiresAt: daysAfterAsOf(3),
    expiryText: '3 days after the as-of day',
    conditionsText: 'activeMember',
    variablesText: 'firstName?, milestone',
    audience: (ctx) => nthClass(ctx, MILESTONES, true),
    email: (row) => {
      const milestone = num(row, 'class_number');
      return { period: String(milestone), variables: { ...common(row), milestone }, conditions: ACTIVE_ONLY };
    },
  },

  location_news: {
    id: 'location_news',
    title: 'Location news',
    topic: 'location_news',
    kind: 'marketing',
    template: 'location_news',
    schedule: null,
    scheduleText: 'on demand only (an announcement file or request)',
    audienceText: "active, consenting members whose home studio is the announcement's location",
    frequency: null,
    periodText: 'the announcement id',
    expiresAt: (ctx) => ctx.announcement?.expiresAt ? new Date(ctx.announcement.expiresAt).toISOString() : daysAfterAsOf(3)(ctx),
    expiryText: "the announcement's `expiresAt`, else 3 days after the as-of day",
    conditionsText: 'activeMember',
    variablesText: "firstName?, title, body, ctaUrl? and ctaLabel? (the announcement's)",
    missingInput: (ctx) => (ctx.announcement ? undefined : 'location_news needs an announcement ({ id, locationId, title, body }): pass --announce <file.json>'),
    audience: (ctx) => {
      const locationId = ctx.announcement?.locationId ?? '';
      return sql`SELECT ${MEMBER_COLUMNS}
FROM dim_members m
WHERE ${ACTIVE_CONSENTING} AND m.home_location_id = ${locationId}
ORDER BY m.member_id`;
    },
    email: (row, ctx) => {
      const a = ctx.announcement;
      if (!a) throw new Error('location_news without an announcement');
      const link = a.ctaUrl ? { ctaUrl: a.ctaUrl, ...(a.ctaLabel ? { ctaLabel: a.ctaLabel } : {}) } : {};
      return { period: a.id, variables: { ...common(row), title: a.title, body: a.body, ...link }, conditions: ACTIVE_ONLY };
    },
  },

  leaderboard_climb: {
    id: 'leaderboard_climb',
    title: 'Leaderboard climb (weekly)',
    topic: 'leaderboard',
    kind: 'marketing',
    template: 'leaderboard_climb',
    schedule: '0 7 * * 1',
    scheduleText: 'weekly, Monday 07:00',
    audienceText:
      "active, consenting members whose rank on their home studio's class board for the last full ISO week (Monday–Sunday, on or before the as-of day) " +
      'is better than their rank on it the week before; a member must be on both weeks\' boards (one class there at least)',
    frequency: null,
    periodText: 'the ISO week of the board (`2026-W23`)',
    expiresAt: daysAfterAsOf(3),
    expiryText: '3 days after the as-of day (Thursday, when planned on Monday)',
    conditionsText: 'activeMember',
    variablesText: 'firstName?, oldRank, newRank, weekLabel ("week of 8 June")',
    audience: (ctx) => {
      const { last, previous } = lastFullWeeks(ctx.asOf);
      return sql`WITH last_board AS (
  ${weekBoard(last.from, last.to)}
),
previous_board AS (
  ${weekBoard(previous.from, previous.to)}
)
SELECT ${MEMBER_COLUMNS}, n.board_rank AS new_rank, p.board_rank AS old_rank, n.board_size, n.classes
FROM dim_members m
JOIN last_board n ON n.member_id = m.member_id AND n.location_id = m.home_location_id
JOIN previous_board p ON p.member_id = m.member_id AND p.location_id = m.home_location_id
WHERE ${ACTIVE_CONSENTING} AND n.board_rank < p.board_rank
ORDER BY m.member_id`;
    },
    email: (row, ctx) => {
      const { last } = lastFullWeeks(ctx.asOf);
      return {
        period: last.key,
        variables: { ...common(row), oldRank: num(row, 'old_rank'), newRank: num(row, 'new_rank'), weekLabel: weekLabel(last.from) },
        conditions: ACTIVE_ONLY,
      };
    },
  },
};

export const CAMPAIGN_LIST: readonly CampaignDefinition[] = CAMPAIGN_IDS.map((id) => CAMPAIGNS[id]);

export const isCampaignId = (value: string): value is CampaignId => (CAMPAIGN_IDS as readonly string[]).includes(value);

/** `<campaign>:<member>:<period>`: the same email whichever run plans it (no run id in it). */
export const dedupeKey = (campaign: CampaignId, memberId: string, period: string): string => `${campaign}:${memberId}:${period}`;
