/**
 * What the dashboard shows, kept in the URL so that a link reproduces the view. Hash routing, so that any
 * static file server (the leaderboard service) serves every view from one index.html:
 *
 *   #/                                                          Overview (KPIs, retention, classes, at-risk members)
 *   #/?location=downtown&range=90_days&classType=spin&member=M0042   Overview, filtered, one member's history open
 *   #/status                                                    Status
 *   #/churn?location=downtown&band=high&page=2                  Churn risk, filtered
 *   #/leaderboard?location=downtown&period=month&key=2026-11&page=2   a leaderboard (key: a past period)
 *
 * Pure: parse ↔ format, and the rule that a new filter starts again at page 1.
 */
import { BANDS, RANGE_NAMES, type Band, type RangeName } from './api.js';

export type View = 'overview' | 'status' | 'churn' | 'leaderboard' | 'not-found';

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
  /** The overview's date range: the N days ending on the lake's last day. */
  range: RangeName;
  /** The overview's class filters: a class type or an instructor (the metrics cache holds one or the other). */
  classType: string | null;
  instructor: string | null;
  /** The member whose history is open (overview). */
  member: string | null;
};

export const DEFAULT_STATE: RouteState = { view: 'overview', location: null, band: null, period: 'week', key: null, page: 1, range: '30_days', classType: null, instructor: null, member: null };

const PATHS: Record<string, View> = { '': 'overview', overview: 'overview', status: 'status', churn: 'churn', leaderboard: 'leaderboard' };
const MAX_PAGE = 100_000;
/** The forms of a period key: ISO week (W01–W53) and month (01–12); all time has none. */
const KEY_FORMS: Record<Period, RegExp | null> = { week: /^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/, month: /^\d{4}-(0[1-9]|1[0-2])$/, all: null };

/** An identifier from the URL (location, class type, instructor, member), or null when absent or not one. */
function cleanId(raw: string | null): string | null {
  const s = raw?.trim() ?? '';
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(s) ? s : null;
}

function cleanLocation(raw: string | null): string | null {
  const s = raw?.trim() ?? '';
  return s && s.length <= 100 ? s : null;
}

function cleanRange(raw: string | null): RangeName {
  return RANGE_NAMES.find((r) => r === raw) ?? '30_days';
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
  if (view === 'overview') {
    const classType = cleanId(params.get('classType'));
    // Both in a hand-made URL: the class type wins (the cache holds one class filter at a time).
    const instructor = classType ? null : cleanId(params.get('instructor'));
    return { ...common, range: cleanRange(params.get('range')), classType, instructor, member: cleanId(params.get('member')) };
  }
  if (view === 'leaderboard') {
    const period = cleanPeriod(params.get('period'));
    return { ...common, period, key: cleanKey(period, params.get('key')) };
  }
  return { ...DEFAULT_STATE, view };
}

/** State → `#/…`, defaults left out, parameters always in the same order (one view, one URL). */
export function toHash(state: RouteState): string {
  if (state.view === 'status') return '#/status';
  if (state.view === 'not-found') return '#/';
  const params = new URLSearchParams();
  if (state.location) params.set('location', state.location);
  if (state.view === 'churn' && state.band) params.set('band', state.band);
  if (state.view === 'overview') {
    if (state.range !== DEFAULT_STATE.range) params.set('range', state.range);
    if (state.classType) params.set('classType', state.classType);
    else if (state.instructor) params.set('instructor', state.instructor);
  }
  if (state.view === 'leaderboard') {
    if (state.period !== 'week') params.set('period', state.period);
    const key = cleanKey(state.period, state.key);
    if (key) params.set('key', key);
  }
  if (state.page > 1) params.set('page', String(state.page));
  if (state.view === 'overview' && state.member) params.set('member', state.member);
  const q = params.toString();
  return `#/${state.view === 'overview' ? '' : state.view}${q ? `?${q}` : ''}`;
}

export type Filters = Partial<Pick<RouteState, 'location' | 'band' | 'period' | 'key' | 'page' | 'range' | 'classType' | 'instructor' | 'member'>>;

/**
 * A new filter value; a change of location, band, period, key, range or class filter goes back to the first page,
 * a change of period back to its current period (a week's key means nothing to a month), and choosing a class
 * type clears the instructor and the other way round (the metrics cache holds one class filter at a time).
 */
export function withFilter(state: RouteState, patch: Filters): RouteState {
  const next = { ...state, ...patch };
  const changed = (k: 'location' | 'band' | 'period' | 'key' | 'range' | 'classType' | 'instructor') => k in patch && patch[k] !== state[k];
  if (changed('period') && !('key' in patch)) next.key = null;
  if (changed('classType') && next.classType) next.instructor = null;
  if (changed('instructor') && next.instructor) next.classType = null;
  const filtered = (['location', 'band', 'period', 'key', 'range', 'classType', 'instructor'] as const).some(changed);
  if (filtered && !('page' in patch)) next.page = 1;
  return next;
}

/** The first row's offset of a page (pages from 1). */
export const pageOffset = (page: number, pageSize: number): number => (Math.max(1, page) - 1) * pageSize;

/** How many pages `total` rows fill (at least 1, so "page 1 of 1" for an empty table). */
export const pageCount = (total: number, pageSize: number): number => Math.max(1, Math.ceil(total / pageSize));
