/** A column of numbers (scores, probabilities, one row of features): a plain array or a Float64Array. */
export type Numbers = Float64Array | readonly number[];

/** A binary label: 1 = churned, 0 = stayed. */
export type Label = 0 | 1;

/** The feature at `column` of a row, refusing NaN and ±Infinity: the numeric core never guesses a missing value. */
export function finiteAt(row: Numbers, column: number, where: string): number {
  const value = row[column];
  if (value === undefined || !Number.isFinite(value)) {
    throw new Error(`${where}, column ${column} is ${String(value)}: impute missing values before they reach the model (every value must be a finite number)`);
  }
  return value;
}

/** A copy of a score column as a Float64Array, refusing NaN and ±Infinity; `name` is how the message calls it. */
export function finiteColumn(values: Numbers, name: string): Float64Array {
  return Float64Array.from({ length: values.length }, (_, i) => {
    const value = values[i];
    if (value === undefined || !Number.isFinite(value)) throw new Error(`${name}[${i}] is ${String(value)}: every value must be a finite number`);
    return value;
  });
}

/** Refuses labels other than 0 and 1; `what` names the caller. Returns how many are 1. */
export function checkLabels(y: readonly number[], what: string): number {
  let positives = 0;
  y.forEach((label, i) => {
    if (label !== 0 && label !== 1) throw new Error(`${what}: y[${i}] is ${String(label)}: labels must be 0 (stayed) or 1 (churned)`);
    positives += label;
  });
  return positives;
}

/** Refuses a single class: `subject` is what needs both (e.g. 'a model', 'ROC AUC'). */
export function requireBothClasses(n: number, positives: number, what: string, subject: string): void {
  if (positives === 0 || positives === n) throw new Error(`${what}: all ${n} labels are ${positives === 0 ? 0 : 1}: ${subject} needs both churners and stayers`);
}

/** Refuses empty input and inputs of different lengths. */
export function checkPaired(values: Numbers, y: readonly number[], what: string): void {
  if (values.length !== y.length) throw new Error(`${what}: ${values.length} scores but ${y.length} labels: they must pair up row by row`);
  if (values.length === 0) throw new Error(`${what}: no rows`);
}

/** Row indices sorted by value, ascending or descending; equal values keep their input order (Array.prototype.sort is stable). */
export function order(values: Numbers, direction: 'ascending' | 'descending'): number[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => sign * (values[a]! - values[b]!));
}
