import type { Redis } from 'ioredis';
import { KEYS } from './store.js';

/** A rank change as the apply script publishes it, or a rebuild's reset of some boards. */
export type LiveMessage =
  | { board: string; member: string; classes: number; rank: number; previousRank: number | null }
  | { reset: true };

type Listener = (m: LiveMessage) => void;

/**
 * Fans the boards' pub/sub channel out to the open live streams. One Redis subscription per process, opened with the
 * first listener and closed with the last, so streams that go away leave nothing behind.
 */
export class LiveHub {
  private readonly listeners = new Set<Listener>();
  private subscriber: Redis | undefined;
  /** True while subscribed: every change is being heard (what the answer cache relies on). */
  connected = false;

  constructor(private readonly redis: Redis, private readonly onError: (err: Error) => void = () => {}) {}

  get size(): number {
    return this.listeners.size;
  }

  async add(listener: Listener): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    if (!this.subscriber) {
      const sub = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      this.subscriber = sub;
      sub.on('error', (err: Error) => this.onError(err));
      // Changes published while the connection was down were missed: every listener starts afresh (pages reload).
      const missed = () => {
        const was = this.connected;
        this.connected = false;
        if (was) for (const l of this.listeners) l({ reset: true });
      };
      sub.on('close', missed);
      sub.on('ready', () => {
        if (this.subscriber !== sub) return;
        this.connected = true;
        for (const l of this.listeners) l({ reset: true });
      });
      sub.on('message', (_channel: string, text: string) => {
        let message: LiveMessage;
        try {
          message = JSON.parse(text) as LiveMessage;
        } catch {
          return; // not ours: only the apply script and the rebuild publish here
        }
        for (const l of this.listeners) l(message);
      });
      await sub.subscribe(KEYS.live);
      this.connected = true;
    }
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      this.listeners.delete(listener);
      if (this.listeners.size === 0) await this.close();
    };
  }

  async close(): Promise<void> {
    const sub = this.subscriber;
    this.subscriber = undefined;
    this.connected = false;
    this.listeners.clear();
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }
}
