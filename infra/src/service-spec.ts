import type * as pulumi from '@pulumi/pulumi';

/**
 * What one long-running service of the platform needs in AWS, as data: the `PlatformService` component turns it into a
 * Fargate service (task definition, roles, log group, health checks, scaling, load-balancer routing). One spec per
 * service lives in `service-specs/`, written from what that service's code reads and calls.
 */
export type ServiceName = 'ingest' | 'etl' | 'leaderboard' | 'crm-sync' | 'notifier';

/** One IAM policy statement (the task role gets exactly these, as one inline policy). */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: pulumi.Input<string>[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** How a public service is reached through the shared load balancer. */
export interface PublicRoute {
  /** Host name label under the stack's `publicDomain` (`ingest` → ingest.<domain>); routing by host when a domain is set. */
  subdomain: string;
  /** Without a domain (dev): the load balancer's HTTP port that forwards to this service (one port per public service). */
  fallbackPort: number;
  /**
   * For a service without authentication of its own: with a domain, the load balancer signs users in (Cognito) before
   * any request reaches it; without one (no sign-in on plain HTTP), its port is open only to the allowed source CIDRs.
   */
  login?: {
    /** Path patterns (API calls) answered 401 without a session rather than redirected to the sign-in page; at most 4. */
    apiPaths?: string[];
  };
}

/** Scale the service's tasks on the backlog of one queue (messages visible per running task). */
export interface QueueScaling {
  /** Logical queue name from the contracts (`raw-landed`, `email-requests`, ...). */
  queue: string;
  /** Messages waiting per task the target-tracking policy aims at. */
  backlogPerTask: number;
  minTasks: number;
  maxTasks: number;
}

export interface ServiceSpec {
  name: ServiceName;
  /** The container's command (the image's entrypoint is `node`). */
  command: string[];
  /** The port the service's HTTP server listens on in the container. */
  port: number;
  /** GET path answering 200 when the service is ready (the load balancer's and the container's health check). */
  healthPath: string;
  /** Fargate size: CPU units and memory in MiB (a valid Fargate pair). */
  cpu: number;
  memoryMib: number;
  /** Plain environment variables of the container. */
  environment: Record<string, pulumi.Input<string>>;
  /** Environment variables ECS fills from Secrets Manager: variable name → secret ARN. Only the execution role reads them. */
  secrets: Record<string, pulumi.Input<string>>;
  /** The task role's statements: only what the service's code calls, on its own resources. */
  taskPolicy: PolicyStatement[];
  /** Tasks to run when there is no queue scaling (or the minimum when there is). */
  desiredCount: number;
  /** Present for a service behind the public load balancer. */
  publicRoute?: PublicRoute;
  /** Present for a queue worker that scales out on its queue's backlog. */
  scaling?: QueueScaling;
  /** The service talks to Redis (ElastiCache): its security group may reach the cache. */
  usesRedis?: boolean;
}
