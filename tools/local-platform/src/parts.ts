import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { datasets, tableList } from '@peak/contracts';
import { localAwsEnv, startDynamoDb, startRedis, startSesEmulator, startSqsEmulator } from '@peak/local-stack';

/** What every part's env/start function may read: the planned ports and where data lives. */
export type PlatformContext = {
  repoRoot: string;
  dataDir: string;
  /** Port of every part, by part name, decided before anything starts. */
  ports: Readonly<Record<string, number>>;
  logLevel: string;
};

/** One URL worth printing: `key` is how code finds it in `platform.urls`, `label` how people do. */
export type Link = { key: string; label: string; path: string };

/** A part the launcher runs itself (in this process, or a child it manages through a small API). */
export type BuiltinHandle = { pid: number; kind: 'in-process' | 'child'; stop(): Promise<void> };

type PartBase = {
  name: string;
  /** Offset from the port base in fixed-port mode (base 4000: 4000 + offset). */
  portOffset: number;
  /** Parts that must be ready before this one starts; everything else starts in parallel. */
  after: readonly string[];
  /** URL scheme of the part's links (`redis` for Redis, `http` otherwise). */
  scheme?: 'http' | 'redis';
  links: readonly Link[];
};

/** A Node process: `node --import tsx <entry>` from the repo root, ready when `readyPath` answers 200. */
export type NodePart = PartBase & {
  kind: 'node';
  /** Entry file, relative to the repo root. */
  entry: string;
  readyPath: string;
  /** Variables beyond HOST, PORT and LOG_LEVEL, which every node part gets. */
  env(ctx: PlatformContext): Record<string, string>;
};

export type BuiltinPart = PartBase & {
  kind: 'builtin';
  start(ctx: PlatformContext, port: number): Promise<BuiltinHandle>;
};

export type Part = NodePart | BuiltinPart;

/** Local-only secrets: printed in the URL table, never valid anywhere else. */
export const localSecrets = {
  /** One ingest API key per source system of the dataset contracts (`source` → key). */
  ingestApiKeys: Object.fromEntries([...new Set(Object.values(datasets).map((d) => d.source))].map((source) => [source, `local-${source}-key`])),
  hubspotToken: 'pat-local-sandbox', // the sandbox's own default: a service run alone against it works too
  etlAdminKey: 'local-etl-admin-key', // `npm run replay` uses it by default
  crmSyncApiKey: 'local-crm-sync-key', // POST /v1/runs on crm-sync
} as const;

export const LAKE_BUCKET = 'peak-lake';
export const SES_FROM_ADDRESS = 'Peak Fitness <hello@peakfitness.example>';

export const loopback = (port: number, scheme = 'http'): string => `${scheme}://127.0.0.1:${port}`;
const portOf = (ctx: PlatformContext, part: string): number => {
  const port = ctx.ports[part];
  if (port === undefined) throw new Error(`no port planned for ${part}`);
  return port;
};

/** AWS SDK endpoints of the emulators plus the queue and table prefixes: what every service needs for SQS/S3/SES/DynamoDB. */
function awsEnv(ctx: PlatformContext): Record<string, string> {
  const aws = loopback(portOf(ctx, 'sqs-emulator'));
  const endpoints = { sqs: aws, s3: aws, sesv2: loopback(portOf(ctx, 'ses-emulator')), dynamodb: loopback(portOf(ctx, 'dynamodb')) };
  return { ...localAwsEnv(endpoints), QUEUE_PREFIX: '', TABLE_PREFIX: '' };
}

/**
 * The process table: every part of the local platform, as data. Listed in the order the URL table
 * prints them; boot order comes from `after`. Adding a worker is one more entry here. Port offsets
 * match each service's own default PORT, so a service run alone sits where the launcher puts it.
 */
export const parts: readonly Part[] = [
  {
    kind: 'node',
    name: 'leaderboard',
    entry: 'services/leaderboard/src/server.ts',
    portOffset: 0,
    after: ['sqs-emulator', 'redis'],
    readyPath: '/ready',
    // The lake folder the ETL writes and the churn jobs score into: the churn API reads it with DuckDB.
    env: (ctx) => ({ ...awsEnv(ctx), REDIS_URL: loopback(portOf(ctx, 'redis'), 'redis'), LAKE_URI: pathToFileURL(join(ctx.dataDir, 'lake')).href }),
    links: [
      { key: 'dashboard', label: 'Dashboard', path: '/' },
      { key: 'leaderboardDocs', label: 'Leaderboard API docs', path: '/docs' },
    ],
  },
  {
    kind: 'node',
    name: 'ingest',
    entry: 'services/ingest/src/server.ts',
    portOffset: 1,
    after: ['sqs-emulator'],
    readyPath: '/ready',
    env: (ctx) => ({
      ...awsEnv(ctx),
      LAKE_URI: pathToFileURL(join(ctx.dataDir, 'lake')).href,
      CHECKIN_SPOOL_DIR: join(ctx.dataDir, 'checkin-spool'), // survives a restart, beside the lake it flushes into
      INGEST_API_KEYS: Object.entries(localSecrets.ingestApiKeys)
        .map(([source, key]) => `${source}:${key}`)
        .join(','),
    }),
    links: [
      { key: 'ingest', label: 'Ingest API', path: '' },
      { key: 'ingestDocs', label: 'Ingest API docs', path: '/docs' },
    ],
  },
  {
    kind: 'node',
    name: 'etl',
    entry: 'services/etl/src/service/server.ts',
    portOffset: 4,
    after: ['sqs-emulator'],
    readyPath: '/ready',
    env: (ctx) => ({
      ...awsEnv(ctx),
      LAKE_URI: pathToFileURL(join(ctx.dataDir, 'lake')).href,
      ETL_WORK_DIR: join(ctx.dataDir, 'etl-work'),
      ETL_ADMIN_KEY: localSecrets.etlAdminKey,
    }),
    links: [{ key: 'etlDocs', label: 'ETL worker status & docs', path: '/docs' }],
  },
  {
    kind: 'node',
    name: 'crm-sync',
    entry: 'services/crm-sync/src/server.ts',
    portOffset: 3,
    after: ['hubspot-sandbox'],
    readyPath: '/ready',
    // Reads the lake with DuckDB and keeps its state there; its own schedule runs the sync daily (EventBridge does in AWS).
    env: (ctx) => ({
      HUBSPOT_BASE_URL: loopback(portOf(ctx, 'hubspot-sandbox')),
      HUBSPOT_ACCESS_TOKEN: localSecrets.hubspotToken,
      LAKE_URI: pathToFileURL(join(ctx.dataDir, 'lake')).href,
      CRM_SYNC_API_KEY: localSecrets.crmSyncApiKey,
    }),
    links: [
      { key: 'crmSync', label: 'CRM sync API', path: '' },
      { key: 'crmSyncDocs', label: 'CRM sync API docs', path: '/docs' },
    ],
  },
  {
    kind: 'node',
    name: 'notifier',
    entry: 'services/notifier/src/server.ts',
    portOffset: 2,
    after: ['sqs-emulator', 'ses-emulator', 'dynamodb'],
    readyPath: '/ready',
    env: (ctx) => ({
      ...awsEnv(ctx),
      SES_FROM_ADDRESS,
      PUBLIC_BASE_URL: loopback(portOf(ctx, 'notifier')),
    }),
    links: [{ key: 'notifierDocs', label: 'Notifier API docs', path: '/docs' }],
  },
  {
    kind: 'builtin',
    name: 'ses-emulator',
    portOffset: 21,
    after: [],
    links: [{ key: 'mailViewer', label: 'Mail viewer (SES)', path: '/' }],
    async start(_ctx, port) {
      const ses = await startSesEmulator({ port });
      return { pid: process.pid, kind: 'in-process', stop: () => ses.stop() };
    },
  },
  {
    kind: 'node',
    name: 'hubspot-sandbox',
    entry: 'tools/hubspot-sandbox/src/server.ts',
    portOffset: 10,
    after: [],
    readyPath: '/ready',
    env: () => ({ HUBSPOT_SANDBOX_TOKENS: localSecrets.hubspotToken }),
    links: [{ key: 'hubspotSandbox', label: 'HubSpot sandbox', path: '' }],
  },
  {
    kind: 'node',
    name: 'sql-sandbox',
    entry: 'tools/sql-sandbox/src/server.ts',
    portOffset: 5,
    after: [],
    readyPath: '/ready',
    env: (ctx) => ({ SQL_SANDBOX_LAKE_DIR: join(ctx.dataDir, 'lake') }), // reads the files the ETL writes; no AWS variables
    links: [{ key: 'sqlSandbox', label: 'SQL sandbox (read-only)', path: '/docs' }],
  },
  {
    kind: 'builtin',
    name: 'sqs-emulator',
    portOffset: 20,
    after: [],
    links: [{ key: 'aws', label: 'SQS/S3 endpoint', path: '' }],
    async start(_ctx, port) {
      // Every contract queue and DLQ, plus the lake bucket for when the lake moves to S3.
      const emulator = await startSqsEmulator({ port, buckets: [LAKE_BUCKET] });
      return { pid: process.pid, kind: 'in-process', stop: () => emulator.stop() };
    },
  },
  {
    kind: 'builtin',
    name: 'dynamodb',
    portOffset: 23,
    after: [],
    links: [{ key: 'dynamodb', label: 'DynamoDB endpoint (dynalite)', path: '' }],
    async start(ctx, port) {
      // Every declared table (the notifier's ledger, recipients, suppressions…) created as Pulumi declares them, kept in
      // .data like the lake: a restart must not forget which emails were sent.
      const dynamo = await startDynamoDb({ port, tables: tableList, path: join(ctx.dataDir, 'dynamodb') });
      return { pid: process.pid, kind: 'in-process', stop: () => dynamo.stop() };
    },
  },
  {
    kind: 'builtin',
    name: 'redis',
    portOffset: 22,
    after: [],
    scheme: 'redis',
    links: [{ key: 'redis', label: 'Redis URL', path: '' }],
    async start(ctx, port) {
      const dir = join(ctx.dataDir, 'redis');
      await mkdir(dir, { recursive: true });
      const redis = await startRedis({ port, dir });
      return { pid: redis.pid, kind: 'child', stop: () => redis.stop() };
    },
  },
];
