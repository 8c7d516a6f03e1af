/**
 * The cost model: prices what the Pulumi program registers (types and inputs, as run under the mocks) at the
 * volume tiers of usage.ts with the dated prices of prices.ts. A registered type is either priced here, listed in
 * NO_CHARGE with the reason, or reported as unknown (the test fails on it).
 */
import { lakeZones, queueList } from '@peak/contracts';
import { ALWAYS_FREE, DAYS_PER_MONTH, HOURS_PER_MONTH, PRICES } from './prices.js';
import { TIERS, USAGE, type Tier } from './usage.js';
import { dailyVolumes, sampleVolumes } from './volumes.js';

/** A registered resource: its type token and the inputs the program gave it. */
export interface Resource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export interface LineItem {
  service: string;
  item: string;
  kind: 'fixed' | 'usage';
  /** What is counted, in words (e.g. "2 alarms", "1.2 M requests"). */
  quantity: string;
  /** Monthly list price, USD. */
  list: number;
  /** The part the always-free allowances cover, USD. */
  free: number;
}

export interface TierCost {
  tier: Tier;
  items: LineItem[];
  list: number;
  free: number;
  net: number;
}

/** Types that are priced (through their inputs, or through the usage they carry). */
export const PRICED_TYPES: Readonly<Record<string, string>> = {
  'aws:ecs/service:Service': 'Fargate vCPU and memory × desired count (autoscaling bounds), public IPv4 per task',
  'aws:ecs/taskDefinition:TaskDefinition': 'Fargate vCPU and memory per run of the schedules that start it (or the services that run it)',
  'aws:scheduler/schedule:Schedule': 'invocations (cron → runs a month) and the Fargate task each starts',
  'aws:lb/loadBalancer:LoadBalancer': 'ALB hours, LCUs, a public IPv4 per subnet when internet-facing',
  'aws:elasticache/replicationGroup:ReplicationGroup': 'node-hours × nodes (node type, engine)',
  'aws:elasticache/cluster:Cluster': 'node-hours × nodes (unless it belongs to a replication group)',
  'aws:elasticache/serverlessCache:ServerlessCache': 'GB-hours stored and ECPUs',
  'aws:dynamodb/table:Table': 'on-demand request units, storage, point-in-time recovery',
  'aws:sqs/queue:Queue': 'requests (messages × 3, idle long polls)',
  'aws:s3/bucket:Bucket': 'the lake: storage by zone retention, PUT and GET requests; other buckets: a little storage',
  'aws:s3/bucketV2:BucketV2': 'as aws:s3/bucket:Bucket',
  'aws:glue/job:Job': 'DPU-hours per run (1-minute minimum)',
  'aws:glue/catalogDatabase:CatalogDatabase': 'Data Catalog objects and requests',
  'aws:glue/catalogTable:CatalogTable': 'Data Catalog objects and requests',
  'aws:athena/workgroup:Workgroup': 'TB scanned (10 MB minimum per query)',
  'aws:kms/key:Key': 'key-months and requests',
  'aws:secretsmanager/secret:Secret': 'secret-months and API calls',
  'aws:cloudwatch/metricAlarm:MetricAlarm': 'alarm-months (standard or high resolution)',
  'aws:cloudwatch/compositeAlarm:CompositeAlarm': 'alarm-months',
  'aws:cloudwatch/logGroup:LogGroup': 'GB ingested and stored',
  'aws:cloudwatch/dashboard:Dashboard': 'dashboard-months',
  'aws:cloudwatch/logMetricFilter:LogMetricFilter': 'one custom metric each',
  'aws:sesv2/configurationSet:ConfigurationSet': 'emails sent through it',
  'aws:sns/topic:Topic': 'publishes (SES events) and email deliveries',
  'aws:ecr/repository:Repository': 'GB of images stored',
  'aws:budgets/budget:Budget': 'budget-days beyond the free two',
  'aws:ec2/natGateway:NatGateway': 'hours and GB processed',
  'aws:ec2/eip:Eip': 'public IPv4 hours',
  'aws:ec2/vpcEndpoint:VpcEndpoint': 'interface endpoints: hours per AZ (gateway endpoints are free)',
  'aws:route53/zone:Zone': 'hosted zone-months',
};

/** Types with no charge of their own, and why. */
export const NO_CHARGE: Readonly<Record<string, string>> = {
  'aws:iam/*': 'IAM is free',
  'aws:ecs/cluster:Cluster': 'an ECS cluster is free; its Fargate tasks are priced',
  'aws:ecs/clusterCapacityProviders:ClusterCapacityProviders': 'configuration',
  'aws:ecr/lifecyclePolicy:LifecyclePolicy': 'configuration',
  'aws:ecr/repositoryPolicy:RepositoryPolicy': 'configuration',
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': 'bucket configuration',
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': 'SSE-S3 is free',
  'aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2': 'SSE-S3 is free',
  'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration': 'expiry actions are free (transitions are not; none configured)',
  'aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2': 'expiry actions are free',
  'aws:s3/bucketPolicy:BucketPolicy': 'configuration',
  'aws:s3/bucketObjectv2:BucketObjectv2': 'a small object (a script); its bytes are in its bucket\'s storage',
  'aws:s3/bucketObject:BucketObject': 'a small object; its bytes are in its bucket\'s storage',
  'aws:s3/bucketVersioning:BucketVersioning': 'configuration (versioning is off: no noncurrent copies)',
  'aws:s3/bucketVersioningV2:BucketVersioningV2': 'configuration',
  'aws:s3/bucketOwnershipControls:BucketOwnershipControls': 'configuration',
  'aws:sqs/queuePolicy:QueuePolicy': 'configuration',
  'aws:sqs/redrivePolicy:RedrivePolicy': 'configuration',
  'aws:sqs/redriveAllowPolicy:RedriveAllowPolicy': 'configuration',
  'aws:sns/topicSubscription:TopicSubscription': 'deliveries to SQS are free; email deliveries priced on the topic',
  'aws:sns/topicPolicy:TopicPolicy': 'configuration',
  'aws:kms/alias:Alias': 'aliases are free',
  'aws:secretsmanager/secretVersion:SecretVersion': 'versions are free',
  'aws:secretsmanager/secretPolicy:SecretPolicy': 'configuration',
  'aws:athena/namedQuery:NamedQuery': 'saved SQL is free; running it is priced on the workgroup',
  'aws:sesv2/emailIdentity:EmailIdentity': 'identities are free; emails priced on the configuration set',
  'aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes': 'configuration',
  'aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination': 'event publishing is free; the SNS publishes are priced on the topic',
  'aws:sesv2/accountSuppressionAttributes:AccountSuppressionAttributes': 'configuration',
  'aws:ec2/securityGroup:SecurityGroup': 'free',
  'aws:ec2/securityGroupRule:SecurityGroupRule': 'free',
  'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule': 'free',
  'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule': 'free',
  'aws:ec2/vpc:Vpc': 'free',
  'aws:ec2/subnet:Subnet': 'free',
  'aws:ec2/internetGateway:InternetGateway': 'free (public IPv4 addresses are priced where they are used)',
  'aws:ec2/routeTable:RouteTable': 'free',
  'aws:ec2/route:Route': 'free',
  'aws:ec2/routeTableAssociation:RouteTableAssociation': 'free',
  'aws:lb/targetGroup:TargetGroup': 'included in the ALB',
  'aws:lb/listener:Listener': 'included in the ALB (rule evaluations count in LCUs)',
  'aws:lb/listenerRule:ListenerRule': 'included in the ALB',
  'aws:lb/targetGroupAttachment:TargetGroupAttachment': 'included in the ALB',
  'aws:appautoscaling/target:Target': 'Application Auto Scaling is free; its bounds size the service',
  'aws:appautoscaling/policy:Policy': 'free (its CloudWatch alarms are created by AWS and not billed to target tracking)',
  'aws:appautoscaling/scheduledAction:ScheduledAction': 'free',
  'aws:elasticache/subnetGroup:SubnetGroup': 'configuration',
  'aws:elasticache/parameterGroup:ParameterGroup': 'configuration',
  'aws:elasticache/user:User': 'configuration',
  'aws:elasticache/userGroup:UserGroup': 'configuration',
  'aws:scheduler/scheduleGroup:ScheduleGroup': 'configuration',
  'aws:cloudwatch/logResourcePolicy:LogResourcePolicy': 'configuration',
  'aws:cloudwatch/eventRule:EventRule': 'rules on AWS service events (default bus) are free',
  'aws:cloudwatch/eventTarget:EventTarget': 'configuration',
  'aws:cognito/userPool:UserPool':
    "monthly active users: the dashboard's studio managers are far inside the always-free 10,000 MAUs of the Lite plan (then $0.0055 per MAU); TOTP MFA and Cognito's own invitation emails are free",
  'aws:cognito/userPoolClient:UserPoolClient': 'configuration (no client-credentials grants, which are the priced machine-to-machine use)',
  'aws:cognito/userPoolDomain:UserPoolDomain': 'a Cognito prefix domain is free',
  'aws:acm/certificate:Certificate': 'public certificates are free',
  'aws:acm/certificateValidation:CertificateValidation': 'free',
  'aws:route53/record:Record': 'records are free; queries to ALB aliases are free',
  'aws:budgets/budgetAction:BudgetAction': 'priced with its budget (action-enabled budgets: first two free)',
  'docker-build:index:Image': 'built where `pulumi up` runs; its storage is priced on the ECR repository',
  'pulumi:pulumi:Stack': 'Pulumi',
  'pulumi:providers:*': 'Pulumi provider',
  'peak:*': 'a component (a grouping of resources)',
};

/** How the model classifies a type: priced, no charge, or unknown. */
export function classify(type: string): 'priced' | 'no-charge' | 'unknown' {
  if (type in PRICED_TYPES) return 'priced';
  if (type in NO_CHARGE) return 'no-charge';
  const [pkg, module] = type.split(':');
  if (`${pkg}:${(module ?? '').split('/')[0]}/*` in NO_CHARGE || `${pkg}:${module}:*` in NO_CHARGE || `${pkg}:*` in NO_CHARGE) return 'no-charge';
  return 'unknown';
}

export const unknownTypes = (resources: readonly Resource[]): string[] =>
  [...new Set(resources.map((r) => r.type).filter((t) => classify(t) === 'unknown'))].sort();

// --- reading inputs ---------------------------------------------------------------------------------------------

const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : fallback);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const familyOf = (arn: unknown): string | undefined => (typeof arn === 'string' ? /task-definition\/([^:/]+)/.exec(arn)?.[1] : undefined);

interface TaskShape {
  vcpu: number;
  gb: number;
  arm: boolean;
}
function taskShapes(resources: readonly Resource[]): Map<string, TaskShape> {
  const shapes = new Map<string, TaskShape>();
  for (const r of resources.filter((x) => x.type === 'aws:ecs/taskDefinition:TaskDefinition')) {
    const platform = obj(r.inputs.runtimePlatform);
    shapes.set(String(r.inputs.family), { vcpu: num(r.inputs.cpu, 256) / 1024, gb: num(r.inputs.memory, 512) / 1024, arm: platform.cpuArchitecture === 'ARM64' });
  }
  return shapes;
}

const fargateHourly = (s: TaskShape) => (s.arm ? s.vcpu * PRICES.fargate.armVcpuHour + s.gb * PRICES.fargate.armGbHour : s.vcpu * PRICES.fargate.x86VcpuHour + s.gb * PRICES.fargate.x86GbHour);

/** Values one EventBridge cron field matches (`*`, lists, ranges, steps, names); `?`/`L`/`W`/`#` count as one. */
function fieldCount(text: string, min: number, max: number, names: readonly string[] = []): number {
  if (text === '*' || text === '?') return max - min + 1;
  let count = 0;
  for (const item of text.split(',')) {
    const [base = '', step] = item.split('/');
    const value = (s: string) => (names.includes(s.toUpperCase()) ? names.indexOf(s.toUpperCase()) + min : Number(s));
    const [lo, hi] = base === '*' ? [min, max] : base.includes('-') ? base.split('-').map(value) : [value(base), step === undefined ? value(base) : max];
    count += Number.isFinite(lo) && Number.isFinite(hi) ? Math.floor(((hi ?? lo ?? 0) - (lo ?? 0)) / Number(step ?? 1)) + 1 : 1;
  }
  return count;
}

/** Runs a month of an EventBridge Scheduler expression: cron(...), rate(...); at(...) counts as none. */
export function runsPerMonth(expression: string): number {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const minutes = Number(rate[1]) * (rate[2]?.startsWith('minute') ? 1 : rate[2]?.startsWith('hour') ? 60 : 1440);
    return (DAYS_PER_MONTH * 1440) / minutes;
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (!cron) return 0;
  const [minutes = '0', hours = '0', dom = '*', month = '*', dow = '?'] = cron[1]?.trim().split(/\s+/) ?? [];
  const perDay = fieldCount(minutes, 0, 59) * fieldCount(hours, 0, 23);
  const months = fieldCount(month, 1, 12, ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']) / 12;
  const days = dow !== '?' && dow !== '*' ? (fieldCount(dow, 1, 7, ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']) * DAYS_PER_MONTH) / 7 : dom === '*' || dom === '?' ? DAYS_PER_MONTH : fieldCount(dom, 1, 31);
  return perDay * days * months;
}

// --- pricing ----------------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const millions = (n: number) => (n >= 100_000 ? `${fmt(n / 1e6, 2)} M` : fmt(n));
const gb = (bytes: number) => bytes / 1e9;
const tierIndex = (tier: Tier) => Math.max(0, TIERS.findIndex((t) => t.factor === tier.factor));

/** What one stack costs a month at one tier. */
export function priceStack(resources: readonly Resource[], tier: Tier): TierCost {
  const f = tier.factor;
  const items: LineItem[] = [];
  const add = (service: string, item: string, kind: LineItem['kind'], quantity: string, list: number, free = 0) =>
    items.push({ service, item, kind, quantity, list, free: Math.min(list, Math.max(0, free)) });
  const of = (type: string) => resources.filter((r) => r.type === type);
  const daily = dailyVolumes();
  const shapes = taskShapes(resources);
  const datasetCount = daily.datasets.length;

  // Fargate: long-running services (desired count, or the autoscaling bounds).
  const services = of('aws:ecs/service:Service');
  const targets = of('aws:appautoscaling/target:Target');
  let serviceTasks = 0;
  for (const s of services) {
    const family = familyOf(s.inputs.taskDefinition);
    const shape = family === undefined ? undefined : shapes.get(family);
    const serviceName = String(s.inputs.name ?? s.name);
    const target = targets.find((t) => String(t.inputs.resourceId ?? '').endsWith(`/${serviceName}`));
    const desired = num(s.inputs.desiredCount, 1);
    const tasks = target && f >= 100 ? num(target.inputs.maxCapacity, desired) : desired;
    serviceTasks += tasks;
    if (!shape) {
      add('ECS Fargate', `service ${serviceName}: task definition not found`, 'fixed', `${tasks} tasks`, 0);
      continue;
    }
    add('ECS Fargate', `service ${serviceName} (${shape.vcpu} vCPU / ${shape.gb} GB${shape.arm ? ', ARM' : ''})`, 'fixed', `${tasks} task${tasks === 1 ? '' : 's'} × 730 h`, tasks * HOURS_PER_MONTH * fargateHourly(shape));
    if (obj(s.inputs.networkConfiguration).assignPublicIp === true) add('VPC', `public IPv4 of ${serviceName}'s tasks`, 'fixed', `${tasks} × 730 h`, tasks * HOURS_PER_MONTH * PRICES.publicIpv4Hour);
  }

  // Scheduled Fargate tasks.
  let jobRuns = 0;
  let scheduleInvocations = 0;
  for (const s of of('aws:scheduler/schedule:Schedule')) {
    const runs = runsPerMonth(String(s.inputs.scheduleExpression ?? ''));
    scheduleInvocations += runs;
    const ecs = obj(obj(s.inputs.target).ecsParameters);
    const family = familyOf(ecs.taskDefinitionArn);
    const shape = family === undefined ? undefined : shapes.get(family);
    if (!shape || family === undefined) continue;
    const count = num(ecs.taskCount, 1);
    const key = Object.keys(USAGE.jobMinutes).find((k) => family.endsWith(k));
    const minutes = (key === undefined ? USAGE.defaultJobMinutes : (USAGE.jobMinutes[key] ?? USAGE.defaultJobMinutes))[tierIndex(tier)] ?? 10;
    const hours = (runs * count * Math.max(1, minutes)) / 60;
    jobRuns += runs * count;
    add('ECS Fargate', `job ${family} (${shape.vcpu} vCPU / ${shape.gb} GB)`, 'usage', `${fmt(runs, 1)} runs × ${minutes} min`, hours * fargateHourly(shape));
    if (obj(ecs.networkConfiguration).assignPublicIp === true) add('VPC', `public IPv4 of ${family}'s tasks`, 'usage', `${fmt(hours, 1)} h`, hours * PRICES.publicIpv4Hour);
  }
  if (scheduleInvocations > 0) {
    add('EventBridge Scheduler', 'invocations', 'usage', `${fmt(scheduleInvocations)} invocations`, (scheduleInvocations / 1e6) * PRICES.scheduler.millionInvocations, (Math.min(scheduleInvocations, ALWAYS_FREE.schedulerInvocations) / 1e6) * PRICES.scheduler.millionInvocations);
  }

  // ALB.
  for (const lb of of('aws:lb/loadBalancer:LoadBalancer')) {
    if (lb.inputs.loadBalancerType !== undefined && lb.inputs.loadBalancerType !== 'application') {
      add('Elastic Load Balancing', `${String(lb.inputs.loadBalancerType)} load balancer ${String(lb.inputs.name ?? lb.name)}: not modelled`, 'fixed', '—', 0);
      continue;
    }
    const name = String(lb.inputs.name ?? lb.name);
    add('Elastic Load Balancing', `ALB ${name}`, 'fixed', '730 h', HOURS_PER_MONTH * PRICES.alb.hour);
    const requestsPerSecond = USAGE.albRequestsPerDay(f) / 86_400;
    const gbPerHour = (gb(USAGE.albRequestsPerDay(f) * USAGE.albBytesPerRequest) + gb(daily.exportBytes * f)) / 24;
    const lcu = Math.max(requestsPerSecond / 25, gbPerHour / 1, requestsPerSecond / 1000);
    add('Elastic Load Balancing', `ALB ${name}: LCUs`, 'usage', `${fmt(lcu, 3)} LCU avg`, lcu * HOURS_PER_MONTH * PRICES.alb.lcuHour);
    if (lb.inputs.internal !== true) {
      const ips = Math.max(2, Array.isArray(lb.inputs.subnets) ? lb.inputs.subnets.length : Array.isArray(lb.inputs.subnetMappings) ? lb.inputs.subnetMappings.length : 2);
      add('VPC', `public IPv4 of ALB ${name}`, 'fixed', `${ips} × 730 h`, ips * HOURS_PER_MONTH * PRICES.publicIpv4Hour);
    }
  }

  // ElastiCache.
  const nodeHour = (nodeType: string, engine: unknown): number => {
    const price = PRICES.elasticacheNodeHour[nodeType];
    if (price === undefined) throw new Error(`no ElastiCache price for node type ${nodeType}: add it to infra/cost/prices.ts`);
    return engine === 'valkey' ? price * (1 - PRICES.elasticacheValkeyDiscount) : price;
  };
  for (const g of of('aws:elasticache/replicationGroup:ReplicationGroup')) {
    const nodeType = String(g.inputs.nodeType ?? 'cache.t4g.micro');
    const shards = num(g.inputs.numNodeGroups, 1);
    const nodes = g.inputs.numCacheClusters !== undefined ? num(g.inputs.numCacheClusters, 1) : shards * (1 + num(g.inputs.replicasPerNodeGroup, 0));
    add('ElastiCache', `${String(g.inputs.engine ?? 'redis')} ${String(g.inputs.replicationGroupId ?? g.name)} (${nodeType})`, 'fixed', `${nodes} node${nodes === 1 ? '' : 's'} × 730 h`, nodes * HOURS_PER_MONTH * nodeHour(nodeType, g.inputs.engine));
  }
  for (const c of of('aws:elasticache/cluster:Cluster')) {
    if (c.inputs.replicationGroupId !== undefined) continue;
    const nodeType = String(c.inputs.nodeType ?? 'cache.t4g.micro');
    const nodes = num(c.inputs.numCacheNodes, 1);
    add('ElastiCache', `${String(c.inputs.engine ?? 'redis')} ${String(c.inputs.clusterId ?? c.name)} (${nodeType})`, 'fixed', `${nodes} node${nodes === 1 ? '' : 's'} × 730 h`, nodes * HOURS_PER_MONTH * nodeHour(nodeType, c.inputs.engine));
  }
  for (const c of of('aws:elasticache/serverlessCache:ServerlessCache')) {
    const valkey = c.inputs.engine === 'valkey';
    const gbStored = Math.max(valkey ? 0.1 : 1, 0.05 * f);
    add('ElastiCache', `serverless ${String(c.inputs.name ?? c.name)} (${String(c.inputs.engine)})`, 'usage', `${fmt(gbStored, 2)} GB × 730 h`, gbStored * HOURS_PER_MONTH * (valkey ? PRICES.elasticacheServerless.valkeyGbHour : PRICES.elasticacheServerless.redisGbHour));
  }

  // Glue ETL job.
  for (const j of of('aws:glue/job:Job')) {
    const command = obj(j.inputs.command);
    const dpu = j.inputs.workerType !== undefined
      ? num(j.inputs.numberOfWorkers, 2) * ({ 'G.025X': 0.25, 'G.1X': 1, 'G.2X': 2, 'G.4X': 4, 'G.8X': 8, Standard: 1 } as Record<string, number>)[String(j.inputs.workerType)]!
      : num(j.inputs.maxCapacity, command.name === 'pythonshell' ? 0.0625 : 10);
    const runs = datasetCount * USAGE.exportFilesPerDatasetPerDay * USAGE.glueRunsPerFile * DAYS_PER_MONTH;
    const mbPerRun = (daily.exportBytes * f) / 1e6 / datasetCount;
    const minutes = 1 + Math.floor(mbPerRun / USAGE.glueMbPerMinute);
    add('Glue', `job ${String(j.inputs.name ?? j.name)} (${dpu} DPU)`, 'usage', `${fmt(runs)} runs × ${minutes} min`, ((runs * minutes) / 60) * dpu * PRICES.glue.dpuHour);
  }

  // Athena, Glue Data Catalog.
  const queriesPerDay = USAGE.athenaQueriesPerDay(f);
  if (of('aws:athena/workgroup:Workgroup').length > 0) {
    const perQuery = Math.max(PRICES.athena.minBytesPerQuery, USAGE.athenaDaysPerQuery * daily.parquetBytes * f);
    const training = USAGE.athenaTrainingDays * daily.parquetBytes * f * (52 / 12);
    const tb = (queriesPerDay * DAYS_PER_MONTH * perQuery + training) / 1e12;
    add('Athena', 'data scanned', 'usage', `${fmt(queriesPerDay * DAYS_PER_MONTH)} queries, ${fmt(tb * 1000, 2)} GB`, tb * PRICES.athena.tbScanned);
  }
  const catalogObjects = of('aws:glue/catalogDatabase:CatalogDatabase').length + of('aws:glue/catalogTable:CatalogTable').length;
  if (catalogObjects > 0) {
    const requests = queriesPerDay * DAYS_PER_MONTH * 5;
    const list = (Math.max(0, catalogObjects) / 100_000) * PRICES.glue.catalogHundredThousandObjects + (requests / 1e6) * PRICES.glue.catalogMillionRequests;
    const free = (Math.min(catalogObjects, ALWAYS_FREE.glueCatalogObjects) / 100_000) * PRICES.glue.catalogHundredThousandObjects + (Math.min(requests, ALWAYS_FREE.glueCatalogRequests) / 1e6) * PRICES.glue.catalogMillionRequests;
    add('Glue Data Catalog', 'objects and requests', 'usage', `${catalogObjects} objects, ${millions(requests)} requests`, list, free);
  }

  // S3: the lake by zone retention; any other bucket (e.g. the ETL job's artifacts) holds a few small files.
  for (const b of [...of('aws:s3/bucket:Bucket'), ...of('aws:s3/bucketV2:BucketV2')]) {
    const name = String(b.inputs.bucket ?? b.name);
    if (!/-lake\b/.test(name)) {
      add('S3', `${name}: storage`, 'usage', `${USAGE.otherBucketGb} GB`, USAGE.otherBucketGb * PRICES.s3.gbMonth);
      continue;
    }
    const raw = daily.exportBytes * f * lakeZones.raw.retentionDays;
    const processed = daily.parquetBytes * f * lakeZones.processed.retentionDays;
    const results = queriesPerDay * 7 * USAGE.athenaResultBytes;
    const stored = raw + processed + results;
    add('S3', `${name}: storage (raw ${lakeZones.raw.retentionDays} d, processed ${lakeZones.processed.retentionDays} d, results 7 d)`, 'usage', `${fmt(gb(stored), 2)} GB`, gb(stored) * PRICES.s3.gbMonth);
    const puts = (datasetCount * (USAGE.exportFilesPerDatasetPerDay + USAGE.s3PutsPerDatasetPerDay) + queriesPerDay * USAGE.s3PutsPerQuery) * DAYS_PER_MONTH;
    const gets = queriesPerDay * USAGE.athenaDaysPerQuery * USAGE.s3GetsPerQueryDay * DAYS_PER_MONTH;
    add('S3', `${name}: requests`, 'usage', `${millions(puts)} PUT/LIST, ${millions(gets)} GET`, (puts / 1000) * PRICES.s3.thousandPuts + (gets / 1000) * PRICES.s3.thousandGets);
  }

  // SQS.
  const queues = of('aws:sqs/queue:Queue');
  const emails = USAGE.emailsPerMemberMonth * sampleVolumes().generator.members * f;
  if (queues.length > 0) {
    const dlq = (q: Resource) => String(q.inputs.name ?? '').endsWith('-dlq');
    const mainQueues = queues.filter((q) => !dlq(q)).length;
    const byName = Object.fromEntries(queueList.map((q) => [q.name, 0])) as Record<string, number>;
    byName['raw-landed'] = datasetCount * USAGE.exportFilesPerDatasetPerDay * DAYS_PER_MONTH;
    byName['batch-processed'] = byName['raw-landed'];
    byName['attendance-events'] = (daily.datasets.find((d) => d.name === 'attendance')?.rows ?? 0) * f * DAYS_PER_MONTH;
    byName['email-requests'] = emails;
    byName['ses-events'] = emails * USAGE.sesEventsPerEmail;
    const messages = Object.values(byName).reduce((s, n) => s + n, 0);
    // Consumers long-poll only when the services run: no service deployed, no idle polling.
    const idle = services.length > 0 ? mainQueues * USAGE.sqsIdleReceivesPerQueueMonth : 0;
    const requests = messages * USAGE.sqsRequestsPerMessage + idle;
    add('SQS', `requests (${queues.length} queues${services.length > 0 ? ', idle long polls of one consumer each' : ''})`, 'usage', `${millions(requests)} requests`, (requests / 1e6) * PRICES.sqs.millionRequests, (Math.min(requests, ALWAYS_FREE.sqsRequests) / 1e6) * PRICES.sqs.millionRequests);
  }

  // SES, SNS.
  if (of('aws:sesv2/configurationSet:ConfigurationSet').length > 0) {
    add('SES', 'outbound email', 'usage', `${fmt(emails)} emails`, (emails / 1000) * PRICES.ses.thousandEmails);
  }
  for (const t of of('aws:sns/topic:Topic')) {
    const name = String(t.inputs.name ?? t.name);
    const publishes = name.includes('ses-events') ? emails * USAGE.sesEventsPerEmail : 100;
    add('SNS', `${name}: publishes`, 'usage', `${millions(publishes)} publishes`, (publishes / 1e6) * PRICES.sns.millionPublishes, (Math.min(publishes, ALWAYS_FREE.snsPublishes) / 1e6) * PRICES.sns.millionPublishes);
  }

  // DynamoDB.
  const tables = of('aws:dynamodb/table:Table');
  if (tables.length > 0) {
    const wru = emails * USAGE.wruPerEmail;
    const rru = emails * USAGE.rruPerEmail;
    add('DynamoDB', `on-demand requests (${tables.length} tables)`, 'usage', `${millions(wru)} WRU, ${millions(rru)} RRU`, (wru / 1e6) * PRICES.dynamodb.millionWru + (rru / 1e6) * PRICES.dynamodb.millionRru);
    const stored = gb(emails * USAGE.dynamodbBytesPerEmail * USAGE.dynamodbMonthsKept);
    add('DynamoDB', 'storage', 'usage', `${fmt(stored, 2)} GB`, stored * PRICES.dynamodb.gbMonth, Math.min(stored, ALWAYS_FREE.dynamodbGb) * PRICES.dynamodb.gbMonth);
    const pitr = tables.filter((t) => obj(t.inputs.pointInTimeRecovery).enabled === true).length;
    if (pitr > 0) add('DynamoDB', `point-in-time recovery (${pitr} tables)`, 'usage', `${fmt(stored, 2)} GB`, stored * PRICES.dynamodb.pitrGbMonth);
  }

  // KMS, Secrets Manager.
  const keys = of('aws:kms/key:Key').length;
  if (keys > 0) {
    add('KMS', 'customer managed keys', 'fixed', `${keys} key${keys === 1 ? '' : 's'}`, keys * PRICES.kms.keyMonth);
    // SNS caches a data key for its reuse period (300 s): at most ~8,800 SES calls a month per key.
    const requests = keys * Math.min(emails * USAGE.sesEventsPerEmail, (DAYS_PER_MONTH * 86_400) / 300);
    add('KMS', 'requests', 'usage', `${fmt(requests)} requests`, (requests / 10_000) * PRICES.kms.tenThousandRequests, (Math.min(requests, ALWAYS_FREE.kmsRequests) / 10_000) * PRICES.kms.tenThousandRequests);
  }
  const secrets = of('aws:secretsmanager/secret:Secret').length;
  if (secrets > 0) {
    add('Secrets Manager', 'secrets', 'fixed', `${secrets} secret${secrets === 1 ? '' : 's'}`, secrets * PRICES.secretsManager.secretMonth);
    const calls = (jobRuns + serviceTasks * DAYS_PER_MONTH) * USAGE.secretCallsPerTaskStart;
    add('Secrets Manager', 'API calls', 'usage', `${fmt(calls)} calls`, (calls / 10_000) * PRICES.secretsManager.tenThousandCalls);
  }

  // CloudWatch.
  const alarms = of('aws:cloudwatch/metricAlarm:MetricAlarm');
  const composite = of('aws:cloudwatch/compositeAlarm:CompositeAlarm').length;
  if (alarms.length + composite > 0) {
    const highRes = alarms.filter((a) => num(a.inputs.period, 60) < 60).length;
    const list = (alarms.length - highRes) * PRICES.cloudwatch.alarmMonth + highRes * PRICES.cloudwatch.highResolutionAlarmMonth + composite * PRICES.cloudwatch.compositeAlarmMonth;
    const free = Math.min(alarms.length - highRes, ALWAYS_FREE.cloudwatchAlarms) * PRICES.cloudwatch.alarmMonth;
    add('CloudWatch', 'alarms', 'fixed', `${alarms.length + composite} alarms`, list, free);
  }
  const dashboards = of('aws:cloudwatch/dashboard:Dashboard').length;
  if (dashboards > 0) add('CloudWatch', 'dashboards', 'fixed', `${dashboards}`, dashboards * PRICES.cloudwatch.dashboardMonth, Math.min(dashboards, ALWAYS_FREE.cloudwatchDashboards) * PRICES.cloudwatch.dashboardMonth);
  const filters = of('aws:cloudwatch/logMetricFilter:LogMetricFilter').length;
  if (filters > 0) add('CloudWatch', 'custom metrics (log metric filters)', 'fixed', `${filters}`, filters * PRICES.cloudwatch.metricMonth, Math.min(filters, 10) * PRICES.cloudwatch.metricMonth);
  const logGroups = of('aws:cloudwatch/logGroup:LogGroup').length;
  if (logGroups > 0) {
    const ingested = serviceTasks * USAGE.logsGbPerServiceTaskMonth * Math.sqrt(f) + (jobRuns * USAGE.logsMbPerJobRun) / 1000;
    const list = ingested * PRICES.cloudwatch.logsIngestGb + ingested * PRICES.cloudwatch.logsStoredGbMonth;
    const freeGb = Math.min(ingested, ALWAYS_FREE.cloudwatchLogsGb);
    add('CloudWatch', `logs (${logGroups} groups, 30-day retention)`, 'usage', `${fmt(ingested, 2)} GB ingested`, list, freeGb * (PRICES.cloudwatch.logsIngestGb + PRICES.cloudwatch.logsStoredGbMonth));
  }

  // ECR, Budgets, network.
  const repos = of('aws:ecr/repository:Repository').length;
  if (repos > 0) add('ECR', `image storage (${repos} repositor${repos === 1 ? 'y' : 'ies'})`, 'fixed', `${USAGE.ecrStoredGb * repos} GB`, USAGE.ecrStoredGb * repos * PRICES.ecr.gbMonth);
  const budgets = of('aws:budgets/budget:Budget').length;
  if (budgets > 0) {
    const list = budgets * PRICES.budgets.budgetDay * DAYS_PER_MONTH;
    add('Budgets', 'budgets', 'fixed', `${budgets} budget${budgets === 1 ? '' : 's'}`, list, Math.min(budgets, PRICES.budgets.freeBudgets) * PRICES.budgets.budgetDay * DAYS_PER_MONTH);
  }
  for (const n of of('aws:ec2/natGateway:NatGateway')) add('VPC', `NAT gateway ${n.name}`, 'fixed', '730 h', HOURS_PER_MONTH * (PRICES.nat.hour + PRICES.publicIpv4Hour));
  const eips = of('aws:ec2/eip:Eip').length;
  if (eips > 0) add('VPC', 'Elastic IPs', 'fixed', `${eips} × 730 h`, eips * HOURS_PER_MONTH * PRICES.publicIpv4Hour);
  for (const e of of('aws:ec2/vpcEndpoint:VpcEndpoint')) {
    if (e.inputs.vpcEndpointType !== 'Interface') continue;
    const azs = Array.isArray(e.inputs.subnetIds) ? e.inputs.subnetIds.length : 2;
    add('VPC', `interface endpoint ${String(e.inputs.serviceName ?? e.name)}`, 'fixed', `${azs} AZ × 730 h`, azs * HOURS_PER_MONTH * PRICES.vpcInterfaceEndpoint.azHour);
  }
  const zones = of('aws:route53/zone:Zone').length;
  if (zones > 0) add('Route 53', 'hosted zones', 'fixed', `${zones}`, zones * PRICES.route53.hostedZoneMonth);

  const list = items.reduce((s, i) => s + i.list, 0);
  const free = items.reduce((s, i) => s + i.free, 0);
  return { tier, items, list, free, net: list - free };
}

export const priceTiers = (resources: readonly Resource[]): TierCost[] => TIERS.map((tier) => priceStack(resources, tier));
