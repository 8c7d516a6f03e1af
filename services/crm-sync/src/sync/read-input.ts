/**
 * What a sync reads from the lake (DuckDB locally, Athena in AWS — the same SQL): every member's `member_features`
 * row as of the lake's last day of check-ins, and the churn model's newest scores.
 */
import { dateParam, runMetric, sql, type QueryEngine } from '@peak/analytics';
import { lakeEnd, latestScoresDay } from '@peak/churn';
import type { ChurnScore, MemberFeatures } from './attributes.js';

export type SyncInput = { asOf: string; members: MemberFeatures[]; scores: Map<string, ChurnScore>; scoresDay: string | null };

/** Nothing to sync from: the lake has no check-ins yet. */
export class EmptyLakeError extends Error {
  override name = 'EmptyLakeError';
}

export async function readSyncInput(engine: QueryEngine, options: { timeoutMs?: number } = {}): Promise<SyncInput> {
  const asOf = await lakeEnd(engine);
  if (!asOf) throw new EmptyLakeError('the lake has no check-ins yet: load the studios\' exports through ingest first (npm start loads the samples)');
  const features = await runMetric(engine, { metric: 'member_features', filters: { from: asOf, to: asOf } });
  const members = features.rows as unknown as MemberFeatures[];
  const scoresDay = (await latestScoresDay(engine, options).catch(() => undefined)) ?? null; // no scores table yet: no scores
  const scores = new Map<string, ChurnScore>();
  if (scoresDay) {
    const q = sql`SELECT member_id, score, band FROM member_churn_scores WHERE dt = ${dateParam(scoresDay)}`;
    const r = await engine.query(q.text, { params: q.params, timeoutMs: options.timeoutMs });
    for (const row of r.rows) if (typeof row.score === 'number') scores.set(String(row.member_id), { score: row.score, band: String(row.band) });
  }
  return { asOf, members, scores, scoresDay };
}
