import { Cron } from 'croner';
import Type, { type Static, type TObject } from 'typebox';
import { baseConfig, ConfigError, loadConfig, servicePort } from '@peak/service-kit';
import { campaignSettingsSchema, settingsProblems } from './campaigns/settings.js';
import { parseQuietHours } from './sender/quiet-hours.js';

const address = '[^\\s@<>]+@[^\\s@<>]+\\.[^\\s@<>]+';
const apiKey = '[A-Za-z0-9_-]{16,}';
const signingKey = '[\\x21-\\x2b\\x2d-\\x7e]{32,}'; // printable, no comma (the separator)

export const configSchema = {
  ...baseConfig,
  PORT: servicePort(4002),
  ...campaignSettingsSchema, // the zone, AWS, the lake and the campaigns' knobs: shared with the planner CLI
  SES_FROM_ADDRESS: Type.String({
    pattern: `^(${address}|[^<>]+ <${address}>)$`,
    default: 'Peak Fitness <hello@peakfitness.example>',
    description: 'Sender of every email, `address` or `Name <address>`; in AWS an SES-verified identity',
  }),
  SES_CONFIGURATION_SET: Type.String({
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    default: 'peak-notifier',
    description: 'SES configuration set every email is sent through (its event destination feeds the ses-events queue); `none`: no configuration set, so no SES events (bounces and complaints then reach only the SES account list)',
  }),
  SES_TIMEOUT_MS: Type.Integer({
    minimum: 1_000,
    maximum: 30_000,
    default: 10_000,
    description: 'A SendEmail call with no answer after this long is given up and recorded `unknown` (never sent again: it may have gone out)',
  }),
  SEND_RATE: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000, description: "Emails per second this process sends at most (default: the SES account's MaxSendRate × SEND_RATE_SHARE)" })),
  SEND_RATE_SHARE: Type.Number({
    exclusiveMinimum: 0,
    maximum: 1,
    default: 1,
    description: "This process's share of the account's send rate: 1 / the number of notifier processes sending at once",
  }),
  SENDER_CONSUMERS: Type.Integer({ minimum: 1, maximum: 16, default: 4, description: 'Concurrent email-requests receive loops in this process, each taking up to 10 messages; about rate × 0.4 s ÷ 10 keeps the pacer fed (4 for 50/s: the benchmark found 2 leaving it idle between batches)' }),
  PUBLIC_BASE_URL: Type.Optional(
    Type.String({
      format: 'uri',
      pattern: '^https?://',
      description: 'Public URL of this service, used in unsubscribe links (default http://127.0.0.1:<PORT>; must be https:// where mail reaches real people)',
    }),
  ),
  UNSUBSCRIBE_SIGNING_KEYS: Type.String({
    pattern: `^${signingKey}(,${signingKey})*$`,
    description: 'HMAC keys of unsubscribe links, comma-separated, each ≥ 32 printable characters: the first signs, all verify (rotate by putting the new key first). In AWS from Secrets Manager',
  }),
  POSTAL_ADDRESS: Type.String({
    minLength: 5,
    maxLength: 200,
    default: 'Peak Fitness, 100 Summit Avenue, Springfield',
    description: "The sender's postal address, printed in every email's footer (anti-spam laws require one)",
  }),
  MEMBER_APP_URL: Type.String({
    format: 'uri',
    pattern: '^https?://',
    default: 'https://peakfitness.example/book',
    description: "Where an email's button leads when the campaign gives no link of its own (the member app's booking page)",
  }),
  FREQUENCY_CAP: Type.String({
    pattern: '^(off|[1-9][0-9]?/[1-9][0-9]?d)$',
    default: '2/7d',
    description: 'At most N marketing emails per member per D local days, `N/Dd` (transactional mail is exempt), or `off`',
  }),
  QUIET_HOURS: Type.String({
    default: '21:00-08:00',
    description: 'Local hours (STUDIO_TIME_ZONE) when marketing mail is held, `HH:MM-HH:MM`, or `off`; held mail goes out when the window ends',
  }),
  RECHECK_MAX_AGE_SECONDS: Type.Integer({
    minimum: 0,
    maximum: 3_600,
    default: 300,
    description: "How old the lake snapshot of members' latest check-ins and status may be at a send-time re-check",
  }),
  NOTIFIER_API_KEYS: Type.Optional(
    Type.String({ pattern: `^${apiKey}(,${apiKey})*$`, description: 'Bearer keys of the /v1 API (send log, runs, suppressions), comma-separated, each ≥ 16 characters of A-Z a-z 0-9 _ -; unset, that API is refused' }),
  ),
  CAMPAIGN_SCHEDULE: Type.String({
    minLength: 1,
    default: 'off',
    description: 'When the service plans the day\'s campaigns: a cron expression in STUDIO_TIME_ZONE (e.g. `0 6 * * *`), or `off` (in AWS, EventBridge Scheduler starts the planner CLI)',
  }),
};

export type Config = Static<TObject<typeof configSchema>> & { PUBLIC_BASE_URL: string };

/** Problems between variables the schema alone cannot see. */
function crossCheck(config: Static<TObject<typeof configSchema>>): string[] {
  const problems = settingsProblems(config);
  if (problems.length > 0) return problems; // a bad zone makes the checks below meaningless
  try {
    parseQuietHours(config.QUIET_HOURS);
  } catch (err) {
    problems.push(`QUIET_HOURS: ${(err as Error).message}`);
  }
  if (config.CAMPAIGN_SCHEDULE !== 'off') {
    try {
      new Cron(config.CAMPAIGN_SCHEDULE, { timezone: config.STUDIO_TIME_ZONE, paused: true }).stop();
    } catch (err) {
      problems.push(`CAMPAIGN_SCHEDULE: ${(err as Error).message} (a cron expression such as "0 6 * * *", or off)`);
    }
  }
  return problems;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = loadConfig(configSchema, env);
  const problems = crossCheck(config);
  if (problems.length > 0) throw new ConfigError(problems);
  // The default depends on PORT, which a static schema default cannot express.
  return { ...config, PUBLIC_BASE_URL: (config.PUBLIC_BASE_URL ?? `http://127.0.0.1:${config.PORT}`).replace(/\/+$/, '') };
}


export const signingKeys = (config: Pick<Config, 'UNSUBSCRIBE_SIGNING_KEYS'>): string[] => config.UNSUBSCRIBE_SIGNING_KEYS.split(',');
export const apiKeys = (config: Pick<Config, 'NOTIFIER_API_KEYS'>): string[] => config.NOTIFIER_API_KEYS?.split(',') ?? [];

/** `2/7d` → { max: 2, days: 7 }; `off` → undefined. */
export function parseFrequencyCap(text: string): { max: number; days: number } | undefined {
  if (text === 'off') return undefined;
  const [max, days] = text.replace(/d$/, '').split('/').map(Number);
  return { max: max as number, days: days as number };
}
