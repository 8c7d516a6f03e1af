import type { Redis } from 'ioredis';

/**
 * The metrics cache in Redis. Each refresh writes a new *generation* — one hash holding every answer and the
 * refresh's `meta` — and only then flips the `current` pointer to it, in one script that also checks nobody flipped
 * meanwhile: readers see the whole previous refresh or the whole new one, never a mix. The generation a reader may
 * still be on keeps a short grace TTL after the flip instead of being deleted.
 *
 * Keys (prefix `metrics:` by default; the `{…}` hash tag keeps them in one cluster slot, as the flip script needs):
 *   `{metrics}:current`        the pointer: JSON {@link CachePointer}, TTL 7 days
 *   `{metrics}:gen:<id>`       hash: `meta` → JSON of the refresh, `answer|…` → one response body each, TTL 7 days
 */

/** The aggregated layer's TTL: a cache no batch has refreshed for a week is gone rather than silently stale. */
export const CACHE_TTL_SECONDS = 7 * 24 * 3600;
/** How long a replaced generation stays readable for requests that had already read the old pointer. */
export const REPLACED_GRACE_SECONDS = 60;
export const DEFAULT_KEY_PREFIX = '{metrics}';
export const META_FIELD = 'meta';

export type CachePointer = { generation: string; asOf: string; refreshedAt: string; startedAt: string };

export const pointerKey = (prefix: string) => `${prefix}:current`;
export const generationKey = (prefix: string, generation: string) => `${prefix}:gen:${generation}`;

/** Redis did not answer in time or refused (down, reconnecting): the API answers 503 and the refresher fails. */
export class CacheUnavailableError extends Error {
  override name = 'CacheUnavailableError';
}

/**
 * Waits for a Redis command at most `ms`. ioredis cannot cancel a sent command, but the caller stops waiting: a
 * hung Redis makes requests fail fast instead of piling up.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CacheUnavailableError(`Redis did not answer ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (err) {
    if (err instanceof CacheUnavailableError) throw err;
    throw new CacheUnavailableError(`Redis refused ${what}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

export function parsePointer(raw: string | null): CachePointer | undefined {
  if (raw === null) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<CachePointer>;
    return typeof parsed.generation === 'string' && typeof parsed.asOf === 'string' ? (parsed as CachePointer) : undefined;
  } catch {
    return undefined; // a pointer we cannot read is no pointer: the next refresh replaces it
  }
}

/** Fields per HSET: large enough for few round trips, small enough not to block Redis on a big refresh. */
const FIELDS_PER_WRITE = 100;

/** Writes a generation's fields (invisible to readers until flipped); it expires on its own if the refresh dies. */
export async function writeGeneration(redis: Redis, key: string, fields: ReadonlyMap<string, string>, timeoutMs: number): Promise<void> {
  const entries = [...fields];
  for (let i = 0; i < entries.length; i += FIELDS_PER_WRITE) {
    const chunk = entries.slice(i, i + FIELDS_PER_WRITE).flat();
    await withDeadline(redis.multi().hset(key, ...chunk).expire(key, CACHE_TTL_SECONDS).exec(), timeoutMs, `writing ${key}`);
  }
}

/**
 * Compare-and-flip: point `current` at the new generation only if the pointer is still what the refresher read,
 * restart both TTLs, and give the replaced generation its grace TTL. Returns 1 flipped, 0 pointer changed meanwhile,
 * -1 the new generation is gone.
 */
const FLIP_SCRIPT = `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
if KEYS[3] ~= KEYS[2] then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
return 1`;

export type FlipOutcome = 'flipped' | 'superseded';

/**
 * Makes `next` the current generation unless a refresh that started later is already current (its lake was newer).
 * A pointer changed between our read and the flip is read again.
 */
export async function flipGeneration(redis: Redis, prefix: string, next: CachePointer, timeoutMs: number): Promise<FlipOutcome> {
  const key = pointerKey(prefix);
  const nextKey = generationKey(prefix, next.generation);
  for (let attempt = 0; attempt < 5; attempt++) {
    const raw = await withDeadline(redis.get(key), timeoutMs, `reading ${key}`);
    const current = parsePointer(raw);
    if (current && current.startedAt > next.startedAt) return 'superseded';
    const replacedKey = current ? generationKey(prefix, current.generation) : nextKey;
    const args = [raw ?? '', JSON.stringify(next), String(CACHE_TTL_SECONDS), String(REPLACED_GRACE_SECONDS)];
    const flipped = await withDeadline(redis.eval(FLIP_SCRIPT, 3, key, nextKey, replacedKey, ...args), timeoutMs, `flipping ${key}`);
    if (flipped === 1) return 'flipped';
    if (flipped === -1) throw new CacheUnavailableError(`generation ${next.generation} vanished from Redis before it was flipped (evicted, or Redis restarted)`);
  }
  throw new CacheUnavailableError(`${key} kept changing while flipping to ${next.generation}; another refresher is flipping in a loop`);
}

/** The current pointer; undefined before the first refresh, or once a week has passed without one. */
export async function readCurrent(redis: Redis, prefix: string, timeoutMs: number): Promise<CachePointer | undefined> {
  return parsePointer(await withDeadline(redis.get(pointerKey(prefix)), timeoutMs, 'reading the metrics cache pointer'));
}

/** One field of the pointer's generation (an answer, or `meta`); null when it has none. */
export async function readField(redis: Redis, prefix: string, pointer: CachePointer, field: string, timeoutMs: number): Promise<string | null> {
  return withDeadline(redis.hget(generationKey(prefix, pointer.generation), field), timeoutMs, 'reading the metrics cache');
}
