/**
 * `node --import tsx services/notifier/src/campaigns/cli.ts plan [options]`: the campaign planner by hand (or as a
 * scheduled task): reads the audiences from the lake, puts one email request per (campaign, member, period) on the
 * `email-requests` queue and records the run in `campaign-runs`. `--dry-run` shows what it would plan and does neither.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import cliProgress from 'cli-progress';
import type { QueryEngine } from '@peak/analytics';
import { physicalTableName, tables } from '@peak/contracts';
import { ConfigError } from '@peak/service-kit';
import { SendLedger } from '../ledger/send-ledger.js';
import { AnnouncementError, loadAnnouncement, type Announcement } from './announcement.js';
import { CAMPAIGN_LIST } from './catalog.js';
import { isIsoDay } from './days.js';
import { EngineSettingsError, openEngine } from './engine.js';
import { EmptyLakeError, planCampaigns, PlanInputError, QueueingError, type RecentRecipients } from './plan.js';
import { describePlan, reportJson } from './report.js';
import { campaignSettings, readCampaignSettings } from './settings.js';

export const HELP = `Peak Fitness campaign planner.

Usage: node --import tsx services/notifier/src/campaigns/cli.ts plan [options]

Selects the members of each campaign from the lake as of a day, and puts one email request per (campaign, member,
period) on the email-requests queue for the notifier, which applies the holdout, suppressions, unsubscribes, the
frequency cap and quiet hours when it sends. The dedupe keys do not depend on the run: planning a day twice sends
nothing twice.

Options:
  --dry-run              show per campaign the audience, exclusions, invalid rows, holdout share and the first
                         members with their dedupe keys; queue nothing, record nothing
  --as-of YYYY-MM-DD     the day the data is read as of (default: the lake's last day with check-ins)
  --campaign <id>        plan this campaign (repeat, or separate with commas); default: those scheduled on the day
                         after the as-of day. Campaigns: ${CAMPAIGN_LIST.map((c) => c.id).join(', ')}
  --announce <file>      location_news: the announcement, a JSON file { "id", "locationId", "title", "body",
                         optional "ctaUrl", "ctaLabel", "expiresAt" } (implies --campaign location_news when no
                         --campaign is given)
  --json                 print the report as JSON (no addresses in it)
  --show <n>             members listed per campaign (default 10)
  --lake <uri|dir>       the lake (default: LAKE_URI, else <repo>/.data/lake as npm start uses)
  -h, --help             this text

Settings (environment, as the notifier service reads them): STUDIO_TIME_ZONE (default America/New_York),
ANALYTICS_ENGINE (duckdb | athena, with ATHENA_WORKGROUP and GLUE_DATABASE), LAKE_URI, QUEUE_PREFIX, TABLE_PREFIX,
AWS_REGION, WIN_BACK_AFTER_DAYS (14), WIN_BACK_MAX_DAYS (42), CAMPAIGN_CATCH_UP_DAYS (2), HOLDOUT_SHARE (0.1); locally also
AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_DYNAMODB.
`;

class UsageError extends Error {}

/** Members a campaign emailed lately, from the notifier's send ledger (read only: no lease is ever taken). */
const ledgerRecipients = (doc: DynamoDBDocumentClient, tablePrefix: string): RecentRecipients => {
  const ledger = new SendLedger(doc, physicalTableName(tables.emailSends.name, tablePrefix), { owner: 'planner', leaseMs: 0 });
  return (campaignId, since) => ledger.recentRecipients(campaignId, since);
};

/** What tests (or the service) may provide instead of what the settings would build. */
export type CliDeps = {
  /** The frequency rules' source (default: the send ledger's `email-sends` table, through the DynamoDB client). */
  recentRecipients?: (doc: DynamoDBDocumentClient, tablePrefix: string) => RecentRecipients;
  engine?: QueryEngine;
  sqs?: SQSClient;
  dynamo?: DynamoDBDocumentClient;
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** Show a progress bar (default: when stderr is a TTY). */
  progress?: boolean;
  now?: () => Date;
};

/** Below this many requests no progress bar is worth drawing. */
const PROGRESS_FROM = 1_000;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,6}$/.test(raw)) throw new UsageError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, deps: CliDeps = {}, repoRoot = resolve(import.meta.dirname, '../../../..')): Promise<number> {
  const out = deps.out ?? ((s: string) => void process.stdout.write(s));
  const err = deps.err ?? ((s: string) => void process.stderr.write(s));
  let engine: QueryEngine | undefined;
  const owned: { destroy(): void }[] = [];
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'dry-run': { type: 'boolean' },
        'as-of': { type: 'string' },
        campaign: { type: 'string', multiple: true },
        announce: { type: 'string' },
        json: { type: 'boolean' },
        show: { type: 'string' },
        lake: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const command = positionals[0];
    if (values.help || !command) {
      out(HELP);
      return values.help ? 0 : 2;
    }
    if (command !== 'plan' || positionals.length > 1) throw new UsageError(`unknown command ${JSON.stringify(positionals.join(' '))}; the command is plan (--help)`);
    const asOf = values['as-of'];
    if (asOf !== undefined && !isIsoDay(asOf)) throw new UsageError(`--as-of must be a calendar date written YYYY-MM-DD, got ${JSON.stringify(asOf)}`);
    const campaigns = values.campaign?.flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean);
    const dryRun = values['dry-run'] === true;
    const show = positive('--show', values.show, 10);

    const settings = readCampaignSettings(env);
    const announcement: Announcement | undefined = values.announce ? await loadAnnouncement(values.announce) : undefined;
    const tablePrefix = settings.TABLE_PREFIX;

    let sqs = deps.sqs;
    let dynamo = deps.dynamo;
    if (!dynamo) {
      const client = new DynamoDBClient({ region: settings.AWS_REGION });
      owned.push(client);
      dynamo = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    }
    let recentRecipients: RecentRecipients | undefined = (deps.recentRecipients ?? ledgerRecipients)(dynamo, tablePrefix);
    if (dryRun) {
      // A dry run works without the ledger (no AWS credentials, DynamoDB down): it then says the rules were not checked.
      try {
        await recentRecipients('welcome', new Date().toISOString());
      } catch (e) {
        err(`warning: the send ledger cannot be read (${(e as Error).message}): frequency rules not checked\n`);
        recentRecipients = undefined;
      }
    }
    if (!dryRun && !sqs) {
      sqs = new SQSClient({ region: settings.AWS_REGION });
      owned.push(sqs);
    }

    engine = deps.engine;
    if (!engine) {
      engine = (
        await openEngine({
          lake: values.lake ?? settings.LAKE_URI ?? join(repoRoot, '.data', 'lake'),
          timeZone: settings.STUDIO_TIME_ZONE,
          engine: settings.ANALYTICS_ENGINE,
          athenaWorkGroup: settings.ATHENA_WORKGROUP,
          glueDatabase: settings.GLUE_DATABASE,
          region: settings.AWS_REGION,
        })
      ).engine;
    }

    const useBar = deps.progress ?? process.stderr.isTTY === true;
    let bar: cliProgress.SingleBar | undefined;
    const report = await planCampaigns({
      engine,
      timeZone: settings.STUDIO_TIME_ZONE,
      settings: campaignSettings(settings),
      ...(asOf ? { asOf } : {}),
      ...(campaigns?.length ? { campaigns } : {}),
      ...(announcement ? { announcement } : {}),
      ...(recentRecipients ? { recentRecipients } : {}),
      dryRun,
      ...(sqs ? { sqs } : {}),
      ...(dynamo ? { dynamo } : {}),
      queuePrefix: settings.QUEUE_PREFIX,
      tablePrefix,
      trigger: 'cli',
      holdoutShare: settings.HOLDOUT_SHARE,
      previewSize: show,
      ...(deps.now ? { now: deps.now } : {}),
      queue: {
        onProgress: (done, total) => {
          if (!useBar || total < PROGRESS_FROM) return;
          if (!bar) {
            bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'email-requests |{bar}| {value}/{total} queued', hideCursor: true }, cliProgress.Presets.shades_classic);
            bar.start(total, 0);
          }
          bar.update(done);
        },
      },
    }).finally(() => bar?.stop());
    out(values.json ? `${JSON.stringify(reportJson(report), null, 2)}\n` : `${describePlan(report)}\n`);
    return 0;
  } catch (e) {
    const message = (e as Error).message;
    if (e instanceof QueueingError) {
      err(`error: ${message}\n`);
      return 1;
    }
    if (e instanceof EmptyLakeError) {
      err(`error: ${message}\n`);
      return 1;
    }
    const code = (e as { code?: string }).code ?? '';
    if (
      e instanceof ConfigError ||
      e instanceof UsageError ||
      e instanceof PlanInputError ||
      e instanceof AnnouncementError ||
      e instanceof EngineSettingsError ||
      code === 'LAKE_INVALID_URI' ||
      code.startsWith('ERR_PARSE_ARGS_')
    ) {
      err(`error: ${message}\n`);
      return 2;
    }
    throw e;
  } finally {
    if (!deps.engine) await engine?.close();
    for (const c of owned) c.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
