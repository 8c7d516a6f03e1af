export { buildApp, type AppOverrides } from './app.js';
export { configSchema, readConfig, type Config } from './config.js';
export { checkHubSpot, DEFAULT_READY_CACHE_MS, hubspotClient, hubspotFailure, hubspotPlugin } from './hubspot.js';
