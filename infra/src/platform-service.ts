import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { ServiceRouter } from './public-load-balancer.js';
import { assumedBy, awsLogs, checkJobSize, DEFAULT_LOG_RETENTION_DAYS, executionPolicyDocument, fargateTaskShape } from './scheduled-job.js';
import type { ServicePlacement } from './service-cluster.js';
import type { ServiceSpec } from './service-spec.js';

/** service-kit's liveness route (every service has it): the container check, so a dependency outage never kills tasks. */
export const LIVENESS_PATH = '/health';
/** Seconds the load balancer's failing checks are ignored after a task starts (boot, readiness checks, first connections). */
export const HEALTH_CHECK_GRACE_SECONDS = 60;
/** Seconds a deregistered task keeps its open requests (and SSE streams, which the client reopens) before it is stopped. */
export const DEREGISTRATION_DELAY_SECONDS = 30;
/** Scale out quickly on a growing backlog; scale in slowly so a lull between batches does not drop tasks at once. */
export const SCALE_OUT_COOLDOWN_SECONDS = 60;
export const SCALE_IN_COOLDOWN_SECONDS = 300;
/** The retention periods CloudWatch Logs accepts (any other value is refused at deploy). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export interface PlatformServiceArgs {
  /** Physical name prefix (`peak-<stage>`). */
  prefix: string;
  spec: ServiceSpec;
  /** The services' cluster and network (ServiceCluster.placement). */
  placement: ServicePlacement;
  /** The image the task runs and its repository (the execution role may pull from it only). */
  image: { uri: pulumi.Input<string>; repositoryArn: pulumi.Input<string> };
  region: pulumi.Input<string>;
  logRetentionDays?: number;
  /** The public load balancer (PublicLoadBalancer): required for a spec with `publicRoute`, unused otherwise. */
  loadBalancer?: ServiceRouter;
  /** The cache's security group and port (Cache): required for a spec with `usesRedis`, unused otherwise. */
  cache?: { securityGroupId: pulumi.Input<string>; port: number };
  /** Physical queue names by logical name (`raw-landed` → `peak-<stage>-raw-landed`); must hold the spec's scaling queue. */
  queueNames?: Record<string, pulumi.Input<string>>;
  tags?: Record<string, string>;
}

/** The queue-backlog target tracking's metrics: the documented "SQS backlog per task" metric math. */
export function backlogPerTaskMetrics(p: { queueName: pulumi.Input<string>; clusterName: pulumi.Input<string>; serviceName: pulumi.Input<string> }) {
  return [
    {
      id: 'm1',
      label: 'Messages waiting in the queue',
      metricStat: { metric: { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: [{ name: 'QueueName', value: p.queueName }] }, stat: 'Sum' },
      returnData: false,
    },
    {
      id: 'm2',
      label: 'Tasks running in the service',
      metricStat: {
        metric: {
          namespace: 'ECS/ContainerInsights',
          metricName: 'RunningTaskCount',
          dimensions: [
            { name: 'ClusterName', value: p.clusterName },
            { name: 'ServiceName', value: p.serviceName },
          ],
        },
        stat: 'Average',
      },
      returnData: false,
    },
    { id: 'e1', label: 'Backlog per task', expression: 'm1 / m2', returnData: true },
  ];
}

/** The container's health check: GET the liveness route with Node's fetch (the slim images have no curl or wget). */
export function containerHealthCommand(port: number): string[] {
  const script = `fetch('http://127.0.0.1:${port}${LIVENESS_PATH}',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return ['CMD', 'node', '-e', script];
}

/**
 * One long-running service of the platform on Fargate, from its ServiceSpec: the log group, the execution role (pull its
 * image, write its log group, read exactly the spec's secrets), the task role (exactly the spec's statements, one inline
 * policy), the task definition, its own security group, the ECS service (circuit breaker with rollback, no ECS Exec), and
 * when the spec says so the target group and listener rule on the public load balancer, the security group rules to the
 * cache, and the scaling on its queue's backlog per task.
 *
 * Names carry `-service` where the scheduled jobs use the bare name (`<prefix>-crm-sync-task` is crm-sync's job role):
 * `<prefix>-<service>-service-execution`/`-task`, task family `<prefix>-<service>-service`, log group
 * `/peak/<prefix>/services/<service>`; the ECS service, its security group and its target group are `<prefix>-<service>`.
 */
export class PlatformService extends pulumi.ComponentResource {
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly executionRole: aws.iam.Role;
  readonly taskRole: aws.iam.Role;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly service: aws.ecs.Service;
  readonly targetGroup?: aws.lb.TargetGroup;
  /** The service's main listener rule (its host, or its whole fallback port). */
  readonly listenerRule?: aws.lb.ListenerRule;
  /** Every listener rule forwarding to it: the main rule and, for a `login` route on HTTPS, its API rule. */
  readonly listenerRules: aws.lb.ListenerRule[] = [];
  readonly scalingTarget?: aws.appautoscaling.Target;
  readonly scalingPolicy?: aws.appautoscaling.Policy;
  readonly serviceName: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: PlatformServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const spec = args.spec;
    checkSpec(args);
    super('peak:compute:PlatformService', name, {}, opts);
    const parent = { parent: this };
    const tags = { ...(args.tags ?? {}), component: 'platform-service', service: spec.name };
    const physical = `${args.prefix}-${spec.name}`;

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/peak/${args.prefix}/services/${spec.name}`, retentionInDays: args.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS, tags },
      parent,
    );
    this.logGroupName = this.logGroup.name;

    const secretEntries = Object.entries(spec.secrets).sort(([a], [b]) => a.localeCompare(b));
    this.executionRole = new aws.iam.Role(
      `${name}-execution`,
      { name: `${physical}-service-execution`, description: `ECS: pull ${spec.name}'s image, write its logs, read its secrets`, assumeRolePolicy: assumedBy('ecs-tasks.amazonaws.com'), tags },
      parent,
    );
    const executionPolicy = new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      {
        name: 'pull-image-write-logs-read-secrets',
        role: this.executionRole.id,
        policy: executionPolicyDocument({ repositoryArn: args.image.repositoryArn, logGroupArn: this.logGroup.arn, secretArns: secretEntries.map(([, arn]) => arn) }),
      },
      parent,
    );
    this.taskRole = new aws.iam.Role(
      `${name}-task`,
      { name: `${physical}-service-task`, description: `${spec.name}: what its code calls, on its own resources`, assumeRolePolicy: assumedBy('ecs-tasks.amazonaws.com'), tags },
      parent,
    );
    const taskPolicy = new aws.iam.RolePolicy(
      `${name}-task-policy`,
      { name: `${spec.name}-service`, role: this.taskRole.id, policy: pulumi.jsonStringify({ Version: '2012-10-17', Statement: spec.taskPolicy }) },
      parent,
    );

    const environment = Object.entries(spec.environment)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([variable, value]) => ({ name: variable, value }));
    this.taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task-definition`,
      {
        family: `${physical}-service`,
        ...fargateTaskShape({ cpu: spec.cpu, memoryMib: spec.memoryMib }),
        executionRoleArn: this.executionRole.arn,
        taskRoleArn: this.taskRole.arn,
        containerDefinitions: pulumi.jsonStringify([
          {
            name: spec.name,
            image: args.image.uri,
            essential: true,
            // An empty command runs the image's own CMD (the service Dockerfiles' `node server.mjs`).
            ...(spec.command.length > 0 ? { command: spec.command } : {}),
            portMappings: [{ containerPort: spec.port, protocol: 'tcp' }],
            environment,
            // ECS reads each secret with the execution role when the task starts: values are in no task definition or log.
            secrets: secretEntries.map(([variable, arn]) => ({ name: variable, valueFrom: arn })),
            logConfiguration: awsLogs(this.logGroup.name, args.region, 'service'),
            // Liveness, not readiness: a Redis or SQS outage must not get every task replaced at once (the load balancer
            // checks readiness, and keeps routing when every target fails).
            healthCheck: { command: containerHealthCommand(spec.port), interval: 30, timeout: 5, retries: 3, startPeriod: 60 },
          },
        ]),
        tags,
      },
      // The task definition's secrets must be readable before a task starts.
      { parent: this, dependsOn: [executionPolicy] },
    );

    // Rules are separate resources (the load balancer's and the cache's groups get rules from several services).
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { name: physical, description: `Peak Fitness ${spec.name}: ${spec.publicRoute ? `${spec.port} in from the load balancer only` : 'nothing in'}; HTTPS out`, vpcId: args.placement.vpcId, tags },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-out-https`,
      { securityGroupId: this.securityGroup.id, description: 'HTTPS to AWS APIs, ECR and third-party APIs', ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0', tags },
      parent,
    );
    if (spec.usesRedis && args.cache) {
      const port = args.cache.port;
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-out-redis`,
        { securityGroupId: this.securityGroup.id, description: 'Redis (TLS)', ipProtocol: 'tcp', fromPort: port, toPort: port, referencedSecurityGroupId: args.cache.securityGroupId, tags },
        parent,
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-cache-in`,
        { securityGroupId: args.cache.securityGroupId, description: `Redis from ${spec.name}`, ipProtocol: 'tcp', fromPort: port, toPort: port, referencedSecurityGroupId: this.securityGroup.id, tags },
        parent,
      );
    }

    // Tasks start with their grants in place (the readiness checks call AWS at once).
    const dependsOn: pulumi.Resource[] = [taskPolicy];
    if (spec.publicRoute && args.loadBalancer) {
      const routing = args.loadBalancer.route(spec.name, spec.publicRoute);
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-in-lb`,
        { securityGroupId: this.securityGroup.id, description: `${spec.name}'s port from the load balancer`, ipProtocol: 'tcp', fromPort: spec.port, toPort: spec.port, referencedSecurityGroupId: routing.loadBalancerSecurityGroupId, tags },
        parent,
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-lb-out`,
        { securityGroupId: routing.loadBalancerSecurityGroupId, description: `to ${spec.name} (requests and health checks)`, ipProtocol: 'tcp', fromPort: spec.port, toPort: spec.port, referencedSecurityGroupId: this.securityGroup.id, tags },
        parent,
      );
      this.targetGroup = new aws.lb.TargetGroup(
        `${name}-tg`,
        {
          name: physical,
          port: spec.port,
          protocol: 'HTTP',
          targetType: 'ip',
          vpcId: args.placement.vpcId,
          deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
          healthCheck: { enabled: true, path: spec.healthPath, port: 'traffic-port', protocol: 'HTTP', matcher: '200', interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
          tags,
        },
        parent,
      );
      const forward = { type: 'forward', targetGroupArn: this.targetGroup.arn };
      // HTTPS: its host (and a login route's API paths); the dev fallback port: the whole listener is this service's.
      for (const rule of routing.rules) {
        const listenerRule = new aws.lb.ListenerRule(
          `${name}-rule${rule.key ? `-${rule.key}` : ''}`,
          {
            listenerArn: routing.listenerArn,
            priority: rule.priority,
            // A login route: the load balancer signs the user in (or answers 401) before anything reaches the service.
            actions: rule.authenticate ? [{ type: 'authenticate-cognito', order: 1, authenticateCognito: rule.authenticate }, { ...forward, order: 2 }] : [forward],
            conditions: rule.conditions,
            tags,
          },
          parent,
        );
        this.listenerRules.push(listenerRule);
        if (!rule.key) this.listenerRule = listenerRule;
      }
      // ECS refuses a target group that no load balancer uses yet.
      dependsOn.push(...this.listenerRules);
    }

    const scaling = spec.scaling;
    this.service = new aws.ecs.Service(
      `${name}-service`,
      {
        name: physical,
        cluster: args.placement.clusterArn,
        taskDefinition: this.taskDefinition.arn,
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
        desiredCount: scaling ? Math.min(Math.max(spec.desiredCount, scaling.minTasks), scaling.maxTasks) : spec.desiredCount,
        networkConfiguration: { subnets: args.placement.subnetIds, securityGroups: [this.securityGroup.id], assignPublicIp: args.placement.assignPublicIp },
        // A deploy whose tasks do not become healthy is stopped and the previous task definition restored.
        deploymentCircuitBreaker: { enable: true, rollback: true },
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        // No shell into tasks: it would need ssmmessages grants in the task role, beyond what the code calls.
        enableExecuteCommand: false,
        enableEcsManagedTags: true,
        propagateTags: 'SERVICE',
        ...(this.targetGroup
          ? {
              loadBalancers: [{ targetGroupArn: this.targetGroup.arn, containerName: spec.name, containerPort: spec.port }],
              healthCheckGracePeriodSeconds: HEALTH_CHECK_GRACE_SECONDS,
            }
          : {}),
        tags,
      },
      // With scaling, the task count is Application Auto Scaling's: a deploy must not reset it.
      { parent: this, dependsOn, ...(scaling ? { ignoreChanges: ['desiredCount'] } : {}) },
    );
    this.serviceName = this.service.name;

    if (scaling) {
      const queueName = args.queueNames?.[scaling.queue];
      if (queueName === undefined) throw new Error(`${spec.name}: no queue name for ${scaling.queue}`); // checkSpec refused it already
      this.scalingTarget = new aws.appautoscaling.Target(
        `${name}-scaling-target`,
        {
          serviceNamespace: 'ecs',
          scalableDimension: 'ecs:service:DesiredCount',
          resourceId: pulumi.interpolate`service/${args.placement.clusterName}/${this.service.name}`,
          minCapacity: scaling.minTasks,
          maxCapacity: scaling.maxTasks,
          tags,
        },
        parent,
      );
      this.scalingPolicy = new aws.appautoscaling.Policy(
        `${name}-scaling-policy`,
        {
          name: `${physical}-queue-backlog`,
          policyType: 'TargetTrackingScaling',
          serviceNamespace: this.scalingTarget.serviceNamespace,
          scalableDimension: this.scalingTarget.scalableDimension,
          resourceId: this.scalingTarget.resourceId,
          targetTrackingScalingPolicyConfiguration: {
            targetValue: scaling.backlogPerTask,
            scaleOutCooldown: SCALE_OUT_COOLDOWN_SECONDS,
            scaleInCooldown: SCALE_IN_COOLDOWN_SECONDS,
            customizedMetricSpecification: { metrics: backlogPerTaskMetrics({ queueName, clusterName: args.placement.clusterName, serviceName: this.service.name }) },
          },
        },
        parent,
      );
    }

    this.registerOutputs({ serviceName: this.serviceName, logGroupName: this.logGroupName });
  }
}

/** Refuses a spec the component cannot deploy as asked, before any resource is registered. */
function checkSpec(args: PlatformServiceArgs): void {
  const spec = args.spec;
  const what = `PlatformService ${spec.name}`;
  checkJobSize(spec.name, { cpu: spec.cpu, memoryMib: spec.memoryMib });
  if (args.logRetentionDays !== undefined && !LOG_RETENTION_DAYS.includes(args.logRetentionDays)) {
    throw new Error(`${what}: logRetentionDays must be one CloudWatch accepts (${LOG_RETENTION_DAYS.join(', ')}); got ${args.logRetentionDays}`);
  }
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) throw new Error(`${what}: port must be a port number; got ${spec.port}`);
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(spec.healthPath)) throw new Error(`${what}: healthPath must be a path starting with "/"; got ${JSON.stringify(spec.healthPath)}`);
  if (!Number.isInteger(spec.desiredCount) || spec.desiredCount < 0) throw new Error(`${what}: desiredCount must be a whole number ≥ 0; got ${spec.desiredCount}`);
  if (spec.taskPolicy.length === 0) throw new Error(`${what}: taskPolicy is empty (IAM refuses a policy without statements)`);
  for (const s of spec.taskPolicy) {
    if (s.Action.some((a) => a === '*' || a.endsWith(':*'))) throw new Error(`${what}: taskPolicy ${s.Sid ?? ''} grants an action wildcard`);
  }
  const overlap = Object.keys(spec.secrets).filter((k) => k in spec.environment);
  if (overlap.length > 0) throw new Error(`${what}: ${overlap.join(', ')} both a plain variable and a secret`);
  if (spec.publicRoute && !args.loadBalancer) throw new Error(`${what}: a public service needs the load balancer`);
  if (spec.usesRedis && !args.cache) throw new Error(`${what}: usesRedis needs the cache`);
  const scaling = spec.scaling;
  if (scaling) {
    // Target tracking gets no data point while no task runs (m1 / 0), so it could never scale out from zero.
    if (!Number.isInteger(scaling.minTasks) || scaling.minTasks < 1) throw new Error(`${what}: scaling.minTasks must be ≥ 1; got ${scaling.minTasks}`);
    if (!Number.isInteger(scaling.maxTasks) || scaling.maxTasks < scaling.minTasks) throw new Error(`${what}: scaling.maxTasks must be ≥ minTasks; got ${scaling.maxTasks}`);
    if (!(scaling.backlogPerTask > 0)) throw new Error(`${what}: scaling.backlogPerTask must be above 0; got ${scaling.backlogPerTask}`);
    if (args.queueNames?.[scaling.queue] === undefined) throw new Error(`${what}: no queue name for its scaling queue ${scaling.queue}`);
    if (args.placement.containerInsights === 'disabled') throw new Error(`${what}: queue scaling divides by Container Insights' RunningTaskCount; the cluster has it disabled`);
  }
  const physical = `${args.prefix}-${spec.name}`;
  // Target group names stop at 32 characters.
  if (spec.publicRoute && physical.length > 32) throw new Error(`${what}: ${physical} is longer than a target group name may be (32)`);
}
