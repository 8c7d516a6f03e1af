/**
 * What the send-time re-check needs to know about a member: the newest check-in the lake holds and the membership
 * status. Read from the lake through the analytics engine (DuckDB locally, Athena in AWS) as one snapshot of every
 * member, refreshed when older than `maxAgeMs` — one query every few minutes instead of one per email. A check-in is
 * therefore seen once the lake has it (ingest's micro-batches, then the ETL) plus at most `maxAgeMs`.
 */
import { dateParam, sql, type QueryEngine } from '@peak/analytics';

export type MemberState = { status: string; lastCheckInAt?: string };

export interface MemberActivity {
  /** The members' state; a member the lake does not know is absent from the map. */
  lookup(memberIds: readonly string[]): Promise<Map<string, MemberState>>;
}

export type LakeActivityOptions = {
  maxAgeMs?: number;
  /** Check-ins older than this are not read: an email is planned from the lake and sent within days, never more. */
  lookbackDays?: number;
  timeoutMs?: number;
  now?: () => number;
};

export class LakeMemberActivity implements MemberActivity {
  private snapshot?: { at: number; members: Map<string, MemberState> };
  private loading?: Promise<Map<string, MemberState>>;
  private readonly now: () => number;

  constructor(
    private readonly engine: QueryEngine,
    private readonly opts: LakeActivityOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  async lookup(memberIds: readonly string[]): Promise<Map<string, MemberState>> {
    const members = await this.current();
    const found = new Map<string, MemberState>();
    for (const id of memberIds) {
      const state = members.get(id);
      if (state) found.set(id, state);
    }
    return found;
  }

  /** Forgets the snapshot (a processed batch arrived): the next lookup reads the lake again. */
  invalidate(): void {
    this.snapshot = undefined;
  }

  private async current(): Promise<Map<string, MemberState>> {
    const maxAge = this.opts.maxAgeMs ?? 5 * 60_000;
    if (this.snapshot && this.now() - this.snapshot.at < maxAge) return this.snapshot.members;
    // One load at a time: the consumers' batches arriving together share it.
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<Map<string, MemberState>> {
    const at = this.now();
    const since = new Date(at - (this.opts.lookbackDays ?? 30) * 86_400_000).toISOString().slice(0, 10);
    const q = sql`SELECT m.member_id, m.status, a.last_check_in
FROM dim_members m
LEFT JOIN (
  SELECT member_id, max(checked_in_at) AS last_check_in FROM fact_attendance WHERE dt >= ${dateParam(since)} GROUP BY member_id
) a ON a.member_id = m.member_id`;
    const result = await this.engine.query(q.text, { params: q.params, timeoutMs: this.opts.timeoutMs ?? 60_000 });
    const members = new Map<string, MemberState>();
    for (const row of result.rows) {
      const last = row.last_check_in;
      members.set(String(row.member_id), { status: String(row.status), ...(typeof last === 'string' ? { lastCheckInAt: last } : {}) });
    }
    this.snapshot = { at, members };
    return members;
  }
}
