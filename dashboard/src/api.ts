/**
 * The leaderboard service's API as the dashboard sees it: the response types (the churn API's contract, coded
 * against exactly), and a small fetch wrapper that turns every failure into an {@link ApiError} with a code the
 * pages can act on (NO_SCORES, NO_MODEL, UNREACHABLE, …). Same origin: every path is root-relative, because
 * the leaderboard service serves both the API and these files. No DOM here, so the tests run it under Node.
 */

import type { ChurnMember, ChurnMembersPage, ChurnModelReport, ChurnSummary, Evaluation, EvaluationPair, RegistryEntry, ReliabilityBin } from '@peak/churn';

// The churn API's shapes are the read library's own types (type-only: nothing of @peak/churn reaches the bundle).
export type { ChurnMembersPage, ChurnSummary, Evaluation, EvaluationPair, RegistryEntry, ReliabilityBin };
export type Band = ChurnMember['band'];
export const BANDS: readonly Band[] = ['high', 'medium', 'low'];
export type BandCounts = ChurnSummary['bands'];
export type AtRiskMember = ChurnMember;
/** `GET /v1/churn/model` — the promoted model, its evaluation and the registry's history. */
export type ChurnModelInfo = ChurnModelReport;

/** `GET /ready` (200 or 503, same body). */
export type ReadyResponse = {
  status: string;
  checks: Record<string, 'ok' | 'unreachable' | 'timeout' | 'error' | string>;
  details?: Record<string, string>;
};

// ---- Leaderboards (`/v1/leaderboard`): written by hand after services/leaderboard/src/boards/schemas.ts ----

export type LeaderboardPeriod = 'week' | 'month' | 'all';

/** One leaderboard: a studio's (or every studio's, `location: null`) in one period. */
export type BoardInfo = {
  location: string | null;
  period: LeaderboardPeriod | string;
  /** "2026-W50", "2026-12" or "all". */
  key: string;
  /** Start and end (exclusive) of the period, ISO timestamps; null for all time. */
  from: string | null;
  to: string | null;
  expiresAt: string | null;
  /** Members on the board. */
  members: number;
};
/** `name` is the first name and last initial ("Anna K."), null until the members export is loaded. */
export type BoardEntry = { rank: number; memberId: string; name: string | null; classes: number; reachedAt: string };
export type Standing = BoardEntry & { members: number; percentile: number };
/** `GET /v1/leaderboard/boards`. */
export type BoardsAnswer = { timeZone: string; graceDays: number; rebuiltAt: string | null; boards: BoardInfo[] };
/** `GET /v1/leaderboard/top`. */
export type TopAnswer = { board: BoardInfo; offset: number; limit: number; entries: BoardEntry[] };
/** `GET /v1/leaderboard/members/:id/around`. */
export type AroundAnswer = { board: BoardInfo; standing: Standing; entries: BoardEntry[] };
/** The data of `event: rank` on `GET /v1/leaderboard/live`. */
export type RankEvent = { member: string; classes: number; rank: number; previousRank: number | null };

/** Which board: the studio (null = all), the period, and a past period's key (null = the current one). */
export type BoardQuery = { location?: string | null; period: LeaderboardPeriod; key?: string | null };
export type TopQuery = BoardQuery & { offset: number; limit: number };
/** The most entries `/top` gives at once. */
export const BOARD_PAGE_MAX = 100;

// ---- Metrics (`/v1/metrics`): written by hand after services/leaderboard/src/metrics/schemas.ts ----

/** The date ranges the metrics cache holds: the N days ending on the lake's last day (and the N days before, `previous_…`). */
export const RANGE_NAMES = ['7_days', '30_days', '90_days', '12_months'] as const;
export type RangeName = (typeof RANGE_NAMES)[number];
export type RangePreset = `last_${RangeName}` | `previous_${RangeName}`;
export type RangeDates = { preset: string; from: string; to: string; previous?: string };
export type SqlValue = string | number | boolean | null | unknown[];
export type MetricRow = Record<string, SqlValue>;
/** The filters a metric answer is for (none set: every studio, class type and instructor). */
export type MetricFilters = { location?: string; classType?: string; instructor?: string };
/** `GET /v1/metrics/:metric`. */
export type MetricAnswer = {
  metric: string;
  title: string;
  asOf: string;
  refreshedAt: string;
  range: RangeDates;
  filters: MetricFilters;
  columns: { name: string; type: string }[];
  rows: MetricRow[];
};
/** `GET /v1/metrics`: what the cache holds. */
export type MetricsCatalog = {
  asOf: string;
  refreshedAt: string;
  ranges: RangeDates[];
  filterValues: {
    locations: string[];
    classTypes: string[];
    instructors: string[];
    classTypesByLocation: Record<string, string[]>;
    instructorsByLocation: Record<string, string[]>;
  };
  metrics: { id: string; title: string; ranges: string[]; filterSets: string[] }[];
};
export type MetricQuery = MetricFilters & { range: RangePreset };
/** `GET /v1/metrics/members/:id/history`: one at-risk member's recent history, from the same refresh. */
export type MemberHistory = {
  memberId: string;
  asOf: string;
  refreshedAt: string;
  member: { firstName: string | null; lastName: string | null; homeLocationId: string | null; plan: string | null; status: string | null; joinDate: string | null };
  atRisk: { lastVisit: string | null; daysSinceLastVisit: number | null; usualVisitsPerWeek: number | null; usualWeekday: number | null; usualHour: number | null };
  weeks: { weekStart: string; visits: number }[];
  recentVisits: { localDate: string; localTime: string | null; locationId: string | null; classType: string | null; className: string | null; instructorName: string | null }[];
  bookings90d: Record<string, number>;
};

const boardParams = (q: BoardQuery) => ({ location: q.location, period: q.period, key: q.key });

/** The live stream's URL of a board (for an EventSource). */
export const liveUrl = (q: BoardQuery): string => withQuery('/v1/leaderboard/live', boardParams(q));

/**
 * Why a request failed. `code` is the API's own (`NO_SCORES`, `NO_MODEL`, `UNKNOWN_LOCATION`, …) when it sent
 * one, else ours: `UNREACHABLE` (no answer at all), `HTTP_<status>` (an answer without a code), `BAD_RESPONSE`
 * (not the JSON the contract promises), `ABORTED`.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;
export type RequestOptions = { signal?: AbortSignal; fetch?: Fetch };

/** `path?k=v&…`, leaving out parameters that are undefined, null or empty, in the order given. */
export function withQuery(path: string, params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * GET a JSON document. A non-2xx answer becomes an ApiError carrying the body's `code`/`message` when it has
 * them; `accept` lists statuses whose body is still returned (`/ready` answers 503 with the same shape).
 */
export async function getJson<T>(path: string, { signal, fetch: f = globalThis.fetch }: RequestOptions = {}, accept: number[] = []): Promise<T> {
  let res: Response;
  try {
    res = await f(path, { headers: { accept: 'application/json' }, signal });
  } catch (err) {
    if (signal?.aborted) throw new ApiError('ABORTED', 'request cancelled');
    throw new ApiError('UNREACHABLE', `the leaderboard service does not answer (${(err as Error).message})`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    if (signal?.aborted) throw new ApiError('ABORTED', 'request cancelled');
    throw new ApiError(res.ok ? 'BAD_RESPONSE' : `HTTP_${res.status}`, `${path} answered ${res.status} without JSON`, res.status);
  }
  if (res.ok || accept.includes(res.status)) {
    if (!isObject(body)) throw new ApiError('BAD_RESPONSE', `${path} answered something other than a JSON object`, res.status);
    return body as T;
  }
  const code = isObject(body) && typeof body.code === 'string' ? body.code : `HTTP_${res.status}`;
  const message = isObject(body) && typeof body.message === 'string' ? body.message : `${path} answered ${res.status}`;
  throw new ApiError(code, message, res.status);
}

/** Checks the few fields a page relies on, so a wrong answer says so instead of breaking the page. */
function expectFields<T>(path: string, body: T, fields: Record<string, 'string' | 'number' | 'object' | 'array'>): T {
  const o = body as Record<string, unknown>;
  for (const [k, kind] of Object.entries(fields)) {
    const v = o[k];
    const ok = kind === 'array' ? Array.isArray(v) : kind === 'object' ? isObject(v) : typeof v === kind;
    if (!ok) throw new ApiError('BAD_RESPONSE', `${path}: "${k}" is missing or not a${kind === 'array' || kind === 'object' ? 'n' : ''} ${kind}`);
  }
  return body;
}

export const PAGE_LIMIT_MAX = 200;

export type MembersQuery = { location?: string | null; band?: Band | null; limit: number; offset: number };

export const api = {
  ready: (o?: RequestOptions) => getJson<ReadyResponse>('/ready', o, [503]).then((b) => expectFields('/ready', b, { checks: 'object' })),

  churnSummary: (location: string | null | undefined, o?: RequestOptions) => {
    const path = withQuery('/v1/churn/summary', { location });
    return getJson<ChurnSummary>(path, o).then((b) =>
      expectFields(path, b, { asOf: 'string', members: 'number', bands: 'object', locations: 'array', distribution: 'array' }),
    );
  },

  churnMembers: (q: MembersQuery, o?: RequestOptions) => {
    const path = withQuery('/v1/churn/members', { location: q.location, band: q.band, limit: q.limit, offset: q.offset });
    return getJson<ChurnMembersPage>(path, o).then((b) => expectFields(path, b, { asOf: 'string', total: 'number', members: 'array' }));
  },

  churnModel: (o?: RequestOptions) =>
    getJson<ChurnModelInfo>('/v1/churn/model', o).then((b) =>
      expectFields('/v1/churn/model', b, { version: 'string', bands: 'object', evaluation: 'object', trainingWindow: 'object' }),
    ),

  metricsCatalog: (o?: RequestOptions) =>
    getJson<MetricsCatalog>('/v1/metrics', o).then((b) => expectFields('/v1/metrics', b, { asOf: 'string', filterValues: 'object', metrics: 'array' })),

  metric: (id: string, q: MetricQuery, o?: RequestOptions) => {
    const path = withQuery(`/v1/metrics/${encodeURIComponent(id)}`, { range: q.range, location: q.location, classType: q.classType, instructor: q.instructor });
    return getJson<MetricAnswer>(path, o).then((b) => expectFields(path, b, { asOf: 'string', range: 'object', rows: 'array' }));
  },

  memberHistory: (memberId: string, o?: RequestOptions) => {
    const path = `/v1/metrics/members/${encodeURIComponent(memberId)}/history`;
    return getJson<MemberHistory>(path, o).then((b) => expectFields(path, b, { memberId: 'string', member: 'object', weeks: 'array', recentVisits: 'array' }));
  },

  boards: (o?: RequestOptions) =>
    getJson<BoardsAnswer>('/v1/leaderboard/boards', o).then((b) => expectFields('/v1/leaderboard/boards', b, { timeZone: 'string', boards: 'array' })),

  top: (q: TopQuery, o?: RequestOptions) => {
    const path = withQuery('/v1/leaderboard/top', { ...boardParams(q), offset: q.offset, limit: q.limit });
    return getJson<TopAnswer>(path, o).then((b) => expectFields(path, b, { board: 'object', entries: 'array' }));
  },

  around: (memberId: string, q: BoardQuery & { size?: number }, o?: RequestOptions) => {
    const path = withQuery(`/v1/leaderboard/members/${encodeURIComponent(memberId)}/around`, { ...boardParams(q), size: q.size });
    return getJson<AroundAnswer>(path, o).then((b) => expectFields(path, b, { board: 'object', standing: 'object', entries: 'array' }));
  },
};

export type AllMembers = { asOf: string; total: number; members: AtRiskMember[]; capped: boolean };

/** The most rows a CSV download fetches (50 requests of 200 members, 100 of 100 leaderboard entries). */
export const CSV_ROW_CAP = 10_000;

/** One page as {@link fetchAllPages} needs it: `version` must stay the same from page to page. */
export type Paged<T> = { version: string; total: number; items: T[] };
export type AllPages<T> = { version: string; total: number; items: T[]; capped: boolean };
export type FetchAllOptions = { cap?: number; pageSize?: number; onProgress?: (fetched: number, total: number) => void };

/**
 * Every row of a paged list, page after page (`pageSize` ≤ `maxPage`), stopping at `cap` rows or at an empty
 * page. Refuses to mix two versions of the data: when `version` changes between pages it throws `changed()`.
 */
export async function fetchAllPages<T>(
  fetchPage: (offset: number, limit: number) => Promise<Paged<T>>,
  maxPage: number,
  changed: (was: string, now: string) => ApiError,
  { cap = CSV_ROW_CAP, pageSize = maxPage, onProgress }: FetchAllOptions = {},
): Promise<AllPages<T>> {
  const items: T[] = [];
  let version: string | undefined;
  let total = 0;
  for (;;) {
    const limit = Math.min(pageSize, maxPage, cap - items.length);
    const page = await fetchPage(items.length, limit);
    if (version !== undefined && page.version !== version) throw changed(version, page.version);
    version = page.version;
    total = page.total;
    items.push(...page.items.slice(0, limit));
    onProgress?.(items.length, Math.min(total, cap));
    if (page.items.length === 0 || items.length >= total || items.length >= cap) break;
  }
  return { version: version ?? '', total, items, capped: total > items.length && items.length >= cap };
}

/**
 * Every member of a filter, page after page (`pageSize` ≤ 200), stopping at `cap` rows. Refuses to mix two
 * scoring runs: when `asOf` changes between pages (the daily job ran meanwhile) it throws SCORES_CHANGED.
 */
export async function fetchAllMembers(
  filter: { location?: string | null; band?: Band | null },
  fetchPage: (q: MembersQuery) => Promise<ChurnMembersPage>,
  options: FetchAllOptions = {},
): Promise<AllMembers> {
  const all = await fetchAllPages(
    async (offset, limit) => {
      const page = await fetchPage({ location: filter.location, band: filter.band, limit, offset });
      return { version: page.asOf, total: page.total, items: page.members };
    },
    PAGE_LIMIT_MAX,
    (was, now) => new ApiError('SCORES_CHANGED', `the scores changed while downloading (${was} → ${now}): download again`),
    options,
  );
  return { asOf: all.version, total: all.total, members: all.items, capped: all.capped };
}

/**
 * A whole leaderboard, best first, in pages of 100 (the API's most), up to `cap` entries. The board's period must
 * stay the same (a download across midnight on Sunday would mix two weeks: BOARD_CHANGED).
 */
export async function fetchWholeBoard(
  board: BoardQuery,
  fetchPage: (q: TopQuery) => Promise<TopAnswer>,
  options: FetchAllOptions = {},
): Promise<{ board: BoardInfo | null; entries: BoardEntry[]; total: number; capped: boolean }> {
  let info: BoardInfo | null = null;
  const all = await fetchAllPages(
    async (offset, limit) => {
      const page = await fetchPage({ ...board, offset, limit });
      info ??= page.board;
      return { version: page.board.key, total: page.board.members, items: page.entries };
    },
    BOARD_PAGE_MAX,
    (was, now) => new ApiError('BOARD_CHANGED', `the period changed while downloading (${was} → ${now}): download again`),
    options,
  );
  return { board: info, entries: all.items, total: all.total, capped: all.capped };
}

/** An error as one sentence for the page: "The leaderboard service does not answer (Failed to fetch)." */
export function errorText(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const text = raw.trim() || 'something went wrong';
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
