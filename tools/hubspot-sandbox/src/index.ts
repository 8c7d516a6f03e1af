export { buildApp, type AppOverrides } from './app.js';
export { configSchema, readConfig, type Config } from './config.js';
export { ContactStore, type PropertyDefinition, type PublicContact } from './store.js';
export { HubSpotError } from './errors.js';
