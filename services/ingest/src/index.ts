export { buildApp, type AppOverrides } from './app.js';
export { configSchema, readConfig, type Config } from './config.js';
export { INGEST_ERRORS, IngestError, type IngestErrorCode } from './errors.js';
export type { Clock } from './checkins/clock.js';
export type { CheckinBuffer, CheckinBufferStats } from './checkins/buffer.js';
export { MAX_CHECKINS_PER_REQUEST } from './checkins/validate.js';
export { MAX_CHECKINS_BODY_BYTES } from './routes/checkins.js';
export { HEARTBEAT_MS, STALE_AFTER_MS } from './checkins/spool.js';
