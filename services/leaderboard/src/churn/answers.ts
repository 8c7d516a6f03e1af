import { latestScoresDay, readRegistry, scoresKey, type AnalyticsContext } from '@peak/churn';

export type ChurnSource = Pick<AnalyticsContext, 'engine' | 'lake'>;

/**
 * What the answers of one kind depend on. `scores`: the newest scores day and when its file was written (a re-run of
 * the day, with another model or later data, replaces the file). `model`: the champion and how many runs the registry
 * holds (a run that is not promoted still adds to the report's history).
 */
type Edition = { key: string; day: string | undefined };
export type AnswerKind = 'scores' | 'model';

export type ChurnAnswersOptions = {
  /** How long an edition is trusted before it is looked up again (default 5 s). */
  recheckMs?: number;
  /** Answers kept at most (page × filter combinations are many); the least recently used go first. */
  maxAnswers?: number;
  timeoutMs?: number;
  now?: () => number;
};

export const DEFAULT_RECHECK_MS = 5_000;

/**
 * The churn answers, kept in memory. Scores change once a day, so every answer is kept per (edition, query): the
 * edition — newest day and its file, or champion and registry — is looked up at most once every `recheckMs`, and a
 * burst of dashboard requests shares one lookup and one computation (in flight or done). Failures are never kept.
 */
export class ChurnAnswers {
  private readonly editions = new Map<AnswerKind, { at: number; value: Promise<Edition> }>();
  private readonly kept = new Map<string, { edition: string; value: Promise<unknown> }>();
  private readonly recheckMs: number;
  private readonly maxAnswers: number;
  private readonly now: () => number;

  constructor(
    readonly source: ChurnSource,
    private readonly options: ChurnAnswersOptions = {},
  ) {
    this.recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
    this.maxAnswers = options.maxAnswers ?? 500;
    this.now = options.now ?? (() => performance.now());
  }

  private edition(kind: AnswerKind): Promise<Edition> {
    const seen = this.editions.get(kind);
    if (seen && this.now() - seen.at < this.recheckMs) return seen.value;
    const value = kind === 'scores' ? this.scoresEdition() : this.modelEdition();
    this.editions.set(kind, { at: this.now(), value });
    value.catch(() => {
      if (this.editions.get(kind)?.value === value) this.editions.delete(kind);
    });
    return value;
  }

  private async scoresEdition(): Promise<Edition> {
    const day = await latestScoresDay(this.source.engine, this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs });
    if (day === undefined) return { key: 'none', day };
    const file = await this.source.lake.head(scoresKey(day));
    return { key: `${day}@${file?.lastModified.toISOString() ?? 'gone'}`, day };
  }

  private async modelEdition(): Promise<Edition> {
    const registry = await readRegistry(this.source.lake);
    return { key: `${registry.champion ?? 'none'}#${registry.entries.length}`, day: undefined };
  }

  /** The answer to `query` in the kind's current edition: computed once, then kept until the edition changes. */
  async answer<T>(kind: AnswerKind, query: string, compute: (day: string | undefined) => Promise<T>): Promise<T> {
    const edition = await this.edition(kind);
    const id = `${kind} ${query}`;
    const hit = this.kept.get(id);
    if (hit && hit.edition === edition.key) {
      this.kept.delete(id); // re-inserted: the map's order is least recently used first
      this.kept.set(id, hit);
      return hit.value as Promise<T>;
    }
    const value = compute(edition.day);
    this.kept.delete(id);
    this.kept.set(id, { edition: edition.key, value });
    value.catch(() => {
      if (this.kept.get(id)?.value === value) this.kept.delete(id);
    });
    for (const old of this.kept.keys()) {
      if (this.kept.size <= this.maxAnswers) break;
      this.kept.delete(old);
    }
    return value;
  }

  /** How many answers are kept (for tests). */
  get size(): number {
    return this.kept.size;
  }
}
