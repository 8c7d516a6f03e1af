import { createHash } from 'node:crypto';

/**
 * The marketing holdout group: members who get no marketing email and no HubSpot campaign, so the campaigns' effect
 * on retention can be measured against them. Membership is a pure function of the member id — the same answer in
 * crm-sync (the `peak_marketing_holdout` contact property), the notifier and the `marketing_holdout` relation — and
 * never changes, whatever studio the member moves to. A hash spreads ids evenly, so every studio holds ~the share.
 */
export const HOLDOUT_SHARE = 0.1;
/** Part of the hash input: a new experiment (a fresh random split) changes it. */
export const HOLDOUT_SALT = 'peak-holdout-2026';
export const HOLDOUT_BUCKETS = 10_000;

/** The member's bucket, 0–9999. */
export function holdoutBucket(memberId: string, salt = HOLDOUT_SALT): number {
  return createHash('sha256').update(`${salt}:${memberId}`).digest().readUInt32BE(0) % HOLDOUT_BUCKETS;
}

/** Raising the share only adds members to the holdout (buckets below the new bound), never moves one out. */
export function inHoldout(memberId: string, share = HOLDOUT_SHARE, salt = HOLDOUT_SALT): boolean {
  return holdoutBucket(memberId, salt) < Math.round(share * HOLDOUT_BUCKETS);
}
