/**
 * What a planner run reads from the environment, shared by the CLI and (once wired) the notifier service, so both use
 * the same names and defaults. The service's config can spread `campaignSettingsSchema` into its own.
 */
import Type, { type Static, type TObject } from 'typebox';
import { HOLDOUT_SHARE } from '@peak/contracts';
import { analyticsConfig, analyticsProblems, awsConfig, ConfigError, loadConfig } from '@peak/service-kit';

export const campaignSettingsSchema = {
  STUDIO_TIME_ZONE: Type.String({
    pattern: '^[A-Za-z]+(?:[/_+-][A-Za-z0-9]+)*$',
    default: 'America/New_York',
    description: "The studios' IANA time zone: local days in DuckDB's views, and the zone of the campaigns' schedules",
  }),
  ...analyticsConfig,
  ...awsConfig,
  LAKE_URI: Type.Optional(
    Type.String({
      pattern: '^(file:///.+|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?)$',
      description: 'The data lake the audiences and the send-time re-checks read: `file:///absolute/folder` (local, DuckDB) or `s3://bucket[/prefix]` (AWS, Athena); unset, the service plans nothing and an email with send-time conditions is dropped as UNKNOWN_MEMBER',
    }),
  ),
  WIN_BACK_AFTER_DAYS: Type.Integer({
    minimum: 2,
    maximum: 120,
    default: 14,
    description: 'win_back: days without a check-in (since the last one, to the as-of day) after which an active member is written to',
  }),
  WIN_BACK_MAX_DAYS: Type.Integer({
    minimum: 2,
    maximum: 400,
    default: 42,
    description:
      'win_back: a lapse older than this (days since the last check-in) is not written to — they were written to when it began, or had lapsed before the campaign started. ' +
      'Keep it at most WIN_BACK_AFTER_DAYS + 30, so the 30-day rule keeps a lapse that was written to off the queue',
  }),
  HOLDOUT_SHARE: Type.Number({
    minimum: 0,
    maximum: 0.5,
    default: HOLDOUT_SHARE,
    description: "Share of members in the marketing holdout (the same function and share as crm-sync's `peak_marketing_holdout`); the planner only counts them, the notifier holds them back",
  }),
  CAMPAIGN_CATCH_UP_DAYS: Type.Integer({
    minimum: 0,
    maximum: 14,
    default: 2,
    description: 'welcome, first_visit_nudge, habit, milestone: also plan the events of this many days before the as-of day, in case the planner missed a day (the dedupe keys stop a second email)',
  }),
};

export type CampaignEnvSettings = Static<TObject<typeof campaignSettingsSchema>>;

/** The planner's knobs (the part of the settings the catalog reads). */
export type CampaignSettings = { winBackAfterDays: number; winBackMaxDays: number; catchUpDays: number };

export const DEFAULT_CAMPAIGN_SETTINGS: CampaignSettings = { winBackAfterDays: 14, winBackMaxDays: 42, catchUpDays: 2 };

export function campaignSettings(env: Pick<CampaignEnvSettings, 'WIN_BACK_AFTER_DAYS' | 'WIN_BACK_MAX_DAYS' | 'CAMPAIGN_CATCH_UP_DAYS'>): CampaignSettings {
  return { winBackAfterDays: env.WIN_BACK_AFTER_DAYS, winBackMaxDays: env.WIN_BACK_MAX_DAYS, catchUpDays: env.CAMPAIGN_CATCH_UP_DAYS };
}

/** Problems between settings the schema alone cannot see. */
export function settingsProblems(s: CampaignEnvSettings): string[] {
  const problems: string[] = [];
  try {
    Intl.DateTimeFormat('en-US', { timeZone: s.STUDIO_TIME_ZONE });
  } catch {
    problems.push(`STUDIO_TIME_ZONE: ${JSON.stringify(s.STUDIO_TIME_ZONE)} is not an IANA time zone (e.g. America/New_York)`);
  }
  if (s.WIN_BACK_MAX_DAYS < s.WIN_BACK_AFTER_DAYS) {
    problems.push(`WIN_BACK_MAX_DAYS (${s.WIN_BACK_MAX_DAYS}) must be at least WIN_BACK_AFTER_DAYS (${s.WIN_BACK_AFTER_DAYS}), or nobody is ever written to`);
  }
  problems.push(...analyticsProblems(s));
  return problems;
}

export function readCampaignSettings(env: NodeJS.ProcessEnv = process.env): CampaignEnvSettings {
  const settings = loadConfig(campaignSettingsSchema, env);
  const problems = settingsProblems(settings);
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}
