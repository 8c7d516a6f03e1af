import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { pipeline as pipelinePromise } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ByteCounter } from './byte-counter.js';
import { InvalidLakeKeyError } from './errors.js';
import { checkKey, checkPrefix } from './keys.js';
import type { Lake, ListedObject, ListOptions, ListPage, ObjectInfo, PutOptions } from './lake.js';

/** Multipart upload settings: at most ~PART_SIZE × (QUEUE_SIZE + 1) of a stream is in memory at once. */
const PART_SIZE = 5 * 1024 * 1024; // S3's minimum part size
const QUEUE_SIZE = 2;
const CONFLICT_RETRIES = 4;

const statusOf = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const missing = (err: unknown): undefined => {
  if (statusOf(err) === 404 && (err as Error).name !== 'NoSuchBucket') return undefined;
  throw err;
};

/** The lake in an S3 bucket, under an optional key prefix (`s3://bucket/prefix/`). */
export class S3Lake implements Lake {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    /** Empty or ending in `/`. */
    readonly prefix = '',
  ) {}

  describe(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  localPath(): undefined {
    return undefined;
  }

  async putStream(key: string, body: Readable, opts: PutOptions = {}): Promise<{ bytes: number }> {
    const counter = new ByteCounter();
    // Errors of `body` reach the upload through `counter`; the upload's own failure is reported by done().
    pipeline(body, counter, () => {});
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: counter, ContentType: opts.contentType },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      counter.destroy();
      throw err;
    }
    return { bytes: counter.bytes };
  }

  putFile(key: string, localPath: string, opts?: PutOptions): Promise<{ bytes: number }> {
    return this.putStream(key, createReadStream(localPath), opts);
  }

  async putBytes(key: string, data: Uint8Array | string, opts: PutOptions & { ifAbsent?: boolean } = {}): Promise<boolean> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      Body: data,
      ContentType: opts.contentType,
      IfNoneMatch: opts.ifAbsent ? '*' : undefined,
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.s3.send(command);
        return true;
      } catch (err) {
        if (opts.ifAbsent && statusOf(err) === 412) return false;
        // S3 answers 409 ConditionalRequestConflict while another write to the key is in flight, and asks for a retry.
        if (!opts.ifAbsent || statusOf(err) !== 409 || attempt > CONFLICT_RETRIES) throw err;
        await sleep(50 * attempt);
      }
    }
  }

  async getStream(key: string): Promise<Readable | undefined> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })).catch(missing);
    return out?.Body as Readable | undefined;
  }

  async getBytes(key: string): Promise<Buffer | undefined> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })).catch(missing);
    return out?.Body ? Buffer.from(await out.Body.transformToByteArray()) : undefined;
  }

  async getToFile(key: string, localPath: string): Promise<{ bytes: number } | undefined> {
    const body = await this.getStream(key);
    if (!body) return undefined;
    const counter = new ByteCounter();
    await pipelinePromise(body, counter, createWriteStream(localPath));
    return { bytes: counter.bytes };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })).catch(missing);
    return out ? { bytes: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0) } : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    const limit = opts.limit ?? 1000;
    const items: ListedObject[] = [];
    let startAfter = opts.startAfter === undefined ? undefined : this.prefix + opts.startAfter;
    for (;;) {
      const out = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + checkPrefix(prefix),
          StartAfter: startAfter,
          MaxKeys: Math.min(limit - items.length, 1000),
        }),
      );
      for (const o of out.Contents ?? []) items.push({ key: (o.Key ?? '').slice(this.prefix.length), bytes: o.Size ?? 0 });
      const last = out.Contents?.at(-1)?.Key;
      if (!out.IsTruncated || last === undefined) return { items };
      if (items.length >= limit) return { items, next: items[items.length - 1]?.key };
      startAfter = last;
    }
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (checkPrefix(prefix) === '') throw new InvalidLakeKeyError(prefix, 'an empty prefix would delete the whole lake');
    let deleted = 0;
    for (;;) {
      const { items, next } = await this.list(prefix);
      if (items.length > 0) {
        const out = await this.s3.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: items.map((i) => ({ Key: this.objectKey(i.key) })), Quiet: true } }),
        );
        const failed = out.Errors?.[0];
        if (failed) throw new Error(`could not delete ${failed.Key}: ${failed.Code} ${failed.Message}`);
      }
      deleted += items.length;
      if (next === undefined) return deleted;
    }
  }

  async copy(from: string, to: string): Promise<boolean> {
    const source = `${this.bucket}/${this.objectKey(from).split('/').map(encodeURIComponent).join('/')}`;
    const out = await this.s3.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.objectKey(to), CopySource: source })).catch(missing);
    return out !== undefined;
  }

  private objectKey(key: string): string {
    return this.prefix + checkKey(key);
  }
}
