import type { Redis } from 'ioredis';
import type { Period, PeriodSpan, StudioCalendar } from './periods.js';

/**
 * The leaderboards in Redis: one sorted set per board (global or one studio × this week, this month, all time).
 *
 * A member's score packs two integers into one exact double (every value stays below 2^53):
 *   classes × 2^32 + (2^32 − 1 − reachedAt)
 * where `reachedAt` is when they reached that many classes (seconds since 2020-01-01 UTC: their latest counted
 * check-in). More classes rank higher; at equal classes, whoever got there first. Equal to the second, Redis orders
 * by member id (the higher id first, its reverse order).
 */
export const SCORE_SHIFT = 2 ** 32;
/** Seconds are counted from here so that they fit 32 bits until 2156. */
export const EPOCH_MS = Date.UTC(2020, 0, 1);
/** Packing keeps scores exact up to 2^21 classes (2 million) per member and board. */
export const MAX_CLASSES = 2 ** 21 - 1;

export type BoardScope = { location?: string };

export const KEYS = {
  /** Present while a rebuild swaps the boards: live check-ins wait (their SQS message comes back later). */
  rebuilding: 'lb:rebuilding',
  /** When the boards were last rebuilt from the lake (absent: never, or Redis lost them). */
  built: 'lb:built',
  /** Check-in ids already counted, per local month of the check-in: what makes every check-in count once. */
  applied: (monthKey: string) => `lb:applied:${monthKey}`,
  /** Studios that have a board. */
  locations: 'lb:locations',
  board: (scope: BoardScope, periodKey: string) => `lb:board:${scope.location === undefined ? 'global' : `loc:${scope.location}`}:${periodKey}`,
  /** Display names by member id (first name and last initial), from the lake's members. */
  names: 'lb:names',
  /** Pub/sub channel of rank changes (live updates). */
  live: 'lb:live',
} as const;

export const packScore = (classes: number, reachedAtSeconds: number): number => classes * SCORE_SHIFT + (SCORE_SHIFT - 1 - reachedAtSeconds);
export function unpackScore(score: number): { classes: number; reachedAt: string } {
  const classes = Math.floor(score / SCORE_SHIFT);
  const seconds = SCORE_SHIFT - 1 - (score - classes * SCORE_SHIFT);
  return { classes, reachedAt: new Date(EPOCH_MS + seconds * 1000).toISOString() };
}
export const toEpochSeconds = (instant: number): number => Math.floor((instant - EPOCH_MS) / 1000);

/**
 * Counts one check-in on every board it belongs to, atomically, once. KEYS: rebuild lock, applied set, studio set,
 * then the boards. ARGV: check-in id, member, studio, reached-at seconds, now (unix s), applied set's expiry (unix s),
 * then per board its expiry (unix s, 0 = never) and its name for the live channel.
 * Returns -1 while a rebuild runs, 0 for a check-in already counted, else 1 followed by per board the old rank
 * (-1 = not on it) and the new one (0-based; -1 when the board's period had already closed and it was skipped).
 */
const APPLY_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {-1} end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return {0} end
-- Expiries are relative to the caller's clock (EXPIRE, not EXPIREAT): the caller decides what "now" is.
local now = tonumber(ARGV[5])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[6]) - now)
redis.call('SADD', KEYS[3], ARGV[3])
local shift = 4294967296
local member, reached = ARGV[2], tonumber(ARGV[4])
local out = {1}
for i = 4, #KEYS do
  local expires = tonumber(ARGV[7 + (i - 4) * 2])
  if expires ~= 0 and expires <= now then
    table.insert(out, -1); table.insert(out, -1)
  else
    local key = KEYS[i]
    local old = redis.call('ZSCORE', key, member)
    local oldRank = redis.call('ZREVRANK', key, member)
    local classes, at = 0, 0
    if old then
      old = tonumber(old)
      classes = math.floor(old / shift)
      at = shift - 1 - (old - classes * shift)
    end
    classes = classes + 1
    if reached > at then at = reached end
    redis.call('ZADD', key, string.format('%d', classes * shift + (shift - 1 - at)), member)
    if expires ~= 0 then redis.call('EXPIRE', key, expires - now) end
    local newRank = redis.call('ZREVRANK', key, member)
    table.insert(out, oldRank or -1); table.insert(out, newRank)
    redis.call('PUBLISH', '${KEYS.live}', cjson.encode({ board = ARGV[8 + (i - 4) * 2], member = member, classes = classes, rank = newRank + 1, previousRank = oldRank and (oldRank + 1) or cjson.null }))
  end
end
return out
`;

export type CheckinToApply = { checkinId: string; memberId: string; locationId: string; checkedInAt: string };
export type ApplyOutcome = 'applied' | 'duplicate' | 'late' | 'rebuilding';

/** A board as the API names it: the studio (none = every studio) and the period instance. */
export type BoardRef = { location?: string; span: PeriodSpan };
/** The board's name in live messages: its key without the prefix (`global:2026-W49`, `loc:downtown:all`). */
export const boardName = (b: BoardRef): string => KEYS.board(b, b.span.key).slice('lb:board:'.length);

export type StoreOptions = {
  calendar: StudioCalendar;
  /** Days a weekly or monthly board (and its record of counted check-ins) outlives its period. */
  graceDays: number;
  now?: () => number;
};

/** Reads and writes the boards; every write of a check-in is one atomic script call. */
export class BoardStore {
  readonly calendar: StudioCalendar;
  readonly graceMs: number;
  private readonly now: () => number;

  constructor(readonly redis: Redis, opts: StoreOptions) {
    this.calendar = opts.calendar;
    this.graceMs = opts.graceDays * 86_400_000;
    this.now = opts.now ?? Date.now;
    // ioredis sends EVALSHA and, after a Redis restart emptied the script cache, loads the script again by itself.
    if (!('lbApplyCheckin' in redis)) redis.defineCommand('lbApplyCheckin', { lua: APPLY_SCRIPT });
  }

  /** The unix second a period's board expires (its end plus the grace); 0 for all time. */
  expiresAt(span: PeriodSpan): number {
    return span.end === undefined ? 0 : Math.ceil((span.end + this.graceMs) / 1000);
  }

  /** The boards one check-in counts on: global and its studio × week, month, all time. */
  boardsOf(c: CheckinToApply): BoardRef[] {
    const at = Date.parse(c.checkedInAt);
    const spans = (['week', 'month', 'all'] as Period[]).map((p) => this.calendar.span(p, at));
    return [undefined, c.locationId].flatMap((location) => spans.map((span) => ({ ...(location === undefined ? {} : { location }), span })));
  }

  /**
   * Counts check-ins (one script call each, pipelined: one round trip per call of this method). A check-in whose
   * month closed more than the grace ago is `late`: not counted live (a rebuild from the lake counts it on the all-time board).
   */
  async apply(checkins: readonly CheckinToApply[]): Promise<ApplyOutcome[]> {
    const now = this.now();
    const pipeline = this.redis.pipeline();
    const sent: number[] = [];
    const outcomes: ApplyOutcome[] = checkins.map((c, i) => {
      const at = Date.parse(c.checkedInAt);
      const month = this.calendar.month(at);
      const appliedExpiry = this.expiresAt(month);
      if (appliedExpiry * 1000 <= now) return 'late';
      const boards = this.boardsOf(c);
      const keys = [KEYS.rebuilding, KEYS.applied(month.key), KEYS.locations, ...boards.map((b) => KEYS.board(b, b.span.key))];
      const args = [c.checkinId, c.memberId, c.locationId, String(toEpochSeconds(at)), String(Math.floor(now / 1000)), String(appliedExpiry), ...boards.flatMap((b) => [String(this.expiresAt(b.span)), boardName(b)])];
      (pipeline as unknown as ApplyCommand).lbApplyCheckin(keys.length, ...keys, ...args);
      sent.push(i);
      return 'applied';
    });
    if (sent.length === 0) return outcomes;
    const results = (await pipeline.exec()) ?? [];
    results.forEach(([err, reply], k) => {
      if (err) throw err;
      const code = (reply as number[])[0];
      outcomes[sent[k]!] = code === -1 ? 'rebuilding' : code === 0 ? 'duplicate' : 'applied';
    });
    return outcomes;
  }
}

type ApplyCommand = { lbApplyCheckin(numKeys: number, ...keysAndArgs: string[]): unknown };

export type BoardEntry = { rank: number; memberId: string; name: string | null; classes: number; reachedAt: string };
export type MemberStanding = BoardEntry & { members: number; percentile: number };

/** The replies of a MULTI, failing on the first error (EXEC answers null only when a WATCH fired; none is used here). */
async function replies(multi: ReturnType<Redis['multi']>): Promise<unknown[]> {
  const out = (await multi.exec()) ?? [];
  return out.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** Entries from a ZREVRANGE … WITHSCORES reply whose first member has rank `firstRank` (1 = best). */
function entries(flat: string[], firstRank: number, names: (string | null)[]): BoardEntry[] {
  const out: BoardEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ rank: firstRank + i / 2, memberId: flat[i]!, name: names[i / 2] ?? null, ...unpackScore(Number(flat[i + 1])) });
  return out;
}

/** "Anna K.": what a leaderboard shows of a member (a first name and the last name's initial). */
export function displayName(first: string | null | undefined, last: string | null | undefined): string | null {
  const given = first?.trim() ?? '';
  const initial = last?.trim().charAt(0) ?? '';
  if (!given) return null;
  return initial ? `${given} ${initial.toUpperCase()}.` : given;
}

/** Share of the board's other members this one ranks above (100 = first, 0 = last; alone: 100). */
export const percentileOf = (rank: number, members: number): number => (members <= 1 ? 100 : Math.round((10_000 * (members - rank)) / (members - 1)) / 100);

export class BoardReader {
  constructor(private readonly redis: Redis) {}

  /** A page of the board, best first. */
  async top(ref: BoardRef, offset: number, limit: number): Promise<{ members: number; entries: BoardEntry[] }> {
    const key = KEYS.board(ref, ref.span.key);
    // Two plain commands, not a MULTI: they go out together (auto-pipelining), and a count a check-in newer than the page is harmless.
    const [flat, members] = await Promise.all([this.redis.zrevrange(key, offset, offset + limit - 1, 'WITHSCORES'), this.redis.zcard(key)]);
    return { members: Number(members), entries: entries(flat, offset + 1, await this.namesOf(flat)) };
  }

  /** The names of the members in a WITHSCORES reply (every other item), in order. */
  private async namesOf(flat: string[]): Promise<(string | null)[]> {
    const ids = flat.filter((_, i) => i % 2 === 0);
    return ids.length === 0 ? [] : this.redis.hmget(KEYS.names, ...ids);
  }

  /** One member's place on a board; undefined when they have no class on it. */
  async standing(ref: BoardRef, memberId: string): Promise<MemberStanding | undefined> {
    const key = KEYS.board(ref, ref.span.key);
    // One MULTI: rank and score must be of the same moment, or the classes shown would not match the rank.
    const [rank, score, members, name] = await replies(this.redis.multi().zrevrank(key, memberId).zscore(key, memberId).zcard(key).hget(KEYS.names, memberId));
    if (rank === null || score === null) return undefined;
    const place = Number(rank) + 1;
    return { rank: place, memberId, name: (name as string | null) ?? null, ...unpackScore(Number(score)), members: Number(members), percentile: percentileOf(place, Number(members)) };
  }

  /**
   * The member and up to `size` neighbours on each side; near the top or bottom the window is filled from the other
   * side, so it always holds min(2 × size + 1, members) entries.
   */
  async around(ref: BoardRef, memberId: string, size: number): Promise<{ standing: MemberStanding; entries: BoardEntry[] } | undefined> {
    const standing = await this.standing(ref, memberId);
    if (!standing) return undefined;
    const width = 2 * size + 1;
    const start = Math.max(0, Math.min(standing.rank - 1 - size, standing.members - width));
    const flat = await this.redis.zrevrange(KEYS.board(ref, ref.span.key), start, start + width - 1, 'WITHSCORES');
    return { standing, entries: entries(flat, start + 1, await this.namesOf(flat)) };
  }

  /** Studios with a board, sorted. */
  async locations(): Promise<string[]> {
    return (await this.redis.smembers(KEYS.locations)).sort();
  }

  /** Members on each board (0 for a board nobody is on yet). */
  async sizes(refs: readonly BoardRef[]): Promise<number[]> {
    const pipeline = this.redis.pipeline();
    for (const r of refs) pipeline.zcard(KEYS.board(r, r.span.key));
    return (await replies(pipeline as unknown as ReturnType<Redis['multi']>)).map(Number);
  }
}
