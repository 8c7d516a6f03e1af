export { buildApp, type AppOverrides } from './app.js';
export { configSchema, limitSettings, readConfig, type Config } from './config.js';
export { ContactStore, type PublicContact, type UpsertInput } from './store.js';
export { PropertyCatalog, type PropertyDefinition, type PropertyGroup } from './properties.js';
export { HubSpotError } from './errors.js';
export { tierLimits, type Tier } from './limits.js';
export type { FaultSpec } from './faults.js';
export type { RecordedRequest } from './recorder.js';
