import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import fp from 'fastify-plugin';
import type { Static } from 'typebox';
import { assertValid, physicalQueueName, type QueueDefinition } from '@peak/contracts';

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

  url(queue: Pick<QueueDefinition, 'name'>): Promise<string> {
    const name = physicalQueueName(queue.name, this.prefix);
    let url = this.urls.get(name);
    if (!url) {
      url = this.sqs.send(new GetQueueUrlCommand({ QueueName: name })).then((r) => {
        if (!r.QueueUrl) throw new Error(`queue ${name} has no URL`);
        return r.QueueUrl;
      });
      // A failed lookup is not cached: the queue may exist on the next try.
      url.catch(() => this.urls.delete(name));
      this.urls.set(name, url);
    }
    return url;
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

export const sqsPlugin = fp<SqsPluginOptions>(
  async (app, opts) => {
    const owned = !opts.client;
    const sqs = opts.client ?? new SQSClient({ region: opts.region });
    const queues = new Queues(sqs, opts.queuePrefix);
    app.decorate('queues', queues);
    app.readiness.set('sqs', () => Promise.all(opts.uses.map((q) => queues.url(q))));
    app.addHook('onClose', async () => {
      if (owned) sqs.destroy();
    });
  },
  { name: 'peak-sqs', dependencies: ['peak-health'] },
);
