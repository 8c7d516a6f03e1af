import { createHash } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetQueueUrlCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RawLanded } from '@peak/contracts';
import { buildForTest, type Teardown } from '@peak/service-kit/testing';
import { buildApp, readConfig } from '@peak/ingest';

export const API_KEYS = 'door-system:door-key-000000000001,membership-system:membership-key-0001';
export const DOOR = { authorization: 'Bearer door-key-000000000001' } as const;
export const MEMBERSHIP = { 'x-api-key': 'membership-key-0001' } as const;

export const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');
export const today = () => new Date().toISOString().slice(0, 10);

type IngestApp = Awaited<ReturnType<typeof buildApp>>;
export type IngestAppOptions = { env?: Record<string, string>; lakeDir?: string; extend?: (app: IngestApp) => void };

/** An ingest app over a lake folder (a fresh tap testdir unless given) and the emulator's queues. */
export async function ingestApp(t: Teardown & { testdir(): string }, sqs: SQSClient, { env = {}, lakeDir = join(t.testdir(), 'lake'), extend }: IngestAppOptions = {}) {
  await mkdir(lakeDir, { recursive: true });
  const config = readConfig({ LAKE_URI: pathToFileURL(lakeDir).href, INGEST_API_KEYS: API_KEYS, ...env });
  const app = await buildForTest(t, async () => {
    const built = await buildApp(config, { sqs });
    extend?.(built);
    return built;
  });
  return { app, lakeDir, lake: app.lake, batches: app.batches };
}

/** Every file under a folder, as paths relative to it (temp files included: nothing may hide). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

/** Drains the raw-landed queue and returns the messages about the given batches (other tests share the queue). */
export async function rawLandedFor(sqs: SQSClient, batchIds: string[]): Promise<RawLanded[]> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'raw-landed' }));
  const found: RawLanded[] = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const bodies = (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as RawLanded);
    found.push(...bodies.filter((b) => batchIds.includes(b.batchId)));
    if (bodies.length === 0) return found;
  }
}
