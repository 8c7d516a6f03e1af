import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { localSecrets, parts } from './parts.js';
import { DEFAULT_PORT_BASE } from './ports.js';
import { repoRoot, type Platform } from './platform.js';
import type { SampleDataOptions } from './samples.js';

/** "leaderboard 4000, ingest 4001, …" wrapped under the flag's description. */
const portList = (base: number): string => {
  const items = [...parts].sort((a, b) => a.portOffset - b.portOffset).map((p) => `${p.name} ${base + p.portOffset}`);
  const lines: string[] = [];
  for (const item of items) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + item.length < 80) lines[lines.length - 1] = `${last}, ${item}`;
    else lines.push(item);
  }
  return lines.join(',\n                        ');
};

export const usage = `Usage: npm start -- [options]

Starts the whole Peak Fitness platform on this machine (127.0.0.1 only): the SQS/S3 emulator, the SES
and HubSpot sandboxes, DynamoDB, Redis and the services; generates sample data, loads it, runs the first
HubSpot sync and the first campaigns (emails in the SES mail viewer); prints every URL. Ctrl-C stops
everything it started.

Options:
  --data-dir <path>   logs, lake, samples and the lock file (default: <repo>/.data)
  --port-base <n>     fixed ports: n + a fixed offset per part (default ${DEFAULT_PORT_BASE}:
                        ${portList(DEFAULT_PORT_BASE)})
  --random-ports      any free loopback ports instead (tests, several platforms side by side)
  --no-sample-data    do not generate sample data
  --members <n>       sample data: number of members
  --days <n>          sample data: days of history
  --seed <n>          sample data: random seed (same seed, same data)
  -h, --help          this help
`;

export class UsageError extends Error {}

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${flag} wants a whole number, got "${value}"`);
  return n;
}

export type CliOptions = {
  help: boolean;
  dataDir: string;
  ports: 'fixed' | 'random';
  portBase?: number;
  sampleData: false | SampleDataOptions;
};

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      'data-dir': { type: 'string' },
      'port-base': { type: 'string' },
      'random-ports': { type: 'boolean' },
      'no-sample-data': { type: 'boolean' },
      members: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (values['random-ports'] && values['port-base'] !== undefined) throw new UsageError('--port-base and --random-ports exclude each other');
  const sample: SampleDataOptions = {};
  const members = positiveInt('members', values.members);
  const days = positiveInt('days', values.days);
  const seed = positiveInt('seed', values.seed);
  if (members !== undefined) sample.members = members;
  if (days !== undefined) sample.days = days;
  if (seed !== undefined) sample.seed = seed;
  if (values['no-sample-data'] && Object.keys(sample).length > 0) throw new UsageError('--no-sample-data excludes --members, --days and --seed');
  return {
    help: values.help ?? false,
    dataDir: resolve(values['data-dir'] ?? join(repoRoot, '.data')),
    ports: values['random-ports'] ? 'random' : 'fixed',
    portBase: positiveInt('port-base', values['port-base']),
    sampleData: values['no-sample-data'] ? false : sample,
  };
}

export function urlTable(platform: Platform): string {
  const table = new Table({ head: ['', 'URL / location'], style: { head: [], border: [] } });
  for (const link of platform.links) table.push([link.label, link.url]);
  table.push(
    ['Ingest API keys (local only)', Object.entries(localSecrets.ingestApiKeys).map(([source, key]) => `${source}: ${key}`).join('\n')],
    ['ETL admin key (local only)', `${localSecrets.etlAdminKey}  (npm run replay -- <batch id>)`],
    ['Notifier API key (local only)', `${localSecrets.notifierApiKey}  (POST /v1/campaign-runs, GET /v1/sends)`],
    ['Logs', `${platform.logsDir}/<name>.log`],
    ['Data', `${platform.dataDir} (lake/, samples/, platform.lock)`],
  );
  const m = platform.samples?.manifest;
  if (m && platform.samples) {
    table.push(['Sample data', `${join(platform.samples.dir, 'exports')}\n${m.options.members} members, ${m.locations.length} locations, ${m.window.start} … ${m.window.end}`]);
  }
  const c = platform.campaigns;
  if (c) {
    const d = c.delivery;
    table.push(['First campaigns', `as of ${c.asOf}: ${d.sent} sent, ${d.suppressed} suppressed, ${d.dropped} dropped, ${d.capped} capped${d.alreadyHandled ? `, ${d.alreadyHandled} already handled` : ''}\n(run ${c.runId}; emails in the mail viewer)`]);
  }
  if (platform.churn) {
    table.push(['Churn model', `${platform.churn.modelVersion}: ${platform.churn.members} members scored as of ${platform.churn.asOf}\n(npm run churn -- report | train | score)`]);
  }
  return table.toString();
}
