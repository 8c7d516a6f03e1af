import type { LiveHub, LiveMessage } from './live.js';

/**
 * Answers of the board reads kept in memory until the board changes. The apply script publishes every change and the
 * rebuild a reset; the cache listens on the live channel and drops a board's answers on its first change, everything
 * on a reset or when the subscription drops (changes might be missed then, so nothing is served from memory until it
 * is back). A short maximum age bounds what a lost message could cost. Reads of a quiet board cost no Redis trip.
 */
export class BoardAnswerCache {
  private readonly boards = new Map<string, Map<string, { at: number; value: unknown }>>();
  private size = 0;
  /** Bumped by every change of a board (and every reset): an answer read across a change is not kept. */
  private readonly changes = new Map<string, number>();
  private resets = 0;
  /** Reads under way, so that requests arriving together share one (a change makes every request miss at once). */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly live: LiveHub,
    private readonly maxAgeMs = 1_000,
    private readonly maxEntries = 20_000,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Starts listening (one subscription per process, shared with the live streams). */
  async start(): Promise<() => Promise<void>> {
    return this.live.add((m: LiveMessage) => ('reset' in m ? this.clear() : this.drop(m.board)));
  }

  /** The kept answer, or the one `read` gives (kept only while changes are heard). */
  async get<T>(board: string, query: string, read: () => Promise<T>): Promise<T> {
    const kept = this.boards.get(board)?.get(query);
    if (kept && this.live.connected && this.clock() - kept.at < this.maxAgeMs) return kept.value as T;
    const flightKey = `${board}\n${query}`;
    const flying = this.inFlight.get(flightKey);
    if (flying) return flying as Promise<T>;
    const reading = this.read(board, query, read).finally(() => this.inFlight.delete(flightKey));
    this.inFlight.set(flightKey, reading);
    return reading;
  }

  private async read<T>(board: string, query: string, read: () => Promise<T>): Promise<T> {
    const at = this.clock();
    const [changes, resets] = [this.changes.get(board) ?? 0, this.resets];
    const value = await read();
    if (this.live.connected && changes === (this.changes.get(board) ?? 0) && resets === this.resets) {
      if (this.size >= this.maxEntries) this.clear(); // crude but bounded: a burst of distinct queries starts over
      const answers = this.boards.get(board) ?? new Map<string, { at: number; value: unknown }>();
      this.boards.set(board, answers);
      if (!answers.has(query)) this.size++;
      answers.set(query, { at, value });
    }
    return value;
  }

  clear(): void {
    this.boards.clear();
    this.size = 0;
    this.resets++;
  }

  private drop(board: string): void {
    this.changes.set(board, (this.changes.get(board) ?? 0) + 1);
    const answers = this.boards.get(board);
    if (!answers) return;
    this.size -= answers.size;
    this.boards.delete(board);
  }
}
