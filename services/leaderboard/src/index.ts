export { buildApp, dashboardDir, type AppOverrides } from './app.js';
export { configSchema, readConfig, type Config } from './config.js';
