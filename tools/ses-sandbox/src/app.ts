import { setMaxListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { SNSClient } from '@aws-sdk/client-sns';
import { createServiceApp, type ServiceApp, type ShellOverrides } from '@peak/service-kit';
import { adminRoutes } from './admin.js';
import { Counters } from './counters.js';
import { sesApi } from './api.js';
import { InnerEmulator } from './emulator.js';
import { EventPublisher } from './publisher.js';
import { DEFAULT_ACCOUNT, Sandbox, type AccountSettings } from './sandbox.js';

/** Credentials the local emulators accept (the same as `@peak/local-stack`'s); AWS never sees them. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export type SesSandboxOptions = ShellOverrides &
  Partial<AccountSettings> & {
    /**
     * Where SNS destinations' events are published (locally fauxqs, which fans them out to subscribed SQS queues).
     * Without it (and without `sns`), publishing fails: counted and logged, never a send failure.
     */
    snsEndpoint?: string;
    /** An SNS client to publish with instead (not destroyed by the sandbox). */
    sns?: SNSClient;
    /** Region in ARNs and the SNS client (default us-east-1). */
    region?: string;
    /** Account id in ARNs and `mail.sendingAccountId` (default fauxqs's, 000000000000). */
    accountId?: string;
    /** How many accepted messages `/_sandbox/messages` keeps (default 10,000; the oldest are dropped). */
    maxStoredMessages?: number;
    /** The sandbox clock in ms since the epoch (default Date.now): quotas, fault durations, timestamps. Tests move it. */
    now?: () => number;
  };

export type SesSandboxApp = {
  app: ServiceApp;
  sandbox: Sandbox;
  /** The inner aws-ses-v2-local, for tests that want to read it directly (everything is also proxied). */
  emulatorEndpoint: string;
  /** Resolves once every event queued so far is published or has failed. */
  settled(): Promise<void>;
};

/**
 * The SES sandbox as a Fastify app (not listening): SES v2 at /v2/email, controls at /_sandbox, the service shell
 * (/health, /ready, /docs), and everything else proxied to an inner aws-ses-v2-local, started here and stopped
 * when the app closes. Closing also cuts withheld answers, forwards and publishes short.
 */
export async function buildApp(options: SesSandboxOptions = {}): Promise<SesSandboxApp> {
  const { logger, readinessTimeoutMs, readinessDetails, snsEndpoint, sns, region = 'us-east-1', accountId = '000000000000', now = Date.now, maxStoredMessages = 10_000, ...account } = options;
  const app = await createServiceApp({
    name: 'ses-sandbox',
    description:
      'A local stand-in for Amazon SES v2 where the notifier depends on it: SendEmail with SES validation, quotas (429), suppression list, configuration sets publishing SES events to SNS, mailbox-simulator outcomes, fault injection at /_sandbox; every other route proxied to aws-ses-v2-local (mail viewer at /).',
    // SES v2 takes messages up to 40 MB; the inner emulator's JSON limit is 25 MB, which a 40 MB message exceeds in base64 anyway.
    bodyLimit: 30 * 1024 * 1024,
    ...(logger !== undefined ? { logger } : {}),
    ...(readinessTimeoutMs !== undefined ? { readinessTimeoutMs } : {}),
    ...(readinessDetails !== undefined ? { readinessDetails } : {}),
  });
  const emulator = await InnerEmulator.start();
  const ownSns = !sns && snsEndpoint ? new SNSClient({ region, endpoint: snsEndpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 2 }) : undefined;
  const closing = new AbortController();
  // Every forward to the inner emulator listens on it for the time of its fetch: many at once is normal, not a leak.
  setMaxListeners(0, closing.signal);
  const held = new Set<ServerResponse>();
  try {
    const counters = new Counters();
    const publisher = new EventPublisher(sns ?? ownSns, counters, app.log);
    const given = Object.fromEntries(Object.entries(account).filter(([, v]) => v !== undefined)) as Partial<AccountSettings>;
    const sandbox = new Sandbox({ account: { ...DEFAULT_ACCOUNT, ...given }, context: { region, accountId }, now, emulator, publisher, counters, maxStoredMessages, log: app.log });

    app.readiness.set('inner-emulator', (signal) => fetch(`${emulator.endpoint}/health-check`, { signal }).then((r) => (r.ok ? r : Promise.reject(new Error(`status ${r.status}`)))));
    app.addHook('preClose', async () => {
      closing.abort(new Error('the SES sandbox is closing'));
      publisher.close();
      for (const res of held) res.destroy();
      held.clear();
    });
    app.addHook('onClose', async () => {
      ownSns?.destroy();
      await emulator.stop();
    });

    await app.register(sesApi, { prefix: '/v2/email', sandbox, closing: closing.signal, held });
    await app.register(adminRoutes, { prefix: '/_sandbox', sandbox, publisher });
    // Everything else (the viewer at /, /store, templates, bulk sends, v1) goes to the inner emulator, body untouched.
    await app.register(async (proxy) => {
      proxy.removeAllContentTypeParsers();
      proxy.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      proxy.all('/*', { schema: { hide: true } }, (req, reply) => emulator.proxy(req, reply, closing.signal));
    });
    return { app, sandbox, emulatorEndpoint: emulator.endpoint, settled: () => publisher.settled() };
  } catch (err) {
    await app.close();
    ownSns?.destroy();
    await emulator.stop();
    throw err;
  }
}
