import t from 'tap';
import { Value } from 'typebox/value';
import { runMocked as runComponents } from './fixtures/pulumi-mocks.js';
import { byType, MOCK_DEFAULT_SUBNETS, MOCK_DEFAULT_VPC } from './fixtures/pulumi-mocks.js';

// Two caches in one stack: dev's defaults, and prod's (a replica, a week of snapshots).
const { resources, outputs } = await runComponents(async () => {
  const { Cache } = await import('../src/cache.js');
  const subnetIds = [...MOCK_DEFAULT_SUBNETS].sort();
  const dev = new Cache('dev-cache', { prefix: 'peak-dev', vpcId: MOCK_DEFAULT_VPC, subnetIds });
  const prod = new Cache('prod-cache', { prefix: 'peak-prod', vpcId: MOCK_DEFAULT_VPC, subnetIds, replicas: 1, snapshotRetentionDays: 7, nodeType: 'cache.t4g.small' });
  return { devUrl: dev.url, prodUrl: prod.url };
});
const { Cache, DEFAULT_CACHE_NODE_TYPE } = await import('../src/cache.js');
// What the leaderboard reads REDIS_URL with, and the client it connects with.
const { configSchema } = await import('../../services/leaderboard/src/config.js');
const { Redis } = await import('ioredis');

// Registration order follows when inputs resolve, not construction: compare sorted by name.
const byName = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
const group = (id: string) => byType(resources, 'aws:elasticache/replicationGroup:ReplicationGroup').find((g) => g.inputs.replicationGroupId === id)?.inputs;

t.test('dev: one free-tier-sized Valkey node, encrypted in transit (required) and at rest, a day of snapshots', async (t) => {
  t.equal(DEFAULT_CACHE_NODE_TYPE, 'cache.t3.micro', 'a node type of the ElastiCache free tier');
  t.match(group('peak-dev-cache'), {
    engine: 'valkey',
    nodeType: 'cache.t3.micro',
    clusterMode: 'disabled',
    numCacheClusters: 1,
    automaticFailoverEnabled: false,
    multiAzEnabled: false,
    transitEncryptionEnabled: true,
    transitEncryptionMode: 'required',
    atRestEncryptionEnabled: true,
    snapshotRetentionLimit: 1,
    port: 6379,
    subnetGroupName: 'peak-dev-cache',
  });
  t.notOk(group('peak-dev-cache')?.parameterGroupName, 'the engine’s default parameter group');
  t.notOk(group('peak-dev-cache')?.authToken, 'no AUTH token: the security group decides who connects');
});

t.test('prod: a replica with automatic failover across zones, and the configured snapshots and node', async (t) => {
  t.match(group('peak-prod-cache'), { numCacheClusters: 2, automaticFailoverEnabled: true, multiAzEnabled: true, snapshotRetentionLimit: 7, nodeType: 'cache.t4g.small', transitEncryptionEnabled: true, atRestEncryptionEnabled: true });
});

t.test('in the services’ subnets, behind a group that lets nothing in by itself', async (t) => {
  const subnetGroups = byType(resources, 'aws:elasticache/subnetGroup:SubnetGroup');
  t.same(subnetGroups.map((g) => [g.inputs.name, g.inputs.subnetIds]).sort(byName), [['peak-dev-cache', [...MOCK_DEFAULT_SUBNETS].sort()], ['peak-prod-cache', [...MOCK_DEFAULT_SUBNETS].sort()]]);
  const groups = byType(resources, 'aws:ec2/securityGroup:SecurityGroup').sort((a, b) => String(a.inputs.name).localeCompare(String(b.inputs.name)));
  t.same(groups.map((g) => [g.inputs.name, g.inputs.vpcId, g.inputs.ingress]), [['peak-dev-cache', MOCK_DEFAULT_VPC, undefined], ['peak-prod-cache', MOCK_DEFAULT_VPC, undefined]]);
  t.equal(byType(resources, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule').length, 0, 'sources are added by the services that use Redis (platform-service.test.ts)');
  t.same(group('peak-dev-cache')?.securityGroupIds, [groups[0]?.id]);
});

t.test('the URL is rediss:// on the primary endpoint, which the leaderboard accepts and ioredis connects to over TLS', async (t) => {
  const url = String(outputs.devUrl);
  t.equal(url, 'rediss://master.peak-dev-cache.abc123.use1.cache.amazonaws.com:6379');
  t.ok(Value.Check(configSchema.REDIS_URL, url), 'the leaderboard’s REDIS_URL schema accepts it');
  const client = new Redis(url, { lazyConnect: true });
  t.teardown(() => client.disconnect());
  t.ok(client.options.tls, 'ioredis turns TLS on for rediss:');
  t.equal(client.options.host, 'master.peak-dev-cache.abc123.use1.cache.amazonaws.com');
  t.equal(client.options.port, 6379);
});

t.test('the cache refuses settings ElastiCache would not take', async (t) => {
  const base = { prefix: 'peak-x', vpcId: 'vpc-1', subnetIds: ['subnet-1'] };
  t.throws(() => new Cache('x', { ...base, replicas: 6 }), /replicas must be a whole number 0–5/);
  t.throws(() => new Cache('x', { ...base, replicas: -1 }), /replicas must be a whole number 0–5/);
  t.throws(() => new Cache('x', { ...base, snapshotRetentionDays: 36 }), /snapshotRetentionDays must be a whole number 0–35/);
  t.throws(() => new Cache('x', { ...base, nodeType: 't3.micro' }), /nodeType must be an ElastiCache node type/);
});
