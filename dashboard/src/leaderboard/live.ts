/**
 * A board's live stream (`GET /v1/leaderboard/live`, Server-Sent Events) as the page needs it: rank changes, a
 * reset after a rebuild, and the connection's state for the "Live" indicator. The browser's EventSource
 * reconnects by itself after a dropped stream; an answer that is no stream at all (a 400, a 503 while Redis is
 * down) closes it for good, so then it is opened again here after `retryMs`.
 */
import type { RankEvent } from '../api.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export type LiveHandlers = {
  onRank: (e: RankEvent) => void;
  /** The boards were rebuilt: reload everything. */
  onReset: () => void;
  /** Connected again after a break: changes may have been missed meanwhile. */
  onResumed: () => void;
  onState: (state: LiveState) => void;
};

type EventSourceLike = Pick<EventSource, 'addEventListener' | 'close' | 'readyState'>;
export type LiveOptions = { retryMs?: number; open?: (url: string) => EventSourceLike; timers?: { set: (fn: () => void, ms: number) => unknown; clear: (id: unknown) => void } };

const CLOSED = 2;

export function openLive(url: string, on: LiveHandlers, { retryMs = 5_000, open = (u) => new EventSource(u), timers }: LiveOptions = {}): { close: () => void } {
  const t = timers ?? { set: (fn: () => void, ms: number) => setTimeout(fn, ms), clear: (id: unknown) => clearTimeout(id as ReturnType<typeof setTimeout>) };
  let source: EventSourceLike | undefined;
  let retry: unknown;
  let connectedBefore = false;
  let closed = false;

  const connect = () => {
    retry = undefined;
    on.onState(connectedBefore ? 'reconnecting' : 'connecting');
    const es = (source = open(url));
    es.addEventListener('ready', () => {
      on.onState('live');
      if (connectedBefore) on.onResumed();
      connectedBefore = true;
    });
    es.addEventListener('rank', (ev) => {
      try {
        on.onRank(JSON.parse((ev as MessageEvent<string>).data) as RankEvent);
      } catch {
        // not the contract's JSON: ignore this one event
      }
    });
    es.addEventListener('reset', () => on.onReset());
    es.addEventListener('error', () => {
      if (closed || es !== source) return;
      if (es.readyState === CLOSED) {
        es.close();
        on.onState('offline');
        retry = t.set(connect, retryMs);
      } else on.onState('reconnecting'); // the browser tries again by itself (the stream asks for 3 s)
    });
  };
  connect();
  return {
    close() {
      closed = true;
      if (retry !== undefined) t.clear(retry);
      source?.close();
    },
  };
}

/**
 * At most one call of `fn` per `ms`: the first at once, those arriving within the window folded into one at its
 * end. For re-fetching a page on a burst of rank events.
 */
export function throttle(fn: () => void, ms: number, timers = { set: (f: () => void, d: number): unknown => setTimeout(f, d), clear: (id: unknown) => clearTimeout(id as ReturnType<typeof setTimeout>) }) {
  let timer: unknown;
  let pending = false;
  const tick = () => {
    if (pending) {
      pending = false;
      fn();
      timer = timers.set(tick, ms);
    } else timer = undefined;
  };
  return {
    call() {
      if (timer !== undefined) pending = true;
      else {
        fn();
        timer = timers.set(tick, ms);
      }
    },
    cancel() {
      if (timer !== undefined) timers.clear(timer);
      timer = undefined;
      pending = false;
    },
  };
}
