import fp from 'fastify-plugin';
import { CheckinBuffer } from './buffer.js';
import { systemClock, type Clock } from './clock.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The micro-batch buffer of real-time check-ins (spool → raw zone). */
    checkins: CheckinBuffer;
  }
}

export type CheckinBufferPluginOptions = { spoolRoot: string; maxEvents: number; maxSeconds: number; clock?: Clock };

/**
 * The check-in buffer over the app's lake, batch registry and queues. Its spool folder is made at
 * registration (an unwritable CHECKIN_SPOOL_DIR stops the service at boot). At start (onReady) it flushes
 * what a crashed process left in the spool before the server answers; at close (after the last
 * request was answered) it flushes what it holds.
 */
export const checkinBufferPlugin = fp<CheckinBufferPluginOptions>(
  async (app, opts) => {
    const log = app.log.child({ component: 'checkin-buffer' });
    const buffer = new CheckinBuffer({
      spoolRoot: opts.spoolRoot,
      maxEvents: opts.maxEvents,
      maxSeconds: opts.maxSeconds,
      clock: opts.clock ?? systemClock,
      deps: { lake: app.lake, batches: app.batches, queues: app.queues, log },
    });
    await buffer.open();
    app.decorate('checkins', buffer);
    app.addHook('onReady', () => buffer.start());
    app.addHook('onClose', () => buffer.close());
  },
  { name: 'peak-checkin-buffer', dependencies: ['peak-lake', 'peak-sqs'] },
);
