import Type, { type Static } from 'typebox';
import { PERIODS } from './periods.js';

/** Contract pattern of member and location ids: anything else is refused before Redis is asked. */
const ID = '^[A-Za-z0-9_.:-]{1,64}$';
export const MAX_PAGE = 100;
export const MAX_OFFSET = 1_000_000;
export const MAX_AROUND = 25;

const boardQuery = {
  location: Type.Optional(Type.String({ pattern: ID, description: 'A studio id; omit it for the board of every studio together' })),
  period: Type.Union([Type.Literal(PERIODS[0]), Type.Literal(PERIODS[1]), Type.Literal(PERIODS[2])], {
    default: 'week',
    description: 'week (this ISO week, Monday first), month (this calendar month) or all (all time), in the studios\' time zone',
  }),
  key: Type.Optional(Type.String({ maxLength: 16, description: 'A past period still kept (weekly and monthly boards live for their period plus a grace): 2026-W49, 2026-12. Default: the current one' })),
};

export const topQuery = Type.Object(
  {
    ...boardQuery,
    offset: Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0, description: `Entries to skip (0 … ${MAX_OFFSET})` }),
    limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 10, description: `Entries to return (1 … ${MAX_PAGE})` }),
  },
  { additionalProperties: false },
);
export const standingQuery = Type.Object(boardQuery, { additionalProperties: false });
export const aroundQuery = Type.Object(
  { ...boardQuery, size: Type.Integer({ minimum: 0, maximum: MAX_AROUND, default: 5, description: `Neighbours on each side (0 … ${MAX_AROUND}); at the top or bottom the window is filled from the other side` }) },
  { additionalProperties: false },
);
export const memberParams = Type.Object({ memberId: Type.String({ pattern: ID, description: 'Member id' }) });

export type TopQuery = Static<typeof topQuery>;
export type StandingQuery = Static<typeof standingQuery>;
export type AroundQuery = Static<typeof aroundQuery>;

/** Messages for the schema's refusals, per parameter, in words a caller can act on. */
export const QUERY_RULES: Record<string, string> = {
  location: 'location must be a studio id (letters, digits, _ . : -, at most 64)',
  period: 'period must be week, month or all',
  key: 'key must be a period key such as 2026-W49 (week) or 2026-12 (month), at most 16 characters',
  offset: `offset must be a whole number from 0 to ${MAX_OFFSET}`,
  limit: `limit must be a whole number from 1 to ${MAX_PAGE}`,
  size: `size must be a whole number from 0 to ${MAX_AROUND}`,
  memberId: 'the member id must be letters, digits, _ . : - (at most 64), as in the members export',
};

const board = Type.Object(
  {
    location: Type.Union([Type.String(), Type.Null()], { description: 'The studio, or null for every studio together' }),
    period: Type.String({ description: 'week, month or all' }),
    key: Type.String({ description: 'The period: 2026-W49, 2026-12 or all' }),
    from: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the period starts (null for all time)' }),
    to: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When it ends (exclusive)' }),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the board is dropped (its end plus the grace; null: kept)' }),
    members: Type.Integer({ minimum: 0, description: 'Members on the board' }),
  },
  { description: 'One leaderboard' },
);
const entry = Type.Object({
  rank: Type.Integer({ minimum: 1, description: '1 = first' }),
  memberId: Type.String(),
  name: Type.Union([Type.String(), Type.Null()], { description: 'First name and last initial ("Anna K."), from the members export; null until it is loaded' }),
  classes: Type.Integer({ minimum: 1, description: 'Classes attended in the period (the score)' }),
  reachedAt: Type.String({ format: 'date-time', description: 'When they reached that many (ties: earlier ranks higher)' }),
});
const standing = Type.Object({
  ...entry.properties,
  members: Type.Integer({ minimum: 1, description: 'Members on the board' }),
  percentile: Type.Number({ minimum: 0, maximum: 100, description: 'Share of the other members ranked below (100 = first, 0 = last)' }),
});

export const boardsAnswer = Type.Object({
  timeZone: Type.String({ description: 'The studios\' zone: periods begin at local midnight' }),
  graceDays: Type.Integer({ description: 'Days a weekly or monthly board is kept after its period' }),
  rebuiltAt: Type.Union([Type.String(), Type.Null()], { description: 'When the boards were last rebuilt from the lake (null: never)' }),
  boards: Type.Array(board),
});
export const topAnswer = Type.Object({ board, offset: Type.Integer(), limit: Type.Integer(), entries: Type.Array(entry) });
export const standingAnswer = Type.Object({ board, standing });
export const aroundAnswer = Type.Object({ board, standing, entries: Type.Array(entry, { description: 'The member and their neighbours, best first' }) });
export type BoardAnswer = Static<typeof board>;
