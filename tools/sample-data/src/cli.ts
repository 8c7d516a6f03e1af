#!/usr/bin/env -S npx tsx
import cliProgress from 'cli-progress';
import { HELP, parseCli } from './args.js';
import { generate, SampleDataError, type Progress } from './index.js';

/** A bar when a person is watching, sparse plain lines for logs and CI. */
function progressReporter(): { update: (p: Progress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'simulating |{bar}| {percentage}% | day {value}/{total} | eta {eta_formatted}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        if (p.phase !== 'simulate') return;
        if (!started) {
          bar.start(p.total, 0);
          started = true;
        }
        bar.update(p.done);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let lastTenth = -1;
  return {
    update: (p) => {
      if (p.phase === 'finish') process.stderr.write('writing members and churn labels\n');
      if (p.phase !== 'simulate') return;
      const tenth = Math.floor((p.done / p.total) * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      process.stderr.write(`simulated ${p.done}/${p.total} days (${Math.floor((p.done / p.total) * 100)}%)\n`);
    },
    stop: () => {},
  };
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const progress = progressReporter();
  const started = performance.now();
  try {
    const result = await generate(parsed.options, progress.update);
    progress.stop();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const lines = result.manifest.files.map((f) => `  ${f.file.padEnd(30)} ${String(f.rows).padStart(10)} rows ${(f.bytes / 1e6).toFixed(1).padStart(8)} MB`);
    const dirty = result.dirty.defects.length > 0 ? `\n  ${result.dirty.defects.length} injected defects listed in dirty-manifest.json` : '';
    process.stdout.write(`wrote ${result.outDir} in ${seconds}s\n${lines.join('\n')}${dirty}\n`);
    return 0;
  } catch (err) {
    progress.stop();
    if (err instanceof SampleDataError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
