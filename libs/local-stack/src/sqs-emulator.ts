import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import { dlqName, physicalQueueName, queueList, type QueueDefinition } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './aws-local.js';
import { enforceConditionalCreates } from './s3-conditional-writes.js';
import { listInByteOrder } from './s3-list-order.js';

export type SqsEmulator = {
  /** http://127.0.0.1:PORT — the SQS and S3 endpoint. */
  endpoint: string;
  port: number;
  sqs: SQSClient;
  s3: S3Client;
  stop(): Promise<void>;
};

export type SqsEmulatorOptions = {
  port?: number;
  queues?: readonly QueueDefinition[];
  queuePrefix?: string;
  buckets?: readonly string[];
};

/**
 * fauxqs (SQS + S3 emulator) bound to loopback only — its own CLI binds 0.0.0.0 — with every
 * contract queue and its DLQ created through the real SQS API, exactly as Pulumi creates them in AWS,
 * and two S3 behaviours fauxqs gets wrong made right: conditional create (`If-None-Match: *`) and
 * listing order.
 */
export async function startSqsEmulator(opts: SqsEmulatorOptions = {}): Promise<SqsEmulator> {
  const app = buildApp({ logger: false, defaultRegion: LOCAL_REGION });
  enforceConditionalCreates(app);
  listInByteOrder(app);
  await app.listen({ host: '127.0.0.1', port: opts.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const endpoint = `http://127.0.0.1:${port}`;
  const sqs = new SQSClient({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });
  const s3 = new S3Client({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  try {
    await createQueues(sqs, opts.queues ?? queueList, opts.queuePrefix ?? '');
    for (const bucket of opts.buckets ?? []) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    await app.close();
    throw err;
  }
  return {
    endpoint,
    port,
    sqs,
    s3,
    async stop() {
      sqs.destroy();
      s3.destroy();
      await app.close();
    },
  };
}

/** Creates each queue's DLQ first, then the queue with the redrive policy pointing at it. */
export async function createQueues(sqs: SQSClient, queues: readonly QueueDefinition[], prefix: string): Promise<void> {
  for (const q of queues) {
    const dlq = await sqs.send(
      new CreateQueueCommand({
        QueueName: physicalQueueName(dlqName(q), prefix),
        Attributes: { MessageRetentionPeriod: String(q.dlqRetentionSeconds) },
      }),
    );
    const dlqAttrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
    await sqs.send(
      new CreateQueueCommand({
        QueueName: physicalQueueName(q.name, prefix),
        Attributes: {
          VisibilityTimeout: String(q.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(q.messageRetentionSeconds),
          ReceiveMessageWaitTimeSeconds: String(q.receiveWaitTimeSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqAttrs.Attributes?.QueueArn, maxReceiveCount: q.maxReceiveCount }),
        },
      }),
    );
  }
}
