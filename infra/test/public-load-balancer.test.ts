import t from 'tap';
import { runMocked as runComponents } from './fixtures/pulumi-mocks.js';
import { byType, MOCK_OTHER_VPC, type Registered } from './fixtures/pulumi-mocks.js';
import { ACCOUNT, ingestSample, leaderboardSample, REGION } from './fixtures/service-samples.js';

// The prod shape: a domain and its certificate (HTTPS, routed by host), own subnets, Redis left out (cache.test.ts).
const DOMAIN = 'peakfitness.example.com';
const CERTIFICATE = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`;
const SUBNETS = ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'];
const { resources, calls, outputs } = await runComponents(async () => {
  const { ServiceCluster } = await import('../src/service-cluster.js');
  const { PublicLoadBalancer } = await import('../src/public-load-balancer.js');
  const { PlatformService } = await import('../src/platform-service.js');
  const cluster = new ServiceCluster('services', { prefix: 'peak-prod', subnetIds: SUBNETS });
  const lb = new PublicLoadBalancer('public', { prefix: 'peak-prod', vpcId: cluster.vpcId, subnetIds: cluster.subnetIds, https: { domain: DOMAIN, certificateArn: CERTIFICATE }, deletionProtection: true });
  // The notifier's spec needs its URL before it exists; it is attached with the same route later.
  const notifierUrl = lb.urlOf('notifier', { subdomain: 'mail', fallbackPort: 4003 });
  for (const spec of [ingestSample, { ...leaderboardSample, usesRedis: false }]) {
    new PlatformService(spec.name, {
      prefix: 'peak-prod',
      spec,
      placement: cluster.placement,
      image: { uri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/peak-prod-${spec.name}@sha256:00`, repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/peak-prod-${spec.name}` },
      region: REGION,
      loadBalancer: lb,
    });
  }
  const refused = [
    () => lb.route('notifier', { subdomain: 'notifier', fallbackPort: 4003 }),
    () => lb.route('crm-sync', { subdomain: 'ingest', fallbackPort: 4005 }),
    () => lb.route('crm-sync', { subdomain: 'crm', fallbackPort: 4001 }),
    () => lb.route('ingest', { subdomain: 'ingest', fallbackPort: 4001 }),
    () => lb.route('crm-sync', { subdomain: 'a.b', fallbackPort: 4005 }),
  ].map((attempt) => {
    try {
      attempt();
      return 'attached';
    } catch (err) {
      return (err as Error).message;
    }
  });
  lb.route('notifier', { subdomain: 'mail', fallbackPort: 4003 });
  return { urls: lb.urls, notifierUrl, refused };
});
const { PublicLoadBalancer, DEFAULT_SSL_POLICY } = await import('../src/public-load-balancer.js');

// Registration order follows when inputs resolve, not construction: compare sorted.
const byFirst = (i: number) => (a: unknown[], b: unknown[]) => Number(a[i]) - Number(b[i]);
const listeners = byType(resources, 'aws:lb/listener:Listener');
const listener = (port: number): Registered | undefined => listeners.find((l) => l.inputs.port === port);

t.test('HTTPS on 443 with the certificate and a modern TLS policy; anything but a service’s host gets a 404', async (t) => {
  t.same(listeners.map((l) => Number(l.inputs.port)).sort((a, b) => a - b), [80, 443], 'two listeners, whatever the number of services');
  t.match(listener(443)?.inputs, { protocol: 'HTTPS', certificateArn: CERTIFICATE, sslPolicy: DEFAULT_SSL_POLICY, defaultActions: [{ type: 'fixed-response', fixedResponse: { statusCode: '404' } }] });
  t.match(DEFAULT_SSL_POLICY, /^ELBSecurityPolicy-TLS13-1-2-/, 'TLS 1.3 and 1.2 only');
});

t.test('port 80 only redirects to HTTPS (same host, path and query)', async (t) => {
  t.same(listener(80)?.inputs.defaultActions, [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }]);
  t.notOk(listener(80)?.inputs.certificateArn);
});

t.test('each service is routed by its host under the domain, on the HTTPS listener', async (t) => {
  const rules = byType(resources, 'aws:lb/listenerRule:ListenerRule');
  t.same(
    rules.map((r) => [String(r.inputs.listenerArn).split('/').pop(), r.inputs.priority, r.inputs.conditions]).sort(byFirst(1)),
    [
      ['443', 100, [{ hostHeader: { values: [`ingest.${DOMAIN}`] } }]],
      ['443', 101, [{ hostHeader: { values: [`leaderboard.${DOMAIN}`] } }]],
    ],
  );
  t.same(outputs.urls, { ingest: `https://ingest.${DOMAIN}`, leaderboard: `https://leaderboard.${DOMAIN}`, notifier: `https://mail.${DOMAIN}` }, 'https base URLs');
  t.equal(outputs.notifierUrl, `https://mail.${DOMAIN}`, 'known before the notifier is attached (its links)');
});

t.test('the load balancer: public, in the given subnets and their VPC, only 80 and 443 open to the world', async (t) => {
  t.match(byType(resources, 'aws:lb/loadBalancer:LoadBalancer')[0]?.inputs, { name: 'peak-prod-services', internal: false, subnets: SUBNETS, enableDeletionProtection: true, dropInvalidHeaderFields: true });
  t.same(calls.filter((c) => c.token.startsWith('aws:ec2/')).map((c) => [c.token, c.inputs.id]), [['aws:ec2/getSubnet:getSubnet', SUBNETS[0]]], 'no default VPC lookup: the first subnet names the VPC');
  const group = byType(resources, 'aws:ec2/securityGroup:SecurityGroup').find((g) => g.inputs.name === 'peak-prod-services-lb');
  t.equal(group?.inputs.vpcId, MOCK_OTHER_VPC);
  const open = byType(resources, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule').filter((r) => r.inputs.cidrIpv4 !== undefined);
  t.same(open.map((r) => [r.inputs.securityGroupId, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]).sort(byFirst(1)), [[group?.id, 80, 80, '0.0.0.0/0'], [group?.id, 443, 443, '0.0.0.0/0']]);
  const service = byType(resources, 'aws:ecs/service:Service').find((s) => s.inputs.name === 'peak-prod-ingest');
  t.match(service?.inputs.networkConfiguration, { subnets: SUBNETS, assignPublicIp: false }, 'given subnets: no public IP unless configured');
});

t.test('the load balancer refuses routes and settings it cannot serve', async (t) => {
  const base = { prefix: 'peak-prod', vpcId: 'vpc-1', subnetIds: SUBNETS };
  t.match(outputs.refused, [
    /notifier was given the route \{"subdomain":"mail","fallbackPort":4003\} before, now \{"subdomain":"notifier"/,
    /crm-sync and ingest share the subdomain ingest/,
    /crm-sync and ingest share the fallback port 4001/,
    /ingest is routed twice/,
    /crm-sync's subdomain must be one DNS label/,
  ]);
  t.throws(() => new PublicLoadBalancer('x', { ...base, https: { domain: 'https://example.com', certificateArn: CERTIFICATE } }), /https.domain must be a lowercase domain name/);
  t.throws(() => new PublicLoadBalancer('x', { ...base, https: { domain: DOMAIN, certificateArn: 'arn:aws:iam::123456789012:server-certificate/x' } }), /must be an ACM certificate ARN/);
});
