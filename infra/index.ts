import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { athenaViewDdl, glueTableInputs } from '@peak/analytics';
import { crmSyncChanges, crmSyncRuns, DATASET_NAMES, lakeZones, marketingHoldout, memberChurnScores, queueList, queues as queueDefs, tableList, tables as tableDefs } from '@peak/contracts';
import { Alerts } from './src/alerts.js';
import { ANALYTICS_WORKGROUP, Analytics, QUERY_RESULTS_ZONE } from './src/analytics.js';
import { Budget } from './src/budget.js';
import { CampaignPlannerJob } from './src/campaign-planner-job.js';
import { ChurnJobs } from './src/churn-jobs.js';
import { loadStackConfig } from './src/config.js';
import { CrmSyncJob } from './src/crm-sync-job.js';
import { DataLake } from './src/data-lake.js';
import { DashboardLogin } from './src/dashboard-login.js';
import { Email } from './src/email.js';
import { EtlGlueJob } from './src/etl-glue-job.js';
import { ImageRepository } from './src/image-repository.js';
import { JobNetwork } from './src/job-network.js';
import { NotifierSecrets } from './src/notifier-secrets.js';
import { Queues } from './src/queues.js';
import { sandboxExamples } from './src/sandbox-examples.js';
import { Tables } from './src/tables.js';
import { Cache } from './src/cache.js';
import { PlatformService } from './src/platform-service.js';
import { PublicLoadBalancer } from './src/public-load-balancer.js';
import { ServiceCluster } from './src/service-cluster.js';
import { ServiceImages } from './src/service-images.js';
import { ServiceSecrets } from './src/service-secrets.js';
import type { ServiceName, ServiceSpec } from './src/service-spec.js';
import { crmSyncSpec } from './src/service-specs/crm-sync.js';
import { etlSpec } from './src/service-specs/etl.js';
import { ingestSpec } from './src/service-specs/ingest.js';
import { LEADERBOARD_ROUTE, leaderboardSpec } from './src/service-specs/leaderboard.js';
import { NOTIFIER_ROUTE, NOTIFIER_SENDS_INDEXES, notifierSpec } from './src/service-specs/notifier.js';


// Wiring only: every concern is a component in src/, fed from the contracts and the stack config.
const config = loadStackConfig();

// Every alarm of the stack and the budget notify one topic; its email subscribers come from the stack config.
const alerts = new Alerts('alerts', { prefix: config.prefix, emails: config.alerts.emails, tags: config.tags });
const budget = new Budget('budget', { prefix: config.prefix, monthlyUsd: config.alerts.budgetMonthlyUsd, alertTopicArn: alerts.topicArn, tags: config.tags });
const queues = new Queues('queues', { prefix: config.prefix, definitions: queueList, alarmTopicArn: alerts.topicArn, tags: config.tags });
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

// The ETL in AWS: a Glue Python-shell job per batch, started and awaited by the ETL service's worker (docs/pipeline.md).
const rawLandedQueue = queues.pairs[queueDefs.rawLanded.name];
const batchProcessedQueue = queues.pairs[queueDefs.batchProcessed.name];
if (!rawLandedQueue || !batchProcessedQueue) throw new Error(`no ${queueDefs.rawLanded.name} / ${queueDefs.batchProcessed.name} queue in the contracts' queue list`);
const etlGlueJob = new EtlGlueJob('etl-glue', {
  prefix: config.prefix,
  engine: config.etl.engine,
  bucketName: lake.bucketName,
  bucketArn: lake.bucketArn,
  zones: { raw: lakeZones.raw.prefix, processed: processedPrefix, quarantine: lakeZones.quarantine.prefix, batches: lakeZones.batches.prefix },
  processedQueue: { url: batchProcessedQueue.queue.url, arn: batchProcessedQueue.queue.arn },
  // The run that reaches raw-landed's last receive marks the batch failed, as the worker does locally.
  maxAttempts: queueDefs.rawLanded.maxReceiveCount,
  maxCapacity: config.etl.glueMaxCapacity,
  timeoutMinutes: config.etl.glueTimeoutMinutes,
  duckdbVersion: config.etl.duckdbVersion,
  tags: config.tags,
});

// The platform image, built and pushed by `pulumi up` (root Dockerfile), run by digest by every job; the jobs run in
// the configured subnets, else the default VPC.
const image = new ImageRepository('image', { prefix: config.prefix, tag: config.imageTag, tags: config.tags });
const jobNetwork = new JobNetwork('job-network', { prefix: config.prefix, ...config.jobNetwork, tags: config.tags });
const churnJobs = new ChurnJobs('churn-jobs', {
  prefix: config.prefix,
  image: { uri: image.imageRef, repositoryArn: image.repositoryArn },
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
  image: { uri: image.imageRef, repositoryArn: image.repositoryArn },
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
  alarmTopicArn: alerts.topicArn,
  tags: config.tags,
});
const notifierSecrets = new NotifierSecrets('notifier-secrets', { prefix: config.prefix, tags: config.tags });
// The notifier's daily campaign planner: the same image, cluster and network; after the night's data, crm-sync's run.
const emailRequestsQueue = queues.pairs[queueDefs.emailRequests.name];
if (!emailRequestsQueue) throw new Error(`no ${queueDefs.emailRequests.name} queue in the contracts' queue list`);
const campaignPlanner = new CampaignPlannerJob('campaign-planner', {
  prefix: config.prefix,
  image: { uri: image.imageRef, repositoryArn: image.repositoryArn },
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

// ---- The long-running services on Fargate: one spec each (src/service-specs), from what the service reads and calls.
const region = aws.getRegionOutput().region;
const serviceSecrets = new ServiceSecrets('service-secrets', { prefix: config.prefix, tags: config.tags });
const serviceCluster = new ServiceCluster('service-cluster', {
  prefix: config.prefix,
  ...(config.services.subnetIds === undefined ? {} : { subnetIds: config.services.subnetIds }),
  ...(config.services.assignPublicIp === undefined ? {} : { assignPublicIp: config.services.assignPublicIp }),
  tags: config.tags,
});
// The leaderboard has no authentication of its own (member names, churn scores): with HTTPS the load balancer signs its
// users in against this pool; without (dev), its port takes dashboardAllowedCidrs only, or nobody.
const dashboardLogin = config.services.https
  ? new DashboardLogin('dashboard-login', {
      prefix: config.prefix,
      host: `${LEADERBOARD_ROUTE.subdomain}.${config.services.https.domain}`,
      sessionHours: config.services.dashboardSessionHours,
      // The managers' accounts and MFA enrolments are kept like the stack's tables (dev: may go with the stack).
      deletionProtection: config.tables.deletionProtection,
      tags: config.tags,
    })
  : undefined;
const publicLoadBalancer = new PublicLoadBalancer('public-lb', {
  prefix: config.prefix,
  vpcId: serviceCluster.vpcId,
  subnetIds: serviceCluster.subnetIds,
  ...(config.services.https === undefined ? {} : { https: config.services.https }),
  ...(dashboardLogin ? { login: dashboardLogin.loadBalancerLogin } : {}),
  loginSourceCidrs: config.services.dashboardAllowedCidrs,
  deletionProtection: config.services.loadBalancerDeletionProtection,
  tags: config.tags,
});
const cache = new Cache('cache', {
  prefix: config.prefix,
  vpcId: serviceCluster.vpcId,
  subnetIds: serviceCluster.subnetIds,
  nodeType: config.cache.nodeType,
  replicas: config.cache.replicas,
  snapshotRetentionDays: config.cache.snapshotRetentionDays,
  tags: config.tags,
});
const queueArnsByName: Record<string, pulumi.Output<string>> = Object.fromEntries(
  Object.entries(queues.pairs).flatMap(([name, pair]) => [
    [name, pair.queue.arn],
    [`${name}-dlq`, pair.dlq.arn],
  ]),
);
const serviceLake = { bucketName: lake.bucketName, bucketArn: lake.bucketArn };
const serviceAthena = {
  workgroupName: analytics.analyticsWorkgroupName,
  workgroupArn: analytics.analyticsWorkgroup.arn,
  databaseName: analytics.databaseName,
  databaseArn: analytics.database.arn,
  resultsPrefix: `${QUERY_RESULTS_ZONE.prefix}${ANALYTICS_WORKGROUP}/`,
};
const churnModelsPrefix = `${lakeZones.models.prefix}churn/`;
const common = { prefix: config.prefix, region };
const specs: ServiceSpec[] = [
  ingestSpec({
    ...common,
    lake: serviceLake,
    rawPrefix: lakeZones.raw.prefix,
    batchesPrefix: lakeZones.batches.prefix,
    queueArns: queueArnsByName,
    apiKeysSecretArn: serviceSecrets.arns.ingestApiKeys,
    desiredCount: config.services.ingestTasks,
  }),
  etlSpec({
    ...common,
    lake: serviceLake,
    batchesPrefix: lakeZones.batches.prefix,
    processedPrefix,
    quarantinePrefix: lakeZones.quarantine.prefix,
    queueArns: queueArnsByName,
    glueJob: { name: etlGlueJob.jobName, arn: etlGlueJob.jobArn, timeoutMinutes: config.etl.glueTimeoutMinutes },
    adminKeySecretArn: serviceSecrets.arns.etlAdminKey,
  }),
  leaderboardSpec({
    ...common,
    lake: serviceLake,
    athena: serviceAthena,
    processedPrefix,
    churnModelsPrefix,
    queueArns: queueArnsByName,
    redisUrl: cache.url,
    studioTimeZone: config.studioTimeZone,
    minTasks: 1,
    maxTasks: config.services.maxWorkerTasks,
  }),
  crmSyncSpec({
    ...common,
    lake: serviceLake,
    athena: serviceAthena,
    processedPrefix,
    relationPrefixes: [crmSyncRuns, crmSyncChanges, marketingHoldout].map((relation) => `${processedPrefix}${relation.name}/`),
    modelsPrefix: churnModelsPrefix,
    statePrefix: crmSyncStatePrefix,
    stateDeletes: [`${crmSyncStatePrefix}acks/`, `${crmSyncStatePrefix}lock.json`],
    studioTimeZone: config.studioTimeZone,
    hubspot: { requestsPerTenSeconds: config.crmSync.requestsPerTenSeconds, ...(config.crmSync.dailyBudget === undefined ? {} : { dailyBudget: config.crmSync.dailyBudget }) },
    hubspotTokenSecretArn: crmSync.secretArn,
    apiKeysSecretArn: serviceSecrets.arns.crmSyncApiKeys,
  }),
];
// The notifier sends from the stack's SES identity: without a sending domain there is nothing it could send from.
if (email.identity && config.email.domain !== undefined && config.email.postalAddress !== undefined && config.email.memberAppUrl !== undefined) {
  specs.push(
    notifierSpec({
      ...common,
      lake: serviceLake,
      athena: serviceAthena,
      processedPrefix,
      queueArns: queueArnsByName,
      tableArns: Object.fromEntries(tableList.map((table) => [table.name, tables.table(table.name).arn])),
      sendsIndexArns: Object.fromEntries(NOTIFIER_SENDS_INDEXES.map((index) => [index, tables.indexArn(tableDefs.emailSends.name, index)])),
      ses: { emailDomain: config.email.domain, identityArn: email.identity.arn, configurationSetName: email.configurationSetName, configurationSetArn: email.configurationSetArn },
      signingKeysSecretArn: notifierSecrets.signingKeysArn,
      apiKeysSecretArn: serviceSecrets.arns.notifierApiKeys,
      publicBaseUrl: publicLoadBalancer.urlOf('notifier', NOTIFIER_ROUTE),
      postalAddress: config.email.postalAddress,
      memberAppUrl: config.email.memberAppUrl,
      studioTimeZone: config.studioTimeZone,
      minTasks: 1,
      maxTasks: config.services.maxWorkerTasks,
    }),
  );
}
const serviceImages = new ServiceImages('service-images', { prefix: config.prefix, services: specs.map((spec) => spec.name), tag: config.imageTag, tags: config.tags });
const queueNames = Object.fromEntries(Object.entries(queues.pairs).map(([name, pair]) => [name, pair.queue.name]));
const services = specs.map(
  (spec) =>
    new PlatformService(`${spec.name}-service`, {
      prefix: config.prefix,
      spec,
      placement: serviceCluster.placement,
      image: serviceImages.image(spec.name),
      region,
      logRetentionDays: config.services.logRetentionDays,
      loadBalancer: publicLoadBalancer,
      cache: { securityGroupId: cache.securityGroupId, port: cache.port },
      queueNames,
      tags: config.tags,
    }),
);
const byService = <T>(value: (service: PlatformService, name: ServiceName) => T): Record<string, T> =>
  Object.fromEntries(services.map((service, i) => [specs[i]?.name as ServiceName, value(service, specs[i]?.name as ServiceName)]));

export const stage = config.stage;
export const queueUrls = queues.urls;
export const queueArns = queues.arns;
export const deadLetterQueueUrls = queues.dlqUrls;
export const deadLetterQueueArns = queues.dlqArns;
export const queueAlarmNames = queues.alarmNames;
export const alertTopicArn = alerts.topicArn;
export const budgetName = budget.budgetName;
export const lakeBucketName = lake.bucketName;
export const lakeBucketArn = lake.bucketArn;
export const { databaseName: glueDatabaseName, analyticsWorkgroupName, sandboxWorkgroupName, sandboxGroupName, sandboxPolicyArn } = analytics;
// In the order the view DDL must run (infra/README.md).
export const viewNamedQueryIds = analytics.viewQueryIds;
// The students' example queries (docs/sandbox.md) in the student_sandbox workgroup.
export const exampleNamedQueryIds = pulumi.output(analytics.exampleQueries.map((q) => q.id));
export const etlGlueJobName = etlGlueJob.jobName;
export const etlArtifactsBucketName = etlGlueJob.artifactsBucketName;
export const platformImageRepositoryUrl = image.repositoryUrl;
// The image this deploy built and pushed, by digest (`<repository url>:<imageTag>@sha256:…`): what the jobs run.
export const platformImageUri = image.imageRef;
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
export const servicesClusterName = serviceCluster.clusterName;
// Where the public services answer: https://<service>.<publicDomain>, or http://<load balancer>:<port> without a domain.
export const publicUrls = publicLoadBalancer.urls;
export const loadBalancerDnsName = publicLoadBalancer.dnsName;
export const loadBalancerZoneId = publicLoadBalancer.zoneId;
export const redisUrl = cache.url;
// The dashboard's sign-in (HTTPS stacks only): add studio managers to this pool (infra/README.md).
export const dashboardUserPoolId = dashboardLogin?.userPoolId;
export const dashboardSignInUrl = dashboardLogin?.signInUrl;
export const serviceNames = byService((service) => service.serviceName);
export const serviceLogGroupNames = byService((service) => service.logGroupName);
export const serviceImageRepositoryUrls = byService((_, name) => serviceImages.image(name).repositoryUrl);
// The services' API-key secrets (values put by the operator, never in the stack).
export const serviceSecretNames = serviceSecrets.names;
export const jobSubnetIds = jobNetwork.subnetIds;
export const jobSecurityGroupIds = jobNetwork.securityGroupIds;
