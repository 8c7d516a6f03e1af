import type { SqlType } from '@peak/contracts';
import type { EtlPlan } from './build-plan.js';
import { renderWith, type Dialect, type RenderedPlan, type RenderOptions } from './render-sql.js';

/**
 * Spark SQL (3.3+, Glue 4) dialect. NOT executed in this repo (no Spark here): its text is only
 * golden-tested. Assumes `spark.sql.session.timeZone=UTC` so TIMESTAMP casts and to_date are UTC.
 */
// Spark string literals treat backslash as an escape, so regexes need their backslashes doubled.
const quote = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const SPARK_TYPES: Record<SqlType | 'DECIMAL(38,10)', string> = {
  VARCHAR: 'STRING', BIGINT: 'BIGINT', INTEGER: 'INT', DOUBLE: 'DOUBLE', 'DECIMAL(12,2)': 'DECIMAL(12,2)',
  'DECIMAL(38,10)': 'DECIMAL(38,10)', BOOLEAN: 'BOOLEAN', DATE: 'DATE', TIMESTAMP: 'TIMESTAMP',
};

export const sparkDialect: Dialect = {
  name: 'spark',
  str: quote,
  ident: (name) => `\`${name.replaceAll('`', '``')}\``,
  tryCast: (arg, to) => `try_cast(${arg} AS ${SPARK_TYPES[to]})`,
  matches: (arg, pattern) => `(${arg} RLIKE ${quote(pattern)})`, // RLIKE is an unanchored search, like regexp_matches
  length: (arg) => `char_length(${arg})`,
  toDate: (arg) => `to_date(${arg})`,
  codeList: (items) => `array_sort(array_distinct(filter(array(\n      ${items.join(',\n      ')}), x -> x IS NOT NULL)))`,
  semiJoin: 'LEFT SEMI JOIN',
  antiJoin: 'LEFT ANTI JOIN',
  inlineCte: '', // Spark SQL has no such keyword (and plans a renaming CTE as a projection)
};

export function renderSpark(plan: EtlPlan, options?: RenderOptions): RenderedPlan {
  return renderWith(sparkDialect, plan, options);
}
