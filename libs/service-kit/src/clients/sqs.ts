import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import fp from 'fastify-plugin';
import type { Static } from 'typebox';
import { assertValid, physicalQueueName, type QueueDefinition } from '@peak/contracts';
import { failureReason } from '../readiness.js';

/**
 * Queues by their contract definition: resolves physical URLs once (the emulator and AWS return
 * different hosts, so URLs are never built by hand) and validates every body before it is sent.
 */
export class Queues {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(
    readonly sqs: SQSClient,
    private readonly prefix = '',
  ) {}

  /** `signal` cancels the lookup (an aborted one is not cached); a cached URL is returned as is. */
  url(queue: Pick<QueueDefinition, 'name'>, signal?: AbortSignal): Promise<string> {
    const name = physicalQueueName(queue.name, this.prefix);
    let url = this.urls.get(name);
    if (!url) {
      url = this.sqs.send(new GetQueueUrlCommand({ QueueName: name }), { abortSignal: signal }).then((r) => {
        if (!r.QueueUrl) throw new Error(`queue ${name} has no URL`);
        return r.QueueUrl;
      });
      // A failed lookup is not cached: the queue may exist on the next try.
      url.catch(() => this.urls.delete(name));
      this.urls.set(name, url);
    }
    return url;
  }

  /**
   * Asks SQS about the queue now (a cached URL alone proves nothing once SQS is gone); a queue that
   * has disappeared is forgotten so the next lookup resolves it afresh. `signal` cancels the calls.
   */
  async check(queue: Pick<QueueDefinition, 'name'>, signal?: AbortSignal): Promise<void> {
    const name = physicalQueueName(queue.name, this.prefix);
    try {
      const QueueUrl = await this.url(queue, signal);
      await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }), { abortSignal: signal });
    } catch (err) {
      if ((err as Error).name === 'QueueDoesNotExist') this.urls.delete(name);
      throw new Error(`queue ${name}: ${failureReason(err)}`, { cause: err });
    }
  }

  async send<Q extends QueueDefinition>(queue: Q, body: Static<Q['message']>): Promise<string> {
    assertValid(queue.message, body, `message for ${queue.name}`);
    const out = await this.sqs.send(new SendMessageCommand({ QueueUrl: await this.url(queue), MessageBody: JSON.stringify(body) }));
    return out.MessageId ?? '';
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    queues: Queues;
  }
}

export type SqsPluginOptions = {
  region: string;
  queuePrefix: string;
  /** The queues this service produces to or consumes from: each is a readiness check. */
  uses: readonly QueueDefinition[];
  client?: SQSClient;
};

/** sqsPlugin options from a service config that spreads `awsConfig`. */
export const sqsOptions = (
  config: { AWS_REGION: string; QUEUE_PREFIX: string },
  uses: readonly QueueDefinition[],
  client?: SQSClient,
): SqsPluginOptions => ({ region: config.AWS_REGION, queuePrefix: config.QUEUE_PREFIX, uses, client });

export const sqsPlugin = fp<SqsPluginOptions>(
  async (app, opts) => {
    const owned = !opts.client;
    // Address every call to the configured endpoint: the emulator's queue URLs have an unresolvable
    // `sqs.<region>.localhost` host, and in AWS the queue URL's host is that endpoint anyway.
    const sqs = opts.client ?? new SQSClient({ region: opts.region, useQueueUrlAsEndpoint: false });
    const queues = new Queues(sqs, opts.queuePrefix);
    app.decorate('queues', queues);
    app.readiness.set('sqs', async (signal) => {
      // Every queue is asked at once; the first failure in `uses` order is reported, so the reason is stable.
      const failed = (await Promise.allSettled(opts.uses.map((q) => queues.check(q, signal)))).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    });
    app.addHook('onClose', async () => {
      if (owned) sqs.destroy();
    });
  },
  { name: 'peak-sqs', dependencies: ['peak-health'] },
);
