import { isValidTimeZone, parseIsoDate, todayUtc } from './calendar.js';
import type { Format } from './dirty.js';
import { OptionError } from './errors.js';
import { LOCATION_SLUGS } from './model.js';

export type GenerateOptions = {
  /** Output folder (created if missing). */
  out: string;
  seed?: number;
  members?: number;
  locations?: number;
  days?: number;
  /** Last simulated day, `YYYY-MM-DD`; defaults to today (UTC). */
  end?: string;
  /** One format for every dataset; by default CSV, with NDJSON for engagement. */
  format?: Format;
  /** Share of rows (0–0.2) that get an export defect. */
  dirty?: number;
  /** Replace the generator's own files in a non-empty output folder. */
  force?: boolean;
  /** IANA zone of the studios' wall clocks (timetables are local; exports are UTC). */
  timezone?: string;
};

/** Options after defaults and validation; every value that shapes the data is here. */
export type ResolvedOptions = {
  out: string;
  seed: number;
  members: number;
  locations: number;
  days: number;
  end: string;
  format: Format | undefined;
  dirty: number;
  force: boolean;
  timezone: string;
};

export const DEFAULTS = { seed: 42, members: 2000, locations: 4, days: 365, dirty: 0, timezone: 'America/New_York' } as const;
export const LIMITS = {
  seed: [0, 4_294_967_295],
  members: [1, 1_000_000],
  locations: [1, LOCATION_SLUGS.length],
  days: [1, 3650],
  dirty: [0, 0.2],
} as const;
export const FORMATS = ['csv', 'json', 'ndjson'] as const;

function wholeNumber(name: keyof typeof LIMITS, value: unknown): number {
  const [lo, hi] = LIMITS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    throw new OptionError(`--${name} must be a whole number between ${lo} and ${hi}`);
  }
  return value;
}

/** Applies defaults and checks every option; throws OptionError naming the flag. `now` only feeds the default end. */
export function resolveOptions(options: GenerateOptions, now: Date = new Date()): ResolvedOptions {
  if (typeof options.out !== 'string' || options.out.trim() === '') throw new OptionError('--out <dir> is required');
  const dirty = options.dirty ?? DEFAULTS.dirty;
  if (typeof dirty !== 'number' || !Number.isFinite(dirty) || dirty < LIMITS.dirty[0] || dirty > LIMITS.dirty[1]) {
    throw new OptionError(`--dirty must be a number between ${LIMITS.dirty[0]} and ${LIMITS.dirty[1]}`);
  }
  const end = options.end ?? todayUtc(now);
  const endDay = parseIsoDate(end);
  if (endDay === undefined || end < '2000-01-01' || end > '2100-12-31') {
    throw new OptionError('--end must be a calendar date YYYY-MM-DD between 2000-01-01 and 2100-12-31');
  }
  if (options.format !== undefined && !(FORMATS as readonly string[]).includes(options.format)) {
    throw new OptionError(`--format must be one of ${FORMATS.join(', ')}`);
  }
  const timezone = options.timezone ?? DEFAULTS.timezone;
  if (typeof timezone !== 'string' || !isValidTimeZone(timezone)) throw new OptionError(`--timezone must be an IANA time zone such as America/New_York, got ${String(timezone)}`);
  return {
    out: options.out,
    seed: wholeNumber('seed', options.seed ?? DEFAULTS.seed),
    members: wholeNumber('members', options.members ?? DEFAULTS.members),
    locations: wholeNumber('locations', options.locations ?? DEFAULTS.locations),
    days: wholeNumber('days', options.days ?? DEFAULTS.days),
    end,
    format: options.format,
    dirty,
    force: options.force ?? false,
    timezone,
  };
}
