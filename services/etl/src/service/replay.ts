import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { datasets, lakeZones, PeakError, type BatchRecord } from '@peak/contracts';
import { BatchNotFoundError } from '@peak/lake';
import { ConservationError, runBatch } from '../executors/duckdb.js';
import { sqlStr } from '../executors/read-input.js';
import { buildPlan } from '../plan/build-plan.js';
import { REASON_CODE_LIST, type ReasonCode } from '../plan/reason-codes.js';
import { earlierProcessedFiles, knownReferences } from './lake-files.js';
import { batchProcessedMessage, type BatchDeps } from './process-batch.js';

export class ReplayError extends PeakError {
  constructor(message: string) {
    super(message, 'REPLAY_NOT_POSSIBLE', 409);
  }
}

export type ReplayResult = {
  batchId: string;
  /** 1 for the batch's first replay, 2 for the next… (0: nothing was quarantined, nothing ran). */
  replay: number;
  rowsTried: number;
  rowsMoved: number;
  rowsQuarantined: number;
  record: BatchRecord;
};

/**
 * Runs a batch's quarantined rows through the checks again, after their cause was fixed (typically:
 * the member file arrived later). Rows that now pass move to the processed zone; the others stay
 * quarantined at their original line. Malformed records are kept as they are (only a corrected
 * upload can fix them). The batch record is the commit point, as for a batch: the replay's files
 * have names fixed by the replay number, so a replay cut short is simply run again.
 */
export async function replayQuarantine(batchId: string, deps: BatchDeps): Promise<ReplayResult> {
  const { lake, registry } = deps;
  const record = await registry.get(batchId);
  if (!record) throw new BatchNotFoundError(batchId);
  if (record.status !== 'processed') throw new ReplayError(`batch ${batchId} is ${record.status}; only a processed batch has a quarantine to replay`);
  if (!record.quarantineKey) return { batchId, replay: 0, rowsTried: 0, rowsMoved: 0, rowsQuarantined: 0, record };

  const replay = (record.replays?.length ?? 0) + 1;
  const runId = `${batchId}.r${replay}`;
  await mkdir(deps.workDir, { recursive: true });
  const work = await mkdtemp(join(deps.workDir, `${runId}-`));
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    const oldFile = join(work, 'quarantine.parquet');
    if (!(await lake.getToFile(record.quarantineKey, oldFile))) throw new ReplayError(`the quarantine object ${record.quarantineKey} is missing`);
    const plan = buildPlan(datasets[record.dataset]);
    const rawCols = plan.columns.map((c) => `"raw_${c.name}"`);
    await con.run(`CREATE TABLE old AS SELECT * FROM read_parquet(${sqlStr(oldFile)})`);
    // The rows to try, in line order: the replay file's line k + 1 is the k-th of them.
    await con.run(`CREATE TABLE tried AS SELECT row_number() OVER (ORDER BY line) + 1 AS replay_line, * FROM old WHERE NOT list_contains(reasons, 'MALFORMED_RECORD')`);
    const input = join(work, 'replay.csv');
    await con.run(`COPY (SELECT ${plan.columns.map((c) => `"raw_${c.name}" AS "${c.source}"`).join(', ')} FROM tried ORDER BY replay_line) TO ${sqlStr(input)} (HEADER true)`);

    const out = join(work, 'out');
    const result = await runBatch({
      plan, inputFile: input, format: 'csv', outDir: out, batchId: runId,
      knownRefs: await knownReferences(lake, record.dataset, join(work, 'refs')),
      // The batch's own earlier rows count as already processed: a duplicate of them must stay out.
      processedFiles: earlierProcessedFiles(lake, record.dataset, runId, join(work, 'earlier')),
    });

    const newFile = join(work, 'quarantine-new.parquet');
    if (result.rowsIn === 0) return { batchId, replay: 0, rowsTried: 0, rowsMoved: 0, rowsQuarantined: record.rowsQuarantined ?? 0, record }; // only malformed records: nothing to retry
    await con.run(`COPY (
      SELECT * FROM old WHERE list_contains(reasons, 'MALFORMED_RECORD')
      UNION ALL
      SELECT t.line, r.reasons, r.reason_details, r.malformed_detail, t.raw_record, ${rawCols.map((c) => `r.${c}`).join(', ')}
      FROM read_parquet(${sqlStr(join(out, result.quarantineFile))}) r JOIN tried t ON t.replay_line = r.line
      ORDER BY line) TO ${sqlStr(newFile)} (FORMAT parquet, COMPRESSION zstd)`);
    const counts = (await con.runAndReadAll(`SELECT (SELECT count(*) FROM tried), (SELECT count(*) FROM read_parquet(${sqlStr(newFile)}))`)).getRows()[0] ?? [];
    const [rowsTried, rowsQuarantined] = counts.map(Number) as [number, number];
    const rowsMoved = result.rowsProcessed;
    const rowsProcessed = (record.rowsProcessed ?? 0) + rowsMoved;
    if (result.rowsIn !== rowsTried || rowsProcessed + rowsQuarantined !== record.rowsIn) {
      throw new ConservationError(`replay ${runId}: tried ${rowsTried} (read ${result.rowsIn}), batch rows in ${record.rowsIn ?? 0} ≠ processed ${rowsProcessed} + quarantined ${rowsQuarantined}`);
    }
    const reasons: Partial<Record<ReasonCode, number>> = {};
    for (const r of (await con.runAndReadAll(`SELECT code, count(*) AS n FROM (SELECT unnest(reasons) AS code FROM read_parquet(${sqlStr(newFile)})) GROUP BY code ORDER BY code`)).getRowObjectsJson()) {
      const code = String(r.code) as ReasonCode;
      if (REASON_CODE_LIST.includes(code)) reasons[code] = Number(r.n);
    }

    // Publish the new files under their own names, then commit them in the record, then drop the old quarantine.
    for (const key of result.processedFiles) await lake.putFile(key, join(out, key));
    const quarantineKey = rowsQuarantined > 0 ? `${lakeZones.quarantine.prefix}${record.dataset}/${runId}.parquet` : null;
    if (quarantineKey) await lake.putFile(quarantineKey, newFile);
    const at = (deps.now?.() ?? new Date()).toISOString();
    const updated = await registry.update(batchId, {
      rowsProcessed,
      rowsQuarantined,
      reasons,
      partitions: [...new Set([...(record.partitions ?? []), ...result.partitions.map((p) => p.slice('dt='.length))])].sort(),
      processedKeys: [...(record.processedKeys ?? []), ...result.processedFiles],
      quarantineKey,
      replays: [...(record.replays ?? []), { at, rowsTried, rowsMoved, rowsQuarantined }],
    });
    if (record.quarantineKey !== quarantineKey) await lake.delete(record.quarantineKey);
    if (rowsMoved > 0) await deps.announce(batchProcessedMessage(updated, new Date(at)));
    deps.log.info({ batchId, replay, rowsTried, rowsMoved, rowsQuarantined }, 'quarantine replayed');
    return { batchId, replay, rowsTried, rowsMoved, rowsQuarantined, record: updated };
  } finally {
    con.closeSync();
    instance.closeSync();
    await rm(work, { recursive: true, force: true });
  }
}
