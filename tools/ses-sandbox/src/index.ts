import type { AddressInfo } from 'node:net';
import { buildApp, type SesSandboxApp, type SesSandboxOptions } from './app.js';

export { buildApp, type SesSandboxApp, type SesSandboxOptions } from './app.js';
export { configSchema, readConfig, sandboxOptions, type Config } from './config.js';
export { Sandbox, DEFAULT_ACCOUNT, type AccountSettings } from './sandbox.js';
export { SesError, SES_ERROR_STATUS, MAX_SEND_RATE_EXCEEDED, DAILY_QUOTA_EXCEEDED, type SesErrorType } from './errors.js';
export { SES_ID_PATTERN } from './ids.js';
export { SIMULATOR_DOMAIN, SCRIPTABLE_OUTCOMES, type Outcome, type ScriptedOutcome } from './outcomes.js';
export type { StoredMessage, RecipientResult, EventRecord } from './messages.js';
export type { SesEventJson, MailObject } from './events.js';
export type { FaultSpec, Fault } from './faults.js';
export type { CountersSnapshot } from './counters.js';

export type StartOptions = SesSandboxOptions & {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
};

export type SesSandboxHandle = SesSandboxApp & {
  /** `http://127.0.0.1:PORT`: the SESv2Client `endpoint`, the viewer at `/`, the controls at `/_sandbox`. */
  endpoint: string;
  port: number;
  /** Closes the server (withheld answers included), the inner emulator and the SNS client; safe to call twice. */
  stop(): Promise<void>;
};

/** Starts the SES sandbox on loopback and answers once it listens. */
export async function startSesSandbox(options: StartOptions = {}): Promise<SesSandboxHandle> {
  const { host = '127.0.0.1', port = 0, ...rest } = options;
  const built = await buildApp(rest);
  try {
    await built.app.listen({ host, port });
  } catch (err) {
    await built.app.close();
    throw err;
  }
  const bound = (built.app.server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    ...built,
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    stop: () => (stopped ??= built.app.close().then(() => undefined)),
  };
}
export { NOTIFIER_EVENT_TYPES, wireSesEvents, type SesEventsWiring } from './wiring.js';
