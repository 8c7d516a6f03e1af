/**
 * The daily diff: each member's properties against what crm-sync last sent them and HubSpot accepted (kept durably,
 * state.ts), so only members whose values changed are upserted — plus the members that failed last time (retried,
 * their reason kept), and everyone on a full resync. A member missing from today's data is left alone in HubSpot
 * (their contact keeps its last values; a cancellation arrives as a row with that status).
 */
import { contactUpdate, type AttributeRules, type ChurnScore, type ContactUpdate, type MemberFeatures } from './attributes.js';

/** Why a member failed before: kept until they are sent successfully. */
export type Failure = { category: string; message: string; firstFailedAt: string; lastFailedAt: string; attempts: number };

export type SyncState = {
  /** member id → the properties HubSpot holds from crm-sync (every accepted update merged). */
  members: ReadonlyMap<string, Readonly<Record<string, string>>>;
  failures: ReadonlyMap<string, Failure>;
};
export const emptyState = (): SyncState => ({ members: new Map(), failures: new Map() });

/** A property that changed: [old, new]; old is null when the member was never synced. */
export type PropertyChange = [string | null, string];

export type PlannedChange = ContactUpdate & {
  /** The properties that differ from what HubSpot holds (all of them for a member never synced). */
  changes: Record<string, PropertyChange>;
  /** The failure of an earlier run this send retries. */
  retryOf?: Failure;
};

export type SyncPlan = {
  /** Members to upsert, in member-id order. Each is sent with every property (self-healing if a contact was edited or deleted). */
  changed: PlannedChange[];
  unchanged: number;
  skipped: ContactUpdate[];
  /** Members in the data more than once (the first row counts; an export problem to report, not to sync twice). */
  duplicates: { memberId: string; homeLocation: string | null }[];
};

export type PlanOptions = AttributeRules & {
  /** Send every member, changed or not (a full resync: after HubSpot was restored, or properties edited by hand). */
  fullResync?: boolean;
};

/** The properties of `next` whose value differs from `last`. */
export function changedProperties(next: Readonly<Record<string, string>>, last: Readonly<Record<string, string>> | undefined): Record<string, PropertyChange> {
  const changes: Record<string, PropertyChange> = {};
  for (const [name, value] of Object.entries(next)) {
    const before = last?.[name];
    if (before !== value) changes[name] = [before ?? null, value];
  }
  return changes;
}

/** Adds members to a plan one at a time; `done()` sorts it. */
function planner(scores: ReadonlyMap<string, ChurnScore>, state: SyncState, options: PlanOptions) {
  const plan: SyncPlan = { changed: [], unchanged: 0, skipped: [], duplicates: [] };
  const seen = new Set<string>();
  return {
    add(m: MemberFeatures): void {
      if (seen.has(m.member_id)) {
        plan.duplicates.push({ memberId: m.member_id, homeLocation: m.home_location_id });
        return;
      }
      seen.add(m.member_id);
      const last = state.members.get(m.member_id);
      const update = contactUpdate(m, scores.get(m.member_id), last, options);
      if (update.treatment === 'skip') {
        plan.skipped.push(update);
        return;
      }
      const changes = changedProperties(update.properties, last);
      const retryOf = state.failures.get(m.member_id);
      if (Object.keys(changes).length === 0 && !retryOf && !options.fullResync) {
        plan.unchanged++;
        return;
      }
      const reason = retryOf ? `${update.reason}; retry after ${retryOf.category}` : options.fullResync && !Object.keys(changes).length ? `${update.reason}; full resync` : update.reason;
      plan.changed.push({ ...update, reason, changes, ...(retryOf ? { retryOf } : {}) });
    },
    done(): SyncPlan {
      plan.changed.sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
      return plan;
    },
  };
}

export function planSync(members: Iterable<MemberFeatures>, scores: ReadonlyMap<string, ChurnScore>, state: SyncState, options: PlanOptions = {}): SyncPlan {
  const p = planner(scores, state, options);
  for (const m of members) p.add(m);
  return p.done();
}

/** The same plan, handing the event loop back every `slice` members: /health keeps answering and HubSpot calls keep going out. */
export async function planSyncYielding(members: readonly MemberFeatures[], scores: ReadonlyMap<string, ChurnScore>, state: SyncState, options: PlanOptions = {}, slice = 2_000): Promise<SyncPlan> {
  const p = planner(scores, state, options);
  for (let i = 0; i < members.length; i += slice) {
    for (const m of members.slice(i, i + slice)) p.add(m);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return p.done();
}
