import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import type { ServiceSpec } from '../src/service-spec.js';
import { runMocked as runComponents } from './fixtures/pulumi-mocks.js';
import type { Container } from './fixtures/job-inputs.js';
import { allow, grants, policyOf, trustOf, type PolicyDocument } from './fixtures/policies.js';
import { byType, MOCK_DEFAULT_SUBNETS, MOCK_DEFAULT_VPC, MOCK_IMAGE_DIGEST, type Registered } from './fixtures/pulumi-mocks.js';
import { ACCOUNT, etlSample, INGEST_KEYS_ARN, ingestSample, leaderboardSample, QUEUE_NAMES, REGION } from './fixtures/service-samples.js';

// The dev shape: the default VPC, no domain (one HTTP port per public service), one cache node; three sample services.
const SAMPLES = [ingestSample, leaderboardSample, etlSample];
const TAG = 'git-3f2a9c1';
const { resources, outputs } = await runComponents(async () => {
  const { ServiceCluster } = await import('../src/service-cluster.js');
  const { PublicLoadBalancer } = await import('../src/public-load-balancer.js');
  const { Cache } = await import('../src/cache.js');
  const { ServiceImages } = await import('../src/service-images.js');
  const { PlatformService } = await import('../src/platform-service.js');
  const tags = { project: 'peak-fitness', stage: 'test' };
  const cluster = new ServiceCluster('services', { prefix: 'peak-test', tags });
  const lb = new PublicLoadBalancer('public', { prefix: 'peak-test', vpcId: cluster.vpcId, subnetIds: cluster.subnetIds, tags });
  const cache = new Cache('cache', { prefix: 'peak-test', vpcId: cluster.vpcId, subnetIds: cluster.subnetIds, tags });
  const images = new ServiceImages('images', { prefix: 'peak-test', services: SAMPLES.map((s) => s.name), tag: TAG, tags });
  const services = SAMPLES.map(
    (spec) =>
      new PlatformService(spec.name, {
        prefix: 'peak-test',
        spec,
        placement: cluster.placement,
        image: images.image(spec.name),
        region: REGION,
        ...(spec.name === 'etl' ? { logRetentionDays: 14 } : {}),
        // Every service gets both; only the public ones attach to the load balancer, only Redis users reach the cache.
        loadBalancer: lb,
        cache: { securityGroupId: cache.securityGroupId, port: cache.port },
        queueNames: QUEUE_NAMES,
        tags,
      }),
  );
  return { urls: lb.urls, cacheUrl: cache.url, logGroups: services.map((s) => s.logGroupName) };
});
// Imported after the mocks: Pulumi resource modules load once they are set.
const { containerHealthCommand, PlatformService } = await import('../src/platform-service.js');
const { repoRootContext } = await import('../src/service-images.js');

const REPO = (service: string) => `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/peak-test-${service}`;
const REPO_ARN = (service: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/peak-test-${service}`;
const LOG_GROUP = (service: string) => `/peak/peak-test/services/${service}`;
const LOG_ARN = (service: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP(service)}`;
// Registration order follows when inputs resolve, not construction: lists are compared sorted.
const sorted = <T>(items: T[]): T[] => [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const named = (type: string, name: string): Registered | undefined => byType(resources, type).find((r) => r.inputs.name === name);
const groupId = (name: string) => named('aws:ec2/securityGroup:SecurityGroup', name)?.id;
type Rule = { securityGroupId: string; ipProtocol: string; fromPort: number; toPort: number; cidrIpv4?: string; cidrIpv6?: string; referencedSecurityGroupId?: string };
const ingress = byType(resources, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule').map((r) => r.inputs as Rule);
const egress = byType(resources, 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule').map((r) => r.inputs as Rule);
const containerOf = (service: string): Container & Record<string, unknown> => {
  const def = byType(resources, 'aws:ecs/taskDefinition:TaskDefinition').find((r) => r.inputs.family === `peak-test-${service}-service`);
  return (JSON.parse(String(def?.inputs.containerDefinitions)) as (Container & Record<string, unknown>)[])[0] as Container & Record<string, unknown>;
};

t.test('the cluster is the services’ own, with Container Insights (the scaling divides by its RunningTaskCount)', async (t) => {
  const clusters = byType(resources, 'aws:ecs/cluster:Cluster');
  t.same(clusters.map((c) => [c.inputs.name, c.inputs.settings]), [['peak-test-services', [{ name: 'containerInsights', value: 'enabled' }]]]);
});

t.test('one log group per service, with retention', async (t) => {
  const groups = byType(resources, 'aws:cloudwatch/logGroup:LogGroup');
  t.same(
    sorted(groups.map((g) => [g.inputs.name, g.inputs.retentionInDays])),
    sorted([
      [LOG_GROUP('ingest'), 30],
      [LOG_GROUP('leaderboard'), 30],
      [LOG_GROUP('etl'), 14],
    ]),
  );
  t.same(outputs.logGroups, SAMPLES.map((s) => LOG_GROUP(s.name)));
});

t.test('the execution role pulls its own image, writes its own logs and reads exactly its spec’s secrets', async (t) => {
  for (const spec of SAMPLES) {
    const role = `peak-test-${spec.name}-service-execution`;
    t.same(trustOf(resources, role).Statement, [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }], `${role} is ECS's`);
    t.same(
      grants(policyOf(resources, role)),
      [
        ...allow(['ecr:GetAuthorizationToken'], ['*']),
        ...allow(['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], [REPO_ARN(spec.name)]),
        ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`${LOG_ARN(spec.name)}:*`]),
        ...allow(['secretsmanager:GetSecretValue'], Object.values(spec.secrets) as string[]),
      ].sort(),
      `${role}: nothing else`,
    );
  }
  t.same(
    grants(policyOf(resources, 'peak-test-ingest-service-execution')).filter((g) => g.includes('secretsmanager')),
    [`Allow secretsmanager:GetSecretValue ${INGEST_KEYS_ARN}`],
    'ingest reads its API keys’ secret and no other',
  );
});

t.test('the task role has exactly the spec’s statements, as one inline policy', async (t) => {
  for (const spec of SAMPLES) {
    const role = `peak-test-${spec.name}-service-task`;
    const doc: PolicyDocument = policyOf(resources, role);
    t.same(doc, { Version: '2012-10-17', Statement: spec.taskPolicy }, role);
    t.same(trustOf(resources, role).Statement[0]?.Principal, { Service: 'ecs-tasks.amazonaws.com' });
  }
  const taskRoles = byType(resources, 'aws:iam/role:Role').filter((r) => String(r.inputs.name).endsWith('-task'));
  t.equal(taskRoles.length, SAMPLES.length, 'one task role per service');
});

t.test('the task definition: Fargate X86_64, the pushed image by digest, secrets only by ARN, a liveness health check', async (t) => {
  for (const spec of SAMPLES) {
    const def = byType(resources, 'aws:ecs/taskDefinition:TaskDefinition').find((r) => r.inputs.family === `peak-test-${spec.name}-service`)?.inputs;
    t.match(def, {
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(spec.cpu),
      memory: String(spec.memoryMib),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/peak-test-${spec.name}-service-execution`,
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/peak-test-${spec.name}-service-task`,
    });
    const c = containerOf(spec.name);
    t.equal(c.image, `${REPO(spec.name)}@${MOCK_IMAGE_DIGEST}`, 'the digest this deploy pushed');
    t.same(c.command, spec.command.length > 0 ? spec.command : undefined, 'the spec’s command, or none: the image’s CMD');
    t.same(c.portMappings, [{ containerPort: spec.port, protocol: 'tcp' }]);
    t.same(Object.fromEntries(c.environment.map((e) => [e.name, e.value])), spec.environment, 'the plain variables, as given');
    t.same(c.secrets, Object.entries(spec.secrets).map(([name, valueFrom]) => ({ name, valueFrom })), 'secrets by ARN');
    for (const value of Object.values(spec.secrets)) t.notOk(JSON.stringify(c.environment).includes(String(value)), 'no secret in the plain environment');
    t.same(c.logConfiguration, { logDriver: 'awslogs', options: { 'awslogs-group': LOG_GROUP(spec.name), 'awslogs-region': REGION, 'awslogs-stream-prefix': 'service' } });
    t.same(c.healthCheck, { command: containerHealthCommand(spec.port), interval: 30, timeout: 5, retries: 3, startPeriod: 60 });
  }
});

t.test('the container health check works with node alone: 200 passes, 503 or no answer fails', async (t) => {
  let status = 200;
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(String(req.url));
    res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  // Asynchronously: the server answers from this process's event loop.
  const run = (p: number) =>
    new Promise<number | null>((resolve) => {
      const [kind, command, ...args] = containerHealthCommand(p);
      t.equal(kind, 'CMD', 'exec form: no shell in the image needed');
      execFile(command ?? '', args, { timeout: 10_000 }, (err) => resolve(err ? (typeof err.code === 'number' ? err.code : null) : 0));
    });
  t.equal(await run(port), 0, '200: healthy');
  t.same(seen, ['/health'], 'asks the liveness route');
  status = 503;
  t.equal(await run(port), 1, '503: unhealthy');
  await new Promise((resolve) => server.close(resolve));
  t.equal(await run(port), 1, 'connection refused: unhealthy');
});

t.test('the ECS service: circuit breaker with rollback, 100/200, no ECS Exec, tags propagated, in the default subnets', async (t) => {
  for (const spec of SAMPLES) {
    const service = named('aws:ecs/service:Service', `peak-test-${spec.name}`)?.inputs;
    t.match(service, {
      cluster: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/peak-test-services`,
      taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/peak-test-${spec.name}-service:1`,
      launchType: 'FARGATE',
      desiredCount: spec.desiredCount,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      enableExecuteCommand: false,
      propagateTags: 'SERVICE',
      networkConfiguration: { subnets: [...MOCK_DEFAULT_SUBNETS].sort(), securityGroups: [groupId(`peak-test-${spec.name}`)], assignPublicIp: true },
    });
    if (spec.publicRoute) {
      t.same(service?.loadBalancers, [{ targetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/peak-test-${spec.name}/73e2d6bc24d8a067`, containerName: spec.name, containerPort: spec.port }]);
      t.equal(service?.healthCheckGracePeriodSeconds, 60, 'a grace period when load balanced');
    } else {
      t.notOk(service?.loadBalancers, `${spec.name} is behind no load balancer`);
      t.notOk(service?.healthCheckGracePeriodSeconds, 'and has no grace period (ECS refuses one without a load balancer)');
    }
  }
});

t.test('public services: an ip target group checking the spec’s health path, and a rule on their own dev port', async (t) => {
  const groups = byType(resources, 'aws:lb/targetGroup:TargetGroup');
  t.same(groups.map((g) => g.inputs.name).sort(), ['peak-test-ingest', 'peak-test-leaderboard'], 'none for the worker');
  for (const spec of [ingestSample, leaderboardSample]) {
    t.match(named('aws:lb/targetGroup:TargetGroup', `peak-test-${spec.name}`)?.inputs, {
      port: spec.port,
      protocol: 'HTTP',
      targetType: 'ip',
      vpcId: MOCK_DEFAULT_VPC,
      healthCheck: { path: spec.healthPath, matcher: '200', port: 'traffic-port', protocol: 'HTTP' },
    });
  }
  const listeners = byType(resources, 'aws:lb/listener:Listener');
  t.same(sorted(listeners.map((l) => [l.inputs.port, l.inputs.protocol])), [[4000, 'HTTP'], [4001, 'HTTP']], 'one HTTP listener per public service, on its fallback port; no 80/443');
  for (const l of listeners) t.match(l.inputs.defaultActions, [{ type: 'fixed-response', fixedResponse: { statusCode: '404' } }]);
  const rules = byType(resources, 'aws:lb/listenerRule:ListenerRule');
  t.same(
    sorted(rules.map((r) => [String(r.inputs.listenerArn).split('/').pop(), r.inputs.conditions, (r.inputs.actions as { targetGroupArn: string }[])[0]?.targetGroupArn.split('/')[1]])),
    [
      ['4000', [{ pathPattern: { values: ['/*'] } }], 'peak-test-leaderboard'],
      ['4001', [{ pathPattern: { values: ['/*'] } }], 'peak-test-ingest'],
    ],
    'each port forwards everything to its service',
  );
  const dns = `peak-test-services-1234567890.${REGION}.elb.amazonaws.com`;
  t.same(outputs.urls, { ingest: `http://${dns}:4001`, leaderboard: `http://${dns}:4000` });
  t.match(named('aws:lb/loadBalancer:LoadBalancer', 'peak-test-services')?.inputs, { internal: false, loadBalancerType: 'application', dropInvalidHeaderFields: true, idleTimeout: 60, subnets: [...MOCK_DEFAULT_SUBNETS].sort() });
});

t.test('security groups: only the load balancer takes traffic from anywhere; services from it; the cache from Redis users', async (t) => {
  const lbGroup = groupId('peak-test-services-lb');
  const cacheGroup = groupId('peak-test-cache');
  const service = (name: string) => groupId(`peak-test-${name}`);
  const open = ingress.filter((r) => r.cidrIpv4 !== undefined || r.cidrIpv6 !== undefined);
  t.same(sorted(open.map((r) => [r.securityGroupId, r.fromPort, r.cidrIpv4])), [[lbGroup, 4000, '0.0.0.0/0'], [lbGroup, 4001, '0.0.0.0/0']], 'the world reaches the load balancer’s ports only');
  const inOf = (group: string | undefined) => sorted(ingress.filter((r) => r.securityGroupId === group).map((r) => [r.fromPort, r.toPort, r.referencedSecurityGroupId]));
  t.same(inOf(service('ingest')), [[4001, 4001, lbGroup]], 'ingest: its port from the load balancer only');
  t.same(inOf(service('leaderboard')), [[4000, 4000, lbGroup]]);
  t.same(inOf(service('etl')), [], 'the worker takes nothing in');
  t.same(inOf(cacheGroup), [[6379, 6379, service('leaderboard')]], 'the cache: 6379 from the leaderboard only');
  const outOf = (group: string | undefined) => sorted(egress.filter((r) => r.securityGroupId === group).map((r) => [r.fromPort, r.cidrIpv4 ?? r.referencedSecurityGroupId]));
  t.same(outOf(service('leaderboard')), [[443, '0.0.0.0/0'], [6379, cacheGroup]], 'HTTPS out, and Redis to the cache');
  t.same(outOf(service('ingest')), [[443, '0.0.0.0/0']], 'no Redis for a service that does not use it');
  t.same(outOf(lbGroup), [[4000, service('leaderboard')], [4001, service('ingest')]], 'the load balancer reaches only its targets’ ports');
  for (const g of byType(resources, 'aws:ec2/securityGroup:SecurityGroup')) {
    t.notOk(g.inputs.ingress, `${String(g.inputs.name)}: no inline rules to fight the separate ones`);
    t.equal(g.inputs.vpcId, MOCK_DEFAULT_VPC);
  }
});

t.test('the worker scales on its queue’s backlog per task (SQS visible ÷ RunningTaskCount)', async (t) => {
  const targets = byType(resources, 'aws:appautoscaling/target:Target');
  t.same(
    targets.map((x) => x.inputs),
    [{ serviceNamespace: 'ecs', scalableDimension: 'ecs:service:DesiredCount', resourceId: 'service/peak-test-services/peak-test-etl', minCapacity: 1, maxCapacity: 4, tags: { project: 'peak-fitness', stage: 'test', component: 'platform-service', service: 'etl' } }],
    'only the worker, between its spec’s bounds',
  );
  const [policy] = byType(resources, 'aws:appautoscaling/policy:Policy');
  t.match(policy?.inputs, { name: 'peak-test-etl-queue-backlog', policyType: 'TargetTrackingScaling', resourceId: 'service/peak-test-services/peak-test-etl' });
  const config = policy?.inputs.targetTrackingScalingPolicyConfiguration as { targetValue: number; customizedMetricSpecification: { metrics: unknown[] } };
  t.equal(config.targetValue, etlSample.scaling?.backlogPerTask);
  t.same(config.customizedMetricSpecification.metrics, [
    { id: 'm1', label: 'Messages waiting in the queue', metricStat: { metric: { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: [{ name: 'QueueName', value: 'peak-test-raw-landed' }] }, stat: 'Sum' }, returnData: false },
    {
      id: 'm2',
      label: 'Tasks running in the service',
      metricStat: {
        metric: { namespace: 'ECS/ContainerInsights', metricName: 'RunningTaskCount', dimensions: [{ name: 'ClusterName', value: 'peak-test-services' }, { name: 'ServiceName', value: 'peak-test-etl' }] },
        stat: 'Average',
      },
      returnData: false,
    },
    { id: 'e1', label: 'Backlog per task', expression: 'm1 / m2', returnData: true },
  ]);
});

t.test('images: one scanned repository per service and a linux/amd64 build of services/<name>/Dockerfile from the repo root', async (t) => {
  const repos = byType(resources, 'aws:ecr/repository:Repository');
  t.same(sorted(repos.map((r) => [r.inputs.name, r.inputs.imageScanningConfiguration])), sorted(SAMPLES.map((s) => [`peak-test-${s.name}`, { scanOnPush: true }])));
  for (const p of byType(resources, 'aws:ecr/lifecyclePolicy:LifecyclePolicy')) {
    t.match(JSON.parse(String(p.inputs.policy)), { rules: [{ selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 14 }, action: { type: 'expire' } }] });
  }
  const context = repoRootContext();
  t.equal(JSON.parse(readFileSync(join(context, 'package.json'), 'utf8')).name, 'peak-fitness-platform', 'the context is the repo root');
  t.ok(existsSync(join(context, 'services', 'ingest', 'src')), 'services/ are under it');
  const images = byType(resources, 'docker-build:index:Image');
  for (const spec of SAMPLES) {
    const image = images.find((i) => i.name === `images-${spec.name}-image`)?.inputs;
    t.match(image, {
      context: { location: context },
      dockerfile: { location: `${context}/services/${spec.name}/Dockerfile` },
      platforms: ['linux/amd64'],
      push: true,
      tags: [`${REPO(spec.name)}:${TAG}`],
    });
    // The registry login holds the ECR token: Pulumi keeps it secret (the mocks see the secret's wrapper).
    const registries = image?.registries as Record<string, unknown>;
    t.equal(registries['4dabf18193072939515e22adb298388d'], '1b47061264138c4ac30d75fd1eb44270', 'the registry credentials are a secret');
    t.same(registries.value, [{ address: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`, username: 'AWS', password: 'mock-ecr-password' }], 'ECR’s own login');
  }
});

t.test('the component refuses specs it cannot deploy as asked', async (t) => {
  const base = { prefix: 'peak-test', placement: { clusterArn: 'c', clusterName: 'c', vpcId: 'v', subnetIds: ['s'], assignPublicIp: true, containerInsights: 'enabled' as const }, image: { uri: 'i', repositoryArn: 'r' }, region: REGION };
  const spec = (over: Partial<ServiceSpec>): ServiceSpec => ({ ...etlSample, ...over });
  t.throws(() => new PlatformService('x', { ...base, spec: spec({ cpu: 256, memoryMib: 4096 }), queueNames: QUEUE_NAMES }), /etl: 256 CPU units with 4096 MiB is not a Fargate task size/);
  t.throws(() => new PlatformService('x', { ...base, spec: spec({}) }), /no queue name for its scaling queue raw-landed/);
  t.throws(() => new PlatformService('x', { ...base, spec: spec({ scaling: { queue: 'raw-landed', backlogPerTask: 5, minTasks: 0, maxTasks: 2 } }), queueNames: QUEUE_NAMES }), /minTasks must be ≥ 1/);
  t.throws(() => new PlatformService('x', { ...base, spec: spec({ scaling: { queue: 'raw-landed', backlogPerTask: 5, minTasks: 3, maxTasks: 2 } }), queueNames: QUEUE_NAMES }), /maxTasks must be ≥ minTasks/);
  t.throws(() => new PlatformService('x', { ...base, placement: { ...base.placement, containerInsights: 'disabled' }, spec: spec({}), queueNames: QUEUE_NAMES }), /Container Insights/);
  t.throws(() => new PlatformService('x', { ...base, spec: ingestSample }), /a public service needs the load balancer/);
  t.throws(() => new PlatformService('x', { ...base, spec: { ...leaderboardSample, publicRoute: undefined } as ServiceSpec }), /usesRedis needs the cache/);
  t.throws(() => new PlatformService('x', { ...base, spec: spec({ taskPolicy: [{ Effect: 'Allow', Action: ['sqs:*'], Resource: ['q'] }] }), queueNames: QUEUE_NAMES }), /action wildcard/);
  t.throws(() => new PlatformService('x', { ...base, spec: spec({ taskPolicy: [] }), queueNames: QUEUE_NAMES }), /taskPolicy is empty/);
  t.throws(() => new PlatformService('x', { ...base, spec: spec({ environment: { TOKEN: 'x' }, secrets: { TOKEN: 'arn' } }), queueNames: QUEUE_NAMES }), /TOKEN both a plain variable and a secret/);
  t.throws(() => new PlatformService('x', { ...base, spec: spec({ healthPath: 'ready' }), queueNames: QUEUE_NAMES }), /healthPath must be a path/);
  t.throws(() => new PlatformService('x', { ...base, spec: spec({}), queueNames: QUEUE_NAMES, logRetentionDays: 10 }), /logRetentionDays must be one CloudWatch accepts/);
});
