import t from 'tap';
import { assertValid, queues, sesEvent } from '@peak/contracts';
import { list, type PolicyDocument } from './fixtures/policies.js';
import { byType, MOCK_DKIM_TOKENS, MOCK_KMS_KEY_ID, runProgram, type Registered } from './fixtures/pulumi-mocks.js';

const DOMAIN = 'mail.peakfitness.example';
// Two stacks: one with a sending domain, one without (no identity; the rest of the wiring is the same).
const { resources, outputs } = await runProgram({
  'peak-fitness:stage': 'test',
  'peak-fitness:emailDomain': DOMAIN,
  'peak-fitness:notifierPostalAddress': 'Peak Fitness, 1 Main St, Springfield',
  'peak-fitness:memberAppUrl': 'https://app.peakfitness.example',
});
const noDomain = await runProgram({ 'peak-fitness:stage': 'test' }, 'no-email-domain');
// After runProgram: Pulumi resource modules load once the mocks are set.
const { EVENT_DESTINATION_NAME, REPUTATION_ALARM_THRESHOLDS, SES_EVENT_TYPES } = await import('../src/email.js');
// The local twin of this wiring, and the notifier's own alarm levels and configuration: the stack is held to them.
const { NOTIFIER_EVENT_TYPES } = await import('../../tools/ses-sandbox/src/wiring.js');
const { DELIVERABILITY_THRESHOLDS } = await import('../../services/notifier/src/events/deliverability.js');
const { readConfig } = await import('../../services/notifier/src/config.js');

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const TOPIC = 'peak-test-ses-events';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:${TOPIC}`;
const ALERT_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:peak-test-alerts`;
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${MOCK_KMS_KEY_ID}`;
const EVENTS_QUEUE = `peak-test-${queues.sesEvents.name}`;
const EVENTS_QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:${EVENTS_QUEUE}`;
const EVENTS_QUEUE_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${EVENTS_QUEUE}`;
const CONFIGURATION_SET = 'peak-test-notifier';

const one = (rs: Registered[], type: string): Registered['inputs'] | undefined => {
  const found = byType(rs, type);
  return found.length === 1 ? found[0]?.inputs : undefined;
};
const parse = (text: unknown) => JSON.parse(String(text)) as PolicyDocument;
// The stack has other topics and keys (the alerts'): the email component's are the ones about the SES events topic.
const ofEmail = (rs: Registered[], type: string, test: (inputs: Registered['inputs']) => boolean) => {
  const found = byType(rs, type).filter((r) => test(r.inputs));
  return found.length === 1 ? found[0]?.inputs : undefined;
};

t.test('the SES identity of the sending domain, verified by Easy DKIM, and the records to add', async (t) => {
  const identities = byType(resources, 'aws:sesv2/emailIdentity:EmailIdentity');
  t.equal(identities.length, 1, 'one identity');
  t.match(identities[0]?.inputs, { emailIdentity: DOMAIN, dkimSigningAttributes: { nextSigningKeyLength: 'RSA_2048_BIT' }, tags: { stage: 'test', component: 'email' } }, 'the domain, 2048-bit Easy DKIM');
  t.notOk((identities[0]?.inputs.dkimSigningAttributes as Record<string, unknown>).domainSigningPrivateKey, 'no private key of ours in the program (Easy DKIM, not BYODKIM)');
  t.equal(outputs.emailDomain, DOMAIN);
  t.equal(outputs.sesIdentityArn, `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${DOMAIN}`, 'its ARN is a stack output (what ses:SendEmail will be granted on)');
  t.same(
    outputs.sesDkimRecords,
    MOCK_DKIM_TOKENS.map((token) => ({ name: `${token}._domainkey.${DOMAIN}`, type: 'CNAME', value: `${token}.dkim.amazonses.com` })),
    'one CNAME per DKIM token, as the operator adds them',
  );
});

t.test('the configuration set: SES suppression for bounces and complaints, reputation metrics, sending on', async (t) => {
  const set = one(resources, 'aws:sesv2/configurationSet:ConfigurationSet');
  t.match(set, {
    configurationSetName: CONFIGURATION_SET,
    suppressionOptions: { suppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    reputationOptions: { reputationMetricsEnabled: true },
    sendingOptions: { sendingEnabled: true },
  });
  t.notOk(set?.trackingOptions, 'no open/click tracking');
  t.equal(outputs.sesConfigurationSetName, CONFIGURATION_SET, 'a stack output');
  t.equal(outputs.sesConfigurationSetArn, `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${CONFIGURATION_SET}`);
  // The notifier's configuration accepts the set's name and a sender at the domain (what its deployment will set).
  t.match(
    readConfig({ UNSUBSCRIBE_SIGNING_KEYS: 'k'.repeat(32), SES_CONFIGURATION_SET: CONFIGURATION_SET, SES_FROM_ADDRESS: `Peak Fitness <hello@${DOMAIN}>` }),
    { SES_CONFIGURATION_SET: CONFIGURATION_SET, SES_FROM_ADDRESS: `Peak Fitness <hello@${DOMAIN}>` },
    'SES_CONFIGURATION_SET and SES_FROM_ADDRESS as the service will get them',
  );
});

t.test('the event destination publishes exactly the notifier’s event types to the topic', async (t) => {
  const destination = one(resources, 'aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination') as
    | { configurationSetName: string; eventDestinationName: string; eventDestination: { enabled: boolean; matchingEventTypes: string[]; snsDestination: { topicArn: string } } & Record<string, unknown> }
    | undefined;
  if (!destination) return void t.fail('one event destination');
  t.equal(destination.configurationSetName, CONFIGURATION_SET, 'on the notifier’s configuration set');
  t.equal(destination.eventDestinationName, EVENT_DESTINATION_NAME);
  t.equal(destination.eventDestination.enabled, true, 'enabled');
  t.same(destination.eventDestination.matchingEventTypes, ['SEND', 'DELIVERY', 'BOUNCE', 'COMPLAINT', 'REJECT', 'RENDERING_FAILURE', 'DELIVERY_DELAY'], 'the seven types');
  t.same(destination.eventDestination.matchingEventTypes, [...SES_EVENT_TYPES], 'SES_EVENT_TYPES');
  t.same([...SES_EVENT_TYPES], NOTIFIER_EVENT_TYPES, 'the same list the local SES sandbox wiring uses (tools/ses-sandbox NOTIFIER_EVENT_TYPES)');
  t.same(destination.eventDestination.snsDestination, { topicArn: TOPIC_ARN }, 'to the events topic');
  for (const other of ['cloudWatchDestination', 'eventBridgeDestination', 'kinesisFirehoseDestination', 'pinpointDestination']) t.notOk(destination.eventDestination[other], `no ${other}`);
  // SES writes these types in events as `Send`, `Rendering Failure`, `DeliveryDelay`…: each must be one the contract (and so the notifier) takes.
  const spelling: Record<string, string> = { RENDERING_FAILURE: 'Rendering Failure', DELIVERY_DELAY: 'DeliveryDelay' };
  for (const type of SES_EVENT_TYPES) {
    const eventType = spelling[type] ?? type.charAt(0) + type.slice(1).toLowerCase();
    t.doesNotThrow(() => assertValid(sesEvent, { eventType, mail: { messageId: 'm-1', timestamp: '2026-06-15T10:00:00Z', destination: ['a@example.com'] } }, 'ses-event'), `${type} arrives as a valid ses-event (${eventType})`);
  }
});

t.test('the topic is encrypted with a key of its own, which SES may use for that topic only', async (t) => {
  const topic = ofEmail(resources, 'aws:sns/topic:Topic', (x) => x.name === TOPIC);
  t.match(topic, { name: TOPIC, kmsMasterKeyId: KEY_ARN, tags: { stage: 'test' } }, 'one topic, encrypted with the created key');
  t.notOk(topic?.policy, 'the default topic policy (this account only)');
  t.equal(outputs.sesEventsTopicArn, TOPIC_ARN, 'a stack output');
  const key = ofEmail(resources, 'aws:kms/key:Key', (x) => String(x.description).includes(`SNS topic ${TOPIC} `));
  t.match(key, { enableKeyRotation: true, deletionWindowInDays: 30 }, 'yearly rotation, 30 days to cancel a deletion');
  t.match(ofEmail(resources, 'aws:kms/alias:Alias', (x) => x.name === `alias/${TOPIC}`), { name: `alias/${TOPIC}`, targetKeyId: MOCK_KMS_KEY_ID }, 'an alias naming the topic');
  const doc = parse(key?.policy);
  t.same(
    doc.Statement,
    [
      // The AWS default key policy statement: it lets IAM policies grant use of the key, and grants nothing itself.
      { Sid: 'AccountAdministersKeyThroughIam', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'SesPublishesToTheEventsTopic',
        Effect: 'Allow',
        Principal: { Service: 'ses.amazonaws.com' },
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': TOPIC_ARN } },
      },
    ],
    'the account’s delegation to IAM, and SES’s data keys for this topic only',
  );
  // In a key policy `*` is the key itself; only the account statement (to IAM) has an action wildcard.
  const wild = doc.Statement.filter((s) => list(s.Action).some((a) => a.includes('*')));
  t.same(wild.map((s) => s.Principal), [{ AWS: `arn:aws:iam::${ACCOUNT}:root` }], 'no service principal gets a wildcard action');
});

t.test('the ses-events queue: subscribed raw, and its policy lets exactly that topic send', async (t) => {
  const subscriptions = byType(resources, 'aws:sns/topicSubscription:TopicSubscription');
  t.equal(subscriptions.length, 1, 'one subscription');
  t.same(
    subscriptions[0]?.inputs,
    { topic: TOPIC_ARN, protocol: 'sqs', endpoint: EVENTS_QUEUE_ARN, rawMessageDelivery: true },
    'the ses-events queue, raw message delivery (the body is the SES event), no filter',
  );
  const policies = byType(resources, 'aws:sqs/queuePolicy:QueuePolicy');
  t.equal(policies.length, 1, 'one queue policy in the stack');
  t.equal(policies[0]?.inputs.queueUrl, EVENTS_QUEUE_URL, 'on the ses-events queue');
  t.same(
    parse(policies[0]?.inputs.policy).Statement,
    [
      {
        Sid: 'SesEventsTopicSends',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: EVENTS_QUEUE_ARN,
        Condition: { ArnEquals: { 'aws:SourceArn': TOPIC_ARN } },
      },
    ],
    'SNS may send, on behalf of the events topic only; nothing else',
  );
  t.notOk(byType(resources, 'aws:sqs/queue:Queue').some((q) => q.inputs.policy), 'no inline queue policy that would compete with it');
});

t.test('reputation alarms at the notifier’s own thresholds, on the account’s metrics, notifying the alert topic', async (t) => {
  t.same(REPUTATION_ALARM_THRESHOLDS, { complaintRate: DELIVERABILITY_THRESHOLDS.complaintRate, bounceRate: DELIVERABILITY_THRESHOLDS.bounceRate }, 'the thresholds are /v1/deliverability’s');
  // The SES alarms (the queues' own alarms are Queues', tested in alerts.test.ts).
  const alarms = byType(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm').filter((a) => a.inputs.namespace === 'AWS/SES').map((a) => a.inputs as Record<string, unknown>);
  t.same(alarms.map((a) => a.name).sort(), ['peak-test-ses-bounce-rate', 'peak-test-ses-complaint-rate'], 'two alarms, nothing else');
  const expected = {
    'peak-test-ses-complaint-rate': ['Reputation.ComplaintRate', DELIVERABILITY_THRESHOLDS.complaintRate],
    'peak-test-ses-bounce-rate': ['Reputation.BounceRate', DELIVERABILITY_THRESHOLDS.bounceRate],
  } as const;
  for (const alarm of alarms) {
    const [metricName, threshold] = expected[alarm.name as keyof typeof expected];
    t.match(
      alarm,
      { namespace: 'AWS/SES', metricName, threshold, comparisonOperator: 'GreaterThanOrEqualToThreshold', statistic: 'Maximum', period: 3600, evaluationPeriods: 1, treatMissingData: 'notBreaching' },
      `${alarm.name}: ${metricName} ≥ ${threshold}`,
    );
    t.notOk(alarm.dimensions, `${alarm.name}: the account’s metric (no configuration-set dimension)`);
    t.same([alarm.alarmActions, alarm.okActions], [[ALERT_TOPIC_ARN], [ALERT_TOPIC_ARN]], `${alarm.name}: notifies the alert topic, on alarm and back to OK`);
  }
  t.same(byType(resources, 'aws:sns/topic:Topic').map((x) => x.inputs.name).sort(), ['peak-test-alerts', TOPIC], 'the alert topic beside the events topic');
  t.same(outputs.sesReputationAlarmNames, ['peak-test-ses-complaint-rate', 'peak-test-ses-bounce-rate'], 'a stack output');
});

t.test('without emailDomain: no identity, the rest of the wiring unchanged', async (t) => {
  t.equal(byType(noDomain.resources, 'aws:sesv2/emailIdentity:EmailIdentity').length, 0, 'no identity');
  for (const type of [
    'aws:sesv2/configurationSet:ConfigurationSet',
    'aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination',
    'aws:sns/topic:Topic',
    'aws:sns/topicSubscription:TopicSubscription',
    'aws:sqs/queuePolicy:QueuePolicy',
    'aws:kms/key:Key',
  ]) {
    // The email component's own (the alerts' topic, key and subscriptions are not its).
    const own = byType(noDomain.resources, type).filter((r) => !JSON.stringify(r.inputs).includes('peak-test-alerts'));
    t.equal(own.length, 1, `one ${type.split(':').at(-1)}`);
  }
  t.equal(byType(noDomain.resources, 'aws:cloudwatch/metricAlarm:MetricAlarm').filter((a) => a.inputs.namespace === 'AWS/SES').length, 2, 'both alarms');
  t.notOk(noDomain.outputs.emailDomain, 'no emailDomain output');
  t.notOk(noDomain.outputs.sesIdentityArn, 'no identity ARN');
  t.same(noDomain.outputs.sesDkimRecords, [], 'no DNS records to add');
});
