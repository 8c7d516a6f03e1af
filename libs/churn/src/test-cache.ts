/**
 * A cache for one run of the test suite: scripts/test.sh points PEAK_TEST_CACHE_DIR at a fresh temp folder (removed when
 * the run ends), so a deterministic build that many test files repeat (the sample lake, the scored lake) is done once per
 * run and copied into each caller's folder. Without the variable every call builds, as before. Never stale across code
 * changes: the folder lives only as long as the run.
 */
import { createHash, randomUUID } from 'node:crypto';
import { access, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

export const TEST_CACHE_ENV = 'PEAK_TEST_CACHE_DIR';

/** Written last, beside `files/`: an entry with it is complete. Holds the builder's JSON result. */
const MARKER = 'complete.json';

/** A JSON text with every object's keys sorted, so equal values hash alike whatever order their keys were written in. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v);
}

/** `<name>-<hash of params>`: the cache entry's folder name. */
export function testCacheKey(name: string, params: unknown): string {
  return `${name}-${createHash('sha256').update(stableJson(params)).digest('hex').slice(0, 20)}`;
}

/** Entries being filled by this process, so concurrent calls in one process build once. */
const filling = new Map<string, Promise<void>>();

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * `build(dir)` fills `dir` and returns a JSON value that does not depend on where it built (no paths). Without
 * PEAK_TEST_CACHE_DIR it is just that call. With it, the first call for `key` builds into a temp folder of the cache and
 * moves it into place; every call then copies the built files into `dir` (a copy of its own: callers may write into it)
 * and returns the value read back from JSON.
 */
export async function withTestCache<T>(key: string, dir: string, build: (dir: string) => Promise<T>): Promise<T> {
  const root = process.env[TEST_CACHE_ENV];
  if (!root) return build(dir);
  const entry = join(root, key);
  let fill = filling.get(entry);
  if (!fill) {
    fill = fillEntry(root, key, build).finally(() => filling.delete(entry));
    filling.set(entry, fill);
  }
  await fill;
  const value = JSON.parse(await readFile(join(entry, MARKER), 'utf8')) as T;
  await copyTree(join(entry, 'files'), dir);
  return value;
}

/**
 * `from`'s folders and files copied into `to` (plain copies: a caller writing into its lake must not touch the cache).
 * Not fs.cp: that copies one file at a time in JavaScript, about three times the CPU for a lake's ~2,000 small files.
 */
async function copyTree(from: string, to: string): Promise<void> {
  const entries = await readdir(from, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  const folders = [''];
  for (const e of entries) {
    const rel = relative(from, join(e.parentPath, e.name));
    if (e.isDirectory()) folders.push(rel);
    else if (e.isFile()) files.push(rel);
    else throw new Error(`test cache: ${join(from, rel)} is neither a file nor a folder`);
  }
  for (const folder of folders.sort()) await mkdir(join(to, folder), { recursive: true });
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const rel = files[next++]!;
      await copyFile(join(from, rel), join(to, rel));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function fillEntry<T>(root: string, key: string, build: (dir: string) => Promise<T>): Promise<void> {
  const entry = join(root, key);
  if (await exists(join(entry, MARKER))) return;
  // A unique sibling, renamed into place whole: another test process (tap runs two at once) sees all of it or none.
  const temp = join(root, `.building-${key}-${process.pid}-${randomUUID()}`);
  try {
    await mkdir(join(temp, 'files'), { recursive: true });
    const value = await build(join(temp, 'files'));
    const text = JSON.stringify(value);
    if (text === undefined || !isDeepStrictEqual(JSON.parse(text), value)) {
      throw new Error(`test cache ${key}: the build's result does not survive JSON (undefined, NaN, Infinity, a Date or a class?); cache only JSON values`);
    }
    await writeFile(join(temp, MARKER), text);
    try {
      await rename(temp, entry);
    } catch (err) {
      // Another process moved its (equal) build into place first: keep theirs, ours is removed below.
      const code = (err as NodeJS.ErrnoException).code;
      if (!((code === 'ENOTEMPTY' || code === 'EEXIST') && (await exists(join(entry, MARKER))))) throw err;
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
