/**
 * Paces SendEmail calls to the SES account's maximum send rate (or a lower configured one) and pauses all sending
 * when SES says the daily quota is spent or sending is paused. Per process: several notifier processes share the
 * account's rate through `SEND_RATE_SHARE`.
 *
 * Two layers, because evenly spaced timers alone overshoot: Bottleneck spaces the sends 1/rate apart (smooth), and a
 * sliding-window gate right before each SES call lets at most ⌊rate⌋ calls start in any one second (+ a margin for
 * the network), first come first served. The benchmark found the timers alone starting R+1 to R+6 calls in some
 * second (timer drift, and overdue timers firing together after an event-loop stall), each extra one a 429.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Bottleneck from 'bottleneck';

export type PauseReason = 'daily_quota' | 'sending_paused';

/** The gate's window is one second plus this, so a call that reaches SES a little late still counts in its second. */
export const RATE_WINDOW_MARGIN_MS = 25;

export class SendPacer extends EventEmitter<{ paused: [{ until: number; reason: PauseReason; message: string }]; resumed: [] }> {
  private readonly limiter: Bottleneck;
  private pausedUntil = 0;
  private resumeTimer?: NodeJS.Timeout;
  private rate: number;
  /** Start times (performance.now) of the latest calls, oldest first: at most ⌊rate⌋ of them. */
  private readonly starts: number[] = [];
  private gateQueue: Promise<void> = Promise.resolve();

  constructor(
    ratePerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    super();
    if (!(ratePerSecond > 0)) throw new Error(`the send rate must be above 0 (got ${ratePerSecond})`);
    this.rate = ratePerSecond;
    this.limiter = new Bottleneck({ minTime: 1000 / ratePerSecond });
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  setRate(ratePerSecond: number): void {
    if (!(ratePerSecond > 0) || ratePerSecond === this.rate) return;
    this.rate = ratePerSecond;
    this.limiter.updateSettings({ minTime: 1000 / ratePerSecond });
  }

  /** Epoch ms until which sending is paused (0 when it is not). */
  get pausedUntilMs(): number {
    return this.pausedUntil > this.now() ? this.pausedUntil : 0;
  }

  /** Runs `call` in its turn (evenly spaced); calls queued while a pause starts still run (each learns of the pause from SES). */
  schedule<T>(call: () => Promise<T>): Promise<T> {
    return this.limiter.schedule(call);
  }

  /**
   * Waits until one more call may start without ⌊rate⌋ + 1 starting within a second, and counts it as started.
   * Called right before the SES call; callers are served in the order they asked.
   */
  startCall(): Promise<void> {
    const turn = this.gateQueue.then(async () => {
      const cap = Math.max(1, Math.floor(this.rate));
      while (this.starts.length >= cap) {
        const wait = (this.starts[0] as number) + 1000 + RATE_WINDOW_MARGIN_MS - performance.now();
        if (wait > 0) await sleep(wait);
        else this.starts.shift();
      }
      this.starts.push(performance.now());
    });
    this.gateQueue = turn.catch(() => undefined);
    return turn;
  }

  pause(forMs: number, reason: PauseReason, message: string): void {
    const until = this.now() + forMs;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.pausedUntil = 0;
      this.emit('resumed');
    }, forMs);
    this.resumeTimer.unref();
    this.emit('paused', { until, reason, message });
  }

  async stop(): Promise<void> {
    clearTimeout(this.resumeTimer);
    await this.limiter.stop({ dropWaitingJobs: false });
  }
}
