import Type, { type Static, type TObject, type TProperties } from 'typebox';
import { date, id, oneOf, optional, text, timestamp, type ColumnMeta } from './columns.js';

/**
 * Relations the platform's own jobs write to the processed zone (never ingested, so no ETL plan): Parquet under
 * `processed/<name>/dt=<day>/`, read by both query engines like a dataset, so Athena, DuckDB, crm-sync and the
 * dashboard read the same numbers.
 */
export const DERIVED_NAMES = ['member_churn_scores'] as const;
export type DerivedName = (typeof DERIVED_NAMES)[number];

export type DerivedContract<P extends TProperties = TProperties> = {
  name: DerivedName;
  title: string;
  description: string;
  /** The job that writes it. */
  writer: string;
  row: TObject<P>;
  columns: readonly (keyof P & string)[];
  /** DATE column whose value is the `dt` partition. */
  partitionBy: keyof P & string;
};

function defineDerived<const P extends TProperties>(spec: Omit<DerivedContract<P>, 'row' | 'columns'> & { properties: P }): DerivedContract<P> {
  const { properties, ...rest } = spec;
  const row = Type.Object(properties, { additionalProperties: false, title: spec.title, description: spec.description });
  return { ...rest, row, columns: Object.keys(properties) as (keyof P & string)[] };
}

/** A probability in [0, 1], stored as DOUBLE. */
const probability = (doc: { description: string; example?: number }) => {
  const meta: ColumnMeta = { 'x-sql': 'DOUBLE', description: doc.description, ...(doc.example === undefined ? {} : { examples: [doc.example] }) };
  return Type.Number({ ...meta, minimum: 0, maximum: 1 });
};

export const CHURN_BANDS = ['high', 'medium', 'low'] as const;

export const memberChurnScores = defineDerived({
  name: 'member_churn_scores',
  title: 'Member churn scores',
  description: 'One row per member scored on a day: the churn model\'s calibrated probability of churning within its horizon, the band and the three factors raising it most. One file per day; a re-run of the day replaces it.',
  writer: 'churn scoring job (`npm run churn -- score`)',
  partitionBy: 'as_of',
  properties: {
    member_id: id({ description: 'Member', example: 'M000042' }),
    home_location_id: id({ description: 'Home studio', example: 'downtown' }),
    as_of: date({ description: 'Day the features were taken as of (the end of that local day)', example: '2026-06-30' }),
    score: probability({ description: 'Calibrated probability of churning within the model\'s horizon (default 30 days)', example: 0.42 }),
    band: oneOf(CHURN_BANDS, { description: 'Risk band from the model\'s thresholds', example: 'medium' }),
    factor_1: optional(text({ description: 'The factor raising the risk most, in words', example: 'last visit 21 days ago' })),
    factor_2: optional(text({ description: 'The second factor', example: 'visits down: 2 in the last 30 days vs 8 the 30 before' })),
    factor_3: optional(text({ description: 'The third factor', example: 'used the app on 1 day of the last 30' })),
    model_version: id({ description: 'Model that produced the score', example: 'churn-2026-05-01-3f2a9c1d0b' }),
    scored_at: timestamp({ description: 'When the job ran (UTC)', example: '2026-07-01T05:00:00Z' }),
  },
});
export type MemberChurnScoreRow = Static<typeof memberChurnScores.row>;

export const derivedDatasets: { readonly [N in DerivedName]: DerivedContract } = { member_churn_scores: memberChurnScores };
