import type * as pulumi from '@pulumi/pulumi';
import { checkJobSize, type JobSize } from '../scheduled-job.js';
import type { PublicRoute, ServiceSpec } from '../service-spec.js';
import {
  athenaEnvironment,
  athenaReadStatements,
  checkTasks,
  checkTaskPolicy,
  consumeQueues,
  listenEnvironment,
  serverCommand,
  shareOf,
  type AthenaDeps,
  type CommonServiceDeps,
  type LakeBucket,
  type QueueArns,
} from './statements.js';

/** `POST /v1/campaign-runs` plans in the service, holding a campaign's audience (~100k rows): the planner job's size. */
export const NOTIFIER_SIZE: JobSize = { cpu: 512, memoryMib: 2048 };
export const NOTIFIER_PORT = 4002;
/** Its route on the public load balancer (`PublicLoadBalancer.urlOf('notifier', NOTIFIER_ROUTE)` gives its URL before it is attached). */
export const NOTIFIER_ROUTE: PublicRoute = { subdomain: 'notifier', fallbackPort: NOTIFIER_PORT };
/** The queues (contract names): requests to send (consumed, and produced by in-service planning) and SES's events. */
export const NOTIFIER_QUEUES = ['email-requests', 'ses-events'] as const;
/** The tables the notifier reads and writes (contract names), every one a readiness check (DescribeTable). */
export const NOTIFIER_TABLES = ['email-sends', 'email-recipients', 'email-suppressions', 'email-events', 'campaign-runs'] as const;
export const NOTIFIER_SENDS_INDEXES = ['byMember', 'byCampaign', 'byRun'] as const;
/** SES calls with no resource type: `*` is the only resource IAM accepts for them. */
export const SES_ACCOUNT_ACTIONS = ['ses:GetAccount', 'ses:ListEmailTemplates'] as const;
/**
 * Requests waiting per task before another starts: at the SES sandbox's 1/s a task sends this many in ten minutes;
 * a production account's 14–50/s drains it in a minute or less, so a deeper backlog means a big campaign.
 */
export const NOTIFIER_BACKLOG_PER_TASK = 600;

export interface NotifierSpecDeps extends CommonServiceDeps {
  lake: LakeBucket;
  athena: AthenaDeps;
  /** `lakeZones.processed.prefix`: the audiences and send-time re-checks read it through Athena. */
  processedPrefix: string;
  /** Queue ARNs by logical name; must hold `email-requests` and `ses-events`. */
  queueArns: QueueArns;
  /** Table ARNs by logical name (`tables.table(name).arn`); must hold NOTIFIER_TABLES. */
  tableArns: Record<string, pulumi.Input<string>>;
  /** The send ledger's index ARNs (`tables.indexArn('email-sends', name)`); must hold NOTIFIER_SENDS_INDEXES. */
  sendsIndexArns: Record<string, pulumi.Input<string>>;
  /** The SES side (Email): the domain identity and the configuration set every send goes through. */
  ses: { emailDomain: string; identityArn: pulumi.Input<string>; configurationSetName: pulumi.Input<string>; configurationSetArn: pulumi.Input<string> };
  /** SES_FROM_ADDRESS is `<fromName> <<fromLocalPart>@<emailDomain>>` (defaults `Peak Fitness`, `hello`). */
  fromName?: string;
  fromLocalPart?: string;
  /** The secrets of UNSUBSCRIBE_SIGNING_KEYS (NotifierSecrets) and NOTIFIER_API_KEYS (ServiceSecrets). */
  signingKeysSecretArn: pulumi.Input<string>;
  apiKeysSecretArn: pulumi.Input<string>;
  /** The notifier's public URL (its route on the load balancer): the unsubscribe links; https where mail reaches people. */
  publicBaseUrl: pulumi.Input<string>;
  /** Every email's footer (anti-spam laws) and its default button: the service's defaults are placeholders. */
  postalAddress: string;
  memberAppUrl: string;
  studioTimeZone: string;
  /** Tasks: at least `minTasks`, up to `maxTasks` on the email-requests backlog; each sends 1/maxTasks of the account's rate. */
  minTasks: number;
  maxTasks: number;
}

function arnOf(what: string, from: Record<string, pulumi.Input<string>>, name: string): pulumi.Input<string> {
  const arn = from[name];
  if (arn === undefined) throw new Error(`notifier: no ARN for ${what} ${name} in the deps`);
  return arn;
}

/**
 * The notifier (services/notifier/src/server.ts): consumes `email-requests` and sends each email through SES at most
 * once (the DynamoDB ledger's conditional writes), consumes `ses-events` (bounces, complaints → suppressions), serves
 * the public unsubscribe pages and the keyed /v1 API. The grants are infra/README.md's "The notifier's service" table.
 *
 * Several tasks are safe: a send is reserved in the ledger by a conditional write before SES is called, so a
 * request delivered to two tasks is sent by one. Each task's send rate is the account's × SEND_RATE_SHARE = 1/maxTasks,
 * so even `maxTasks` tasks never exceed the account's rate (fewer send slower: scaling out is what catches up).
 */
export function notifierSpec(d: NotifierSpecDeps): ServiceSpec {
  checkJobSize('notifier', NOTIFIER_SIZE);
  const minTasks = checkTasks('notifier minTasks', d.minTasks);
  const maxTasks = checkTasks('notifier maxTasks', d.maxTasks, minTasks);
  const domain = d.ses.emailDomain;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain)) throw new Error(`notifier: emailDomain must be a domain name; got ${JSON.stringify(domain)}`);
  const localPart = d.fromLocalPart ?? 'hello';
  if (!/^[a-z0-9._+-]+$/i.test(localPart)) throw new Error(`notifier: fromLocalPart must be an address's local part; got ${JSON.stringify(localPart)}`);
  const fromName = d.fromName ?? 'Peak Fitness';
  if (/[<>@"]/.test(fromName)) throw new Error(`notifier: fromName must not contain <, >, @ or quotes; got ${JSON.stringify(fromName)}`);
  const requests = arnOf('queue', d.queueArns, 'email-requests');
  const events = arnOf('queue', d.queueArns, 'ses-events');
  const [sends, recipients, suppressions, sesEvents, runs] = NOTIFIER_TABLES.map((name) => arnOf('table', d.tableArns, name)) as [
    pulumi.Input<string>,
    pulumi.Input<string>,
    pulumi.Input<string>,
    pulumi.Input<string>,
    pulumi.Input<string>,
  ];
  const indexes = NOTIFIER_SENDS_INDEXES.map((name) => arnOf('email-sends index', d.sendsIndexArns, name));
  const allow = (Sid: string, Action: string[], Resource: pulumi.Input<string>[]) => ({ Sid, Effect: 'Allow' as const, Action, Resource });
  const taskPolicy = checkTaskPolicy(
    'notifier',
    [
      // Reservation, lease and outcome: conditional Put/Update, consistent Get (src/ledger/send-ledger.ts).
      allow('SendLedger', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [sends]),
      // A member's log and the frequency cap (byMember), a campaign's recent recipients (byCampaign), a run's report (byRun).
      allow('SendLedgerIndexes', ['dynamodb:Query'], indexes),
      // Versioned puts (src/ledger/recipients.ts); suppressions also DELETE /v1/suppressions (src/ledger/suppressions.ts).
      allow('Recipients', ['dynamodb:GetItem', 'dynamodb:PutItem'], [recipients]),
      allow('Suppressions', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], [suppressions]),
      // SES events, once each, and the deliverability counts (src/events/event-store.ts).
      allow('SesEvents', ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'], [sesEvents]),
      // In-service planning records its run, the sender counts already-handled requests, GET reads it (src/campaigns/runs.ts).
      allow('CampaignRuns', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [runs]),
      // The dynamodb readiness check (libs/service-kit clients/dynamodb.ts): every table it uses.
      allow('TablesReadiness', ['dynamodb:DescribeTable'], [sends, recipients, suppressions, sesEvents, runs]),
      // A send through a configuration set is authorised against the identity and the set (src/sender/ses-call.ts).
      allow('SendEmail', ['ses:SendEmail'], [d.ses.identityArn, d.ses.configurationSetArn]),
      // GetAccount: the send rate (src/app.ts); ListEmailTemplates: the ses readiness check. Neither has a resource type.
      allow('SesAccount', [...SES_ACCOUNT_ACTIONS], ['*']),
      // The sender's receive loops: ChangeMessageVisibilityBatch holds a message (quiet hours), the heartbeat keeps a batch
      // waiting for send slots hidden (src/sender/consumers.ts notifierQueues).
      consumeQueues('ConsumeEmailRequests', [requests], true),
      // The events loop has no heartbeat and no terminateVisibilityTimeout: it never changes a message's visibility.
      consumeQueues('ConsumeSesEvents', [events], false),
      // POST /v1/campaign-runs plans in the service and queues its requests (src/campaigns/queue.ts: SendMessageBatch).
      allow('QueuePlannedRequests', ['sqs:SendMessage'], [requests]),
      // The planner's audiences and the send-time re-check (src/sender/member-activity.ts) through Athena: read only.
      ...athenaReadStatements({ lake: d.lake, athena: d.athena, processedPrefix: d.processedPrefix }),
    ],
    SES_ACCOUNT_ACTIONS,
  );
  return {
    name: 'notifier',
    command: serverCommand(),
    port: NOTIFIER_PORT,
    healthPath: '/ready',
    ...NOTIFIER_SIZE,
    environment: {
      ...listenEnvironment({ port: NOTIFIER_PORT, logLevel: d.logLevel, size: NOTIFIER_SIZE }),
      AWS_REGION: d.region,
      QUEUE_PREFIX: d.prefix,
      TABLE_PREFIX: d.prefix,
      STUDIO_TIME_ZONE: d.studioTimeZone,
      ...athenaEnvironment(d.lake, d.athena),
      SES_FROM_ADDRESS: `${fromName} <${localPart}@${domain}>`,
      SES_CONFIGURATION_SET: d.ses.configurationSetName,
      SEND_RATE_SHARE: shareOf(maxTasks),
      PUBLIC_BASE_URL: d.publicBaseUrl,
      POSTAL_ADDRESS: d.postalAddress,
      MEMBER_APP_URL: d.memberAppUrl,
      // EventBridge Scheduler starts the planner (CampaignPlannerJob); the other knobs keep the service's defaults.
      CAMPAIGN_SCHEDULE: 'off',
    },
    secrets: { UNSUBSCRIBE_SIGNING_KEYS: d.signingKeysSecretArn, NOTIFIER_API_KEYS: d.apiKeysSecretArn },
    taskPolicy,
    desiredCount: minTasks,
    // The unsubscribe pages must be reachable from any inbox; /v1 needs an API key.
    publicRoute: NOTIFIER_ROUTE,
    scaling: { queue: 'email-requests', backlogPerTask: NOTIFIER_BACKLOG_PER_TASK, minTasks, maxTasks },
  };
}
