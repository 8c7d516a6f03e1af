import { runService } from '@peak/service-kit';
import { buildApp } from './app.js';
import { readConfig, sandboxOptions } from './config.js';

await runService('ses-sandbox', readConfig, async (config, shell) => (await buildApp({ ...sandboxOptions(config), ...shell })).app);
