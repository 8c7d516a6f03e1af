/**
 * Writes every email template, rendered with its catalog sample variables and the sample links/footer, to a folder:
 * `<template>.html`, `<template>.txt` and an `index.html` linking them all. Prints the paths.
 *
 *   node --import tsx services/notifier/src/templates/preview-cli.ts [--out <dir>]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Handlebars from 'handlebars';
import { EMAIL_TEMPLATES } from '@peak/contracts';
import { EMAIL_CATALOG, SAMPLE_RENDER_INPUT } from './catalog.js';
import { renderEmail } from './render.js';

/** `<repo>/.data/email-previews`, wherever the command runs from. */
export const DEFAULT_PREVIEW_DIR = fileURLToPath(new URL('../../../../.data/email-previews', import.meta.url));

export const HELP = `Peak Fitness email previews: every template rendered with its sample variables.

Usage: node --import tsx services/notifier/src/templates/preview-cli.ts [options]

Options:
  --out <dir>   where to write <template>.html, <template>.txt and index.html
                (default: <repo>/.data/email-previews)
  -h, --help    this text
`;

export interface PreviewFile {
  template: string;
  subject: string;
  html: string;
  text: string;
}

/** Renders every template into `dir` (created if needed); returns what it wrote. */
export function writePreviews(dir: string): { index: string; files: PreviewFile[] } {
  mkdirSync(dir, { recursive: true });
  const files = EMAIL_TEMPLATES.map((template) => {
    const email = renderEmail(template, EMAIL_CATALOG[template].sample, SAMPLE_RENDER_INPUT);
    const html = join(dir, `${template}.html`);
    const text = join(dir, `${template}.txt`);
    writeFileSync(html, email.html);
    writeFileSync(text, `Subject: ${email.subject}\n\n${email.text}`);
    return { template, subject: email.subject, html, text };
  });
  const index = join(dir, 'index.html');
  const page = Handlebars.compile(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Peak Fitness email previews</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; max-width: 760px; margin: 24px auto; padding: 0 16px;">
<h1>Peak Fitness email previews</h1>
<ul>{{#each files}}<li style="margin: 0 0 12px 0;"><strong>{{template}}</strong> ({{kind}}, topic {{topic}}): {{subject}}<br>
<a href="{{template}}.html">HTML</a> · <a href="{{template}}.txt">text</a> · {{description}}</li>{{/each}}</ul>
</body></html>
`,
    { strict: true },
  );
  writeFileSync(index, page({ files: files.map((f) => ({ ...f, ...EMAIL_CATALOG[f.template as keyof typeof EMAIL_CATALOG] })) }));
  return { index, files };
}

export function main(argv: string[] = process.argv.slice(2), cwd = process.cwd()): number {
  let values: { out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const dir = values.out === undefined ? DEFAULT_PREVIEW_DIR : resolve(cwd, values.out);
  const { index, files } = writePreviews(dir);
  const show = (path: string) => {
    const rel = relative(cwd, path);
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  };
  for (const f of files) console.log(`${f.template.padEnd(18)} ${show(f.html)}  ${show(f.text)}  "${f.subject}"`);
  console.log(`\nindex: ${show(index)}`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
