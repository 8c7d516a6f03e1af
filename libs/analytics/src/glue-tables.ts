import { columnMeta, datasets, derivedDatasets, lakeZones, type SqlType } from '@peak/contracts';
import type { TSchema } from 'typebox';
import { isDerived, LAKE_RELATIONS, relationColumns, type LakeRelation } from './views.js';

/**
 * Glue Data Catalog tables for the processed zone, generated from the dataset and derived-relation contracts
 * so the catalog Athena reads can never drift from what the ETL and the platform's jobs write. Each value is shaped like the Glue
 * API's `TableInput` (CreateTable / UpdateTable); infra turns it into catalog resources.
 *
 * Partitions are never registered: Athena projects `dt` from the table's `Parameters`
 * (`projection.*` and `storage.location.template` are table properties, not storage-descriptor ones).
 */

export type GlueColumn = { Name: string; Type: string; Comment: string };

export type GlueTableInput = {
  Name: string;
  Description: string;
  TableType: 'EXTERNAL_TABLE';
  Parameters: Record<string, string>;
  StorageDescriptor: {
    Columns: GlueColumn[];
    Location: string;
    InputFormat: string;
    OutputFormat: string;
    SerdeInfo: { SerializationLibrary: string };
  };
  PartitionKeys: GlueColumn[];
};

export type GlueTableOptions = {
  /** The lake bucket's name (not an ARN, no `s3://`). */
  bucket: string;
  /** Key prefix of the processed zone, ending in `/` (default: the contracts' `lakeZones.processed.prefix`). */
  processedPrefix?: string;
  /**
   * Days Athena projects for `dt`, inclusive. `from` is a `YYYY-MM-DD` day; `to` a day or Athena's relative
   * `NOW[+-]<n><UNIT>`. Rows whose `dt` falls outside are invisible to Athena (DuckDB still sees them).
   */
  projectionRange?: { from: string; to?: string };
};

/** The partition column every processed relation has: the UTC day of a dataset's `partitionBy`, a derived relation's `partitionBy` date. */
export const PARTITION_COLUMN = 'dt';

/** The Hive class names Athena documents for Parquet tables (Parquet SerDe page). */
export const PARQUET_STORAGE = {
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

/** First projected day when none is given: before any studio export the platform handles. */
export const DEFAULT_PROJECTION_FROM = '2020-01-01';
/** Upper bound when none is given: a year ahead, because class sessions are scheduled (and partitioned) in the future. */
export const DEFAULT_PROJECTION_TO = 'NOW+1YEARS';

// Glue's documented column-comment limit; longer contract descriptions must fail here, not at deploy.
const GLUE_COMMENT_MAX = 255;
// Glue's table-description limit.
const GLUE_DESCRIPTION_MAX = 2048;

const HIVE_TYPES: Record<SqlType | 'DATE', string> = {
  VARCHAR: 'string',
  BIGINT: 'bigint',
  INTEGER: 'int',
  DOUBLE: 'double',
  'DECIMAL(12,2)': 'decimal(12,2)',
  BOOLEAN: 'boolean',
  DATE: 'date',
  TIMESTAMP: 'timestamp',
};

/** The Hive/Glue type name of a contract SQL type (the names Athena DDL and the catalog use). */
export function glueType(sqlType: SqlType | 'DATE'): string {
  const hive = HIVE_TYPES[sqlType];
  if (hive === undefined) throw new Error(`no Glue type for SQL type ${JSON.stringify(sqlType)}`);
  return hive;
}

// S3 bucket naming rules (lowercase letters, digits, dots, hyphens; 3–63; starts and ends alphanumeric).
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// Athena's relative-date syntax for projection ranges (partition projection, date type).
const RELATIVE_DATE = /^NOW(?:[+-]\d+(?:YEARS?|MONTHS?|WEEKS?|DAYS?|HOURS?|MINUTES?|SECONDS?))?$/;

function isCalendarDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  return new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text;
}

function projectionRange(range: GlueTableOptions['projectionRange']): string {
  const from = range?.from ?? DEFAULT_PROJECTION_FROM;
  const to = range?.to ?? DEFAULT_PROJECTION_TO;
  if (!isCalendarDay(from)) throw new Error(`projectionRange.from must be a calendar day YYYY-MM-DD, got ${JSON.stringify(from)}`);
  if (!isCalendarDay(to) && !RELATIVE_DATE.test(to)) {
    throw new Error(`projectionRange.to must be YYYY-MM-DD or NOW[+-]<n><UNIT>, got ${JSON.stringify(to)}`);
  }
  if (isCalendarDay(to) && to < from) throw new Error(`projectionRange.to (${to}) is before from (${from})`);
  return `${from},${to}`;
}

function limited(text: string, max: number, what: string): string {
  if (text.length > max) throw new Error(`${what} is ${text.length} characters; Glue allows ${max}`);
  return text;
}

/** One relation's table: contract columns in contract order, `dt` only as the projected partition key. */
function tableInput(name: LakeRelation, location: string, range: string): GlueTableInput {
  const contract = isDerived(name) ? derivedDatasets[name] : datasets[name];
  const props = contract.row.properties as Record<string, TSchema>;
  const columns = relationColumns(name);
  // A derived relation's partitionBy is already a DATE (the day scored), not an instant.
  const partitionComment = isDerived(name) ? `The ${String(contract.partitionBy)} day (the partition)` : `UTC day of ${String(contract.partitionBy)} (the partition)`;
  const partition = columns.find((c) => c.name === PARTITION_COLUMN);
  if (partition === undefined) throw new Error(`${name}: the relation has no ${PARTITION_COLUMN} column`);
  return {
    Name: name,
    Description: limited(contract.description, GLUE_DESCRIPTION_MAX, `${name} description`),
    TableType: 'EXTERNAL_TABLE',
    Parameters: {
      classification: 'parquet',
      // Hive readers other than Athena (Spark, EMR) treat the data as not owned by the catalog.
      EXTERNAL: 'TRUE',
      // No `parquet.compression`: it only sets the codec of files Athena itself writes; readers take it from each file.
      'projection.enabled': 'true',
      [`projection.${PARTITION_COLUMN}.type`]: 'date',
      [`projection.${PARTITION_COLUMN}.format`]: 'yyyy-MM-dd',
      [`projection.${PARTITION_COLUMN}.range`]: range,
      [`projection.${PARTITION_COLUMN}.interval`]: '1',
      [`projection.${PARTITION_COLUMN}.interval.unit`]: 'DAYS',
      'storage.location.template': `${location}${PARTITION_COLUMN}=\${${PARTITION_COLUMN}}/`,
    },
    StorageDescriptor: {
      Columns: columns
        .filter((c) => c.name !== PARTITION_COLUMN)
        .map((c) => ({
          Name: c.name,
          Type: glueType(c.sqlType),
          Comment: limited(columnMeta(props[c.name] as TSchema).description, GLUE_COMMENT_MAX, `${name}.${c.name} description`),
        })),
      Location: location,
      InputFormat: PARQUET_STORAGE.InputFormat,
      OutputFormat: PARQUET_STORAGE.OutputFormat,
      SerdeInfo: { SerializationLibrary: PARQUET_STORAGE.SerializationLibrary },
    },
    PartitionKeys: [
      {
        Name: PARTITION_COLUMN,
        Type: glueType(partition.sqlType),
        Comment: limited(partitionComment, GLUE_COMMENT_MAX, `${name}.${PARTITION_COLUMN} comment`),
      },
    ],
  };
}

/** The Glue table of every processed dataset and derived relation, keyed by name. */
export function glueTableInputs(options: GlueTableOptions): Record<LakeRelation, GlueTableInput> {
  if (!BUCKET_NAME.test(options.bucket)) throw new Error(`not an S3 bucket name: ${JSON.stringify(options.bucket)}`);
  const prefix = options.processedPrefix ?? lakeZones.processed.prefix;
  if (prefix.startsWith('/') || !prefix.endsWith('/') || prefix.includes('//')) {
    throw new Error(`processedPrefix must be a key prefix ending in "/" without a leading "/", got ${JSON.stringify(prefix)}`);
  }
  const range = projectionRange(options.projectionRange);
  const tables = {} as Record<LakeRelation, GlueTableInput>;
  for (const name of LAKE_RELATIONS) tables[name] = tableInput(name, `s3://${options.bucket}/${prefix}${name}/`, range);
  return tables;
}
