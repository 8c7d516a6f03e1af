import Type, { type Static, type TObject } from 'typebox';
import { literalUnion } from '@peak/contracts';
import { baseConfig, loadConfig, servicePort } from '@peak/service-kit';
import type { SesSandboxOptions } from './app.js';
import { SCRIPTABLE_OUTCOMES } from './outcomes.js';
import { DEFAULT_ACCOUNT } from './sandbox.js';
import { isReason } from './suppression.js';

export const configSchema = {
  ...baseConfig,
  // 4021: where the launcher puts the SES emulator (port base 4000 + 21), so either can stand in for the other.
  PORT: servicePort(4021),
  AWS_REGION: Type.String({ default: 'us-east-1', description: 'Region in ARNs and of the SNS client' }),
  SES_SANDBOX_MAX_SEND_RATE: Type.Number({ exclusiveMinimum: 0, default: DEFAULT_ACCOUNT.maxSendRate, description: 'MaxSendRate: recipients per second before 429 "Maximum sending rate exceeded."' }),
  SES_SANDBOX_MAX_24_HOUR_SEND: Type.Integer({
    minimum: -1,
    default: DEFAULT_ACCOUNT.max24HourSend,
    description: 'Max24HourSend: recipients per rolling 24 h before 429 "Daily message quota exceeded." (-1 = unlimited)',
  }),
  SES_SANDBOX_SUPPRESSED_REASONS: Type.String({
    pattern: '^(none|(BOUNCE|COMPLAINT)(,(BOUNCE|COMPLAINT))*)$',
    default: 'BOUNCE,COMPLAINT',
    description: 'Reasons SES adds addresses to the account suppression list by itself: BOUNCE, COMPLAINT, both comma-separated, or none',
  }),
  SES_SANDBOX_DEFAULT_OUTCOME: literalUnion(SCRIPTABLE_OUTCOMES, { default: 'deliver', description: 'What happens to a recipient nothing else decides for' }),
  SES_SANDBOX_STORED_MESSAGES: Type.Integer({ minimum: 1, default: 10_000, description: 'How many accepted messages /_sandbox/messages keeps (the oldest are dropped)' }),
  SES_SANDBOX_SNS_ENDPOINT: Type.Optional(
    Type.String({ pattern: '^https?://', description: 'SNS endpoint events are published to (locally fauxqs: the SQS emulator); default AWS_ENDPOINT_URL_SNS' }),
  ),
  AWS_ENDPOINT_URL_SNS: Type.Optional(Type.String({ pattern: '^https?://', description: "The AWS SDK's own SNS endpoint variable, used when SES_SANDBOX_SNS_ENDPOINT is not set" })),
};

export type Config = Static<TObject<typeof configSchema>>;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig(configSchema, env);
}

/** The sandbox options a config stands for. */
export function sandboxOptions(config: Config): SesSandboxOptions {
  const snsEndpoint = config.SES_SANDBOX_SNS_ENDPOINT ?? config.AWS_ENDPOINT_URL_SNS;
  return {
    region: config.AWS_REGION,
    maxSendRate: config.SES_SANDBOX_MAX_SEND_RATE,
    max24HourSend: config.SES_SANDBOX_MAX_24_HOUR_SEND,
    suppressedReasons: config.SES_SANDBOX_SUPPRESSED_REASONS.split(',').filter(isReason),
    defaultOutcome: config.SES_SANDBOX_DEFAULT_OUTCOME,
    maxStoredMessages: config.SES_SANDBOX_STORED_MESSAGES,
    ...(snsEndpoint ? { snsEndpoint } : {}),
  };
}
