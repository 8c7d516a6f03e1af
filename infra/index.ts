import { athenaViewDdl, glueTableInputs } from '@peak/analytics';
import { DATASET_NAMES, lakeZones, queueList } from '@peak/contracts';
import { Analytics, QUERY_RESULTS_ZONE } from './src/analytics.js';
import { loadStackConfig } from './src/config.js';
import { DataLake } from './src/data-lake.js';
import { Queues } from './src/queues.js';

// Wiring only: every concern is a component in src/, fed from the contracts and the stack config.
const config = loadStackConfig();

const queues = new Queues('queues', { prefix: config.prefix, definitions: queueList, tags: config.tags });
// Athena's results are one more zone of the lake: the bucket has one lifecycle configuration, built from the zones.
const lake = new DataLake('lake', {
  prefix: config.prefix,
  zones: { ...lakeZones, 'athena-results': QUERY_RESULTS_ZONE },
  forceDestroy: config.forceDestroyLake,
  tags: config.tags,
});
const processedPrefix = lakeZones.processed.prefix;
const analytics = new Analytics('analytics', {
  prefix: config.prefix,
  bucketName: lake.bucketName,
  bucketArn: lake.bucketArn,
  processedPrefix,
  resultsPrefix: QUERY_RESULTS_ZONE.prefix,
  datasets: DATASET_NAMES,
  tables: lake.bucketName.apply((bucket) => glueTableInputs({ bucket, processedPrefix })),
  viewDdl: athenaViewDdl(config.studioTimeZone),
  analyticsScanLimitBytes: config.analyticsScanLimitBytes,
  sandboxScanLimitBytes: config.sandboxScanLimitBytes,
  tags: config.tags,
});

export const stage = config.stage;
export const queueUrls = queues.urls;
export const queueArns = queues.arns;
export const deadLetterQueueUrls = queues.dlqUrls;
export const deadLetterQueueArns = queues.dlqArns;
export const lakeBucketName = lake.bucketName;
export const lakeBucketArn = lake.bucketArn;
export const { databaseName: glueDatabaseName, analyticsWorkgroupName, sandboxWorkgroupName, sandboxGroupName, sandboxPolicyArn } = analytics;
// In the order the view DDL must run (infra/README.md).
export const viewNamedQueryIds = analytics.viewQueryIds;
