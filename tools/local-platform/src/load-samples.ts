import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { datasets, loadWaves, type BatchRecord, type DatasetName } from '@peak/contracts';
import type { Manifest } from '@peak/sample-data';
import { PlatformError, platformErrorCodes } from './errors.js';
import { seconds } from './time.js';

/** Datasets referenced by others go first (from the contracts' references): check-ins are checked against the members already processed. */
const WAVES: readonly (readonly DatasetName[])[] = loadWaves();
const CONTENT_TYPE = { csv: 'text/csv', json: 'application/json', ndjson: 'application/x-ndjson' } as const;

export type LoadedBatch = Pick<BatchRecord, 'batchId' | 'dataset' | 'status' | 'rowsIn' | 'rowsProcessed' | 'rowsQuarantined' | 'error'> & { duplicate: boolean };

export type LoadSamplesOptions = {
  ingestUrl: string;
  /** API key per source system (`door-system` → key). */
  apiKeys: Readonly<Record<string, string>>;
  samplesDir: string;
  manifest: Manifest;
  log: (line: string) => void;
  signal: AbortSignal;
  /** How long the ETL may take per wave (default 10 min: a year of data on 2 cores). */
  timeoutMs?: number;
};

/**
 * Sends the sample exports through the front door: gzip-compressed uploads to ingest, then waits
 * for the ETL to finish each wave. Uploading the same files again is answered with the batches
 * already there (ingest's content-hash dedupe), so a restart loads nothing twice.
 */
export async function loadSamples(opts: LoadSamplesOptions): Promise<LoadedBatch[]> {
  const loaded: LoadedBatch[] = [];
  for (const wave of WAVES) {
    const t0 = performance.now();
    const uploads: { dataset: DatasetName; batchId: string; duplicate: boolean }[] = [];
    for (const dataset of wave) {
      const file = opts.manifest.files.find((f) => f.dataset === dataset);
      if (!file) continue;
      uploads.push({ dataset, ...(await upload(opts, dataset, join(opts.samplesDir, file.file), file.format)) });
    }
    for (const u of uploads) {
      const record = await waitForBatch(opts, u.batchId, t0);
      loaded.push({ ...pick(record), duplicate: u.duplicate });
      const counts = `${fmt(record.rowsIn)} rows → ${fmt(record.rowsProcessed)} processed, ${fmt(record.rowsQuarantined)} quarantined`;
      opts.log(`  ${record.status === 'processed' ? '✓' : '✗'} sample ${u.dataset.padEnd(12)} ${record.status === 'processed' ? counts : `failed: ${record.error ?? 'no reason recorded'}`}${u.duplicate ? ' (already loaded)' : ''}`);
    }
    opts.log(`    wave ${wave.join(', ')} done in ${seconds(performance.now() - t0)}`);
  }
  return loaded;
}

async function upload(opts: LoadSamplesOptions, dataset: DatasetName, path: string, format: keyof typeof CONTENT_TYPE) {
  const key = opts.apiKeys[datasets[dataset].source];
  if (!key) throw new PlatformError(`no local API key for source ${datasets[dataset].source}`, platformErrorCodes.badOptions);
  // Compressed on the fly: a year of app engagement is bigger than ingest's upload limit uncompressed.
  const body = Readable.toWeb(createReadStream(path).pipe(createGzip({ level: 1 }))) as ReadableStream<Uint8Array>;
  const res = await fetch(`${opts.ingestUrl}/v1/datasets/${dataset}/batches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': CONTENT_TYPE[format], 'content-encoding': 'gzip' },
    body,
    duplex: 'half',
    signal: opts.signal,
  } as RequestInit);
  const answer = (await res.json()) as { batchId?: string; duplicate?: boolean; message?: string; code?: string };
  if (!res.ok || !answer.batchId) {
    throw new PlatformError(`ingest refused the ${dataset} sample (HTTP ${res.status} ${answer.code ?? ''}): ${answer.message ?? 'no message'}`, platformErrorCodes.samplesFailed);
  }
  return { batchId: answer.batchId, duplicate: answer.duplicate === true };
}

async function waitForBatch(opts: LoadSamplesOptions, batchId: string, since: number): Promise<BatchRecord> {
  const key = Object.values(opts.apiKeys)[0] ?? '';
  const deadline = since + (opts.timeoutMs ?? 600_000);
  for (;;) {
    opts.signal.throwIfAborted();
    const res = await fetch(`${opts.ingestUrl}/v1/batches/${batchId}`, { headers: { authorization: `Bearer ${key}` }, signal: opts.signal });
    const record = (await res.json()) as BatchRecord;
    if (res.ok && (record.status === 'processed' || record.status === 'failed')) return record;
    if (performance.now() > deadline) {
      throw new PlatformError(`batch ${batchId} is still ${record.status} after ${seconds(performance.now() - since)}: see the etl log in the logs folder`, platformErrorCodes.samplesFailed);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const pick = (r: BatchRecord): Omit<LoadedBatch, 'duplicate'> => ({
  batchId: r.batchId, dataset: r.dataset, status: r.status, rowsIn: r.rowsIn, rowsProcessed: r.rowsProcessed, rowsQuarantined: r.rowsQuarantined,
  ...(r.error ? { error: r.error } : {}),
});
const fmt = (n: number | undefined) => (n ?? 0).toLocaleString('en-US');
