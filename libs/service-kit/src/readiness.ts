import fp from 'fastify-plugin';
import Type from 'typebox';

export type ReadinessCheck = () => Promise<unknown>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Named dependency checks that `GET /ready` runs; client plugins add theirs. */
    readiness: Map<string, ReadinessCheck>;
  }
}

export type HealthRoutesOptions = {
  /** How long one dependency may take to answer before /ready counts it as failing. */
  checkTimeoutMs?: number;
};

export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
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
    checks: Type.Record(Type.String(), Type.String(), { description: 'Each dependency: `ok` or `failing: <reason>`' }),
  },
  { description: 'Every dependency check and its outcome' },
);

/** `GET /health`: the process is alive. `GET /ready`: every dependency answers (503 with the failures otherwise). */
export const healthRoutes = fp<HealthRoutesOptions>(
  async (app, opts) => {
    const timeoutMs = opts.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
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
      async (_req, reply) => {
        const entries = [...app.readiness.entries()];
        const results = await Promise.all(
          entries.map(async ([name, check]) => {
            try {
              await withTimeout(check(), timeoutMs);
              return [name, 'ok'] as const;
            } catch (err) {
              return [name, `failing: ${failureReason(err)}`] as const;
            }
          }),
        );
        const ready = results.every(([, s]) => s === 'ok');
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
      },
    );
  },
  { name: 'peak-health' },
);
