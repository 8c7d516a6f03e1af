import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { datasets, lakeZones, type DatasetName } from '@peak/contracts';
import type { Lake } from '@peak/lake';
import type { ReferenceKeys } from '../executors/duckdb.js';

/** The processed Parquet of every dataset `dataset` references (e.g. members for check-ins), as local files. */
export async function knownReferences(lake: Lake, dataset: DatasetName, into: string): Promise<Partial<Record<DatasetName, ReferenceKeys>>> {
  const known: Partial<Record<DatasetName, ReferenceKeys>> = {};
  for (const ref of datasets[dataset].references) {
    known[ref.dataset] ??= { parquetFiles: await fetchPrefix(lake, `${lakeZones.processed.prefix}${ref.dataset}/`, into) };
  }
  return known;
}

/** For the ALREADY_PROCESSED check: earlier batches' files in the given day partitions, never those named `<runId>__…`. */
export function earlierProcessedFiles(lake: Lake, dataset: DatasetName, runId: string, into: string) {
  return async (days: string[]): Promise<string[]> => {
    const files: string[] = [];
    for (const day of days) {
      const prefix = `${lakeZones.processed.prefix}${dataset}/dt=${day}/`;
      files.push(...(await fetchPrefix(lake, prefix, into, (key) => !basename(key).startsWith(`${runId}__`))));
    }
    return files;
  };
}

/** Local paths of the Parquet objects under a prefix: the folder lake's own files, or downloads from S3. */
export async function fetchPrefix(lake: Lake, prefix: string, into: string, keep: (key: string) => boolean = () => true): Promise<string[]> {
  const paths: string[] = [];
  let startAfter: string | undefined;
  do {
    const page = await lake.list(prefix, { startAfter });
    for (const { key } of page.items) {
      if (!key.endsWith('.parquet') || !keep(key)) continue;
      const local = lake.localPath(key);
      if (local) { paths.push(local); continue; }
      const target = join(into, key);
      await mkdir(join(target, '..'), { recursive: true });
      if (await lake.getToFile(key, target)) paths.push(target);
    }
    startAfter = page.next;
  } while (startAfter);
  return paths;
}

