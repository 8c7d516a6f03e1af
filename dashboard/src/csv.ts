/**
 * CSV for the at-risk download: RFC 4180 (comma, CRLF, fields quoted when they hold a comma, a quote, a line
 * break or edge spaces, quotes doubled), and safe to open in a spreadsheet: a text cell that starts like a
 * formula (=, +, -, @, tab, carriage return) gets a leading apostrophe, so `=cmd()` in a member's name is shown
 * as text, never run (OWASP "CSV injection"). Numbers are written as numbers.
 */
import type { AtRiskMember, BoardEntry } from './api.js';

export type Cell = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** Text that a spreadsheet would read as a formula, made inert. */
export function defuse(text: string): string {
  return FORMULA_START.test(text) || FORMULA_START.test(text.trimStart()) ? `'${text}` : text;
}

/** One field: numbers as they are (non-finite → empty), text defused and quoted when needed. */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = defuse(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header line and one line per row, each ended by CRLF. */
export function buildCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((r) => `${r.map(csvCell).join(',')}\r\n`).join('');
}

export const MEMBER_CSV_HEADER = [
  'member_id', 'first_name', 'last_name', 'studio', 'plan', 'risk_score', 'risk_percent', 'band', 'factor_1', 'factor_2', 'factor_3',
] as const;

/** The at-risk rows as CSV: score with 4 decimals and as a percentage with 1, up to three factors. */
export function membersCsv(members: readonly AtRiskMember[]): string {
  return buildCsv(
    MEMBER_CSV_HEADER,
    members.map((m) => [
      m.memberId, m.firstName, m.lastName, m.homeLocationId, m.plan,
      Number(m.score.toFixed(4)), Number((m.score * 100).toFixed(1)), m.band,
      m.factors[0], m.factors[1], m.factors[2],
    ]),
  );
}

/** A part of a file name with only safe characters. */
const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';

/** `churn-risk_<studio|all-studios>_<band|all-bands>_<as of>.csv`, with only safe characters. */
export function csvFileName(filter: { location?: string | null; band?: string | null }, asOf: string): string {
  return `churn-risk_${safe(filter.location ?? 'all-studios')}_${safe(filter.band ?? 'all-bands')}_${safe(asOf || 'undated')}.csv`;
}

export const LEADERBOARD_CSV_HEADER = ['rank', 'member_id', 'name', 'classes', 'reached_at'] as const;

/** A leaderboard as CSV, best first: rank, member, their name, classes and when they reached them (ISO, UTC). */
export function leaderboardCsv(entries: readonly BoardEntry[]): string {
  return buildCsv(LEADERBOARD_CSV_HEADER, entries.map((e) => [e.rank, e.memberId, e.name, e.classes, e.reachedAt]));
}

/** `leaderboard_<studio|all-studios>_<period key>.csv`: `leaderboard_downtown_2026-W50.csv`. */
export function leaderboardCsvFileName(board: { location?: string | null; key: string }): string {
  return `leaderboard_${safe(board.location ?? 'all-studios')}_${safe(board.key || 'board')}.csv`;
}

/** A metric answer as CSV: the API's own columns and values, in its order (lists, which no panel downloads, as JSON text). */
export function metricCsv(answer: { columns: readonly { name: string }[]; rows: readonly Record<string, unknown>[] }): string {
  const names = answer.columns.map((c) => c.name);
  const cell = (v: unknown): Cell => (v === null || v === undefined ? null : typeof v === 'number' || typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : JSON.stringify(v));
  return buildCsv(names, answer.rows.map((r) => names.map((n) => cell(r[n]))));
}

/** `<metric>_<studio|all-studios>[_<class filter>]_<from>_<to>.csv`: `at_risk_members_downtown_2026-06-01_2026-06-30.csv`. */
export function metricCsvFileName(answer: { metric: string; range: { from: string; to: string }; filters: { location?: string; classType?: string; instructor?: string } }): string {
  const narrow = answer.filters.classType ?? answer.filters.instructor;
  return [answer.metric, answer.filters.location ?? 'all-studios', narrow, answer.range.from, answer.range.to].filter(Boolean).map((p) => safe(String(p))).join('_') + '.csv';
}
