import { readFileSync } from 'node:fs';

/** One default sample dataset as measured by measure-sample.ts (whole window, not per day). */
export interface SampleVolumes {
  generator: { members: number; locations: number; days: number; seed: number; end: string };
  datasets: Record<string, { format: string; rows: number; exportBytes: number; parquetBytes: number }>;
}

/** The committed measurement (infra/cost/sample-volumes.json). */
export function sampleVolumes(): SampleVolumes {
  return JSON.parse(readFileSync(new URL('./sample-volumes.json', import.meta.url), 'utf8')) as SampleVolumes;
}

/** Per day of the window: the daily export and the Parquet it becomes, per dataset and in total. */
export function dailyVolumes(sample: SampleVolumes = sampleVolumes()) {
  const days = sample.generator.days;
  const datasets = Object.entries(sample.datasets).map(([name, d]) => ({ name, format: d.format, rows: d.rows / days, exportBytes: d.exportBytes / days, parquetBytes: d.parquetBytes / days }));
  const sum = (key: 'rows' | 'exportBytes' | 'parquetBytes') => datasets.reduce((s, d) => s + d[key], 0);
  return { datasets, rows: sum('rows'), exportBytes: sum('exportBytes'), parquetBytes: sum('parquetBytes') };
}
