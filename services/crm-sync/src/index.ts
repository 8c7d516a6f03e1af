export { buildApp, type AppOverrides } from './app.js';
export { apiKeys, configSchema, readConfig, readSyncSettings, syncSettingsSchema, type Config, type SyncSettings } from './config.js';
export { checkHubSpot, DEFAULT_READY_CACHE_MS, hubspotClient, hubspotFailure, hubspotPlugin } from './hubspot.js';
export { RUNS_ERRORS, RunsApiError } from './routes/errors.js';
export { startSync, SyncRunner, type StartedSync } from './runner.js';
export { acquireSyncLock, DEFAULT_LEASE_MS, LOCK_KEY, readSyncLock, SyncBusyError, withSyncLock, type SyncLock, type SyncLockRecord } from './sync/lock.js';
