import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { dlqName, physicalQueueName, type QueueDefinition } from '@peak/contracts';

export interface QueuesArgs {
  /** Physical name prefix (`peak-<stage>`): queues are named `<prefix>-<name>`. */
  prefix: string;
  /** The queues to create, normally `queueList` from @peak/contracts. */
  definitions: readonly QueueDefinition[];
  tags?: Record<string, string>;
}

export interface QueuePair {
  queue: aws.sqs.Queue;
  dlq: aws.sqs.Queue;
}

/** Every platform queue with its dead-letter queue, configured from the contract definitions. */
export class Queues extends pulumi.ComponentResource {
  /** By logical queue name (`raw-landed`). */
  readonly pairs: Record<string, QueuePair>;
  readonly urls: pulumi.Output<Record<string, string>>;
  readonly arns: pulumi.Output<Record<string, string>>;
  readonly dlqUrls: pulumi.Output<Record<string, string>>;
  readonly dlqArns: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: QueuesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('peak:messaging:Queues', name, {}, opts);
    const tags = args.tags ?? {};
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
      this.pairs[def.name] = { queue, dlq };
    }
    const map = (pick: (p: QueuePair) => pulumi.Output<string>) =>
      pulumi.output(Object.fromEntries(Object.entries(this.pairs).map(([k, p]) => [k, pick(p)]))) as pulumi.Output<Record<string, string>>;
    this.urls = map((p) => p.queue.url);
    this.arns = map((p) => p.queue.arn);
    this.dlqUrls = map((p) => p.dlq.url);
    this.dlqArns = map((p) => p.dlq.arn);
    this.registerOutputs({ urls: this.urls, arns: this.arns, dlqUrls: this.dlqUrls, dlqArns: this.dlqArns });
  }
}
