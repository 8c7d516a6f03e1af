/**
 * What the churn charts draw, and the sentence a screen reader hears instead (each chart has role="img" and
 * this summary as its aria-label). Pure: from the summary and model answers only.
 */
import type { Band, ChurnSummary } from './api.js';
import { formatCount, formatPercent, formatRange, studioName } from './format.js';

/** The band thresholds used when the model's own are not known (docs/churn-model.md: high ≥ 0.5, medium ≥ 0.2). */
export const DEFAULT_BAND_THRESHOLDS = { high: 0.5, medium: 0.2 } as const;
export type BandThresholds = { high: number; medium: number };

export function bandOf(score: number, t: BandThresholds = DEFAULT_BAND_THRESHOLDS): Band {
  return score >= t.high ? 'high' : score >= t.medium ? 'medium' : 'low';
}

export const BAND_LABEL: Record<Band, string> = { high: 'High', medium: 'Medium', low: 'Low' };

export type StudioBands = { locationId: string; name: string; members: number; high: number; medium: number; low: number };

/** One bar per studio, most high-risk members first (then by name), for the stacked bar chart. */
export function studioBands(summary: ChurnSummary): StudioBands[] {
  return summary.locations
    .map((l) => ({ locationId: l.locationId, name: studioName(l.locationId), members: l.members, high: l.high, medium: l.medium, low: l.low }))
    .sort((a, b) => b.high - a.high || a.name.localeCompare(b.name));
}

export function studioBandsSummary(rows: readonly StudioBands[]): string {
  if (rows.length === 0) return 'Risk bands by studio: no scored members.';
  return `Risk bands by studio, members per band: ${rows.map((r) => `${r.name} ${formatCount(r.high)} high, ${formatCount(r.medium)} medium, ${formatCount(r.low)} low`).join('; ')}.`;
}

export type DistributionBar = { label: string; range: string; from: number; to: number; members: number; band: Band };

/** The histogram's bars, lowest scores first, each coloured by the band its lower edge falls in. */
export function distributionBars(summary: ChurnSummary, t: BandThresholds = DEFAULT_BAND_THRESHOLDS): DistributionBar[] {
  return [...summary.distribution]
    .sort((a, b) => a.from - b.from)
    .map((d) => ({ label: formatPercent(d.from), range: formatRange(d.from, d.to), from: d.from, to: d.to, members: d.members, band: bandOf(d.from + 1e-9, t) }));
}

export function distributionSummary(bars: readonly DistributionBar[]): string {
  const total = bars.reduce((s, b) => s + b.members, 0);
  if (total === 0) return 'Risk score distribution: no scored members.';
  const nonEmpty = bars.filter((b) => b.members > 0).map((b) => `${b.range}: ${formatCount(b.members)}`);
  return `Risk score distribution of ${formatCount(total)} members, by 5-point bins: ${nonEmpty.join('; ')}.`;
}

/** "High ≥ 50% · Medium 20–49% · Low < 20%" — the bands in words, for the legend. */
export function bandLegend(t: BandThresholds = DEFAULT_BAND_THRESHOLDS): { band: Band; text: string }[] {
  const pct = (x: number) => Math.round(x * 100);
  return [
    { band: 'high', text: `High: ${pct(t.high)}% or more` },
    { band: 'medium', text: `Medium: ${pct(t.medium)}% to under ${pct(t.high)}%` },
    { band: 'low', text: `Low: under ${pct(t.medium)}%` },
  ];
}
