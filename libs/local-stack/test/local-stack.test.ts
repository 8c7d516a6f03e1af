import { createServer, type AddressInfo } from 'node:net';
import t from 'tap';
import { GetQueueAttributesCommand, ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { ListEmailTemplatesCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { Redis } from 'ioredis';
import { dlqName, queueList } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, portInUse, startRedis, startSesEmulator, startSqsEmulator } from '@peak/local-stack';

t.test('sqs emulator: every contract queue and DLQ exists, redrive set, messages round-trip, S3 works', async (t) => {
  const emu = await startSqsEmulator({ buckets: ['lake'] });
  t.teardown(() => emu.stop());
  const listed = await emu.sqs.send(new ListQueuesCommand({}));
  const names = (listed.QueueUrls ?? []).map((u) => u.split('/').pop());
  for (const q of queueList) {
    t.ok(names.includes(q.name), `${q.name} exists`);
    t.ok(names.includes(dlqName(q)), `${dlqName(q)} exists`);
  }
  for (const q of queueList) {
    const { QueueUrl: url } = await emu.sqs.send(new GetQueueUrlCommand({ QueueName: q.name }));
    const { Attributes: a } = await emu.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    t.equal(a?.VisibilityTimeout, String(q.visibilityTimeoutSeconds), `${q.name} visibility timeout`);
    const redrive = JSON.parse(a?.RedrivePolicy ?? '{}') as { maxReceiveCount?: number | string; deadLetterTargetArn?: string };
    t.equal(Number(redrive.maxReceiveCount), q.maxReceiveCount, `${q.name} max receives`);
    t.match(redrive.deadLetterTargetArn ?? '', new RegExp(`:${dlqName(q)}$`), `${q.name} redrives to its DLQ`);
  }
  const { QueueUrl } = await emu.sqs.send(new GetQueueUrlCommand({ QueueName: 'raw-landed' }));
  await emu.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"hello":1}' }));
  const got = await emu.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
  t.equal(got.Messages?.[0]?.Body, '{"hello":1}');
  await emu.s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'raw/x.csv', Body: 'a,b\n1,2\n' }));
  const obj = await emu.s3.send(new GetObjectCommand({ Bucket: 'lake', Key: 'raw/x.csv' }));
  t.equal(await obj.Body?.transformToString(), 'a,b\n1,2\n');
});

t.test('ses emulator answers the SES v2 API', async (t) => {
  const ses = await startSesEmulator();
  t.teardown(() => ses.stop());
  const client = new SESv2Client({ region: LOCAL_REGION, endpoint: ses.endpoint, credentials: LOCAL_CREDENTIALS });
  t.teardown(() => client.destroy());
  const templates = await client.send(new ListEmailTemplatesCommand({ PageSize: 1 }));
  t.equal(templates.$metadata.httpStatusCode, 200);
});

t.test('redis-server starts on loopback and stops without leaving a process', async (t) => {
  const redis = await startRedis();
  const client = new Redis(redis.url);
  t.equal(await client.ping(), 'PONG');
  client.disconnect();
  await redis.stop();
  t.equal(await portInUse(redis.port), false, 'port released');
  t.throws(() => process.kill(redis.pid, 0), 'process gone');
});

t.test('redis-server that cannot start fails at once with its own reason', async (t) => {
  const squatter = createServer(); // something that is not Redis holds the port
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  squatter.unref();
  t.teardown(() => void squatter.close());
  const started = Date.now();
  const port = (squatter.address() as AddressInfo).port;
  await t.rejects(startRedis({ port }), /exited with .* before answering[\s\S]*(Address already in use|bind)/i);
  t.ok(Date.now() - started < 10_000, 'failed without waiting for the readiness deadline');
});
