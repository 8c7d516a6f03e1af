export { AnnouncementError, announcementSchema, loadAnnouncement, parseAnnouncement, type Announcement } from './announcement.js';
export {
  CAMPAIGN_IDS, CAMPAIGN_LIST, CAMPAIGNS, dedupeKey, HABIT_CLASS, isCampaignId, MILESTONES, NUDGE_DAY, WELCOME_DAY,
  type CampaignContext, type CampaignDefinition, type CampaignId, type PlannedEmail,
} from './catalog.js';
export { lastFullWeeks, localMidnight } from './days.js';
export { openEngine, type EngineSettings } from './engine.js';
export {
  chooseCampaigns, EmptyLakeError, lakeEnd, newRunId, planCampaigns, PlanInputError, QueueingError, scheduledOn,
  type CampaignReport, type PlanOptions, type PlanReport, type PreviewEntry, type RecentRecipients,
} from './plan.js';
export { queueRequests, SQS_BATCH_SIZE, type QueueOptions, type QueueResult } from './queue.js';
export { describePlan, reportJson } from './report.js';
export { campaignRunsTable, getRun, recordRun, RUN_RETENTION_DAYS, type CampaignRunCounts, type CampaignRunItem } from './runs.js';
export { campaignSettings, campaignSettingsSchema, DEFAULT_CAMPAIGN_SETTINGS, readCampaignSettings, type CampaignEnvSettings, type CampaignSettings } from './settings.js';
