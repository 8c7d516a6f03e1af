import type * as pulumi from '@pulumi/pulumi';
import { checkJobSize, checkPrefix, type JobSize } from '../scheduled-job.js';
import type { PublicRoute, ServiceSpec } from '../service-spec.js';
import {
  athenaEnvironment,
  athenaReadStatements,
  checkTasks,
  checkTaskPolicy,
  consumeQueues,
  listenEnvironment,
  objectsUnder,
  queueArnsOf,
  serverCommand,
  type AthenaDeps,
  type CommonServiceDeps,
  type LakeBucket,
  type QueueArns,
} from './statements.js';

/** Boards live in Redis; queries run in Athena (not DuckDB in the process): a small task. Not measured in AWS. */
export const LEADERBOARD_SIZE: JobSize = { cpu: 512, memoryMib: 1024 };
export const LEADERBOARD_PORT = 4000;
/**
 * Its route on the public load balancer (`PublicLoadBalancer.urlOf('leaderboard', LEADERBOARD_ROUTE)` gives its URL before
 * it is attached). Behind the sign-in: the service has no authentication and serves member names and churn scores.
 */
export const LEADERBOARD_ROUTE: PublicRoute = { subdomain: 'leaderboard', fallbackPort: LEADERBOARD_PORT, login: { apiPaths: ['/v1/*'] } };
/** What the board feed consumes (contract names): live check-ins and processed batches (services/leaderboard/src/boards/consumers.ts). */
export const LEADERBOARD_QUEUES = ['attendance-events', 'batch-processed'] as const;
/**
 * Check-ins waiting per task before another starts. A task applies 10 check-ins per Redis round trip, thousands a
 * second; a backlog this deep means Redis or the task is slow, and a second consumer is safe (below).
 */
export const LEADERBOARD_BACKLOG_PER_TASK = 1_000;

export interface LeaderboardSpecDeps extends CommonServiceDeps {
  lake: LakeBucket;
  athena: AthenaDeps;
  /** `lakeZones.processed.prefix`: read through Athena; the churn scores' files are under it. */
  processedPrefix: string;
  /** libs/churn's CHURN_MODELS_PREFIX (`models/churn/`): the registry and model files the churn API reports on. */
  churnModelsPrefix: string;
  /** Queue ARNs by logical name; must hold `attendance-events` and `batch-processed`. */
  queueArns: QueueArns;
  /** The cache's `redis://` / `rediss://` URL (the compute's ElastiCache). */
  redisUrl: pulumi.Input<string>;
  studioTimeZone: string;
  /** Tasks: at least `minTasks`, up to `maxTasks` on the attendance-events backlog. */
  minTasks: number;
  maxTasks: number;
}

/**
 * The leaderboard (services/leaderboard): live boards in Redis fed by `attendance-events` and `batch-processed`, the
 * engagement metrics and churn API (Athena, the churn models), and the web dashboard at `/` — all public.
 *
 * Several tasks are safe: a check-in is counted by one Lua script that adds its id to the month's applied set first
 * (SADD → 0: a duplicate, counted nowhere), a rebuild takes the Redis lock `lb:rebuilding` (SET NX PX) and live
 * check-ins wait for it, each `batch-processed` message reaches one task, and live updates go through Redis pub/sub.
 */
export function leaderboardSpec(d: LeaderboardSpecDeps): ServiceSpec {
  checkJobSize('leaderboard', LEADERBOARD_SIZE);
  checkPrefix('churnModelsPrefix', d.churnModelsPrefix);
  const minTasks = checkTasks('leaderboard minTasks', d.minTasks);
  const maxTasks = checkTasks('leaderboard maxTasks', d.maxTasks, minTasks);
  const queues = queueArnsOf(d.queueArns, LEADERBOARD_QUEUES, 'leaderboard');
  const taskPolicy = checkTaskPolicy('leaderboard', [
    // The board feed's two sqs-consumer loops and the sqs readiness check; both loops change visibility
    // (terminateVisibilityTimeout on a failed message, batch-processed's heartbeat: src/boards/consumers.ts).
    consumeQueues('ConsumeBoardFeed', queues, true),
    // Metrics refresh, board rebuild/catch-up, names and churn answers query through Athena (libs/analytics); the
    // `lake` readiness check lists models/churn/ (src/churn/source.ts), which the listing grant covers.
    ...athenaReadStatements({ lake: d.lake, athena: d.athena, processedPrefix: d.processedPrefix, listPrefixes: [d.churnModelsPrefix] }),
    // readRegistry and the model report read registry.json and the champion's file (libs/churn registry.ts); the scores'
    // HeadObject (src/churn/answers.ts) is under processed/, which ReadProcessedZone covers. Read only.
    { Sid: 'ReadChurnModels', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objectsUnder(d.lake.bucketArn, d.churnModelsPrefix)] },
  ]);
  return {
    name: 'leaderboard',
    command: serverCommand(),
    port: LEADERBOARD_PORT,
    healthPath: '/ready',
    ...LEADERBOARD_SIZE,
    environment: {
      ...listenEnvironment({ port: LEADERBOARD_PORT, logLevel: d.logLevel, size: LEADERBOARD_SIZE }),
      AWS_REGION: d.region,
      QUEUE_PREFIX: d.prefix,
      REDIS_URL: d.redisUrl,
      STUDIO_TIME_ZONE: d.studioTimeZone,
      ...athenaEnvironment(d.lake, d.athena),
      // Every task consumes (safe, above); BOARD_GRACE_DAYS keeps the service's default.
      LEADERBOARD_FEED: 'on',
    },
    secrets: {},
    taskPolicy,
    desiredCount: minTasks,
    publicRoute: LEADERBOARD_ROUTE,
    scaling: { queue: 'attendance-events', backlogPerTask: LEADERBOARD_BACKLOG_PER_TASK, minTasks, maxTasks },
    usesRedis: true,
  };
}
