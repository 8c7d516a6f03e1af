import { finiteAt, type Numbers } from './checks.js';

/** One member's features in a fixed column order: a plain array or a Float64Array. */
export type FeatureRow = Numbers;

/** Per-column mean and population standard deviation of the training rows. */
export type Scaler = { mean: number[]; sd: number[] };

/** Checks that every row has `width` columns; `name` says which argument is wrong. */
export function checkWidth(rows: readonly FeatureRow[], width: number, name: string): void {
  rows.forEach((row, i) => {
    if (row.length !== width) throw new Error(`${name}: row ${i} has ${row.length} features but row 0 has ${width}: every row needs the same features in the same order`);
  });
}

/**
 * Mean and population sd of each column, for `standardise`. A constant column gets mean = its value and sd 1,
 * so it standardises to exactly 0 instead of dividing by zero.
 */
export function fitScaler(rows: readonly FeatureRow[]): Scaler {
  const first = rows[0];
  if (first === undefined) throw new Error('fitScaler: no rows: pass the training rows the model will be fitted on');
  const width = first.length;
  checkWidth(rows, width, 'fitScaler');
  const n = rows.length;
  const mean: number[] = [];
  const sd: number[] = [];
  for (let j = 0; j < width; j++) {
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    rows.forEach((row, i) => {
      const v = finiteAt(row, j, `fitScaler: row ${i}`);
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    });
    // min === max, not sd === 0: summing n copies of 0.1 and dividing by n need not give back 0.1 exactly.
    if (min === max) {
      mean.push(min);
      sd.push(1);
      continue;
    }
    const m = sum / n;
    let squares = 0; // second pass over the deviations: the one-pass Σx² − n·m² form cancels catastrophically
    for (const row of rows) squares += (row[j]! - m) ** 2;
    mean.push(m);
    sd.push(Math.sqrt(squares / n));
  }
  return { mean, sd };
}

/** (x_j − mean_j) / sd_j for one row, as a new Float64Array. */
export function standardise(scaler: Scaler, row: FeatureRow): Float64Array {
  const width = scaler.mean.length;
  if (row.length !== width) throw new Error(`standardise: the row has ${row.length} features but the scaler was fitted on ${width}`);
  const z = new Float64Array(width);
  for (let j = 0; j < width; j++) z[j] = (finiteAt(row, j, 'standardise: the row') - scaler.mean[j]!) / scaler.sd[j]!;
  return z;
}
