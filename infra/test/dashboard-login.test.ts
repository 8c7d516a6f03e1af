/**
 * The leaderboard has no authentication of its own: the load balancer keeps its member data from the world. With a
 * domain (HTTPS), its rules sign users in with the DashboardLogin's Cognito pool before forwarding; without one (plain
 * HTTP, where the load balancer cannot authenticate), its port takes the allowed source CIDRs only, or nobody.
 * Three component runs: HTTPS, HTTP with allowed CIDRs, HTTP without.
 */
import t from 'tap';
import type { ServiceSpec } from '../src/service-spec.js';
import { byType, MOCK_USER_POOL_SUFFIX, runMocked, type Registered } from './fixtures/pulumi-mocks.js';
import { ACCOUNT, ingestSample, leaderboardSample, REGION } from './fixtures/service-samples.js';

const DOMAIN = 'peakfitness.example.com';
const CERTIFICATE = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`;
const SUBNETS = ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'];
const OFFICE = ['203.0.113.0/24', '198.51.100.7/32'];
const POOL_ARN = `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${REGION}_${MOCK_USER_POOL_SUFFIX}`;
const refusal = (attempt: () => unknown): string => {
  try {
    attempt();
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
};

/** The three public services with their real routes (the specs' constants), attached to one load balancer. */
async function deploy(prefix: string, lbArgs: { https?: { domain: string; certificateArn: string }; loginSourceCidrs?: string[] }, withLogin: boolean) {
  const { ServiceCluster } = await import('../src/service-cluster.js');
  const { PublicLoadBalancer } = await import('../src/public-load-balancer.js');
  const { PlatformService } = await import('../src/platform-service.js');
  const { DashboardLogin } = await import('../src/dashboard-login.js');
  const { INGEST_ROUTE } = await import('../src/service-specs/ingest.js');
  const { LEADERBOARD_ROUTE } = await import('../src/service-specs/leaderboard.js');
  const { NOTIFIER_ROUTE } = await import('../src/service-specs/notifier.js');
  const cluster = new ServiceCluster('services', { prefix, subnetIds: SUBNETS });
  const login = withLogin ? new DashboardLogin('dashboard-login', { prefix, host: `${LEADERBOARD_ROUTE.subdomain}.${DOMAIN}`, deletionProtection: true }) : undefined;
  const lb = new PublicLoadBalancer('public', { prefix, vpcId: cluster.vpcId, subnetIds: cluster.subnetIds, ...lbArgs, ...(login ? { login: login.loadBalancerLogin } : {}) });
  const specs: ServiceSpec[] = [
    { ...ingestSample, publicRoute: INGEST_ROUTE },
    { ...leaderboardSample, usesRedis: false, publicRoute: LEADERBOARD_ROUTE },
    { ...ingestSample, name: 'notifier', port: NOTIFIER_ROUTE.fallbackPort, publicRoute: NOTIFIER_ROUTE },
  ];
  for (const spec of specs) {
    new PlatformService(spec.name, {
      prefix,
      spec,
      placement: cluster.placement,
      image: { uri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${prefix}-${spec.name}@sha256:00`, repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${prefix}-${spec.name}` },
      region: REGION,
      loadBalancer: lb,
    });
  }
  return { urls: lb.urls, ...(login ? { signInUrl: login.signInUrl } : {}), routes: { ingest: INGEST_ROUTE, leaderboard: LEADERBOARD_ROUTE, notifier: NOTIFIER_ROUTE } };
}

const https = await runMocked(async () => {
  const out = await deploy('peak-prod', { https: { domain: DOMAIN, certificateArn: CERTIFICATE } }, true);
  const { PublicLoadBalancer } = await import('../src/public-load-balancer.js');
  const { DashboardLogin } = await import('../src/dashboard-login.js');
  const base = { prefix: 'peak-x', vpcId: 'vpc-1', subnetIds: SUBNETS };
  const login = { userPoolArn: POOL_ARN, userPoolClientId: 'client', userPoolDomain: 'peak-x-login' };
  const refused = {
    // A login route on HTTPS without a sign-in would be public: refused when attached.
    noLogin: refusal(() => new PublicLoadBalancer('x1', { ...base, https: { domain: DOMAIN, certificateArn: CERTIFICATE } }).route('leaderboard', out.routes.leaderboard)),
    loginWithoutHttps: refusal(() => new PublicLoadBalancer('x2', { ...base, login })),
    cidrsWithHttps: refusal(() => new PublicLoadBalancer('x3', { ...base, https: { domain: DOMAIN, certificateArn: CERTIFICATE }, login, loginSourceCidrs: OFFICE })),
    longSession: refusal(() => new PublicLoadBalancer('x4', { ...base, https: { domain: DOMAIN, certificateArn: CERTIFICATE }, login: { ...login, sessionTimeoutSeconds: 8 * 24 * 3600 } })),
    tooManyApiPaths: refusal(() => new PublicLoadBalancer('x5', { ...base, https: { domain: DOMAIN, certificateArn: CERTIFICATE }, login }).route('leaderboard', { subdomain: 'lb', fallbackPort: 4000, login: { apiPaths: ['/a/*', '/b/*', '/c/*', '/d/*', '/e/*'] } })),
    sessionHours: refusal(() => new DashboardLogin('x6', { prefix: 'peak-x', host: `leaderboard.${DOMAIN}`, sessionHours: 0 })),
    reservedWord: refusal(() => new DashboardLogin('x7', { prefix: 'peak-aws', host: `leaderboard.${DOMAIN}` })),
  };
  return { ...out, refused };
});
const office = await runMocked(() => deploy('peak-dev', { loginSourceCidrs: OFFICE }, false));
const closed = await runMocked(() => deploy('peak-dev', {}, false));
const { checkLoginSourceCidrs, DEFAULT_LOGIN_SESSION_SECONDS } = await import('../src/public-load-balancer.js');
const { loginDomainPrefix, PASSWORD_POLICY } = await import('../src/dashboard-login.js');

const one = (resources: Registered[], type: string): Registered | undefined => {
  const all = byType(resources, type);
  return all.length === 1 ? all[0] : undefined;
};
type Action = { type: string; order?: number; targetGroupArn?: string; authenticateCognito?: Record<string, unknown> };
const targetGroupArn = (prefix: string, service: string) => `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${prefix}-${service}/73e2d6bc24d8a067`;
/** The listener rules forwarding to a service's target group, by priority. */
const rulesTo = (resources: Registered[], prefix: string, service: string) =>
  byType(resources, 'aws:lb/listenerRule:ListenerRule')
    .filter((r) => (r.inputs.actions as Action[]).some((a) => a.targetGroupArn === targetGroupArn(prefix, service)))
    .sort((a, b) => Number(a.inputs.priority) - Number(b.inputs.priority));
/** The load balancer group's rules for one port: [cidr, description]. */
const lbIngress = (resources: Registered[], prefix: string, port: number) => {
  const group = byType(resources, 'aws:ec2/securityGroup:SecurityGroup').find((g) => g.inputs.name === `${prefix}-services-lb`);
  return byType(resources, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule')
    .filter((r) => r.inputs.securityGroupId === group?.id && r.inputs.fromPort === port && r.inputs.toPort === port)
    .map((r) => r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId)
    .sort();
};

t.test('the routes: only the leaderboard is behind the sign-in; its API answers 401 rather than redirecting', async (t) => {
  t.same(https.outputs.routes, {
    ingest: { subdomain: 'ingest', fallbackPort: 4001 },
    leaderboard: { subdomain: 'leaderboard', fallbackPort: 4000, login: { apiPaths: ['/v1/*'] } },
    notifier: { subdomain: 'notifier', fallbackPort: 4002 },
  });
});

t.test('HTTPS: the user pool takes no self sign-up, email user names, long passwords and an authenticator app', async (t) => {
  const pool = one(https.resources, 'aws:cognito/userPool:UserPool');
  t.match(pool?.inputs, {
    name: 'peak-prod-dashboard',
    adminCreateUserConfig: { allowAdminCreateUserOnly: true },
    usernameAttributes: ['email'],
    mfaConfiguration: 'ON',
    softwareTokenMfaConfiguration: { enabled: true },
    deletionProtection: 'ACTIVE',
    accountRecoverySetting: { recoveryMechanisms: [{ name: 'verified_email', priority: 1 }] },
  });
  t.same(pool?.inputs.passwordPolicy, { ...PASSWORD_POLICY }, 'the policy as declared');
  t.ok(PASSWORD_POLICY.minimumLength >= 14 && PASSWORD_POLICY.requireSymbols && PASSWORD_POLICY.requireNumbers && PASSWORD_POLICY.requireUppercase && PASSWORD_POLICY.requireLowercase, 'at least 14 characters of every class');
  const invite = (pool?.inputs.adminCreateUserConfig as { inviteMessageTemplate?: { emailMessage?: string } } | undefined)?.inviteMessageTemplate?.emailMessage ?? '';
  t.match(invite, /\{username\}[\s\S]*\{####\}/, 'the invitation carries the user name and temporary password placeholders Cognito requires');
  t.match(invite, `https://leaderboard.${DOMAIN}/`, 'and where to sign in');
});

t.test('HTTPS: a Cognito prefix domain per account, and one confidential client whose only callback is the load balancer', async (t) => {
  const domain = one(https.resources, 'aws:cognito/userPoolDomain:UserPoolDomain');
  const expected = loginDomainPrefix('peak-prod', ACCOUNT, REGION);
  t.match(expected, /^peak-prod-login-[0-9a-f]{10}$/);
  t.not(loginDomainPrefix('peak-prod', '210987654321', REGION), expected, 'another account, another prefix');
  t.equal(loginDomainPrefix('peak-prod', ACCOUNT, REGION), expected, 'stable across deploys');
  t.notMatch(expected, ACCOUNT, 'the account id is not in the public URL');
  t.match(domain?.inputs, { domain: expected, userPoolId: 'dashboard-login-pool-id', managedLoginVersion: 1 });
  t.equal(https.outputs.signInUrl, `https://${expected}.auth.${REGION}.amazoncognito.com`);
  const client = one(https.resources, 'aws:cognito/userPoolClient:UserPoolClient');
  t.match(client?.inputs, {
    userPoolId: 'dashboard-login-pool-id',
    generateSecret: true,
    allowedOauthFlowsUserPoolClient: true,
    allowedOauthFlows: ['code'],
    allowedOauthScopes: ['openid', 'email'],
    supportedIdentityProviders: ['COGNITO'],
    preventUserExistenceErrors: 'ENABLED',
  });
  t.same(client?.inputs.callbackUrls, [`https://leaderboard.${DOMAIN}/oauth2/idpresponse`], "the load balancer's fixed callback on the dashboard's host");
  t.notOk((client?.inputs.explicitAuthFlows as string[]).includes('ALLOW_USER_PASSWORD_AUTH'), 'no plain-password flow');
});

t.test('HTTPS: every leaderboard rule authenticates with the pool, client and domain, then forwards', async (t) => {
  const cognito = { userPoolArn: POOL_ARN, userPoolClientId: 'dashboard-login-client-id', userPoolDomain: loginDomainPrefix('peak-prod', ACCOUNT, REGION), scope: 'openid email', sessionTimeout: DEFAULT_LOGIN_SESSION_SECONDS };
  t.equal(DEFAULT_LOGIN_SESSION_SECONDS, 12 * 3600, 'a working day');
  const forward = { type: 'forward', order: 2, targetGroupArn: targetGroupArn('peak-prod', 'leaderboard') };
  const rules = rulesTo(https.resources, 'peak-prod', 'leaderboard');
  t.same(
    rules.map((r) => [r.name, r.inputs.priority, r.inputs.conditions, r.inputs.actions]),
    [
      [
        'leaderboard-rule-api',
        11,
        [{ hostHeader: { values: [`leaderboard.${DOMAIN}`] } }, { pathPattern: { values: ['/v1/*'] } }],
        [{ type: 'authenticate-cognito', order: 1, authenticateCognito: { ...cognito, onUnauthenticatedRequest: 'deny' } }, forward],
      ],
      ['leaderboard-rule', 101, [{ hostHeader: { values: [`leaderboard.${DOMAIN}`] } }], [{ type: 'authenticate-cognito', order: 1, authenticateCognito: { ...cognito, onUnauthenticatedRequest: 'authenticate' } }, forward]],
    ],
    'the API first (401 without a session), then every other path of the host (redirect to the sign-in)',
  );
  const listener443 = byType(https.resources, 'aws:lb/listener:Listener').find((l) => l.inputs.port === 443);
  t.ok(rules.every((r) => String(r.inputs.listenerArn).endsWith('/443')), 'on the HTTPS listener');
  t.match(listener443?.inputs.defaultActions, [{ type: 'fixed-response' }], 'whose default forwards nowhere');
});

t.test('HTTPS: ingest and the notifier are unchanged: forwarded by host, no sign-in', async (t) => {
  for (const [service, priority] of [['ingest', 100], ['notifier', 102]] as const) {
    t.same(
      rulesTo(https.resources, 'peak-prod', service).map((r) => [r.inputs.priority, r.inputs.conditions, r.inputs.actions]),
      [[priority, [{ hostHeader: { values: [`${service}.${DOMAIN}`] } }], [{ type: 'forward', targetGroupArn: targetGroupArn('peak-prod', service) }]]],
      service,
    );
  }
});

t.test("HTTPS: the load balancer may call Cognito's endpoints (HTTPS out); only 80 and 443 come in", async (t) => {
  const group = byType(https.resources, 'aws:ec2/securityGroup:SecurityGroup').find((g) => g.inputs.name === 'peak-prod-services-lb');
  const out = byType(https.resources, 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule').filter((r) => r.inputs.securityGroupId === group?.id && r.inputs.cidrIpv4 !== undefined);
  t.same(out.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]), [[443, 443, '0.0.0.0/0']], 'one rule to the internet: HTTPS, for the token and user-info endpoints');
  t.same([80, 443, 4000].map((port) => lbIngress(https.resources, 'peak-prod', port)), [['0.0.0.0/0'], ['0.0.0.0/0'], []]);
});

t.test('HTTPS: what would leave the leaderboard public is refused', async (t) => {
  t.match(https.outputs.refused, {
    noLogin: /leaderboard must be behind the sign-in .* no login: it would be public/,
    loginWithoutHttps: /login \(the Cognito sign-in\) needs HTTPS/,
    cidrsWithHttps: /loginSourceCidrs apply without HTTPS only/,
    longSession: /sessionTimeoutSeconds must be whole seconds from 1 to 604800/,
    tooManyApiPaths: /login.apiPaths has 5 patterns/,
    sessionHours: /sessionHours must be whole hours from 1 to 168/,
    reservedWord: /Cognito refuses a domain prefix containing "aws"/,
  });
});

t.test('HTTP with dashboardAllowedCidrs: the leaderboard port takes those sources only; ingest and the notifier the world', async (t) => {
  t.same(lbIngress(office.resources, 'peak-dev', 4000), [...OFFICE].sort(), 'the leaderboard: the office and the VPN');
  t.same(lbIngress(office.resources, 'peak-dev', 4001), ['0.0.0.0/0'], 'ingest (API keys)');
  t.same(lbIngress(office.resources, 'peak-dev', 4002), ['0.0.0.0/0'], 'the notifier (public pages by design)');
  t.same(byType(office.resources, 'aws:cognito/userPool:UserPool'), [], 'no user pool: no sign-in on HTTP');
  const rules = rulesTo(office.resources, 'peak-dev', 'leaderboard');
  t.same(rules.map((r) => [String(r.inputs.listenerArn).split('/').pop(), r.inputs.actions]), [['4000', [{ type: 'forward', targetGroupArn: targetGroupArn('peak-dev', 'leaderboard') }]]], 'its own port forwards (no authenticate action on HTTP)');
  const egress = byType(office.resources, 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule').filter((r) => r.inputs.cidrIpv4 === '0.0.0.0/0' && String(r.inputs.securityGroupId).startsWith('public-'));
  t.same(egress, [], 'the load balancer calls nothing on the internet');
});

t.test('HTTP without dashboardAllowedCidrs: the leaderboard port is closed to everyone, its listener kept for ECS', async (t) => {
  t.same(lbIngress(closed.resources, 'peak-dev', 4000), [], 'no ingress on 4000');
  t.same(lbIngress(closed.resources, 'peak-dev', 4001), ['0.0.0.0/0']);
  t.same(lbIngress(closed.resources, 'peak-dev', 4002), ['0.0.0.0/0']);
  t.ok(byType(closed.resources, 'aws:lb/listener:Listener').some((l) => l.inputs.port === 4000), 'the listener exists: ECS attaches the target group through its rule');
  t.equal(rulesTo(closed.resources, 'peak-dev', 'leaderboard').length, 1);
  t.same(closed.outputs.urls, {
    ingest: `http://peak-dev-services-1234567890.${REGION}.elb.amazonaws.com:4001`,
    leaderboard: `http://peak-dev-services-1234567890.${REGION}.elb.amazonaws.com:4000`,
    notifier: `http://peak-dev-services-1234567890.${REGION}.elb.amazonaws.com:4002`,
  });
});

t.test('the allowed sources are checked: IPv4, a /16 or narrower, no duplicates', async (t) => {
  t.same(checkLoginSourceCidrs([' 203.0.113.0/24', '198.51.100.7/32 ']), ['203.0.113.0/24', '198.51.100.7/32']);
  t.throws(() => checkLoginSourceCidrs(['0.0.0.0/0']), /broader than a \/16/);
  t.throws(() => checkLoginSourceCidrs(['0.0.0.0/1', '128.0.0.0/1']), /broader than a \/16/);
  t.throws(() => checkLoginSourceCidrs(['203.0.113.0']), /not an IPv4 CIDR/);
  t.throws(() => checkLoginSourceCidrs(['2001:db8::/48']), /not an IPv4 CIDR/);
  t.throws(() => checkLoginSourceCidrs(['203.0.113.0/24', '203.0.113.0/24']), /listed twice/);
});
