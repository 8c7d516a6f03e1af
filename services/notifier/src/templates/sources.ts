/**
 * The template sources, compiled once. Bodies and the shared layouts are `.hbs` files in `sources/` next to this
 * module, found through `import.meta.url` (so wherever the process runs from: the service from services/notifier or the
 * repo root under tsx, the tests, the preview CLI); subjects, preheaders and footer reasons are one-line strings in the
 * catalog.
 *
 * Handlebars settings, and why:
 * - its own environment (`Handlebars.create()`): no global helper or partial registered by anything else applies;
 * - `strict`: a variable the source names but the view lacks is an error, not an empty string;
 * - `knownHelpersOnly` with `lookup` and `log` off: only `if`/`unless`/`each`/`with` exist, every other mustache is a
 *   plain lookup (a variable can't be mistaken for a helper, no dynamic property lookups);
 * - HTML sources escape `{{ }}` (the default); the `.hbs` files never use `{{{ }}}` (a test checks); text sources and
 *   the one-line strings use `noEscape` (plain text must not contain `&amp;`);
 * - at run time prototype properties and methods are refused explicitly (the 4.6+ defaults, stated so an upgrade or a
 *   stray option can't turn them on), so `constructor`/`__proto__` never resolve to anything but own data.
 * Variable values are only ever data in the view, never template source, so `{{constructor}}` in a name is just text.
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { EMAIL_TEMPLATES, type EmailTemplate } from '@peak/contracts';
import { EMAIL_CATALOG } from './catalog.js';

export type CompiledTemplate = (view: object, options?: Handlebars.RuntimeOptions) => string;
type CompileOptions = NonNullable<Parameters<typeof Handlebars.compile>[1]>;

/** Where the `.hbs` files are. */
export const SOURCES_DIR = new URL('./sources/', import.meta.url);

const hbs = Handlebars.create();

const BASE_OPTIONS: CompileOptions = {
  strict: true,
  knownHelpersOnly: true,
  knownHelpers: { lookup: false, log: false },
  preventIndent: true,
};
const HTML_OPTIONS: CompileOptions = { ...BASE_OPTIONS, noEscape: false };
const TEXT_OPTIONS: CompileOptions = { ...BASE_OPTIONS, noEscape: true };

/** Run-time options for every render: no prototype access, whatever Handlebars' defaults become. */
export const RUNTIME_OPTIONS = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
  allowedProtoProperties: {},
  allowedProtoMethods: {},
} as const satisfies Handlebars.RuntimeOptions;

export function readSource(file: string): string {
  return readFileSync(new URL(file, SOURCES_DIR), 'utf8');
}

/** Compiles one source the way every template is compiled (`html` escapes, `text` doesn't); exported for the tests. */
export function compileSource(source: string, kind: 'html' | 'text', what = 'source'): CompiledTemplate {
  return compile(source, kind === 'html' ? HTML_OPTIONS : TEXT_OPTIONS, what);
}

function compile(source: string, options: CompileOptions, what: string): CompiledTemplate {
  // parse now so a syntax error shows up when the templates load (compile() itself is lazy), naming the file
  try {
    hbs.parse(source);
  } catch (error) {
    throw new Error(`email template ${what}: ${(error as Error).message}`, { cause: error });
  }
  const template = hbs.compile(source, options);
  return (view, runtime) => {
    try {
      return template(view, { ...runtime, ...RUNTIME_OPTIONS });
    } catch (error) {
      throw new Error(`email template ${what} failed to render: ${(error as Error).message}`, { cause: error });
    }
  };
}

export interface CompiledEmail {
  subject: CompiledTemplate;
  preheader: CompiledTemplate;
  reason: CompiledTemplate;
  html: CompiledTemplate;
  text: CompiledTemplate;
}
export interface CompiledTemplates {
  layout: { html: CompiledTemplate; text: CompiledTemplate };
  emails: { readonly [T in EmailTemplate]: CompiledEmail };
}

let compiled: CompiledTemplates | undefined;

/**
 * Reads and compiles every source (once per process; later calls return the same). The service can call it at start
 * to fail fast on a missing or broken file; renderEmail calls it anyway.
 */
export function loadTemplates(): CompiledTemplates {
  if (compiled) return compiled;
  const emails = {} as Record<EmailTemplate, CompiledEmail>;
  for (const name of EMAIL_TEMPLATES) {
    const spec = EMAIL_CATALOG[name];
    emails[name] = {
      subject: compile(spec.subject, TEXT_OPTIONS, `${name} (subject)`),
      preheader: compile(spec.preheader, TEXT_OPTIONS, `${name} (preheader)`),
      reason: compile(spec.reason, TEXT_OPTIONS, `${name} (reason)`),
      html: compile(readSource(`${name}.html.hbs`), HTML_OPTIONS, `${name}.html.hbs`),
      text: compile(readSource(`${name}.text.hbs`), TEXT_OPTIONS, `${name}.text.hbs`),
    };
  }
  compiled = {
    layout: { html: compile(readSource('layout.html.hbs'), HTML_OPTIONS, 'layout.html.hbs'), text: compile(readSource('layout.text.hbs'), TEXT_OPTIONS, 'layout.text.hbs') },
    emails,
  };
  return compiled;
}
