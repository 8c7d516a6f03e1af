import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** The AWS free tier's ElastiCache node (750 hours a month for 12 months, on accounts that have that free tier): 0.5 GiB. */
export const DEFAULT_CACHE_NODE_TYPE = 'cache.t3.micro';
export const DEFAULT_CACHE_ENGINE_VERSION = '8.0';
export const DEFAULT_SNAPSHOT_RETENTION_DAYS = 1;
export const REDIS_PORT = 6379;

export interface CacheArgs {
  /** Physical name prefix (`peak-<stage>`): the replication group is `<prefix>-cache`. */
  prefix: string;
  vpcId: pulumi.Input<string>;
  /** The services' subnets: the nodes are placed in them (never reachable from outside: the group lets only the services in). */
  subnetIds: pulumi.Input<string[]>;
  nodeType?: string;
  /** Read replicas next to the primary (0–5); with one or more, automatic failover and Multi-AZ are on (prod). */
  replicas?: number;
  /** Days of daily snapshots kept (0: none); the leaderboards can be rebuilt from the lake, so 1 is enough in dev. */
  snapshotRetentionDays?: number;
  engineVersion?: string;
  tags?: Record<string, string>;
}

/**
 * The leaderboard's Redis: an ElastiCache Valkey replication group (cluster mode off: one shard, so ioredis connects to the
 * primary endpoint as to a single Redis, EVALSHA and MULTI included). TLS is required on the wire and data is encrypted at
 * rest; the services reach it as `rediss://<primary endpoint>:6379`. No AUTH token: only the security group decides who
 * connects (a token would be a secret to rotate in every client). The default parameter group (volatile-lru) fits: the
 * metrics cache and the finished boards expire, the all-time board does not. Its security group lets nothing in until a
 * PlatformService with `usesRedis` adds its own group as a source.
 */
export class Cache extends pulumi.ComponentResource {
  readonly replicationGroup: aws.elasticache.ReplicationGroup;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly securityGroupId: pulumi.Output<string>;
  readonly port = REDIS_PORT;
  /** `rediss://<primary endpoint>:6379`: the leaderboard's REDIS_URL (ioredis turns TLS on for `rediss:`). */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    const replicas = args.replicas ?? 0;
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 5) throw new Error(`Cache: replicas must be a whole number 0–5; got ${replicas}`);
    const retention = args.snapshotRetentionDays ?? DEFAULT_SNAPSHOT_RETENTION_DAYS;
    if (!Number.isInteger(retention) || retention < 0 || retention > 35) throw new Error(`Cache: snapshotRetentionDays must be a whole number 0–35; got ${retention}`);
    const nodeType = args.nodeType ?? DEFAULT_CACHE_NODE_TYPE;
    if (!/^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(nodeType)) throw new Error(`Cache: nodeType must be an ElastiCache node type such as cache.t3.micro; got ${JSON.stringify(nodeType)}`);
    super('peak:data:Cache', name, {}, opts);
    const parent = { parent: this };
    const tags = { ...(args.tags ?? {}), component: 'cache' };

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { name: `${args.prefix}-cache`, description: 'Peak Fitness Redis (ElastiCache): 6379 in from the services that use it only', vpcId: args.vpcId, tags },
      parent,
    );
    this.securityGroupId = this.securityGroup.id;
    const subnetGroup = new aws.elasticache.SubnetGroup(
      `${name}-subnets`,
      { name: `${args.prefix}-cache`, description: 'Peak Fitness Redis: the services subnets', subnetIds: args.subnetIds, tags },
      parent,
    );
    this.replicationGroup = new aws.elasticache.ReplicationGroup(
      `${name}-redis`,
      {
        replicationGroupId: `${args.prefix}-cache`,
        description: 'Peak Fitness leaderboards and metrics cache',
        engine: 'valkey',
        engineVersion: args.engineVersion ?? DEFAULT_CACHE_ENGINE_VERSION,
        nodeType,
        port: REDIS_PORT,
        clusterMode: 'disabled',
        numCacheClusters: 1 + replicas,
        // A replica is only worth its cost if it takes over: failover and Multi-AZ come with it.
        automaticFailoverEnabled: replicas > 0,
        multiAzEnabled: replicas > 0,
        subnetGroupName: subnetGroup.name,
        securityGroupIds: [this.securityGroup.id],
        transitEncryptionEnabled: true,
        transitEncryptionMode: 'required',
        atRestEncryptionEnabled: true,
        snapshotRetentionLimit: retention,
        autoMinorVersionUpgrade: true,
        applyImmediately: false,
        tags,
      },
      parent,
    );
    this.url = pulumi.interpolate`rediss://${this.replicationGroup.primaryEndpointAddress}:${REDIS_PORT}`;
    this.registerOutputs({ url: this.url, securityGroupId: this.securityGroupId });
  }
}
