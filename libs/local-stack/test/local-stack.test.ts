import t from 'tap';
import { ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
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
