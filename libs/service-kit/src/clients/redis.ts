import { Redis } from 'ioredis';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

/** A Redis that stopped answering (but kept the connection) fails a command after this long, never hangs a request. */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;

export type RedisPluginOptions = { url: string; keyPrefix?: string; client?: Redis };

export const redisPlugin = fp<RedisPluginOptions>(
  async (app, opts) => {
    const owned = !opts.client;
    // Fail commands fast while disconnected instead of queueing them forever: /ready reports it.
    const redis = opts.client ?? new Redis(opts.url, { keyPrefix: opts.keyPrefix, lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      // Commands issued in the same tick by concurrent requests go out in one write: fewer syscalls on both sides.
      enableAutoPipelining: true });
    if (owned) {
      redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis connection error'));
      await redis.connect().catch((err: Error) => app.log.warn({ err: err.message }, 'redis not reachable at boot; /ready will say so'));
    }
    app.decorate('redis', redis);
    // ioredis cannot cancel a command once sent: the /ready deadline stops waiting for it instead, and with
    // the offline queue off a dropped connection fails the ping at once.
    app.readiness.set('redis', async (signal) => {
      signal.throwIfAborted();
      await redis.ping();
    });
    app.addHook('onClose', async () => {
      if (owned) redis.disconnect();
    });
  },
  { name: 'peak-redis', dependencies: ['peak-health'] },
);
