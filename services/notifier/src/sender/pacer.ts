/**
 * Paces SendEmail calls to the SES account's maximum send rate (or a lower configured one) — evenly spaced starts, so
 * no one-second window holds more than the rate — and pauses all sending when SES says the daily quota is spent or
 * sending is paused. Per process: several notifier processes share the account's rate through `SEND_RATE_SHARE`.
 */
import { EventEmitter } from 'node:events';
import Bottleneck from 'bottleneck';

export type PauseReason = 'daily_quota' | 'sending_paused';

export class SendPacer extends EventEmitter<{ paused: [{ until: number; reason: PauseReason; message: string }]; resumed: [] }> {
  private readonly limiter: Bottleneck;
  private pausedUntil = 0;
  private resumeTimer?: NodeJS.Timeout;
  private rate: number;

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

  /** Runs `call` in its turn; calls queued while a pause starts still run (each learns of the pause from SES). */
  schedule<T>(call: () => Promise<T>): Promise<T> {
    return this.limiter.schedule(call);
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
