import { resolve } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { AthenaEngine, DuckDbEngine, type QueryEngine } from '@peak/analytics';
import { openLake, parseLakeUri, type Lake } from '@peak/lake';

/** Where the churn jobs (and the services that read their output) find the lake and how they query it. */
export type AnalyticsSettings = {
  /** LAKE_URI (`file:///…` or `s3://bucket/prefix`) or a local folder. */
  lake: string;
  /** The studios' IANA zone (DuckDB's views; Athena's were created with it by the infra). */
  timeZone: string;
  /** `duckdb` (default; a lake folder) or `athena` (an S3 lake, with the workgroup and Glue database). */
  engine?: string;
  athenaWorkGroup?: string;
  glueDatabase?: string;
};

export class AnalyticsSettingsError extends Error {
  override name = 'AnalyticsSettingsError';
}

export type AnalyticsContext = { engine: QueryEngine; lake: Lake; where: string };

/** The query engine and lake for the settings: DuckDB over a lake folder locally, Athena over the S3 lake in AWS. */
export function openAnalytics(s: AnalyticsSettings): AnalyticsContext {
  const uri = /^[a-z0-9]+:\/\//.test(s.lake) ? s.lake : `file://${resolve(s.lake)}`;
  const location = parseLakeUri(uri);
  const engine = s.engine ?? 'duckdb';
  if (engine === 'athena') {
    if (!s.athenaWorkGroup || !s.glueDatabase) throw new AnalyticsSettingsError('ANALYTICS_ENGINE=athena needs ATHENA_WORKGROUP and GLUE_DATABASE');
    if (location.kind !== 's3') throw new AnalyticsSettingsError('Athena reads the S3 lake: LAKE_URI must be s3://bucket[/prefix]');
    return {
      engine: new AthenaEngine({ client: new AthenaClient({}), workGroup: s.athenaWorkGroup, database: s.glueDatabase }),
      lake: openLake(location, { s3: new S3Client({}) }),
      where: `Athena ${s.athenaWorkGroup}/${s.glueDatabase}, ${uri}`,
    };
  }
  if (engine !== 'duckdb') throw new AnalyticsSettingsError(`ANALYTICS_ENGINE must be duckdb or athena, got ${JSON.stringify(engine)}`);
  if (location.kind === 's3') throw new AnalyticsSettingsError('an S3 lake is queried with Athena: set ANALYTICS_ENGINE=athena (DuckDB reads a lake folder)');
  return { engine: new DuckDbEngine({ lakeRoot: location.path, timeZone: s.timeZone }), lake: openLake(location), where: location.path };
}
