import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { topicKey } from './topic-key.js';

/**
 * The SES events the notifier reads, in SES's spelling for a configuration set's MatchingEventTypes: sends and
 * deliveries confirm `unknown` emails, bounces and complaints feed the suppression list, and all seven are counted for
 * `/v1/deliverability`. Not opens, clicks or subscriptions (the notifier tracks none). The local twin is the SES
 * sandbox's NOTIFIER_EVENT_TYPES (tools/ses-sandbox/src/wiring.ts); the tests hold the two lists, and the contract's
 * `sesEvent` types, to each other.
 */
export const SES_EVENT_TYPES = ['SEND', 'DELIVERY', 'BOUNCE', 'COMPLAINT', 'REJECT', 'RENDERING_FAILURE', 'DELIVERY_DELAY'] as const;
export type SesEventType = (typeof SES_EVENT_TYPES)[number];

/**
 * The reputation alarms' thresholds: the notifier's own alarm levels (DELIVERABILITY_THRESHOLDS in
 * services/notifier/src/events/deliverability.ts, held equal by the tests) — complaints at 0.1% (mailbox providers block
 * bulk senders at 0.3%), bounces at 2% (SES reviews accounts at 5%).
 */
export const REPUTATION_ALARM_THRESHOLDS = { complaintRate: 0.001, bounceRate: 0.02 } as const;

/** An alarm looks at the highest value SES published in the last hour (the metrics are rates SES already smooths). */
export const REPUTATION_ALARM_PERIOD_SECONDS = 3600;

/** The name of the event destination on the configuration set, as the local wiring names it. */
export const EVENT_DESTINATION_NAME = 'ses-events-sns';

export interface EmailArgs {
  /** Physical name prefix (`peak-<stage>`): configuration set `<prefix>-notifier`, topic `<prefix>-ses-events`, alarms `<prefix>-ses-…`. */
  prefix: string;
  /** The sending domain (stack config `emailDomain`); undefined: no identity (the rest is created, nothing can be sent). */
  domain?: string;
  /** The `ses-events` queue (Queues' outputs): subscribed to the topic, and its policy lets exactly that topic send. */
  eventsQueue: { arn: pulumi.Input<string>; url: pulumi.Input<string> };
  /** The alert topic (Alerts): both reputation alarms notify it on ALARM and OK. Absent: they only change state. */
  alarmTopicArn?: pulumi.Input<string>;
  tags?: Record<string, string>;
}

/** A DNS record the operator adds for the identity (Easy DKIM: three CNAMEs). */
export type DnsRecord = { name: string; type: 'CNAME'; value: string };

/**
 * The AWS side of the notifier's mail: the SES identity of the sending domain (Easy DKIM, 2048-bit), the configuration
 * set every email goes through (SES's suppression list for bounces and complaints, reputation metrics, sending on), an
 * SNS topic encrypted with a key of its own that SES may use for that topic only, the set's event destination publishing
 * SES_EVENT_TYPES to it, the `ses-events` queue subscribed with raw message delivery (the body is the SES event, as
 * the notifier reads it), the queue's policy letting exactly that topic send, and alarms on the account's reputation.
 */
export class Email extends pulumi.ComponentResource {
  readonly identity?: aws.sesv2.EmailIdentity;
  readonly configurationSet: aws.sesv2.ConfigurationSet;
  readonly topicKey: aws.kms.Key;
  readonly topic: aws.sns.Topic;
  readonly subscription: aws.sns.TopicSubscription;
  readonly eventDestination: aws.sesv2.ConfigurationSetEventDestination;
  readonly complaintRateAlarm: aws.cloudwatch.MetricAlarm;
  readonly bounceRateAlarm: aws.cloudwatch.MetricAlarm;
  readonly configurationSetName: pulumi.Output<string>;
  readonly configurationSetArn: pulumi.Output<string>;
  readonly topicArn: pulumi.Output<string>;
  /** The identity's ARN (what `ses:SendEmail` is granted on, with the configuration set); undefined without a domain. */
  readonly identityArn: pulumi.Output<string | undefined>;
  /** The DKIM CNAME records to add to the domain's DNS (empty without a domain). */
  readonly dkimRecords: pulumi.Output<DnsRecord[]>;

  constructor(name: string, args: EmailArgs, opts?: pulumi.ComponentResourceOptions) {
    super('peak:messaging:Email', name, {}, opts);
    const parent = { parent: this };
    const tags = { ...(args.tags ?? {}), component: 'email' };
    const region = aws.getRegionOutput({}, parent).region;
    const caller = aws.getCallerIdentityOutput({}, parent);
    const partition = caller.arn.apply((arn) => arn.split(':')[1] ?? 'aws');
    const topicName = `${args.prefix}-ses-events`;
    // Known before the topic exists, so the key policy can name it (the topic needs the key first).
    const topicArn = pulumi.interpolate`arn:${partition}:sns:${region}:${caller.accountId}:${topicName}`;

    if (args.domain !== undefined) {
      // Verification is by DKIM: SES gives three tokens, the operator adds their CNAMEs (infra/README.md), SES finds
      // them and the domain is verified for sending. Until then (and while the account is in the SES sandbox) nothing goes.
      this.identity = new aws.sesv2.EmailIdentity(
        `${name}-identity`,
        { emailIdentity: args.domain, dkimSigningAttributes: { nextSigningKeyLength: 'RSA_2048_BIT' }, tags },
        parent,
      );
    }

    this.configurationSet = new aws.sesv2.ConfigurationSet(
      `${name}-configuration-set`,
      {
        configurationSetName: `${args.prefix}-notifier`,
        // SES's own suppression list stays on as the backstop behind the notifier's (docs/campaigns.md).
        suppressionOptions: { suppressedReasons: ['BOUNCE', 'COMPLAINT'] },
        reputationOptions: { reputationMetricsEnabled: true },
        sendingOptions: { sendingEnabled: true },
        tags,
      },
      parent,
    );

    // SES may make and read data keys for this topic only (its events are the notifier's bounces and complaints).
    this.topicKey = topicKey(
      `${name}-topic-key`,
      {
        topicName,
        topicArn,
        partition,
        account: caller.accountId,
        description: `Encrypts the SNS topic ${topicName} (SES events of the ${args.prefix}-notifier configuration set)`,
        publishers: { sid: 'SesPublishesToTheEventsTopic', services: 'ses.amazonaws.com', actions: ['kms:GenerateDataKey', 'kms:Decrypt'] },
        tags,
      },
      parent,
    );

    this.topic = new aws.sns.Topic(`${name}-topic`, { name: topicName, kmsMasterKeyId: this.topicKey.arn, tags }, parent);

    // The queue's only policy: SNS may send to it on behalf of exactly this topic.
    const queuePolicy = new aws.sqs.QueuePolicy(
      `${name}-events-queue-policy`,
      {
        queueUrl: args.eventsQueue.url,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'SesEventsTopicSends',
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: args.eventsQueue.arn,
              Condition: { ArnEquals: { 'aws:SourceArn': this.topic.arn } },
            },
          ],
        }),
      },
      parent,
    );

    // Raw message delivery: the queue's body is the SES event itself, as the notifier (and the local wiring) expects.
    this.subscription = new aws.sns.TopicSubscription(
      `${name}-events-subscription`,
      { topic: this.topic.arn, protocol: 'sqs', endpoint: args.eventsQueue.arn, rawMessageDelivery: true },
      { parent: this, dependsOn: [queuePolicy] },
    );

    // Events flow once the queue can take them: no event published before the subscription and the policy exist.
    this.eventDestination = new aws.sesv2.ConfigurationSetEventDestination(
      `${name}-event-destination`,
      {
        configurationSetName: this.configurationSet.configurationSetName,
        eventDestinationName: EVENT_DESTINATION_NAME,
        eventDestination: { enabled: true, matchingEventTypes: [...SES_EVENT_TYPES], snsDestination: { topicArn: this.topic.arn } },
      },
      { parent: this, dependsOn: [this.subscription, queuePolicy, this.topicKey] },
    );

    // The account's reputation in this region (no dimension: SES's own measure over a representative volume, which is
    // what gets an account reviewed), not the notifier's 7-day counts; no data (no bounce or complaint yet) is fine.
    const alarm = (key: keyof typeof REPUTATION_ALARM_THRESHOLDS, metricName: string, what: string) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${key === 'complaintRate' ? 'complaint' : 'bounce'}-rate`,
        {
          name: `${args.prefix}-ses-${key === 'complaintRate' ? 'complaint' : 'bounce'}-rate`,
          alarmDescription: `SES ${what} of the account at or above ${REPUTATION_ALARM_THRESHOLDS[key] * 100}% (the notifier's /v1/deliverability alarm level): pause campaigns and look at who is being mailed (infra/README.md)`,
          namespace: 'AWS/SES',
          metricName,
          statistic: 'Maximum',
          period: REPUTATION_ALARM_PERIOD_SECONDS,
          evaluationPeriods: 1,
          threshold: REPUTATION_ALARM_THRESHOLDS[key],
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          treatMissingData: 'notBreaching',
          ...(args.alarmTopicArn === undefined ? {} : { alarmActions: [args.alarmTopicArn], okActions: [args.alarmTopicArn] }),
          tags,
        },
        parent,
      );
    this.complaintRateAlarm = alarm('complaintRate', 'Reputation.ComplaintRate', 'complaint rate');
    this.bounceRateAlarm = alarm('bounceRate', 'Reputation.BounceRate', 'bounce rate');

    this.configurationSetName = this.configurationSet.configurationSetName;
    this.configurationSetArn = this.configurationSet.arn;
    this.topicArn = this.topic.arn;
    const domain = args.domain;
    this.identityArn = this.identity ? this.identity.arn : pulumi.output(undefined);
    this.dkimRecords = this.identity
      ? this.identity.dkimSigningAttributes.apply((a) =>
          (a?.tokens ?? []).map((token): DnsRecord => ({ name: `${token}._domainkey.${domain}`, type: 'CNAME', value: `${token}.dkim.amazonses.com` })),
        )
      : pulumi.output([]);
    this.registerOutputs({
      configurationSetName: this.configurationSetName,
      configurationSetArn: this.configurationSetArn,
      topicArn: this.topicArn,
      identityArn: this.identityArn,
      dkimRecords: this.dkimRecords,
    });
  }
}
