import { randomUUID } from 'node:crypto';
import { sql, type QueryEngine, type Sql } from '@peak/analytics';
import type { PeriodSpan } from './periods.js';
import { displayName, KEYS, MAX_CLASSES, packScore, toEpochSeconds, type BoardRef, type BoardStore, type CheckinToApply } from './store.js';

/** A rebuild holds the boards this long at most: a crashed one frees them by itself. */
const LOCK_MS = 10 * 60_000;
const CHUNK = 5_000;

export class RebuildBusyError extends Error {
  override name = 'RebuildBusyError';
}

export type RebuildSummary = { boards: number; members: number; checkinsCounted: number; seconds: number; builtAt: string };

/** The periods whose boards still live at `now`: this week and month, and the previous ones while in their grace. */
export function openSpans(store: BoardStore, now: number): { weeks: PeriodSpan[]; months: PeriodSpan[] } {
  const open = (current: PeriodSpan, previous: PeriodSpan) => (store.expiresAt(previous) * 1000 > now ? [previous, current] : [current]);
  const week = store.calendar.week(now);
  const month = store.calendar.month(now);
  return { weeks: open(week, store.calendar.week((week.start as number) - 1)), months: open(month, store.calendar.month((month.start as number) - 1)) };
}

const classCheckins = (span: PeriodSpan | undefined): Sql => {
  if (span?.start === undefined || span.end === undefined) return sql`class_id IS NOT NULL`;
  const [from, to] = [new Date(span.start).toISOString(), new Date(span.end).toISOString()];
  // dt (the UTC day) prunes partitions; the exact bounds are on the check-in time.
  return sql`class_id IS NOT NULL AND dt >= CAST(${from.slice(0, 10)} AS DATE) AND dt <= CAST(${to.slice(0, 10)} AS DATE)
    AND checked_in_at >= CAST(${from.slice(0, 19).replace('T', ' ')} AS TIMESTAMP) AND checked_in_at < CAST(${to.slice(0, 19).replace('T', ' ')} AS TIMESTAMP)`;
};

type Tally = { classes: number; reached: number };

/**
 * Rebuilds every open board from the lake's `fact_attendance` (class check-ins only), with the record of counted
 * check-ins, and swaps them in at once. Live check-ins wait meanwhile (their messages come back); afterwards they
 * count only if the lake did not already hold them. The all-time boards count every class check-in the lake holds.
 */
export async function rebuildFromLake(engine: QueryEngine, store: BoardStore, now = Date.now()): Promise<RebuildSummary> {
  const started = performance.now();
  const { redis } = store;
  const token = randomUUID();
  if ((await redis.set(KEYS.rebuilding, token, 'PX', LOCK_MS, 'NX')) !== 'OK') throw new RebuildBusyError('a rebuild of the leaderboards is already running; try again in a few minutes');
  const temp = (key: string) => `lb:tmp:${token}:${key}`;
  const written = new Set<string>();
  try {
    const { weeks, months } = openSpans(store, now);
    const spans: PeriodSpan[] = [...weeks, ...months, { period: 'all', key: 'all' }];
    const locations = new Set<string>();
    let members = 0;
    let counted = 0;
    for (const span of spans) {
      const q = sql`SELECT member_id, location_id, count(*) AS classes, max(checked_in_at) AS last_checkin FROM fact_attendance WHERE ${classCheckins(span)} GROUP BY member_id, location_id`;
      const { rows } = await engine.query(q.text, { params: q.params });
      const boards = new Map<string, Map<string, Tally>>();
      const add = (ref: BoardRef, member: string, classes: number, reached: number) => {
        const key = KEYS.board(ref, span.key);
        const board = boards.get(key) ?? new Map<string, Tally>();
        boards.set(key, board);
        const t = board.get(member) ?? { classes: 0, reached: 0 };
        board.set(member, { classes: t.classes + classes, reached: Math.max(t.reached, reached) });
      };
      for (const r of rows) {
        const [member, location, classes, reached] = [String(r.member_id), String(r.location_id), Number(r.classes), toEpochSeconds(Date.parse(String(r.last_checkin))) /* engines answer ISO 8601 UTC */];
        locations.add(location);
        add({ span }, member, classes, reached);
        add({ location, span }, member, classes, reached);
        if (span.period === 'all') counted += classes;
      }
      for (const [key, board] of boards) {
        const pipeline = redis.pipeline();
        let batch: (string | number)[] = [];
        for (const [member, t] of board) {
          if (t.classes > MAX_CLASSES) throw new Error(`member ${member} has ${t.classes} classes on ${key}: more than a board can count exactly (${MAX_CLASSES})`);
          batch.push(String(packScore(t.classes, t.reached)), member);
          if (batch.length >= 2 * CHUNK) {
            pipeline.zadd(temp(key), ...batch);
            batch = [];
          }
        }
        if (batch.length > 0) pipeline.zadd(temp(key), ...batch);
        const expiry = store.expiresAt(span);
        if (expiry !== 0) pipeline.expire(temp(key), expiry - Math.floor(now / 1000)); // relative to our clock, as the live path does
        await exec(pipeline);
        written.add(key);
        if (span.period === 'all' && !key.includes(':loc:')) members = board.size;
      }
    }
    // The check-ins counted on the open months' boards, so a live copy of one is not counted twice.
    for (const month of months) {
      const q = sql`SELECT checkin_id FROM fact_attendance WHERE ${classCheckins(month)}`;
      const { rows } = await engine.query(q.text, { params: q.params });
      const pipeline = redis.pipeline();
      for (let i = 0; i < rows.length; i += CHUNK) pipeline.sadd(temp(KEYS.applied(month.key)), ...rows.slice(i, i + CHUNK).map((r) => String(r.checkin_id)));
      if (rows.length > 0) pipeline.expire(temp(KEYS.applied(month.key)), store.expiresAt(month) - Math.floor(now / 1000));
      await exec(pipeline);
      if (rows.length > 0) written.add(KEYS.applied(month.key));
    }
    // Names first: the swap's reset makes every page reload, and they should show names at once.
    await refreshNames(engine, store);
    // The swap: every open board and record replaced at once; one with no check-in in the lake is emptied.
    const builtAt = new Date(now).toISOString();
    const swap = redis.multi();
    const scopes = [undefined, ...locations, ...(await redis.smembers(KEYS.locations))];
    const targets = new Set([...written, ...months.map((m) => KEYS.applied(m.key)), ...spans.flatMap((span) => scopes.map((location) => KEYS.board(location === undefined ? {} : { location }, span.key)))]);
    for (const key of targets) {
      if (written.has(key)) swap.rename(temp(key), key);
      else swap.del(key);
    }
    if (locations.size > 0) swap.sadd(KEYS.locations, ...locations);
    swap.set(KEYS.built, JSON.stringify({ builtAt, checkins: counted }));
    swap.publish(KEYS.live, JSON.stringify({ reset: true })); // live pages reload every board
    await exec(swap);
    written.clear();
    return { boards: targets.size - months.length, members, checkinsCounted: counted, seconds: (performance.now() - started) / 1000, builtAt };
  } finally {
    if (written.size > 0) await redis.del(...[...written].map(temp)).catch(() => {});
    // Only our own lock: a rebuild that outlived it must not free another's.
    await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, KEYS.rebuilding, token).catch(() => {});
  }
}

async function exec(p: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<void> {
  for (const [err] of (await p.exec()) ?? []) if (err) throw err;
}

/** The members' display names from the lake's `dim_members` (newest version of each), written over the old ones. */
export async function refreshNames(engine: QueryEngine, store: BoardStore): Promise<number> {
  const { rows } = await engine.query('SELECT member_id, first_name, last_name FROM dim_members');
  const pipeline = store.redis.pipeline();
  for (let i = 0; i < rows.length; i += CHUNK) {
    const pairs = rows.slice(i, i + CHUNK).flatMap((r) => {
      const name = displayName(r.first_name as string | null, r.last_name as string | null);
      return name ? [String(r.member_id), name] : [];
    });
    if (pairs.length > 0) pipeline.hset(KEYS.names, ...pairs);
  }
  await exec(pipeline);
  return rows.length;
}

/**
 * After the ETL published a batch of check-ins: counts its class check-ins through the same script as the live
 * stream (those already counted live are skipped), reading the partitions the batch wrote.
 */
export async function catchUpFromLake(engine: QueryEngine, store: BoardStore, partitions: readonly string[]): Promise<{ applied: number; duplicate: number; late: number }> {
  const tally = { applied: 0, duplicate: 0, late: 0 };
  if (partitions.length === 0) return tally;
  for (const day of partitions) {
    const q = sql`SELECT checkin_id, member_id, location_id, checked_in_at FROM fact_attendance WHERE class_id IS NOT NULL AND dt = CAST(${day} AS DATE) ORDER BY checkin_id`;
    const { rows } = await engine.query(q.text, { params: q.params });
    for (let i = 0; i < rows.length; i += 1_000) {
      const checkins: CheckinToApply[] = rows.slice(i, i + 1_000).map((r) => ({
        checkinId: String(r.checkin_id), memberId: String(r.member_id), locationId: String(r.location_id),
        checkedInAt: String(r.checked_in_at),
      }));
      for (const outcome of await store.apply(checkins)) {
        if (outcome === 'rebuilding') throw new RebuildBusyError('the leaderboards are being rebuilt; the batch is counted when the rebuild ends');
        tally[outcome]++;
      }
    }
  }
  return tally;
}
