/**
 * The overview's chart options (drawn by chart-kit.ts): the retention cohort heatmap, member movement per month
 * (joiners up, leavers down, net as a line), the fill-rate heatmap by weekday and hour, and one member's visits per
 * week. Heatmap cells carry their percentage as text, so the colour is never the only cue.
 */
import type * as echarts from 'echarts/core';
import { baseText, palette, tooltipStyle } from '../chart-kit.js';
import { formatCount, formatDate, formatPercent } from '../format.js';
import { hourLabel, WEEKDAYS, type CohortGrid, type FillGrid, type Movement } from './panel-data.js';

type Tip = { data?: unknown; dataIndex: number; seriesIndex?: number };
const asTip = (params: unknown) => (Array.isArray(params) ? params[0] : params) as Tip | undefined;

function heatScale(max: number) {
  const p = palette();
  return {
    min: 0,
    max,
    calculable: false,
    show: false,
    inRange: { color: [p.scaleLow, p.accent] },
  };
}

/** A heatmap cell with its percentage in a colour that reads on it (light text on the darker half of the scale). */
function cell(x: number | undefined, y: number, rate: number, p: ReturnType<typeof palette>) {
  return { value: [x, y, rate], label: { color: rate >= 0.55 ? p.card : p.text } };
}
const cellLabel = (show: boolean) => ({ show, formatter: (x: { value: number[] }) => formatPercent(x.value[2] ?? 0), fontSize: 10 });

/** Cohorts down the side (oldest at the top), months since joining along the top, retention in each cell. */
export function cohortOption(grid: CohortGrid): echarts.EChartsCoreOption {
  const p = palette();
  return {
    animation: false,
    textStyle: baseText(p),
    grid: { left: 8, right: 8, top: 28, bottom: 8, containLabel: true },
    tooltip: {
      ...tooltipStyle(p),
      formatter: (params: unknown) => {
        const cell = grid.cells[asTip(params)?.dataIndex ?? -1];
        if (!cell) return '';
        return `Joined ${grid.cohorts[cell.cohort]} (${formatCount(cell.size)}): ${formatCount(cell.retained)} came in month ${cell.monthsSince} · ${formatPercent(cell.rate)}`;
      },
    },
    xAxis: {
      type: 'category',
      position: 'top',
      data: Array.from({ length: grid.months }, (_, i) => String(i)),
      name: 'months since joining',
      nameLocation: 'middle',
      nameGap: 22,
      nameTextStyle: { color: p.muted },
      axisLabel: { color: p.muted },
      axisLine: { show: false },
      axisTick: { show: false },
      splitArea: { show: false },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: grid.cohorts.map((c, i) => `${c} · ${formatCount(grid.sizes[i])}`),
      axisLabel: { color: p.text },
      axisLine: { show: false },
      axisTick: { show: false },
    },
    visualMap: heatScale(1),
    series: [
      {
        type: 'heatmap',
        name: 'Retention',
        data: grid.cells.map((c) => cell(c.monthsSince, c.cohort, c.rate, p)),
        label: cellLabel(grid.months <= 14),
        itemStyle: { borderColor: p.card, borderWidth: 1 },
      },
    ],
  };
}

/** Joiners as bars up, leavers as bars down, the net change as a line. */
export function movementOption(m: Movement): echarts.EChartsCoreOption {
  const p = palette();
  return {
    animation: false,
    textStyle: baseText(p),
    grid: { left: 8, right: 12, top: 16, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      ...tooltipStyle(p),
      formatter: (params: unknown) => {
        const i = asTip(params)?.dataIndex ?? -1;
        if (i < 0 || i >= m.months.length) return '';
        const net = m.net[i] ?? 0;
        return `${m.months[i]}: ${formatCount(m.joined[i])} joined, ${formatCount(-(m.churned[i] ?? 0))} churned, net ${net >= 0 ? '+' : '−'}${formatCount(Math.abs(net))} · ${formatCount(m.members[i])} members`;
      },
    },
    xAxis: { type: 'category', data: m.months, axisLabel: { color: p.muted }, axisLine: { lineStyle: { color: p.line } } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { color: p.muted }, splitLine: { lineStyle: { color: p.line } } },
    series: [
      { type: 'bar', name: 'Joined', stack: 'movement', data: m.joined, itemStyle: { color: p.ok }, barMaxWidth: 28 },
      { type: 'bar', name: 'Churned', stack: 'movement', data: m.churned, itemStyle: { color: p.high }, barMaxWidth: 28 },
      { type: 'line', name: 'Net change', data: m.net, symbol: 'circle', symbolSize: 6, lineStyle: { color: p.text, width: 2 }, itemStyle: { color: p.text } },
    ],
  };
}

/** Weekdays down the side, hours along the bottom, the share of spots taken in each cell. */
export function fillOption(grid: FillGrid): echarts.EChartsCoreOption {
  const p = palette();
  const column = new Map(grid.hours.map((h, i) => [h, i]));
  const cells = grid.cells.filter((c) => column.has(c.hour));
  return {
    animation: false,
    textStyle: baseText(p),
    grid: { left: 8, right: 8, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      ...tooltipStyle(p),
      formatter: (params: unknown) => {
        const c = cells[asTip(params)?.dataIndex ?? -1];
        if (!c) return '';
        return `${WEEKDAYS[c.weekday - 1]} ${hourLabel(c.hour)}: ${formatPercent(c.rate)} full · ${formatCount(c.attendees)} of ${formatCount(c.capacity)} spots in ${formatCount(c.classes)} classes`;
      },
    },
    xAxis: { type: 'category', data: grid.hours.map(hourLabel), axisLabel: { color: p.muted }, axisLine: { show: false }, axisTick: { show: false } },
    yAxis: { type: 'category', inverse: true, data: WEEKDAYS, axisLabel: { color: p.text }, axisLine: { show: false }, axisTick: { show: false } },
    visualMap: heatScale(1),
    series: [
      {
        type: 'heatmap',
        name: 'Fill rate',
        data: cells.map((c) => cell(column.get(c.hour), c.weekday - 1, c.rate, p)),
        label: cellLabel(grid.hours.length <= 16),
        itemStyle: { borderColor: p.card, borderWidth: 1 },
      },
    ],
  };
}

/** One member's check-ins per week. */
export function weeksOption(weeks: readonly { weekStart: string; visits: number }[]): echarts.EChartsCoreOption {
  const p = palette();
  return {
    animation: false,
    textStyle: baseText(p),
    grid: { left: 8, right: 8, top: 12, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      ...tooltipStyle(p),
      formatter: (params: unknown) => {
        const w = weeks[asTip(params)?.dataIndex ?? -1];
        return w ? `Week of ${formatDate(w.weekStart)}: ${formatCount(w.visits)} visit${w.visits === 1 ? '' : 's'}` : '';
      },
    },
    xAxis: { type: 'category', data: weeks.map((w) => formatDate(w.weekStart).replace(/ \d{4}$/, '')), axisLabel: { color: p.muted }, axisLine: { lineStyle: { color: p.line } } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { color: p.muted }, splitLine: { lineStyle: { color: p.line } } },
    series: [{ type: 'bar', name: 'Visits', data: weeks.map((w) => w.visits), itemStyle: { color: p.accent }, barMaxWidth: 18 }],
  };
}
