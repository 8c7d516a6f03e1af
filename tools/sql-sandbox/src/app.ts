import { existsSync } from 'node:fs';
import { DATASET_RELATIONS } from '@peak/analytics';
import { createServiceApp, type ShellOverrides } from '@peak/service-kit';
import { sqlApi } from './api.js';
import type { Config } from './config.js';
import { SqlSandbox } from './sandbox.js';

/** One query per request: a statement fits in a few KiB; a bigger body is a script or a mistake. */
export const MAX_BODY_BYTES = 64 * 1024;

export type AppOverrides = ShellOverrides & {
  /** A sandbox to share with the test (the app then leaves closing it to the test). */
  sandbox?: SqlSandbox;
};

/** The SQL sandbox over HTTP: read-only queries at /v1/query, the views at /v1/views, OpenAPI at /docs. */
export async function buildApp(config: Config, { sandbox: given, ...shell }: AppOverrides = {}) {
  const sandbox =
    given ??
    (await SqlSandbox.open({
      lakeRoot: config.SQL_SANDBOX_LAKE_DIR,
      timeZone: config.SQL_SANDBOX_TIME_ZONE,
      maxRows: config.SQL_SANDBOX_MAX_ROWS,
      timeoutMs: config.SQL_SANDBOX_TIMEOUT_MS,
    }));
  try {
    const app = await createServiceApp({
      name: 'sql-sandbox',
      description:
        `Read-only SQL over the lake's views (${DATASET_RELATIONS.join(', ')} and the star schema), ` +
        'the local stand-in for the student_sandbox Athena workgroup. See docs/sandbox.md for the views and example queries.',
      bodyLimit: MAX_BODY_BYTES,
      ...shell,
    });
    if (!given) app.addHook('onClose', () => sandbox.close());
    app.readiness.set('lake', async () => {
      if (!existsSync(sandbox.lakeRoot)) throw new Error(`no lake folder at ${sandbox.lakeRoot}`);
      await sandbox.query('SELECT 1');
    });
    await app.register(sqlApi, { prefix: '/v1', sandbox, maxRows: config.SQL_SANDBOX_MAX_ROWS, bodyLimit: MAX_BODY_BYTES });
    return app;
  } catch (err) {
    if (!given) await sandbox.close();
    throw err;
  }
}
