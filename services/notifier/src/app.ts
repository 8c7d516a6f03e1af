import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { GetAccountCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { QueryEngine } from '@peak/analytics';
import { openAnalytics } from '@peak/churn';
import { queues, tables, type EmailRequest } from '@peak/contracts';
import { createServiceApp, dynamoOptions, dynamoPlugin, type ShellOverrides, sesPlugin, sqsOptions, sqsPlugin } from '@peak/service-kit';
import { apiKeys, parseFrequencyCap, signingKeys, type Config } from './config.js';
import { deliverability } from './events/deliverability.js';
import { EventStore } from './events/event-store.js';
import { RecipientStore } from './ledger/recipients.js';
import { SendLedger } from './ledger/send-ledger.js';
import { SuppressionStore } from './ledger/suppressions.js';
import { CampaignPlanner } from './campaigns/planner.js';
import { campaignRunsTable, countAlreadyHandled } from './campaigns/runs.js';
import { campaignSettings } from './campaigns/settings.js';
import { apiRoutes } from './routes/api.js';
import { campaignRunRoutes } from './routes/campaign-runs.js';
import { notifierQueues, type NotifierQueues } from './sender/consumers.js';
import { LakeMemberActivity, type MemberActivity, type MemberState } from './sender/member-activity.js';
import { SendPacer } from './sender/pacer.js';
import { parseQuietHours } from './sender/quiet-hours.js';
import type { EmailLinks, Renderer } from './sender/send-request.js';
import { renderEmail } from './templates/index.js';
import { unsubscribeRoutes } from './unsubscribe/routes.js';
import { UnsubscribeTokens } from './unsubscribe/tokens.js';

/** What tests (or the launcher) may inject instead of what the config would build. */
export type AppOverrides = ShellOverrides & {
  sqs?: SQSClient;
  ses?: SESv2Client;
  dynamodb?: DynamoDBClient;
  /** Engine of the send-time re-check instead of what LAKE_URI opens; the caller closes it. */
  analytics?: { engine: QueryEngine };
  /** Start the queue consumers when the app is ready (default true). */
  consume?: boolean;
  now?: () => number;
};

/** How often the SES account's send rate is read again. */
const ACCOUNT_RATE_REFRESH_MS = 10 * 60_000;
/** How often the bounce and complaint rates are checked against their alarms. */
const DELIVERABILITY_CHECK_MS = 15 * 60_000;

/** Without a lake, an email whose send-time conditions cannot be checked is not sent: its member reads as unknown. */
const noLake: MemberActivity = { lookup: async () => new Map<string, MemberState>() };

/** A studio's display name from its slug, when the campaign gives none: `river-side` → `Peak Fitness River Side`. */
export const studioName = (slug: string): string =>
  `Peak Fitness ${slug
    .split(/[-_.\s]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join(' ')}`;

/**
 * The renderer the sender uses: the request's template and variables, the links, and the footer. `locationName`
 * travels among the variables but belongs to the footer; the call-to-action defaults to the member app.
 */
export function requestRenderer(postalAddress: string, memberAppUrl: string): Renderer {
  return (request: EmailRequest, links: EmailLinks) => {
    const { locationName, ...variables } = request.variables;
    if (request.template !== 'location_news' && variables.ctaUrl === undefined) variables.ctaUrl = memberAppUrl;
    return renderEmail(request.template, variables, {
      ...links,
      locationName: typeof locationName === 'string' && locationName ? locationName : studioName(request.locationId),
      postalAddress,
      topic: request.topic,
    });
  };
}

/** Notifier: sends retention and lifecycle emails through SES v2, at most once per dedupe key, and keeps the suppression list from SES events. */
export async function buildApp(config: Config, { sqs, ses, dynamodb, analytics, consume = true, now = Date.now, ...shell }: AppOverrides = {}) {
  const app = await createServiceApp({
    name: 'notifier',
    description:
      'Sends retention and lifecycle emails through SES v2 (at most once per dedupe key, re-checked at send time), honours one-click unsubscribes ' +
      'and per-topic preferences, and suppresses bounced or complaining addresses.',
    maxParamLength: 400, // unsubscribe tokens carry a member id of up to 64 characters and a MAC
    ...shell,
  });
  await app.register(formbody, { bodyLimit: 4096 });
  await app.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fields: 20, fieldSize: 1024, files: 0, parts: 20 } });
  await app.register(sesPlugin, { region: config.AWS_REGION, client: ses, maxAttempts: 1, requestTimeoutMs: config.SES_TIMEOUT_MS });
  await app.register(sqsPlugin, sqsOptions(config, [queues.emailRequests, queues.sesEvents], sqs));
  const used = [tables.emailSends, tables.emailRecipients, tables.emailSuppressions, tables.emailEvents, tables.campaignRuns];
  await app.register(dynamoPlugin, dynamoOptions(config, used, dynamodb));

  const doc = DynamoDBDocumentClient.from(app.dynamo.client, { marshallOptions: { removeUndefinedValues: true } });
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const ledger = new SendLedger(doc, app.dynamo.table(tables.emailSends), { owner, leaseMs: 120_000, now });
  const recipients = new RecipientStore(doc, app.dynamo.table(tables.emailRecipients), now);
  const suppressions = new SuppressionStore(doc, app.dynamo.table(tables.emailSuppressions));
  const events = new EventStore(doc, app.dynamo.table(tables.emailEvents));
  const tokens = new UnsubscribeTokens(signingKeys(config));

  let engine = analytics?.engine;
  let ownEngine: QueryEngine | undefined;
  if (!engine && config.LAKE_URI !== undefined) {
    ownEngine = engine = openAnalytics({
      lake: config.LAKE_URI,
      timeZone: config.STUDIO_TIME_ZONE,
      engine: config.ANALYTICS_ENGINE,
      ...(config.ATHENA_WORKGROUP === undefined ? {} : { athenaWorkGroup: config.ATHENA_WORKGROUP }),
      ...(config.GLUE_DATABASE === undefined ? {} : { glueDatabase: config.GLUE_DATABASE }),
    }).engine;
  }
  const activity = engine ? new LakeMemberActivity(engine, { maxAgeMs: config.RECHECK_MAX_AGE_SECONDS * 1000, now }) : noLake;
  const pacer = new SendPacer(config.SEND_RATE ?? 1, now);
  const cap = parseFrequencyCap(config.FREQUENCY_CAP);
  const quietHours = parseQuietHours(config.QUIET_HOURS);

  await app.register(unsubscribeRoutes, { tokens, recipients, publicBaseUrl: config.PUBLIC_BASE_URL });
  const planner =
    engine &&
    new CampaignPlanner({
      engine,
      sqs: app.queues.sqs,
      doc,
      ledger,
      timeZone: config.STUDIO_TIME_ZONE,
      settings: campaignSettings(config),
      queuePrefix: config.QUEUE_PREFIX,
      tablePrefix: config.TABLE_PREFIX,
      holdoutShare: config.HOLDOUT_SHARE,
      log: app.log,
    });
  await app.register(apiRoutes, { ledger, suppressions, events, apiKeys: apiKeys(config) });
  await app.register(campaignRunRoutes, { planner, apiKeys: apiKeys(config) });

  let consumers: NotifierQueues | undefined;
  app.decorate('notifier', {
    ledger,
    recipients,
    suppressions,
    events,
    tokens,
    pacer,
    planner,
    get stats() {
      return consumers?.stats;
    },
  });

  /** The account's rate (SEND_RATE overrides it): GetAccount's MaxSendRate × this process's share. */
  const adoptAccountRate = async () => {
    if (config.SEND_RATE !== undefined) return;
    try {
      const account = await app.ses.send(new GetAccountCommand({}));
      const max = account.SendQuota?.MaxSendRate;
      const before = pacer.ratePerSecond;
      if (max && max > 0) pacer.setRate(max * config.SEND_RATE_SHARE);
      if (pacer.ratePerSecond !== before) app.log.info({ maxSendRate: max, share: config.SEND_RATE_SHARE, rate: pacer.ratePerSecond }, 'send rate from the SES account');
    } catch (err) {
      app.log.warn({ err, rate: pacer.ratePerSecond }, 'could not read the SES account\'s send rate: sending at the current rate until it can');
    }
  };

  // The bounce and complaint alarm, logged at error level when it starts and when it clears (CloudWatch alarms on
  // SES's own reputation metrics in AWS; this one also works locally and counts only our events).
  let deliverabilityTimer: NodeJS.Timeout | undefined;
  let alarmed = false;
  const watchDeliverability = () => {
    const check = async () => {
      const d = await deliverability(events, { now });
      if (d.status === 'alarm' && !alarmed) app.log.error({ alarms: d.alarms, totals: d.totals }, 'deliverability alarm');
      if (d.status !== 'alarm' && alarmed) app.log.info({ totals: d.totals }, 'deliverability alarm cleared');
      alarmed = d.status === 'alarm';
    };
    deliverabilityTimer = setInterval(() => void check().catch((err: unknown) => app.log.warn({ err }, 'could not check deliverability')), DELIVERABILITY_CHECK_MS);
    deliverabilityTimer.unref();
  };

  // A raised SES quota (or a lowered one) is picked up without a restart.
  const rateTimer = setInterval(() => void adoptAccountRate(), ACCOUNT_RATE_REFRESH_MS);
  rateTimer.unref();

  app.addHook('onReady', async () => {
    await adoptAccountRate();
    if (!consume) return;
    const [requestsQueueUrl, eventsQueueUrl] = await Promise.all([app.queues.url(queues.emailRequests), app.queues.url(queues.sesEvents)]);
    consumers = notifierQueues({
      sqs: app.queues.sqs,
      requestsQueueUrl,
      eventsQueueUrl,
      consumers: config.SENDER_CONSUMERS,
      sender: {
        ledger,
        recipients,
        suppressions,
        activity,
        ses: app.ses,
        pacer,
        tokens,
        render: requestRenderer(config.POSTAL_ADDRESS, config.MEMBER_APP_URL),
        onAlreadyHandled: (runId) => countAlreadyHandled(doc, campaignRunsTable(config.TABLE_PREFIX), runId),
        settings: {
          from: config.SES_FROM_ADDRESS,
          ...(config.SES_CONFIGURATION_SET === 'none' ? {} : { configurationSet: config.SES_CONFIGURATION_SET }),
          publicBaseUrl: config.PUBLIC_BASE_URL,
          timeZone: config.STUDIO_TIME_ZONE,
          ...(cap ? { cap: { ...cap, timeZone: config.STUDIO_TIME_ZONE } } : {}),
          ...(quietHours ? { quietHours } : {}),
          holdoutShare: config.HOLDOUT_SHARE,
          throttleRetries: 4,
          quotaPauseMs: 10 * 60_000,
        },
        now,
        log: app.log,
      },
      events: { ledger, recipients, suppressions, events, log: app.log },
      log: app.log,
    });
    consumers.start();
    watchDeliverability();
    if (config.CAMPAIGN_SCHEDULE === 'off') app.log.info({}, 'no campaigns scheduled in the service (CAMPAIGN_SCHEDULE=off)');
    else if (!planner) app.log.warn({}, 'no campaigns scheduled: LAKE_URI is not set');
    else planner.schedule(config.CAMPAIGN_SCHEDULE);
  });
  app.addHook('onClose', async () => {
    clearInterval(deliverabilityTimer);
    clearInterval(rateTimer);
    await planner?.stop();
    await consumers?.stop();
    await pacer.stop();
    await ownEngine?.close();
    doc.destroy();
  });
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    notifier: {
      ledger: SendLedger;
      recipients: RecipientStore;
      suppressions: SuppressionStore;
      events: EventStore;
      tokens: UnsubscribeTokens;
      pacer: SendPacer;
      planner: CampaignPlanner | undefined;
      readonly stats: NotifierQueues['stats'] | undefined;
    };
  }
}
