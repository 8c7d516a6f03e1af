import type { Readable } from 'node:stream';

export type ObjectInfo = { bytes: number; lastModified: Date };
export type ListedObject = { key: string; bytes: number };
/** One page of a listing; pass `next` as `startAfter` for the following page (absent on the last one). */
export type ListPage = { items: ListedObject[]; next?: string };
export type ListOptions = { startAfter?: string; limit?: number };
export type PutOptions = { contentType?: string };

/**
 * The data lake, whatever holds it: an S3 bucket (AWS) or a folder (local). Keys are relative object
 * names (`raw/members/dt=2026-01-05/….csv`, validated by `checkKey`); a missing key reads as
 * `undefined`, never as an error. Writes are atomic: a reader sees the whole object or nothing.
 */
export interface Lake {
  /** Where the lake is, as a LAKE_URI (`file:///…` or `s3://bucket/prefix/`). */
  describe(): string;
  /** Streams `body` into `key` without holding it in memory; rejects (and writes nothing) if `body` errors. */
  putStream(key: string, body: Readable, opts?: PutOptions): Promise<{ bytes: number }>;
  putFile(key: string, localPath: string, opts?: PutOptions): Promise<{ bytes: number }>;
  /** Writes a small object. With `ifAbsent`, only when the key does not exist yet: false = it did, nothing written. */
  putBytes(key: string, data: Uint8Array | string, opts?: PutOptions & { ifAbsent?: boolean }): Promise<boolean>;
  getStream(key: string): Promise<Readable | undefined>;
  getBytes(key: string): Promise<Buffer | undefined>;
  getToFile(key: string, localPath: string): Promise<{ bytes: number } | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Objects whose key starts with `prefix`, in S3 order (UTF-8 bytes, ascending); `limit` defaults to 1000. */
  list(prefix: string, opts?: ListOptions): Promise<ListPage>;
  /** Deletes the object if it exists. */
  delete(key: string): Promise<void>;
  /** Deletes every object under a non-empty prefix; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** Copies an object; false when `from` does not exist. */
  copy(from: string, to: string): Promise<boolean>;
  /** The local file holding `key` (folder lake only), for people and local tools to open. */
  localPath(key: string): string | undefined;
}

/** Every key under `prefix`, in S3 order, page after page (`pageSize` keys per call). */
export async function listAllKeys(lake: Lake, prefix: string, pageSize?: number): Promise<string[]> {
  const keys: string[] = [];
  let startAfter: string | undefined;
  do {
    const page = await lake.list(prefix, { startAfter, ...(pageSize === undefined ? {} : { limit: pageSize }) });
    keys.push(...page.items.map((i) => i.key));
    startAfter = page.next;
  } while (startAfter);
  return keys;
}
