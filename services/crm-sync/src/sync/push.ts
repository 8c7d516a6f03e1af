/**
 * Sends the changed members to HubSpot: batch upserts of at most 100 contacts keyed on `peak_member_id`, spaced by a
 * client-side limiter (Bottleneck, the limiter @hubspot/api-client itself ships) with headroom below the account's
 * 10-second limit, and never past the day's remaining calls (read from HubSpot's X-HubSpot-RateLimit-Daily-Remaining).
 *
 * Failures, by what HubSpot said:
 * - 207 with `errors[]`: those inputs failed (matched by `objectWriteTraceId` = member id), the rest are done;
 * - 400 for the whole batch: the batch is split in halves until the bad inputs stand alone, so one bad member never
 *   holds back 99 good ones;
 * - 429 TEN_SECONDLY_ROLLING, 423 Locked, 5xx, network errors, no answer in time: retried with exponential backoff and jitter, waiting at
 *   least what HubSpot's headers ask (X-HubSpot-RateLimit-Interval-Milliseconds, Retry-After);
 * - 429 DAILY, 401/403, retries exhausted: the run stops; what was sent so far is kept (the state saves it).
 */
import Bottleneck from 'bottleneck';
import type { Client } from '@hubspot/api-client';
import { MEMBER_ID_PROPERTY } from './contact-properties.js';
import type { RunError } from './state.js';

export const BATCH_SIZE = 100;

export type PushItem = { memberId: string; properties: Record<string, string> };
/** A member HubSpot accepted: what was sent, and whether HubSpot created the contact (else it updated one). */
export type SentMember = { memberId: string; properties: Record<string, string>; created: boolean };
export type PushOutcome = {
  sent: SentMember[];
  /** Of them, contacts HubSpot created (the rest it updated). */
  created: number;
  failed: RunError[];
  requests: number;
  /** Set when the run had to stop before every member was tried. */
  stoppedBecause?: string;
};

export type PushOptions = {
  client: Client;
  /** The run's limiter, shared with the property set-up (default: one of its own at `requestsPerTenSeconds`). */
  limiter?: Bottleneck;
  /** Requests per 10 s allowed to crm-sync: HubSpot's limit less the headroom (default 95, for the 100 of the lower tiers). */
  requestsPerTenSeconds?: number;
  /** At most this many requests of the day's remaining budget are used (others share the account's daily limit). */
  dailyBudget?: number;
  maxAttempts?: number;
  /** A call with no answer after this long is given up and retried (default 30 s): an upsert keyed on the member id is safe to repeat. */
  requestTimeoutMs?: number;
  /** Waits (tests pass a clock that does not sleep). */
  sleep?: (ms: number) => Promise<void>;
  onBatch?: (done: number, total: number) => void;
  /** Stops the run between batches (the service shutting down): what was sent is kept, the rest goes in the next run. */
  signal?: AbortSignal;
  /** Called with each batch's answer before the next batch is sent (the run writes it down). */
  onAcknowledged?: (answer: { sent: readonly SentMember[]; failed: readonly RunError[] }) => Promise<void>;
};

type HubSpotError = { code?: number; body?: { category?: string; message?: string; policyName?: string }; headers?: Record<string, string> };

/** HubSpot's messages may quote a member's email ("Email address anna@example.com is invalid"): kept as a***@example.com in run records and logs. */
export const maskEmails = (text: string): string =>
  text.replace(/[^\s"'<>(),;:\\]*@[^\s"'<>(),;:\\]*/g, (word) => `${word.charAt(0) === '@' ? '' : word.charAt(0)}***@${word.slice(word.lastIndexOf('@') + 1)}`);

/** An email HubSpot refused as malformed has no @ to find: the value sent is masked wherever the message quotes it. */
export const maskSentEmail = (text: string, email: string | undefined): string =>
  email ? text.replaceAll(email, `${email.charAt(0)}***`) : text;

/**
 * Evenly spaced requests: at most `perTen` in any rolling 10 s, which a fixed window would not guarantee. The spacing
 * is not rounded to whole ms (106 ms for 95 would give 94.3 per 10 s). One per run, for every HubSpot call it makes.
 */
export const hubspotPacer = (perTen: number): Bottleneck => new Bottleneck({ minTime: 10_000 / perTen, maxConcurrent: 2 });

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class StopRun extends Error {}

/** The wait before attempt `attempt` + 1: exponential from 1 s, at most 60 s, with full jitter, but never less than HubSpot asked. */
export function backoffMs(attempt: number, askedMs: number, random = Math.random): number {
  const ceiling = Math.min(60_000, 1_000 * 2 ** (attempt - 1));
  return Math.max(askedMs, Math.round(ceiling * random()));
}

/** What HubSpot's answer asks to wait, in ms (0 when it says nothing). */
function askedWait(err: HubSpotError): number {
  const h = err.headers ?? {};
  const retryAfter = Number(h['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter > 0) return retryAfter * 1000;
  if (err.code === 429) return Number(h['x-hubspot-ratelimit-interval-milliseconds']) || 10_000;
  if (err.code === 423) return 2_000; // HubSpot: wait at least 2 s after a 423 on bulk writes
  return 0;
}

const retryable = (err: HubSpotError) => err.code === undefined || err.code === 423 || err.code === 429 || err.code >= 500;

export async function pushChanges(items: readonly PushItem[], options: PushOptions): Promise<PushOutcome> {
  const { client } = options;
  const sleep = options.sleep ?? realSleep;
  const maxAttempts = options.maxAttempts ?? 6;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const limiter = options.limiter ?? hubspotPacer(options.requestsPerTenSeconds ?? 95);
  const outcome: PushOutcome = { sent: [], created: 0, failed: [], requests: 0 };
  let dailyLeft = options.dailyBudget ?? Number.POSITIVE_INFINITY;
  let done = 0;

  const call = async (batch: readonly PushItem[]) => {
    for (let attempt = 1; ; attempt++) {
      if (dailyLeft <= 0) throw new StopRun('the daily request budget is spent (HubSpot\'s daily limit, less what other apps need); the rest goes in the next run');
      outcome.requests++;
      dailyLeft--;
      try {
        const inputs = batch.map((i) => ({ id: i.memberId, idProperty: MEMBER_ID_PROPERTY, objectWriteTraceId: i.memberId, properties: i.properties }));
        // Bottleneck's expiration fails a hung call and frees its slot; the late answer, if any, is the same upsert again.
        const answer = await limiter.schedule({ expiration: timeoutMs }, () => client.crm.contacts.batchApi.upsertWithHttpInfo({ inputs }));
        const remaining = Number(answer.headers['x-hubspot-ratelimit-daily-remaining']);
        if (Number.isFinite(remaining)) dailyLeft = Math.min(dailyLeft, remaining);
        return answer.data;
      } catch (raw) {
        const err = raw as HubSpotError;
        if (err.code === 429 && err.body?.policyName === 'DAILY') throw new StopRun('HubSpot\'s daily limit is reached; the rest goes in the next run');
        if (err.code === 401 || err.code === 403) throw new StopRun(`HubSpot refused the token (${err.code} ${err.body?.category ?? ''}): check HUBSPOT_ACCESS_TOKEN and its scopes`);
        if (!retryable(err)) throw raw;
        if (attempt >= maxAttempts) throw new StopRun(`HubSpot kept failing (${err.code ?? 'no answer'}) after ${maxAttempts} attempts; the rest goes in the next run`);
        await sleep(backoffMs(attempt, askedWait(err)));
      }
    }
  };

  /** Writes one answer down before anything else is sent: a crash later must not send it again. */
  const acknowledge = async (sent: SentMember[], failed: RunError[]) => {
    outcome.sent.push(...sent);
    outcome.failed.push(...failed);
    outcome.created += sent.filter((m) => m.created).length;
    await options.onAcknowledged?.({ sent, failed }).catch((err: Error) => {
      throw new StopRun(`could not write down what HubSpot acknowledged (${err.message}); stopped so that nothing is sent twice`);
    });
  };

  const send = async (batch: readonly PushItem[]): Promise<void> => {
    let answer: Awaited<ReturnType<typeof call>>;
    try {
      answer = await call(batch);
    } catch (raw) {
      if (raw instanceof StopRun) throw raw;
      const err = raw as HubSpotError;
      if (err.code === 400 && batch.length > 1) {
        // One bad input fails the whole batch: halve it until the bad ones stand alone.
        const half = Math.ceil(batch.length / 2);
        await send(batch.slice(0, half));
        await send(batch.slice(half));
        return;
      }
      const category = err.body?.category ?? (err.code ? `HTTP_${err.code}` : 'ERROR');
      const message = maskEmails(err.body?.message ?? (raw as Error).message ?? String(raw));
      await acknowledge([], batch.map((item) => ({ memberId: item.memberId, category, message: maskSentEmail(message, item.properties.email) })));
      return;
    }
    const failedIds = new Map<string, RunError>();
    for (const e of 'errors' in answer ? (answer.errors ?? []) : []) {
      for (const id of e.context?.objectWriteTraceId ?? []) failedIds.set(id, { memberId: id, category: e.category, message: maskEmails(e.message) });
    }
    // Only members HubSpot answers for count as sent: one left out of both results and errors is not assumed done.
    const answered = new Map(answer.results.map((r) => [r.properties[MEMBER_ID_PROPERTY] ?? '', r._new === true]));
    const sent: SentMember[] = [];
    const failed: RunError[] = [];
    for (const item of batch) {
      const failure = failedIds.get(item.memberId);
      const created = answered.get(item.memberId);
      if (failure) failed.push({ ...failure, message: maskSentEmail(failure.message, item.properties.email) });
      else if (created === undefined) failed.push({ memberId: item.memberId, category: 'UNCONFIRMED', message: 'HubSpot\'s answer neither confirmed nor refused this member; sent again next run' });
      else sent.push({ memberId: item.memberId, properties: item.properties, created });
    }
    await acknowledge(sent, failed);
  };

  try {
    for (let i = 0; i < items.length; i += BATCH_SIZE) {
      if (options.signal?.aborted) throw new StopRun('the service is shutting down; the rest goes in the next run');
      const batch = items.slice(i, i + BATCH_SIZE);
      await send(batch);
      done += batch.length;
      options.onBatch?.(done, items.length);
    }
  } catch (err) {
    if (!(err instanceof StopRun)) throw err;
    outcome.stoppedBecause = err.message;
  } finally {
    if (!options.limiter) await limiter.stop({ dropWaitingJobs: false });
  }
  return outcome;
}
