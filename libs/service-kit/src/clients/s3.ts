import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    s3: S3Client;
  }
}

export type S3PluginOptions = { region: string; bucket: string; client?: S3Client };

export const s3Plugin = fp<S3PluginOptions>(
  async (app, opts) => {
    const owned = !opts.client;
    // Path-style addressing works against AWS and the emulator alike (no bucket.localhost hosts).
    const s3 = opts.client ?? new S3Client({ region: opts.region, forcePathStyle: true });
    app.decorate('s3', s3);
    app.readiness.set('s3', () => s3.send(new HeadBucketCommand({ Bucket: opts.bucket })));
    app.addHook('onClose', async () => {
      if (owned) s3.destroy();
    });
  },
  { name: 'peak-s3', dependencies: ['peak-health'] },
);
