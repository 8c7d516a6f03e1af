import { rateLimited, type HubSpotError } from './errors.js';

export const TIERS = ['free', 'starter', 'professional', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * Private-app limits by HubSpot subscription (usage guidelines; changelog "increasing our API limits").
 * Professional's daily limit is 625,000 on the usage page and 650,000 in the changelog and the issue: the sandbox
 * takes 650,000 (the newer source) and HUBSPOT_SANDBOX_DAILY_LIMIT overrides it.
 */
export const tierLimits: Record<Tier, { tenSecondly: number; daily: number }> = {
  free: { tenSecondly: 100, daily: 250_000 },
  starter: { tenSecondly: 100, daily: 250_000 },
  professional: { tenSecondly: 190, daily: 650_000 },
  enterprise: { tenSecondly: 190, daily: 1_000_000 },
};

export type LimitSettings = {
  /** Requests per token per rolling window. */
  max: number;
  windowMs: number;
  /** Requests per account per day. */
  daily: number;
  /** The account's time zone: its day starts at local midnight. */
  timeZone: string;
  /** Search requests per account per second. */
  searchPerSecond: number;
};

/** Sliding log of the requests each key made within the last `windowMs`: HubSpot's limit rolls, it is not a fixed window. */
export class RollingWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Counts one request at `at` if the window has room. A refused request is not counted, so waiting always helps. */
  take(key: string, at: number): boolean {
    const log = this.prune(key, at);
    if (log.length >= this.max) return false;
    log.push(at);
    return true;
  }

  /** Requests counted for `key` in the `spanMs` (≤ windowMs) before `at`. */
  used(key: string, at: number, spanMs = this.windowMs): number {
    const log = this.prune(key, at);
    return spanMs >= this.windowMs ? log.length : log.filter((t) => t > at - spanMs).length;
  }

  reset(): void {
    this.hits.clear();
  }

  private prune(key: string, at: number): number[] {
    let log = this.hits.get(key);
    if (!log) this.hits.set(key, (log = []));
    let stale = 0;
    while (stale < log.length && (log[stale] ?? 0) <= at - this.windowMs) stale++;
    if (stale > 0) log.splice(0, stale);
    return log;
  }
}

/** Requests per account per day, the day starting at midnight in the account's time zone. */
export class DailyQuota {
  private readonly dayOf: Intl.DateTimeFormat;
  private day = '';
  private count = 0;

  constructor(
    readonly limit: number,
    timeZone: string,
  ) {
    this.dayOf = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  }

  take(at: number): boolean {
    this.roll(at);
    if (this.count >= this.limit) return false;
    this.count++;
    return true;
  }

  remaining(at: number): number {
    this.roll(at);
    return this.limit - this.count;
  }

  reset(): void {
    this.count = 0;
  }

  private roll(at: number): void {
    const day = this.dayOf.format(at);
    if (day !== this.day) [this.day, this.count] = [day, 0];
  }
}

export type Admission = { headers: Record<string, number>; error?: HubSpotError };

/**
 * HubSpot's limits on a private app: the rolling 10-second burst per token, the daily limit per account, and
 * search's own per-second limit per account. Search is exempt from the burst limit (the spec marks it
 * `x-hubspot-rate-limit-exemptions: [ten-secondly]`) and its replies carry no rate-limit headers; it is counted
 * in the day (unverified). A refused request is counted in neither window nor day (unverified).
 */
export class RateLimits {
  private readonly burst: RollingWindow;
  private readonly search: RollingWindow;
  private readonly day: DailyQuota;

  constructor(readonly settings: LimitSettings) {
    this.burst = new RollingWindow(settings.max, settings.windowMs);
    this.search = new RollingWindow(settings.searchPerSecond, 1_000);
    this.day = new DailyQuota(settings.daily, settings.timeZone);
  }

  /** Counts one CRM call by `token` at `at`; returns the headers to send and, over a limit, HubSpot's 429. */
  admit(token: string, route: 'crm' | 'search', at: number): Admission {
    if (route === 'search') {
      if (this.day.remaining(at) <= 0) return { headers: {}, error: rateLimited('DAILY') };
      if (!this.search.take('account', at)) return { headers: {}, error: rateLimited('SECONDLY') };
      this.day.take(at);
      return { headers: {} };
    }
    const error = this.day.remaining(at) <= 0 ? rateLimited('DAILY') : !this.burst.take(token, at) ? rateLimited('TEN_SECONDLY_ROLLING') : undefined;
    if (!error) this.day.take(at);
    return { headers: this.headers(token, at), error };
  }

  /** The seven X-HubSpot-RateLimit-* headers private apps get (usage guidelines; a 2024 reply showed all seven). */
  headers(token: string, at: number): Record<string, number> {
    const { max, windowMs, daily } = this.settings;
    // "Secondly" is deprecated and not enforced; HubSpot still sends it, one tenth of the 10-s limit (Max 200 ↔ Secondly 20).
    const secondly = Math.ceil(max / 10);
    return {
      'x-hubspot-ratelimit-daily': daily,
      'x-hubspot-ratelimit-daily-remaining': this.day.remaining(at),
      'x-hubspot-ratelimit-interval-milliseconds': windowMs,
      'x-hubspot-ratelimit-max': max,
      'x-hubspot-ratelimit-remaining': Math.max(0, max - this.burst.used(token, at)),
      'x-hubspot-ratelimit-secondly': secondly,
      'x-hubspot-ratelimit-secondly-remaining': Math.max(0, secondly - this.burst.used(token, at, 1_000)),
    };
  }

  reset(): void {
    this.burst.reset();
    this.search.reset();
    this.day.reset();
  }
}
