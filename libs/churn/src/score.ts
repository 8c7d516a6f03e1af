import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDerivedParquet, type QueryEngine } from '@peak/analytics';
import { lakeZones, memberChurnScores, type MemberChurnScoreRow } from '@peak/contracts';
import type { Lake } from '@peak/lake';
import { loadFeatures } from './features.js';
import { lakeEnd, LabelWindowError } from './labels.js';
import { scoreMember, toEncoder, type Band, type ChurnModel } from './model.js';
import { loadChampion } from './registry.js';

/** processed/member_churn_scores/dt=<as of>/scores.parquet: one file a day, so a re-run of the day replaces it. */
export const scoresKey = (asOf: string): string => `${lakeZones.processed.prefix}${memberChurnScores.name}/dt=${asOf}/scores.parquet`;

export type ScoringSummary = {
  asOf: string;
  modelVersion: string;
  members: number;
  bands: Record<Band, number>;
  byLocation: Record<string, Record<Band, number> & { members: number; meanScore: number }>;
  key: string;
};

/** Scores rows for the day's members (pure: no lake, no engine). */
export function scoreRows(model: ChurnModel, features: Awaited<ReturnType<typeof loadFeatures>>, asOf: string, scoredAt: string): MemberChurnScoreRow[] {
  const encoder = toEncoder(model);
  return features.map((f) => {
    const s = scoreMember(model, f, encoder);
    const [a, b, c] = s.topFactors.map((x) => x.text);
    return {
      member_id: f.member_id, home_location_id: f.home_location_id, as_of: asOf, score: s.score, band: s.band,
      ...(a === undefined ? {} : { factor_1: a }), ...(b === undefined ? {} : { factor_2: b }), ...(c === undefined ? {} : { factor_3: c }),
      model_version: model.version, scored_at: scoredAt,
    };
  });
}

/** The rows as one Parquet file (ZSTD, the contract's column types), written by DuckDB. */
export async function writeScoresParquet(rows: readonly MemberChurnScoreRow[], file: string): Promise<void> {
  await writeDerivedParquet('member_churn_scores', rows, file, 'member_id');
}

export type ScoringOptions = {
  /** Day to score as of (default: the lake's last day with a check-in). */
  asOf?: string;
  /** The model to use (default: the registry's champion). */
  model?: ChurnModel;
  now?: Date;
};

/**
 * The daily job: the champion scores every current member as of a day, and the scores land in the lake as
 * `member_churn_scores` (one file for the day, replaced if the job runs again), for Athena/DuckDB, crm-sync and the dashboard.
 */
export async function runScoring(engine: QueryEngine, lake: Lake, options: ScoringOptions = {}): Promise<ScoringSummary> {
  const model = options.model ?? (await loadChampion(lake));
  const asOf = options.asOf ?? (await lakeEnd(engine));
  if (asOf === undefined) throw new LabelWindowError('the lake has no check-ins yet: there is nobody to score');
  const features = await loadFeatures(engine, { cutoff: asOf, inactivityDays: model.inactivityDays });
  if (features.length === 0) throw new LabelWindowError(`no current members as of ${asOf} (nobody joined by then and active in the ${model.inactivityDays} days before): nothing was written`);
  const rows = scoreRows(model, features, asOf, (options.now ?? new Date()).toISOString());

  const dir = await mkdtemp(join(tmpdir(), 'peak-churn-scores-'));
  try {
    const file = join(dir, 'scores.parquet');
    await writeScoresParquet(rows, file);
    await lake.putFile(scoresKey(asOf), file, { contentType: 'application/vnd.apache.parquet' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const zero = (): Record<Band, number> => ({ high: 0, medium: 0, low: 0 });
  const bands = zero();
  const byLocation: ScoringSummary['byLocation'] = {};
  for (const r of rows) {
    bands[r.band]++;
    const loc = (byLocation[r.home_location_id] ??= { ...zero(), members: 0, meanScore: 0 });
    loc[r.band]++;
    loc.members++;
    loc.meanScore += (r.score - loc.meanScore) / loc.members;
  }
  return { asOf, modelVersion: model.version, members: rows.length, bands, byLocation, key: scoresKey(asOf) };
}
