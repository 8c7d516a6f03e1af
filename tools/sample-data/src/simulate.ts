import { CHANNELS, FEEDBACK_CHANNELS, type AttendanceRow, type ClassFeedbackRow, type ENGAGEMENT_EVENTS, type EngagementRow, type SignupRow, type TransactionRow } from '@peak/contracts';
import { DAY_MS, MINUTE_MS, dayOfMonth, isoTimestamp, monthKey, monthOf, weekday, type Zone } from './calendar.js';
import {
  APP_SESSIONS_PER_DAY, BAND_RANGE, BANDS, BOOKING_OUTCOMES, DROP_IN_PRICE, FADE, FEEDBACK, FEEDBACK_COMMENTS, FREEZE_DAILY, HAZARD, INTRO_CONVERSION, INTRO_DAYS,
  LATE_FORMAL_CANCEL, MONTH_VISIT_FACTOR, MOTIVATION, OTHER_LOCATION_SHARE, PACK_CLASSES, PAYMENT_FAILURE, PAYMENT_MAX_ATTEMPTS,
  PAYMENT_RETRY_DAYS, PLAN_SPECS, REFUND_RATE, RETAIL_ITEMS, RETAIL_PER_VISIT, WEEKDAY_VISIT_WEIGHT,
  type Band, type Channel, type Plan, type Platform,
} from './model.js';
import type { Member, TxRecord } from './population.js';
import type { Rng } from './rng.js';
import { isClosed, type Schedule, type Session } from './schedule.js';
import type { ExportWriter } from './writers.js';

/** Days after the last simulated day whose classes are already bookable (status `booked` at export). */
export const FUTURE_DAYS = 7;

type EventType = (typeof ENGAGEMENT_EVENTS)[number];
type Intent = { m: Member; session: Session; bookedMs: number; channel: Channel };
type Checkin = { ms: number; m: Member; classId: string | undefined; loc: number };
type AppEvent = { ms: number; m: Member; type: EventType; platform: Platform; session: string | undefined; duration: number | undefined };
type Rating = Omit<ClassFeedbackRow, 'feedback_id' | 'submitted_at'> & { ms: number };
type Action =
  | { kind: 'bill'; m: Member; retry: boolean }
  | { kind: 'introEnd'; m: Member }
  | { kind: 'formalCancel'; m: Member }
  | { kind: 'refund'; tx: TxRecord; amount: number };

export type Sinks = {
  signups: ExportWriter<SignupRow>;
  attendance: ExportWriter<AttendanceRow>;
  transactions: ExportWriter<TransactionRow>;
  engagement: ExportWriter<EngagementRow>;
  class_feedback: ExportWriter<ClassFeedbackRow>;
};

const WEEKEND_BANDS = [0, 0.82, 0.12, 0.06];
const round2 = (v: number): number => Math.round(v * 100) / 100;
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
const X_MIN = Math.log(MOTIVATION.min);
const X_MAX = Math.log(MOTIVATION.max);
const MONTHLY: ReadonlySet<Plan> = new Set(['unlimited', 'eight_per_month', 'four_per_month']);

function findSession(sessions: Session[] | undefined, e: Session['entry']): Session | undefined {
  if (!sessions) return undefined;
  for (const s of sessions) if (s.entry === e) return s;
  return undefined;
}

/** First day strictly after `day` falling on day-of-month `dom` (≤ 28, so every month has it). */
function nextMonthly(day: number, dom: number): number {
  const d = new Date(day * DAY_MS);
  let candidate = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), dom) / DAY_MS;
  if (candidate <= day) candidate = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, dom) / DAY_MS;
  return candidate;
}
/** First anniversary of `joinDay` on or after `from`. */
function nextAnniversary(joinDay: number, from: number): number {
  const j = new Date(joinDay * DAY_MS);
  for (let y = new Date(from * DAY_MS).getUTCFullYear() - 1; ; y++) {
    const candidate = Date.UTC(y, j.getUTCMonth(), Math.min(28, j.getUTCDate())) / DAY_MS;
    if (candidate >= from && candidate > joinDay) return candidate;
  }
}

/**
 * The day loop. Each local day: joins, bills and other scheduled actions, then every present member
 * may freeze, drift, leave, or decide to visit; bookings for the day are settled in booking-time order
 * against class capacity; check-ins, payments and app events follow from what happened.
 */
export class Simulation {
  private readonly agenda = new Map<number, Action[]>();
  private active: Member[] = [];
  private nextJoin = 0;
  private signupSeq = 0;
  private checkinSeq = 0;
  private txSeq = 0;
  private eventSeq = 0;
  private feedbackSeq = 0;
  private sessionSeq = 0;
  private checkins: Checkin[] = [];
  private txs: TxRecord[] = [];
  private readonly events = new Map<number, AppEvent[]>();
  /** Ratings by UTC day of submission, written once no later class can add to the day. */
  private readonly ratings = new Map<number, Rating[]>();
  private readonly locSlugs: string[];
  /** Scratch array for class choice (reused: this runs for every visit). */
  private readonly weights: number[] = [];

  constructor(
    private readonly rng: Rng,
    private readonly appRng: Rng,
    private readonly feedbackRng: Rng,
    private readonly members: readonly Member[],
    private readonly schedule: Schedule,
    private readonly zone: Zone,
    private readonly firstDay: number,
    private readonly lastDay: number,
    private readonly exportAtMs: number,
    private readonly sinks: Sinks,
  ) {
    this.locSlugs = schedule.locations.map((l) => l.slug);
  }

  async run(onDay: (done: number, total: number) => void): Promise<void> {
    while (this.nextJoin < this.members.length && (this.members[this.nextJoin] as Member).joinDay < this.firstDay) {
      this.start(this.members[this.nextJoin++] as Member, this.firstDay);
    }
    const total = this.lastDay + FUTURE_DAYS - this.firstDay + 1;
    for (let day = this.firstDay; day <= this.lastDay + FUTURE_DAYS; day++) {
      const past = day <= this.lastDay;
      if (past) {
        while (this.nextJoin < this.members.length && (this.members[this.nextJoin] as Member).joinDay === day) {
          this.start(this.members[this.nextJoin++] as Member, day);
        }
        this.runAgenda(day);
      }
      this.simulateMembers(day, past);
      if (past) this.flushDay();
      this.flushEvents(day - 9);
      this.flushRatings(day - 1);
      this.active = this.active.filter((m) => !m.left && m.cancelledOn === undefined);
      await Promise.all([
        this.sinks.signups.drain(), this.sinks.attendance.drain(), this.sinks.transactions.drain(), this.sinks.engagement.drain(), this.sinks.class_feedback.drain(),
      ]);
      onDay(day - this.firstDay + 1, total);
    }
    this.flushEvents(Number.POSITIVE_INFINITY);
    this.flushRatings(Number.POSITIVE_INFINITY);
  }

  // ── membership lifecycle ────────────────────────────────────────────────

  private start(m: Member, day: number): void {
    this.active.push(m);
    const spec = PLAN_SPECS[m.plan];
    m.billingDom = Math.min(28, dayOfMonth(m.joinDay));
    if (m.preWindow) {
      if (spec.period === 'month') this.schedule_(nextMonthly(day - 1, m.billingDom), { kind: 'bill', m, retry: false });
      if (spec.period === 'year') this.schedule_(nextAnniversary(m.joinDay, day), { kind: 'bill', m, retry: false });
      if (spec.period === 'pack') m.packCredits = this.rng.int(1, PACK_CLASSES);
      return;
    }
    const ms = m.joinMs + this.rng.int(60, 600) * 1000;
    if (spec.period === 'pack') {
      m.packCredits = PACK_CLASSES;
      this.tx(m, ms, m.homeLoc, 'class_pack', spec.price, spec.description, 'settled');
      return;
    }
    m.lastDues = this.tx(m, ms, m.homeLoc, 'membership', spec.price, spec.description, this.duesStatus(ms));
    if (spec.period === 'month') this.schedule_(nextMonthly(day, m.billingDom), { kind: 'bill', m, retry: false });
    if (spec.period === 'year') this.schedule_(nextAnniversary(m.joinDay, day + 1), { kind: 'bill', m, retry: false });
    if (spec.period === 'intro') this.schedule_(day + INTRO_DAYS, { kind: 'introEnd', m });
  }

  private schedule_(day: number, action: Action): void {
    if (day > this.lastDay) return;
    const list = this.agenda.get(day);
    if (list) list.push(action);
    else this.agenda.set(day, [action]);
  }

  private runAgenda(day: number): void {
    const list = this.agenda.get(day);
    if (!list) return;
    this.agenda.delete(day);
    for (const a of list) {
      if (a.kind === 'bill') this.bill(a.m, day, a.retry);
      else if (a.kind === 'introEnd') this.introEnd(a.m, day);
      else if (a.kind === 'formalCancel') {
        if (a.m.cancelledOn === undefined) this.cancelMembership(a.m, day, false);
      } else this.refund(a.tx, a.amount, day);
    }
  }

  private bill(m: Member, day: number, retry: boolean): void {
    if (m.cancelledOn !== undefined) return;
    const spec = PLAN_SPECS[m.plan];
    if (!retry) {
      const next = spec.period === 'year' ? nextAnniversary(m.joinDay, day + 1) : nextMonthly(day, m.billingDom);
      this.schedule_(next, { kind: 'bill', m, retry: false });
    }
    if (m.frozenUntil !== undefined && m.frozenFrom !== undefined && day >= m.frozenFrom && day < m.frozenUntil) return;
    // Members who drifted away mostly let an annual plan lapse instead of renewing.
    if (spec.period === 'year' && m.left && !retry && this.rng.chance(0.8)) {
      this.cancelMembership(m, day, false);
      return;
    }
    const ms = this.zone.toUtc(day, this.rng.int(3 * 60, 6 * 60)) + this.rng.int(0, 59) * 1000;
    const failed = this.rng.chance(PAYMENT_FAILURE);
    const t = this.tx(m, ms, m.homeLoc, 'membership', spec.price, retry ? `${spec.description} (retry)` : spec.description, failed ? 'failed' : this.duesStatus(ms));
    if (!failed) {
      m.failedAttempts = 0;
      m.lastDues = t;
      return;
    }
    m.failedAttempts++;
    if (m.failedAttempts >= PAYMENT_MAX_ATTEMPTS) {
      // Involuntary churn: the card kept failing, the studio ends the membership.
      if (m.left) this.cancelMembership(m, day, false);
      else this.leave(m, day, 'cancelled');
      return;
    }
    this.schedule_(day + PAYMENT_RETRY_DAYS, { kind: 'bill', m, retry: true });
  }

  private introEnd(m: Member, day: number): void {
    if (m.cancelledOn !== undefined) return;
    if (m.left) {
      this.cancelMembership(m, day, false);
      return;
    }
    if (m.fadeUntil !== undefined) {
      // Already drifting away: the intro simply lapses.
      this.leave(m, day, 'inactivity');
      this.cancelMembership(m, day, false);
      return;
    }
    if (!this.rng.chance(Math.min(0.8, 0.3 + 0.06 * m.visitsSinceJoin))) {
      this.leave(m, day, 'cancelled');
      return;
    }
    const plans = Object.keys(INTRO_CONVERSION) as Plan[];
    m.plan = plans[this.rng.weighted(plans.map((p) => INTRO_CONVERSION[p] as number))] as Plan;
    const spec = PLAN_SPECS[m.plan];
    m.extraRate = Math.min(m.extraRate, spec.visitsPerWeek * 1.2);
    m.billingDom = Math.min(28, dayOfMonth(day));
    const ms = this.zone.toUtc(day, this.rng.int(8 * 60, 20 * 60));
    m.planChangedMs = ms;
    m.lastDues = this.tx(m, ms + 60_000, m.homeLoc, 'membership', spec.price, spec.description, this.duesStatus(ms));
    this.schedule_(nextMonthly(day, m.billingDom), { kind: 'bill', m, retry: false });
  }

  /** The member is gone: cancelled now, or drifted away (last visit is the churn day). */
  private leave(m: Member, day: number, reason: 'inactivity' | 'cancelled'): void {
    m.left = true;
    m.churnReason = reason;
    if (reason === 'cancelled') {
      m.churnedOn = day;
      if (m.cancelledOn === undefined) this.cancelMembership(m, day, true);
      return;
    }
    m.churnedOn = m.lastVisitDay ?? m.joinDay;
    if (MONTHLY.has(m.plan) && this.rng.chance(LATE_FORMAL_CANCEL)) {
      this.schedule_(Math.max(day + 1, (m.lastVisitDay ?? day) + this.rng.int(14, 90)), { kind: 'formalCancel', m });
    }
  }

  private cancelMembership(m: Member, day: number, mayRefund: boolean): void {
    m.cancelledOn = day;
    m.cancelMs = this.zone.toUtc(day, this.rng.int(8 * 60, 21 * 60)) + this.rng.int(0, 59) * 1000;
    const dues = m.lastDues;
    if (!mayRefund || !dues || dues.status !== 'settled') return;
    const since = Math.floor((m.cancelMs - dues.ms) / DAY_MS);
    const period = PLAN_SPECS[m.plan].period === 'year' ? 365 : 30;
    // A member who cancels soon after being charged often gets the unused part back.
    if (since <= 10 && this.rng.chance(REFUND_RATE.cancelledDues)) {
      const amount = round2(dues.amount * (1 - since / period));
      if (amount > 0) this.schedule_(day + this.rng.int(1, 4), { kind: 'refund', tx: dues, amount });
    }
  }

  private refund(original: TxRecord, amount: number, day: number): void {
    const ms = this.zone.toUtc(day, this.rng.int(10 * 60, 18 * 60)) + this.rng.int(0, 59) * 1000;
    const t = this.tx(original.member, ms, original.loc, 'refund', amount, `Refund: ${original.description}`, 'settled');
    t.refundOf = original;
  }

  private duesStatus(ms: number): 'settled' | 'pending' {
    // Card batches settle the next day, so the last day's dues are often still pending at export.
    return ms > this.exportAtMs - DAY_MS && this.rng.chance(0.5) ? 'pending' : 'settled';
  }

  private tx(m: Member, ms: number, loc: number, type: TxRecord['type'], amount: number, description: string, status: TxRecord['status']): TxRecord {
    let refund: TxRecord['refund'];
    if (status === 'settled' && (type === 'retail' || type === 'class_pack' || type === 'drop_in')) {
      const rate = REFUND_RATE[type];
      if (this.rng.chance(rate)) refund = { afterDays: this.rng.int(1, type === 'retail' ? 21 : 10), amount };
    }
    const t: TxRecord = { ms, member: m, loc, type, amount: round2(amount), status, description, refundOf: undefined, refund, id: '' };
    this.txs.push(t);
    return t;
  }

  // ── daily behaviour ─────────────────────────────────────────────────────

  private simulateMembers(day: number, past: boolean): void {
    const rng = this.rng;
    const dow = weekday(day);
    const month = monthOf(day);
    const closed = isClosed(day);
    const mk = monthKey(day);
    const holidayDip = month === 11 && dayOfMonth(day) >= 20 ? 0.75 : 1;
    const season = (MONTH_VISIT_FACTOR[month] as number) * holidayDip;
    const dayWeight = (WEEKDAY_VISIT_WEIGHT[dow] as number) / 7;
    const sessions = this.schedule.byDay[day - this.firstDay] ?? [];
    const intents: Intent[] = [];
    for (const m of this.active) {
      if (m.left || m.cancelledOn !== undefined) continue;
      if (m.frozenUntil !== undefined && m.frozenFrom !== undefined && day >= m.frozenFrom) {
        if (day < m.frozenUntil) continue;
        if (day === m.frozenUntil) m.resumeDay = day;
      }
      if (past) {
        if (MONTHLY.has(m.plan) && (m.frozenUntil === undefined || day > m.frozenUntil) && rng.chance(FREEZE_DAILY)) {
          m.frozenFrom = day;
          m.frozenUntil = day + rng.int(30, 90);
          m.freezeMs = this.zone.toUtc(day, rng.int(8 * 60, 20 * 60));
          continue;
        }
        if ((day - m.joinDay) % 7 === 0 && day > m.joinDay) this.drift(m, day);
        if (m.fadeUntil !== undefined) {
          m.x = Math.max(X_MIN, m.x - m.fadeStep);
          if (day >= m.fadeUntil) {
            this.leave(m, day, m.fadeExplicit ? 'cancelled' : 'inactivity');
            continue;
          }
        } else {
          const gap = day - Math.max(m.lastVisitDay ?? m.joinDay, m.resumeDay);
          const hazard = Math.min(
            HAZARD.cap,
            HAZARD.base * (1 + (gap / HAZARD.gapScale) ** HAZARD.power) * (m.hasRoutine ? HAZARD.routineFactor : 1) * PLAN_SPECS[m.plan].hazardFactor,
          );
          if (rng.chance(hazard)) {
            const explicit = rng.chance(PLAN_SPECS[m.plan].explicitCancelShare);
            if (explicit && rng.chance(FADE.abruptCancelShare)) {
              // Moving away, an injury, a new job: gone at once.
              this.leave(m, day, 'cancelled');
              continue;
            }
            const days = rng.int(FADE.minDays, FADE.maxDays);
            m.fadeUntil = day + days;
            m.fadeStep = Math.log(1 / FADE.to) / days;
            m.fadeExplicit = explicit;
          }
        }
      }
      if (!closed) this.decideVisits(m, day, past, dow, mk, season, dayWeight, sessions, intents);
      if (past) this.appActivity(m, day, dow, season);
    }
    this.settleBookings(intents, day, past);
  }

  /** Weekly random walk of motivation; routines steady it, January resolutions fade fast. */
  private drift(m: Member, day: number): void {
    const routine = m.hasRoutine;
    let step = (routine ? MOTIVATION.driftRoutine : MOTIVATION.driftOther) + (routine ? MOTIVATION.sigmaRoutine : MOTIVATION.sigmaOther) * this.rng.normal();
    if (!m.preWindow && monthOf(m.joinDay) === 0 && day - m.joinDay < 70) step -= 0.03;
    m.x = clamp(m.x + step, X_MIN, X_MAX);
  }

  private decideVisits(m: Member, day: number, past: boolean, dow: number, mk: number, season: number, dayWeight: number, sessions: Session[][], intents: Intent[]): void {
    const rng = this.rng;
    const mot = Math.exp(m.x);
    const spec = PLAN_SPECS[m.plan];
    if (m.monthKey !== mk) {
      m.monthKey = mk;
      m.monthClasses = 0;
    }
    // Members at their plan's monthly limit mostly wait for next month.
    const atCap = spec.classCap !== undefined && m.monthClasses >= spec.classCap;
    for (const e of m.routine) {
      if (e.dow !== dow || !rng.chance(Math.min(0.95, 0.9 * Math.sqrt(mot))) || (atCap && rng.chance(0.75))) continue;
      const s = findSession(sessions[e.loc], e);
      if (s) this.intend(m, s, past, true, intents);
    }
    if (!rng.chance(Math.min(0.9, m.extraRate * mot * season * dayWeight))) return;
    if (spec.openGym && !rng.chance(m.classShare)) {
      if (past) this.openGym(m, day);
      return;
    }
    if (atCap && rng.chance(0.75)) return;
    const others = this.locSlugs.length > 1 && rng.chance(OTHER_LOCATION_SHARE);
    const loc = others ? (m.homeLoc + rng.int(1, this.locSlugs.length - 1)) % this.locSlugs.length : m.homeLoc;
    const weekend = dow === 0 || dow === 6;
    const band = BANDS[rng.weighted(weekend ? WEEKEND_BANDS : m.bandWeights)] as Band;
    const s = this.chooseClass(m, sessions[loc] ?? [], band, undefined);
    if (s) this.intend(m, s, past, false, intents);
    else if (past && spec.openGym) this.openGym(m, day);
  }

  /** Weighted pick by type liking × slot/instructor pull, favouring the wanted time band. */
  private chooseClass(m: Member, sessions: Session[], band: Band, bookableAt: number | undefined): Session | undefined {
    if (sessions.length === 0) return undefined;
    const weights = this.weights;
    weights.length = sessions.length;
    let any = false;
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i] as Session;
      const w = bookableAt !== undefined && !this.bookable(s, bookableAt) ? 0 : (m.typePrefs[s.entry.typeIndex] as number) * s.appeal * (s.entry.band === band ? 1 : 0.12);
      weights[i] = w;
      if (w > 0) any = true;
    }
    return any ? sessions[this.rng.weighted(weights)] : undefined;
  }

  private bookable(s: Session, at: number): boolean {
    return s.held < s.capacity && !(s.cancelAtMs !== undefined && s.cancelAtMs <= at) && at < s.startMs - 5 * MINUTE_MS;
  }

  private intend(m: Member, s: Session, past: boolean, routine: boolean, intents: Intent[]): void {
    const rng = this.rng;
    const channel = CHANNELS[rng.weighted(m.channelWeights)] as Channel;
    let leadMin: number;
    if (channel === 'front_desk' || channel === 'kiosk') leadMin = rng.int(10, 90);
    else if (routine) leadMin = rng.int(36 * 60, 7 * 24 * 60);
    else {
      const r = rng.float();
      leadMin = r < 0.55 ? rng.int(120, 36 * 60) : r < 0.85 ? rng.int(36 * 60, 4 * 24 * 60) : rng.int(15, 120);
    }
    const bookedMs = Math.max(s.startMs - leadMin * MINUTE_MS + rng.int(0, 59) * 1000, m.joinMs + 5 * MINUTE_MS);
    if (bookedMs >= s.startMs - 5 * MINUTE_MS) return;
    // Classes after the last day only carry the bookings already made at export time.
    if (!past && bookedMs > this.exportAtMs) return;
    intents.push({ m, session: s, bookedMs, channel });
  }

  /** First come, first served: a full (or studio-cancelled) class sends the member to another one. */
  private settleBookings(intents: Intent[], day: number, past: boolean): void {
    const rng = this.rng;
    intents.sort((a, b) => a.bookedMs - b.bookedMs);
    // A member holds at most one class at a time: no double booking, no overlapping classes.
    const taken = new Map<Member, Session[]>();
    const clashes = (m: Member, s: Session): boolean => (taken.get(m) ?? []).some((x) => x.startMs < s.endMs && s.startMs < x.endMs);
    for (const it of intents) {
      const m = it.m;
      let s: Session | undefined = it.session;
      if (clashes(m, s)) continue;
      if (!this.bookable(s, it.bookedMs)) {
        const same = this.schedule.byDay[day - this.firstDay]?.[s.loc] ?? [];
        s = rng.chance(0.7) ? this.chooseClass(m, same, s.entry.band, it.bookedMs) : undefined;
        if (s && clashes(m, s)) s = undefined;
        if (!s) {
          if (past && PLAN_SPECS[m.plan].openGym && rng.chance(0.4)) this.openGym(m, day);
          continue;
        }
      }
      const list = taken.get(m);
      if (list) list.push(s);
      else taken.set(m, [s]);
      this.book(m, s, it.bookedMs, it.channel, day, past);
    }
  }

  private book(m: Member, s: Session, bookedMs: number, channel: Channel, day: number, past: boolean): void {
    const rng = this.rng;
    let status: SignupRow['status'];
    let cancelledMs: number | undefined;
    let updatedMs = bookedMs;
    let checkinMs: number | undefined;
    if (s.cancelAtMs !== undefined) {
      // The studio cancelled the class after this booking: the booking is cancelled with it.
      status = 'cancelled';
      cancelledMs = s.cancelAtMs;
    } else {
      const r = rng.float();
      const o = BOOKING_OUTCOMES;
      const lateFrom = s.startMs - 12 * 60 * MINUTE_MS;
      if (r < o.cancelled && lateFrom > bookedMs + MINUTE_MS) {
        status = 'cancelled';
        cancelledMs = Math.floor(rng.between(bookedMs + MINUTE_MS, lateFrom));
      } else if (r < o.cancelled + o.lateCancelled) {
        status = 'late_cancelled';
        const latest = s.startMs - 2 * MINUTE_MS;
        cancelledMs = Math.floor(rng.between(Math.min(latest, Math.max(bookedMs + 30_000, lateFrom)), latest));
      } else if (r < o.cancelled + o.lateCancelled + o.noShow * m.noShowProne * (1.6 - Math.min(1, Math.exp(m.x)))) {
        status = 'no_show';
      } else {
        status = 'attended';
        checkinMs = s.startMs - rng.int(0, 15 * 60) * 1000;
      }
      cancelledMs = cancelledMs === undefined ? undefined : Math.floor(cancelledMs / 1000) * 1000;
      // What the export cannot know yet: the class has not happened or the cancellation is still to come.
      if ((cancelledMs !== undefined && cancelledMs > this.exportAtMs) || (cancelledMs === undefined && s.startMs > this.exportAtMs)) {
        status = 'booked';
        cancelledMs = undefined;
        checkinMs = undefined;
      }
    }
    if (status === 'attended' || status === 'no_show' || status === 'booked') s.held++;
    if (cancelledMs !== undefined) updatedMs = cancelledMs;
    else if (checkinMs !== undefined) updatedMs = checkinMs;
    else if (status === 'no_show') updatedMs = s.endMs + 10 * MINUTE_MS;
    this.signupSeq++;
    this.sinks.signups.write({
      signup_id: `S${String(this.signupSeq).padStart(8, '0')}`,
      member_id: m.id,
      class_id: s.id,
      booked_at: isoTimestamp(bookedMs),
      status,
      cancelled_at: cancelledMs === undefined ? undefined : isoTimestamp(cancelledMs),
      channel,
      updated_at: isoTimestamp(updatedMs),
    });
    this.bookingEvents(m, channel, bookedMs, s, status);
    if (status !== 'attended' || checkinMs === undefined || !past) return;
    this.checkin(m, day, checkinMs, s.loc, s.id);
    this.payForClass(m, checkinMs, s);
    if (rng.chance(RETAIL_PER_VISIT)) this.retail(m, s.endMs + rng.int(60, 40 * 60) * 1000, s.loc);
    this.rate(m, s);
    if (this.appRng.chance(m.logProb)) {
      const at = s.endMs + this.appRng.int(5, 120) * MINUTE_MS;
      if (at <= this.exportAtMs) this.event(at, m, 'workout_logged', this.appPlatform(m), undefined, this.appRng.int(1200, 4800));
    }
  }

  /** Plan limits: a pack spends a credit, a capped plan past its limit pays a drop-in. */
  private payForClass(m: Member, checkinMs: number, s: Session): void {
    const spec = PLAN_SPECS[m.plan];
    const at = checkinMs - 30_000;
    if (spec.period === 'pack') {
      if (m.packCredits <= 0) {
        if (this.rng.chance(0.85)) {
          m.packCredits += PACK_CLASSES;
          this.tx(m, at, s.loc, 'class_pack', spec.price, spec.description, 'settled');
        } else {
          this.tx(m, at, s.loc, 'drop_in', DROP_IN_PRICE, `Drop-in: ${s.entry.name}`, 'settled');
          return;
        }
      }
      m.packCredits--;
      return;
    }
    if (spec.classCap !== undefined && m.monthClasses >= spec.classCap) this.tx(m, at, s.loc, 'drop_in', DROP_IN_PRICE, `Drop-in: ${s.entry.name}`, 'settled');
    m.monthClasses++;
  }

  private openGym(m: Member, day: number): void {
    const band = BANDS[this.rng.weighted(m.bandWeights)] as Band;
    const [from, to] = BAND_RANGE[band];
    const ms = this.zone.toUtc(day, this.rng.int(from, to)) + this.rng.int(0, 59) * 1000;
    if (ms < m.joinMs || ms > this.exportAtMs) return;
    const loc = m.homeLoc;
    this.checkin(m, day, ms, loc, undefined);
    if (this.rng.chance(RETAIL_PER_VISIT)) this.retail(m, ms + this.rng.int(30 * 60, 90 * 60) * 1000, loc);
  }

  private retail(m: Member, ms: number, loc: number): void {
    const item = RETAIL_ITEMS[this.rng.weighted(RETAIL_ITEMS.map((i) => i.weight))] as (typeof RETAIL_ITEMS)[number];
    const qty = this.rng.chance(0.1) ? 2 : 1;
    this.tx(m, ms, loc, 'retail', item.price * qty, qty === 1 ? item.name : `${item.name} ×${qty}`, 'settled');
  }

  private checkin(m: Member, day: number, ms: number, loc: number, classId: string | undefined): void {
    this.checkins.push({ ms, m, classId, loc });
    m.visits++;
    m.visitsSinceJoin++;
    m.lastVisitDay = day;
    m.lastVisitInWindow = day;
  }

  // ── app analytics ───────────────────────────────────────────────────────

  private appPlatform(m: Member): Platform {
    return m.platform === 'web' ? 'ios' : m.platform;
  }

  private newSession(): string {
    return `sess-${(++this.sessionSeq).toString(36)}`;
  }

  private bookingEvents(m: Member, channel: Channel, bookedMs: number, s: Session, status: SignupRow['status']): void {
    const rng = this.appRng;
    if (channel === 'app' || channel === 'web') {
      const platform: Platform = channel === 'web' ? 'web' : this.appPlatform(m);
      const sid = this.newSession();
      const t0 = bookedMs - rng.int(40, 300) * 1000;
      if (platform !== 'web') this.event(t0, m, 'app_open', platform, sid, rng.int(40, 900));
      if (rng.chance(0.5)) this.event(t0 + rng.int(5, 20) * 1000, m, 'schedule_view', platform, sid, rng.int(5, 90));
      if (rng.chance(0.3)) this.event(t0 + rng.int(21, 35) * 1000, m, 'class_view', platform, sid, rng.int(5, 60));
      this.event(bookedMs - rng.int(2, 10) * 1000, m, 'booking_started', platform, sid, undefined);
    }
    // Class reminders go out by push a couple of hours before; some members open them.
    if ((status === 'attended' || status === 'no_show') && m.platform !== 'web' && rng.chance(0.12)) {
      const at = s.startMs - rng.int(60, 120) * MINUTE_MS;
      if (at > bookedMs) this.event(at, m, 'push_opened', m.platform, undefined, undefined);
    }
  }

  /** Browsing that is not tied to a booking, the Tuesday newsletter, and the odd referral. */
  private appActivity(m: Member, day: number, dow: number, season: number): void {
    const rng = this.appRng;
    const mot = Math.exp(m.x);
    const n = rng.poisson(APP_SESSIONS_PER_DAY * m.appAffinity * mot * season);
    for (let i = 0; i < n; i++) {
      const ms = this.zone.toUtc(day, rng.int(6 * 60 + 30, 22 * 60 + 30)) + rng.int(0, 59) * 1000;
      if (ms < m.joinMs) continue;
      const sid = this.newSession();
      const platform = m.platform;
      let t = ms;
      if (platform !== 'web') this.event(t, m, 'app_open', platform, sid, Math.round(clamp(rng.lognormal(90, 0.8), 5, 3600)));
      if (rng.chance(0.5)) this.event((t += rng.int(3, 40) * 1000), m, 'schedule_view', platform, sid, rng.int(5, 200));
      if (rng.chance(0.25)) this.event((t += rng.int(3, 40) * 1000), m, 'class_view', platform, sid, rng.int(5, 120));
      if (rng.chance(0.01)) this.event((t += rng.int(3, 40) * 1000), m, 'referral_sent', platform, sid, undefined);
    }
    if (m.optIn && dow === 2 && rng.chance(0.3 * Math.min(1, mot))) {
      const at = this.zone.toUtc(day, rng.int(10 * 60, 20 * 60)) + rng.int(0, 59) * 1000;
      if (at >= m.joinMs) {
        this.event(at, m, 'email_opened', m.platform, undefined, undefined);
        if (rng.chance(0.25)) this.event(at + rng.int(5, 300) * 1000, m, 'email_clicked', m.platform, undefined, undefined);
      }
    }
  }

  private event(ms: number, m: Member, type: EventType, platform: Platform, session: string | undefined, duration: number | undefined): void {
    const bucket = Math.floor(ms / DAY_MS);
    const list = this.events.get(bucket);
    const e: AppEvent = { ms, m, type, platform, session, duration };
    if (list) list.push(e);
    else this.events.set(bucket, [e]);
  }

  // ── class ratings ───────────────────────────────────────────────────────

  /** Some attended classes get a rating: stars follow the instructor's popularity and the member's motivation. */
  private rate(m: Member, s: Session): void {
    const rng = this.feedbackRng;
    if (!rng.chance(FEEDBACK.rate)) return;
    const channel = FEEDBACK_CHANNELS[rng.weighted(FEEDBACK_CHANNELS.map((c) => FEEDBACK.channels[c]))] as ClassFeedbackRow['channel'];
    const [lo, hi] = FEEDBACK.delayMinutes[channel];
    const ms = s.endMs + rng.int(lo, hi) * MINUTE_MS + rng.int(0, 59) * 1000;
    if (ms > this.exportAtMs) return;
    const k = FEEDBACK.score;
    const score = k.base + k.instructor * Math.log(s.instructor.popularity) + k.motivation * (Math.exp(m.x) - 1) + k.noise * rng.normal();
    const rating = clamp(Math.round(score), 1, 5);
    const comments = rating <= 2 ? FEEDBACK_COMMENTS.low : rating === 3 ? FEEDBACK_COMMENTS.mid : FEEDBACK_COMMENTS.high;
    const r: Rating = {
      ms, member_id: m.id, class_id: s.id, rating,
      comment: rng.chance(FEEDBACK.commentShare) ? rng.pick(comments) : undefined,
      would_recommend: rng.chance(FEEDBACK.recommendSkipped) ? undefined : rng.chance(FEEDBACK.recommendYes[rating - 1] as number),
      channel,
    };
    const bucket = Math.floor(ms / DAY_MS);
    const list = this.ratings.get(bucket);
    if (list) list.push(r);
    else this.ratings.set(bucket, [r]);
  }

  // ── writing ─────────────────────────────────────────────────────────────

  /** Check-ins and payments of the day, in time order, ids following that order. */
  private flushDay(): void {
    this.checkins.sort((a, b) => a.ms - b.ms);
    for (const c of this.checkins) {
      this.checkinSeq++;
      this.sinks.attendance.write({
        checkin_id: `K${String(this.checkinSeq).padStart(9, '0')}`,
        member_id: c.m.id,
        class_id: c.classId,
        location_id: this.locSlugs[c.loc] as string,
        checked_in_at: isoTimestamp(c.ms),
        method: c.m.method,
      });
    }
    this.checkins = [];
    this.txs.sort((a, b) => a.ms - b.ms);
    for (const t of this.txs) {
      this.txSeq++;
      t.id = `T${String(this.txSeq).padStart(8, '0')}`;
      this.sinks.transactions.write({
        transaction_id: t.id,
        member_id: t.member.id,
        location_id: this.locSlugs[t.loc] as string,
        occurred_at: isoTimestamp(t.ms),
        type: t.type,
        amount: t.amount,
        currency: 'USD',
        status: t.status,
        refund_of: t.refundOf?.id,
        description: t.description,
      });
      if (t.refund) {
        const day = Math.floor((t.ms + this.zone.offsetMinutes(Math.floor(t.ms / DAY_MS)) * MINUTE_MS) / DAY_MS);
        this.schedule_(day + t.refund.afterDays, { kind: 'refund', tx: t, amount: t.refund.amount });
      }
    }
    this.txs = [];
  }

  /** Ratings of UTC days before `beforeUtcDay`, in time order, ids following that order (a class ends after its local day began, so no later day reaches back). */
  private flushRatings(beforeUtcDay: number): void {
    const ready = [...this.ratings.keys()].filter((k) => k < beforeUtcDay).sort((a, b) => a - b);
    for (const key of ready) {
      const list = (this.ratings.get(key) as Rating[]).sort((a, b) => a.ms - b.ms);
      this.ratings.delete(key);
      for (const { ms, ...r } of list) {
        this.feedbackSeq++;
        this.sinks.class_feedback.write({ feedback_id: `F${String(this.feedbackSeq).padStart(9, '0')}`, ...r, submitted_at: isoTimestamp(ms) });
      }
    }
  }

  /** App events are bucketed by UTC day; a bucket is final once no booking can reach back into it. */
  private flushEvents(beforeUtcDay: number): void {
    const ready = [...this.events.keys()].filter((k) => k < beforeUtcDay).sort((a, b) => a - b);
    for (const key of ready) {
      const list = (this.events.get(key) as AppEvent[]).sort((a, b) => a.ms - b.ms);
      this.events.delete(key);
      for (const e of list) {
        this.eventSeq++;
        this.sinks.engagement.write({
          event_id: `E${String(this.eventSeq).padStart(10, '0')}`,
          member_id: e.m.id,
          occurred_at: isoTimestamp(e.ms),
          event_type: e.type,
          platform: e.platform,
          session_id: e.session,
          duration_seconds: e.duration,
        });
      }
    }
  }
}
