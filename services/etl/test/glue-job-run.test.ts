import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { type BatchProcessed, type BatchRecord, type Compression, type DatasetName, type RawFormat } from '@peak/contracts';
import { BatchRegistry, FolderLake, type Lake } from '@peak/lake';
import { processBatch, type BatchDeps } from '@peak/etl';
import { generate } from '@peak/sample-data';
import { landBatch, query } from './helpers.js';

/**
 * The whole Glue job (services/etl/glue/peak_etl_job.py) beside processBatch, batch for batch, each on
 * its own folder lake: same batch records, same lake objects with the same rows, same announcements.
 * The `duckdb` Python package cannot be installed here, so the job's statements go through a stand-in
 * module (test/python/duckdb-bridge) to a real DuckDB in Node: the job's Python (bundle runner, line
 * scanner, lake, registry, error handling) runs as written; DuckDB's Python binding and boto3 do not.
 */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const JOB = join(import.meta.dirname, '..', 'glue', 'peak_etl_job.py');
const BRIDGE = join(import.meta.dirname, 'python', 'duckdb-bridge');
const quiet = { info: () => {}, warn: () => {} };

type Pair = { ts: Lake; py: Lake; tsRoot: string; pyRoot: string; bundles: string; work: string; announced: { ts: BatchProcessed[]; py: BatchProcessed[] } };

function lakes(dir: string): Pair {
  // The bundles exactly as `npm run etl:bundle` writes them.
  const bundles = join(dir, 'bundles');
  const cli = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'services/etl/src/glue/bundle-cli.ts'), '--out', bundles], { cwd: ROOT, encoding: 'utf8' });
  if (cli.status !== 0) throw new Error(`etl:bundle failed: ${cli.stderr}`);
  const pyRoot = join(dir, 'lake-py');
  const tsRoot = join(dir, 'lake-ts');
  return { ts: new FolderLake(tsRoot), py: new FolderLake(pyRoot), tsRoot, pyRoot, bundles, work: join(dir, 'work'), announced: { ts: [], py: [] } };
}

/** Lands the same raw object and batch record in both lakes, as ingest does. */
async function land(p: Pair, dataset: DatasetName, body: Buffer, format: RawFormat, compression: Compression = 'none'): Promise<BatchRecord> {
  return (await landBatch([p.ts, p.py], dataset, body, { format, compression })).record;
}

function runJob(p: Pair, batchId: string, extra: string[] = []): { status: number | null; stderr: string } {
  const r = spawnSync('python3', [
    JOB, '--batch_id', batchId, '--bundle_uri', join(p.bundles, '{dataset}.bundle.json'), '--lake_uri', pathToFileURL(p.pyRoot).href,
    '--work_dir', join(p.work, 'py'), '--JOB_ID', 'ignored-like-glue-extras', ...extra,
  ], {
    encoding: 'utf8',
    env: {
      ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: BRIDGE,
      DUCKDB_BRIDGE: JSON.stringify([process.execPath, '--import', import.meta.resolve('tsx'), join(BRIDGE, 'server.ts')]),
    },
  });
  // Without --processed_queue_url the job prints each batch-processed message as a JSON line.
  for (const line of r.stdout.split('\n').filter(Boolean)) p.announced.py.push(JSON.parse(line) as BatchProcessed);
  return { status: r.status, stderr: r.stderr };
}

async function runTs(p: Pair, batchId: string, receiveCount = 1): Promise<Error | undefined> {
  const deps: BatchDeps = { lake: p.ts, registry: new BatchRegistry(p.ts), announce: async (m) => void p.announced.ts.push(m), workDir: join(p.work, 'ts'), log: quiet };
  try {
    await processBatch(batchId, { receiveCount, maxReceiveCount: 3 }, deps);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

async function keys(lake: Lake, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let startAfter: string | undefined;
  do {
    const page = await lake.list(prefix, { startAfter });
    out.push(...page.items.map((i) => i.key));
    startAfter = page.next;
  } while (startAfter);
  return out;
}

const withoutTime = <T extends object>(x: T | undefined) => {
  if (!x) return x;
  const { updatedAt: _u, processedAt: _p, ...rest } = x as T & { updatedAt?: string; processedAt?: string };
  return rest;
};

/** Both lakes hold the same objects under processed/, quarantine/ and batches/, with the same rows and records. */
async function sameLakes(t: Test, p: Pair, batchIds: string[]): Promise<void> {
  for (const zone of ['processed/', 'quarantine/']) {
    const ts = await keys(p.ts, zone);
    t.same(await keys(p.py, zone), ts, `the same ${zone} objects (${ts.length})`);
    // Each file's rows, named by their key; union_by_name because datasets differ in columns.
    const rows = async (lake: Lake, root: string) => {
      const files = ts.map((k) => `'${lake.localPath(k)}'`).join(', ');
      const all = await query(`SELECT * REPLACE (replace(filename, '${root}/', '') AS filename) FROM read_parquet([${files}], filename = true, union_by_name = true, hive_partitioning = false) ORDER BY ALL`);
      return all;
    };
    const expected = await rows(p.ts, p.tsRoot);
    t.ok(expected.length > 0, `${expected.length} rows in ${zone}`);
    t.same(await rows(p.py, p.pyRoot), expected, `the same rows in each ${zone} object`);
  }
  for (const id of batchIds) {
    t.same(withoutTime(await new BatchRegistry(p.py).get(id)), withoutTime(await new BatchRegistry(p.ts).get(id)), `batch record ${id} (but its time)`);
  }
  t.same(p.announced.py.map(withoutTime), p.announced.ts.map(withoutTime), `the same ${p.announced.ts.length} batch-processed messages`);
}

t.test('the Glue job and processBatch do the same to a lake, batch for batch', async (t) => {
  const dir = t.testdir();
  const p = lakes(dir);
  const sample = join(dir, 'sample');
  await generate({ out: sample, members: 60, days: 10, end: '2026-06-30', seed: 11, dirty: 0.05 }); // small: each job run starts a bridge
  const file = (name: string) => readFileSync(join(sample, 'exports', name));

  const batches: BatchRecord[] = [];
  const both = async (record: BatchRecord) => {
    batches.push(record);
    const job = runJob(p, record.batchId);
    t.equal(job.status, 0, `${record.dataset} ${record.format}: the job exits 0 ${job.status === 0 ? '' : job.stderr}`);
    t.equal(await runTs(p, record.batchId), undefined, `${record.dataset}: processBatch succeeds`);
  };
  // Members first: check-ins are checked against the processed members (and no classes: an empty reference).
  await both(await land(p, 'members', file('members.csv'), 'csv'));
  await both(await land(p, 'attendance', gzipSync(file('attendance.csv')), 'csv', 'gzip'));
  await both(await land(p, 'engagement', file('engagement.ndjson'), 'ndjson'));
  // Whole objects only: a dirty NDJSON line cut short (malformed_line) would make the whole array unusable.
  const objects = file('engagement.ndjson').toString('latin1').split('\n').filter((l) => l.startsWith('{') && l.endsWith('}'));
  const array = `[\n${objects.slice(0, 30).join(',\n')},\n{"event_id": 5}\n]\n`;
  await both(await land(p, 'engagement', Buffer.from(array, 'latin1'), 'json'));
  // The same check-ins again, as a new upload: every row ALREADY_PROCESSED.
  await both(await land(p, 'attendance', file('attendance.csv'), 'csv'));
  // Unusable input: failed at once, for good, in both.
  const twice = await land(p, 'members', Buffer.from('member_id,member_id\nM1,M1\n'), 'csv');
  await both(twice);
  t.match(await new BatchRegistry(p.py).get(twice.batchId), { status: 'failed', error: /^unusable input: the CSV header names "member_id" twice/ });
  // A repeated run of a processed batch changes nothing.
  const repeat = batches[0]?.batchId ?? '';
  t.equal(runJob(p, repeat).status, 0, 'a repeated run exits 0');
  await runTs(p, repeat);

  await sameLakes(t, p, batches.map((b) => b.batchId));
  t.match(p.announced.py.at(-1), { batchId: twice.batchId, status: 'failed' }, 'the repeated run announced nothing');
});

t.test('a failure a retry could fix: the run fails (to be run again), the last allowed attempt marks the batch failed', async (t) => {
  const dir = t.testdir();
  const p = lakes(dir);
  const record = await land(p, 'attendance', Buffer.from('checkin_id,member_id,class_id,location_id,checked_in_at,method\nK1,M000001,,downtown,2026-01-05T06:30:00Z,card\n'), 'csv');
  // A members file that is not Parquet: reading the references fails, whatever the batch holds.
  for (const lake of [p.ts, p.py]) await lake.putBytes('processed/members/dt=2026-01-01/broken.parquet', 'not parquet');

  const first = runJob(p, record.batchId);
  t.equal(first.status, 1, 'the first run fails');
  t.match(first.stderr, /batch attempt failed; the run fails, to be run again/);
  t.ok(await runTs(p, record.batchId, 1), 'processBatch throws too (the message is redelivered)');
  t.match(await new BatchRegistry(p.py).get(record.batchId), { status: 'processing', attempts: 1 });

  t.equal(runJob(p, record.batchId, ['--max_attempts', '2']).status, 1, 'the last attempt fails the run');
  t.ok(await runTs(p, record.batchId, 3), 'processBatch throws on the last receive (the message goes to the DLQ)');
  t.match(await new BatchRegistry(p.py).get(record.batchId), { status: 'failed', attempts: 2, error: /^gave up after 2 attempts: / });
  t.match(await new BatchRegistry(p.ts).get(record.batchId), { status: 'failed', attempts: 2, error: /^gave up after 3 attempts: / });
  t.match(p.announced.py, [{ batchId: record.batchId, status: 'failed' }], 'the failure is announced once');
  t.equal(p.announced.ts.length, 1);
});
