/** The status card's words for a `/ready` answer (pure; the page in pages/status.ts draws them). */
import type { ReadyResponse } from './api.js';

export type CheckLine = { name: string; ok: boolean; detail: string };

/** One line per dependency: "answers", or the state with the reason when `/ready` gives one (locally). */
export function checkLines(body: ReadyResponse): CheckLine[] {
  return Object.entries(body.checks ?? {}).map(([name, state]) => {
    const ok = state === 'ok';
    const reason = body.details?.[name];
    return { name, ok, detail: ok ? 'answers' : reason ? `${state}: ${reason}` : String(state) };
  });
}

/** "Every dependency answers.", "1 of 2 dependencies does not answer.", "2 of 2 dependencies do not answer." */
export function readySummary(lines: readonly CheckLine[]): string {
  if (lines.length === 0) return 'The service reports no dependencies to check.';
  const failing = lines.filter((l) => !l.ok).length;
  if (failing === 0) return 'Every dependency answers.';
  return `${failing} of ${lines.length} ${lines.length === 1 ? 'dependency' : 'dependencies'} ${failing === 1 ? 'does' : 'do'} not answer.`;
}
