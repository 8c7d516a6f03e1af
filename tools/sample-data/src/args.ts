import { parseArgs } from 'node:util';
import type { Format } from './dirty.js';
import { OptionError } from './errors.js';
import { DEFAULTS, FORMATS, LIMITS, type GenerateOptions } from './options.js';

export const HELP = `Peak Fitness sample data generator: what the studio chain's systems would export.

Usage: npm run generate -- --out <dir> [options]

  --out <dir>          output folder (required); refuses a non-empty folder without --force
  --seed <int>         random seed, ${LIMITS.seed[0]}–${LIMITS.seed[1]} (default ${DEFAULTS.seed})
  --members <n>        members in the export, ${LIMITS.members[0]}–${LIMITS.members[1]} (default ${DEFAULTS.members})
  --locations <n>      studios, ${LIMITS.locations[0]}–${LIMITS.locations[1]} (default ${DEFAULTS.locations})
  --days <n>           simulated days, ${LIMITS.days[0]}–${LIMITS.days[1]} (default ${DEFAULTS.days})
  --end <YYYY-MM-DD>   last simulated day (default: today, UTC)
  --format <f>         ${FORMATS.join(' | ')} for every dataset
                       (default: csv, and ndjson for engagement)
  --dirty <rate>       share of rows given an export defect, ${LIMITS.dirty[0]}–${LIMITS.dirty[1]} (default 0)
  --timezone <tz>      studios' IANA time zone (default ${DEFAULTS.timezone})
  --force              overwrite the generator's files in a non-empty --out
  -h, --help           this text

Same seed and options give byte-identical files. Writes <out>/exports/, <out>/truth/churn_labels.csv,
<out>/manifest.json and <out>/dirty-manifest.json.
`;

const INT = /^-?\d+$/;
const NUM = /^-?(\d+\.?\d*|\.\d+)$/;

function whole(flag: keyof typeof LIMITS, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!INT.test(raw.trim())) throw new OptionError(`--${flag} must be a whole number between ${LIMITS[flag][0]} and ${LIMITS[flag][1]}`);
  return Number(raw);
}

/** Flags → library options; every problem is an OptionError with the flag's name. */
export function parseCli(argv: string[]): { help: true } | { help: false; options: GenerateOptions } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        seed: { type: 'string' },
        members: { type: 'string' },
        locations: { type: 'string' },
        days: { type: 'string' },
        end: { type: 'string' },
        format: { type: 'string' },
        dirty: { type: 'string' },
        timezone: { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    const e = err as Error & { code?: string };
    const flag = /'(-[^' ]+)/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new OptionError(`unknown flag ${flag ?? ''} (see --help)`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = flag?.replace(/^--/, '');
      // parseArgs reads `--days -3` as a missing value; the number's own rule is the useful message.
      if (name !== undefined && name in LIMITS && /ambiguous/.test(e.message)) {
        const [lo, hi] = LIMITS[name as keyof typeof LIMITS];
        throw new OptionError(name === 'dirty' ? `--dirty must be a number between ${lo} and ${hi}` : `--${name} must be a whole number between ${lo} and ${hi}`);
      }
      throw new OptionError(`${flag ?? 'a flag'} needs a value (see --help)`);
    }
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new OptionError(`unexpected argument: ${e.message.match(/'([^']*)'/)?.[1] ?? ''} (flags only, see --help)`);
    throw new OptionError(e.message);
  }
  if (values.help) return { help: true };
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const dirty = str('dirty');
  if (dirty !== undefined && !NUM.test(dirty.trim())) throw new OptionError(`--dirty must be a number between ${LIMITS.dirty[0]} and ${LIMITS.dirty[1]}`);
  const format = str('format');
  if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) throw new OptionError(`--format must be one of ${FORMATS.join(', ')}`);
  const out = str('out');
  if (out === undefined || out.trim() === '') throw new OptionError('--out <dir> is required (see --help)');
  const options: GenerateOptions = { out, force: values.force === true };
  const set = <K extends keyof GenerateOptions>(k: K, v: GenerateOptions[K] | undefined) => {
    if (v !== undefined) options[k] = v;
  };
  set('seed', whole('seed', str('seed')));
  set('members', whole('members', str('members')));
  set('locations', whole('locations', str('locations')));
  set('days', whole('days', str('days')));
  set('end', str('end'));
  set('format', format as Format | undefined);
  set('dirty', dirty === undefined ? undefined : Number(dirty));
  set('timezone', str('timezone'));
  return { help: false, options };
}
