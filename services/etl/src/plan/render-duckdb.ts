import type { EtlPlan } from './build-plan.js';
import { renderWith, type Dialect, type RenderedPlan, type RenderOptions } from './render-sql.js';

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** DuckDB dialect: standard-SQL string literals (backslashes are literal), RE2 regexes, lists. */
export const duckdbDialect: Dialect = {
  name: 'duckdb',
  str: quote,
  ident: (name) => `"${name.replaceAll('"', '""')}"`,
  // A TIMESTAMP cast ignores a UTC offset in DuckDB; TIMESTAMPTZ applies it, and its epoch is the UTC
  // wall time (the same value as `AT TIME ZONE 'UTC'`, without a time-zone lookup per row: 4× faster).
  tryCast: (arg, to) => (to === 'TIMESTAMP' ? `make_timestamp(epoch_us(TRY_CAST(${arg} AS TIMESTAMPTZ)))` : `TRY_CAST(${arg} AS ${to})`),
  matches: (arg, pattern) => `regexp_matches(${arg}, ${quote(pattern)})`,
  length: (arg) => `length(${arg})`,
  toDate: (arg) => `CAST(${arg} AS DATE)`,
  // list_distinct drops NULLs as well as duplicates; sorting makes the list deterministic.
  codeList: (items) => `list_sort(list_distinct([\n      ${items.join(',\n      ')}]))`,
  semiJoin: 'SEMI JOIN',
  antiJoin: 'ANTI JOIN',
  inlineCte: 'NOT MATERIALIZED ',
};

export function renderDuckdb(plan: EtlPlan, options?: RenderOptions): RenderedPlan {
  return renderWith(duckdbDialect, plan, options);
}
