import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import fp from 'fastify-plugin';
import { BatchRegistry } from './batches/registry.js';
import type { Lake } from './lake.js';
import { openLake, parseLakeUri } from './open-lake.js';
import { s3Plugin } from '@peak/service-kit';

declare module 'fastify' {
  interface FastifyInstance {
    lake: Lake;
    batches: BatchRegistry;
  }
}

export type LakePluginOptions = { uri: string; region: string; s3?: S3Client };

/**
 * The lake (S3 | folder, from LAKE_URI), the batch registry over it, and the `lake` readiness check:
 * the folder exists and is writable, or the bucket answers HeadBucket.
 */
export const lakePlugin = fp<LakePluginOptions>(
  async (app, { uri, region, s3 }) => {
    const location = parseLakeUri(uri);
    if (location.kind === 's3') {
      await app.register(s3Plugin, { region, bucket: location.bucket, checkName: 'lake', client: s3 });
      app.decorate('lake', openLake(location, { s3: app.s3 }));
    } else {
      app.decorate('lake', openLake(location));
      app.readiness.set('lake', async () => {
        const info = await stat(location.path).catch(() => undefined);
        if (!info?.isDirectory()) throw new Error(`folder ${location.path} does not exist`);
        await access(location.path, constants.W_OK).catch(() => {
          throw new Error(`folder ${location.path} is not writable`);
        });
      });
    }
    app.decorate('batches', new BatchRegistry(app.lake));
  },
  { name: 'peak-lake', dependencies: ['peak-health'] },
);
