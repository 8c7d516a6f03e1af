/**
 * The SES → SNS → SQS path the notifier's suppression list depends on, set up through the real APIs exactly as the
 * Pulumi program declares it in AWS: a configuration set, an SNS topic, the `ses-events` queue subscribed to it with
 * raw message delivery (the body is the SES event itself), and the set's event destination publishing to the topic.
 * Idempotent: run again against a kept platform, it finds what exists.
 */
import {
  AlreadyExistsException,
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  type EventType,
  type SESv2Client,
} from '@aws-sdk/client-sesv2';
import { CreateTopicCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** The events the notifier reads (SES's names in a configuration set's MatchingEventTypes). */
export const NOTIFIER_EVENT_TYPES: EventType[] = ['SEND', 'DELIVERY', 'BOUNCE', 'COMPLAINT', 'REJECT', 'RENDERING_FAILURE', 'DELIVERY_DELAY'];

export type SesEventsWiring = {
  ses: SESv2Client;
  sns: SNSClient;
  sqs: SQSClient;
  configurationSet: string;
  /** URL of the `ses-events` queue. */
  queueUrl: string;
  topicName?: string;
  /** false: the queue gets the SNS envelope instead (the notifier reads both). */
  rawMessageDelivery?: boolean;
};

const ignoreExisting = (err: unknown) => {
  if (err instanceof AlreadyExistsException || (err as Error)?.name === 'AlreadyExistsException') return;
  throw err;
};

export async function wireSesEvents(w: SesEventsWiring): Promise<{ topicArn: string }> {
  await w.ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: w.configurationSet })).catch(ignoreExisting);
  const { TopicArn } = await w.sns.send(new CreateTopicCommand({ Name: w.topicName ?? 'ses-events' })); // CreateTopic is idempotent
  if (!TopicArn) throw new Error('SNS answered CreateTopic without a TopicArn');
  const { Attributes } = await w.sqs.send(new GetQueueAttributesCommand({ QueueUrl: w.queueUrl, AttributeNames: ['QueueArn'] }));
  if (!Attributes?.QueueArn) throw new Error(`no QueueArn for ${w.queueUrl}`);
  await w.sns.send(
    new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes.QueueArn, Attributes: { RawMessageDelivery: String(w.rawMessageDelivery ?? true) } }),
  );
  await w.ses
    .send(
      new CreateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: w.configurationSet,
        EventDestinationName: 'ses-events-sns',
        EventDestination: { Enabled: true, MatchingEventTypes: NOTIFIER_EVENT_TYPES, SnsDestination: { TopicArn } },
      }),
    )
    .catch(ignoreExisting);
  return { topicArn: TopicArn };
}
