export { buildApp, type AppOverrides } from './app.js';
export { configSchema, readConfig, type Config } from './config.js';
export { INGEST_ERRORS, IngestError, type IngestErrorCode } from './errors.js';
