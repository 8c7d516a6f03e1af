import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import fp from 'fastify-plugin';
import { s3Plugin } from '@peak/service-kit';

/** Where the lake is: a local folder or an S3 bucket (with an optional key prefix). */
export type LakeLocation = { kind: 'folder'; path: string } | { kind: 's3'; bucket: string; prefix: string };

/** Reads a LAKE_URI (already checked by the config schema) into a location. */
export function parseLakeUri(uri: string): LakeLocation {
  const url = new URL(uri);
  if (url.protocol === 'file:') return { kind: 'folder', path: fileURLToPath(url) };
  const prefix = url.pathname.replace(/^\/+/, '');
  return { kind: 's3', bucket: url.hostname, prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix };
}

export type LakeReadinessOptions = { location: LakeLocation; region: string; s3?: S3Client };

/**
 * The `lake` readiness check: the folder exists and is writable, or the bucket answers HeadBucket.
 * Only the check: reading and writing the lake is the lake port's job (S3 | folder).
 */
export const lakeReadiness = fp<LakeReadinessOptions>(
  async (app, { location, region, s3 }) => {
    if (location.kind === 's3') {
      await app.register(s3Plugin, { region, bucket: location.bucket, checkName: 'lake', client: s3 });
      return;
    }
    app.readiness.set('lake', async () => {
      const info = await stat(location.path).catch(() => undefined);
      if (!info?.isDirectory()) throw new Error(`folder ${location.path} does not exist`);
      await access(location.path, constants.W_OK).catch(() => {
        throw new Error(`folder ${location.path} is not writable`);
      });
    });
  },
  { name: 'peak-lake-readiness', dependencies: ['peak-health'] },
);
