/**
 * What the dashboard shows, kept in the URL so that a link reproduces the view. Hash routing, so that any
 * static file server (the leaderboard service) serves every view from one index.html:
 *
 *   #/                                                          Status
 *   #/churn?location=downtown&band=high&page=2                  Churn risk, filtered
 *   #/leaderboard?location=downtown&period=month&key=2026-11&page=2   a leaderboard (key: a past period)
 *
 * Pure: parse ↔ format, and the rule that a new filter starts again at page 1.
 */
import { BANDS, type Band } from './api.js';

export type View = 'status' | 'churn' | 'leaderboard' | 'not-found';

export const PERIODS = ['week', 'month', 'all'] as const;
export type Period = (typeof PERIODS)[number];

export type RouteState = {
  view: View;
  /** A location id, or null for all studios. */
  location: string | null;
  /** The at-risk table's band filter, or null for every band (churn). */
  band: Band | null;
  /** The leaderboard's period (leaderboard). */
  period: Period;
  /** A past period of the leaderboard ("2026-W49", "2026-11"), or null for the current one (leaderboard). */
  key: string | null;
  /** The table's page, from 1. */
  page: number;
};

export const DEFAULT_STATE: RouteState = { view: 'status', location: null, band: null, period: 'week', key: null, page: 1 };

const PATHS: Record<string, View> = { '': 'status', status: 'status', churn: 'churn', leaderboard: 'leaderboard' };
const MAX_PAGE = 100_000;
/** The forms of a period key: ISO week (W01–W53) and month (01–12); all time has none. */
const KEY_FORMS: Record<Period, RegExp | null> = { week: /^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/, month: /^\d{4}-(0[1-9]|1[0-2])$/, all: null };

function cleanLocation(raw: string | null): string | null {
  const s = raw?.trim() ?? '';
  return s && s.length <= 100 ? s : null;
}

function cleanBand(raw: string | null): Band | null {
  return BANDS.find((b) => b === raw) ?? null;
}

function cleanPeriod(raw: string | null): Period {
  return PERIODS.find((p) => p === raw) ?? 'week';
}

/** A key of the period's form, or null (the current period): a week's key with period=month is dropped. */
export function cleanKey(period: Period, raw: string | null): string | null {
  const form = KEY_FORMS[period];
  return form && raw !== null && form.test(raw) ? raw : null;
}

function cleanPage(raw: string | null): number {
  if (raw === null || !/^\d{1,6}$/.test(raw)) return 1;
  const n = Number(raw);
  return n >= 1 && n <= MAX_PAGE ? n : 1;
}

/** `location.hash` → state. Unknown or malformed values fall back to the defaults, never throw. */
export function parseHash(hash: string): RouteState {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!raw.startsWith('/')) return { ...DEFAULT_STATE }; // "", "#main" (a skip link): the start page
  const q = raw.indexOf('?');
  const path = (q === -1 ? raw : raw.slice(0, q)).replace(/^\/+|\/+$/g, '');
  const params = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const view = PATHS[path] ?? 'not-found';
  const common = { ...DEFAULT_STATE, view, location: cleanLocation(params.get('location')), page: cleanPage(params.get('page')) };
  if (view === 'churn') return { ...common, band: cleanBand(params.get('band')) };
  if (view === 'leaderboard') {
    const period = cleanPeriod(params.get('period'));
    return { ...common, period, key: cleanKey(period, params.get('key')) };
  }
  return { ...DEFAULT_STATE, view };
}

/** State → `#/…`, defaults left out, parameters always in the same order (one view, one URL). */
export function toHash(state: RouteState): string {
  if (state.view === 'status' || state.view === 'not-found') return '#/';
  const params = new URLSearchParams();
  if (state.location) params.set('location', state.location);
  if (state.view === 'churn' && state.band) params.set('band', state.band);
  if (state.view === 'leaderboard') {
    if (state.period !== 'week') params.set('period', state.period);
    const key = cleanKey(state.period, state.key);
    if (key) params.set('key', key);
  }
  if (state.page > 1) params.set('page', String(state.page));
  const q = params.toString();
  return `#/${state.view}${q ? `?${q}` : ''}`;
}

export type Filters = Partial<Pick<RouteState, 'location' | 'band' | 'period' | 'key' | 'page'>>;

/**
 * A new filter value; a change of location, band, period or key goes back to the first page, and a change of
 * period back to its current period (a week's key means nothing to a month).
 */
export function withFilter(state: RouteState, patch: Filters): RouteState {
  const next = { ...state, ...patch };
  const changed = (k: 'location' | 'band' | 'period' | 'key') => k in patch && patch[k] !== state[k];
  if (changed('period') && !('key' in patch)) next.key = null;
  if ((changed('location') || changed('band') || changed('period') || changed('key')) && !('page' in patch)) next.page = 1;
  return next;
}

/** The first row's offset of a page (pages from 1). */
export const pageOffset = (page: number, pageSize: number): number => (Math.max(1, page) - 1) * pageSize;

/** How many pages `total` rows fill (at least 1, so "page 1 of 1" for an empty table). */
export const pageCount = (total: number, pageSize: number): number => Math.max(1, Math.ceil(total / pageSize));
