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
  tags?: Record<string, string>;
}

/** How one public service is reached: what its PlatformService needs to attach its target group. */
export interface ServiceRouting {
  listenerArn: pulumi.Input<string>;
  /** The listener rule's priority (unique on the listener). */
  priority: number;
  /** HTTPS: the rule matches this host; fallback port: absent, the rule takes every request on its own listener. */
  host?: string;
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

/**
 * One Application Load Balancer in front of every public service (ingest, the leaderboard's API and dashboard, the
 * notifier's unsubscribe and preference pages). With a domain and an ACM certificate: HTTPS on 443 routed by host, and
 * port 80 redirecting to it. Without them (dev only): plain HTTP, each service on its own `fallbackPort` of the load
 * balancer's DNS name — no TLS, so no real member data or keys over it. Why an ALB and not API Gateway: decision 0016.
 *
 * Services are attached by their PlatformService (`route`), which then adds its target group and rule. A service's URL
 * can be asked for before that (`urlOf`: the notifier's spec needs its own public URL); the route it is later attached
 * with must be the same.
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
  private readonly notFound = { type: 'fixed-response', fixedResponse: { contentType: 'text/plain', statusCode: '404', messageBody: 'no such service' } };
  private readonly routes = new Map<ServiceName, PublicRoute>();
  private readonly routings = new Map<ServiceName, ServiceRouting>();

  constructor(name: string, args: PublicLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.https) {
      if (!DOMAIN.test(args.https.domain)) throw new Error(`PublicLoadBalancer: https.domain must be a lowercase domain name; got ${JSON.stringify(args.https.domain)}`);
      if (!CERTIFICATE_ARN.test(args.https.certificateArn)) throw new Error(`PublicLoadBalancer: https.certificateArn must be an ACM certificate ARN; got ${JSON.stringify(args.https.certificateArn)}`);
    }
    super('peak:network:PublicLoadBalancer', name, {}, opts);
    const parent = { parent: this };
    this.baseName = name;
    this.tags = { ...(args.tags ?? {}), component: 'public-load-balancer' };
    const tags = this.tags;
    this.mode = args.https ? 'https' : 'http';

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
    }
    this.registerOutputs({ dnsName: this.dnsName, zoneId: this.zoneId });
  }

  /** The public base URL `service` will have with `route` (before it is attached: the notifier's links need it). */
  urlOf(service: ServiceName, route: PublicRoute): pulumi.Output<string> {
    this.claim(service, route);
    return this.https ? pulumi.output(`https://${route.subdomain}.${this.https.domain}`) : pulumi.interpolate`http://${this.loadBalancer.dnsName}:${route.fallbackPort}`;
  }

  /** Attaches `service` (once): on HTTPS a host rule slot; without, its own HTTP listener on `fallbackPort`, opened to the world. */
  route(service: ServiceName, route: PublicRoute): ServiceRouting {
    if (this.routings.has(service)) throw new Error(`PublicLoadBalancer: ${service} is routed twice`);
    const url = this.urlOf(service, route);
    let routing: ServiceRouting;
    if (this.https) {
      routing = { listenerArn: this.https.listener.arn, priority: FIRST_RULE_PRIORITY + this.routings.size, host: `${route.subdomain}.${this.https.domain}`, loadBalancerSecurityGroupId: this.securityGroup.id, url };
    } else {
      this.openPort(route.fallbackPort, `HTTP to ${service} (dev fallback port, no TLS)`);
      const listener = new aws.lb.Listener(
        `${this.baseName}-http-${route.fallbackPort}`,
        { loadBalancerArn: this.loadBalancer.arn, port: route.fallbackPort, protocol: 'HTTP', defaultActions: [this.notFound], tags: this.tags },
        { parent: this },
      );
      this.listeners[route.fallbackPort] = listener;
      routing = { listenerArn: listener.arn, priority: FIRST_RULE_PRIORITY, loadBalancerSecurityGroupId: this.securityGroup.id, url };
    }
    this.routings.set(service, routing);
    return routing;
  }

  /** Every attached service's base URL. */
  get urls(): pulumi.Output<Record<string, string>> {
    return pulumi.output(Object.fromEntries([...this.routings].map(([service, r]) => [service, r.url]))) as pulumi.Output<Record<string, string>>;
  }

  private openPort(port: number, what: string): void {
    new aws.vpc.SecurityGroupIngressRule(
      `${this.baseName}-lb-in-${port}`,
      { securityGroupId: this.securityGroup.id, description: `${what} from anywhere`, ipProtocol: 'tcp', fromPort: port, toPort: port, cidrIpv4: '0.0.0.0/0', tags: this.tags },
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
    const known = this.routes.get(service);
    if (known) {
      if (known.subdomain !== route.subdomain || known.fallbackPort !== route.fallbackPort) {
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
