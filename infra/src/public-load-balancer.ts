import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { PublicRoute, ServiceName } from './service-spec.js';

/**
 * The console's default for new HTTPS listeners: TLS 1.3 and 1.2 only, AEAD ciphers with forward secrecy, hybrid
 * post-quantum key exchange where the client offers it (the API's own default is still the 2016 policy with TLS 1.0).
 */
export const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09';
/** Above the leaderboard's SSE keep-alive (a comment every 15 s), so an idle live board is never cut. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
/** Host rules start here; nothing else is on the HTTPS listener. */
const FIRST_RULE_PRIORITY = 100;
/** A login route's API rule (its `apiPaths`, 401 without a session) comes before every host rule. */
const FIRST_API_RULE_PRIORITY = 10;
/** A sign-in lasts a working day: a disabled user keeps their session until it ends (the load balancer does not ask Cognito again). */
export const DEFAULT_LOGIN_SESSION_SECONDS = 12 * 3600;
/** The load balancer's limit on an authentication session (7 days). */
const MAX_LOGIN_SESSION_SECONDS = 7 * 24 * 3600;
/** Conditions of one rule may hold 5 values in all; the host takes one. */
const MAX_API_PATHS = 4;

/** The sign-in the load balancer puts in front of `login` routes on HTTPS (DashboardLogin.loadBalancerLogin). */
export interface LoadBalancerLogin {
  userPoolArn: pulumi.Input<string>;
  userPoolClientId: pulumi.Input<string>;
  /** The user pool's domain: the Cognito prefix alone, or its custom domain name. */
  userPoolDomain: pulumi.Input<string>;
  /** How long a sign-in lasts (the load balancer's session cookie); default 12 h, at most 7 days. */
  sessionTimeoutSeconds?: number;
}

export interface PublicLoadBalancerArgs {
  /** Physical name prefix (`peak-<stage>`): the load balancer is `<prefix>-services`, its group `<prefix>-services-lb`. */
  prefix: string;
  vpcId: pulumi.Input<string>;
  /** Public subnets in two availability zones at least, covering every zone the services' tasks run in. */
  subnetIds: pulumi.Input<string[]>;
  /** HTTPS on 443 with host rules `<subdomain>.<domain>`; absent (dev): plain HTTP, one port per service. */
  https?: { domain: string; certificateArn: string; sslPolicy?: string };
  idleTimeoutSeconds?: number;
  /** Refuse `pulumi destroy` of the load balancer (prod). */
  deletionProtection?: boolean;
  /** HTTPS only: the Cognito sign-in of `login` routes. Required as soon as a `login` route is attached on HTTPS. */
  login?: LoadBalancerLogin;
  /**
   * Without HTTPS only (no sign-in on plain HTTP): the IPv4 CIDRs that may reach a `login` route's port (the studio
   * office, the VPN). None: its port stays closed to everyone.
   */
  loginSourceCidrs?: string[];
  tags?: Record<string, string>;
}

/** One listener rule of a service: what it matches and, for a `login` route, the sign-in before the forward. */
export interface ServiceRule {
  /** Added to the rule's logical name (`<service>-rule-<key>`); empty for the service's main rule. */
  key: string;
  /** Unique on the listener; lower is evaluated first. */
  priority: number;
  conditions: aws.types.input.lb.ListenerRuleCondition[];
  /** The `authenticate-cognito` action's settings: the rule authenticates, then forwards. */
  authenticate?: aws.types.input.lb.ListenerRuleActionAuthenticateCognito;
}

/** How one public service is reached: what its PlatformService needs to attach its target group. */
export interface ServiceRouting {
  listenerArn: pulumi.Input<string>;
  /**
   * The service's listener rules, each forwarding to its target group: HTTPS, its host (a `login` route: signed in, and
   * first its API paths, 401 without a session); the fallback port, every request on its own listener.
   */
  rules: ServiceRule[];
  /** The load balancer's security group: the only source the service's group lets in. */
  loadBalancerSecurityGroupId: pulumi.Input<string>;
  /** The service's public base URL (`https://<host>` or `http://<dns name>:<port>`). */
  url: pulumi.Output<string>;
}

/** What a PlatformService asks of the load balancer (PublicLoadBalancer implements it). */
export interface ServiceRouter {
  route(service: ServiceName, route: PublicRoute): ServiceRouting;
}

const SUBDOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/;
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(\d|[12]\d|3[0-2])$/;
/** A source list broader than this is no restriction (a /8 is 16 M addresses); an office or VPN is a /32 to a /24. */
export const MIN_LOGIN_SOURCE_PREFIX = 16;

/**
 * Checks the source CIDRs of `login` routes without HTTPS (stack config `dashboardAllowedCidrs`): IPv4 (the load
 * balancer is IPv4 only), each at least a /16, no duplicates. Returns them trimmed.
 */
export function checkLoginSourceCidrs(cidrs: readonly string[], what = 'loginSourceCidrs'): string[] {
  const trimmed = cidrs.map((c) => c.trim());
  for (const cidr of trimmed) {
    if (!IPV4_CIDR.test(cidr)) throw new Error(`${what}: ${JSON.stringify(cidr)} is not an IPv4 CIDR such as 203.0.113.0/24`);
    if (Number(cidr.split('/')[1]) < MIN_LOGIN_SOURCE_PREFIX) throw new Error(`${what}: ${cidr} is broader than a /${MIN_LOGIN_SOURCE_PREFIX}: that is no restriction on member data`);
  }
  const dup = trimmed.find((c, i) => trimmed.indexOf(c) !== i);
  if (dup !== undefined) throw new Error(`${what}: ${dup} is listed twice`);
  return trimmed;
}

/**
 * One Application Load Balancer in front of every public service (ingest, the leaderboard's API and dashboard, the
 * notifier's unsubscribe and preference pages). With a domain and an ACM certificate: HTTPS on 443 routed by host, and
 * port 80 redirecting to it. Without them (dev only): plain HTTP, each service on its own `fallbackPort` of the load
 * balancer's DNS name — no TLS, so no real member data or keys over it. Why an ALB and not API Gateway: decision 0016.
 *
 * Services are attached by their PlatformService (`route`), which then adds its target group and rule. A service's URL
 * can be asked for before that (`urlOf`: the notifier's spec needs its own public URL); the route it is later attached
 * with must be the same.
 *
 * A `login` route (a service with no authentication of its own: the leaderboard) is never open to the world: on HTTPS
 * its rules authenticate with the Cognito `login` before forwarding (and the load balancer may call Cognito's token
 * endpoint: HTTPS out); on plain HTTP, where the load balancer cannot authenticate, its port takes `loginSourceCidrs`
 * only, and without them nobody (the listener must still exist: ECS attaches the target group through its rule).
 */
export class PublicLoadBalancer extends pulumi.ComponentResource implements ServiceRouter {
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly dnsName: pulumi.Output<string>;
  /** The hosted zone of the load balancer's DNS name (for Route 53 alias records). */
  readonly zoneId: pulumi.Output<string>;
  /** `https` (443 with host rules) or `http` (one port per service). */
  readonly mode: 'https' | 'http';
  /** The listeners by port. */
  readonly listeners: Record<number, aws.lb.Listener> = {};
  private readonly baseName: string;
  private readonly tags: Record<string, string>;
  private readonly https?: { domain: string; listener: aws.lb.Listener };
  private readonly login?: LoadBalancerLogin;
  private readonly loginSourceCidrs: string[];
  private readonly notFound = { type: 'fixed-response', fixedResponse: { contentType: 'text/plain', statusCode: '404', messageBody: 'no such service' } };
  private readonly routes = new Map<ServiceName, PublicRoute>();
  private readonly routings = new Map<ServiceName, ServiceRouting>();

  constructor(name: string, args: PublicLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.https) {
      if (!DOMAIN.test(args.https.domain)) throw new Error(`PublicLoadBalancer: https.domain must be a lowercase domain name; got ${JSON.stringify(args.https.domain)}`);
      if (!CERTIFICATE_ARN.test(args.https.certificateArn)) throw new Error(`PublicLoadBalancer: https.certificateArn must be an ACM certificate ARN; got ${JSON.stringify(args.https.certificateArn)}`);
    }
    if (args.login && !args.https) throw new Error('PublicLoadBalancer: login (the Cognito sign-in) needs HTTPS: the load balancer authenticates on HTTPS listeners only');
    if (args.loginSourceCidrs?.length && args.https) throw new Error('PublicLoadBalancer: loginSourceCidrs apply without HTTPS only (on HTTPS, login routes are behind the sign-in)');
    const session = args.login?.sessionTimeoutSeconds;
    if (session !== undefined && (!Number.isInteger(session) || session < 1 || session > MAX_LOGIN_SESSION_SECONDS)) {
      throw new Error(`PublicLoadBalancer: login.sessionTimeoutSeconds must be whole seconds from 1 to ${MAX_LOGIN_SESSION_SECONDS} (7 days); got ${session}`);
    }
    const loginSourceCidrs = checkLoginSourceCidrs(args.loginSourceCidrs ?? [], 'PublicLoadBalancer: loginSourceCidrs');
    super('peak:network:PublicLoadBalancer', name, {}, opts);
    const parent = { parent: this };
    this.baseName = name;
    this.tags = { ...(args.tags ?? {}), component: 'public-load-balancer' };
    const tags = this.tags;
    this.mode = args.https ? 'https' : 'http';
    this.loginSourceCidrs = loginSourceCidrs;
    if (args.login) this.login = args.login;

    // Rules are separate resources: the services add egress to their own groups, which inline rules would fight over.
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-lb`,
      {
        name: `${args.prefix}-services-lb`,
        description: `Peak Fitness public load balancer: ${args.https ? '80 and 443' : 'each service port'} in from anywhere, out only to the services`,
        vpcId: args.vpcId,
        tags,
      },
      parent,
    );
    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        name: `${args.prefix}-services`,
        loadBalancerType: 'application',
        internal: false,
        ipAddressType: 'ipv4',
        securityGroups: [this.securityGroup.id],
        subnets: args.subnetIds,
        idleTimeout: args.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
        // Malformed headers are dropped rather than passed to the services (request smuggling).
        dropInvalidHeaderFields: true,
        enableDeletionProtection: args.deletionProtection ?? false,
        tags,
      },
      parent,
    );
    this.dnsName = this.loadBalancer.dnsName;
    this.zoneId = this.loadBalancer.zoneId;

    if (args.https) {
      this.openPort(80, 'HTTP (redirected to HTTPS)');
      this.openPort(443, 'HTTPS');
      const listener = new aws.lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: this.loadBalancer.arn,
          port: 443,
          protocol: 'HTTPS',
          certificateArn: args.https.certificateArn,
          sslPolicy: args.https.sslPolicy ?? DEFAULT_SSL_POLICY,
          // A host that is none of the services' (the bare DNS name, a scanner) gets a 404, never a service.
          defaultActions: [this.notFound],
          tags,
        },
        parent,
      );
      this.listeners[443] = listener;
      this.listeners[80] = new aws.lb.Listener(
        `${name}-http-redirect`,
        {
          loadBalancerArn: this.loadBalancer.arn,
          port: 80,
          protocol: 'HTTP',
          // Same host, path and query on https (the redirect's defaults keep them).
          defaultActions: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
          tags,
        },
        parent,
      );
      this.https = { domain: args.https.domain, listener };
      if (args.login) {
        // The load balancer exchanges the sign-in's code at Cognito's token endpoint and reads its user-info endpoint
        // (public names, no fixed addresses): without this its answer to a signed-in user is a 500.
        new aws.vpc.SecurityGroupEgressRule(
          `${name}-lb-out-sign-in`,
          { securityGroupId: this.securityGroup.id, description: "HTTPS to the sign-in's Cognito endpoints (token, user info)", ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0', tags },
          parent,
        );
      }
    }
    this.registerOutputs({ dnsName: this.dnsName, zoneId: this.zoneId });
  }

  /** The public base URL `service` will have with `route` (before it is attached: the notifier's links need it). */
  urlOf(service: ServiceName, route: PublicRoute): pulumi.Output<string> {
    this.claim(service, route);
    return this.https ? pulumi.output(`https://${route.subdomain}.${this.https.domain}`) : pulumi.interpolate`http://${this.loadBalancer.dnsName}:${route.fallbackPort}`;
  }

  /**
   * Attaches `service` (once): on HTTPS host rules (signed in for a `login` route); without, its own HTTP listener on
   * `fallbackPort`, opened to the world, or for a `login` route to `loginSourceCidrs` only.
   */
  route(service: ServiceName, route: PublicRoute): ServiceRouting {
    if (this.routings.has(service)) throw new Error(`PublicLoadBalancer: ${service} is routed twice`);
    const url = this.urlOf(service, route);
    const index = this.routings.size;
    let routing: ServiceRouting;
    if (this.https) {
      const host = { hostHeader: { values: [`${route.subdomain}.${this.https.domain}`] } };
      const rules: ServiceRule[] = [];
      if (route.login) {
        const login = this.login;
        if (!login) throw new Error(`PublicLoadBalancer: ${service} must be behind the sign-in (its route has login) but the load balancer has no login: it would be public`);
        const authenticate = (onUnauthenticatedRequest: 'authenticate' | 'deny'): aws.types.input.lb.ListenerRuleActionAuthenticateCognito => ({
          userPoolArn: login.userPoolArn,
          userPoolClientId: login.userPoolClientId,
          userPoolDomain: login.userPoolDomain,
          scope: 'openid email',
          sessionTimeout: login.sessionTimeoutSeconds ?? DEFAULT_LOGIN_SESSION_SECONDS,
          onUnauthenticatedRequest,
        });
        const apiPaths = route.login.apiPaths ?? [];
        // API calls without a session get a 401 (a fetch cannot follow a redirect to the sign-in page); pages redirect.
        if (apiPaths.length > 0) rules.push({ key: 'api', priority: FIRST_API_RULE_PRIORITY + index, conditions: [host, { pathPattern: { values: apiPaths } }], authenticate: authenticate('deny') });
        rules.push({ key: '', priority: FIRST_RULE_PRIORITY + index, conditions: [host], authenticate: authenticate('authenticate') });
      } else {
        rules.push({ key: '', priority: FIRST_RULE_PRIORITY + index, conditions: [host] });
      }
      routing = { listenerArn: this.https.listener.arn, rules, loadBalancerSecurityGroupId: this.securityGroup.id, url };
    } else {
      if (!route.login) this.openPort(route.fallbackPort, `HTTP to ${service} (dev fallback port, no TLS)`);
      // No sign-in on plain HTTP: only the allowed sources reach the port (closed without any), so the service's member
      // data never answers the world; the listener still exists, as ECS attaches the target group through its rule.
      else for (const cidr of this.loginSourceCidrs) this.openPort(route.fallbackPort, `HTTP to ${service} (dev fallback port, no TLS, no sign-in)`, cidr);
      const listener = new aws.lb.Listener(
        `${this.baseName}-http-${route.fallbackPort}`,
        { loadBalancerArn: this.loadBalancer.arn, port: route.fallbackPort, protocol: 'HTTP', defaultActions: [this.notFound], tags: this.tags },
        { parent: this },
      );
      this.listeners[route.fallbackPort] = listener;
      routing = { listenerArn: listener.arn, rules: [{ key: '', priority: FIRST_RULE_PRIORITY, conditions: [{ pathPattern: { values: ['/*'] } }] }], loadBalancerSecurityGroupId: this.securityGroup.id, url };
    }
    this.routings.set(service, routing);
    return routing;
  }

  /** Every attached service's base URL. */
  get urls(): pulumi.Output<Record<string, string>> {
    return pulumi.output(Object.fromEntries([...this.routings].map(([service, r]) => [service, r.url]))) as pulumi.Output<Record<string, string>>;
  }

  /** Opens `port` to the world, or to one source CIDR (named after it, so adding or removing one touches no other). */
  private openPort(port: number, what: string, cidr?: string): void {
    new aws.vpc.SecurityGroupIngressRule(
      cidr === undefined ? `${this.baseName}-lb-in-${port}` : `${this.baseName}-lb-in-${port}-from-${cidr.replace(/[./]/g, '-')}`,
      { securityGroupId: this.securityGroup.id, description: `${what} from ${cidr ?? 'anywhere'}`, ipProtocol: 'tcp', fromPort: port, toPort: port, cidrIpv4: cidr ?? '0.0.0.0/0', tags: this.tags },
      { parent: this },
    );
  }

  /** Validates a route and holds every service to one route, and every subdomain and port to one service. */
  private claim(service: ServiceName, route: PublicRoute): void {
    if (!SUBDOMAIN.test(route.subdomain)) throw new Error(`PublicLoadBalancer: ${service}'s subdomain must be one DNS label (lowercase); got ${JSON.stringify(route.subdomain)}`);
    if (!Number.isInteger(route.fallbackPort) || route.fallbackPort < 1 || route.fallbackPort > 65535) {
      throw new Error(`PublicLoadBalancer: ${service}'s fallbackPort must be a port number; got ${route.fallbackPort}`);
    }
    if (!this.https && (route.fallbackPort === 80 || route.fallbackPort === 443)) throw new Error(`PublicLoadBalancer: ${service}'s fallbackPort ${route.fallbackPort} is kept for HTTP/HTTPS`);
    const apiPaths = route.login?.apiPaths ?? [];
    if (apiPaths.length > MAX_API_PATHS) throw new Error(`PublicLoadBalancer: ${service}'s login.apiPaths has ${apiPaths.length} patterns; a rule holds at most ${MAX_API_PATHS} with its host`);
    for (const path of apiPaths) {
      if (!/^\/[A-Za-z0-9_\-.$/~"'@:+*?&]{0,127}$/.test(path)) throw new Error(`PublicLoadBalancer: ${service}'s login.apiPaths entry ${JSON.stringify(path)} is not a path pattern (starting with "/", at most 128 characters)`);
    }
    const known = this.routes.get(service);
    if (known) {
      if (known.subdomain !== route.subdomain || known.fallbackPort !== route.fallbackPort || JSON.stringify(known.login) !== JSON.stringify(route.login)) {
        throw new Error(`PublicLoadBalancer: ${service} was given the route ${JSON.stringify(known)} before, now ${JSON.stringify(route)}`);
      }
      return;
    }
    for (const [other, r] of this.routes) {
      if (r.subdomain === route.subdomain) throw new Error(`PublicLoadBalancer: ${service} and ${other} share the subdomain ${route.subdomain}`);
      if (r.fallbackPort === route.fallbackPort) throw new Error(`PublicLoadBalancer: ${service} and ${other} share the fallback port ${route.fallbackPort}`);
    }
    this.routes.set(service, route);
  }
}
