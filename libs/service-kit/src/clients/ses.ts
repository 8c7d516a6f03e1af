import { ListEmailTemplatesCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    ses: SESv2Client;
  }
}

export type SesPluginOptions = { region: string; client?: SESv2Client };

export const sesPlugin = fp<SesPluginOptions>(
  async (app, opts) => {
    const owned = !opts.client;
    const ses = opts.client ?? new SESv2Client({ region: opts.region });
    app.decorate('ses', ses);
    app.readiness.set('ses', (signal) => ses.send(new ListEmailTemplatesCommand({ PageSize: 1 }), { abortSignal: signal }));
    app.addHook('onClose', async () => {
      if (owned) ses.destroy();
    });
  },
  { name: 'peak-ses', dependencies: ['peak-health'] },
);
