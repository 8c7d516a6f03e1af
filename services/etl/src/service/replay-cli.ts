/**
 * `npm run replay -- <batch id>…`: replays the quarantine of each batch through the ETL service's
 * endpoint (the service holds the lake and queue configuration). Exit code 1 if any replay failed.
 */
import { parseArgs } from 'node:util';

const LOCAL_URL = 'http://127.0.0.1:4004';
const LOCAL_KEY = 'local-etl-admin-key'; // what `npm start` gives the local ETL service

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.ETL_URL ?? LOCAL_URL },
    key: { type: 'string', default: process.env.ETL_ADMIN_KEY ?? LOCAL_KEY },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || positionals.length === 0) {
  console.log(`Usage: npm run replay -- <batch id> [<batch id>…] [--url ${LOCAL_URL}] [--key <ETL_ADMIN_KEY>]

Runs the quarantined rows of each processed batch through the checks again (after their cause was
fixed, e.g. the member file arrived later) and moves the rows that now pass to the processed zone.
Batch ids are in ingest's answer to an upload and in GET /v1/batches.`);
  process.exit(positionals.length === 0 && !values.help ? 2 : 0);
}

let failed = 0;
for (const batchId of positionals) {
  try {
    const res = await fetch(`${values.url}/v1/batches/${encodeURIComponent(batchId)}/replay`, { method: 'POST', headers: { authorization: `Bearer ${values.key}` } });
    const body = (await res.json()) as { rowsTried?: number; rowsMoved?: number; rowsQuarantined?: number; message?: string; code?: string };
    if (!res.ok) throw new Error(`${res.status} ${body.code ?? ''}: ${body.message ?? ''}`);
    console.log(`${batchId}: ${body.rowsTried} tried, ${body.rowsMoved} moved to processed, ${body.rowsQuarantined} still quarantined`);
  } catch (err) {
    failed++;
    const reason = (err as Error).cause ? `cannot reach the ETL service at ${values.url} (is \`npm start\` running?)` : (err as Error).message;
    console.error(`${batchId}: replay failed — ${reason}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
