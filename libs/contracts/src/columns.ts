import Type, { type TLiteral, type TSchema, type TSchemaOptions, type TUnion } from 'typebox';

/**
 * Column builders for dataset contracts. Each column is a plain TypeBox schema annotated with the
 * SQL type it lands as (`x-sql`), so one definition drives row validation, the ETL plan, the Glue
 * catalog and the docs.
 */
export const SQL_TYPES = ['VARCHAR', 'BIGINT', 'INTEGER', 'DOUBLE', 'DECIMAL(12,2)', 'BOOLEAN', 'DATE', 'TIMESTAMP'] as const;
export type SqlType = (typeof SQL_TYPES)[number];

export type ColumnMeta = {
  'x-sql': SqlType;
  description: string;
  examples?: unknown[];
};

type Doc = { description: string; example?: string | number | boolean };

const meta = (sql: SqlType, doc: Doc): ColumnMeta => ({
  'x-sql': sql,
  description: doc.description,
  ...(doc.example === undefined ? {} : { examples: [doc.example] }),
});

/** Identifier: non-empty, no whitespace or control characters, bounded length. */
export const id = (doc: Doc) => Type.String({ ...meta('VARCHAR', doc), minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
export const text = (doc: Doc & { maxLength?: number }) =>
  Type.String({ ...meta('VARCHAR', doc), minLength: 1, maxLength: doc.maxLength ?? 200, pattern: '\\S' }); // at least one visible character
export const email = (doc: Doc) => Type.String({ ...meta('VARCHAR', doc), format: 'email', maxLength: 254 });
/** Calendar date, ISO 8601 `YYYY-MM-DD`. */
export const date = (doc: Doc) => Type.String({ ...meta('DATE', doc), format: 'date' });
/** Instant, ISO 8601 with offset (`2026-01-05T07:30:00Z`); stored as UTC TIMESTAMP. */
export const timestamp = (doc: Doc) => Type.String({ ...meta('TIMESTAMP', doc), format: 'date-time' });
export const integer = (doc: Doc & { minimum: number; maximum: number }) =>
  Type.Integer({ ...meta('INTEGER', doc), minimum: doc.minimum, maximum: doc.maximum });
/** Money in the currency's major unit, two decimals, never negative (a refund is its own type). */
export const money = (doc: Doc & { maximum?: number }) =>
  Type.Number({ ...meta('DECIMAL(12,2)', doc), minimum: 0, maximum: doc.maximum ?? 100_000, multipleOf: 0.01 });
export const boolean = (doc: Doc) => Type.Boolean(meta('BOOLEAN', doc));
type LiteralTuple<V extends readonly string[]> = { -readonly [K in keyof V]: TLiteral<V[K]> };

/** A union of string literals whose static type is the union of the values (`.map` alone infers `never`). */
export const literalUnion = <const V extends readonly string[]>(values: V, options?: TSchemaOptions): TUnion<LiteralTuple<V>> =>
  Type.Union(values.map((v) => Type.Literal(v)) as LiteralTuple<V>, options) as TUnion<LiteralTuple<V>>;

export const oneOf = <const V extends readonly string[]>(values: V, doc: Doc) => literalUnion(values, meta('VARCHAR', doc));

/** Optional column: may be absent or empty in the export; lands as SQL NULL. */
export const optional = <T extends TSchema>(schema: T) => Type.Optional(schema);

/** Reads the annotation every column builder writes. */
export function columnMeta(schema: TSchema): ColumnMeta {
  const annotated = schema as Partial<ColumnMeta>;
  if (annotated['x-sql'] === undefined || annotated.description === undefined) {
    throw new Error('column schema was not built with the contracts column builders (missing x-sql/description)');
  }
  return annotated as ColumnMeta;
}

/** The allowed values of an enum column, or undefined for other columns. */
export function allowedValues(schema: TSchema): string[] | undefined {
  const anyOf = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (!anyOf) return undefined;
  return anyOf.map((s) => String(s.const));
}
