import type { Json } from '@duckdb/node-api';
import type { SandboxResult } from './sandbox.js';

/** Widest a cell prints before it is cut with `…` (a wide table wraps into unreadable lines). */
const MAX_CELL = 60;

const cellText = (value: Json): string => {
  if (value === null) return 'NULL';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  const oneLine = text.replaceAll('\n', '↵');
  return oneLine.length > MAX_CELL ? `${oneLine.slice(0, MAX_CELL - 1)}…` : oneLine;
};

/**
 * A result as an aligned text table (numbers right-aligned), then the row count and time. EXPLAIN's
 * plan is printed as it is: its boxes are the table.
 */
export function formatResult(result: SandboxResult): string {
  const footer = `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'}${result.truncated ? ', truncated: the sandbox returns at most this many' : ''}; ${result.elapsedMs} ms)`;
  if (result.columns.length === 2 && result.columns[0]?.name === 'explain_key') {
    return [...result.rows.map((row) => String(row[1] ?? '')), footer].join('\n');
  }
  const header = result.columns.map((c) => c.name);
  const cells = result.rows.map((row) => row.map(cellText));
  const numeric = result.rows.length > 0 ? result.columns.map((_, i) => result.rows.every((row) => row[i] === null || typeof row[i] === 'number')) : [];
  const widths = header.map((name, i) => Math.max(name.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (values: string[], alignNumbers: boolean) =>
    values.map((v, i) => (alignNumbers && numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join(' │ ');
  return [line(header, false), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...cells.map((row) => line(row, true)), footer].join('\n');
}
