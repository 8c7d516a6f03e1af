export { buildApp, MAX_BODY_BYTES, type AppOverrides } from './app.js';
export { configSchema, readConfig, type Config } from './config.js';
export { SandboxError, type SandboxErrorCode } from './errors.js';
export { ALLOWED } from './guard.js';
export {
  DEFAULT_LAKE_ROOT,
  DEFAULT_MAX_ROWS,
  DEFAULT_TIME_ZONE,
  DEFAULT_TIMEOUT_MS,
  SqlSandbox,
  type QueryLimits,
  type SandboxColumn,
  type SandboxResult,
  type SqlSandboxOptions,
  type ViewColumn,
  type ViewInfo,
} from './sandbox.js';
export { formatResult } from './table.js';
