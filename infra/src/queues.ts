import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { dlqName, physicalQueueName, type QueueDefinition } from '@peak/contracts';

/** CloudWatch's period for the queue alarms: SQS publishes its queue metrics every minute; five smooths the approximations. */
export const QUEUE_ALARM_PERIOD_SECONDS = 300;

/** The oldest-message alarm fires at this share of the queue's retention (see oldestMessageAgeThresholdSeconds). */
export const MESSAGE_AGE_ALARM_RETENTION_SHARE = 0.25;

/**
 * When a queue's oldest message is old enough to alarm: a quarter of its retention, never less than the time a message
 * may legitimately live while being retried (maxReceiveCount × visibility timeout, after which it is in the DLQ).
 * Why retention: SQS deletes an expired message silently (expiry does not go to the DLQ), so the alarm's job is to leave
 * three quarters of the retention to fix the consumer. A multiple of the visibility timeout would fire every night on
 * `email-requests`, whose marketing mail the notifier holds through quiet hours for up to 12 hours.
 */
export function oldestMessageAgeThresholdSeconds(def: Pick<QueueDefinition, 'messageRetentionSeconds' | 'visibilityTimeoutSeconds' | 'maxReceiveCount'>): number {
  return Math.max(Math.floor(def.messageRetentionSeconds * MESSAGE_AGE_ALARM_RETENTION_SHARE), def.maxReceiveCount * def.visibilityTimeoutSeconds);
}

export interface QueuesArgs {
  /** Physical name prefix (`peak-<stage>`): queues are named `<prefix>-<name>`. */
  prefix: string;
  /** The queues to create, normally `queueList` from @peak/contracts. */
  definitions: readonly QueueDefinition[];
  /** The alert topic (Alerts): every queue alarm notifies it on ALARM and OK. Absent: the alarms only change state. */
  alarmTopicArn?: pulumi.Input<string>;
  tags?: Record<string, string>;
}

export interface QueuePair {
  queue: aws.sqs.Queue;
  dlq: aws.sqs.Queue;
  /** A message reached the dead-letter queue: `<prefix>-<name>-dlq-messages`. */
  dlqAlarm: aws.cloudwatch.MetricAlarm;
  /** The queue's oldest message is a quarter of the way to expiry: `<prefix>-<name>-message-age`. */
  ageAlarm: aws.cloudwatch.MetricAlarm;
}

/** Every platform queue with its dead-letter queue, configured from the contract definitions. */
export class Queues extends pulumi.ComponentResource {
  /** By logical queue name (`raw-landed`). */
  readonly pairs: Record<string, QueuePair>;
  readonly urls: pulumi.Output<Record<string, string>>;
  readonly arns: pulumi.Output<Record<string, string>>;
  readonly dlqUrls: pulumi.Output<Record<string, string>>;
  readonly dlqArns: pulumi.Output<Record<string, string>>;
  /** Every queue alarm's name, DLQ and age alarms of each queue in contract order. */
  readonly alarmNames: pulumi.Output<string[]>;

  constructor(name: string, args: QueuesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('peak:messaging:Queues', name, {}, opts);
    const tags = args.tags ?? {};
    const actions = args.alarmTopicArn === undefined ? {} : { alarmActions: [args.alarmTopicArn], okActions: [args.alarmTopicArn] };
    this.pairs = {};
    for (const def of args.definitions) {
      const dlq = new aws.sqs.Queue(
        dlqName(def),
        {
          name: physicalQueueName(dlqName(def), args.prefix),
          messageRetentionSeconds: def.dlqRetentionSeconds,
          sqsManagedSseEnabled: true,
          tags: { ...tags, queue: def.name, role: 'dlq' },
        },
        { parent: this },
      );
      const queue = new aws.sqs.Queue(
        def.name,
        {
          name: physicalQueueName(def.name, args.prefix),
          visibilityTimeoutSeconds: def.visibilityTimeoutSeconds,
          messageRetentionSeconds: def.messageRetentionSeconds,
          receiveWaitTimeSeconds: def.receiveWaitTimeSeconds,
          redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: def.maxReceiveCount }),
          sqsManagedSseEnabled: true,
          tags: { ...tags, queue: def.name, producer: def.producer, consumer: def.consumer },
        },
        { parent: this },
      );
      const alarm = (suffix: string, of: aws.sqs.Queue, metricName: string, threshold: number, description: string) =>
        new aws.cloudwatch.MetricAlarm(
          `${def.name}-${suffix}`,
          {
            name: `${args.prefix}-${def.name}-${suffix}`,
            alarmDescription: description,
            namespace: 'AWS/SQS',
            metricName,
            dimensions: { QueueName: of.name },
            statistic: 'Maximum',
            period: QUEUE_ALARM_PERIOD_SECONDS,
            evaluationPeriods: 1,
            threshold,
            comparisonOperator: 'GreaterThanThreshold',
            // SQS publishes nothing for an inactive queue (empty, untouched for hours): nothing to alarm on.
            treatMissingData: 'notBreaching',
            ...actions,
            tags: { ...tags, queue: def.name },
          },
          { parent: this },
        );
      const age = oldestMessageAgeThresholdSeconds(def);
      const dlqAlarm = alarm(
        'dlq-messages',
        dlq,
        'ApproximateNumberOfMessagesVisible',
        0,
        `A message of ${def.name} failed ${def.maxReceiveCount} times and is in ${physicalQueueName(dlqName(def), args.prefix)} (kept ${def.dlqRetentionSeconds / 86_400} days): read it, fix ${def.consumer}, redrive (infra/README.md, "Alerts")`,
      );
      const ageAlarm = alarm(
        'message-age',
        queue,
        'ApproximateAgeOfOldestMessage',
        age,
        `The oldest ${def.name} message is over ${age / 3600} h old (retention ${def.messageRetentionSeconds / 3600} h): ${def.consumer} is not keeping up or not running, and SQS drops expired messages silently`,
      );
      this.pairs[def.name] = { queue, dlq, dlqAlarm, ageAlarm };
    }
    this.alarmNames = pulumi.output(Object.values(this.pairs).flatMap((p) => [p.dlqAlarm.name, p.ageAlarm.name]));
    const map = (pick: (p: QueuePair) => pulumi.Output<string>) =>
      pulumi.output(Object.fromEntries(Object.entries(this.pairs).map(([k, p]) => [k, pick(p)]))) as pulumi.Output<Record<string, string>>;
    this.urls = map((p) => p.queue.url);
    this.arns = map((p) => p.queue.arn);
    this.dlqUrls = map((p) => p.dlq.url);
    this.dlqArns = map((p) => p.dlq.arn);
    this.registerOutputs({ urls: this.urls, arns: this.arns, dlqUrls: this.dlqUrls, dlqArns: this.dlqArns, alarmNames: this.alarmNames });
  }
}
