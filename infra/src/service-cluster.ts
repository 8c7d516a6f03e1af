import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { defaultVpcSubnets } from './job-network.js';

export interface ServiceClusterArgs {
  /** Physical name prefix (`peak-<stage>`): the cluster is `<prefix>-services`. */
  prefix: string;
  /** Subnets of the services' tasks, the load balancer and the cache (one VPC, at least two availability zones); absent: the default VPC's default subnets. */
  subnetIds?: string[];
  /** Give each task a public IP; absent: yes in the default VPC (its only way out is the internet gateway), no in given subnets. */
  assignPublicIp?: boolean;
  /**
   * CloudWatch Container Insights on the cluster: `enabled` (default) publishes the per-service `RunningTaskCount` the
   * queue workers' scaling divides by; `disabled` only when no service scales on a queue.
   */
  containerInsights?: 'enabled' | 'enhanced' | 'disabled';
  tags?: Record<string, string>;
}

/**
 * Where the long-running services run: their own ECS cluster (not the jobs' `<prefix>-jobs`: Container Insights, which the
 * queue scaling needs, is billed per metric and the jobs do not need it; and the schedulers' `ecs:cluster` condition keeps
 * naming a cluster that holds only the scheduled jobs) and the network they share with the load balancer and the cache.
 * No NAT gateway (about $33 a month each, plus data): tasks in the default VPC get a public IP and security groups that
 * let nothing in except from the load balancer.
 */
export class ServiceCluster extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;
  readonly clusterArn: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly vpcId: pulumi.Output<string>;
  readonly subnetIds: pulumi.Output<string[]>;
  readonly assignPublicIp: boolean;
  readonly containerInsights: 'enabled' | 'enhanced' | 'disabled';

  constructor(name: string, args: ServiceClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.subnetIds?.length === 0) throw new Error('ServiceCluster: subnetIds, when given, must list at least one subnet');
    super('peak:compute:ServiceCluster', name, {}, opts);
    const invoke = { parent: this };
    const tags = { ...(args.tags ?? {}), component: 'service-cluster' };

    if (args.subnetIds === undefined) {
      // An Application Load Balancer needs subnets in two availability zones at least.
      ({ vpcId: this.vpcId, subnetIds: this.subnetIds } = defaultVpcSubnets(invoke, 2, 'peak-fitness:serviceSubnetIds'));
    } else {
      // All subnets share one VPC (ECS, the load balancer and ElastiCache require it); the first one names it.
      this.vpcId = aws.ec2.getSubnetOutput({ id: args.subnetIds[0] }, invoke).vpcId;
      this.subnetIds = pulumi.output([...args.subnetIds]);
    }
    this.assignPublicIp = args.assignPublicIp ?? args.subnetIds === undefined;
    this.containerInsights = args.containerInsights ?? 'enabled';

    this.cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      { name: `${args.prefix}-services`, settings: [{ name: 'containerInsights', value: this.containerInsights }], tags },
      { parent: this },
    );
    this.clusterArn = this.cluster.arn;
    this.clusterName = this.cluster.name;
    this.registerOutputs({ clusterArn: this.clusterArn, clusterName: this.clusterName, vpcId: this.vpcId, subnetIds: this.subnetIds });
  }

  /** What a PlatformService needs of the cluster and network. */
  get placement(): ServicePlacement {
    return { clusterArn: this.clusterArn, clusterName: this.clusterName, vpcId: this.vpcId, subnetIds: this.subnetIds, assignPublicIp: this.assignPublicIp, containerInsights: this.containerInsights };
  }
}

/** The cluster and network a service runs in (ServiceCluster's outputs). */
export interface ServicePlacement {
  clusterArn: pulumi.Input<string>;
  clusterName: pulumi.Input<string>;
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string[]>;
  assignPublicIp: boolean;
  /** The queue scaling divides by Container Insights' RunningTaskCount: a scaled service refuses a cluster without it. */
  containerInsights: 'enabled' | 'enhanced' | 'disabled';
}
