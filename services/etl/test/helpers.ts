import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rawObjectKey, type BatchRecord, type Compression, type DatasetName, type RawFormat, type RawLanded } from '@peak/contracts';
import { BatchRegistry, newBatchId, type Lake } from '@peak/lake';
import { DuckDBInstance } from '@duckdb/node-api';
import { generate } from '@peak/sample-data';

/** Small reproducible exports (~200 members × 30 days), the size the brief asks tests to use. */
export async function sampleExports(out: string, dirty = 0) {
  return generate({ out, members: 200, days: 30, end: '2026-06-30', seed: 11, dirty });
}

/** Known member/class ids taken from the exports' text, so a defective row there does not hide its id. */
export function knownIdsFrom(out: string) {
  const ids = (file: string, re: RegExp) => [...new Set(readFileSync(`${out}/exports/${file}`, 'latin1').match(re) ?? [])];
  return { members: ids('members.csv', /\bM\d{6}\b/g), classes: ids('classes.csv', /\bC\d{7}\b/g) };
}

/** Runs one query on a throwaway DuckDB (read-back of what the executor wrote). */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

export type LandOptions = { format?: RawFormat; compression?: Compression; at?: Date };

/**
 * Puts a raw export into each lake and registers its batch, as ingest does; returns the record and
 * its raw-landed message. Several lakes get the same object and record (the Glue job comparison).
 */
export async function landBatch(lakes: Lake | Lake[], dataset: DatasetName, body: string | Buffer, opts: LandOptions = {}): Promise<{ record: BatchRecord; message: RawLanded }> {
  const { format = 'csv', compression = 'none', at = new Date() } = opts;
  const batchId = newBatchId(dataset, at);
  const objectKey = rawObjectKey(dataset, at.toISOString().slice(0, 10), batchId, `${format}${compression === 'gzip' ? '.gz' : ''}`);
  const record: BatchRecord = {
    batchId, dataset, source: 'test', format, compression, objectKey,
    contentSha256: createHash('sha256').update(body).digest('hex'), bytes: Buffer.byteLength(body),
    receivedAt: at.toISOString(), status: 'received', updatedAt: at.toISOString(), attempts: 0,
  };
  for (const lake of Array.isArray(lakes) ? lakes : [lakes]) {
    await lake.putBytes(objectKey, body);
    await new BatchRegistry(lake).create(record);
  }
  const message: RawLanded = {
    type: 'raw-landed', version: 1, batchId, dataset, objectKey, format, compression,
    contentSha256: record.contentSha256, bytes: record.bytes, source: 'test', receivedAt: record.receivedAt,
  };
  return { record, message };
}
