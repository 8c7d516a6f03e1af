/**
 * The data lake's zones and how long each keeps data (design: raw 30 days, processed 1 year).
 * Read by the lake adapters, the S3 lifecycle rules in infra, and the docs.
 */
export const lakeZones = {
  raw: { prefix: 'raw/', retentionDays: 30, description: 'Exports exactly as uploaded' },
  processed: { prefix: 'processed/', retentionDays: 365, description: 'Validated rows as Parquet, partitioned by dt' },
  quarantine: { prefix: 'quarantine/', retentionDays: 90, description: 'Rejected rows with a reason code' },
  batches: { prefix: 'batches/', retentionDays: 365, description: 'Batch records: status, counts, outputs' },
  // 2 years, not less: a champion's model file is written once, when trained (only registry.json is re-written by every training run), so expiry must outlast any plausible reign.
  models: { prefix: 'models/', retentionDays: 730, description: 'Trained models and the model registry' },
} as const;
export type LakeZone = keyof typeof lakeZones;

/** raw/<dataset>/dt=<ingest date>/<batch id>.<ext> */
export const rawObjectKey = (dataset: string, ingestDate: string, batchId: string, ext: string): string =>
  `${lakeZones.raw.prefix}${dataset}/dt=${ingestDate}/${batchId}.${ext}`;

/** batches/<batch id>.json: the batch record (ids sort by time, so a day's records share a key prefix). */
export const batchRecordKey = (batchId: string): string => `${lakeZones.batches.prefix}${batchId}.json`;

/** Where the content-hash index of batches lives; it sorts after every record key (those start with a digit). */
export const batchHashIndexPrefix = `${lakeZones.batches.prefix}by-sha256/`;

/** batches/by-sha256/<dataset>/<sha256>: holds the id of the batch that first landed these bytes. */
export const batchHashKey = (dataset: string, sha256: string): string => `${batchHashIndexPrefix}${dataset}/${sha256}`;
