import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { queues } from '@peak/contracts';
import { createServiceApp, type ShellOverrides, sesPlugin, sqsOptions, sqsPlugin } from '@peak/service-kit';
import type { Config } from './config.js';

/** What tests (or the launcher) may inject instead of what the config would build. */
export type AppOverrides = ShellOverrides & {
  sqs?: SQSClient;
  ses?: SESv2Client;
};

/** Notifier: sends retention and lifecycle emails through SES v2 and keeps the suppression list from SES events. */
export async function buildApp(config: Config, { sqs, ses, ...shell }: AppOverrides = {}) {
  const app = await createServiceApp({
    name: 'notifier',
    description: 'Sends retention and lifecycle emails through SES v2 (at most once per dedupe key), honours unsubscribes, and suppresses bounced or complaining addresses.',
    ...shell,
  });
  await app.register(sesPlugin, { region: config.AWS_REGION, client: ses });
  await app.register(sqsPlugin, sqsOptions(config, [queues.emailRequests, queues.sesEvents], sqs));
  return app;
}
