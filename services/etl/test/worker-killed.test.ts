/**
 * The ETL service process killed (SIGKILL) while a batch runs, twice, at different moments:
 * after each restart the message comes back and the batch ends processed, every row exactly once.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { queueList, queues } from '@peak/contracts';
import { BatchRegistry, FolderLake } from '@peak/lake';
import { localAwsEnv, waitFor } from '@peak/local-stack';
import { Queues } from '@peak/service-kit';
import { closedEndpoint, localClients, spawnService, useSqsEmulator } from '@peak/service-kit/testing';
import { processBatch } from '@peak/etl';
import { landBatch, query } from './helpers.js';

const server = fileURLToPath(new URL('../src/service/server.ts', import.meta.url));
const ROWS = 1_000_000;
const MEMBERS = 300;

/** An emulator, a folder lake with members processed, and a 1M-row check-in batch announced on raw-landed. */
async function setUp(t: Test) {
  const emu = await useSqsEmulator(t, { queues: queueList });
  const sqs = localClients.sqs(t, emu.endpoint);
  const dir = t.testdir();
  const lake = new FolderLake(join(dir, 'lake'));
  const registry = new BatchRegistry(lake);

  // Members M000001…M000300, and check-ins over 60 days; every 1000th names an unknown member.
  const files = join(dir, 'files');
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  await mkdir(files, { recursive: true });
  await con.run(`COPY (SELECT 'M' || lpad(CAST(i AS VARCHAR), 6, '0') AS member_id, 'm' || i || '@example.com' AS email, 'Ada' AS first_name, 'L' AS last_name,
      'downtown' AS home_location_id, DATE '2026-01-01' AS join_date, 'unlimited' AS plan, 'active' AS status, NULL AS cancelled_on, 1990 AS birth_year,
      true AS marketing_opt_in, '2026-01-01T10:00:00Z' AS updated_at FROM range(1, ${MEMBERS + 1}) r(i)) TO '${files}/members.csv' (HEADER true)`);
  await con.run(`COPY (SELECT 'K' || i AS checkin_id, CASE WHEN i % 1000 = 0 THEN 'M999999' ELSE 'M' || lpad(CAST(1 + i % ${MEMBERS} AS VARCHAR), 6, '0') END AS member_id,
      NULL AS class_id, 'downtown' AS location_id, strftime(TIMESTAMP '2026-01-01 06:00:00' + INTERVAL (i % 60) DAY + INTERVAL (i % 3600) SECOND, '%Y-%m-%dT%H:%M:%SZ') AS checked_in_at,
      'card' AS method FROM range(${ROWS}) r(i)) TO '${files}/attendance.csv' (HEADER true)`);
  con.closeSync();
  instance.closeSync();

  const land = async (dataset: 'members' | 'attendance') => (await landBatch(lake, dataset, await readFile(join(files, `${dataset}.csv`)))).record;

  const members = await land('members');
  await processBatch(members.batchId, { receiveCount: 1, maxReceiveCount: 3 }, {
    lake, registry, announce: async () => {}, workDir: join(dir, 'work'), log: { info: () => {}, warn: () => {} },
  });

  const batch = await land('attendance');
  await new Queues(sqs).send(queues.rawLanded, {
    type: 'raw-landed', version: 1, batchId: batch.batchId, dataset: 'attendance', objectKey: batch.objectKey, format: 'csv',
    compression: 'none', contentSha256: batch.contentSha256, bytes: batch.bytes, source: 'test', receivedAt: batch.receivedAt,
  });

  const workRoot = join(dir, 'etl-work');
  const env = {
    ...localAwsEnv({ sqs: emu.endpoint, s3: emu.endpoint, sesv2: await closedEndpoint(), dynamodb: await closedEndpoint() }),
    LAKE_URI: pathToFileURL(join(dir, 'lake')).href, ETL_WORK_DIR: workRoot, ETL_VISIBILITY_SECONDS: '10', LOG_LEVEL: 'warn',
  };
  return { registry, batch, env, dir, workRoot };
}

/** Starts the service, waits for the given attempt to start, lets it run `afterMs`, kills it; says where the kill landed. */
async function killDuring(t: Test, env: Record<string, string>, registry: BatchRegistry, batchId: string, attempt: number, afterMs: number): Promise<'mid-batch' | 'after'> {
  const service = await spawnService(t, server, env);
  const started = async () => ((await registry.get(batchId))?.attempts ?? 0) >= attempt || (await registry.get(batchId))?.status === 'processed';
  await waitFor(`attempt ${attempt} to start`, started, 60_000, 50);
  await new Promise((r) => setTimeout(r, afterMs));
  await service.stop('SIGKILL');
  return (await registry.get(batchId))?.status === 'processed' ? 'after' : 'mid-batch';
}

t.test('killed mid-batch twice, then left alone: processed, no row lost or doubled', async (t) => {
  const { registry, batch, env, dir, workRoot } = await setUp(t);
  // The first kill lands early for sure; the later one wherever the batch has got to. Two kills: the
  // third delivery is the last one the queue allows (maxReceiveCount 3) before the DLQ.
  const landed = [await killDuring(t, env, registry, batch.batchId, 1, 150)];
  if (landed[0] === 'mid-batch') landed.push(await killDuring(t, env, registry, batch.batchId, 2, 1200));
  t.comment(`kills landed: ${landed.join(', ')}`);
  t.equal(landed[0], 'mid-batch', 'the first kill interrupted the batch');
  const last = await spawnService(t, server, env);
  await waitFor('the batch processed', async () => (await registry.get(batch.batchId))?.status === 'processed', 120_000, 100);
  const done = await registry.get(batch.batchId);
  t.match(done, { status: 'processed', rowsIn: ROWS, rowsProcessed: ROWS - ROWS / 1000, rowsQuarantined: ROWS / 1000, reasons: { UNKNOWN_REFERENCE: ROWS / 1000 } });
  t.ok((done?.attempts ?? 0) >= 2, `the batch was started again after the kill (${done?.attempts} attempts)`);

  const published = (await readdir(join(dir, 'lake/processed/attendance'), { recursive: true })).filter((f) => f.endsWith('.parquet')).map((f) => `processed/attendance/${f}`).sort();
  t.same(published, done?.processedKeys, 'exactly the files the record lists: nothing left from the killed attempts');
  const [counts] = await query(`SELECT count(*) AS n, count(DISTINCT checkin_id) AS ids FROM read_parquet('${join(dir, 'lake/processed/attendance')}/*/*.parquet')`);
  t.same(counts, { n: String(ROWS - ROWS / 1000), ids: String(ROWS - ROWS / 1000) }, 'every valid row exactly once');
  await last.stop('SIGTERM');
  t.same(await readdir(workRoot), [], 'scratch folders of killed runs are cleaned up by the next run');
});

