/**
 * ECharts for the dashboard's pages, importing only what they use (bar, line and heatmap charts, grid, tooltip,
 * visual map, the SVG renderer) to keep the bundle small; the page's CSS colours (light or dark) read when a chart
 * is drawn; and {@link chartIn}, a chart that resizes with its container and says what it shows in its aria-label.
 */
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import type { Band } from './api.js';

echarts.use([BarChart, HeatmapChart, LineChart, GridComponent, TooltipComponent, VisualMapComponent, SVGRenderer]);

export type Palette = Record<Band, string> & { text: string; muted: string; line: string; accent: string; card: string; ok: string; fail: string; scaleLow: string };

/** The colours of the page's CSS (light or dark), read when a chart is drawn. */
export function palette(): Palette {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    high: v('--band-high', '#b3261e'),
    medium: v('--band-medium', '#e8a317'),
    low: v('--band-low', '#9aa5b1'),
    text: v('--text', '#1d2530'),
    muted: v('--muted', '#566170'),
    line: v('--line', '#dde3ea'),
    accent: v('--accent', '#0b5cad'),
    card: v('--card', '#ffffff'),
    ok: v('--ok', '#1a7f37'),
    fail: v('--fail', '#c62828'),
    scaleLow: v('--scale-low', '#eef4fb'),
  };
}

export type Chart = {
  draw: (option: echarts.EChartsCoreOption, label: string) => void;
  /** No chart, a line of text instead (an empty state). */
  empty: (text: string) => void;
  dispose: () => void;
};

/** A chart in `el`: created on first draw, resized with its container, summarised in its aria-label. */
export function chartIn(el: HTMLElement): Chart {
  let chart: echarts.ECharts | undefined;
  const observer = new ResizeObserver(() => chart?.resize());
  el.setAttribute('role', 'img');
  return {
    draw(option, label) {
      el.setAttribute('aria-label', label);
      if (!chart) {
        el.replaceChildren();
        chart = echarts.init(el, undefined, { renderer: 'svg' });
        observer.observe(el);
      }
      chart.setOption(option, { notMerge: true });
    },
    empty(text) {
      this.dispose();
      el.setAttribute('aria-label', text);
      const p = document.createElement('p');
      p.className = 'chart-empty';
      p.textContent = text;
      el.replaceChildren(p);
    },
    dispose() {
      observer.disconnect();
      chart?.dispose();
      chart = undefined;
    },
  };
}

export const baseText = (p: Palette) => ({ color: p.text, fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', fontSize: 12 });
export const tooltipStyle = (p: Palette) => ({ backgroundColor: p.card, borderColor: p.line, textStyle: { color: p.text } });

