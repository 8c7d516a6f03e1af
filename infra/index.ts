import * as pulumi from '@pulumi/pulumi';
import { athenaViewDdl, glueTableInputs } from '@peak/analytics';
import { crmSyncChanges, crmSyncRuns, DATASET_NAMES, lakeZones, marketingHoldout, memberChurnScores, queueList, queues as queueDefs, tableList, tables as tableDefs } from '@peak/contracts';
import { ANALYTICS_WORKGROUP, Analytics, QUERY_RESULTS_ZONE } from './src/analytics.js';
import { CampaignPlannerJob } from './src/campaign-planner-job.js';
import { ChurnJobs } from './src/churn-jobs.js';
import { loadStackConfig } from './src/config.js';
import { CrmSyncJob } from './src/crm-sync-job.js';
import { DataLake } from './src/data-lake.js';
import { Email } from './src/email.js';
import { ImageRepository } from './src/image-repository.js';
import { JobNetwork } from './src/job-network.js';
import { NotifierSecrets } from './src/notifier-secrets.js';
import { Queues } from './src/queues.js';
import { sandboxExamples } from './src/sandbox-examples.js';
import { Tables } from './src/tables.js';

// Wiring only: every concern is a component in src/, fed from the contracts and the stack config.
const config = loadStackConfig();

const queues = new Queues('queues', { prefix: config.prefix, definitions: queueList, tags: config.tags });
// Every DynamoDB table the contracts declare (today the notifier's ledger, recipients, suppressions, events and runs).
const tables = new Tables('tables', { prefix: config.prefix, definitions: tableList, deletionProtection: config.tables.deletionProtection, tags: config.tags });
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
  sandboxExamples: sandboxExamples(),
  analyticsScanLimitBytes: config.analyticsScanLimitBytes,
  sandboxScanLimitBytes: config.sandboxScanLimitBytes,
  tags: config.tags,
});

// One image for every job (and later the services); the jobs run in the configured subnets, else the default VPC.
const image = new ImageRepository('image', { prefix: config.prefix, tags: config.tags });
const jobNetwork = new JobNetwork('job-network', { prefix: config.prefix, ...config.jobNetwork, tags: config.tags });
const churnJobs = new ChurnJobs('churn-jobs', {
  prefix: config.prefix,
  image: { uri: image.imageUri(config.imageTag), repositoryArn: image.repositoryArn },
  bucketName: lake.bucketName,
  bucketArn: lake.bucketArn,
  processedPrefix,
  scoresPrefix: `${processedPrefix}${memberChurnScores.name}/`,
  // libs/churn keeps its models and registry.json under models/churn/ (CHURN_MODELS_PREFIX).
  modelsPrefix: `${lakeZones.models.prefix}churn/`,
  resultsPrefix: `${QUERY_RESULTS_ZONE.prefix}${ANALYTICS_WORKGROUP}/`,
  workgroupName: analytics.analyticsWorkgroupName,
  workgroupArn: analytics.analyticsWorkgroup.arn,
  databaseName: analytics.databaseName,
  databaseArn: analytics.database.arn,
  studioTimeZone: config.studioTimeZone,
  schedules: config.churnSchedules,
  network: { subnetIds: jobNetwork.subnetIds, securityGroupIds: jobNetwork.securityGroupIds, assignPublicIp: jobNetwork.assignPublicIp },
  tags: config.tags,
});
// crm-sync's daily HubSpot sync: the same image, cluster and network, its own roles, after the day's churn scores.
// Its state is services/crm-sync's STATE_KEY, ACKS_PREFIX, RUNS_PREFIX and LOCK_KEY under crm-sync/ (checked in the tests).
const crmSyncStatePrefix = 'crm-sync/';
const crmSync = new CrmSyncJob('crm-sync', {
  prefix: config.prefix,
  image: { uri: image.imageUri(config.imageTag), repositoryArn: image.repositoryArn },
  cluster: { arn: churnJobs.clusterArn, name: churnJobs.clusterName },
  bucketName: lake.bucketName,
  bucketArn: lake.bucketArn,
  processedPrefix,
  relationPrefixes: [crmSyncRuns, crmSyncChanges, marketingHoldout].map((relation) => `${processedPrefix}${relation.name}/`),
  // It reads the band thresholds of the model that made the scores (libs/churn's CHURN_MODELS_PREFIX).
  modelsPrefix: `${lakeZones.models.prefix}churn/`,
  statePrefix: crmSyncStatePrefix,
  // A run deletes the acks it folded into the state, and its lock.
  stateDeletes: [`${crmSyncStatePrefix}acks/`, `${crmSyncStatePrefix}lock.json`],
  resultsPrefix: `${QUERY_RESULTS_ZONE.prefix}${ANALYTICS_WORKGROUP}/`,
  workgroupName: analytics.analyticsWorkgroupName,
  workgroupArn: analytics.analyticsWorkgroup.arn,
  databaseName: analytics.databaseName,
  databaseArn: analytics.database.arn,
  studioTimeZone: config.studioTimeZone,
  schedule: config.crmSync.schedule,
  hubspot: { requestsPerTenSeconds: config.crmSync.requestsPerTenSeconds, dailyBudget: config.crmSync.dailyBudget },
  network: { subnetIds: jobNetwork.subnetIds, securityGroupIds: jobNetwork.securityGroupIds, assignPublicIp: jobNetwork.assignPublicIp },
  tags: config.tags,
});

// The notifier's mail: SES identity, configuration set, events topic → the ses-events queue, reputation alarms.
const sesEventsQueue = queues.pairs[queueDefs.sesEvents.name];
if (!sesEventsQueue) throw new Error(`no ${queueDefs.sesEvents.name} queue in the contracts' queue list`);
const email = new Email('email', {
  prefix: config.prefix,
  ...(config.email.domain === undefined ? {} : { domain: config.email.domain }),
  eventsQueue: { arn: sesEventsQueue.queue.arn, url: sesEventsQueue.queue.url },
  tags: config.tags,
});
const notifierSecrets = new NotifierSecrets('notifier-secrets', { prefix: config.prefix, tags: config.tags });
// The notifier's daily campaign planner: the same image, cluster and network; after the night's data, crm-sync's run.
const emailRequestsQueue = queues.pairs[queueDefs.emailRequests.name];
if (!emailRequestsQueue) throw new Error(`no ${queueDefs.emailRequests.name} queue in the contracts' queue list`);
const campaignPlanner = new CampaignPlannerJob('campaign-planner', {
  prefix: config.prefix,
  image: { uri: image.imageUri(config.imageTag), repositoryArn: image.repositoryArn },
  cluster: { arn: churnJobs.clusterArn, name: churnJobs.clusterName },
  bucketName: lake.bucketName,
  bucketArn: lake.bucketArn,
  processedPrefix,
  resultsPrefix: `${QUERY_RESULTS_ZONE.prefix}${ANALYTICS_WORKGROUP}/`,
  workgroupName: analytics.analyticsWorkgroupName,
  workgroupArn: analytics.analyticsWorkgroup.arn,
  databaseName: analytics.databaseName,
  databaseArn: analytics.database.arn,
  requestsQueueArn: emailRequestsQueue.queue.arn,
  runsTableArn: tables.table(tableDefs.campaignRuns.name).arn,
  sendsByCampaignIndexArn: tables.indexArn(tableDefs.emailSends.name, 'byCampaign'),
  studioTimeZone: config.studioTimeZone,
  schedule: config.campaignPlanner.schedule,
  network: { subnetIds: jobNetwork.subnetIds, securityGroupIds: jobNetwork.securityGroupIds, assignPublicIp: jobNetwork.assignPublicIp },
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
// The students' example queries (docs/sandbox.md) in the student_sandbox workgroup.
export const exampleNamedQueryIds = pulumi.output(analytics.exampleQueries.map((q) => q.id));
export const platformImageRepositoryUrl = image.repositoryUrl;
export const platformImageUri = image.imageUri(config.imageTag);
export const jobsClusterName = churnJobs.clusterName;
export const churnTaskDefinitionArns = churnJobs.taskDefinitionArns;
export const churnScheduleNames = churnJobs.scheduleNames;
export const churnLogGroupName = churnJobs.logGroupName;
export const crmSyncScheduleName = crmSync.scheduleName;
export const crmSyncTaskDefinitionArn = crmSync.taskDefinitionArn;
export const crmSyncLogGroupName = crmSync.logGroupName;
// The HubSpot token's secret: the operator puts its value (infra/README.md); the stack never holds it.
export const crmSyncSecretArn = crmSync.secretArn;
export const crmSyncSecretName = crmSync.secretName;
// What the notifier's service deployment will need (infra/README.md, "The notifier's service"): tables, SES, the signing keys' secret.
export const tableNames = tables.names;
export const tableArns = tables.arns;
export const campaignPlannerScheduleName = campaignPlanner.scheduleName;
export const campaignPlannerTaskDefinitionArn = campaignPlanner.taskDefinitionArn;
export const campaignPlannerLogGroupName = campaignPlanner.logGroupName;
export const emailDomain = config.email.domain;
export const sesIdentityArn = email.identityArn;
// The DNS records that verify the domain (add them once: infra/README.md).
export const sesDkimRecords = email.dkimRecords;
export const sesConfigurationSetName = email.configurationSetName;
export const sesConfigurationSetArn = email.configurationSetArn;
export const sesEventsTopicArn = email.topicArn;
export const sesReputationAlarmNames = [email.complaintRateAlarm.name, email.bounceRateAlarm.name];
// The unsubscribe links' HMAC keys: the operator puts the value; the stack never holds it.
export const unsubscribeSigningKeysSecretArn = notifierSecrets.signingKeysArn;
export const unsubscribeSigningKeysSecretName = notifierSecrets.signingKeysName;
export const jobSubnetIds = jobNetwork.subnetIds;
export const jobSecurityGroupIds = jobNetwork.securityGroupIds;
