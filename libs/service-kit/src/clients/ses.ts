import { ListEmailTemplatesCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    ses: SESv2Client;
  }
}

export type SesPluginOptions = {
  region: string;
  client?: SESv2Client;
  /** SDK attempts per call (default the SDK's 3). The notifier sets 1: a retried SendEmail can send twice. */
  maxAttempts?: number;
  /** Give up on an SES call after this long (default: no limit but the socket's). */
  requestTimeoutMs?: number;
};

export const sesPlugin = fp<SesPluginOptions>(
  async (app, opts) => {
    const owned = !opts.client;
    const ses =
      opts.client ??
      new SESv2Client({
        region: opts.region,
        ...(opts.maxAttempts === undefined ? {} : { maxAttempts: opts.maxAttempts }),
        ...(opts.requestTimeoutMs === undefined ? {} : { requestHandler: { requestTimeout: opts.requestTimeoutMs, connectionTimeout: Math.min(5_000, opts.requestTimeoutMs), throwOnRequestTimeout: true } }),
      });
    app.decorate('ses', ses);
    app.readiness.set('ses', (signal) => ses.send(new ListEmailTemplatesCommand({ PageSize: 1 }), { abortSignal: signal }));
    app.addHook('onClose', async () => {
      if (owned) ses.destroy();
    });
  },
  { name: 'peak-ses', dependencies: ['peak-health'] },
);
