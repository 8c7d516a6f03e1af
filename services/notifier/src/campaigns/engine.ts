/**
 * The query engine the planner reads the lake with, from the same settings crm-sync and the churn jobs use: DuckDB over
 * a lake folder locally, Athena over the S3 lake (its Glue views) in AWS. Only the engine: the planner writes nothing to
 * the lake.
 */
import { resolve } from 'node:path';
import { AthenaEngine, DuckDbEngine, type QueryEngine } from '@peak/analytics';
import { parseLakeUri } from '@peak/lake';

export type EngineSettings = {
  /** LAKE_URI (`file:///…` or `s3://bucket/prefix`) or a local folder. */
  lake: string;
  timeZone: string;
  engine: 'duckdb' | 'athena';
  athenaWorkGroup?: string;
  glueDatabase?: string;
  region?: string;
};

export class EngineSettingsError extends Error {
  override name = 'EngineSettingsError';
}

export async function openEngine(s: EngineSettings): Promise<{ engine: QueryEngine; where: string }> {
  const uri = /^[a-z0-9]+:\/\//.test(s.lake) ? s.lake : `file://${resolve(s.lake)}`;
  const location = parseLakeUri(uri);
  if (s.engine === 'athena') {
    if (!s.athenaWorkGroup || !s.glueDatabase) throw new EngineSettingsError('ANALYTICS_ENGINE=athena needs ATHENA_WORKGROUP and GLUE_DATABASE');
    if (location.kind !== 's3') throw new EngineSettingsError('Athena reads the S3 lake: LAKE_URI must be s3://bucket[/prefix]');
    // Loaded only for Athena (AWS); @peak/analytics depends on it.
    const { AthenaClient } = await import('@aws-sdk/client-athena');
    return {
      engine: new AthenaEngine({ client: new AthenaClient(s.region ? { region: s.region } : {}), workGroup: s.athenaWorkGroup, database: s.glueDatabase }),
      where: `Athena ${s.athenaWorkGroup}/${s.glueDatabase}`,
    };
  }
  if (location.kind === 's3') throw new EngineSettingsError('an S3 lake is queried with Athena: set ANALYTICS_ENGINE=athena, ATHENA_WORKGROUP and GLUE_DATABASE (DuckDB reads a lake folder)');
  return { engine: new DuckDbEngine({ lakeRoot: location.path, timeZone: s.timeZone }), where: location.path };
}
