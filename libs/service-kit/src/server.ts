import closeWithGrace from 'close-with-grace';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { ShellOverrides } from './app.js';
import { ConfigError, type ListenConfig } from './config.js';

/**
 * Process side of a service: listen, then close gracefully (in-flight requests, consumers, clients)
 * on SIGINT/SIGTERM or a fatal error. Kept apart from the app so tests build the app without a port.
 */
export async function runServer(app: FastifyInstance, listen: { host: string; port: number }, graceMs = 10_000): Promise<void> {
  closeWithGrace({ delay: graceMs, logger: { error: (m: string) => app.log.error(m) } }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after a fatal error');
    else app.log.info({ signal }, 'closing');
    await app.close();
  });
  try {
    await app.listen(listen);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'EADDRINUSE' ? ` — port ${listen.port} is taken; stop what uses it or set PORT` : '';
    app.log.fatal({ err }, `cannot listen on ${listen.host}:${listen.port}${hint}`);
    process.exit(1);
  }
}

/** pino settings of a service process: JSON lines at LOG_LEVEL, each carrying the service name. */
export function serviceLogger(name: string, level: string): FastifyServerOptions['logger'] {
  return { level, name };
}

/**
 * The whole boot sequence of a service's `server.ts`: validate the environment (a clear message and
 * exit 1 when it is wrong, before anything connects), build the app with a pino logger (and READY_DETAILS), listen, and
 * close gracefully on SIGINT/SIGTERM.
 */
export async function runService<C extends ListenConfig>(
  name: string,
  readConfig: () => C,
  build: (config: C, shell: ShellOverrides) => Promise<FastifyInstance>,
): Promise<void> {
  let config: C;
  try {
    config = readConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${name}: ${err.message}`);
    process.exit(1);
  }
  let app: FastifyInstance;
  try {
    app = await build(config, { logger: serviceLogger(name, config.LOG_LEVEL), readinessDetails: config.READY_DETAILS });
  } catch (err) {
    console.error(`${name}: could not start: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  }
  await runServer(app, { host: config.HOST, port: config.PORT });
}
