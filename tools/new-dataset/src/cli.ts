#!/usr/bin/env -S npx tsx
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NewDatasetError, newDatasetErrorCodes } from './errors.js';
import { nextSteps, planScaffold, REPO_ROOT, writeScaffold } from './scaffold.js';

export const HELP = `Scaffolds a new dataset: its contract, a first metric and the metric's test, from tools/new-dataset/templates/.

Usage: npm run new-dataset -- <name> [--dry-run] [--root <dir>]

  <name>         lower-case snake_case, e.g. class_feedback (at most 35 characters)
  --dry-run      print what would be written, write nothing
  --root <dir>   repository to write into (default: this one)
  -h, --help     this text

Writes libs/contracts/src/datasets/<name>.ts, libs/analytics/src/metrics/<name>.ts and
libs/analytics/test/<name>.test.ts (file names in kebab-case), never over an existing file, then prints
the steps left. The walk-through: docs/etl-templates.md.
`;

type Cli = { help: true } | { help: false; name: string; dryRun: boolean; root: string };

const parse = (args: string[]) =>
  parseArgs({ args, strict: true, allowPositionals: true, options: { 'dry-run': { type: 'boolean' }, root: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });

export function parseCli(argv: string[]): Cli {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new NewDatasetError(`${(err as Error).message.split('\n')[0]} (see --help)`, newDatasetErrorCodes.badUsage);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length !== 1) {
    const got = positionals.length === 0 ? 'none' : positionals.join(' ');
    throw new NewDatasetError(`give exactly one dataset name, e.g. npm run new-dataset -- class_feedback (got ${got})`, newDatasetErrorCodes.badUsage);
  }
  return { help: false, name: positionals[0] as string, dryRun: values['dry-run'] === true, root: resolve(values.root ?? REPO_ROOT) };
}

export function main(argv: string[], out: (text: string) => void = (s) => process.stdout.write(s), err: (text: string) => void = (s) => process.stderr.write(s)): number {
  try {
    const cli = parseCli(argv);
    if (cli.help) {
      out(HELP);
      return 0;
    }
    const { names, files } = planScaffold(cli.name, cli.root);
    if (!cli.dryRun) writeScaffold(files, cli.root);
    const where = relative(process.cwd(), cli.root) || '.';
    out(`${cli.dryRun ? 'would write' : 'wrote'} (in ${where}):\n${files.map((f) => `  ${f.path.padEnd(48)} ${f.what}`).join('\n')}\n\n`);
    out(`Next steps for ${names.name} (docs/etl-templates.md walks through each):\n${nextSteps(names).map((s, i) => `${String(i + 1).padStart(2)}. ${s}`).join('\n')}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof NewDatasetError)) throw e;
    err(`error: ${e.message}\n`);
    return 2;
  }
}

// Run as a program (npm run new-dataset), not when a test imports main().
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
