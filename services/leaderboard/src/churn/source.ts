import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CHURN_MODELS_PREFIX, openAnalytics } from '@peak/churn';
import type { ServiceApp } from '@peak/service-kit';
import type { Config } from '../config.js';
import type { ChurnSource } from './answers.js';

/**
 * The engine and lake the churn API reads, opened from the config (DuckDB over a lake folder, or Athena + S3), closed
 * with the app; `given` (a test's) is used as it is and left to its owner to close. No LAKE_URI and nothing given:
 * undefined, and /ready has no lake check. The check is the lake's, never a query: /ready is polled, and on Athena
 * every query costs.
 */
export function churnSource(app: ServiceApp, config: Config, given?: ChurnSource): ChurnSource | undefined {
  let source = given;
  if (!source && config.LAKE_URI !== undefined) {
    const opened = openAnalytics({
      lake: config.LAKE_URI,
      timeZone: config.STUDIO_TIME_ZONE,
      engine: config.ANALYTICS_ENGINE,
      ...(config.ATHENA_WORKGROUP === undefined ? {} : { athenaWorkGroup: config.ATHENA_WORKGROUP }),
      ...(config.GLUE_DATABASE === undefined ? {} : { glueDatabase: config.GLUE_DATABASE }),
    });
    app.addHook('onClose', () => opened.engine.close());
    source = opened;
  }
  if (!source) return undefined;
  const { lake } = source;
  app.readiness.set('lake', async () => {
    const uri = lake.describe();
    if (uri.startsWith('file:')) {
      const folder = fileURLToPath(uri);
      if (!(await stat(folder).catch(() => undefined))?.isDirectory()) throw new Error(`folder ${folder} does not exist`);
    } else {
      await lake.list(CHURN_MODELS_PREFIX, { limit: 1 }); // the bucket answers and lets us read
    }
  });
  return source;
}
