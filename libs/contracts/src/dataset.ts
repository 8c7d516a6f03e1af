import Type, { type Static, type TObject, type TProperties } from 'typebox';

/** A foreign key checked by the ETL: `column` must name a row of `dataset` (by its primary key). */
export type Reference = { column: string; dataset: DatasetName };

export const DATASET_NAMES = ['members', 'classes', 'signups', 'attendance', 'transactions', 'engagement', 'class_feedback'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Everything the platform knows about one source dataset, in one place. */
export type DatasetContract<P extends TProperties = TProperties> = {
  name: DatasetName;
  title: string;
  description: string;
  /** The source system that exports it (used for API keys and docs). */
  source: string;
  /** One row, as typed values after the ETL (CSV text is cast to these types). */
  row: TObject<P>;
  /** Column order of the canonical CSV export (exports may reorder; the ETL matches by header name). */
  columns: readonly (keyof P & string)[];
  primaryKey: readonly (keyof P & string)[];
  /** DATE or TIMESTAMP column whose calendar date (UTC) is the `dt` partition. */
  partitionBy: keyof P & string;
  references: readonly Reference[];
  /** What "the newest version wins" means when a primary key arrives twice across batches. */
  versionColumn?: keyof P & string;
};

export type RowOf<C extends DatasetContract> = C extends DatasetContract<infer P> ? Static<TObject<P>> : never;

/** Builds a contract whose column list is derived from the row schema, so the two never drift. */
export function defineDataset<const P extends TProperties>(
  spec: Omit<DatasetContract<P>, 'row' | 'columns'> & { properties: P },
): DatasetContract<P> {
  const { properties, ...rest } = spec;
  const row = Type.Object(properties, { additionalProperties: false, title: spec.title, description: spec.description });
  return { ...rest, row, columns: Object.keys(properties) as (keyof P & string)[] };
}
