/**
 * The daily diff: each member's properties against what the last successful sync sent them (kept durably as one
 * fingerprint per member), so only members whose values changed are upserted. A member missing from today's data is
 * left alone in HubSpot (their contact keeps its last values; a cancellation arrives as a row with that status).
 */
import { createHash } from 'node:crypto';
import { contactUpdate, type ChurnScore, type ContactUpdate, type MemberFeatures } from './attributes.js';

/** member id → fingerprint of the properties last sent successfully. */
export type SyncedState = ReadonlyMap<string, string>;

/** The same properties always give the same fingerprint, whatever their order. */
export function fingerprint(properties: Readonly<Record<string, string>>): string {
  const canonical = JSON.stringify(Object.keys(properties).sort().map((k) => [k, properties[k]]));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

export type SyncPlan = {
  /** Members to upsert, in member-id order, each with its new fingerprint. */
  changed: (ContactUpdate & { fingerprint: string })[];
  unchanged: number;
  skipped: ContactUpdate[];
  /** Members in the data more than once (the first row counts; an export problem to report, not to sync twice). */
  duplicates: string[];
};

export function planSync(members: Iterable<MemberFeatures>, scores: ReadonlyMap<string, ChurnScore>, state: SyncedState): SyncPlan {
  const plan: SyncPlan = { changed: [], unchanged: 0, skipped: [], duplicates: [] };
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.member_id)) {
      plan.duplicates.push(m.member_id);
      continue;
    }
    seen.add(m.member_id);
    const last = state.get(m.member_id);
    const update = contactUpdate(m, scores.get(m.member_id), last !== undefined);
    if (update.treatment === 'skip') {
      plan.skipped.push(update);
      continue;
    }
    const print = fingerprint(update.properties);
    if (print === last) plan.unchanged++;
    else plan.changed.push({ ...update, fingerprint: print });
  }
  plan.changed.sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  return plan;
}
