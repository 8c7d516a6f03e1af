import { readFileSync } from 'node:fs';
import t from 'tap';
import { renderCostDoc } from '../cost/cost-doc.js';
import { classify, priceStack, runsPerMonth, unknownTypes, type Resource } from '../cost/cost-model.js';
import { HOURS_PER_MONTH, PRICES } from '../cost/prices.js';
import { registeredPerStack } from '../cost/run-stacks.js';
import { TIERS } from '../cost/usage.js';

// One program run per committed stack (Pulumi.dev.yaml, Pulumi.prod.yaml), shared by every test below.
const stacks = await registeredPerStack();
const [one, , hundred] = TIERS as [(typeof TIERS)[number], (typeof TIERS)[number], (typeof TIERS)[number]];
const close = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-9;
const r = (type: string, name: string, inputs: Record<string, unknown> = {}): Resource => ({ type, name, inputs });

t.test('every resource type the program registers is priced or listed as free of charge', async (t) => {
  t.same(stacks.map((s) => s.stack), ['dev', 'prod']);
  for (const s of stacks) {
    t.ok(s.resources.length > 50, `${s.stack}: the program ran`);
    t.same(unknownTypes(s.resources), [], `${s.stack}: no type the model does not know (add it to infra/cost/cost-model.ts)`);
  }
});

t.test('docs/cost.md is what the script writes', async (t) => {
  const committed = readFileSync(new URL('../../docs/cost.md', import.meta.url), 'utf8');
  t.ok(committed === renderCostDoc(stacks), 'docs/cost.md is out of date: run npm run infra:cost');
});

t.test('an unknown type is reported, components and IAM are not', async (t) => {
  t.equal(classify('aws:rds/instance:Instance'), 'unknown');
  t.same(unknownTypes([r('aws:rds/instance:Instance', 'db'), r('aws:iam/role:Role', 'x'), r('peak:compute:Anything', 'c'), r('pulumi:providers:aws', 'p')]), ['aws:rds/instance:Instance']);
});

t.test('schedules become runs a month', async (t) => {
  t.equal(runsPerMonth('cron(0 5 * * ? *)'), 30.4, 'daily');
  t.equal(Math.round(runsPerMonth('cron(0 4 ? * MON *)') * 100) / 100, 4.34, 'weekly');
  t.ok(close(runsPerMonth('cron(0,30 6-7 * * ? *)'), 4 * 30.4), 'a list and a range');
  t.ok(close(runsPerMonth('cron(0 6 ? * MON-FRI *)'), (5 * 30.4) / 7), 'weekdays');
  t.ok(close(runsPerMonth('rate(1 hour)'), 24 * 30.4), 'a rate');
  t.equal(runsPerMonth('at(2026-12-24T10:00:00)'), 0);
});

t.test('services, ALB, cache, Glue and budgets are priced from their inputs', async (t) => {
  const td = r('aws:ecs/taskDefinition:TaskDefinition', 'td', { family: 'peak-x-leaderboard', cpu: '512', memory: '1024', runtimePlatform: { cpuArchitecture: 'X86_64' } });
  const service = r('aws:ecs/service:Service', 'svc', {
    name: 'peak-x-leaderboard',
    taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/peak-x-leaderboard:3',
    desiredCount: 2,
    networkConfiguration: { assignPublicIp: true },
  });
  const target = r('aws:appautoscaling/target:Target', 'tg', { resourceId: 'service/peak-x-services/peak-x-leaderboard', minCapacity: 2, maxCapacity: 6 });
  const alb = r('aws:lb/loadBalancer:LoadBalancer', 'alb', { name: 'peak-x', loadBalancerType: 'application', subnets: ['a', 'b', 'c'] });
  const cache = r('aws:elasticache/replicationGroup:ReplicationGroup', 'cache', { replicationGroupId: 'peak-x-cache', engine: 'valkey', nodeType: 'cache.t4g.micro', numCacheClusters: 2 });
  const glue = r('aws:glue/job:Job', 'etl', { name: 'peak-x-etl', command: { name: 'pythonshell' }, maxCapacity: 0.0625 });
  const budgets = [r('aws:budgets/budget:Budget', 'b1'), r('aws:budgets/budget:Budget', 'b2'), r('aws:budgets/budget:Budget', 'b3')];
  const resources = [td, service, target, alb, cache, glue, ...budgets];
  t.same(unknownTypes(resources), []);
  const line = (tier: (typeof TIERS)[number], prefix: string) => priceStack(resources, tier).items.find((i) => i.item.startsWith(prefix));

  const hourly = 0.5 * PRICES.fargate.x86VcpuHour + 1 * PRICES.fargate.x86GbHour;
  t.equal(line(one, 'service peak-x-leaderboard')?.list, 2 * HOURS_PER_MONTH * hourly, 'desired count × 730 h at 1×');
  t.equal(line(hundred, 'service peak-x-leaderboard')?.list, 6 * HOURS_PER_MONTH * hourly, 'the autoscaling maximum at 100×');
  t.equal(line(one, "public IPv4 of peak-x-leaderboard's")?.list, 2 * HOURS_PER_MONTH * PRICES.publicIpv4Hour, 'a public IPv4 per task');
  t.equal(line(one, 'ALB peak-x')?.list, HOURS_PER_MONTH * PRICES.alb.hour);
  t.equal(line(one, 'public IPv4 of ALB')?.list, 3 * HOURS_PER_MONTH * PRICES.publicIpv4Hour, 'one address per subnet');
  t.ok(close(line(one, 'valkey peak-x-cache')?.list, 2 * HOURS_PER_MONTH * 0.016 * 0.8), 'two nodes, Valkey 20% below Redis OSS');
  t.match(line(one, 'job peak-x-etl (0.0625 DPU)'), { kind: 'usage' }, 'the Python-shell job priced per run');
  const budget = line(one, 'budgets');
  t.ok(budget && close(budget.list - budget.free, PRICES.budgets.budgetDay * 30.4), 'the third budget is charged, two are free');
  t.throws(() => priceStack([r('aws:elasticache/cluster:Cluster', 'c', { nodeType: 'cache.x9.huge' })], one), /no ElastiCache price for node type cache.x9.huge/, 'an unpriced node type fails loudly');
});
