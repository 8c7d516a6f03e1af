import { DAILY_QUOTA_EXCEEDED, MAX_SEND_RATE_EXCEEDED, SesError } from './errors.js';

export type QuotaSettings = {
  /** Recipients per second (SES `MaxSendRate`); may be fractional. */
  maxSendRate: number;
  /** Recipients per rolling 24 hours (SES `Max24HourSend`); -1 = unlimited. */
  max24HourSend: number;
};

const SECOND = 1_000;
const DAY = 24 * 60 * 60 * 1_000;

/** One accepted send as the limits count it; handed back to `release` when the send is undone. */
export type Admission = { at: number; recipients: number };

/**
 * SES's two sending quotas, both counted in recipients (research §1, django-ses#59) over sliding windows: a send is
 * refused when the recipients of the last second plus its own would exceed `maxSendRate`, or those of the last 24 h
 * plus its own `max24HourSend`. The daily quota is checked first. A refused send is not counted, so waiting always helps.
 */
export class SendLimits {
  private log: Admission[] = [];
  private inDay = 0;

  constructor(public settings: QuotaSettings) {}

  /** Counts `recipients` at `at`, or throws SES's 429 (`TooManyRequestsException`, told apart by its message). */
  admit(recipients: number, at: number): Admission {
    this.prune(at);
    const { maxSendRate, max24HourSend } = this.settings;
    if (max24HourSend >= 0 && this.inDay + recipients > max24HourSend) throw new SesError('TooManyRequestsException', DAILY_QUOTA_EXCEEDED);
    if (this.inLastSecond(at) + recipients > maxSendRate) throw new SesError('TooManyRequestsException', MAX_SEND_RATE_EXCEEDED);
    const admission = { at, recipients };
    this.log.push(admission);
    this.inDay += recipients;
    return admission;
  }

  /** Undoes an admission whose send did not go through after all. */
  release(admission: Admission): void {
    const i = this.log.indexOf(admission);
    if (i < 0) return;
    this.log.splice(i, 1);
    this.inDay -= admission.recipients;
  }

  /** `SentLast24Hours` of GetAccount. */
  sentLast24Hours(at: number): number {
    this.prune(at);
    return this.inDay;
  }

  reset(): void {
    this.log = [];
    this.inDay = 0;
  }

  private inLastSecond(at: number): number {
    let sum = 0;
    for (let i = this.log.length - 1; i >= 0; i--) {
      const entry = this.log[i];
      if (!entry || entry.at <= at - SECOND) break;
      if (entry.at <= at) sum += entry.recipients;
    }
    return sum;
  }

  private prune(at: number): void {
    let stale = 0;
    while (stale < this.log.length && (this.log[stale]?.at ?? at) <= at - DAY) {
      this.inDay -= this.log[stale]?.recipients ?? 0;
      stale++;
    }
    if (stale > 0) this.log.splice(0, stale);
  }
}
