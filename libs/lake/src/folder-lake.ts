import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { ByteCounter } from './byte-counter.js';
import { InvalidLakeKeyError } from './errors.js';
import { checkKey, checkPrefix, compareKeys, TEMP_MARK } from './keys.js';
import type { Lake, ListedObject, ListOptions, ListPage, ObjectInfo } from './lake.js';

/** Errors that mean "no such object": the path is missing, a parent is a file, or it is a folder. */
const NOT_AN_OBJECT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);
const missing = (err: unknown): undefined => {
  if (NOT_AN_OBJECT.has((err as NodeJS.ErrnoException).code ?? '')) return undefined;
  throw err;
};

const renameInto = async (tmp: string, path: string): Promise<boolean> => {
  await rename(tmp, path);
  return true;
};

/** link() fails with EEXIST instead of replacing the target: an atomic create-if-absent. */
const linkIfAbsent = (tmp: string, path: string): Promise<boolean> =>
  link(tmp, path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return false;
      throw err;
    },
  );

/**
 * The lake as a local folder, one file per key. Every write goes to a temp file in the target's own
 * folder and is then renamed (or hard-linked, for create-if-absent) into place, so readers never see
 * half a file and a crash leaves at most a temp file that listings ignore.
 */
export class FolderLake implements Lake {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  describe(): string {
    return pathToFileURL(this.root).href;
  }

  localPath(key: string): string {
    const path = join(this.root, checkKey(key));
    // checkKey already rules out escapes; this is the belt to its braces.
    if (!path.startsWith(this.root.endsWith(sep) ? this.root : this.root + sep)) throw new InvalidLakeKeyError(key, 'resolves outside the lake');
    return path;
  }

  async putStream(key: string, body: Readable): Promise<{ bytes: number }> {
    const counter = new ByteCounter();
    await this.writeAtomically(key, (tmp) => pipeline(body, counter, createWriteStream(tmp, { flags: 'wx', flush: true })));
    return { bytes: counter.bytes };
  }

  putFile(key: string, localPath: string): Promise<{ bytes: number }> {
    return this.putStream(key, createReadStream(localPath));
  }

  putBytes(key: string, data: Uint8Array | string, opts: { ifAbsent?: boolean } = {}): Promise<boolean> {
    return this.writeAtomically(key, (tmp) => writeFile(tmp, data, { flag: 'wx', flush: true }), opts.ifAbsent ? linkIfAbsent : renameInto);
  }

  async getStream(key: string): Promise<Readable | undefined> {
    const file = await open(this.localPath(key), 'r').catch(missing);
    if (!file) return undefined;
    // A folder opens fine on Linux; it is still not an object.
    if (!(await file.stat()).isFile()) {
      await file.close();
      return undefined;
    }
    return file.createReadStream();
  }

  async getBytes(key: string): Promise<Buffer | undefined> {
    return readFile(this.localPath(key)).catch(missing);
  }

  async getToFile(key: string, localPath: string): Promise<{ bytes: number } | undefined> {
    const body = await this.getStream(key);
    if (!body) return undefined;
    const counter = new ByteCounter();
    await pipeline(body, counter, createWriteStream(localPath));
    return { bytes: counter.bytes };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const info = await stat(this.localPath(key)).catch(missing);
    return info?.isFile() ? { bytes: info.size, lastModified: info.mtime } : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    checkPrefix(prefix);
    const limit = opts.limit ?? 1000;
    const items: ListedObject[] = [];
    // The folder part of the prefix is where the walk starts; the rest filters names.
    const start = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    for await (const item of this.walk(start, prefix, opts.startAfter)) {
      if (items.length === limit) return { items, next: items[items.length - 1]?.key };
      items.push(item);
    }
    return { items };
  }

  async delete(key: string): Promise<void> {
    await unlink(this.localPath(key)).catch(missing);
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (checkPrefix(prefix) === '') throw new InvalidLakeKeyError(prefix, 'an empty prefix would delete the whole lake');
    let deleted = 0;
    for (;;) {
      const { items, next } = await this.list(prefix);
      for (const { key } of items) await this.delete(key);
      deleted += items.length;
      if (next === undefined) return deleted;
    }
  }

  async copy(from: string, to: string): Promise<boolean> {
    checkKey(to);
    const body = await this.getStream(from);
    if (!body) return false;
    await this.putStream(to, body);
    return true;
  }

  /** Writes a unique temp file beside the target, then moves it into place; returns what `place` says. */
  private async writeAtomically(
    key: string,
    write: (tmp: string) => Promise<unknown>,
    place: (tmp: string, path: string) => Promise<boolean> = renameInto,
  ): Promise<boolean> {
    const path = this.localPath(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = join(dirname(path), `${TEMP_MARK}${randomUUID()}`);
    try {
      await write(tmp);
      return await place(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Objects under `dirKey` (a folder key ending in `/`, or ''), in byte order, skipping what sorts ≤ `after`. */
  private async *walk(dirKey: string, prefix: string, after: string | undefined): AsyncGenerator<ListedObject> {
    const entries = (await readdir(join(this.root, dirKey), { withFileTypes: true }).catch(missing)) ?? [];
    const children = entries
      .filter((e) => !e.name.startsWith(TEMP_MARK) && (e.isFile() || e.isDirectory()))
      .map((e) => ({ key: `${dirKey}${e.name}${e.isDirectory() ? '/' : ''}`, folder: e.isDirectory() }))
      // A folder matters when its keys can start with the prefix; a file when its key does.
      .filter((c) => c.key.startsWith(prefix) || (c.folder && prefix.startsWith(c.key)))
      .sort((a, b) => compareKeys(a.key, b.key));
    for (const child of children) {
      if (child.folder) {
        // Every key in the folder starts with its key: all of them sort before `after` unless `after` is inside it.
        if (after !== undefined && compareKeys(after, child.key) > 0 && !after.startsWith(child.key)) continue;
        yield* this.walk(child.key, prefix, after);
      } else if (after === undefined || compareKeys(child.key, after) > 0) {
        const info = await stat(join(this.root, child.key)).catch(missing);
        if (info) yield { key: child.key, bytes: info.size };
      }
    }
  }
}
