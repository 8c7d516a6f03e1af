import type { SqlType } from '@peak/contracts';
import type { Check, EtlPlan, Expr } from './build-plan.js';

/**
 * Shared shape of the ETL queries; each engine supplies only its dialect (literals, casts, regex,
 * list functions, join keywords). Keeping one skeleton is what makes "one plan, two executors" true.
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
  /** Keyword(s) of a semi join (rows of the left side that have a match on the right). */
  semiJoin: string;
  /** Keyword(s) of an anti join (rows of the left side with no match on the right). */
  antiJoin: string;
  /** Inserted after `AS` of the `src` CTE: it only renames columns, so it must never be copied (DuckDB materialises a CTE used twice). */
  inlineCte: string;
};

/** Relations the statements create or read besides the plan's input and reference relations. */
export const RELATIONS = {
  /** Records (by record number) that repeat a key kept elsewhere in the batch. */
  laterDuplicates: 'later_duplicates',
  /** Every record that fails, with its reasons: the quarantine before line numbers are attached. */
  rejected: 'rejected_records',
} as const;

export type RenderOptions = {
  /** Relations (e.g. `known_members`, `processed_keys`) that exist at run time; checks against others are left out. */
  availableReferences?: readonly string[];
};

export type RenderedPlan = {
  /** Record numbers of in-batch duplicates; run first, stored as RELATIONS.laterDuplicates. */
  laterDuplicates: string;
  /** Every failing record with `reasons` and `reason_details`; stored as RELATIONS.rejected. */
  rejected: string;
  /** Typed rows plus `dt` of every record not rejected: what the processed zone receives. */
  processed: string;
  /** The `dt` values the batch's well-formed records fall in (which earlier partitions to check keys against). */
  partitions: string;
  /** The three statements as one commented text (golden files, docs). */
  sql: string;
  /** Reference relations whose UNKNOWN_REFERENCE checks are in the SQL. */
  referencesChecked: string[];
  /** Whether the ALREADY_PROCESSED check against earlier batches is in the SQL. */
  processedKeysChecked: boolean;
};

/**
 * Why three statements rather than one: on a clean batch almost every record passes, so the costly
 * parts (reason lists, windows) run only on the few rejected or duplicated records, and the valid
 * rows stream straight from the input into the writer.
 */
export function renderWith(d: Dialect, plan: EtlPlan, options: RenderOptions = {}): RenderedPlan {
  const available = new Set(options.availableReferences ?? [...plan.references.map((r) => r.relation), plan.dedupe.againstProcessed.relation]);
  const refs = plan.references.filter((r) => available.has(r.relation));
  const joinAlias = new Map(refs.map((r, i) => [`${r.relation}|${r.column}`, `ref_${i}`]));
  const id = d.ident;
  const rawName = (c: string) => id(`raw_${c}`);
  const rec = id('record_number');

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

  const { dedupe } = plan;
  const partitionArg = plan.partition.expr.op === 'toDate' ? plan.partition.expr.arg : undefined;
  if (partitionArg?.op !== 'typed') throw new Error(`${plan.dataset}: the partition must be the date of a typed column`);
  const partitionSource = partitionArg.column;
  const checkProcessed = available.has(dedupe.againstProcessed.relation);
  const version = dedupe.versionColumn === null ? undefined : plan.columns.find((c) => c.name === dedupe.versionColumn);
  if (dedupe.versionColumn !== null && version === undefined) throw new Error(`${plan.dataset}: version column ${dedupe.versionColumn} is not a plan column`);

  const { recordNumber, malformed, rawRecord, relation } = plan.input;
  const src = `src AS ${d.inlineCte}(
  SELECT
    ${id(recordNumber)} AS ${rec},
    ${id(malformed)} AS ${id('malformed_detail')},
    ${id(rawRecord)} AS ${id('raw_record')},
${plan.columns.map((c) => `    ${id(c.source)} AS ${rawName(c.name)}`).join(',\n')}
  FROM ${id(relation)}
)`;
  const keyPresent = dedupe.key.map((k) => `${rawName(k)} IS NOT NULL AND ${rawName(k)} <> ''`).join(' AND ');
  const keyList = dedupe.key.map(rawName).join(', ');
  const newestFirst = version ? `${expr(version.cast)} DESC NULLS LAST, ` : '';

  const laterDuplicates = `-- ${RELATIONS.laterDuplicates}: records whose key is kept elsewhere in the batch (${version ? `newest ${version.name}, then ` : ''}first record wins).
WITH ${src},
repeated AS (
  SELECT ${keyList} FROM src
  WHERE ${id('malformed_detail')} IS NULL AND ${keyPresent}
  GROUP BY ${keyList}
  HAVING count(*) > 1
),
ranked AS (
  SELECT src.${rec}, row_number() OVER (PARTITION BY ${dedupe.key.map((k) => `src.${rawName(k)}`).join(', ')} ORDER BY ${newestFirst}src.${rec}) AS ${id('occurrence')}
  FROM src ${d.semiJoin} repeated ON ${dedupe.key.map((k) => `src.${rawName(k)} = repeated.${rawName(k)}`).join(' AND ')}
  WHERE src.${id('malformed_detail')} IS NULL
)
SELECT ${rec} FROM ranked WHERE ${id('occurrence')} > 1
`;

  const checks = plan.checks.filter((c) => !containsUnavailableKnown(c.predicate, available));
  const code = (c: string, pred: string) => `CASE WHEN COALESCE(${pred}, FALSE) THEN ${d.str(c)} END`;
  // Both read columns of the `typed` CTE, which carries what the joins found.
  const laterDuplicate = `(${id('__later_record')} IS NOT NULL)`;
  const seen = id('__seen_version');
  const alreadyProcessed = !checkProcessed
    ? undefined
    : version
      ? `(${seen} IS NOT NULL AND (${id(version.name)} IS NULL OR ${seen} >= ${id(version.name)}))`
      : `(${seen} IS NOT NULL)`;
  const seenJoin = !checkProcessed
    ? ''
    : `\n  LEFT JOIN (SELECT ${dedupe.key.map(id).join(', ')}, ${version ? `max(${id(version.name)})` : 'TRUE'} AS ${id('__version')} FROM ${id(dedupe.againstProcessed.relation)} GROUP BY ${dedupe.key.map(id).join(', ')}) ${id('__seen')} ON ${dedupe.key.map((k) => `${id('__seen')}.${id(k)} = src.${rawName(k)}`).join(' AND ')}`;
  const rowCodes = (detail: boolean) => [
    ...checks.map((c) => code(detail ? `${c.code}:${c.column}:${c.rule}` : c.code, expr(c.predicate))),
    `CASE WHEN ${laterDuplicate} THEN ${d.str(detail ? `${dedupe.code}:${dedupe.key.join('+')}` : dedupe.code)} END`,
    ...(alreadyProcessed ? [`CASE WHEN ${alreadyProcessed} THEN ${d.str(detail ? `${dedupe.againstProcessed.code}:${dedupe.key.join('+')}` : dedupe.againstProcessed.code)} END`] : []),
  ];
  // Plain booleans for the filter (cheap on every row); the code lists are built only for rejected rows.
  // A format check on a checked reference decides nothing (a known key passed the same rule, an unknown one fails
  // UNKNOWN_REFERENCE), so it stays out of the per-row filter; the reason lists still name it.
  const decides = (c: Check) => !(c.skipWhenKnown && available.has(c.skipWhenKnown));
  const rowFails = [...checks.filter(decides).map((c) => `COALESCE(${expr(c.predicate)}, FALSE)`), laterDuplicate, ...(alreadyProcessed ? [alreadyProcessed] : [])];
  const malformedList = (detail: boolean) => d.codeList([d.str(detail ? `${plan.malformedCode}:*` : plan.malformedCode)]);

  const rejected = `-- ${RELATIONS.rejected}: every record that fails a check, with all its reason codes.
WITH ${src},
typed AS (
  SELECT
    src.*,
${plan.columns.map((c) => `    ${expr(c.cast)} AS ${id(c.name)}`).join(',\n')},
${[...refs.map((r) => `    ${joinAlias.get(`${r.relation}|${r.column}`)}.${id('__key')} AS ${id(`__known_${r.column}`)}`), `    ${id('__later')}.${rec} AS ${id('__later_record')}`].join(',\n')}${checkProcessed ? `,\n    ${id('__seen')}.${id('__version')} AS ${seen}` : ''}
  FROM src${refs
    .map((r) => {
      const alias = joinAlias.get(`${r.relation}|${r.column}`) ?? '';
      return `\n  LEFT JOIN (SELECT DISTINCT ${id(r.key)} AS ${id('__key')} FROM ${id(r.relation)}) ${alias} ON ${alias}.${id('__key')} = src.${rawName(r.column)}`;
    })
    .join('')}
  LEFT JOIN ${id(RELATIONS.laterDuplicates)} ${id('__later')} ON ${id('__later')}.${rec} = src.${rec}${seenJoin}
),
flagged AS (
  SELECT
    typed.*,
    (${id('malformed_detail')} IS NOT NULL
      OR ${rowFails.join('\n      OR ')}) AS ${id('__rejected')}
  FROM typed
)
SELECT
  ${rec},
  ${id('malformed_detail')},
  ${id('raw_record')},
${plan.columns.map((c) => `  ${rawName(c.name)}`).join(',\n')},
  CASE WHEN ${id('malformed_detail')} IS NOT NULL THEN ${malformedList(false)} ELSE ${d.codeList(rowCodes(false))} END AS ${id('reasons')},
  CASE WHEN ${id('malformed_detail')} IS NOT NULL THEN ${malformedList(true)} ELSE ${d.codeList(rowCodes(true))} END AS ${id('reason_details')}
FROM flagged
WHERE ${id('__rejected')}
`;

  const processed = `-- processed: the typed rows of every record that was not rejected, with their partition.
WITH ${src},
typed AS (
  SELECT
    ${rec},
${plan.columns.map((c) => `    ${expr(unguardedCast(c.cast))} AS ${id(c.name)}`).join(',\n')}
  FROM src ${d.antiJoin} ${id(RELATIONS.rejected)} ${id('__rejected')} ON ${id('__rejected')}.${rec} = src.${rec}
)
SELECT
${plan.columns.map((c) => `  ${id(c.name)}`).join(',\n')},
  ${expr(plan.partition.expr)} AS ${id(plan.partition.column)}
FROM typed
`;

  // The first ten characters of an ISO date or timestamp are its day; the executor widens this by a day
  // either side (a UTC offset can move a timestamp's UTC date), which is cheaper than casting every row.
  const partitions = `-- partitions: the days the batch's well-formed records name (before casting).
WITH ${src}
SELECT DISTINCT substr(${rawName(partitionSource)}, 1, 10) AS ${id('day')}
FROM src
WHERE ${id('malformed_detail')} IS NULL AND ${rawName(partitionSource)} IS NOT NULL
`;

  const sql = `-- ETL of ${plan.dataset} (plan v${plan.planVersion}, ${d.name}): four statements, run in this order.\n\n${partitions}\n${laterDuplicates}\n${rejected}\n${processed}`;
  return { laterDuplicates, rejected, processed, partitions, sql, referencesChecked: refs.map((r) => r.relation), processedKeysChecked: checkProcessed };
}

/**
 * A column's cast without its lexical guard. Only for rows that passed every check: for them the guard
 * held (BAD_TYPE rejects present text that fails it, and absent text casts to NULL either way), so
 * testing it again on every valid row would only cost time.
 */
function unguardedCast(cast: Expr): Expr {
  return cast.op === 'if' && cast.cond.op === 'matches' && cast.then.op === 'tryCast' ? cast.then : cast;
}

function containsUnavailableKnown(e: Expr, available: Set<string>): boolean {
  switch (e.op) {
    case 'known': return !available.has(e.relation);
    case 'and': case 'or': return e.args.some((a) => containsUnavailableKnown(a, available));
    case 'not': case 'missing': return containsUnavailableKnown(e.arg, available);
    default: return false;
  }
}
