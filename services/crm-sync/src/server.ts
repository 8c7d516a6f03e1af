import { runService } from '@peak/service-kit';
import { buildApp } from './app.js';
import { readConfig } from './config.js';

await runService('crm-sync', readConfig, (config, shell) => buildApp(config, shell));
