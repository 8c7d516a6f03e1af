/**
 * The planner inside the notifier service: one run at a time in the process, started by the daily schedule
 * (CAMPAIGN_SCHEDULE, in the studio zone) or by `POST /v1/campaign-runs`. In AWS the schedule is EventBridge Scheduler
 * starting the CLI instead; both paths call `planCampaigns` with the same settings.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Cron } from 'croner';
import type { QueryEngine } from '@peak/analytics';
import type { SendLedger } from '../ledger/send-ledger.js';
import type { Announcement } from './announcement.js';
import { planCampaigns, type PlanReport } from './plan.js';
import { runStatus, type RunStatus } from './run-status.js';
import { campaignRunsTable } from './runs.js';
import type { CampaignSettings } from './settings.js';

export class PlanBusyError extends Error {
  override name = 'PlanBusyError';
}

export type CampaignPlannerOptions = {
  engine: QueryEngine;
  sqs: SQSClient;
  doc: DynamoDBDocumentClient;
  ledger: SendLedger;
  timeZone: string;
  settings: CampaignSettings;
  queuePrefix: string;
  tablePrefix: string;
  holdoutShare: number;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
};

export type PlanRequest = { trigger: string; dryRun?: boolean; asOf?: string; campaigns?: readonly string[]; announcement?: Announcement };

export class CampaignPlanner {
  private running?: Promise<PlanReport>;
  private cron?: Cron;

  constructor(private readonly o: CampaignPlannerOptions) {}

  /** Plans now; refuses while another run of this process is planning. */
  async plan(request: PlanRequest): Promise<PlanReport> {
    if (this.running) throw new PlanBusyError('the planner is already running in this notifier: wait for it to finish, then follow GET /v1/campaign-runs/<runId>');
    this.running = planCampaigns({
      engine: this.o.engine,
      timeZone: this.o.timeZone,
      settings: this.o.settings,
      recentRecipients: (campaignId, since) => this.o.ledger.recentRecipients(campaignId, since),
      sqs: this.o.sqs,
      dynamo: this.o.doc,
      queuePrefix: this.o.queuePrefix,
      tablePrefix: this.o.tablePrefix,
      holdoutShare: this.o.holdoutShare,
      trigger: request.trigger,
      dryRun: request.dryRun ?? false,
      ...(request.asOf ? { asOf: request.asOf } : {}),
      ...(request.campaigns ? { campaigns: request.campaigns } : {}),
      ...(request.announcement ? { announcement: request.announcement } : {}),
    });
    try {
      const report = await this.running;
      this.o.log.info({ runId: report.runId, asOf: report.asOf, dryRun: report.dryRun, trigger: request.trigger, totals: report.totals }, 'campaigns planned');
      return report;
    } finally {
      this.running = undefined;
    }
  }

  status(runId: string): Promise<RunStatus | undefined> {
    return runStatus(this.o.doc, campaignRunsTable(this.o.tablePrefix), this.o.ledger, runId);
  }

  /** Plans every day at `pattern` (cron, studio zone); a failed run is logged and the next day runs as usual. */
  schedule(pattern: string): void {
    this.cron = new Cron(pattern, { timezone: this.o.timeZone, protect: true }, async () => {
      await this.plan({ trigger: 'schedule' }).catch((err: unknown) => this.o.log.error({ err }, 'scheduled campaign planning failed'));
    });
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    this.cron?.stop();
    await this.running?.catch(() => undefined);
  }
}
