/** `.env.example` lists every variable every service validates at boot, and nothing they don't read. */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { configSchema as ingest } from '@peak/ingest';
import { configSchema as etl } from '@peak/etl';
import { configSchema as leaderboard } from '@peak/leaderboard';
import { configSchema as crmSync } from '@peak/crm-sync';
import { configSchema as notifier } from '@peak/notifier';
import { configSchema as hubspotSandbox } from '@peak/hubspot-sandbox';
import { configSchema as sqlSandbox } from '@peak/sql-sandbox';

// Read by the AWS SDK itself, not by our config schemas.
const SDK_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_SESV2', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'];

t.test('.env.example documents every configuration variable', async (t) => {
  const text = await readFile(new URL('../.env.example', import.meta.url), 'utf8');
  // Commented-out assignments (`# PORT=`) document optional variables.
  const listed = new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] ?? ''));
  const schemas = { ingest, etl, leaderboard, crmSync, notifier, hubspotSandbox, sqlSandbox };
  const read = new Set<string>(SDK_VARIABLES);
  for (const [service, schema] of Object.entries(schemas)) {
    for (const key of Object.keys(schema)) {
      read.add(key);
      t.ok(listed.has(key), `${key} (read by ${service}) is in .env.example`);
    }
  }
  for (const key of listed) t.ok(read.has(key), `${key} in .env.example is read by some service`);
});
