import { createServer, type AddressInfo } from 'node:net';
import t from 'tap';
import { GetQueueAttributesCommand, ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3ServiceException } from '@aws-sdk/client-s3';
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

t.test('S3 emulator: PutObject with If-None-Match: * refuses an existing key with 412 PreconditionFailed, as S3 does', async (t) => {
  const emu = await startSqsEmulator({ buckets: ['lake'] });
  t.teardown(() => emu.stop());
  const put = (Key: string, Body: string, IfNoneMatch?: string) => emu.s3.send(new PutObjectCommand({ Bucket: 'lake', Key, Body, IfNoneMatch }));
  const read = async (Key: string) => (await emu.s3.send(new GetObjectCommand({ Bucket: 'lake', Key }))).Body?.transformToString();

  t.equal((await put('once', 'first', '*')).$metadata.httpStatusCode, 200, 'a new key is created');
  const err = (await put('once', 'second', '*').catch((e: unknown) => e)) as S3ServiceException;
  t.equal(err.name, 'PreconditionFailed', 'the SDK sees S3 error code PreconditionFailed');
  t.equal(err.$metadata.httpStatusCode, 412, 'HTTP 412');
  t.equal(err.message, 'At least one of the pre-conditions you specified did not hold', "S3's message");
  t.equal(await read('once'), 'first', 'the object is untouched');

  await put('once', 'third');
  t.equal(await read('once'), 'third', 'a PUT without the condition still overwrites');

  const racing = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => put('raced', `writer ${i}`, '*')));
  t.equal(racing.filter((r) => r.status === 'fulfilled').length, 1, 'of 8 racing conditional creates exactly one wins');
  t.ok(
    racing.every((r) => r.status === 'fulfilled' || (r.reason as S3ServiceException).$metadata.httpStatusCode === 412),
    'the others get 412',
  );
});

t.test('S3 emulator: ListObjectsV2 sorts and pages keys by their UTF-8 bytes, as S3 does', async (t) => {
  const emu = await startSqsEmulator({ buckets: ['lake'] });
  t.teardown(() => emu.stop());
  const keys = ['k/ab', 'k/a_b', 'k/aB', 'k/a-b', 'k/a/b', 'k/é', 'k/z', 'k/A', 'other'];
  for (const Key of keys) await emu.s3.send(new PutObjectCommand({ Bucket: 'lake', Key, Body: Key }));
  const inS3Order = keys.filter((k) => k.startsWith('k/')).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  t.same(inS3Order, ['k/A', 'k/a-b', 'k/a/b', 'k/aB', 'k/a_b', 'k/ab', 'k/z', 'k/é'], 'byte order, spelled out');

  const seen: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await emu.s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'k/', MaxKeys: 3, ContinuationToken }));
    seen.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
    ContinuationToken = page.NextContinuationToken;
  } while (ContinuationToken);
  t.same(seen, inS3Order, 'pages of 3 by continuation token: every key once, in byte order');
  const after = await emu.s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'k/', StartAfter: 'k/aB' }));
  t.same(after.Contents?.map((c) => c.Key), inS3Order.slice(4), 'StartAfter by byte order');
  const missing = await emu.s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })).catch((e: Error) => e);
  t.equal((missing as Error).name, 'NoSuchBucket', 'errors are still fauxqs\'s own');
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
