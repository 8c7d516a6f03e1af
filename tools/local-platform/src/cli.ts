import { PlatformError, platformErrorCodes } from './errors.js';
import { parseCli, urlTable, usage, type CliOptions } from './cli-options.js';
import { DEFAULT_PORT_BASE } from './ports.js';
import { startPlatform, type Platform } from './platform.js';
import type { SampleProgress } from './samples.js';
import { seconds } from './time.js';

// Node 20 is this project's runtime by decision; the SDK's nine-line notice about 2027 would bury the URL table.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** One self-overwriting line on a terminal, redrawn when the percentage changes; nothing in a log file. */
let drawnPercent = -1;
function drawSampleProgress(p: SampleProgress): void {
  if (!process.stdout.isTTY) return;
  const percent = Math.floor((100 * p.done) / Math.max(1, p.total));
  if (p.phase === 'simulate' && percent !== drawnPercent) {
    process.stdout.write(`\r    simulating ${percent}% `);
    drawnPercent = percent;
  } else if (p.phase === 'finish') process.stdout.write('\r\x1b[K');
}

async function main(): Promise<number> {
  let cli: CliOptions;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  if (cli.help) {
    console.log(usage);
    return 0;
  }

  const interrupted = new AbortController();
  let platform: Platform | undefined;
  let exiting: Promise<number> | undefined;
  const shutdown = (why: string, code: number): Promise<number> =>
    (exiting ??= (async () => {
      console.log(`\n${why} — stopping every process…`);
      const t0 = performance.now();
      await platform?.stop();
      console.log(`stopped in ${seconds(performance.now() - t0)}; nothing is left running.`);
      return code;
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    if (!platform) {
      interrupted.abort(); // start-up notices, stops what it started and rejects
      return;
    }
    void shutdown(`${signal} received`, 0).then((code) => process.exit(code));
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);

  console.log(`Starting the Peak Fitness platform (data: ${cli.dataDir}; ports: ${cli.ports === 'random' ? 'random' : `from ${cli.portBase ?? DEFAULT_PORT_BASE}`})`);
  const t0 = performance.now();
  try {
    platform = await startPlatform({
      dataDir: cli.dataDir,
      ports: cli.ports,
      portBase: cli.portBase,
      sampleData: cli.sampleData,
      signal: interrupted.signal,
      log: (line) => console.log(line),
      onSampleProgress: drawSampleProgress,
    });
  } catch (err) {
    if (err instanceof PlatformError && err.code === platformErrorCodes.aborted) {
      console.log('interrupted during start-up; everything started was stopped.');
      return 0;
    }
    console.error(`\n${err instanceof PlatformError ? err.message : (err as Error).stack}`);
    return 1;
  }
  console.log(`\nThe platform is up (${seconds(performance.now() - t0)}):\n${urlTable(platform)}\nPress Ctrl-C to stop everything.`);

  const crash = await platform.crashed;
  console.error(`\n${crash.message}`);
  return shutdown(`${crash.name} stopped unexpectedly`, 1);
}

process.exitCode = await main();
// Undici keep-alive sockets and emulator handles must not hold the process once everything is stopped.
process.exit();
