import { CHANNELS, CHECKIN_METHODS, CLASS_TYPES } from '@peak/contracts';
import { monthOf, weekday, yearOf, type Zone } from './calendar.js';
import {
  BANDS, CLASS_TYPE_SPECS, MONTH_JOIN_WEIGHT, PLAN_MIX_EXISTING, PLAN_MIX_NEW, PLAN_SPECS, PRE_WINDOW_SHARE_MIN,
  PRE_WINDOW_SHARE_PER_YEAR, PRE_WINDOW_YEARS, ROUTINE_SHARE_EXISTING, ROUTINE_SHARE_NEW, WEEKDAY_JOIN_WEIGHT,
  type Band, type Channel, type CheckinMethod, type Plan, type Platform,
} from './model.js';
import { EmailBook, personName } from './names.js';
import type { Rng } from './rng.js';
import type { Entry, Location, Schedule } from './schedule.js';

/** A transaction waiting for its id (ids follow time order, assigned when its day is written). */
export type TxRecord = {
  ms: number;
  member: Member;
  loc: number;
  type: 'membership' | 'drop_in' | 'class_pack' | 'retail' | 'refund';
  amount: number;
  status: 'settled' | 'pending' | 'failed';
  description: string;
  refundOf: TxRecord | undefined;
  /** Set for a refund that will follow `afterDays` later, for `amount`. */
  refund: { afterDays: number; amount: number } | undefined;
  id: string;
};

/** One simulated member: fixed traits, then the state the day loop moves forward. */
export class Member {
  id = '';
  // Traits.
  hasRoutine = false;
  routine: Entry[] = [];
  // State.
  plan: Plan;
  planChangedMs: number | undefined = undefined;
  /** Log of motivation; visit and app rates scale with exp(x). */
  x: number;
  lastVisitDay: number | undefined;
  lastVisitInWindow: number | undefined = undefined;
  /** The hazard's "days since last visit" is counted from here after a freeze. */
  resumeDay: number;
  visits = 0;
  visitsSinceJoin = 0;
  left = false;
  /** Set once the member has started to drift away: the day they will be gone. */
  fadeUntil: number | undefined = undefined;
  /** Daily drop of log-motivation while fading. */
  fadeStep = 0;
  fadeExplicit = false;
  churnedOn: number | undefined = undefined;
  churnReason: 'inactivity' | 'cancelled' | undefined = undefined;
  cancelledOn: number | undefined = undefined;
  cancelMs: number | undefined = undefined;
  frozenFrom: number | undefined = undefined;
  frozenUntil: number | undefined = undefined;
  freezeMs: number | undefined = undefined;
  packCredits = 0;
  monthKey = -1;
  monthClasses = 0;
  failedAttempts = 0;
  lastDues: TxRecord | undefined = undefined;
  billingDom = 1;

  constructor(
    readonly first: string,
    readonly last: string,
    readonly email: string,
    readonly birthYear: number | undefined,
    readonly optIn: boolean,
    readonly homeLoc: number,
    readonly joinDay: number,
    readonly joinMs: number,
    readonly preWindow: boolean,
    readonly joinPlan: Plan,
    readonly routineWanted: boolean,
    /** Desired visits per week at motivation 1, besides routine classes. */
    public extraRate: number,
    /** Share of non-routine visits that are classes rather than open gym. */
    readonly classShare: number,
    readonly bandWeights: number[],
    readonly typePrefs: number[],
    readonly channelWeights: number[],
    readonly method: CheckinMethod,
    readonly platform: Platform,
    readonly appAffinity: number,
    readonly logProb: number,
    readonly noShowProne: number,
    x: number,
    lastVisitDay: number | undefined,
  ) {
    this.plan = joinPlan;
    this.x = x;
    this.lastVisitDay = lastVisitDay;
    this.resumeDay = joinDay;
  }
}

const weightsOf = <K extends string>(mix: Record<K, number>, keys: readonly K[]): number[] => keys.map((k) => mix[k]);
const PLANS = Object.keys(PLAN_SPECS) as Plan[];
const BAND_SHARE: Record<Band, number> = { early: 0.28, morning: 0.16, lunch: 0.14, evening: 0.42 };
const CHANNEL_SHARE: Record<Channel, number> = { app: 0.6, web: 0.2, front_desk: 0.12, kiosk: 0.08 };
const METHOD_SHARE: Record<CheckinMethod, number> = { app: 0.45, card: 0.35, kiosk: 0.12, front_desk: 0.08 };

/** Cumulative day weights for drawing join days. */
function daySampler(from: number, to: number, weight: (day: number) => number): (rng: Rng) => number {
  const cum: number[] = [];
  let total = 0;
  for (let d = from; d <= to; d++) {
    total += weight(d);
    cum.push(total);
  }
  return (rng) => {
    const r = rng.float() * total;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cum[mid] as number) > r) hi = mid;
      else lo = mid + 1;
    }
    return from + lo;
  };
}

/** A main preference taking `main` of the weight, the rest spread by the population shares. */
function leaning(rng: Rng, shares: number[], main: number): number[] {
  const pick = rng.weighted(shares);
  const total = shares.reduce((s, v) => s + v, 0);
  return shares.map((v, i) => (i === pick ? main : 0) + ((1 - main) * v) / total);
}

/** Members, ids in join order; pre-window members are the survivors of earlier years. */
export function buildPopulation(rng: Rng, args: { members: number; firstDay: number; lastDay: number; locations: Location[]; zone: Zone }): Member[] {
  const days = args.lastDay - args.firstDay + 1;
  const preShare = Math.min(0.97, Math.max(PRE_WINDOW_SHARE_MIN, 1 - (PRE_WINDOW_SHARE_PER_YEAR * days) / 365));
  const seasonal = (d: number) => (MONTH_JOIN_WEIGHT[monthOf(d)] as number) * (WEEKDAY_JOIN_WEIGHT[weekday(d)] as number);
  const inWindow = daySampler(args.firstDay, args.lastDay, seasonal);
  // Older cohorts are thinner: those still members today are the ones who stayed.
  const before = daySampler(args.firstDay - PRE_WINDOW_YEARS * 365, args.firstDay - 1, (d) => seasonal(d) * Math.exp(-(args.firstDay - d) / 500));
  const locWeights = args.locations.map((l) => l.size);
  const emails = new EmailBook();
  const endYear = yearOf(args.lastDay);
  const out: Member[] = [];
  for (let i = 0; i < args.members; i++) {
    const pre = rng.chance(preShare);
    const joinDay = pre ? before(rng) : inWindow(rng);
    const joinMs = args.zone.toUtc(joinDay, rng.int(7 * 60, 20 * 60)) + rng.int(0, 59) * 1000;
    const plan = PLANS[rng.weighted(weightsOf(pre ? PLAN_MIX_EXISTING : PLAN_MIX_NEW, PLANS))] as Plan;
    const spec = PLAN_SPECS[plan];
    const { first, last } = personName(rng);
    const birthYear = rng.chance(0.88) ? endYear - Math.min(78, Math.max(18, Math.round(34 + 10 * rng.normal()))) : undefined;
    const routine = rng.chance(pre ? ROUTINE_SHARE_EXISTING : ROUTINE_SHARE_NEW);
    const typePrefs = CLASS_TYPES.map(() => 0.06);
    const favourites = rng.int(1, 3);
    for (let f = 0; f < favourites; f++) {
      const t = rng.weighted(CLASS_TYPES.map((c) => CLASS_TYPE_SPECS[c].popularity));
      typePrefs[t] = (typePrefs[t] as number) + (f === 0 ? 1 : rng.between(0.3, 0.7));
    }
    const channelWeights = leaning(rng, weightsOf(CHANNEL_SHARE, CHANNELS), 0.8);
    const method = CHECKIN_METHODS[rng.weighted(leaning(rng, weightsOf(METHOD_SHARE, CHECKIN_METHODS), 0.85))] as CheckinMethod;
    const webFirst = (channelWeights[CHANNELS.indexOf('web')] as number) > 0.5;
    const platform: Platform = webFirst && rng.chance(0.7) ? 'web' : rng.chance(0.6) ? 'ios' : 'android';
    const appAffinity = Math.min(4, Math.max(0.05, rng.lognormal(0.8, 0.6))) * (platform === 'web' ? 0.5 : 1);
    const x = pre ? Math.log(routine ? 0.95 : 0.8) + (routine ? 0.2 : 0.35) * rng.normal() : Math.log(1.1) + 0.15 * rng.normal();
    out.push(
      new Member(
        first, last, emails.make(rng, first, last, birthYear), birthYear, rng.chance(0.65), locWeights.length > 0 ? rng.weighted(locWeights) : 0,
        joinDay, joinMs, pre, plan, routine,
        Math.min(6, Math.max(0.3, rng.lognormal(spec.visitsPerWeek, 0.4))), spec.openGym ? rng.between(0.55, 1) : 1,
        leaning(rng, weightsOf(BAND_SHARE, BANDS), 0.7), typePrefs, channelWeights, method, platform, appAffinity,
        rng.between(0, 0.5) * (appAffinity > 1 ? 1.3 : 1), Math.min(4, rng.lognormal(1, 0.5)), Math.max(Math.log(0.05), Math.min(Math.log(1.6), x)),
        pre ? Math.max(joinDay, args.firstDay - rng.int(1, 6)) : undefined,
      ),
    );
  }
  out.sort((a, b) => a.joinMs - b.joinMs);
  out.forEach((m, i) => {
    m.id = `M${String(i + 1).padStart(6, '0')}`;
  });
  return out;
}

/** Expected weekly class visits per home location, to size each timetable. */
export function expectedClassDemand(members: readonly Member[], locations: number, activeShare: number): number[] {
  const demand = new Array<number>(locations).fill(0);
  for (const m of members) demand[m.homeLoc] = (demand[m.homeLoc] as number) + m.extraRate * m.classShare * activeShare;
  return demand;
}

/**
 * Gives routine members one to three fixed weekly classes at their home studio (distinct days),
 * drawn by their type and time preferences and the slot's pull; their other visits shrink to match.
 */
export function assignRoutines(rng: Rng, members: readonly Member[], schedule: Schedule): void {
  for (const m of members) {
    if (!m.routineWanted) continue;
    const entries = schedule.entries[m.homeLoc] ?? [];
    const cap = PLAN_SPECS[m.plan].classCap;
    const wanted = cap !== undefined && cap <= 4 ? 1 : cap !== undefined ? rng.int(1, 2) : rng.weighted([0, 0.35, 0.45, 0.2]);
    const chosen: Entry[] = [];
    for (let k = 0; k < wanted; k++) {
      const open = entries.filter((e) => !chosen.some((c) => c.dow === e.dow));
      if (open.length === 0) break;
      const weights = open.map((e) => {
        const band = m.bandWeights[BANDS.indexOf(e.band)] as number;
        const weekend = e.dow === 0 || e.dow === 6 ? 0.6 : 1;
        return (m.typePrefs[CLASS_TYPES.indexOf(e.type)] as number) * band * weekend * e.weight * e.instructor.popularity;
      });
      chosen.push(open[rng.weighted(weights)] as Entry);
    }
    if (chosen.length === 0) continue;
    m.hasRoutine = true;
    m.routine = chosen;
    m.extraRate = Math.max(0.15, m.extraRate - chosen.length * 0.9) * 0.7;
  }
}

