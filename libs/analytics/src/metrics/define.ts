import type { ColumnType } from '../engine.js';
import type { MetricFilters } from './filters.js';
import type { Sql } from './sql.js';

export type MetricColumn = { name: string; type: ColumnType; description: string };

/** A metric's own setting (a number of days, a choice of definition), with its default and bounds. */
export type MetricOption =
  | { kind: 'integer'; description: string; default: number; min: number; max: number }
  | { kind: 'choice'; description: string; default: string; choices: readonly string[] };

export type OptionValues = Record<string, number | string>;

export type MetricDefinition = {
  id: string;
  title: string;
  category: 'engagement' | 'retention' | 'classes' | 'revenue' | 'members';
  /** What exactly is counted, in words (docs/metrics.md prints it). */
  definition: string;
  /** How location / class type / instructor narrow this metric. */
  filtersApply: string;
  options: Record<string, MetricOption>;
  columns: readonly MetricColumn[];
  /** Rows come back in this order (stable output for caches, CSV and tests). */
  orderBy: string;
  /** Rules between options (each option's own range is checked from `options`); throws MetricInputError. */
  checkOptions?(options: OptionValues): void;
  build(filters: MetricFilters, options: OptionValues): Sql;
};

export const defineMetric = (m: MetricDefinition): MetricDefinition => m;
