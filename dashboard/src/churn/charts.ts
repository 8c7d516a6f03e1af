/**
 * The churn page's three charts (options for chart-kit.ts's charts); legends are HTML beside the charts
 * (smaller, and readable by everyone). Each chart's summary is its aria-label (from chart-data.ts /
 * evaluation.ts); the numbers are also in a table under each chart for keyboard and screen-reader users.
 */
import type * as echarts from 'echarts/core';
import { BAND_LABEL, type DistributionBar, type StudioBands } from '../chart-data.js';
import { baseText, palette, tooltipStyle } from '../chart-kit.js';
import type { CalibrationPoint } from '../evaluation.js';
import { formatCount, formatPercent } from '../format.js';

export { chartIn, type Chart } from '../chart-kit.js';

/** Members per band per studio, stacked horizontal bars (high first, so the red end lines up). */
export function bandsOption(rows: readonly StudioBands[]): echarts.EChartsCoreOption {
  const p = palette();
  const series = (['high', 'medium', 'low'] as const).map((band) => ({
    type: 'bar',
    name: BAND_LABEL[band],
    stack: 'members',
    data: rows.map((r) => r[band]),
    itemStyle: { color: p[band], borderColor: p.card, borderWidth: 1 },
    emphasis: { focus: 'series' },
    barMaxWidth: 28,
  }));
  return {
    animation: false,
    textStyle: baseText(p),
    grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, ...tooltipStyle(p) },
    xAxis: { type: 'value', minInterval: 1, axisLabel: { color: p.muted }, splitLine: { lineStyle: { color: p.line } } },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.name), axisLabel: { color: p.text }, axisLine: { lineStyle: { color: p.line } } },
    series,
  };
}

/** The height the bars chart needs for `n` studios. */
export const bandsHeight = (n: number): string => `${Math.max(8, 2.6 * n + 2.5)}rem`;

/** The histogram: 20 bins of 5 points, each bar in its band's colour. */
export function distributionOption(bars: readonly DistributionBar[]): echarts.EChartsCoreOption {
  const p = palette();
  return {
    animation: false,
    textStyle: baseText(p),
    grid: { left: 8, right: 12, top: 30, bottom: 28, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      ...tooltipStyle(p),
      formatter: (params: unknown) => {
        const first = (Array.isArray(params) ? params[0] : params) as { dataIndex: number } | undefined;
        const bar = first ? bars[first.dataIndex] : undefined;
        return bar ? `Risk ${bar.range}: ${formatCount(bar.members)} members (${BAND_LABEL[bar.band].toLowerCase()})` : '';
      },
    },
    xAxis: {
      type: 'category',
      data: bars.map((b) => b.label),
      name: 'risk score',
      nameLocation: 'middle',
      nameGap: 28,
      nameTextStyle: { color: p.muted },
      axisLabel: { color: p.muted, interval: 3 },
      axisTick: { alignWithLabel: false, interval: 3 },
      axisLine: { lineStyle: { color: p.line } },
    },
    yAxis: { type: 'value', minInterval: 1, name: 'members', nameTextStyle: { color: p.muted, align: 'left' }, axisLabel: { color: p.muted }, splitLine: { lineStyle: { color: p.line } } },
    series: [
      {
        type: 'bar',
        name: 'Members',
        barCategoryGap: '8%',
        data: bars.map((b) => ({ value: b.members, itemStyle: { color: p[b.band] } })),
      },
    ],
  };
}

/** Predicted vs actual share who left per decile, with the diagonal of perfect calibration. */
export function calibrationOption(points: readonly CalibrationPoint[]): echarts.EChartsCoreOption {
  const p = palette();
  const top = Math.max(0.1, ...points.map((x) => Math.max(x.predicted, x.observed)));
  const max = Math.min(1, Math.ceil(top * 10) / 10);
  const pct = (x: number) => Math.round(x * 1000) / 10; // percent, one decimal
  return {
    animation: false,
    textStyle: baseText(p),
    grid: { left: 8, right: 16, top: 28, bottom: 28, containLabel: true },
    tooltip: {
      trigger: 'item',
      ...tooltipStyle(p),
      formatter: (params: unknown) => {
        const q = params as { seriesIndex: number; dataIndex: number };
        const pt = q.seriesIndex === 0 ? points[q.dataIndex] : undefined;
        return pt ? `Tenth ${pt.bin}: predicted ${formatPercent(pt.predicted, 1)}, left ${formatPercent(pt.observed, 1)} (${formatCount(pt.count)} members)` : 'Perfect calibration';
      },
    },
    xAxis: {
      type: 'value', min: 0, max: pct(max), name: 'predicted', nameLocation: 'middle', nameGap: 28, nameTextStyle: { color: p.muted },
      axisLabel: { color: p.muted, formatter: '{value}%' }, splitLine: { lineStyle: { color: p.line } },
    },
    yAxis: {
      type: 'value', min: 0, max: pct(max), name: 'actually left', nameTextStyle: { color: p.muted, align: 'left' },
      axisLabel: { color: p.muted, formatter: '{value}%' }, splitLine: { lineStyle: { color: p.line } },
    },
    series: [
      {
        type: 'line',
        name: 'Model, per tenth of members',
        data: points.map((x) => [pct(x.predicted), pct(x.observed)]),
        symbol: 'circle',
        symbolSize: 9,
        lineStyle: { color: p.accent, width: 2 },
        itemStyle: { color: p.accent },
      },
      {
        type: 'line',
        name: 'Perfect calibration',
        data: [[0, 0], [pct(max), pct(max)]],
        symbol: 'none',
        silent: true,
        lineStyle: { color: p.muted, type: 'dashed', width: 1.5 },
        itemStyle: { color: p.muted },
      },
    ],
  };
}
