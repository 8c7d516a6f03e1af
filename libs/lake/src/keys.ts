import { InvalidLakeKeyError } from './errors.js';

/** Name prefix of the folder lake's temp files: no key segment may start with it. */
export const TEMP_MARK = '.lake-tmp-';

const MAX_KEY_BYTES = 1024; // S3's limit on a key

/**
 * A key is a plain relative object name: it can never name something outside the lake folder and
 * means the same object in S3 and in a folder (no `..`, `.` or empty segments, no backslash, no NUL).
 */
export function checkKey(key: string): string {
  if (key === '') throw new InvalidLakeKeyError(key, 'empty');
  if (key.endsWith('/')) throw new InvalidLakeKeyError(key, 'ends with / (a folder, not an object)');
  return checkPrefix(key);
}

/** A key prefix for listing: the same rules as a key, but it may be empty or end with `/`. */
export function checkPrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw new InvalidLakeKeyError(String(prefix), 'not a string');
  if (Buffer.byteLength(prefix) > MAX_KEY_BYTES) throw new InvalidLakeKeyError(prefix.slice(0, 80), `longer than ${MAX_KEY_BYTES} bytes`);
  if (prefix.startsWith('/')) throw new InvalidLakeKeyError(prefix, 'starts with /');
  if (prefix.includes('\\')) throw new InvalidLakeKeyError(prefix, 'contains a backslash');
  if (hasControlCharacter(prefix)) throw new InvalidLakeKeyError(prefix, 'contains a NUL or control character');
  const segments = prefix.split('/');
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') throw new InvalidLakeKeyError(prefix, `has a "${segment}" segment`);
    if (segment === '' && !last) throw new InvalidLakeKeyError(prefix, 'has an empty segment (//)');
    if (segment.startsWith(TEMP_MARK)) throw new InvalidLakeKeyError(prefix, `has a segment starting with the reserved ${TEMP_MARK}`);
  });
  return prefix;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** S3's listing order: by the UTF-8 bytes of the key. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
