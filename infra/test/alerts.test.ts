/**
 * The alert channel (Alerts), the cost guard (Budget) and the messaging alarms (Queues), built alone under mocks: the
 * key and topic policies statement by statement, the subscriptions, the budget's notifications, and each queue's two
 * alarms against its contract. (That every alarm of the whole program notifies the topic is in policies.test.ts.)
 */
import * as pulumi from '@pulumi/pulumi';
import t from 'tap';
import { dlqName, queueList, queues as queueDefs } from '@peak/contracts';
import type { PolicyDocument, Statement } from './fixtures/policies.js';
import type { Registered } from './fixtures/pulumi-mocks.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const PREFIX = 'peak-test';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:${PREFIX}-alerts`;
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/alerts-key-id`;
const EMAILS = ['ops@example.com', 'On-Call@example.org'];

const resources: Registered[] = [];
await pulumi.runtime.setMocks(
  {
    newResource(args) {
      const id = `${args.name}-id`;
      resources.push({ type: args.type, name: args.name, id, inputs: args.inputs as Record<string, unknown> });
      const name = typeof args.inputs.name === 'string' ? args.inputs.name : args.name;
      const computed: Record<string, Record<string, unknown>> = {
        'aws:kms/key:Key': { keyId: `${args.name}-id`, arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${args.name}-id` },
        'aws:sns/topic:Topic': { arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`, name },
        'aws:sqs/queue:Queue': { arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`, url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`, name },
      };
      return { id, state: { ...args.inputs, ...(computed[args.type] ?? {}) } };
    },
    call(args) {
      if (args.token === 'aws:index/getRegion:getRegion') return { name: REGION, region: REGION, id: REGION };
      if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity') return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/deployer`, id: ACCOUNT, userId: 'AIDEXAMPLE' };
      return args.inputs;
    },
  },
  'peak-fitness',
  'test',
  false,
);
// After setMocks: Pulumi resource modules load once the mocks are set.
const { ALERT_PUBLISHERS, Alerts, parseAlertEmails } = await import('../src/alerts.js');
const { BUDGET_NOTIFICATIONS, Budget, DEFAULT_BUDGET_MONTHLY_USD, parseBudgetMonthlyUsd } = await import('../src/budget.js');
const { oldestMessageAgeThresholdSeconds, Queues } = await import('../src/queues.js');
const { Email } = await import('../src/email.js');
const outputs = await pulumi.runtime.runInPulumiStack(async () => {
  const alerts = new Alerts('alerts', { prefix: PREFIX, emails: EMAILS, tags: { stage: 'test' } });
  const budget = new Budget('budget', { prefix: PREFIX, monthlyUsd: 250, alertTopicArn: alerts.topicArn });
  const queues = new Queues('queues', { prefix: PREFIX, definitions: queueList, alarmTopicArn: alerts.topicArn });
  new Queues('bare', { prefix: 'peak-bare', definitions: [queueDefs.rawLanded] });
  const events = queues.pairs[queueDefs.sesEvents.name]?.queue;
  if (!events) throw new Error('no ses-events queue');
  new Email('email', { prefix: PREFIX, eventsQueue: { arn: events.arn, url: events.url }, alarmTopicArn: alerts.topicArn });
  return { topicArn: alerts.topicArn, budgetName: budget.budgetName, alarmNames: queues.alarmNames };
});
await pulumi.runtime.disconnect();

const of = (type: string) => resources.filter((r) => r.type === type);
const statements = (r: Registered | undefined): Statement[] => (JSON.parse(String(r?.inputs.policy)) as PolicyDocument).Statement;
const alarm = (name: string) => of('aws:cloudwatch/metricAlarm:MetricAlarm').find((a) => a.inputs.name === name)?.inputs;

t.test('the alert addresses and the budget from stack config', async (t) => {
  t.same(parseAlertEmails(undefined), [], 'absent: none');
  t.same(parseAlertEmails(' a@example.com, ,b.c@example.org '), ['a@example.com', 'b.c@example.org'], 'trimmed, empty items dropped');
  t.throws(() => parseAlertEmails('ops@example.com;dev@example.com'), /peak-fitness:alertEmails must be a comma-separated list of email addresses.*"ops@example.com;dev@example.com" is not one/);
  t.throws(() => parseAlertEmails('ops'), /"ops" is not one/);
  t.throws(() => parseAlertEmails('ops@example.com,OPS@example.com'), /an address is listed twice/);
  t.equal(parseBudgetMonthlyUsd(undefined), DEFAULT_BUDGET_MONTHLY_USD, 'absent: the default');
  t.equal(parseBudgetMonthlyUsd(' 300 '), 300);
  for (const bad of ['0', '-5', '12.5', '$100', '']) t.throws(() => parseBudgetMonthlyUsd(bad), /budgetMonthlyUsd must be a whole number of US dollars, at least 1/, JSON.stringify(bad));
});

t.test('the alert topic is encrypted with its own key, which CloudWatch and Budgets may use for this topic only', async (t) => {
  const topics = of('aws:sns/topic:Topic').filter((x) => x.inputs.name === `${PREFIX}-alerts`);
  t.equal(topics.length, 1, 'one alert topic');
  t.equal(topics[0]?.inputs.kmsMasterKeyId, KEY_ARN, 'under the alerts key, not alias/aws/sns');
  const key = of('aws:kms/key:Key').find((k) => k.name === 'alerts-key');
  t.match(key?.inputs, { enableKeyRotation: true, deletionWindowInDays: 30 });
  t.same(statements(key), [
    { Sid: 'AccountAdministersKeyThroughIam', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
    {
      Sid: 'AlarmsAndBudgetsPublishToTheAlertTopic',
      Effect: 'Allow',
      Principal: { Service: ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com'] },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': TOPIC_ARN } },
    },
  ]);
  t.same([...ALERT_PUBLISHERS], ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com']);
  t.match(of('aws:kms/alias:Alias').find((a) => a.name === 'alerts-key-alias')?.inputs, { name: `alias/${PREFIX}-alerts`, targetKeyId: 'alerts-key-id' });
});

t.test("the topic's policy: this stack's alarms and this account's budgets may publish, nobody else", async (t) => {
  const policies = of('aws:sns/topicPolicy:TopicPolicy');
  t.equal(policies.length, 1);
  t.equal(policies[0]?.inputs.arn, TOPIC_ARN);
  t.same(statements(policies[0]), [
    {
      Sid: 'StackAlarmsPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: TOPIC_ARN,
      Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${PREFIX}-*` } },
    },
    {
      Sid: 'AccountBudgetsPublish',
      Effect: 'Allow',
      Principal: { Service: 'budgets.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: TOPIC_ARN,
      Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:aws:budgets::${ACCOUNT}:*` } },
    },
  ]);
  t.equal(outputs?.topicArn, TOPIC_ARN, 'the ARN the alarms get is the topic’s (through its policy)');
});

t.test('one email subscription per alert address, named by address', async (t) => {
  const subs = of('aws:sns/topicSubscription:TopicSubscription').filter((s) => s.inputs.protocol === 'email');
  t.same(
    subs.map((s) => [s.name, s.inputs.endpoint, s.inputs.topic]),
    EMAILS.map((e) => [`alerts-email-${e.toLowerCase()}`, e, TOPIC_ARN]),
  );
});

t.test('a monthly cost budget notifying the alert topic at 80% actual and 100% forecast', async (t) => {
  const budgets = of('aws:budgets/budget:Budget');
  t.equal(budgets.length, 1);
  t.match(budgets[0]?.inputs, { name: `${PREFIX}-monthly-cost`, budgetType: 'COST', timeUnit: 'MONTHLY', limitAmount: '250.00', limitUnit: 'USD', costTypes: { includeCredit: false, includeRefund: false } });
  t.same(budgets[0]?.inputs.notifications, [
    { notificationType: 'ACTUAL', comparisonOperator: 'GREATER_THAN', threshold: 80, thresholdType: 'PERCENTAGE', subscriberSnsTopicArns: [TOPIC_ARN] },
    { notificationType: 'FORECASTED', comparisonOperator: 'GREATER_THAN', threshold: 100, thresholdType: 'PERCENTAGE', subscriberSnsTopicArns: [TOPIC_ARN] },
  ]);
  t.equal(BUDGET_NOTIFICATIONS.length, 2);
  t.equal(outputs?.budgetName, `${PREFIX}-monthly-cost`);
  t.throws(() => new Budget('zero', { prefix: PREFIX, monthlyUsd: 0, alertTopicArn: TOPIC_ARN }), /monthlyUsd must be a whole number of dollars ≥ 1/);
});

t.test("each queue's two alarms, from its contract, notifying the topic", async (t) => {
  const expectedNames: string[] = [];
  for (const def of queueList) {
    const threshold = oldestMessageAgeThresholdSeconds(def);
    t.equal(threshold, def.messageRetentionSeconds / 4, `${def.name}: a quarter of its retention`);
    t.ok(threshold >= def.maxReceiveCount * def.visibilityTimeoutSeconds, `${def.name}: longer than a message may live while it is retried`);
    const common = { namespace: 'AWS/SQS', statistic: 'Maximum', period: 300, evaluationPeriods: 1, comparisonOperator: 'GreaterThanThreshold', treatMissingData: 'notBreaching', alarmActions: [TOPIC_ARN], okActions: [TOPIC_ARN] };
    t.match(alarm(`${PREFIX}-${def.name}-dlq-messages`), { ...common, metricName: 'ApproximateNumberOfMessagesVisible', threshold: 0, dimensions: { QueueName: `${PREFIX}-${dlqName(def)}` } }, `${def.name}: any message in its DLQ`);
    t.match(alarm(`${PREFIX}-${def.name}-message-age`), { ...common, metricName: 'ApproximateAgeOfOldestMessage', threshold, dimensions: { QueueName: `${PREFIX}-${def.name}` } }, `${def.name}: oldest message over ${threshold / 3600} h`);
    expectedNames.push(`${PREFIX}-${def.name}-dlq-messages`, `${PREFIX}-${def.name}-message-age`);
  }
  t.same(outputs?.alarmNames, expectedNames, 'alarmNames lists them in contract order');
  // The notifier holds email-requests through quiet hours, up to SQS's 12 h visibility cap (services/notifier consumers.ts).
  t.ok(oldestMessageAgeThresholdSeconds(queueDefs.emailRequests) > 12 * 3600, 'a night of held marketing mail does not alarm');
  t.equal(oldestMessageAgeThresholdSeconds({ messageRetentionSeconds: 3600, visibilityTimeoutSeconds: 900, maxReceiveCount: 3 }), 2700, 'never below the retry window');
  const bare = of('aws:cloudwatch/metricAlarm:MetricAlarm').filter((a) => String(a.inputs.name).startsWith('peak-bare-'));
  t.equal(bare.length, 2, 'without a topic the alarms are still made');
  t.ok(bare.every((a) => a.inputs.alarmActions === undefined && a.inputs.okActions === undefined), '… with no actions');
});

t.test("the SES reputation alarms notify the topic when it is passed", async (t) => {
  for (const name of [`${PREFIX}-ses-complaint-rate`, `${PREFIX}-ses-bounce-rate`]) t.match(alarm(name), { alarmActions: [TOPIC_ARN], okActions: [TOPIC_ARN] }, name);
});
