/**
 * What a sync reads from the lake (DuckDB locally, Athena in AWS — the same SQL): every member's `member_features`
 * row as of the lake's last day of check-ins, the churn model's newest scores, and that model's band thresholds (for
 * the band's hysteresis).
 */
import { dateParam, runMetric, sql, type QueryEngine } from '@peak/analytics';
import { lakeEnd, latestScoresDay, loadModel } from '@peak/churn';
import type { Lake } from '@peak/lake';
import type { ChurnScore, MemberFeatures } from './attributes.js';
import type { BandThresholds } from './stability.js';

export type SyncInput = { asOf: string; members: MemberFeatures[]; scores: Map<string, ChurnScore>; scoresDay: string | null; thresholds?: BandThresholds };

/** Nothing to sync from: the lake has no check-ins yet. */
export class EmptyLakeError extends Error {
  override name = 'EmptyLakeError';
}

export async function readSyncInput(engine: QueryEngine, lake?: Lake, options: { timeoutMs?: number } = {}): Promise<SyncInput> {
  const asOf = await lakeEnd(engine);
  if (!asOf) throw new EmptyLakeError('the lake has no check-ins yet: load the studios\' exports through ingest first (npm start loads the samples)');
  const features = await runMetric(engine, { metric: 'member_features', filters: { from: asOf, to: asOf } });
  const members = features.rows as unknown as MemberFeatures[];
  const scoresDay = (await latestScoresDay(engine, options).catch(() => undefined)) ?? null; // no scores table yet: no scores
  const scores = new Map<string, ChurnScore>();
  let modelVersion: string | undefined;
  if (scoresDay) {
    const q = sql`SELECT member_id, score, band, model_version FROM member_churn_scores WHERE dt = ${dateParam(scoresDay)}`;
    const r = await engine.query(q.text, { params: q.params, timeoutMs: options.timeoutMs });
    for (const row of r.rows) {
      if (typeof row.score === 'number') scores.set(String(row.member_id), { score: row.score, band: String(row.band) });
      modelVersion ??= typeof row.model_version === 'string' ? row.model_version : undefined;
    }
  }
  // The model's own thresholds; a model gone from the registry means no hysteresis this run, not a failed run.
  const thresholds = lake && modelVersion ? (await loadModel(lake, modelVersion).catch(() => undefined))?.bands : undefined;
  return { asOf, members, scores, scoresDay, ...(thresholds ? { thresholds } : {}) };
}
