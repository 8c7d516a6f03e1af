import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { topicKey } from './topic-key.js';

/** The services that publish to the alert topic: CloudWatch (every alarm of the stack) and AWS Budgets (the cost guard). */
export const ALERT_PUBLISHERS = ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com'] as const;

// Plausible, not RFC 5322: one @, no spaces or commas (the list separator), a dot in the domain.
const EMAIL_PATTERN = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

/**
 * The alert addresses of stack config `alertEmails` (comma-separated; absent or empty: none). Each becomes an email
 * subscription that its owner must confirm. `key` names the config key in the error message.
 */
export function parseAlertEmails(text: string | undefined, key = 'peak-fitness:alertEmails'): string[] {
  if (text === undefined) return [];
  const emails = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const bad = emails.find((e) => !EMAIL_PATTERN.test(e));
  if (bad !== undefined) throw new Error(`${key} must be a comma-separated list of email addresses such as ops@example.com; ${JSON.stringify(bad)} is not one`);
  // Addresses compare case-insensitively in practice; a second subscription of the same inbox would only be refused by SNS.
  if (new Set(emails.map((e) => e.toLowerCase())).size !== emails.length) throw new Error(`${key}: an address is listed twice; got ${JSON.stringify(text)}`);
  return emails;
}

export interface AlertsArgs {
  /** Physical name prefix (`peak-<stage>`): topic `<prefix>-alerts`, key alias `alias/<prefix>-alerts`. */
  prefix: string;
  /** Addresses subscribed by email (stack config `alertEmails`); each must confirm (infra/README.md). */
  emails: readonly string[];
  tags?: Record<string, string>;
}

/**
 * The stack's one alert channel: an SNS topic every alarm and the budget publish to, encrypted with a key of its own,
 * and an email subscription per alert address. The AWS managed `aws/sns` key cannot be used: its policy cannot be
 * edited to let CloudWatch (or Budgets) make data keys, so their notifications would be dropped.
 */
export class Alerts extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly topic: aws.sns.Topic;
  readonly topicPolicy: aws.sns.TopicPolicy;
  readonly subscriptions: aws.sns.TopicSubscription[];
  /** The topic's ARN, resolved once its policy is in place: pass it to alarms (`alarmTopicArn`) and the budget. */
  readonly topicArn: pulumi.Output<string>;
  readonly topicName: pulumi.Output<string>;

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('peak:monitoring:Alerts', name, {}, opts);
    const parent = { parent: this };
    const tags = { ...(args.tags ?? {}), component: 'alerts' };
    const region = aws.getRegionOutput({}, parent).region;
    const caller = aws.getCallerIdentityOutput({}, parent);
    const account = caller.accountId;
    const partition = caller.arn.apply((arn) => arn.split(':')[1] ?? 'aws');
    const topicName = `${args.prefix}-alerts`;
    // Known before the topic exists, so the key policy can name it (the topic needs the key first).
    const topicArn = pulumi.interpolate`arn:${partition}:sns:${region}:${account}:${topicName}`;

    // CloudWatch and Budgets may make and read data keys for this topic only: what publishing to an encrypted topic takes.
    this.key = topicKey(
      `${name}-key`,
      {
        topicName,
        topicArn,
        partition,
        account,
        description: `Encrypts the SNS topic ${topicName} (CloudWatch alarms and the AWS Budgets cost guard of ${args.prefix})`,
        publishers: { sid: 'AlarmsAndBudgetsPublishToTheAlertTopic', services: [...ALERT_PUBLISHERS], actions: ['kms:GenerateDataKey*', 'kms:Decrypt'] },
        tags,
      },
      parent,
    );

    this.topic = new aws.sns.Topic(`${name}-topic`, { name: topicName, kmsMasterKeyId: this.key.arn, tags }, parent);

    // The topic's policy replaces SNS's default one: only this account's alarms of this stack (by name prefix) and
    // its budgets may publish; the account's own principals keep their IAM rights (same account needs no topic grant).
    this.topicPolicy = new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: this.topic.arn,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'StackAlarmsPublish',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: this.topic.arn,
              Condition: {
                StringEquals: { 'aws:SourceAccount': account },
                ArnLike: { 'aws:SourceArn': pulumi.interpolate`arn:${partition}:cloudwatch:${region}:${account}:alarm:${args.prefix}-*` },
              },
            },
            {
              Sid: 'AccountBudgetsPublish',
              Effect: 'Allow',
              Principal: { Service: 'budgets.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: this.topic.arn,
              Condition: {
                StringEquals: { 'aws:SourceAccount': account },
                ArnLike: { 'aws:SourceArn': pulumi.interpolate`arn:${partition}:budgets::${account}:*` },
              },
            },
          ],
        }),
      },
      parent,
    );

    // Email is a "partially supported" protocol: the subscription stays pending until its owner clicks the link, and
    // an unconfirmed one cannot be deleted by Pulumi (infra/README.md, "Alerts").
    // Named by address, not position: reordering the list replaces nothing (a new subscription means a new confirmation).
    this.subscriptions = args.emails.map(
      (email) => new aws.sns.TopicSubscription(`${name}-email-${email.toLowerCase()}`, { topic: this.topic.arn, protocol: 'email', endpoint: email }, parent),
    );

    // Through the policy's ARN: whoever takes it (alarms, the budget) is created after the policy that lets them publish.
    this.topicArn = this.topicPolicy.arn;
    this.topicName = this.topic.name;
    this.registerOutputs({ topicArn: this.topicArn, topicName: this.topicName });
  }
}
