/**
 * A planner run: for an as-of day and a set of campaigns, runs each audience query, leaves out members the campaign's
 * frequency rule excludes (through the `recentRecipients` port: the send ledger's answer), builds one `email-request`
 * per (campaign, member, period), checks each against the contract, and — unless it is a dry run — puts them on the
 * `email-requests` queue and records the run in `campaign-runs`.
 *
 * The dedupe key is `<campaign>:<member>:<period>` and never holds the run id, so planning the same day again builds
 * the same keys and the notifier sends nothing new. The planner does not apply the holdout, suppression, topic
 * unsubscribes, the frequency cap or quiet hours: the notifier does, at send time, and records each outcome; a run
 * only counts how many planned emails are for held-out members, as information.
 */
import { randomBytes } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import Value from 'typebox/value';
import type { QueryEngine, Row } from '@peak/analytics';
import { emailRequest, inHoldout, queues, type EmailRequest } from '@peak/contracts';
import { Queues } from '@peak/service-kit';
import { AnnouncementError, type Announcement } from './announcement.js';
import { CAMPAIGN_IDS, CAMPAIGNS, dedupeKey, isCampaignId, type CampaignContext, type CampaignDefinition, type CampaignId } from './catalog.js';
import { addDays, firesOn, isIsoDay, localMidnight } from './days.js';
import { queueRequests, type QueueOptions } from './queue.js';
import { campaignRunsTable, recordRun, RUN_RETENTION_DAYS, type CampaignRunCounts, type CampaignRunItem } from './runs.js';
import { DEFAULT_CAMPAIGN_SETTINGS, type CampaignSettings } from './settings.js';

/** The send ledger's answer to "whom did this campaign email since then?" (member ids). */
export type RecentRecipients = (campaignId: string, sinceIso: string) => Promise<Set<string>>;

/** Nothing to plan from: the lake has no check-ins yet. */
export class EmptyLakeError extends Error {
  override name = 'EmptyLakeError';
}

/** The run cannot be planned as asked; the message says what to change. */
export class PlanInputError extends Error {
  override name = 'PlanInputError';
}

/** Some requests did not reach the queue after the retries (the others did, and the run was recorded as failed). */
export class QueueingError extends Error {
  override name = 'QueueingError';
  constructor(
    message: string,
    readonly notQueued: number,
    readonly queued: number,
  ) {
    super(message);
  }
}

export type PlanOptions = {
  engine: QueryEngine;
  /** STUDIO_TIME_ZONE: the zone of the local days and of the schedules. */
  timeZone: string;
  settings?: Partial<CampaignSettings>;
  /** The local day the data is read as of (default: the lake's last day with check-ins). */
  asOf?: string;
  /** Default: those whose schedule fires on the day after the as-of day (the morning its data is complete), plus location_news when an announcement is given. */
  campaigns?: readonly string[];
  announcement?: Announcement;
  /** The frequency rules' source. Required for a real run; a dry run without it reports `excluded: null` (not checked). */
  recentRecipients?: RecentRecipients;
  dryRun?: boolean;
  /** A real run's queue and table (ignored by a dry run). */
  sqs?: SQSClient;
  queuePrefix?: string;
  dynamo?: DynamoDBDocumentClient;
  tablePrefix?: string;
  /** Who started it (recorded): cli, schedule, api. */
  trigger?: string;
  /** HOLDOUT_SHARE, for the holdout counts (default the contract's). */
  holdoutShare?: number;
  /** Members listed per campaign in the report (default 10). */
  previewSize?: number;
  /** Invalid rows listed per campaign in the report (default 100; all are counted). */
  invalidListSize?: number;
  queue?: QueueOptions;
  /** Per audience query. */
  timeoutMs?: number;
  now?: () => Date;
  runId?: string;
};

export type PreviewEntry = { memberId: string; locationId: string; dedupeKey: string; inHoldout: boolean; variables: EmailRequest['variables'] };

export type CampaignReport = Omit<CampaignRunCounts, 'excluded'> & {
  campaignId: CampaignId;
  title: string;
  topic: EmailRequest['topic'];
  kind: EmailRequest['kind'];
  template: EmailRequest['template'];
  /** null when no recentRecipients was given (dry run): the frequency rule was not checked. */
  excluded: number | null;
  frequency: { rule: string; since: string; checked: boolean } | null;
  expiresAt: string;
  /** Planned ÷ in holdout, marketing mail only (null: transactional, or nothing planned). */
  holdoutShare: number | null;
  byLocation: Record<string, { audience: number; planned: number }>;
  invalidRows: { memberId: string; reason: string }[];
  preview: PreviewEntry[];
};

export type PlanReport = {
  runId: string;
  asOf: string;
  /** The lake's last day with check-ins. */
  lakeEnd: string;
  dryRun: boolean;
  trigger: string;
  startedAt: string;
  finishedAt: string;
  campaigns: CampaignReport[];
  totals: CampaignRunCounts;
  /** The requests built (also in a dry run), in queue order. */
  requests: EmailRequest[];
};

/** The lake's last local day with a check-in, or undefined when it has none. */
export async function lakeEnd(engine: QueryEngine, timeoutMs?: number): Promise<string | undefined> {
  const r = await engine.query('SELECT max(local_date) AS last_day FROM fact_attendance', { timeoutMs });
  const v = r.rows[0]?.last_day;
  return typeof v === 'string' ? v : undefined;
}

/** Campaigns whose schedule fires during the local day `runDay` (on-demand ones never do). */
export function scheduledOn(runDay: string, timeZone: string): CampaignId[] {
  return CAMPAIGN_IDS.filter((id) => {
    const schedule = CAMPAIGNS[id].schedule;
    return schedule !== null && firesOn(schedule, runDay, timeZone);
  });
}

/** `plan-<asOf>-<6 random base-36 characters>`. */
export const newRunId = (asOf: string): string => `plan-${asOf}-${BigInt(`0x${randomBytes(5).toString('hex')}`).toString(36).padStart(6, '0').slice(-6)}`;

/** Which campaigns a run plans, or why it cannot. */
export function chooseCampaigns(asked: readonly string[] | undefined, asOf: string, timeZone: string, announcement: Announcement | undefined): CampaignId[] {
  if (asked && asked.length > 0) {
    const unknown = asked.filter((c) => !isCampaignId(c));
    if (unknown.length > 0) throw new PlanInputError(`unknown campaign ${unknown.map((c) => JSON.stringify(c)).join(', ')}; the campaigns are ${CAMPAIGN_IDS.join(', ')}`);
    const chosen = CAMPAIGN_IDS.filter((id) => asked.includes(id));
    if (announcement && !chosen.includes('location_news')) throw new PlanInputError('an announcement is only used by location_news: add it to the campaigns, or leave the announcement out');
    return chosen;
  }
  const scheduled = scheduledOn(addDays(asOf, 1), timeZone);
  return announcement ? [...scheduled, 'location_news'] : scheduled;
}

const emptyCounts = (): CampaignRunCounts => ({ audience: 0, excluded: 0, invalid: 0, expired: 0, planned: 0, queued: 0, inHoldout: 0 });

/** Why a request does not match the contract, without quoting the values (no address in logs or reports). */
function contractProblem(request: EmailRequest): string | undefined {
  if (Value.Check(emailRequest, request)) return undefined;
  const errors = Value.Errors(emailRequest, request).slice(0, 3);
  return errors.map((e) => `${e.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'request'} ${e.message}`).join('; ');
}

type Built = { report: CampaignReport; requests: EmailRequest[] };

async function planCampaign(def: CampaignDefinition, ctx: CampaignContext, opts: PlanOptions, run: { runId: string; requestedAt: string; nowMs: number; next: () => number }): Promise<Built> {
  const query = def.audience(ctx);
  const { rows } = await opts.engine.query(query.text, { params: query.params, timeoutMs: opts.timeoutMs });
  const expiresAt = def.expiresAt(ctx);
  const expired = Date.parse(expiresAt) <= run.nowMs;

  let excludedSet: Set<string> | undefined;
  let frequency: CampaignReport['frequency'] = null;
  if (def.frequency) {
    const since = localMidnight(addDays(ctx.asOf, 1 - def.frequency.days(ctx.settings)), ctx.timeZone);
    if (opts.recentRecipients) excludedSet = await opts.recentRecipients(def.id, since);
    frequency = { rule: def.frequency.text, since, checked: opts.recentRecipients !== undefined };
  }

  const counts = emptyCounts();
  const byLocation: CampaignReport['byLocation'] = {};
  const invalidRows: CampaignReport['invalidRows'] = [];
  const preview: PreviewEntry[] = [];
  const requests: EmailRequest[] = [];
  const seen = new Set<string>();
  const previewSize = opts.previewSize ?? 10;
  const invalidListSize = opts.invalidListSize ?? 100;

  const invalid = (memberId: string, reason: string) => {
    counts.invalid++;
    if (invalidRows.length < invalidListSize) invalidRows.push({ memberId, reason });
  };

  for (const row of rows as Row[]) {
    const memberId = typeof row.member_id === 'string' ? row.member_id : String(row.member_id ?? '');
    const locationId = typeof row.home_location_id === 'string' ? row.home_location_id : '';
    counts.audience++;
    const place = (byLocation[locationId || '(none)'] ??= { audience: 0, planned: 0 });
    place.audience++;
    if (excludedSet?.has(memberId)) {
      counts.excluded++;
      continue;
    }
    let request: EmailRequest;
    try {
      const email = def.email(row, ctx);
      if (typeof row.email !== 'string' || row.email.trim() === '') {
        invalid(memberId, 'no email address');
        continue;
      }
      request = {
        type: 'email-request',
        version: 1,
        requestId: `${run.runId}.${run.next()}`,
        dedupeKey: dedupeKey(def.id, memberId, email.period),
        campaignId: def.id,
        runId: run.runId,
        kind: def.kind,
        topic: def.topic,
        template: def.template,
        memberId,
        to: row.email,
        locationId,
        variables: email.variables,
        conditions: email.conditions,
        requestedAt: run.requestedAt,
        expiresAt,
      };
    } catch (err) {
      invalid(memberId, (err as Error).message);
      continue;
    }
    const problem = contractProblem(request);
    if (problem) {
      invalid(memberId, problem);
      continue;
    }
    if (seen.has(request.dedupeKey)) {
      // The same email twice in one audience (a member listed twice): one member, one email.
      counts.audience--;
      place.audience--;
      continue;
    }
    seen.add(request.dedupeKey);
    if (expired) {
      counts.expired++;
      continue;
    }
    counts.planned++;
    place.planned++;
    const held = def.kind === 'marketing' && inHoldout(memberId, opts.holdoutShare);
    if (held) counts.inHoldout++;
    requests.push(request);
    if (preview.length < previewSize) preview.push({ memberId, locationId, dedupeKey: request.dedupeKey, inHoldout: held, variables: request.variables });
  }

  return {
    requests,
    report: {
      campaignId: def.id,
      title: def.title,
      topic: def.topic,
      kind: def.kind,
      template: def.template,
      ...counts,
      excluded: def.frequency && !opts.recentRecipients ? null : counts.excluded,
      frequency,
      expiresAt,
      holdoutShare: def.kind === 'marketing' && counts.planned > 0 ? counts.inHoldout / counts.planned : null,
      byLocation,
      invalidRows,
      preview,
    },
  };
}

function total(reports: readonly CampaignReport[]): CampaignRunCounts {
  const t = emptyCounts();
  for (const r of reports) {
    t.audience += r.audience;
    t.excluded += r.excluded ?? 0;
    t.invalid += r.invalid;
    t.expired += r.expired;
    t.planned += r.planned;
    t.queued += r.queued;
    t.inHoldout += r.inHoldout;
  }
  return t;
}

/** The known home studios, for an announcement aimed at a studio no member calls home. */
async function homeLocations(engine: QueryEngine, timeoutMs?: number): Promise<string[]> {
  const r = await engine.query('SELECT DISTINCT home_location_id FROM dim_members ORDER BY home_location_id', { timeoutMs });
  return r.rows.map((row) => String(row.home_location_id));
}

/** Plans (and, unless `dryRun`, queues and records) one run. */
export async function planCampaigns(opts: PlanOptions): Promise<PlanReport> {
  const now = opts.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const trigger = opts.trigger ?? 'cli';
  const dryRun = opts.dryRun === true;
  if (!dryRun) {
    const missing = [!opts.sqs && 'an SQS client', !opts.dynamo && 'a DynamoDB client', !opts.recentRecipients && 'recentRecipients (the send ledger)'].filter(Boolean);
    if (missing.length > 0) throw new PlanInputError(`a run that queues needs ${missing.join(', ')}; a dry run needs none`);
  }
  if (opts.asOf !== undefined && !isIsoDay(opts.asOf)) throw new PlanInputError(`the as-of day must be a calendar date written YYYY-MM-DD, got ${JSON.stringify(opts.asOf)}`);

  const last = await lakeEnd(opts.engine, opts.timeoutMs);
  if (!last) throw new EmptyLakeError('the lake has no check-ins yet: load data first (the studios\' exports through ingest; locally `npm start` loads the samples)');
  const asOf = opts.asOf ?? last;
  if (asOf > last) throw new PlanInputError(`the as-of day ${asOf} is after the lake's last day with check-ins (${last}): its data is not in yet; plan ${last} or earlier`);

  const ids = chooseCampaigns(opts.campaigns, asOf, opts.timeZone, opts.announcement);
  const ctx: CampaignContext = { asOf, timeZone: opts.timeZone, settings: { ...DEFAULT_CAMPAIGN_SETTINGS, ...opts.settings }, ...(opts.announcement ? { announcement: opts.announcement } : {}) };
  for (const id of ids) {
    const why = CAMPAIGNS[id].missingInput?.(ctx);
    if (why) throw new PlanInputError(why);
  }
  if (opts.announcement && ids.includes('location_news')) {
    const known = await homeLocations(opts.engine, opts.timeoutMs);
    if (!known.includes(opts.announcement.locationId)) {
      throw new AnnouncementError(`no member has ${JSON.stringify(opts.announcement.locationId)} as home studio; the studios are ${known.join(', ') || '(none yet)'}`);
    }
  }

  const runId = opts.runId ?? newRunId(asOf);
  let seq = 0;
  const run = { runId, requestedAt: startedAt, nowMs: Date.parse(startedAt), next: () => ++seq };
  const built: Built[] = [];
  for (const id of ids) built.push(await planCampaign(CAMPAIGNS[id], ctx, opts, run));
  const requests = built.flatMap((b) => b.requests);
  const reports = built.map((b) => b.report);
  const report = (finishedAt: string): PlanReport => ({ runId, asOf, lakeEnd: last, dryRun, trigger, startedAt, finishedAt, campaigns: reports, totals: total(reports), requests });
  if (dryRun) return report(now().toISOString());

  const sqs = opts.sqs as SQSClient;
  const doc = opts.dynamo as DynamoDBDocumentClient;
  const queueUrl = await new Queues(sqs, opts.queuePrefix ?? '').url(queues.emailRequests);
  const result = await queueRequests(sqs, queueUrl, requests, opts.queue);
  const offsets = built.reduce<number[]>((acc, b, i) => [...acc, (acc[i] ?? 0) + b.requests.length], [0]);
  built.forEach((b, i) => {
    let queued = 0;
    for (let k = offsets[i] ?? 0; k < (offsets[i + 1] ?? 0); k++) if (result.queued.has(k)) queued++;
    b.report.queued = queued;
  });
  const finished = report(now().toISOString());
  let error: string | undefined;
  if (result.failed.length > 0) {
    const reasons = [...new Set(result.failed.map((f) => f.reason))].slice(0, 3).join('; ');
    error =
      `${result.failed.length} of ${requests.length} email requests did not reach the ${queues.emailRequests.name} queue after retries (${reasons}); ` +
      `${result.queued.size} did. Plan ${asOf} again once SQS answers: the same dedupe keys come back, so only the missing emails are sent`;
  }
  const item: CampaignRunItem = {
    runId,
    asOf,
    trigger,
    startedAt,
    finishedAt: finished.finishedAt,
    outcome: error ? 'failed' : 'succeeded',
    ...(error ? { error } : {}),
    campaigns: Object.fromEntries(reports.map((r) => [r.campaignId, countsOf(r)])),
    totals: finished.totals,
    ...(opts.announcement && ids.includes('location_news') ? { announcementId: opts.announcement.id } : {}),
    expiresAtEpoch: Math.floor(Date.parse(finished.finishedAt) / 1000) + RUN_RETENTION_DAYS * 86_400,
  };
  try {
    await recordRun(doc, campaignRunsTable(opts.tablePrefix), item);
  } catch (err) {
    const what = `the run ${runId} queued ${result.queued.size} of ${requests.length} requests but could not be recorded in ${campaignRunsTable(opts.tablePrefix)}: ${(err as Error).message}`;
    throw new Error(error ? `${error}; and ${what}` : what, { cause: err });
  }
  if (error) throw new QueueingError(error, result.failed.length, result.queued.size);
  return finished;
}

const countsOf = (r: CampaignReport): CampaignRunCounts => ({
  audience: r.audience,
  excluded: r.excluded ?? 0,
  invalid: r.invalid,
  expired: r.expired,
  planned: r.planned,
  queued: r.queued,
  inHoldout: r.inHoldout,
});
