import type { FastifyReply } from 'fastify';
import type { ServiceApp } from '@peak/service-kit';
import { queryRuleFormatter, refusals } from '../refusals.js';
import { BoardApiError, REDIS_RETRY_AFTER_SECONDS, REDIS_UNAVAILABLE_MESSAGE } from './errors.js';
import type { BoardAnswerCache } from './cache.js';
import type { LiveHub, LiveMessage } from './live.js';
import { PERIODS, type Period, type PeriodSpan } from './periods.js';
import {
  aroundAnswer, aroundQuery, boardsAnswer, memberParams, QUERY_RULES, standingAnswer, standingQuery, topAnswer, topQuery,
  type AroundQuery, type BoardAnswer, type StandingQuery, type TopQuery,
} from './schemas.js';
import { boardName, BoardReader, KEYS, type BoardRef, type BoardStore } from './store.js';

export type BoardRoutesOptions = { store: BoardStore; live: LiveHub; cache: BoardAnswerCache; now?: () => number };

/** Answers are kept as JSON text (see BoardAnswerCache): sent as they are, not serialised again. */
const json = (reply: FastifyReply, body: string) => reply.type('application/json; charset=utf-8').send(body);
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
/** Seconds between keep-alive comments on a live stream (proxies drop quiet connections). */
const KEEPALIVE_MS = 15_000;

/** `/v1/leaderboard` (the register prefix): the boards, a page of one, a member's place and neighbours, live changes. */
export async function boardRoutes(app: ServiceApp, opts: BoardRoutesOptions): Promise<void> {
  const { store, live, cache } = opts;
  const now = opts.now ?? Date.now;
  const reader = new BoardReader(store.redis);

  app.addHook('preValidation', async (request) => {
    // The schema check would drop unknown parameters silently (Fastify's default): a typo such as `limt` is said instead.
    const known = Object.keys((request.routeOptions.schema?.querystring as { properties?: object } | undefined)?.properties ?? {});
    for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
      if (Array.isArray(value)) throw new BoardApiError('BAD_REQUEST', `${name} is given ${value.length} times; give it once`);
      if (!known.includes(name)) throw new BoardApiError('BAD_REQUEST', `unknown parameter ${JSON.stringify(name.slice(0, 40))}; this route takes ${known.join(', ') || 'none'}`);
    }
  });
  app.setSchemaErrorFormatter(queryRuleFormatter(QUERY_RULES));
  // Redis down: a clear 503 with Retry-After, at once (the client fails fast while disconnected), never a hang.
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof BoardApiError || (err as { validation?: unknown }).validation) throw err;
    request.log.warn({ err }, 'leaderboard read failed: Redis');
    return reply.code(503).header('retry-after', String(REDIS_RETRY_AFTER_SECONDS)).send({ code: 'REDIS_UNAVAILABLE', message: REDIS_UNAVAILABLE_MESSAGE });
  });

  /** Studios with a board, read at most once a second (a new studio shows within a second, a lookup costs no trip). */
  let studios = { at: -Infinity, names: new Set<string>() };
  const hasBoard = async (location: string) => {
    if (performance.now() - studios.at > 1_000 || !studios.names.has(location)) studios = { at: performance.now(), names: new Set(await reader.locations()) };
    return studios.names.has(location);
  };

  /** The board a query names; a studio without a board and a period no longer kept are refused in words. */
  async function boardOf(q: { location?: string; period: Period; key?: string }): Promise<BoardRef> {
    if (q.location !== undefined && !(await hasBoard(q.location))) {
      const known = await reader.locations();
      throw new BoardApiError('UNKNOWN_LOCATION', `no studio ${JSON.stringify(q.location)} has a board${known.length ? `; studios: ${known.join(', ')}` : ' (no check-in has been counted yet)'}`);
    }
    let span: PeriodSpan;
    if (q.key === undefined) span = store.calendar.span(q.period, now());
    else {
      const parsed = store.calendar.parse(q.period, q.key);
      if (!parsed) throw new BoardApiError('BAD_PERIOD_KEY', `${JSON.stringify(q.key)} is not a ${q.period} key: use ${q.period === 'week' ? 'YYYY-Www, e.g. 2026-W49' : q.period === 'month' ? 'YYYY-MM, e.g. 2026-12' : 'all'}`);
      span = parsed;
      if ((span.start ?? 0) > now()) throw new BoardApiError('BOARD_GONE', `${q.key} has not begun yet`);
      if (span.end !== undefined && store.expiresAt(span) * 1000 <= now()) {
        throw new BoardApiError('BOARD_GONE', `the ${q.period} ${q.key} ended more than ${store.graceMs / 86_400_000} days ago and its board is no longer kept; the lake still has every check-in`);
      }
    }
    return { ...(q.location === undefined ? {} : { location: q.location }), span };
  }

  const describe = (ref: BoardRef, members: number): BoardAnswer => ({
    location: ref.location ?? null, period: ref.span.period, key: ref.span.key, from: iso(ref.span.start), to: iso(ref.span.end),
    expiresAt: ref.span.end === undefined ? null : iso(store.expiresAt(ref.span) * 1000), members,
  });

  app.get('/boards', {
    schema: {
      summary: 'Every board: global and per studio × this week, this month, all time',
      description: 'With the number of members on each, the time zone the periods follow and when the boards were last rebuilt from the lake.',
      tags: ['leaderboard'], response: { 200: boardsAnswer, ...refusals(503) },
    },
  }, async () => {
    const locations = await reader.locations();
    const refs: BoardRef[] = [undefined, ...locations].flatMap((location) => PERIODS.map((p) => ({ ...(location === undefined ? {} : { location }), span: store.calendar.span(p, now()) })));
    const [sizes, built] = await Promise.all([reader.sizes(refs), store.redis.get(KEYS.built)]);
    return {
      timeZone: store.calendar.timeZone, graceDays: store.graceMs / 86_400_000,
      rebuiltAt: built ? (JSON.parse(built) as { builtAt: string }).builtAt : null,
      boards: refs.map((r, i) => describe(r, sizes[i] ?? 0)),
    };
  });

  app.get<{ Querystring: TopQuery }>('/top', {
    schema: { summary: 'A page of a board, best first', tags: ['leaderboard'], querystring: topQuery, response: { 200: topAnswer, ...refusals(400, 404, 503) } },
  }, async (request, reply) => {
    const ref = await boardOf(request.query);
    const { offset, limit } = request.query;
    return json(reply, await cache.get(boardName(ref), `top:${offset}:${limit}`, async () => {
      const page = await reader.top(ref, offset, limit);
      return JSON.stringify({ board: describe(ref, page.members), offset, limit, entries: page.entries });
    }));
  });

  app.get<{ Params: { memberId: string }; Querystring: StandingQuery }>('/members/:memberId', {
    schema: {
      summary: 'A member\'s rank, classes and percentile on a board', tags: ['leaderboard'], params: memberParams, querystring: standingQuery,
      response: { 200: standingAnswer, ...refusals(400, 404, 503) },
    },
  }, async (request, reply) => {
    const ref = await boardOf(request.query);
    const body = await cache.get(boardName(ref), `member:${request.params.memberId}`, async () => {
      const standing = await reader.standing(ref, request.params.memberId);
      return standing && JSON.stringify({ board: describe(ref, standing.members), standing });
    });
    if (!body) throw new BoardApiError('NOT_ON_BOARD', `${request.params.memberId} has no class on ${boardName(ref)} yet`);
    return json(reply, body);
  });

  app.get<{ Params: { memberId: string }; Querystring: AroundQuery }>('/members/:memberId/around', {
    schema: {
      summary: 'A member and their neighbours on a board', tags: ['leaderboard'], params: memberParams, querystring: aroundQuery,
      response: { 200: aroundAnswer, ...refusals(400, 404, 503) },
    },
  }, async (request, reply) => {
    const ref = await boardOf(request.query);
    const body = await cache.get(boardName(ref), `around:${request.params.memberId}:${request.query.size}`, async () => {
      const found = await reader.around(ref, request.params.memberId, request.query.size);
      return found && JSON.stringify({ board: describe(ref, found.standing.members), standing: found.standing, entries: found.entries });
    });
    if (!body) throw new BoardApiError('NOT_ON_BOARD', `${request.params.memberId} has no class on ${boardName(ref)} yet`);
    return json(reply, body);
  });

  app.get<{ Querystring: StandingQuery }>('/live', {
    schema: {
      summary: 'Live rank changes on a board (Server-Sent Events)',
      description: 'An `event: rank` per change on the board (`{member, classes, rank, previousRank}`), `event: reset` when the boards were rebuilt (reload them), a keep-alive comment every 15 s.',
      tags: ['leaderboard'], querystring: standingQuery, produces: ['text/event-stream'],
    },
  }, async (request, reply) => {
    const ref = await boardOf(request.query);
    const name = boardName(ref);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.write('retry: 3000\n\n');
    send('ready', { board: name });
    const onMessage = (m: LiveMessage) => {
      if ('reset' in m) send('reset', {});
      else if (m.board === name) send('rank', { member: m.member, classes: m.classes, rank: m.rank, previousRank: m.previousRank });
    };
    let remove: (() => Promise<void>) | undefined;
    const keepalive = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
    const done = () => {
      clearInterval(keepalive);
      void remove?.();
    };
    request.raw.once('close', done);
    try {
      remove = await live.add(onMessage);
      if (request.raw.destroyed) done(); // the client left while we subscribed
    } catch (err) {
      request.log.warn({ err }, 'live stream could not subscribe');
      clearInterval(keepalive);
      send('error', { code: 'REDIS_UNAVAILABLE', message: REDIS_UNAVAILABLE_MESSAGE });
      res.end();
    }
  });
}
