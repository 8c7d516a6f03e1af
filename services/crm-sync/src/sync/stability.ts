/**
 * Keeping HubSpot quiet when nothing really changed. HubSpot workflows enrol a contact when a property changes, so a
 * band that flips medium → high → medium on a score hovering at the threshold would re-enrol a member every day, and a
 * score sent with every wiggle would mark every member changed every day (a full push, and a history full of noise).
 *
 * - **Band hysteresis**: the band moves only when the score is clearly past the threshold — up to a band when the
 *   score is at least its lower threshold + margin, down when it is below the threshold − margin. Between, the band
 *   last sent stays.
 * - **Score step**: the score is sent again only when it moved by at least a step (or the band moved).
 */
import type { RiskBand } from './contact-properties.js';

/** The churn model's thresholds: the lowest score of each band (the model's `bands`). */
export type BandThresholds = { high: number; medium: number };

export const DEFAULT_BAND_MARGIN = 0.03;
export const DEFAULT_SCORE_STEP = 0.02;

const RANK: Record<RiskBand, number> = { low: 0, medium: 1, high: 2 };
const bandAt = (t: BandThresholds, score: number): RiskBand => (score >= t.high ? 'high' : score >= t.medium ? 'medium' : 'low');

/** The band to send: the model's, unless the score is within `margin` of the threshold the member would cross. */
export function stickyBand(score: number, thresholds: BandThresholds, previous: string | undefined, margin = DEFAULT_BAND_MARGIN): RiskBand {
  const plain = bandAt(thresholds, score);
  if (previous !== 'low' && previous !== 'medium' && previous !== 'high') return plain; // first time, or the band was cleared
  const up = bandAt(thresholds, score - margin); // the highest band the score clearly reaches
  const down = bandAt(thresholds, score + margin); // the lowest band the score is clearly in
  if (RANK[previous] < RANK[up]) return up;
  if (RANK[previous] > RANK[down]) return down;
  return previous;
}

/** The score text to send: the new one, or the one last sent when it moved less than `step` and the band did not move. */
export function steadyScore(score: string, previous: string | undefined, bandMoved: boolean, step = DEFAULT_SCORE_STEP): string {
  if (bandMoved || previous === undefined || previous === '' || score === '') return score;
  return Math.abs(Number(score) - Number(previous)) < step ? previous : score;
}
