export * from './errors.js';
export * from './parts.js';
export * from './platform.js';
export * from './ports.js';
export { readLock, lockPath, type LockInfo } from './lock.js';
export type { SampleDataOptions, SampleProgress, SamplesInfo } from './samples.js';
export { DEMO_CAMPAIGNS, runCampaigns, sampleAnnouncement, type CampaignRunBody, type CampaignsInfo, type Delivery } from './campaigns.js';
