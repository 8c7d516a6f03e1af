import type { SqlType } from '@peak/contracts';
import type { EtlPlan, Expr } from './build-plan.js';

/**
 * Shared shape of the validation query; each engine supplies only its dialect (literals, casts,
 * regex, list functions). Keeping one query skeleton is what makes "one plan, two executors" true.
 */
export type Dialect = {
  name: 'duckdb' | 'spark';
  str(value: string): string;
  ident(name: string): string;
  tryCast(arg: string, to: SqlType | 'DECIMAL(38,10)'): string;
  matches(arg: string, pattern: string): string;
  length(arg: string): string;
  toDate(arg: string): string;
  /** A list of nullable code strings → a sorted list of the distinct non-NULL ones. */
  codeList(items: string[]): string;
};

export type RenderOptions = {
  /** Relations (e.g. `known_members`) that exist at run time; FK checks against others are left out. */
  availableReferences?: readonly string[];
};

export type RenderedPlan = {
  sql: string;
  /** References whose UNKNOWN_REFERENCE checks are in the SQL. */
  referencesChecked: string[];
};

export function renderWith(d: Dialect, plan: EtlPlan, options: RenderOptions = {}): RenderedPlan {
  const available = new Set(options.availableReferences ?? plan.references.map((r) => r.relation));
  const refs = plan.references.filter((r) => available.has(r.relation));
  const joinAlias = new Map(refs.map((r, i) => [`${r.relation}|${r.column}`, `ref_${i}`]));
  const id = d.ident;
  const rawName = (c: string) => id(`raw_${c}`);

  const expr = (e: Expr): string => {
    switch (e.op) {
      case 'raw': return rawName(e.column);
      case 'typed': return id(e.column);
      case 'num': return String(e.value);
      case 'str': return d.str(e.value);
      // Only source text can be empty; a typed value is missing when it is NULL.
      case 'missing': return e.arg.op === 'raw' ? `(${expr(e.arg)} IS NULL OR ${expr(e.arg)} = '')` : `(${expr(e.arg)} IS NULL)`;
      case 'not': return `(NOT ${expr(e.arg)})`;
      case 'and': return `(${e.args.map(expr).join(' AND ')})`;
      case 'or': return `(${e.args.map(expr).join(' OR ')})`;
      case 'cmp': return `(${expr(e.left)} ${e.cmp} ${expr(e.right)})`;
      case 'matches': return d.matches(expr(e.arg), e.pattern);
      case 'length': return d.length(expr(e.arg));
      case 'inList': return `(${expr(e.arg)} IN (${e.values.map(d.str).join(', ')}))`;
      case 'tryCast': return d.tryCast(expr(e.arg), e.to);
      case 'round': return `round(${expr(e.arg)}, ${e.places})`;
      case 'if': return `CASE WHEN ${expr(e.cond)} THEN ${expr(e.then)} END`;
      case 'toDate': return d.toDate(expr(e.arg));
      case 'known': {
        const column = e.arg.op === 'raw' || e.arg.op === 'typed' ? e.arg.column : '';
        if (!joinAlias.has(`${e.relation}|${column}`)) throw new Error(`known(): no join for ${e.relation} on ${column}`);
        return `(${id(`__known_${column}`)} IS NOT NULL)`; // the typed CTE joined the relation under this name
      }
    }
  };

  const { recordNumber: rec, malformed, rawRecord, relation } = plan.input;
  const checks = plan.checks.filter((c) => c.predicate.op !== 'and' || !containsUnavailableKnown(c.predicate, available));
  const code = (c: string, pred: string) => `CASE WHEN COALESCE(${pred}, FALSE) THEN ${d.str(c)} END`;
  const dupKeyPresent = plan.dedupe.key.map((k) => `${rawName(k)} IS NOT NULL AND ${rawName(k)} <> ''`).join(' AND ');

  const sql = `-- Validation of ${plan.dataset} (plan v${plan.planVersion}, ${d.name}): one row per input record.
WITH src AS (
  SELECT
    CAST(${id(rec)} AS BIGINT) AS ${id('record_number')},
    ${id(malformed)} AS ${id('malformed_detail')},
    ${id(rawRecord)} AS ${id('raw_record')},
${plan.columns.map((c) => `    ${id(c.source)} AS ${rawName(c.name)}`).join(',\n')}
  FROM ${id(relation)}
),
typed AS (
  SELECT
    src.*,
${plan.columns.map((c) => `    ${expr(c.cast)} AS ${id(c.name)}`).join(',\n')}${refs.length > 0 ? ',\n' : ''}${refs
    .map((r) => `    ${joinAlias.get(`${r.relation}|${r.column}`)}.${id('__key')} AS ${id(`__known_${r.column}`)}`)
    .join(',\n')}
  FROM src${refs
    .map((r) => {
      const alias = joinAlias.get(`${r.relation}|${r.column}`) ?? '';
      return `\n  LEFT JOIN (SELECT DISTINCT ${id(r.key)} AS ${id('__key')} FROM ${id(r.relation)}) ${alias} ON ${alias}.${id('__key')} = src.${rawName(r.column)}`;
    })
    .join('')}
),
checked AS (
  SELECT
    typed.*,
    CASE WHEN ${id('malformed_detail')} IS NOT NULL THEN NULL ELSE
      CASE WHEN ${dupKeyPresent} THEN row_number() OVER (PARTITION BY ${plan.dedupe.key.map(rawName).join(', ')}, ${id('malformed_detail')} IS NULL ORDER BY ${id('record_number')}) END
    END AS ${id('__occurrence')}
  FROM typed
)
SELECT
  ${id('record_number')},
  ${id('malformed_detail')},
  ${id('raw_record')},
${plan.columns.map((c) => `  ${rawName(c.name)}`).join(',\n')},
${plan.columns.map((c) => `  ${id(c.name)}`).join(',\n')},
  ${expr(plan.partition.expr)} AS ${id(plan.partition.column)},
  CASE WHEN ${id('malformed_detail')} IS NOT NULL THEN ${d.codeList([d.str(plan.malformedCode)])} ELSE ${d.codeList([
    ...checks.map((c) => code(c.code, expr(c.predicate))),
    `CASE WHEN ${id('__occurrence')} > 1 THEN ${d.str(plan.dedupe.code)} END`,
  ])} END AS ${id('reasons')},
  CASE WHEN ${id('malformed_detail')} IS NOT NULL THEN ${d.codeList([d.str(`${plan.malformedCode}:*`)])} ELSE ${d.codeList([
    ...checks.map((c) => code(`${c.code}:${c.column}:${c.rule}`, expr(c.predicate))),
    `CASE WHEN ${id('__occurrence')} > 1 THEN ${d.str(`${plan.dedupe.code}:${plan.dedupe.key.join('+')}`)} END`,
  ])} END AS ${id('reason_details')}
FROM checked
`;
  return { sql, referencesChecked: refs.map((r) => r.relation) };
}

function containsUnavailableKnown(e: Expr, available: Set<string>): boolean {
  switch (e.op) {
    case 'known': return !available.has(e.relation);
    case 'and': case 'or': return e.args.some((a) => containsUnavailableKnown(a, available));
    case 'not': case 'missing': return containsUnavailableKnown(e.arg, available);
    default: return false;
  }
}
