import fp from 'fastify-plugin';

export type ReadinessCheck = () => Promise<unknown>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Named dependency checks that `GET /ready` runs; client plugins add theirs. */
    readiness: Map<string, ReadinessCheck>;
  }
}

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** `GET /health`: the process is alive. `GET /ready`: every dependency answers (503 with the failures otherwise). */
export const healthRoutes = fp(
  async (app) => {
    app.decorate('readiness', new Map<string, ReadinessCheck>());
    app.get(
      '/health',
      { schema: { tags: ['health'], summary: 'Liveness: the process answers' } },
      async () => ({ status: 'ok' }),
    );
    app.get(
      '/ready',
      { schema: { tags: ['health'], summary: 'Readiness: every dependency answers' } },
      async (_req, reply) => {
        const entries = [...app.readiness.entries()];
        const results = await Promise.all(
          entries.map(async ([name, check]) => {
            try {
              await withTimeout(check(), CHECK_TIMEOUT_MS);
              return [name, 'ok'] as const;
            } catch (err) {
              return [name, `failing: ${(err as Error).message || String(err)}`] as const;
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
