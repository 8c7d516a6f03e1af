/**
 * Text clean-up and number formatting for the email templates. Everything here works on plain text; HTML escaping is
 * Handlebars' job (`{{ }}` in the `.html.hbs` sources), never done by hand.
 */

const LOCALE = 'en-US';
const numbers = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const ordinals = new Intl.PluralRules(LOCALE, { type: 'ordinal' });
const ORDINAL_SUFFIX: Readonly<Record<string, string>> = { one: 'st', two: 'nd', few: 'rd', other: 'th' };

/** `1204` → `1,204`. */
export function formatCount(n: number): string {
  return numbers.format(n);
}

/** `1` → `1st`, `2` → `2nd`, `3` → `3rd`, `11` → `11th`, `22` → `22nd`, `1001` → `1,001st`. */
export function ordinal(n: number): string {
  return `${numbers.format(n)}${ORDINAL_SUFFIX[ordinals.select(n)] ?? 'th'}`;
}

/** `plural(1, 'day')` → `1 day`, `plural(45, 'day')` → `45 days`. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}

// Lone UTF-16 surrogates (invalid text) become U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Bidirectional embeddings, overrides and isolates: they can make text display as something else (e.g. a reversed link).
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
// Every control character (C0, DEL, C1 incl. NEL), line/paragraph separators and any whitespace: one space on a line.
const LINE_BREAKERS = /[\s\p{Cc}\p{Zl}\p{Zp}]+/gu;

function wellFormed(value: string): string {
  return value.replace(LONE_SURROGATE, '\uFFFD').normalize('NFC').replace(BIDI_CONTROLS, '');
}

/**
 * One line of text: no CR, LF or other control character survives, whitespace runs become one space, ends trimmed.
 * Used for every single-line variable, so a member name can never start a new line (in a subject header or in the
 * plain-text email).
 */
export function cleanLine(value: string): string {
  return wellFormed(value).replace(LINE_BREAKERS, ' ').trim();
}

/**
 * A block of paragraphs (staff-written text): line breaks normalised to `\n`, tabs to spaces, other control characters
 * dropped, trailing spaces cut, at most one blank line between paragraphs, ends trimmed.
 */
export function cleanBlock(value: string): string {
  return wellFormed(value)
    .replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n')
    .replace(/[\t\v\f]/g, ' ')
    .replace(/(?!\n)\p{Cc}/gu, '')
    .replace(/[^\S\n]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** A cleaned block → paragraphs (split on blank lines) → their lines (split on single line breaks). */
export function paragraphs(block: string): string[][] {
  return cleanBlock(block)
    .split(/\n{2,}/)
    .filter((p) => p.trim() !== '')
    .map((p) => p.split('\n'));
}

/** Length in characters as a person counts them (code points, so an emoji is one). */
export function charLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/**
 * One line capped at `max` characters: cut at the last word boundary that fits and end with `…`. For the subject and
 * the preheader, which must stay one line whatever the variables hold.
 */
export function capLine(value: string, max: number): string {
  const line = cleanLine(value);
  const chars = [...line];
  if (chars.length <= max) return line;
  const head = chars.slice(0, max - 1).join('');
  const space = head.lastIndexOf(' ');
  const cut = space >= Math.floor(max / 2) ? head.slice(0, space) : head;
  return `${cut.replace(/[\s,;:.\-–—]+$/u, '')}…`;
}
