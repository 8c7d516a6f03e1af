import fp from 'fastify-plugin';
import Type from 'typebox';

/**
 * One dependency check. `signal` aborts when the check's time is up: pass it to the client call
 * (`client.send(cmd, { abortSignal: signal })`, `fetch(url, { signal })`) so a timed-out call is cancelled,
 * not left running behind the answer.
 */
export type ReadinessCheck = (signal: AbortSignal) => Promise<unknown>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Named dependency checks that `GET /ready` runs; client plugins add theirs. */
    readiness: Map<string, ReadinessCheck>;
  }
}

export type HealthRoutesOptions = {
  /** How long one dependency may take to answer before /ready counts it as failing. */
  checkTimeoutMs?: number;
  /** Also answer each failure's reason under `details` (local development; never where /ready is public). */
  details?: boolean;
};

export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

/** What /ready says of one dependency: stable words, never hosts or client error text (those go to the log). */
export const checkOutcomes = ['ok', 'unreachable', 'timeout', 'error'] as const;
export type CheckOutcome = (typeof checkOutcomes)[number];

class CheckTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'CheckTimeoutError';
  }
}

/**
 * Runs one check with a signal that aborts after `ms`. The race stays: a check that ignores its signal
 * still cannot hold /ready past the deadline.
 */
async function runCheck(check: ReadinessCheck, ms: number): Promise<void> {
  // Not AbortSignal.timeout: its timer is unref'd, and this one must hold the answer (and the process) until it fires.
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError'));
      reject(new CheckTimeoutError(ms));
    }, ms);
  });
  try {
    await Promise.race([check(abort.signal), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

// Errors meaning the dependency could not be reached at all (refused, unknown host, connection dropped).
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT']);
// ioredis, with its offline queue off, says so in words rather than codes.
const UNREACHABLE_MESSAGES = /Connection is closed|Stream isn't writeable|connect ECONNREFUSED/;

/** The stable word /ready answers for a failed check (the error itself is logged). */
export function checkOutcome(err: unknown): Exclude<CheckOutcome, 'ok'> {
  const seen = new Set<unknown>();
  const walk = (e: unknown): 'unreachable' | 'timeout' | undefined => {
    if (!(e instanceof Error) || seen.has(e)) return undefined;
    seen.add(e);
    if (e instanceof CheckTimeoutError || e.name === 'TimeoutError') return 'timeout';
    const code = (e as NodeJS.ErrnoException).code;
    if ((typeof code === 'string' && UNREACHABLE_CODES.has(code)) || UNREACHABLE_MESSAGES.test(e.message)) return 'unreachable';
    for (const inner of e instanceof AggregateError ? e.errors : []) {
      const found = walk(inner);
      if (found) return found;
    }
    return walk(e.cause);
  };
  return walk(err) ?? 'error';
}

/** One line saying why a dependency check failed, whatever shape the client's error has. */
export function failureReason(err: unknown): string {
  // Node reports a refused connection to a multi-address host as an AggregateError with no message.
  if (err instanceof AggregateError && err.errors.length > 0) return failureReason(err.errors[0]);
  if (!(err instanceof Error)) return String(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  // The AWS SDK has no message for body-less answers (HeadBucket 404 says "UnknownError"): its name says more.
  const message = err.message && err.message !== 'UnknownError' ? err.message : err.name;
  // fetch says only "fetch failed"; the reason (e.g. ECONNREFUSED) is in its cause.
  const cause = err.cause === undefined ? '' : failureReason(err.cause);
  const full = cause && !message.includes(cause) ? `${message}: ${cause}` : message;
  return status ? `${full} (HTTP ${status})` : full;
}

const readyResponse = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
    checks: Type.Record(Type.String(), Type.Union(checkOutcomes.map((o) => Type.Literal(o))), {
      description: 'Each dependency: `ok`, or why not in one stable word: `unreachable`, `timeout` or `error` (the reason is logged at warn)',
    }),
    details: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Each failing dependency\'s reason; only where READY_DETAILS is on (local development)' }),
    ),
  },
  { description: 'Every dependency check and its outcome' },
);

/** `GET /health`: the process is alive. `GET /ready`: every dependency answers (503 with the failures otherwise). */
export const healthRoutes = fp<HealthRoutesOptions>(
  async (app, opts) => {
    const timeoutMs = opts.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    const showDetails = opts.details ?? false;
    app.decorate('readiness', new Map<string, ReadinessCheck>());
    app.get(
      '/health',
      {
        schema: {
          tags: ['health'],
          summary: 'Liveness: the process answers',
          response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/ready',
      {
        schema: {
          tags: ['health'],
          summary: 'Readiness: every dependency answers',
          response: { 200: readyResponse, 503: readyResponse },
        },
      },
      async (req, reply) => {
        const entries = [...app.readiness.entries()];
        const details: Record<string, string> = {};
        const results = await Promise.all(
          entries.map(async ([name, check]): Promise<[string, CheckOutcome]> => {
            try {
              await runCheck(check, timeoutMs);
              return [name, 'ok'];
            } catch (err) {
              const outcome = checkOutcome(err);
              const reason = failureReason(err);
              // Hosts, bucket names and SDK text stay in the log: /ready (and the dashboard that shows it) may be public.
              req.log.warn({ check: name, outcome, reason }, `readiness check ${name} failed: ${reason}`);
              details[name] = reason;
              return [name, outcome];
            }
          }),
        );
        const ready = results.every(([, s]) => s === 'ok');
        return reply.code(ready ? 200 : 503).send({
          status: ready ? 'ready' : 'not ready',
          checks: Object.fromEntries(results),
          ...(showDetails && !ready ? { details } : {}),
        });
      },
    );
  },
  { name: 'peak-health' },
);
