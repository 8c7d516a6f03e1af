/**
 * The data lake's zones and how long each keeps data (design: raw 30 days, processed 1 year).
 * Read by the lake adapters, the S3 lifecycle rules in infra, and the docs.
 */
export const lakeZones = {
  raw: { prefix: 'raw/', retentionDays: 30, description: 'Exports exactly as uploaded' },
  processed: { prefix: 'processed/', retentionDays: 365, description: 'Validated rows as Parquet, partitioned by dt' },
  quarantine: { prefix: 'quarantine/', retentionDays: 90, description: 'Rejected rows with a reason code' },
} as const;
export type LakeZone = keyof typeof lakeZones;

/** raw/<dataset>/dt=<ingest date>/<batch id>.<ext> */
export const rawObjectKey = (dataset: string, ingestDate: string, batchId: string, ext: string): string =>
  `${lakeZones.raw.prefix}${dataset}/dt=${ingestDate}/${batchId}.${ext}`;
