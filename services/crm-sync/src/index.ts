export { buildApp, type AppOverrides } from './app.js';
export { configSchema, readConfig, type Config } from './config.js';
export { hubspotClient, hubspotFailure, hubspotPlugin } from './hubspot.js';
