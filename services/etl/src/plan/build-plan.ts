import { allowedValues, columnMeta, datasets, type DatasetContract, type DatasetName, type SqlType } from '@peak/contracts';
import type { ReasonCode } from './reason-codes.js';

/**
 * The ETL plan: engine-neutral DATA derived from a dataset contract. Renderers turn it into DuckDB
 * or Spark SQL; nothing here knows an engine, so the plan itself is golden-tested as JSON.
 */

/** A small expression tree; every renderer must handle every op (the switch is exhaustive). */
export type Expr =
  | { op: 'raw'; column: string } // the source text of a column (NULL when absent)
  | { op: 'typed'; column: string } // the cast value of a column
  | { op: 'num'; value: number }
  | { op: 'str'; value: string }
  | { op: 'missing'; arg: Expr } // NULL or empty text
  | { op: 'not'; arg: Expr }
  | { op: 'and' | 'or'; args: Expr[] }
  | { op: 'cmp'; cmp: '<' | '>' | '<>'; left: Expr; right: Expr }
  | { op: 'matches'; arg: Expr; pattern: string } // unanchored regex search, as JSON Schema `pattern`
  | { op: 'length'; arg: Expr } // characters (code points)
  | { op: 'inList'; arg: Expr; values: string[] }
  | { op: 'tryCast'; arg: Expr; to: SqlType | 'DECIMAL(38,10)' } // NULL when the cast fails
  | { op: 'round'; arg: Expr; places: number }
  | { op: 'if'; cond: Expr; then: Expr } // NULL when cond is not true
  | { op: 'toDate'; arg: Expr } // UTC calendar date of a DATE/TIMESTAMP
  | { op: 'known'; arg: Expr; relation: string; key: string }; // arg is a key of relation

export type ColumnPlan = { name: string; source: string; sqlType: SqlType; required: boolean; cast: Expr };
/** A check fires (adds `code`) when `predicate` is TRUE; NULL counts as not firing. */
export type Check = {
  code: ReasonCode; column: string; rule: string; predicate: Expr;
  /**
   * A format check that cannot fail on a known key of this reference relation (the key column has the same rule and
   * passed it), and whose failures the reference check rejects anyway: with the relation loaded, only the reason
   * list needs it, not the per-row filter.
   */
  skipWhenKnown?: string;
};
export type ReferencePlan = { column: string; dataset: DatasetName; relation: string; key: string };

export type EtlPlan = {
  planVersion: 1;
  dataset: DatasetName;
  /**
   * The all-text input relation the executor provides: one row per record, `recordNumber` unique and
   * in file order for well-formed records (the executor maps it to a line for the quarantine).
   */
  input: { relation: string; recordNumber: string; malformed: string; rawRecord: string };
  columns: ColumnPlan[];
  checks: Check[];
  /**
   * One row per key: within the batch the newest version (then the earliest record) is kept and later
   * ones are `code`; against earlier batches a key already loaded with the same or a newer version is
   * `againstProcessed.code` (for datasets without a version column: any earlier load).
   */
  dedupe: { code: ReasonCode; key: string[]; versionColumn: string | null; againstProcessed: { code: ReasonCode; relation: string } };
  partition: { column: 'dt'; expr: Expr };
  references: ReferencePlan[];
  /** Codes a malformed record gets instead of the column checks (its fields are unreliable). */
  malformedCode: ReasonCode;
};

/** Text a value of each type must look like before it is cast (engines' casts are too lenient: '1.5' → INTEGER 2). */
export const LEXICAL: Record<SqlType, string | null> = {
  VARCHAR: null,
  BIGINT: '^[+-]?[0-9]+$',
  INTEGER: '^[+-]?[0-9]+$',
  DOUBLE: '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$',
  'DECIMAL(12,2)': '^[+-]?[0-9]+(\\.[0-9]+)?$',
  BOOLEAN: '^(true|false)$',
  DATE: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
  // ISO 8601 with an explicit offset, as the contracts' `date-time` format requires.
  TIMESTAMP: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$',
};

/** Deliberately simple email shape (local@domain.tld, no spaces); full RFC 5322 is not worth a regex. */
export const EMAIL_PATTERN = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';

const raw = (column: string): Expr => ({ op: 'raw', column });
const typed = (column: string): Expr => ({ op: 'typed', column });
const present = (column: string): Expr => ({ op: 'not', arg: { op: 'missing', arg: raw(column) } });
const and = (...args: Expr[]): Expr => ({ op: 'and', args });

type Constraints = {
  minLength?: number; maxLength?: number; pattern?: string; format?: string;
  minimum?: number; maximum?: number; multipleOf?: number;
};

export function buildPlan(contract: DatasetContract): EtlPlan {
  const required = new Set<string>(contract.row.required ?? []);
  const properties = contract.row.properties as Record<string, Parameters<typeof columnMeta>[0]>;
  const columns: ColumnPlan[] = [];
  const checks: Check[] = [];

  for (const name of contract.columns) {
    const schema = properties[name];
    if (!schema) throw new Error(`contract ${contract.name}: column ${name} has no schema`);
    const sqlType = columnMeta(schema)['x-sql'];
    const c = schema as Constraints;
    const lexical = LEXICAL[sqlType];
    const tryCast: Expr = { op: 'tryCast', arg: raw(name), to: sqlType };
    const cast: Expr = lexical === null ? raw(name) : { op: 'if', cond: { op: 'matches', arg: raw(name), pattern: lexical }, then: tryCast };
    columns.push({ name, source: name, sqlType, required: required.has(name), cast });

    if (required.has(name)) checks.push({ code: 'MISSING_REQUIRED', column: name, rule: 'required', predicate: { op: 'missing', arg: raw(name) } });
    if (lexical !== null) {
      checks.push({ code: 'BAD_TYPE', column: name, rule: `cast:${sqlType}`, predicate: and(present(name), { op: 'missing', arg: typed(name) }) });
    }
    if (c.minimum !== undefined) {
      checks.push({ code: 'OUT_OF_RANGE', column: name, rule: `minimum:${c.minimum}`, predicate: { op: 'cmp', cmp: '<', left: typed(name), right: { op: 'num', value: c.minimum } } });
    }
    if (c.maximum !== undefined) {
      checks.push({ code: 'OUT_OF_RANGE', column: name, rule: `maximum:${c.maximum}`, predicate: { op: 'cmp', cmp: '>', left: typed(name), right: { op: 'num', value: c.maximum } } });
    }
    if (c.multipleOf !== undefined) {
      const places = Math.max(0, Math.round(-Math.log10(c.multipleOf)));
      if (Math.abs(10 ** -places - c.multipleOf) > 1e-12) throw new Error(`contract ${contract.name}.${name}: multipleOf ${c.multipleOf} is not a power of ten`);
      // Compare on the typed-check's lexical match so text that is not a number stays BAD_TYPE only.
      const exact: Expr = { op: 'if', cond: { op: 'matches', arg: raw(name), pattern: LEXICAL['DECIMAL(12,2)'] ?? '' }, then: { op: 'tryCast', arg: raw(name), to: 'DECIMAL(38,10)' } };
      checks.push({ code: 'BAD_PRECISION', column: name, rule: `multipleOf:${c.multipleOf}`, predicate: { op: 'cmp', cmp: '<>', left: exact, right: { op: 'round', arg: exact, places } } });
    }
    // A present value (not empty) has at least one character, so minLength 1 needs no check of its own.
    if (c.minLength !== undefined && c.minLength > 1) {
      checks.push({ code: 'BAD_FORMAT', column: name, rule: `minLength:${c.minLength}`, predicate: and(present(name), { op: 'cmp', cmp: '<', left: { op: 'length', arg: raw(name) }, right: { op: 'num', value: c.minLength } }) });
    }
    if (c.maxLength !== undefined) {
      checks.push({ code: 'BAD_FORMAT', column: name, rule: `maxLength:${c.maxLength}`, predicate: { op: 'cmp', cmp: '>', left: { op: 'length', arg: raw(name) }, right: { op: 'num', value: c.maxLength } } });
    }
    if (c.pattern !== undefined) {
      checks.push({ code: 'BAD_FORMAT', column: name, rule: `pattern:${c.pattern}`, predicate: and(present(name), { op: 'not', arg: { op: 'matches', arg: raw(name), pattern: c.pattern } }) });
    }
    if (c.format === 'email') {
      checks.push({ code: 'BAD_FORMAT', column: name, rule: 'format:email', predicate: and(present(name), { op: 'not', arg: { op: 'matches', arg: raw(name), pattern: EMAIL_PATTERN } }) });
    }
    const values = allowedValues(schema);
    if (values !== undefined) {
      checks.push({ code: 'NOT_ALLOWED_VALUE', column: name, rule: 'enum', predicate: and(present(name), { op: 'not', arg: { op: 'inList', arg: raw(name), values } }) });
    }
  }

  const references: ReferencePlan[] = contract.references.map((r) => {
    return { column: r.column, dataset: r.dataset, relation: `known_${r.dataset}`, key: contractKey(r.dataset) };
  });
  for (const r of references) {
    const target = (datasets[r.dataset].row.properties as Record<string, Constraints>)[r.key];
    if (!target || formatRules(properties[r.column] as Constraints) !== formatRules(target)) continue;
    for (const check of checks) if (check.code === 'BAD_FORMAT' && check.column === r.column) check.skipWhenKnown = r.relation;
  }
  for (const r of references) {
    checks.push({
      code: 'UNKNOWN_REFERENCE', column: r.column, rule: `references:${r.dataset}.${r.key}`,
      predicate: and(present(r.column), { op: 'not', arg: { op: 'known', arg: raw(r.column), relation: r.relation, key: r.key } }),
    });
  }

  return {
    planVersion: 1,
    dataset: contract.name,
    input: { relation: 'raw_input', recordNumber: '__rec', malformed: '__malformed', rawRecord: '__raw' },
    columns,
    checks,
    dedupe: {
      code: 'DUPLICATE_IN_BATCH',
      key: [...contract.primaryKey],
      versionColumn: contract.versionColumn ?? null,
      againstProcessed: { code: 'ALREADY_PROCESSED', relation: 'processed_keys' },
    },
    partition: { column: 'dt', expr: { op: 'toDate', arg: typed(contract.partitionBy) } },
    references,
    malformedCode: 'MALFORMED_RECORD',
  };
}

/** The text rules a BAD_FORMAT check tests, comparable between two columns. */
const formatRules = (c: Constraints | undefined): string => JSON.stringify([c?.minLength, c?.maxLength, c?.pattern, c?.format]);

/** The key column a reference points at: the referenced dataset's single-column primary key. */
function contractKey(dataset: DatasetName): string {
  const key = datasets[dataset].primaryKey;
  if (key.length !== 1 || key[0] === undefined) throw new Error(`references to ${dataset} need a single-column primary key`);
  return key[0];
}

/** Stable, readable JSON of a plan (what the golden files hold). */
export function planToJson(plan: EtlPlan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
