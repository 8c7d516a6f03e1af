/**
 * Bounce and complaint rates over a rolling window of UTC days, from the SES events counted once each. Bounce rate =
 * permanent bounces / sends (SES's own reputation measure); complaint rate = complaints / deliveries (what mailbox
 * providers measure). The alarms sit below the ceilings that get a sender blocked: Gmail and Yahoo block bulk senders
 * at 0.3% complaints and ask for under 0.1%, so the complaint alarm is at 0.1%; SES reviews accounts at 5% bounces,
 * so the bounce alarm is at 2%. Below `minVolume` sends a rate is reported but raises no alarm (one bounce in ten
 * emails says nothing).
 */
import type { DayCounts, EventStore } from './event-store.js';

export const DELIVERABILITY_THRESHOLDS = { complaintRate: 0.001, bounceRate: 0.02, minVolume: 200 } as const;

export type Deliverability = {
  from: string;
  to: string;
  totals: Omit<DayCounts, 'day'>;
  bounceRate: number | null;
  complaintRate: number | null;
  thresholds: typeof DELIVERABILITY_THRESHOLDS;
  status: 'ok' | 'alarm' | 'low_volume';
  alarms: string[];
  days: DayCounts[];
};

const dayBefore = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
const percent = (x: number) => `${(x * 100).toFixed(2)}%`;

export async function deliverability(events: EventStore, opts: { days?: number; now?: () => number } = {}): Promise<Deliverability> {
  const span = opts.days ?? 7;
  const today = new Date((opts.now ?? Date.now)()).toISOString().slice(0, 10);
  const wanted = Array.from({ length: span }, (_, i) => dayBefore(today, span - 1 - i));
  const days = await events.days(wanted);
  const totals = { sends: 0, deliveries: 0, hardBounces: 0, softBounces: 0, complaints: 0, rejects: 0, renderingFailures: 0, delays: 0 };
  for (const d of days) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += d[k];
  const bounceRate = totals.sends > 0 ? totals.hardBounces / totals.sends : null;
  const complaintRate = totals.deliveries > 0 ? totals.complaints / totals.deliveries : null;
  const t = DELIVERABILITY_THRESHOLDS;
  const alarms: string[] = [];
  if (totals.sends >= t.minVolume) {
    if (complaintRate !== null && complaintRate >= t.complaintRate) {
      alarms.push(`complaint rate ${percent(complaintRate)} over ${span} days is at or above ${percent(t.complaintRate)} (mailbox providers block bulk senders at 0.30%): pause campaigns and check who is being mailed`);
    }
    if (bounceRate !== null && bounceRate >= t.bounceRate) {
      alarms.push(`bounce rate ${percent(bounceRate)} over ${span} days is at or above ${percent(t.bounceRate)} (SES reviews accounts at 5%): check the member addresses being imported`);
    }
  }
  const status = alarms.length > 0 ? 'alarm' : totals.sends < t.minVolume ? 'low_volume' : 'ok';
  return { from: wanted[0] as string, to: today, totals, bounceRate, complaintRate, thresholds: t, status, alarms, days };
}
