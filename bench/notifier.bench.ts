/**
 * Benchmark: the notifier (`buildApp` from @peak/notifier, its own SDK clients, consumers and pacer, in this process)
 * against real emulators in other processes: fauxqs (SQS) and dynalite (DynamoDB) in a child process (this file run
 * with `--stack`), the SES sandbox in its own (tools/ses-sandbox/src/server.ts). Email requests are valid
 * `email-request`s for the transactional `welcome` template with no `conditions`, so no lake is needed (QUIET_HOURS and
 * FREQUENCY_CAP off). The SES sandbox is the ground truth of what SES accepted (its store: `acceptedAt`, the
 * `dedupe_key` tag) and of what it refused (its counters: 429s by reason). Issue 8:
 *  1. sustained rate: the sandbox's MaxSendRate set to R, N = R × seconds unique requests queued up front, one notifier
 *     app reading the rate from GetAccount (no SEND_RATE). Sends/s from the first to the last accepted message (N−1
 *     intervals) against R (target ≥ 0.95); the most sends in any 1-second sliding window, as the sandbox counts them
 *     (accepted) and as the notifier made them (every SendEmail call, refused ones included): never above R; 429s: 0.
 *     Then where the time went beyond R's spacing: the pacer had nothing queued (receive and ledger latency), its slots
 *     started late with work queued (event-loop delay), slots spent on calls SES refused (429s). Also run at R with
 *     more receive loops (SENDER_CONSUMERS), and at 14/s, SES's default for a new account.
 *  2. duplicates: M unique requests, each put on the queue 3 times (shuffled), two notifier apps (two buildApp
 *     instances, each with its own ledger owner) on the same queue, SES at a high rate. Once the queue is empty and
 *     every key is in a final ledger state: messages per dedupe key in the sandbox (0 keys sent twice, 0 never sent)
 *     and the duplicates the ledger recorded (2 per key).
 * Prints markdown tables on stdout (progress on stderr); `npm run bench` collects them into docs/benchmarks.md.
 * Knobs: NOTIFIER_BENCH_RATE (50) and NOTIFIER_BENCH_SECONDS (30) for run 1; NOTIFIER_BENCH_SLOW_RATE (14; 0 skips it)
 * and NOTIFIER_BENCH_SLOW_SECONDS (20); NOTIFIER_BENCH_ALT_CONSUMERS (0: skipped) and NOTIFIER_BENCH_ALT_SECONDS (20) for a
 * second run at R with more receive loops; NOTIFIER_BENCH_CONSUMERS and NOTIFIER_BENCH_SHARE (the notifier's
 * SENDER_CONSUMERS and SEND_RATE_SHARE; default: its config defaults); NOTIFIER_BENCH_KEYS (400) and
 * NOTIFIER_BENCH_DUP_RATE (200) for run 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CreateConfigurationSetCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { assertValid, emailRequest, physicalQueueName, queues, tableList, type EmailRequest } from '@peak/contracts';
import { createQueues, freePort, LOCAL_CREDENTIALS, LOCAL_REGION, localAwsEnv, startDynamoDb, startSqsEmulator, waitFor } from '@peak/local-stack';
import { buildApp, readConfig } from '@peak/notifier';
import type { CountersSnapshot, StoredMessage } from '@peak/ses-sandbox';
import { decodeTagValue, DEDUPE_TAG } from '../services/notifier/src/sender/send-request.js';
import { prng } from './prng.js';

// ---------------------------------------------------------------------------------------------------------------
// `--stack`: fauxqs and dynalite in this (child) process, endpoints on stdout, until the parent goes away.
if (process.argv[2] === '--stack') {
  const sqs = await startSqsEmulator({ queues: [] }); // the parent creates each run's queues
  const db = await startDynamoDb({ tables: tableList });
  process.stdout.write(`${JSON.stringify({ sqs: sqs.endpoint, dynamodb: db.endpoint })}\n`);
  const stop = () => void Promise.allSettled([sqs.stop(), db.stop()]).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
} else {
  await main();
}

type Warnings = Map<string, number>;
type Probe = {
  /** Every SendEmail call as the notifier made it (Date.now at the SDK's build step), with its HTTP status. */
  ses: { at: number; ms: number; status: number }[];
  /** DynamoDB call latencies by command. */
  dynamo: Map<string, number[]>;
  /** email-requests receives that brought messages: latency and count. */
  receives: { ms: number; messages: number }[];
  /** Pacer slots: when each paced call started and how many calls were still queued behind it. */
  slots: { at: number; behind: number }[];
  /** Every email-requests message received: its id and when. */
  received: { id: string; at: number }[];
};

async function main(): Promise<void> {
  const RATE = Number(process.env.NOTIFIER_BENCH_RATE ?? 50);
  const SECONDS = Number(process.env.NOTIFIER_BENCH_SECONDS ?? 30);
  const SLOW_RATE = Number(process.env.NOTIFIER_BENCH_SLOW_RATE ?? 14); // SES's default for a new production account
  const SLOW_SECONDS = Number(process.env.NOTIFIER_BENCH_SLOW_SECONDS ?? 20);
  const CONSUMERS = process.env.NOTIFIER_BENCH_CONSUMERS; // undefined: the notifier's default
  const ALT_CONSUMERS = Number(process.env.NOTIFIER_BENCH_ALT_CONSUMERS ?? 0); // a second run at RATE with these (0: none; the notifier defaults to 4)
  const ALT_SECONDS = Number(process.env.NOTIFIER_BENCH_ALT_SECONDS ?? 20);
  const SHARE = process.env.NOTIFIER_BENCH_SHARE; // undefined: the notifier's default (1)
  const KEYS = Number(process.env.NOTIFIER_BENCH_KEYS ?? 400);
  const DUP_RATE = Number(process.env.NOTIFIER_BENCH_DUP_RATE ?? 200);
  const COPIES = 3;
  const DUP_APPS = 2;
  const sandboxServer = fileURLToPath(new URL('../tools/ses-sandbox/src/server.ts', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  const log = (line: string) => process.stderr.write(`[notifier bench] ${line}\n`);
  const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const percentile = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  };
  const mean = (values: number[]) => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : 0);
  /** The most events in any 1-second window (t − 1000, t], as the sandbox counts its rate. */
  const maxInSecond = (times: number[]) => {
    const t = [...times].sort((a, b) => a - b);
    let best = 0;
    for (let j = 0, i = 0; j < t.length; j++) {
      while ((t[i] as number) <= (t[j] as number) - 1000) i++;
      best = Math.max(best, j - i + 1);
    }
    return best;
  };
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  const boxLoadAtStart = load();
  const benchStart = Date.now();

  // -------------------------------------------------------------------------------------------------------------
  // The emulators: fauxqs + dynalite in one child, the SES sandbox in another.
  const children: ChildProcess[] = [];
  let sandboxListenerWarnings = 0;
  const startStack = async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, '--stack'], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    const line = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the fauxqs + dynalite process exited (${code}) before it listened`)));
    });
    return JSON.parse(line) as { sqs: string; dynamodb: string };
  };
  const startSandbox = async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', sandboxServer], {
      env: {
        ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn',
        SES_SANDBOX_MAX_SEND_RATE: String(RATE), SES_SANDBOX_MAX_24_HOUR_SEND: '-1', SES_SANDBOX_STORED_MESSAGES: '100000',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    // The sandbox hands one long-lived AbortSignal to every forward to its inner emulator (fetch): Node warns once
    // more than 1,500 listeners sit on it between garbage collections. Counted, not repeated on stderr.
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.includes('MaxListenersExceededWarning')) sandboxListenerWarnings++;
      else if (!line.includes('node --trace-warnings')) process.stderr.write(`${line}\n`);
    });
    const url = `http://127.0.0.1:${port}`;
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitFor('the SES sandbox to answer', async () => {
      if (exited) throw new Error('the SES sandbox exited before answering');
      return (await fetch(`${url}/health`).catch(() => undefined))?.ok === true;
    }, 60_000, 100);
    return url;
  };
  const [stack, sesUrl] = await Promise.all([startStack(), startSandbox()]);
  log(`fauxqs + dynalite at ${stack.sqs} and ${stack.dynamodb}, the SES sandbox at ${sesUrl}`);
  // The notifier builds its own clients, as deployed: the SDK's endpoint variables aim them at the emulators.
  Object.assign(process.env, localAwsEnv({ sqs: stack.sqs, s3: stack.sqs, sesv2: sesUrl, dynamodb: stack.dynamodb }));

  try {
    const sqs = new SQSClient({ region: LOCAL_REGION, endpoint: stack.sqs, credentials: LOCAL_CREDENTIALS, useQueueUrlAsEndpoint: false });
    const ses = new SESv2Client({ region: LOCAL_REGION, endpoint: sesUrl, credentials: LOCAL_CREDENTIALS });
    await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: 'peak-notifier' })); // the notifier's default set
    const admin = async <T>(path: string, init?: { method: string; body?: unknown }): Promise<T> => {
      const res = await fetch(`${sesUrl}${path}`, {
        method: init?.method ?? 'GET',
        ...(init?.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
      });
      if (!res.ok) throw new Error(`SES sandbox ${path}: ${res.status} ${await res.text()}`);
      return (res.status === 204 ? undefined : await res.json()) as T;
    };
    /** A fresh SES account at `maxSendRate`: no messages, counters or spent quota. */
    const freshAccount = async (maxSendRate: number) => {
      await admin('/_sandbox/reset?viewer=true', { method: 'POST' }); // the inner emulator's copies too
      await admin('/_sandbox/account', { method: 'PATCH', body: { maxSendRate, max24HourSend: -1 } });
    };
    const accepted = async (keys: Set<string>) => {
      const r = await admin<{ messages: StoredMessage[]; dropped: number }>('/_sandbox/messages');
      if (r.dropped) throw new Error(`the SES sandbox dropped ${r.dropped} messages: raise SES_SANDBOX_STORED_MESSAGES`);
      return r.messages
        .map((m) => ({ at: Date.parse(m.acceptedAt), key: decodeTagValue(m.tags.find((t) => t.name === DEDUPE_TAG)?.value ?? '') }))
        .filter((m) => keys.has(m.key));
    };
    const counters = () => admin<CountersSnapshot>('/_sandbox/counters');

    // -----------------------------------------------------------------------------------------------------------
    // Requests and queues.
    const FIRST = ['anna', 'ben', 'carla', 'dev', 'elif', 'femi', 'grace', 'hugo', 'ines', 'jon', 'kemi', 'liam'];
    const LOCATIONS = ['downtown', 'riverside', 'northgate', 'lakeside', 'westfield'];
    const today = new Date().toISOString().slice(0, 10);
    /** A welcome (transactional: no holdout, topic, cap or quiet hours; no conditions: no lake) for a new member. */
    const welcome = (run: string, i: number): EmailRequest => {
      const memberId = `${run.toUpperCase().replace(/[^A-Z0-9]/g, '')}-${String(i).padStart(6, '0')}`;
      const location = LOCATIONS[i % LOCATIONS.length] as string;
      const now = Date.now();
      return assertValid(emailRequest, {
        type: 'email-request',
        version: 1,
        requestId: `bench-${run}.${i}`,
        dedupeKey: `welcome:${memberId}:${today}`,
        campaignId: 'welcome',
        runId: `bench-${run}`,
        kind: 'transactional',
        topic: 'onboarding',
        template: 'welcome',
        memberId,
        to: `${memberId.toLowerCase()}@example.com`,
        locationId: location,
        variables: { firstName: FIRST[i % FIRST.length] as string, ctaUrl: `https://peakfitness.example/book/${location}` },
        requestedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + 2 * 86_400_000).toISOString(),
      }, 'email-request');
    };
    /** Each run its own queues (QUEUE_PREFIX): nothing left over from the run before. */
    const queueFor = async (prefix: string) => {
      await createQueues(sqs, [queues.emailRequests, queues.sesEvents], prefix);
      return (await sqs.send(new GetQueueUrlCommand({ QueueName: physicalQueueName(queues.emailRequests.name, prefix) }))).QueueUrl as string;
    };
    const enqueue = async (queueUrl: string, bodies: string[]) => {
      const batches: string[][] = [];
      for (let i = 0; i < bodies.length; i += 10) batches.push(bodies.slice(i, i + 10));
      let next = 0;
      // A few senders at once, batches in order: the queue holds them in about this order.
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (next < batches.length) {
          const batch = batches[next++] as string[];
          const r = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((body, i) => ({ Id: String(i), MessageBody: body })) }));
          if (r.Failed?.length) throw new Error(`SendMessageBatch: ${JSON.stringify(r.Failed[0])}`);
        }
      }));
    };
    const inQueue = async (queueUrl: string) => {
      const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes ?? {};
      return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
    };

    // -----------------------------------------------------------------------------------------------------------
    // The notifier: the real app, its config from readConfig, and probes on its own clients and pacer.
    const notifierEnv = (prefix: string, extra: Record<string, string | undefined>) => {
      const env: Record<string, string> = {
        UNSUBSCRIBE_SIGNING_KEYS: 'bench-unsubscribe-signing-key-0123456789abcdef',
        PUBLIC_BASE_URL: 'https://notify.peakfitness.example',
        QUIET_HOURS: 'off',
        FREQUENCY_CAP: 'off',
        QUEUE_PREFIX: prefix,
        ...(CONSUMERS ? { SENDER_CONSUMERS: CONSUMERS } : {}),
        ...(SHARE ? { SEND_RATE_SHARE: SHARE } : {}),
      };
      for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
      return env;
    };
    type Stack = { add(mw: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>, options: { step: 'build'; name: string; priority?: 'high' }): void };
    const timeCalls = (client: { middlewareStack: unknown }, sink: (command: string, at: number, ms: number, status: number, output: unknown) => void) =>
      (client.middlewareStack as Stack).add(
        (next, context) => async (args) => {
          const at = Date.now();
          const t0 = performance.now();
          try {
            const out = await next(args);
            sink(context.commandName ?? '?', at, performance.now() - t0, 200, (out as { output?: unknown }).output);
            return out;
          } catch (err) {
            sink(context.commandName ?? '?', at, performance.now() - t0, (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0, undefined);
            throw err;
          }
        },
        { step: 'build', name: 'notifierBenchTiming' },
      );
    const startNotifier = async (env: Record<string, string>) => {
      const warnings: Warnings = new Map();
      const stream = {
        write(line: string) {
          const msg = (() => {
            try {
              return String((JSON.parse(line) as { msg?: string }).msg);
            } catch {
              return line.slice(0, 120);
            }
          })();
          warnings.set(msg, (warnings.get(msg) ?? 0) + 1);
        },
      };
      const app = await buildApp(readConfig(env), { logger: { level: 'warn', stream } });
      const probe: Probe = { ses: [], dynamo: new Map(), receives: [], slots: [], received: [] };
      timeCalls(app.ses, (command, at, ms, status) => {
        if (command === 'SendEmailCommand') probe.ses.push({ at, ms, status });
      });
      timeCalls(app.dynamo.client, (command, _at, ms) => {
        const list = probe.dynamo.get(command) ?? [];
        list.push(ms);
        probe.dynamo.set(command, list);
      });
      const requestsUrl = await app.queues.url(queues.emailRequests);
      timeCalls(app.queues.sqs, (command, at, ms, _status, output) => {
        const messages = (output as { Messages?: { MessageId?: string; Body?: string }[] } | undefined)?.Messages ?? [];
        if (command !== 'ReceiveMessageCommand' || !messages[0]?.Body?.includes('"email-request"')) return;
        probe.receives.push({ ms, messages: messages.length });
        for (const m of messages) probe.received.push({ id: m.MessageId ?? '?', at: at + ms });
      });
      const pacer = app.notifier.pacer;
      const schedule = pacer.schedule.bind(pacer);
      let queued = 0;
      pacer.schedule = <T>(call: () => Promise<T>): Promise<T> => {
        queued++;
        return schedule(async () => {
          queued--;
          probe.slots.push({ at: Date.now(), behind: queued });
          return call();
        });
      };
      const started = Date.now();
      await app.ready(); // GetAccount → the pacer's rate, then the consumers start
      const stats = () => app.notifier.stats as NonNullable<typeof app.notifier.stats>;
      return { app, probe, warnings, started, requestsUrl, stats, rate: pacer.ratePerSecond };
    };
    type Notifier = Awaited<ReturnType<typeof startNotifier>>;
    const finalOutcomes = (n: Notifier) => {
      const s = n.stats();
      return s.sent + s.unknown + s.failed + s.suppressed + s.capped + s.dropped;
    };
    const warningsOf = (ns: Notifier[]) => {
      const all = new Map<string, number>();
      for (const n of ns) for (const [m, c] of n.warnings) all.set(m, (all.get(m) ?? 0) + c);
      return [...all].map(([m, c]) => `${c}× “${m}”`).join('; ');
    };

    // -----------------------------------------------------------------------------------------------------------
    // 1. Sustained rate.
    type RateResult = Awaited<ReturnType<typeof rateRun>>;
    const rateRun = async (label: string, rate: number, seconds: number, extra: Record<string, string | undefined> = {}) => {
      const n = Math.round(rate * seconds);
      const prefix = `bench-${label}`;
      const queueUrl = await queueFor(prefix);
      await freshAccount(rate);
      const requests = Array.from({ length: n }, (_, i) => welcome(label, i));
      const keys = new Set(requests.map((r) => r.dedupeKey));
      await enqueue(queueUrl, requests.map((r) => JSON.stringify(r)));
      log(`${label}: ${fmt(n)} requests queued; the SES sandbox at MaxSendRate ${rate}/s; one notifier app (≈ ${fmt(n / rate)} s)…`);
      const lag = monitorEventLoopDelay({ resolution: 5 });
      lag.enable();
      const notifier = await startNotifier(notifierEnv(prefix, extra));
      let lastLog = Date.now();
      await waitFor(`${label}: every request handled`, async () => {
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          log(`${label}: ${fmt(notifier.stats().sent)}/${fmt(n)} sent, ${fmt((Date.now() - notifier.started) / 1000, 1)} s`);
        }
        return finalOutcomes(notifier) >= n;
      }, (n / rate) * 1000 * 2 + 90_000, 100);
      const ended = Date.now();
      lag.disable();
      await notifier.app.close();
      const sends = await accepted(keys);
      const c = await counters();
      const times = sends.map((s) => s.at).sort((a, b) => a - b);
      const first = times[0] ?? 0;
      const last = times.at(-1) ?? 0;
      const perSecond = times.length > 1 ? (times.length - 1) / ((last - first) / 1000) : 0;
      const minTime = 1000 / notifier.rate;
      // Where the time went: the accepted span against R's spacing, (N−1)/R. Between consecutive pacer slots the time
      // beyond the pacer's spacing (signed: a late slot followed by an early one nets out), split by whether another
      // call was already waiting in the pacer at the earlier slot (no: the receive loops had nothing ready; yes: the
      // slot started late — timers and Bottleneck's internal setTimeout hops in a busy event loop); slots spent on
      // calls SES refused (429); and the pacer's own pace below R (SEND_RATE_SHARE < 1).
      const slots = notifier.probe.slots;
      let starvedMs = 0;
      let starvedGaps = 0;
      let lateMs = 0;
      for (let i = 1; i < slots.length; i++) {
        const prev = slots[i - 1] as Probe['slots'][number];
        const excess = (slots[i] as Probe['slots'][number]).at - prev.at - minTime;
        if (prev.behind === 0) {
          starvedMs += excess;
          if (excess > minTime) starvedGaps++;
        } else lateMs += excess;
      }
      const lostMs = last - first - ((times.length - 1) * 1000) / rate;
      const paceMs = (times.length - 1) * (minTime - 1000 / rate);
      const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
      const attempts = notifier.probe.ses;
      const refused = attempts.filter((a) => a.status === 429).length;
      const refusedSlotsMs = refused * minTime;
      // Whose 429 was it: had the notifier itself already started R accepted calls in the second before the refused one
      // (its pacing), or fewer (the calls bunched up on the way: after the build step, in the sockets, the sandbox's loop)?
      const acceptedStarts = attempts.filter((a) => a.status === 200).map((a) => a.at);
      const ownFault = attempts.filter((a) => a.status === 429 && acceptedStarts.filter((at) => at > a.at - 1000 && at <= a.at).length >= rate).length;
      const dynamo = [...notifier.probe.dynamo].map(([command, ms]) => `${command.replace(/Command$/, '')} ${fmt(percentile(ms, 50), 1)}/${fmt(percentile(ms, 99), 0)}`).join(', ');
      const receives = notifier.probe.receives;
      const result = {
        name: `R = ${rate}/s, ${readConfig(notifierEnv(prefix, extra)).SENDER_CONSUMERS} loops`, label, rate, n, seconds: (ended - notifier.started) / 1000, pacerRate: notifier.rate, minTime,
        consumers: readConfig(notifierEnv(prefix, extra)).SENDER_CONSUMERS, share: readConfig(notifierEnv(prefix, extra)).SEND_RATE_SHARE,
        sent: sends.length, distinct: new Set(sends.map((s) => s.key)).size, perSecond, ratio: perSecond / rate,
        span: (last - first) / 1000, startup: (first - notifier.started) / 1000,
        maxAccepted: maxInSecond(times), maxAttempted: maxInSecond(attempts.map((a) => a.at)), attempts: attempts.length,
        throttled: c.refusals.rate_limit ?? 0, refusedSeen: refused, ownFault, refusals: c.refusals,
        starvedMs, starvedGaps, lateMs, lostMs, paceMs, refusedSlotsMs, maxSlots: maxInSecond(slots.map((x) => x.at)), gapMean: mean(gaps), gapP99: percentile(gaps, 99), gapMax: Math.max(0, ...gaps),
        sesMs: [percentile(attempts.map((a) => a.ms), 50), percentile(attempts.map((a) => a.ms), 99)],
        dynamo, receiveMs: [percentile(receives.map((r) => r.ms), 50), percentile(receives.map((r) => r.ms), 99)],
        perReceive: mean(receives.map((r) => r.messages)), stats: notifier.stats(), warnings: warningsOf([notifier]), load: load(),
        lag: [lag.percentile(50), lag.percentile(99), lag.max].map((ns) => ns / 1e6),
      };
      log(`${label}: ${fmt(result.sent)} accepted in ${fmt(result.span, 1)} s: ${fmt(perSecond, 2)}/s = ${result.ratio.toFixed(3)} of ${rate}; ` +
        `most in 1 s ${result.maxAccepted} accepted / ${result.maxAttempted} attempted / ${result.maxSlots} pacer slots; 429s ${result.throttled} (${ownFault} with R already started); ` +
        `beyond R's spacing ${fmt(lostMs)} ms: pacer starved ${fmt(starvedMs)} ms, slots late ${fmt(lateMs)} ms, 429'd slots ${fmt(refusedSlotsMs)} ms, pace ${fmt(paceMs)} ms; ` +
        `event-loop delay p50/p99/max ${result.lag.map((x) => fmt(x, 1)).join('/')} ms; load ${result.load}; stats ${JSON.stringify(result.stats)}` +
        (result.warnings ? `; warnings: ${result.warnings}` : ''));
      return result;
    };

    // -----------------------------------------------------------------------------------------------------------
    // 2. Every request three times, two notifier apps.
    const dupRun = async () => {
      const label = 'dupes';
      const prefix = `bench-${label}`;
      const queueUrl = await queueFor(prefix);
      await freshAccount(DUP_RATE);
      const requests = Array.from({ length: KEYS }, (_, i) => welcome(label, i));
      const keys = new Set(requests.map((r) => r.dedupeKey));
      const bodies = requests.flatMap((r) => Array.from({ length: COPIES }, () => JSON.stringify(r)));
      const rand = prng(8);
      for (let i = bodies.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [bodies[i], bodies[j]] = [bodies[j] as string, bodies[i] as string];
      }
      await enqueue(queueUrl, bodies);
      const share = SHARE ?? String(1 / DUP_APPS); // two processes share the account's rate, as configured in production
      log(`${label}: ${fmt(KEYS)} requests × ${COPIES} = ${fmt(bodies.length)} messages queued (shuffled); SES at ${DUP_RATE}/s; ${DUP_APPS} notifier apps at SEND_RATE_SHARE ${share}…`);
      const started = Date.now();
      const apps: Notifier[] = [];
      for (let i = 0; i < DUP_APPS; i++) apps.push(await startNotifier(notifierEnv(prefix, { SEND_RATE_SHARE: share })));
      const sum = (f: (s: ReturnType<Notifier['stats']>) => number) => apps.reduce((s, a) => s + f(a.stats()), 0);
      let firstDone = 0; // when every key had its first outcome
      let lastLog = Date.now();
      await waitFor(`${label}: the queue drained`, async () => {
        if (!firstDone && sum((s) => s.sent) >= KEYS) firstDone = Date.now();
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          log(`${label}: ${fmt(sum((s) => s.sent))} sent, ${fmt(sum((s) => s.duplicate))} duplicates, ${fmt(sum((s) => s.busy))} busy; ${fmt((Date.now() - started) / 1000, 1)} s`);
        }
        return (await inQueue(queueUrl)) === 0;
      }, 150_000, 250);
      const drained = Date.now();
      const ledger = (apps[0] as Notifier).app.notifier.ledger;
      const entries = [];
      const list = [...keys];
      for (let i = 0; i < list.length; i += 25) entries.push(...(await Promise.all(list.slice(i, i + 25).map((k) => ledger.get(k)))));
      await Promise.all(apps.map((a) => a.app.close()));
      const sends = await accepted(keys);
      const c = await counters();
      const perKey = new Map<string, number>();
      for (const s of sends) perKey.set(s.key, (perKey.get(s.key) ?? 0) + 1);
      // Receipts per SQS message across both apps: a message received again came back after its visibility timeout.
      const receipts = new Map<string, number[]>();
      for (const r of apps.flatMap((a) => a.probe.received)) receipts.set(r.id, [...(receipts.get(r.id) ?? []), r.at]);
      const again = [...receipts.values()].filter((t) => t.length > 1).map((t) => t.sort((a, b) => a - b));
      const states = new Map<string, number>();
      for (const e of entries) states.set(e?.state ?? 'missing', (states.get(e?.state ?? 'missing') ?? 0) + 1);
      const result = {
        keys: KEYS, messages: bodies.length, rate: DUP_RATE, share, consumers: readConfig(notifierEnv(prefix, {})).SENDER_CONSUMERS,
        sent: sends.length, twice: [...perKey.values()].filter((v) => v > 1).length, never: list.filter((k) => !perKey.has(k)).length,
        final: entries.filter((e) => e && ['sent', 'unknown', 'failed', 'suppressed', 'capped', 'dropped'].includes(e.state)).length,
        states: [...states].map(([s, n]) => `${s} ${n}`).join(', '),
        ledgerDuplicates: entries.reduce((s, e) => s + (e?.duplicates ?? 0), 0),
        byApp: apps.map((a) => a.stats()), throttled: c.refusals.rate_limit ?? 0,
        receipts: [...receipts.values()].reduce((s, t) => s + t.length, 0), redelivered: again.length,
        redeliveryAfter: again.map((t) => ((t[1] as number) - (t[0] as number)) / 1000),
        firstPass: ((firstDone || drained) - started) / 1000, seconds: (drained - started) / 1000,
        warnings: warningsOf(apps), load: load(),
      };
      log(`${label}: ${result.receipts} receipts of ${bodies.length} messages; ${result.redelivered} received again, after ${result.redeliveryAfter.map((x) => x.toFixed(1)).join(', ')} s`);
      log(`${label}: ${fmt(result.sent)} accepted for ${fmt(KEYS)} keys; ${result.twice} sent twice, ${result.never} never; ledger duplicates ${result.ledgerDuplicates}; drained in ${fmt(result.seconds, 1)} s` +
        (result.warnings ? `; warnings: ${result.warnings}` : ''));
      return result;
    };

    const runs: RateResult[] = [await rateRun(`r${RATE}`, RATE, SECONDS)];
    // The same rate with more receive loops: does keeping the pacer's queue full close the gap?
    if (ALT_CONSUMERS > 0) runs.push(await rateRun(`r${RATE}-c${ALT_CONSUMERS}`, RATE, ALT_SECONDS, { SENDER_CONSUMERS: String(ALT_CONSUMERS) }));
    if (SLOW_RATE > 0) runs.push(await rateRun(`r${SLOW_RATE}`, SLOW_RATE, SLOW_SECONDS));
    const dup = await dupRun();

    // -----------------------------------------------------------------------------------------------------------
    const ok = (pass: boolean) => (pass ? '✓' : '✗');
    const rows: [string, string, string, string][] = [];
    for (const r of runs) {
      rows.push([`${r.name}: sustained sends/s (first → last accepted, ${fmt(r.sent - 1)} intervals) ÷ R`, `${r.ratio.toFixed(3)} (${fmt(r.perSecond, 2)}/s)`, '≥ 0.95', ok(r.ratio >= 0.95)]);
      rows.push([`${r.name}: most sends in any 1 s sliding window — accepted by SES · attempted by the notifier`, `${r.maxAccepted} · ${r.maxAttempted}`, `≤ ${r.rate}`, ok(r.maxAccepted <= r.rate && r.maxAttempted <= r.rate)]);
      rows.push([`${r.name}: 429s from the SES sandbox (rate limit) — of which the notifier had itself started R accepted calls in the second before`, `${fmt(r.throttled)} — ${fmt(r.ownFault)}`, '0', ok(r.throttled === 0)]);
      rows.push([`${r.name}: requests accepted by SES, each once`, `${fmt(r.distinct)} of ${fmt(r.n)} (${fmt(r.sent)} messages)`, fmt(r.n), ok(r.distinct === r.n && r.sent === r.n)]);
    }
    rows.push([`duplicates: SES sends accepted (${fmt(dup.keys)} keys × ${COPIES} deliveries, ${DUP_APPS} apps)`, fmt(dup.sent), fmt(dup.keys), ok(dup.sent === dup.keys)]);
    rows.push(['duplicates: keys sent more than once', fmt(dup.twice), '0', ok(dup.twice === 0)]);
    rows.push(['duplicates: keys never sent', fmt(dup.never), '0', ok(dup.never === 0)]);
    rows.push(['duplicates: keys in a final ledger state', `${fmt(dup.final)} (${dup.states})`, fmt(dup.keys), ok(dup.final === dup.keys)]);
    rows.push(['duplicates: redeliveries the ledger recorded as duplicates', fmt(dup.ledgerDuplicates), fmt(dup.keys * (COPIES - 1)), ok(dup.ledgerDuplicates === dup.keys * (COPIES - 1))]);
    console.log('| figure | value | target | ✓/✗ |');
    console.log('|---|---:|---|:-:|');
    for (const [m, v, t, s] of rows) console.log(`| ${m} | ${v} | ${t} | ${s} |`);

    const sec = (ms: number) => fmt(ms / 1000, 2);
    console.log('');
    console.log(`| where the accepted span went | ${runs.map((r) => r.name).join(' | ')} |`);
    console.log(`|---|${runs.map(() => '---:').join('|')}|`);
    const line = (what: string, f: (r: RateResult) => string) => console.log(`| ${what} | ${runs.map(f).join(' | ')} |`);
    line('notifier pace (GetAccount MaxSendRate × SEND_RATE_SHARE) · receive loops', (r) => `${fmt(r.pacerRate, 2)}/s · ${r.consumers}`);
    line('requests · wall time from `app.ready()` to the last outcome · first send after ready', (r) => `${fmt(r.n)} · ${fmt(r.seconds, 1)} s · ${fmt(r.startup, 2)} s`);
    line('accepted span, first → last send (s)', (r) => fmt(r.span, 2));
    line('… at R\'s spacing, (N−1)/R', (r) => fmt((r.n - 1) / r.rate, 2));
    line('… beyond it', (r) => sec(r.lostMs));
    line('　pace below R (SEND_RATE_SHARE)', (r) => sec(r.paceMs));
    line('　pacer had nothing queued (receive → reserve → suppression check not ready in time; gaps > 2 slots)', (r) => `${sec(r.starvedMs)} (${r.starvedGaps})`);
    line('　slots started late with work queued (event-loop delay: timers, Bottleneck\'s setTimeout hops)', (r) => sec(r.lateMs));
    line('　slots spent on calls SES refused (429, retried after a backoff)', (r) => sec(r.refusedSlotsMs));
    line('most pacer slots in any 1 s window (its own starts, before markSending)', (r) => fmt(r.maxSlots));
    line('gap between accepted sends: mean · p99 · max (ms)', (r) => `${fmt(r.gapMean, 1)} · ${fmt(r.gapP99)} · ${fmt(r.gapMax)}`);
    line('SendEmail call p50/p99 (ms)', (r) => `${fmt(r.sesMs[0] ?? 0, 1)}/${fmt(r.sesMs[1] ?? 0)}`);
    line('DynamoDB p50/p99 (ms): reserve (PutItem), suppression check (GetItem), markSending + finish (UpdateItem)', (r) => r.dynamo);
    line('ReceiveMessage p50/p99 (ms) · messages per receive', (r) => `${fmt(r.receiveMs[0] ?? 0)}/${fmt(r.receiveMs[1] ?? 0)} · ${fmt(r.perReceive, 1)}`);
    line('notifier event-loop delay p50/p99/max (ms)', (r) => r.lag.map((x) => fmt(x, 1)).join('/'));
    line('load average (1/5/15 min) after the run', (r) => r.load);
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    console.log(
      `\nSetup: the notifier's \`buildApp\` (its config from \`readConfig\`; its own SDK clients, aimed at the emulators by the SDK's endpoint variables), ` +
        `QUIET_HOURS=off, FREQUENCY_CAP=off, no lake, SEND_RATE unset: the pace is GetAccount's MaxSendRate × SEND_RATE_SHARE (${runs[0]?.share}); SENDER_CONSUMERS as in each run's name ` +
        `(the notifier's default is ${readConfig(notifierEnv('x', {})).SENDER_CONSUMERS}). Requests: \`welcome\` (transactional) email-requests with no conditions, all queued up front with SendMessageBatch on a queue of their own. ` +
        `fauxqs and dynalite in one child process, the SES sandbox (a strict sliding 1 s window: a send is refused when the last second already holds R) in another, the notifier in this one. ` +
        `Rates are from the sandbox's \`acceptedAt\`; "attempted" counts every SendEmail call the notifier made (timed at the SDK's build step), refused ones included. ` +
        `Where the span went: the time beyond R's spacing, from the pacer's own slot starts — whether another call was already waiting in the pacer ` +
        `(no: the receive loops had nothing ready; yes: the slot started late, i.e. event-loop delay), slots used by refused calls, and a pace below R; signed sums, so they add up to the total but for the edges. ` +
        `Duplicates: ${fmt(dup.keys)} welcome requests, each sent ${COPIES} times (${fmt(dup.messages)} messages, shuffled), ${DUP_APPS} apps (two \`buildApp\` instances, each its own ledger owner, ${dup.consumers} receive loops, SEND_RATE_SHARE ${dup.share}) on one queue, ` +
        `SES at ${dup.rate}/s (${dup.throttled} 429s); every key had its send after ${fmt(dup.firstPass, 1)} s, the queue was empty after ${fmt(dup.seconds, 1)} s ` +
        `(${fmt(dup.receipts)} receipts of the ${fmt(dup.messages)} messages: ${fmt(dup.redelivered)} copies found the other copy's reservation live (\`busy\`), were held and received again ` +
        `after ${fmt(percentile(dup.redeliveryAfter, 50), 1)} s (median), then found the key decided). ` +
        `Outcomes per app: ${dup.byApp.map((s) => `sent ${s.sent}, duplicate ${s.duplicate}, busy ${s.busy}, retry ${s.retry}`).join(' · ')}. ` +
        `Box: ${cpus().length} cores (${cpu}), shared with other work: load average ${boxLoadAtStart} at the start, ${dup.load} at the end; whole benchmark ${fmt((Date.now() - benchStart) / 1000)} s.`,
    );
    const warned = [...runs.map((r) => r.warnings && `${r.name}: ${r.warnings}`), dup.warnings && `duplicates: ${dup.warnings}`].filter(Boolean);
    if (warned.length) console.log(`\nNotifier warnings: ${warned.join(' — ')}`);
    if (sandboxListenerWarnings) log(`the SES sandbox warned ${sandboxListenerWarnings} times: MaxListenersExceededWarning (abort listeners on its shared signal)`);
    sqs.destroy();
    ses.destroy();
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
}
