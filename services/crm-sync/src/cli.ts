/**
 * `npm run crm-sync -- <run|runs>`: the daily HubSpot sync by hand, or as AWS runs it (EventBridge Scheduler starts
 * this command as an ECS task; Athena reads the S3 lake). Locally over the lake folder with DuckDB and the HubSpot
 * sandbox that `npm start` runs.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { AnalyticsSettingsError, openAnalytics, type AnalyticsContext } from '@peak/churn';
import { ConfigError } from '@peak/service-kit';
import { readSyncSettings } from './config.js';
import { hubspotClient } from './hubspot.js';
import { startSync } from './runner.js';
import { SyncBusyError } from './sync/lock.js';
import { latestRuns, type SyncRun } from './sync/state.js';

export const HELP = `Peak Fitness → HubSpot sync.

Usage: npm run crm-sync -- <command> [options]

Commands:
  run        read every member's attributes from the lake, diff them against the last synced state, and upsert
             the members whose values changed into HubSpot (batches of 100, under the rate limit); one run at a
             time (the lock crm-sync/lock.json in the lake): exit 1 if another holds it
  runs       the latest runs: when, counts, outcome

Options:
  --dry-run            run: diff only; print what would be sent, send nothing (takes no lock)
  --full-resync        run: send every member, changed or not (after a HubSpot restore, or properties edited by hand)
  --limit <n>          runs: how many (default 10)
  --lake <uri|dir>     the lake (default: LAKE_URI, else <repo>/.data/lake as npm start uses)
  --time-zone <tz>     the studios' IANA zone (default: STUDIO_TIME_ZONE, else America/New_York)
  -h, --help           this text

HubSpot: HUBSPOT_BASE_URL (default https://api.hubapi.com; the sandbox locally) and HUBSPOT_ACCESS_TOKEN (a private
app token with crm.objects.contacts.read/write and crm.schemas.contacts.read/write). Pace: HUBSPOT_REQUESTS_PER_10S
(default 95: the lower tiers' 100 less 5%), HUBSPOT_DAILY_BUDGET (requests this job may use a day). Lock lease:
CRM_SYNC_LOCK_LEASE_MINUTES (default 120). In AWS set ANALYTICS_ENGINE=athena, ATHENA_WORKGROUP, GLUE_DATABASE
and LAKE_URI=s3://bucket/.
`;

class UsageError extends Error {}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new UsageError(`${name} must be a whole number above 0, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** A run in a few lines, for people and logs. */
export function describeRun(run: SyncRun): string {
  const c = run.counts;
  const head = `${run.runId}  ${run.dryRun ? 'dry run' : 'run'}  ${run.outcome}${run.asOf ? `  data as of ${run.asOf}` : ''}`;
  const counts = `  members ${c.members} · changed ${c.changed} · sent ${c.sent} (created ${c.created}, updated ${c.updated}) · failed ${c.failed} · unchanged ${c.unchanged} · skipped ${c.skipped}${c.duplicates ? ` · duplicates ${c.duplicates}` : ''} · requests ${c.requests}`;
  const why = run.stoppedBecause ? `\n  stopped: ${run.stoppedBecause}` : '';
  const alert = run.alert ? `\n  needs attention: ${run.alert.reasons.join('; ')}` : '';
  const errors = run.errors.slice(0, 5).map((e) => `\n  ${e.memberId}: ${e.category} ${e.message}`).join('');
  return `${head}\n${counts}${why}${alert}${errors}${run.errors.length > 5 ? `\n  … ${run.errors.length - 5} more in the run record` : ''}`;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, repoRoot = resolve(import.meta.dirname, '../../..')): Promise<number> {
  let ctx: AnalyticsContext | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'dry-run': { type: 'boolean' }, 'full-resync': { type: 'boolean' }, limit: { type: 'string' }, lake: { type: 'string' }, 'time-zone': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }) as { values: Record<string, string | boolean | undefined>; positionals: string[] };
    const command = positionals[0];
    if (values.help || !command) {
      process.stdout.write(HELP);
      return values.help ? 0 : 2;
    }
    if (!['run', 'runs'].includes(command) || positionals.length > 1) throw new UsageError(`unknown command ${JSON.stringify(positionals.join(' '))}; the commands are run and runs (--help)`);
    const settings = readSyncSettings(env); // the service's names and defaults
    ctx = openAnalytics({
      lake: (values.lake as string | undefined) ?? env.LAKE_URI ?? join(repoRoot, '.data', 'lake'),
      timeZone: (values['time-zone'] as string | undefined) ?? settings.STUDIO_TIME_ZONE,
      engine: settings.ANALYTICS_ENGINE, athenaWorkGroup: settings.ATHENA_WORKGROUP, glueDatabase: settings.GLUE_DATABASE,
    });
    if (command === 'runs') {
      const runs = await latestRuns(ctx.lake, positive('--limit', values.limit as string | undefined, 10));
      process.stdout.write(runs.length ? `${runs.map(describeRun).join('\n\n')}\n` : 'No runs yet: npm run crm-sync -- run\n');
      return 0;
    }
    const token = env.HUBSPOT_ACCESS_TOKEN;
    if (!token) throw new UsageError('HUBSPOT_ACCESS_TOKEN is not set: a HubSpot private app token (locally: one of the sandbox\'s HUBSPOT_SANDBOX_TOKENS)');
    const client = hubspotClient(settings.HUBSPOT_BASE_URL, token);
    const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, format: 'HubSpot |{bar}| {value}/{total} members', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
    let barStarted = false;
    // A dry run writes no state, so it takes no lock; a run does, or stops here if another holds it.
    const started = await startSync({
      by: 'cli',
      leaseMs: settings.CRM_SYNC_LOCK_LEASE_MINUTES * 60_000,
      engine: ctx.engine,
      lake: ctx.lake,
      client,
      dryRun: values['dry-run'] === true,
      fullResync: values['full-resync'] === true,
      requestsPerTenSeconds: settings.HUBSPOT_REQUESTS_PER_10S,
      requestTimeoutMs: settings.HUBSPOT_TIMEOUT_MS,
      ...(settings.HUBSPOT_DAILY_BUDGET === undefined ? {} : { dailyBudget: settings.HUBSPOT_DAILY_BUDGET }),
      onBatch: (done, total) => {
        if (!bar) return void process.stderr.write(`${done}/${total} members sent\n`);
        if (!barStarted) bar.start(total, 0);
        barStarted = true;
        bar.update(done);
      },
    });
    const run = await started.finished;
    if (barStarted) bar?.stop();
    process.stdout.write(`${describeRun(run)}\n`);
    if (run.wouldSend) {
      const w = run.wouldSend;
      process.stdout.write(`\nWould create ${w.create} contacts and update ${w.update}${w.duplicateIds.length ? `; member ids twice in the data (sent once): ${w.duplicateIds.join(', ')}` : ''}\n`);
    }
    if (run.preview?.length) {
      process.stdout.write(`\nWould send (first ${run.preview.length} of ${run.counts.changed}; all of them in the lake relation crm_sync_changes):\n`);
      for (const p of run.preview) {
        const shown = Object.entries(p.properties).filter(([k]) => k !== 'email' && (p.action === 'create' || p.changed.includes(k)));
        process.stdout.write(`  ${p.action.padEnd(6)} ${p.memberId}  ${p.reason}  ${shown.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
      }
    }
    return run.outcome === 'succeeded' ? 0 : 1;
  } catch (err) {
    if (err instanceof SyncBusyError) {
      process.stderr.write(`error: ${err.message}; nothing was sent. Try again once it has finished (a lock left by a process that died is taken over when its lease ends).\n`);
      return 1;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError || err instanceof AnalyticsSettingsError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await ctx?.engine.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
