import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { datasets, queues, tableList } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localAwsEnv, startDynamoDb, startRedis, startSqsEmulator } from '@peak/local-stack';
import { Queues } from '@peak/service-kit';
import { startSesSandbox, wireSesEvents } from '@peak/ses-sandbox';

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
  notifierApiKey: 'local-notifier-key', // the notifier's /v1 API: campaign runs, send log, suppressions
  unsubscribeSigningKey: 'local-unsubscribe-signing-key-not-a-secret', // HMAC of the unsubscribe links (≥ 32 characters)
} as const;

export const LAKE_BUCKET = 'peak-lake';
export const SES_FROM_ADDRESS = 'Peak Fitness <hello@peakfitness.example>';
/** The configuration set the notifier sends through; its event destination feeds `ses-events` (as Pulumi declares it in AWS). */
export const SES_CONFIGURATION_SET = 'peak-notifier';
/**
 * The local SES account's MaxSendRate (emails per second), which the notifier reads with GetAccount and paces to.
 * SES gives a new production account 14/s. Locally the first campaigns go out while `npm start` waits: the default
 * samples plan ~700 emails, which the notifier's own pipeline (SQS, DynamoDB and SES all in the launcher's process)
 * gets through at ~25/s on 2 cores (~28 s); paced at 14/s it would take ~50 s. An established account's rate keeps the
 * same pacing code path without making it the bottleneck.
 */
export const LOCAL_SES_MAX_SEND_RATE = 100;

export const loopback = (port: number, scheme = 'http'): string => `${scheme}://127.0.0.1:${port}`;
const portOf = (ctx: PlatformContext, part: string): number => {
  const port = ctx.ports[part];
  if (port === undefined) throw new Error(`no port planned for ${part}`);
  return port;
};

/** AWS SDK endpoints of the emulators plus the queue and table prefixes: what every service needs for SQS/S3/SES/DynamoDB. */
function awsEnv(ctx: PlatformContext): Record<string, string> {
  const aws = loopback(portOf(ctx, 'sqs-emulator'));
  const endpoints = { sqs: aws, s3: aws, sesv2: loopback(portOf(ctx, 'ses-sandbox')), dynamodb: loopback(portOf(ctx, 'dynamodb')) };
  return { ...localAwsEnv(endpoints), QUEUE_PREFIX: '', TABLE_PREFIX: '' };
}

/**
 * Configuration set → SNS topic → `ses-events` queue (raw delivery), through the real APIs as Pulumi declares it in AWS,
 * so the notifier learns of bounces and complaints. Idempotent; the clients are closed afterwards.
 */
async function wireLocalSesEvents(sesEndpoint: string, awsEndpoint: string): Promise<void> {
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const ses = new SESv2Client({ ...common, endpoint: sesEndpoint, maxAttempts: 1 });
  const sns = new SNSClient({ ...common, endpoint: awsEndpoint });
  const sqs = new SQSClient({ ...common, endpoint: awsEndpoint });
  try {
    const queueUrl = await new Queues(sqs).url(queues.sesEvents);
    await wireSesEvents({ ses, sns, sqs, configurationSet: SES_CONFIGURATION_SET, queueUrl });
  } finally {
    ses.destroy();
    sns.destroy();
    sqs.destroy();
  }
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
    // After the SES sandbox: the configuration set it sends through must exist, and it reads the account's send rate at start.
    after: ['sqs-emulator', 'ses-sandbox', 'dynamodb'],
    readyPath: '/ready',
    env: (ctx) => ({
      ...awsEnv(ctx),
      SES_FROM_ADDRESS,
      SES_CONFIGURATION_SET,
      PUBLIC_BASE_URL: loopback(portOf(ctx, 'notifier')),
      // The lake the ETL writes: the planner's audiences and the send-time re-checks read it with DuckDB.
      LAKE_URI: pathToFileURL(join(ctx.dataDir, 'lake')).href,
      UNSUBSCRIBE_SIGNING_KEYS: localSecrets.unsubscribeSigningKey,
      NOTIFIER_API_KEYS: localSecrets.notifierApiKey,
      // Off locally: the default 21:00-08:00 (studio time) would hold every marketing email of a start in the evening
      // until the morning, and the first campaigns would never finish while `npm start` waits for them.
      QUIET_HOURS: 'off',
    }),
    links: [
      { key: 'notifier', label: 'Notifier API', path: '' },
      { key: 'notifierDocs', label: 'Notifier API docs', path: '/docs' },
    ],
  },
  {
    kind: 'builtin',
    name: 'ses-sandbox',
    portOffset: 21,
    // It publishes SES events to SNS on the fauxqs endpoint, which fans them out to the ses-events queue.
    after: ['sqs-emulator'],
    links: [
      { key: 'mailViewer', label: 'Mail viewer (SES)', path: '/' },
      { key: 'sesSandbox', label: 'SES sandbox admin (/_sandbox)', path: '/docs' },
    ],
    async start(ctx, port) {
      const aws = loopback(portOf(ctx, 'sqs-emulator'));
      const ses = await startSesSandbox({
        port,
        snsEndpoint: aws,
        maxSendRate: LOCAL_SES_MAX_SEND_RATE,
        // In the launcher's process: its log goes to a file like the children's, not into the launcher's output.
        logger: { level: ctx.logLevel, name: 'ses-sandbox', file: join(ctx.dataDir, 'logs', 'ses-sandbox.log') },
      });
      try {
        await wireLocalSesEvents(ses.endpoint, aws);
      } catch (err) {
        await ses.stop();
        throw new Error(`could not wire the SES events (configuration set ${SES_CONFIGURATION_SET} → SNS → ${queues.sesEvents.name}): ${(err as Error).message}`, { cause: err });
      }
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
