import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { InvalidLakeUriError } from './errors.js';
import { FolderLake } from './folder-lake.js';
import { checkPrefix } from './keys.js';
import type { Lake } from './lake.js';
import { S3Lake } from './s3-lake.js';

/** Where the lake is: a local folder or an S3 bucket (with an optional key prefix, empty or ending in `/`). */
export type LakeLocation = { kind: 'folder'; path: string } | { kind: 's3'; bucket: string; prefix: string };

/** Reads a LAKE_URI: `file:///absolute/folder` or `s3://bucket[/prefix]`. */
export function parseLakeUri(uri: string): LakeLocation {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new InvalidLakeUriError(uri, 'not a URI');
  }
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url);
    if (!isAbsolute(path)) throw new InvalidLakeUriError(uri, 'the folder must be an absolute path');
    return { kind: 'folder', path };
  }
  if (url.protocol !== 's3:') throw new InvalidLakeUriError(uri, `unsupported scheme ${url.protocol}`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(url.hostname)) throw new InvalidLakeUriError(uri, 'not a valid bucket name');
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+/, '');
  return { kind: 's3', bucket: url.hostname, prefix: checkPrefix(prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix) };
}

/** The lake at a LAKE_URI (or parsed location). An S3 lake needs the client to reach the bucket with. */
export function openLake(where: string | LakeLocation, clients: { s3?: S3Client } = {}): Lake {
  const location = typeof where === 'string' ? parseLakeUri(where) : where;
  if (location.kind === 'folder') return new FolderLake(location.path);
  if (!clients.s3) throw new InvalidLakeUriError(`s3://${location.bucket}/${location.prefix}`, 'an S3 lake needs an S3 client');
  return new S3Lake(clients.s3, location.bucket, location.prefix);
}
