import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import fp from 'fastify-plugin';
import { failureReason } from '../readiness.js';

declare module 'fastify' {
  interface FastifyInstance {
    s3: S3Client;
  }
}

export type S3PluginOptions = {
  region: string;
  /** The bucket the service needs: /ready checks it exists and is reachable (HeadBucket). */
  bucket: string;
  /** Name of that check in /ready (default `s3`; e.g. `lake` when the bucket is the data lake). */
  checkName?: string;
  client?: S3Client;
};

export const s3Plugin = fp<S3PluginOptions>(
  async (app, opts) => {
    const owned = !opts.client;
    // Path-style addressing works against AWS and the emulator alike (no bucket.localhost hosts).
    const s3 = opts.client ?? new S3Client({ region: opts.region, forcePathStyle: true });
    app.decorate('s3', s3);
    app.readiness.set(opts.checkName ?? 's3', async (signal) => {
      try {
        await s3.send(new HeadBucketCommand({ Bucket: opts.bucket }), { abortSignal: signal });
      } catch (err) {
        throw new Error(`bucket ${opts.bucket}: ${failureReason(err)}`, { cause: err });
      }
    });
    app.addHook('onClose', async () => {
      if (owned) s3.destroy();
    });
  },
  { name: 'peak-s3', dependencies: ['peak-health'] },
);
