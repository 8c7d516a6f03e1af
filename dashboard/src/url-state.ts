/**
 * What the dashboard shows, kept in the URL so that a link reproduces the view. Hash routing, so that any
 * static file server (the leaderboard service) serves every view from one index.html:
 *
 *   #/                                           Status
 *   #/churn?location=downtown&band=high&page=2   Churn risk, filtered
 *
 * Pure: parse ↔ format, and the rule that a new filter starts again at page 1.
 */
import { BANDS, type Band } from './api.js';

export type View = 'status' | 'churn' | 'not-found';

export type RouteState = {
  view: View;
  /** A location id, or null for all studios. */
  location: string | null;
  /** The at-risk table's band filter, or null for every band. */
  band: Band | null;
  /** The at-risk table's page, from 1. */
  page: number;
};

export const DEFAULT_STATE: RouteState = { view: 'status', location: null, band: null, page: 1 };

const PATHS: Record<string, View> = { '': 'status', status: 'status', churn: 'churn' };
const MAX_PAGE = 100_000;

function cleanLocation(raw: string | null): string | null {
  const s = raw?.trim() ?? '';
  return s && s.length <= 100 ? s : null;
}

function cleanBand(raw: string | null): Band | null {
  return BANDS.find((b) => b === raw) ?? null;
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
  if (view !== 'churn') return { ...DEFAULT_STATE, view };
  return { view, location: cleanLocation(params.get('location')), band: cleanBand(params.get('band')), page: cleanPage(params.get('page')) };
}

/** State → `#/…`, defaults left out, parameters always in the same order (one view, one URL). */
export function toHash(state: RouteState): string {
  if (state.view === 'status' || state.view === 'not-found') return '#/';
  const params = new URLSearchParams();
  if (state.location) params.set('location', state.location);
  if (state.band) params.set('band', state.band);
  if (state.page > 1) params.set('page', String(state.page));
  const q = params.toString();
  return `#/${state.view}${q ? `?${q}` : ''}`;
}

/** A new filter value; a change of location or band goes back to the first page. */
export function withFilter(state: RouteState, patch: Partial<Pick<RouteState, 'location' | 'band' | 'page'>>): RouteState {
  const next = { ...state, ...patch };
  const filterChanged = ('location' in patch && patch.location !== state.location) || ('band' in patch && patch.band !== state.band);
  if (filterChanged && !('page' in patch)) next.page = 1;
  return next;
}

/** The first row's offset of a page (pages from 1). */
export const pageOffset = (page: number, pageSize: number): number => (Math.max(1, page) - 1) * pageSize;

/** How many pages `total` rows fill (at least 1, so "page 1 of 1" for an empty table). */
export const pageCount = (total: number, pageSize: number): number => Math.max(1, Math.ceil(total / pageSize));
