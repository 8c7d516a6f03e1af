import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

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
