/** One CRM API request as the sandbox answered it. */
export type RecordedRequest = {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, unknown>;
  /** The parsed JSON body (absent when there was none or it did not parse). */
  body?: unknown;
  status: number;
  /** When it arrived, by the sandbox clock. */
  at: string;
  /** Real time spent answering it. */
  durationMs: number;
  correlationId: string;
};

/** The last `capacity` CRM requests, oldest first, so tests can assert on what a client sent and what it got. */
export class Recorder {
  private requests: RecordedRequest[] = [];
  private droppedCount = 0;

  constructor(readonly capacity: number) {}

  record(request: RecordedRequest): void {
    if (this.capacity === 0) return;
    this.requests.push(request);
    // A long run (a benchmark) must not grow without bound: the oldest go first.
    if (this.requests.length > this.capacity) {
      const excess = this.requests.length - this.capacity;
      this.requests.splice(0, excess);
      this.droppedCount += excess;
    }
  }

  list(filter: { method?: string; path?: string } = {}): RecordedRequest[] {
    return this.requests.filter((r) => (filter.method === undefined || r.method === filter.method) && (filter.path === undefined || r.path === filter.path));
  }

  /** Requests recorded and then dropped for capacity since the last clear. */
  get dropped(): number {
    return this.droppedCount;
  }

  clear(): void {
    this.requests = [];
    this.droppedCount = 0;
  }
}
