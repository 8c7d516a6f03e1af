import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { PeakError } from '@peak/contracts';
import { healthRoutes } from './readiness.js';

export type ServiceInfo = {
  /** Service name: used in logs, OpenAPI title and the launcher's URL table. */
  name: string;
  description: string;
  version?: string;
};

export type ServiceAppOptions = ServiceInfo & {
  logger?: FastifyServerOptions['logger'];
  /** Largest request body accepted (bytes); streaming routes set their own. */
  bodyLimit?: number;
  /** Longest path parameter (Fastify's default is 100; longer ones get 414). */
  maxParamLength?: number;
  /** How long each /ready dependency check may take (tests shorten it). */
  readinessTimeoutMs?: number;
  /** /ready also answers each failure's reason (READY_DETAILS; the local launcher turns it on). Default off. */
  readinessDetails?: boolean;
};

/** What a test or the launcher may set on the shell of any service (each service adds its clients). */
export type ShellOverrides = Pick<ServiceAppOptions, 'logger' | 'readinessTimeoutMs' | 'readinessDetails'>;

function baseFastify(options: ServiceAppOptions) {
  return Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    routerOptions: { maxParamLength: options.maxParamLength ?? 100 },
    // Request ids in every log line make a request traceable across one service's logs. A caller's
    // x-request-id is kept only when it is a plain token: it goes into logs and error messages.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
}

export type ServiceApp = ReturnType<typeof baseFastify>;

/**
 * The common shell of every service: TypeBox type provider, OpenAPI at /docs, /health and /ready,
 * JSON errors `{ code, message }` (5xx details stay in the log, not the response).
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<ServiceApp> {
  const app = baseFastify(options);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `Peak Fitness ${options.name}`, description: options.description, version: options.version ?? '0.1.0' },
      tags: [{ name: 'health', description: 'Liveness and readiness' }],
      // Routes that need an API key say `security: [{ bearerAuth: [] }]`.
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key of the service, as `Authorization: Bearer <key>`' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((err: FastifyError | PeakError, request, reply) => {
    // Only 4xx/5xx are errors; anything else thrown is our bug, answered as 500.
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode <= 599 ? err.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      // A deliberate 5xx (e.g. a dependency down) keeps its stable code; its details stay in the log.
      const code = err instanceof PeakError ? err.code : 'INTERNAL';
      return reply.code(status).send({ code, message: 'Something went wrong on our side; the error is logged with request id ' + request.id });
    }
    const code = err instanceof PeakError ? err.code : 'validation' in err && err.validation ? 'BAD_REQUEST' : (err.code ?? 'BAD_REQUEST');
    return reply.code(status).send({ code, message: err.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'NOT_FOUND', message: `No route ${request.method} ${request.url}; the API is documented at /docs` }),
  );

  await app.register(healthRoutes, { checkTimeoutMs: options.readinessTimeoutMs, details: options.readinessDetails });
  return app;
}
