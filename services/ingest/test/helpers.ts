import { createHash } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetQueueUrlCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AttendanceEvent, RawLanded } from '@peak/contracts';
import { buildForTest, type Teardown } from '@peak/service-kit/testing';
import { buildApp, readConfig, type Clock } from '@peak/ingest';

export const API_KEYS = 'door-system:door-key-000000000001,membership-system:membership-key-0001,door-system-annex:annex-key-000000001';
export const DOOR = { authorization: 'Bearer door-key-000000000001' } as const;
export const MEMBERSHIP = { 'x-api-key': 'membership-key-0001' } as const;
/** A second door system (one per studio): an instance of `door-system`, so it may send attendance too. */
export const ANNEX = { 'x-api-key': 'annex-key-000000001' } as const;

export const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');
export const today = () => new Date().toISOString().slice(0, 10);

type IngestApp = Awaited<ReturnType<typeof buildApp>>;
export type IngestAppOptions = { env?: Record<string, string>; lakeDir?: string; extend?: (app: IngestApp) => void; clock?: Clock };

/** An ingest app over a lake folder (a fresh tap testdir unless given) and the emulator's queues. */
export async function ingestApp(t: Teardown & { testdir(): string }, sqs: SQSClient, { env = {}, lakeDir = join(t.testdir(), 'lake'), extend, clock }: IngestAppOptions = {}) {
  await mkdir(lakeDir, { recursive: true });
  const config = readConfig({ LAKE_URI: pathToFileURL(lakeDir).href, INGEST_API_KEYS: API_KEYS, ...env });
  const app = await buildForTest(t, async () => {
    const built = await buildApp(config, { sqs, clock });
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

/** Drains a queue and returns the bodies `keep` selects (other tests share the queue). */
async function drain<T>(sqs: SQSClient, queue: string, keep: (body: T) => boolean): Promise<T[]> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue }));
  const found: T[] = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const bodies = (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as T);
    found.push(...bodies.filter(keep));
    if (bodies.length === 0) return found;
  }
}

/** Drains the attendance-events queue and returns the events about the given check-ins. */
export const attendanceEventsFor = (sqs: SQSClient, checkinIds: string[]): Promise<AttendanceEvent[]> =>
  drain<AttendanceEvent>(sqs, 'attendance-events', (e) => checkinIds.includes(e.checkin?.checkin_id));

/**
 * A clock whose time moves only when a test says so: `tick(ms)` runs, in order, every timer that
 * falls due within those milliseconds.
 */
export class ManualClock implements Clock {
  private at = Date.now();
  private seq = 0;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();

  now(): number {
    return this.at;
  }

  setTimeout(fn: () => void, ms: number): number {
    this.seq += 1;
    this.timers.set(this.seq, { due: this.at + ms, fn });
    return this.seq;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  tick(ms: number): void {
    const end = this.at + ms;
    for (;;) {
      const [id, next] = [...this.timers].filter(([, timer]) => timer.due <= end).sort(([, a], [, b]) => a.due - b.due)[0] ?? [];
      if (id === undefined || !next) break;
      this.timers.delete(id);
      this.at = next.due;
      next.fn();
    }
    this.at = end;
  }
}

/** Drains the raw-landed queue and returns the messages about the given batches (other tests share the queue). */
export const rawLandedFor = (sqs: SQSClient, batchIds: string[]): Promise<RawLanded[]> => drain<RawLanded>(sqs, 'raw-landed', (b) => batchIds.includes(b.batchId));
