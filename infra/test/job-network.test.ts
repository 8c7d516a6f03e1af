import t from 'tap';
import { byType, MOCK_DEFAULT_SUBNETS, MOCK_DEFAULT_VPC, MOCK_OTHER_VPC, runProgram, type Registered } from './fixtures/pulumi-mocks.js';

// Two stacks in one file: none of the network keys (the default VPC), then subnets without groups.
const defaults = await runProgram({ 'peak-fitness:stage': 'test' });
const subnetsOnly = await runProgram({ 'peak-fitness:stage': 'own', 'peak-fitness:jobSubnetIds': 'subnet-0123abcd', 'peak-fitness:jobAssignPublicIp': 'true' }, 'subnets-only');

// The jobs' own group (the services have theirs: ServiceCluster, PublicLoadBalancer, Cache).
const jobGroups = (resources: Registered[]) => byType(resources, 'aws:ec2/securityGroup:SecurityGroup').filter((g) => String(g.inputs.name).endsWith('-jobs'));
type Network = { subnets: string[]; securityGroups: string[]; assignPublicIp: boolean };
type Rule = { protocol: string; fromPort: number; toPort: number; cidrBlocks?: string[]; ipv6CidrBlocks?: string[] };
const networksOf = (resources: Registered[]): Network[] =>
  byType(resources, 'aws:scheduler/schedule:Schedule').map((s) => (s.inputs.target as { ecsParameters: { networkConfiguration: Network } }).ecsParameters.networkConfiguration);

t.test('without network keys the jobs run in the default VPC’s default subnets, with a public IP', async (t) => {
  // The services' cluster looks the default VPC up the same way: every lookup is one of these two.
  const ec2Calls = defaults.calls.filter((c) => c.token.startsWith('aws:ec2/'));
  t.same([...new Set(ec2Calls.map((c) => c.token))].sort(), ['aws:ec2/getSubnets:getSubnets', 'aws:ec2/getVpc:getVpc'], 'looks up the default VPC and its subnets');
  for (const call of ec2Calls.filter((c) => c.token === 'aws:ec2/getVpc:getVpc')) t.equal(call.inputs.default, true, 'asks for the default VPC');
  for (const call of ec2Calls.filter((c) => c.token === 'aws:ec2/getSubnets:getSubnets')) {
    t.same(
      call.inputs.filters,
      [
        { name: 'vpc-id', values: [MOCK_DEFAULT_VPC] },
        { name: 'default-for-az', values: ['true'] },
      ],
      'its default subnets (one per availability zone) only',
    );
  }
  const [group] = jobGroups(defaults.resources);
  const networks = networksOf(defaults.resources);
  t.equal(networks.length, 4, 'every schedule: the two churn jobs, crm-sync and the campaign planner');
  for (const n of networks) {
    t.same(n.subnets, [...MOCK_DEFAULT_SUBNETS].sort(), 'the default subnets, in a stable order');
    t.same(n.securityGroups, [group?.id], 'the created group');
    t.equal(n.assignPublicIp, true, 'a public IP: the default VPC reaches AWS only through its internet gateway');
  }
  t.same(defaults.outputs.jobSubnetIds, [...MOCK_DEFAULT_SUBNETS].sort(), 'the subnets are a stack output');
});

t.test('the created security group lets HTTPS out and nothing in', async (t) => {
  const groups = jobGroups(defaults.resources);
  t.equal(groups.length, 1, 'one group for the jobs');
  const group = groups[0]?.inputs as { name: string; vpcId: string; ingress: Rule[]; egress: Rule[] } | undefined;
  t.equal(group?.name, 'peak-test-jobs');
  t.equal(group?.vpcId, MOCK_DEFAULT_VPC, 'in the default VPC');
  t.same(group?.ingress, [], 'no inbound rule');
  t.match(group?.egress, [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'] }], 'HTTPS out');
  t.equal(group?.egress.length, 1, 'and nothing else out');
  const widening = [...byType(defaults.resources, 'aws:ec2/securityGroupRule:SecurityGroupRule'), ...byType(defaults.resources, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule'), ...byType(defaults.resources, 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule')].filter(
    (r) => r.inputs.securityGroupId === groups[0]?.id,
  );
  t.same(widening, [], 'no separate rules that could widen it');
});

t.test('subnets without groups: the group is created in the subnets’ VPC; jobAssignPublicIp is honoured', async (t) => {
  const ec2Calls = subnetsOnly.calls.filter((c) => c.token.startsWith('aws:ec2/'));
  t.same(ec2Calls.filter((c) => c.token === 'aws:ec2/getSubnet:getSubnet').map((c) => c.inputs.id), ['subnet-0123abcd'], 'the subnet names the VPC');
  const groups = jobGroups(subnetsOnly.resources);
  t.same(groups.map((g) => [g.inputs.name, g.inputs.vpcId]), [['peak-own-jobs', MOCK_OTHER_VPC]], 'the group is in the subnets’ VPC');
  for (const n of networksOf(subnetsOnly.resources)) {
    t.same(n.subnets, ['subnet-0123abcd']);
    t.same(n.securityGroups, [groups[0]?.id]);
    t.equal(n.assignPublicIp, true, 'public IP as configured (a public subnet without NAT)');
  }
});
