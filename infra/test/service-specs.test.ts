import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { batchHashKey, crmSyncChanges, crmSyncRuns, lakeZones, marketingHoldout, physicalQueueName, queueList } from '@peak/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startSqsEmulator } from '@peak/local-stack';
import { allow, grants, list } from './fixtures/policies.js';
import {
  ACCOUNT,
  athena,
  BUCKET,
  BUCKET_ARN,
  CONFIGURATION_SET,
  CONFIGURATION_SET_ARN,
  DATABASE_ARN,
  EMAIL_DOMAIN,
  GLUE,
  IDENTITY_ARN,
  lake,
  OBJECT,
  PREFIX,
  PROCESSED,
  QUEUE_ARN,
  queueArns,
  REDIS_URL,
  REGION,
  resolve,
  resolvedEnvironment,
  RESULTS,
  SECRET_ARN,
  TABLE_ARN,
  taskPolicyDocument,
  WORKGROUP_ARN,
  ZONE,
} from './fixtures/service-spec-deps.js';
import type { ServiceSpec } from '../src/service-spec.js';

// The SDK warns about Node 20 when a client is built; the services' own tests silence it the same way.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Resources (the ServiceSecrets component) register with these mocks; Outputs resolve only with them set.
const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
await pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
      const name = String(args.inputs.name ?? args.name);
      return { id: `${args.name}-id`, state: { ...args.inputs, arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbC123` } };
    },
    call: (args) => args.inputs,
  },
  'peak-fitness',
  'test',
  false,
);
const { ingestSpec, INGEST_QUEUES } = await import('../src/service-specs/ingest.js');
const { leaderboardSpec } = await import('../src/service-specs/leaderboard.js');
const { crmSyncSpec } = await import('../src/service-specs/crm-sync.js');
const { notifierSpec, SES_ACCOUNT_ACTIONS } = await import('../src/service-specs/notifier.js');
const { checkTaskPolicy, RUNTIME_VARIABLES, shareOf } = await import('../src/service-specs/statements.js');
const { ServiceSecrets, SERVICE_API_KEY_SECRETS } = await import('../src/service-secrets.js');
const { JOB_ATHENA_ACTIONS, JOB_GLUE_ACTIONS, RESULTS_S3_ACTIONS } = await import('../src/scheduled-job.js');
// Each service's own config loader: the spec's environment must be what it accepts.
const ingestConfig = await import('../../services/ingest/src/config.js');
const leaderboardConfig = await import('../../services/leaderboard/src/config.js');
const crmSyncConfig = await import('../../services/crm-sync/src/config.js');
const notifierConfig = await import('../../services/notifier/src/config.js');
const { CHURN_MODELS_PREFIX } = await import('@peak/churn');
const { ACKS_PREFIX, RUNS_PREFIX, STATE_KEY } = await import('../../services/crm-sync/src/sync/state.js');
const { LOCK_KEY } = await import('../../services/crm-sync/src/sync/lock.js');

const MODELS = CHURN_MODELS_PREFIX;
const STATE = 'crm-sync/';
const relationPrefixes = [crmSyncRuns, crmSyncChanges, marketingHoldout].map((r) => `${PROCESSED}${r.name}/`);
const NOTIFIER_TABLES = ['email-sends', 'email-recipients', 'email-suppressions', 'email-events', 'campaign-runs'];
const INDEX_ARN = (index: string) => `${TABLE_ARN('email-sends')}/index/${index}`;

const ingestDeps = {
  prefix: PREFIX,
  region: REGION,
  lake,
  rawPrefix: lakeZones.raw.prefix,
  batchesPrefix: lakeZones.batches.prefix,
  queueArns,
  apiKeysSecretArn: SECRET_ARN('ingest-api-keys'),
  desiredCount: 2,
};
const leaderboardDeps = {
  prefix: PREFIX,
  region: REGION,
  lake,
  athena,
  processedPrefix: PROCESSED,
  churnModelsPrefix: MODELS,
  queueArns,
  redisUrl: pulumi.output(REDIS_URL), // the cache component's Output
  studioTimeZone: ZONE,
  minTasks: 1,
  maxTasks: 3,
};
const crmSyncDeps = {
  prefix: PREFIX,
  region: REGION,
  lake,
  athena,
  processedPrefix: PROCESSED,
  relationPrefixes,
  modelsPrefix: MODELS,
  statePrefix: STATE,
  stateDeletes: [`${STATE}acks/`, `${STATE}lock.json`],
  studioTimeZone: ZONE,
  hubspot: { requestsPerTenSeconds: 90, dailyBudget: 200_000 },
  hubspotTokenSecretArn: SECRET_ARN('crm-sync-hubspot-token'),
  apiKeysSecretArn: SECRET_ARN('crm-sync-api-keys'),
};
const notifierDeps = {
  prefix: PREFIX,
  region: REGION,
  lake,
  athena,
  processedPrefix: PROCESSED,
  queueArns,
  tableArns: Object.fromEntries(['email-sends', 'email-recipients', 'email-suppressions', 'email-events', 'campaign-runs'].map((n) => [n, TABLE_ARN(n)])),
  sendsIndexArns: Object.fromEntries(['byMember', 'byCampaign', 'byRun'].map((i) => [i, INDEX_ARN(i)])),
  ses: { emailDomain: EMAIL_DOMAIN, identityArn: IDENTITY_ARN, configurationSetName: CONFIGURATION_SET, configurationSetArn: CONFIGURATION_SET_ARN },
  signingKeysSecretArn: SECRET_ARN('notifier-unsubscribe-signing-keys'),
  apiKeysSecretArn: SECRET_ARN('notifier-api-keys'),
  publicBaseUrl: pulumi.output('https://notifier.peakfitness.com'),
  postalAddress: 'Peak Fitness Inc., 500 Main Street, Boulder, CO 80302',
  memberAppUrl: 'https://members.peakfitness.com/book',
  studioTimeZone: ZONE,
  minTasks: 1,
  maxTasks: 3,
};

/** What ECS would put into each secret variable: values of the service's own formats (the operator's, in AWS). */
const SECRET_VALUES = {
  INGEST_API_KEYS: 'membership-system:membershipKey0000001,door-system:doorSystemKey00000001',
  HUBSPOT_ACCESS_TOKEN: 'pat-na1-00000000-0000-0000-0000-000000000000',
  CRM_SYNC_API_KEYS: 'crmSyncOperatorKey000001',
  UNSUBSCRIBE_SIGNING_KEYS: 'a'.repeat(64),
  NOTIFIER_API_KEYS: 'notifierOperatorKey00001',
} as const;

type Loader = { configSchema: Record<string, unknown>; readConfig(env: NodeJS.ProcessEnv): Record<string, unknown> };
const services: { name: string; spec: () => ServiceSpec; loader: Loader; sdkOnly?: string[] }[] = [
  { name: 'ingest', spec: () => ingestSpec(ingestDeps), loader: ingestConfig as unknown as Loader },
  { name: 'leaderboard', spec: () => leaderboardSpec(leaderboardDeps), loader: leaderboardConfig as unknown as Loader },
  // crm-sync's config has no AWS_REGION: its Athena and S3 clients take the SDK's.
  { name: 'crm-sync', spec: () => crmSyncSpec(crmSyncDeps), loader: crmSyncConfig as unknown as Loader, sdkOnly: ['AWS_REGION'] },
  { name: 'notifier', spec: () => notifierSpec(notifierDeps), loader: notifierConfig as unknown as Loader },
];

/** The environment ECS gives the container: the plain variables and each secret's value. */
async function containerEnv(spec: ServiceSpec): Promise<Record<string, string>> {
  const { environment, secrets } = await resolvedEnvironment(spec);
  const values = Object.fromEntries(Object.keys(secrets).map((k) => [k, (SECRET_VALUES as Record<string, string | undefined>)[k] ?? `missing placeholder for ${k}`]));
  return { ...environment, ...values };
}

/** The exec-form CMD of a service's Dockerfile. */
const dockerCmd = (name: string): string[] => {
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(new URL(`../../services/${name}/Dockerfile`, import.meta.url), 'utf8'))?.[1];
  return cmd === undefined ? [] : (JSON.parse(cmd) as string[]);
};

t.test('each spec’s environment is exactly what its service reads, and its loader accepts it without any local stand-in', async (t) => {
  for (const { name, spec: build, loader, sdkOnly = [] } of services) {
    const spec = build();
    t.equal(spec.name, name);
    const { environment, secrets } = await resolvedEnvironment(spec);
    const known = new Set([...Object.keys(loader.configSchema), ...RUNTIME_VARIABLES, ...sdkOnly]);
    for (const key of [...Object.keys(environment), ...Object.keys(secrets)]) t.ok(known.has(key), `${name}: ${key} is a variable the service (or Node, the SDK) reads`);
    for (const key of Object.keys(secrets)) {
      t.ok(key in loader.configSchema, `${name}: the secret ${key} is a config variable`);
      t.notOk(key in environment, `${name}: ${key} only from Secrets Manager, never plain`);
      t.match(secrets[key], /^arn:aws:secretsmanager:/, `${name}: ${key} from a secret's ARN`);
    }
    t.same(Object.keys(environment).filter((k) => k.startsWith('AWS_ENDPOINT_URL') || k.startsWith('AWS_ACCESS') || k.startsWith('AWS_SECRET')), [], `${name}: no endpoint or credentials (the task role's)`);
    const env = await containerEnv(spec);
    let config: Record<string, unknown> = {};
    t.doesNotThrow(() => (config = loader.readConfig(env)), `${name}: its readConfig accepts the environment`);
    t.match(config, { HOST: '0.0.0.0', PORT: spec.port, READY_DETAILS: false, LOG_LEVEL: 'info' }, `${name}: listens on the task's interface at the spec's port; /ready says no details`);
    const text = JSON.stringify(config);
    t.notMatch(text, /127\.0\.0\.1|localhost|\.example\b|sandbox/, `${name}: no local endpoint, sandbox or placeholder default is left in the config`);
    if ('LAKE_URI' in loader.configSchema) t.equal(config.LAKE_URI, `s3://${BUCKET}/`, `${name}: the lake bucket`);
    if ('ANALYTICS_ENGINE' in loader.configSchema) t.match(config, { ANALYTICS_ENGINE: 'athena', ATHENA_WORKGROUP: 'peak-test-analytics', GLUE_DATABASE: 'peak_test', STUDIO_TIME_ZONE: ZONE }, `${name}: Athena over the S3 lake`);
    if ('QUEUE_PREFIX' in loader.configSchema) t.equal(config.QUEUE_PREFIX, PREFIX, `${name}: the stage's queues`);
    t.same(spec.command, dockerCmd(name), `${name}: the CMD of services/${name}/Dockerfile (its bundled server)`);
    t.equal(spec.healthPath, '/ready', `${name}: service-kit's readiness route`);
    t.match(environment.NODE_OPTIONS, new RegExp(`^--max-old-space-size=${Math.floor(spec.memoryMib * 0.75)}$`), `${name}: heap sized to the task`);
  }
});

t.test('per service: secrets, routes, tasks and the values only it needs', async (t) => {
  const ingest = ingestSpec(ingestDeps);
  t.same(Object.keys(ingest.secrets), ['INGEST_API_KEYS']);
  t.match(ingest, { desiredCount: 2, publicRoute: { subdomain: 'ingest', fallbackPort: 4001 }, port: 4001 });
  t.equal(ingest.scaling, undefined, 'HTTP only: nothing to scale on');
  t.notOk(ingest.usesRedis);

  const board = leaderboardSpec(leaderboardDeps);
  const boardConfig = leaderboardConfig.readConfig(await containerEnv(board));
  t.equal(boardConfig.REDIS_URL, REDIS_URL, 'the cache’s URL, not the local default');
  t.equal(boardConfig.LEADERBOARD_FEED, 'on');
  t.same(board.secrets, {}, 'no API keys: the leaderboard has none');
  t.match(board, { usesRedis: true, desiredCount: 1, publicRoute: { subdomain: 'leaderboard', fallbackPort: 4000 }, scaling: { queue: 'attendance-events', minTasks: 1, maxTasks: 3 } });

  const crm = crmSyncSpec(crmSyncDeps);
  const crmConfig = crmSyncConfig.readConfig(await containerEnv(crm));
  t.match(crmConfig, { CRM_SYNC_SCHEDULE: 'off', HUBSPOT_BASE_URL: 'https://api.hubapi.com', HUBSPOT_REQUESTS_PER_10S: 90, HUBSPOT_DAILY_BUDGET: 200_000 }, 'the Scheduler runs the sync; the real HubSpot at the job’s pace');
  t.same(crm.secrets, { HUBSPOT_ACCESS_TOKEN: SECRET_ARN('crm-sync-hubspot-token'), CRM_SYNC_API_KEYS: SECRET_ARN('crm-sync-api-keys') }, 'the job’s HubSpot token (the API calls HubSpot) and its own API keys');
  t.same(crmSyncConfig.apiKeys(crmConfig), [SECRET_VALUES.CRM_SYNC_API_KEYS], 'the keys reach the /v1/runs guard');
  t.match(crm, { desiredCount: 1, port: 4003 });
  t.equal(crm.publicRoute, undefined, 'internal: not on the load balancer');
  t.equal(crm.scaling, undefined);
  const { HUBSPOT_DAILY_BUDGET: _unset, ...withoutBudget } = (await resolvedEnvironment(crmSyncSpec({ ...crmSyncDeps, hubspot: { requestsPerTenSeconds: 95 } }))).environment;
  t.notOk('HUBSPOT_DAILY_BUDGET' in withoutBudget, 'no budget: the variable is absent');

  const notifier = notifierSpec(notifierDeps);
  const n = notifierConfig.readConfig(await containerEnv(notifier));
  t.match(n, {
    TABLE_PREFIX: PREFIX,
    SES_FROM_ADDRESS: `Peak Fitness <hello@${EMAIL_DOMAIN}>`,
    SES_CONFIGURATION_SET: CONFIGURATION_SET,
    CAMPAIGN_SCHEDULE: 'off',
    PUBLIC_BASE_URL: 'https://notifier.peakfitness.com',
    POSTAL_ADDRESS: notifierDeps.postalAddress,
    MEMBER_APP_URL: notifierDeps.memberAppUrl,
  });
  t.ok((n.SEND_RATE_SHARE as number) * notifierDeps.maxTasks <= 1 && (n.SEND_RATE_SHARE as number) * notifierDeps.maxTasks > 0.999, 'SEND_RATE_SHARE = 1/maxTasks: all tasks together stay within the account’s rate');
  t.equal(n.SEND_RATE, undefined, 'the rate follows the SES account (GetAccount)');
  t.same(notifier.secrets, { UNSUBSCRIBE_SIGNING_KEYS: SECRET_ARN('notifier-unsubscribe-signing-keys'), NOTIFIER_API_KEYS: SECRET_ARN('notifier-api-keys') });
  t.match(notifier, { desiredCount: 1, publicRoute: { subdomain: 'notifier', fallbackPort: 4002 }, scaling: { queue: 'email-requests', minTasks: 1, maxTasks: 3 } });
  t.notOk(notifier.usesRedis);
  t.equal(shareOf(1), '1');
  t.equal(shareOf(3), '0.333333');
  t.ok(new Set([ingest, board, notifier].map((s) => s.publicRoute?.fallbackPort)).size === 3, 'one load-balancer port per public service');
  for (const spec of [ingest, board, crm, notifier]) t.ok(spec.scaling === undefined || queueList.some((q) => q.name === spec.scaling?.queue && q.consumer === spec.name), `${spec.name}: scales only on a queue it consumes`);
});

t.test('the specs refuse deps that would grant the wrong things or run the wrong number of tasks', async (t) => {
  t.throws(() => ingestSpec({ ...ingestDeps, queueArns: { 'raw-landed': QUEUE_ARN('raw-landed') } }), /ingest: no ARN for the attendance-events queue/);
  t.throws(() => ingestSpec({ ...ingestDeps, rawPrefix: 'raw/*' }), /rawPrefix must be a key prefix/);
  t.throws(() => ingestSpec({ ...ingestDeps, desiredCount: 0 }), /ingest desiredCount must be a whole number from 1/);
  t.throws(() => leaderboardSpec({ ...leaderboardDeps, minTasks: 3, maxTasks: 2 }), /leaderboard maxTasks must be a whole number from 3/);
  t.throws(() => leaderboardSpec({ ...leaderboardDeps, churnModelsPrefix: '' }), /churnModelsPrefix must be a key prefix/);
  t.throws(() => crmSyncSpec({ ...crmSyncDeps, relationPrefixes: ['models/x/'] }), /must be one relation inside processed\//);
  t.throws(() => crmSyncSpec({ ...crmSyncDeps, stateDeletes: ['processed/'] }), /must be inside crm-sync\//);
  t.throws(() => crmSyncSpec({ ...crmSyncDeps, hubspot: { requestsPerTenSeconds: 0 } }), /requestsPerTenSeconds/);
  t.throws(() => notifierSpec({ ...notifierDeps, tableArns: {} }), /notifier: no ARN for table email-sends/);
  t.throws(() => notifierSpec({ ...notifierDeps, sendsIndexArns: { byMember: INDEX_ARN('byMember') } }), /no ARN for email-sends index byCampaign/);
  t.throws(() => notifierSpec({ ...notifierDeps, ses: { ...notifierDeps.ses, emailDomain: 'hello@mail.x.com' } }), /emailDomain must be a domain name/);
  t.throws(() => notifierSpec({ ...notifierDeps, fromName: 'Peak <x>' }), /fromName/);
  t.throws(() => checkTaskPolicy('x', [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::b'] }]), /action wildcard s3:\*/);
  t.throws(() => checkTaskPolicy('x', [{ Sid: 'A', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: ['*'] }], ['ses:GetAccount']), /"\*" resource for sqs:SendMessage in A; only ses:GetAccount/);
  t.throws(() => checkTaskPolicy('x', [{ Sid: 'A', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [] }]), /no action or no resource/);
  t.throws(() => shareOf(0), /whole number ≥ 1/);
});

const athenaGrants = (listPrefixes: string[]) => [
  ...allow([...JOB_ATHENA_ACTIONS], [WORKGROUP_ARN]),
  ...allow([...JOB_GLUE_ACTIONS], [`${GLUE}:catalog`, DATABASE_ARN, `${GLUE}:table/peak_test/*`]),
  ...allow(['s3:GetBucketLocation'], [BUCKET_ARN]),
  ...allow(['s3:ListBucket'], [BUCKET_ARN], { StringLike: { 's3:prefix': [`${PROCESSED}*`, ...listPrefixes.map((p) => `${p}*`), `${RESULTS}*`] } }),
  ...allow(['s3:GetObject'], [OBJECT(`${PROCESSED}*`)]),
  ...allow([...RESULTS_S3_ACTIONS], [OBJECT(`${RESULTS}*`)]),
];
const consume = ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'];

/** Each role's whole reach, grant by grant: an added action or resource fails until this list (and the README) is looked at. */
const EXPECTED: Record<string, string[]> = {
  ingest: [
    ...allow(['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:SendMessage'], [QUEUE_ARN('raw-landed'), QUEUE_ARN('attendance-events')]),
    ...allow(['s3:ListBucket'], [BUCKET_ARN], { Null: { 's3:prefix': 'true' } }),
    ...allow(['s3:ListBucket'], [BUCKET_ARN], { StringLike: { 's3:prefix': ['raw/*', 'batches/*'] } }),
    ...allow(['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject', 's3:DeleteObject'], [OBJECT('raw/*')]),
    ...allow(['s3:GetObject', 's3:PutObject'], [OBJECT('batches/*')]),
  ],
  leaderboard: [
    ...allow(consume, [QUEUE_ARN('attendance-events'), QUEUE_ARN('batch-processed')]),
    ...athenaGrants([MODELS]),
    ...allow(['s3:GetObject'], [OBJECT(`${MODELS}*`)]),
  ],
  'crm-sync': [
    ...athenaGrants([MODELS, STATE]),
    ...allow(['s3:PutObject', 's3:AbortMultipartUpload'], relationPrefixes.map((p) => OBJECT(`${p}*`))),
    ...allow(['s3:GetObject'], [OBJECT(`${MODELS}*`)]),
    ...allow(['s3:GetObject', 's3:PutObject'], [OBJECT(`${STATE}*`)]),
    ...allow(['s3:DeleteObject'], [OBJECT(`${STATE}acks/*`), OBJECT(`${STATE}lock.json`)]),
  ],
  notifier: [
    ...allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [TABLE_ARN('email-sends')]),
    ...allow(['dynamodb:Query'], [INDEX_ARN('byMember'), INDEX_ARN('byCampaign'), INDEX_ARN('byRun')]),
    ...allow(['dynamodb:GetItem', 'dynamodb:PutItem'], [TABLE_ARN('email-recipients')]),
    ...allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], [TABLE_ARN('email-suppressions')]),
    ...allow(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'], [TABLE_ARN('email-events')]),
    ...allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [TABLE_ARN('campaign-runs')]),
    ...allow(['dynamodb:DescribeTable'], NOTIFIER_TABLES.map(TABLE_ARN)),
    ...allow(['ses:SendEmail'], [IDENTITY_ARN, CONFIGURATION_SET_ARN]),
    ...allow(['ses:GetAccount', 'ses:ListEmailTemplates'], ['*']),
    ...allow(consume, [QUEUE_ARN('email-requests')]),
    ...allow(consume.slice(0, -1), [QUEUE_ARN('ses-events')]),
    ...allow(['sqs:SendMessage'], [QUEUE_ARN('email-requests')]),
    ...athenaGrants([]),
  ],
};

t.test('each task role: exactly its grants, no action wildcard, "*" only where AWS has no resource type', async (t) => {
  for (const { name, spec } of services) {
    const doc = await taskPolicyDocument(spec().taskPolicy);
    t.same(grants(doc), [...EXPECTED[name]!].sort(), `${name}: the whole reach`);
    for (const s of doc.Statement) {
      t.equal(s.Effect, 'Allow', `${name} ${s.Sid}: Allow only`);
      for (const a of list(s.Action)) t.notOk(a.includes('*'), `${name} ${s.Sid}: no action wildcard (${a})`);
      if (list(s.Resource).includes('*')) t.same(list(s.Action), [...SES_ACCOUNT_ACTIONS], `${name} ${s.Sid}: "*" only for SES calls without a resource type`);
    }
    t.equal(new Set(doc.Statement.map((s) => s.Sid)).size, doc.Statement.length, `${name}: Sids are unique`);
  }
});

t.test('least privilege: each role reaches only its own queues, tables and prefixes', async (t) => {
  const own: Record<string, { queues: string[]; tables: string[]; prefixes: string[] }> = {
    ingest: { queues: [...INGEST_QUEUES], tables: [], prefixes: ['raw/', 'batches/'] },
    leaderboard: { queues: ['attendance-events', 'batch-processed'], tables: [], prefixes: [PROCESSED, MODELS, RESULTS] },
    'crm-sync': { queues: [], tables: [], prefixes: [PROCESSED, MODELS, STATE, RESULTS] },
    notifier: { queues: ['email-requests', 'ses-events'], tables: NOTIFIER_TABLES, prefixes: [PROCESSED, RESULTS] },
  };
  for (const { name, spec } of services) {
    const doc = await taskPolicyDocument(spec().taskPolicy);
    const resources = doc.Statement.flatMap((s) => list(s.Resource));
    const queues = resources.filter((r) => r.startsWith('arn:aws:sqs:')).map((r) => r.split(':').at(-1));
    t.same([...new Set(queues)].sort(), own[name]!.queues.map((q) => physicalQueueName(q, PREFIX)).sort(), `${name}: its queues, no other`);
    const tables = resources.filter((r) => r.startsWith('arn:aws:dynamodb:')).map((r) => r.split('/')[1]);
    t.same([...new Set(tables)].sort(), own[name]!.tables.map((n) => `${PREFIX}-${n}`).sort(), `${name}: its tables, no other`);
    for (const r of resources.filter((x) => x.startsWith(`${BUCKET_ARN}/`))) {
      const key = r.slice(BUCKET_ARN.length + 1);
      t.ok(own[name]!.prefixes.some((p) => key.startsWith(p)), `${name}: ${key} is under its own prefixes`);
    }
    for (const s of doc.Statement.filter((x) => list(x.Action).includes('s3:ListBucket'))) {
      const prefixes = s.Condition?.StringLike?.['s3:prefix'];
      if (prefixes) for (const p of list(prefixes)) t.ok(own[name]!.prefixes.some((o) => p.startsWith(o)), `${name}: lists ${p}, its own`);
      else t.same(s.Condition, { Null: { 's3:prefix': 'true' } }, `${name} ${s.Sid}: a listing without a prefix condition is only HeadBucket's`);
    }
    const text = JSON.stringify(doc);
    for (const other of ['quarantine/', 'student_sandbox', 'secretsmanager', 'kms:', 'iam:', 'ses:SendRawEmail', 'dynamodb:Scan']) t.notOk(text.includes(other), `${name}: nothing on ${other}`);
    if (name !== 'ingest') t.notOk(text.includes(lakeZones.raw.prefix), `${name}: nothing on raw/`);
  }
});

t.test('crm-sync’s service has the daily job’s lake grants, held to the service’s own keys', async (t) => {
  for (const key of [STATE_KEY, `${ACKS_PREFIX}x`, `${RUNS_PREFIX}x.json`, LOCK_KEY]) t.ok(key.startsWith(STATE), `${key} is under ${STATE}`);
  t.equal(`${STATE}lock.json`, LOCK_KEY, 'the lock the policy may delete is the service’s lock');
  t.equal(ACKS_PREFIX, `${STATE}acks/`, 'the acks the policy may delete are the service’s');
});

t.test('ServiceSecrets: one secret per service API key variable, no value', async (t) => {
  const secrets = new ServiceSecrets('service-secrets', { prefix: PREFIX, tags: { project: 'peak-fitness', stage: 'test' } });
  const arns = Object.fromEntries(await Promise.all(Object.entries(secrets.arns).map(async ([k, v]) => [k, await resolve(v)])));
  const names = Object.fromEntries(await Promise.all(Object.entries(secrets.names).map(async ([k, v]) => [k, await resolve(v)])));
  t.same(names, { ingestApiKeys: 'peak-test-ingest-api-keys', crmSyncApiKeys: 'peak-test-crm-sync-api-keys', notifierApiKeys: 'peak-test-notifier-api-keys', etlAdminKey: 'peak-test-etl-admin-key' });
  t.same(arns.ingestApiKeys, SECRET_ARN('ingest-api-keys'), 'the ARN the ingest spec is given');
  const created = registered.filter((r) => r.type === 'aws:secretsmanager/secret:Secret');
  t.equal(created.length, 4);
  for (const s of created) {
    t.notOk(s.inputs.kmsKeyId, `${String(s.inputs.name)}: the account’s aws/secretsmanager key`);
    t.match(s.inputs.tags, { project: 'peak-fitness', stage: 'test', component: 'service-secrets' });
  }
  t.equal(registered.filter((r) => r.type === 'aws:secretsmanager/secretVersion:SecretVersion').length, 0, 'no value in the program: the operator puts it');
  // Each secret holds a whole variable of its service's config.
  const schemas: Record<string, Record<string, unknown>> = {
    ingest: ingestConfig.configSchema,
    'crm-sync': crmSyncConfig.configSchema,
    notifier: notifierConfig.configSchema,
    etl: (await import('../../services/etl/src/service/config.js')).configSchema as Record<string, unknown>,
  };
  for (const s of Object.values(SERVICE_API_KEY_SECRETS)) t.ok(s.variable in (schemas[s.service] ?? {}), `${s.variable} is ${s.service}'s variable`);
  // Each spec takes its keys from its secret: the variable ECS sets is the one the secret is for.
  const bySpec = { ingestApiKeys: ingestSpec({ ...ingestDeps, apiKeysSecretArn: secrets.arns.ingestApiKeys }), crmSyncApiKeys: crmSyncSpec({ ...crmSyncDeps, apiKeysSecretArn: secrets.arns.crmSyncApiKeys }), notifierApiKeys: notifierSpec({ ...notifierDeps, apiKeysSecretArn: secrets.arns.notifierApiKeys }) };
  for (const [key, spec] of Object.entries(bySpec) as [keyof typeof bySpec, ServiceSpec][]) {
    const variable = SERVICE_API_KEY_SECRETS[key].variable;
    t.equal(await resolve(spec.secrets[variable] ?? 'absent'), arns[key], `${spec.name}: ${variable} from ${names[key]}`);
  }
});

// ── what ingest really calls ──────────────────────────────────────────────────────────────────────────────────────
type Sent = { command: string; input: Record<string, unknown> };

/** Records every command a client sends, before it goes out (the call still reaches the emulator). */
function recording<C extends S3Client | SQSClient>(client: C, sent: Sent[]): C {
  (client.middlewareStack as unknown as { add(mw: unknown, opts: object): void }).add(
    (next: (args: { input: object }) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: object }) => {
      sent.push({ command: String(context.commandName), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'recordSentCommands' },
  );
  return client;
}

/** The IAM grant line (as `grants` writes it) that authorises a call, found in the policy: each call must have one. */
function grantFor(call: Sent, granted: string[]): string[] {
  const queue = (input: Record<string, unknown>) => QUEUE_ARN(String(input.QueueName ?? String(input.QueueUrl).split('/').at(-1)).slice(PREFIX.length + 1));
  const object = (action: string, key: string) =>
    granted.find((g) => g.startsWith(`Allow ${action} ${BUCKET_ARN}/`) && key.startsWith(g.split(' ')[2]!.slice(BUCKET_ARN.length + 1).replace(/\*$/, ''))) ?? `ungranted ${action} ${key}`;
  const key = String(call.input.Key);
  switch (call.command) {
    case 'GetQueueUrlCommand':
      return [`Allow sqs:GetQueueUrl ${queue(call.input)}`];
    case 'GetQueueAttributesCommand':
      return [`Allow sqs:GetQueueAttributes ${queue(call.input)}`];
    case 'SendMessageCommand':
    case 'SendMessageBatchCommand':
      return [`Allow sqs:SendMessage ${queue(call.input)}`];
    case 'HeadBucketCommand': // authorised as ListBucket, without a prefix
      return [granted.find((g) => g.startsWith(`Allow s3:ListBucket ${BUCKET_ARN} if {"Null"`)) ?? 'ungranted HeadBucket'];
    case 'ListObjectsV2Command': {
      const prefix = String(call.input.Prefix);
      return [
        granted.find((g) => {
          const condition = g.split(' if ')[1];
          const patterns = condition ? (JSON.parse(condition) as { StringLike?: { 's3:prefix'?: string[] } }).StringLike?.['s3:prefix'] : undefined;
          return g.startsWith(`Allow s3:ListBucket ${BUCKET_ARN} if`) && (patterns ?? []).some((p) => prefix.startsWith(p.replace(/\*$/, '')));
        }) ?? `ungranted ListBucket ${prefix}`,
      ];
    }
    case 'PutObjectCommand':
    case 'CreateMultipartUploadCommand':
    case 'UploadPartCommand':
    case 'CompleteMultipartUploadCommand':
      return [object('s3:PutObject', key)];
    case 'AbortMultipartUploadCommand':
      return [object('s3:AbortMultipartUpload', key)];
    case 'GetObjectCommand':
    case 'HeadObjectCommand':
      return [object('s3:GetObject', key)];
    case 'DeleteObjectCommand':
      return [object('s3:DeleteObject', key)];
    case 'CopyObjectCommand': // reads the source, writes the target
      return [object('s3:GetObject', decodeURIComponent(String(call.input.CopySource)).split('/').slice(1).join('/')), object('s3:PutObject', key)];
    default:
      return [`unmapped ${call.command}`];
  }
}

t.test('a real ingest, configured by its spec, makes only calls its role grants (fauxqs for SQS and S3)', async (t) => {
  const spec = ingestSpec(ingestDeps);
  const emu = await startSqsEmulator({ queuePrefix: PREFIX });
  t.teardown(() => emu.stop());
  const local = { region: LOCAL_REGION, endpoint: emu.endpoint, credentials: LOCAL_CREDENTIALS };
  const admin = new S3Client({ ...local, forcePathStyle: true });
  t.teardown(() => admin.destroy());
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const sent: Sent[] = [];
  // The clients ingest's plugins would build, aimed at the emulator (the spec sets no endpoint), recording each call.
  const s3 = recording(new S3Client({ ...local, forcePathStyle: true }), sent);
  const sqs = recording(new SQSClient({ ...local, useQueueUrlAsEndpoint: false }), sent);
  t.teardown(() => (s3.destroy(), sqs.destroy()));
  const config = ingestConfig.readConfig({ ...(await containerEnv(spec)), CHECKIN_SPOOL_DIR: join(t.testdir(), 'spool') });
  const { buildApp } = await import('../../services/ingest/src/app.js');
  const app = await buildApp(config, { s3, sqs });
  await app.ready();
  const door = { authorization: `Bearer ${SECRET_VALUES.INGEST_API_KEYS.split(',')[1]!.split(':')[1]}` };
  const header = 'checkin_id,member_id,class_id,location_id,checked_in_at,method\n';
  const csv = `${header}K1,M1,C1,downtown,2026-01-05T06:52:40Z,card\n`;
  const upload = (body: string) => app.inject({ method: 'POST', url: '/v1/datasets/attendance/batches', headers: { ...door, 'content-type': 'text/csv' }, payload: body });

  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200, 'ready: its queues and the bucket answer');
  const first = await upload(csv);
  t.equal(first.statusCode, 202, 'an upload lands');
  t.equal((await upload(csv)).statusCode, 200, 'the same bytes again: a duplicate (its raw object deleted)');
  // A hash claimed by an upload that died before its record: the next upload of those bytes adopts the batch (CopyObject).
  const orphan = `${header}K2,M2,C2,uptown,2026-01-05T07:10:00Z,app\n`;
  const { newBatchId } = await import('@peak/lake');
  const claimed = newBatchId('attendance', new Date());
  await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: batchHashKey('attendance', createHash('sha256').update(orphan).digest('hex')), Body: claimed }));
  t.match((await upload(orphan)).json(), { batchId: claimed, duplicate: true }, 'the claimed batch is adopted');
  // Larger than one part: a multipart upload.
  const big = await upload(`${header}${'K3,M3,C3,downtown,2026-01-05T08:00:00Z,kiosk\n'.repeat(Math.ceil(6_000_000 / 44))}`);
  t.equal(big.statusCode, 202, 'a 6 MB export lands');
  t.equal((await app.inject({ method: 'GET', url: `/v1/batches/${first.json<{ batchId: string }>().batchId}`, headers: door })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/v1/batches', headers: door })).statusCode, 200);
  const checkin = { checkin_id: 'K9', member_id: 'M9', class_id: 'C9', location_id: 'downtown', checked_in_at: '2026-01-05T09:00:00Z', method: 'card' };
  t.equal((await app.inject({ method: 'POST', url: '/v1/events/check-ins', headers: { ...door, 'content-type': 'application/json' }, payload: JSON.stringify([checkin]) })).statusCode, 202);
  await app.close(); // flushes the buffered check-in into the raw zone as a batch

  const commands = new Set(sent.map((s) => s.command));
  for (const c of ['HeadBucketCommand', 'CreateMultipartUploadCommand', 'CopyObjectCommand', 'DeleteObjectCommand', 'ListObjectsV2Command', 'SendMessageBatchCommand', 'SendMessageCommand']) {
    t.ok(commands.has(c), `the run exercised ${c}`);
  }
  const granted = grants(await taskPolicyDocument(spec.taskPolicy));
  const needed = [...new Set(sent.flatMap((call) => grantFor(call, granted)))].sort();
  t.same(needed.filter((g) => !granted.includes(g)), [], 'every call is granted');
  t.same(
    granted.filter((g) => !needed.includes(g)),
    [`Allow s3:AbortMultipartUpload ${OBJECT('raw/*')}`],
    'every grant is used, but the abort of a failed multipart upload (leavePartsOnError: false)',
  );
});

// ── what the notifier really calls ────────────────────────────────────────────────────────────────────────────────
/** The grant lines a notifier call needs (SQS, DynamoDB through the document client, SES v2); unknown calls fail. */
function notifierGrantFor({ command, input }: Sent): string[] {
  const name = command.replace(/Command$/, '');
  const queue = () => QUEUE_ARN(String(input.QueueName ?? String(input.QueueUrl).split('/').at(-1)).slice(PREFIX.length + 1));
  const table = () => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${String(input.TableName)}`;
  const sqs: Record<string, string> = {
    GetQueueUrl: 'GetQueueUrl',
    GetQueueAttributes: 'GetQueueAttributes',
    ReceiveMessage: 'ReceiveMessage',
    DeleteMessage: 'DeleteMessage',
    DeleteMessageBatch: 'DeleteMessage',
    ChangeMessageVisibility: 'ChangeMessageVisibility',
    ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
    SendMessage: 'SendMessage',
    SendMessageBatch: 'SendMessage',
  };
  // The document client's commands (Put) and the client's own (PutItem) are authorised alike.
  const dynamo: Record<string, string> = { Get: 'GetItem', GetItem: 'GetItem', Put: 'PutItem', PutItem: 'PutItem', Update: 'UpdateItem', UpdateItem: 'UpdateItem', Delete: 'DeleteItem', DeleteItem: 'DeleteItem', DescribeTable: 'DescribeTable' };
  if (sqs[name]) return [`Allow sqs:${sqs[name]} ${queue()}`];
  if (dynamo[name]) return [`Allow dynamodb:${dynamo[name]} ${table()}`];
  if (name === 'Query') return [`Allow dynamodb:Query ${table()}${input.IndexName ? `/index/${String(input.IndexName)}` : ''}`];
  if (name === 'BatchGet' || name === 'BatchGetItem') return Object.keys(input.RequestItems as object).map((t) => `Allow dynamodb:BatchGetItem arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${t}`);
  if (name === 'SendEmail') return [IDENTITY_ARN, `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${String(input.ConfigurationSetName)}`].map((r) => `Allow ses:SendEmail ${r}`);
  if (name === 'GetAccount' || name === 'ListEmailTemplates') return [`Allow ses:${name} *`];
  return [`unmapped ${command}`];
}

t.test('a real notifier, configured by its spec, makes only SQS, DynamoDB and SES calls its role grants', async (t) => {
  const { SESv2Client } = await import('@aws-sdk/client-sesv2');
  const { SNSClient } = await import('@aws-sdk/client-sns');
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { DuckDbEngine } = await import('@peak/analytics');
  const { queues: queueDefs, tableList } = await import('@peak/contracts');
  const { startDynamoDb } = await import('@peak/local-stack');
  const { Queues } = await import('@peak/service-kit');
  const { startSesSandbox, wireSesEvents } = await import('@peak/ses-sandbox');
  const { buildApp } = await import('../../services/notifier/src/app.js');
  const { writeCampaignWorld } = await import('../../services/notifier/src/campaigns/fixtures.js');
  const { localDay } = await import('../../services/notifier/src/ledger/recipients.js');

  const spec = notifierSpec(notifierDeps);
  const asOf = localDay(new Date(Date.now() - 86_400_000), ZONE);
  const lakeDir = join(t.testdir(), 'lake');
  const world = await writeCampaignWorld(lakeDir, asOf, ZONE);
  const engine = new DuckDbEngine({ lakeRoot: lakeDir, timeZone: ZONE });
  t.teardown(() => engine.close());
  const emu = await startSqsEmulator({ queuePrefix: PREFIX });
  t.teardown(() => emu.stop());
  const db = await startDynamoDb({ tables: tableList, tablePrefix: PREFIX });
  t.teardown(() => db.stop());
  const sandbox = await startSesSandbox({ snsEndpoint: emu.endpoint, maxSendRate: 100 });
  t.teardown(() => sandbox.stop());
  const local = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const sent: Sent[] = [];
  const sqs = recording(new SQSClient({ ...local, endpoint: emu.endpoint, useQueueUrlAsEndpoint: false }), sent);
  const ses = new SESv2Client({ ...local, endpoint: sandbox.endpoint, maxAttempts: 1 });
  (ses.middlewareStack as unknown as { add(mw: unknown, opts: object): void }).add(
    (next: (args: { input: object }) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: object }) => {
      sent.push({ command: String(context.commandName), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'recordSentCommands' },
  );
  const dynamodb = new DynamoDBClient({ ...local, endpoint: db.endpoint });
  (dynamodb.middlewareStack as unknown as { add(mw: unknown, opts: object): void }).add(
    (next: (args: { input: object }) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: object }) => {
      sent.push({ command: String(context.commandName), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'recordSentCommands' },
  );
  const sns = new SNSClient({ ...local, endpoint: emu.endpoint });
  const admin = new SQSClient({ ...local, endpoint: emu.endpoint });
  t.teardown(() => [sqs, ses, dynamodb, sns, admin].forEach((c) => c.destroy()));
  await wireSesEvents({ ses: new SESv2Client({ ...local, endpoint: sandbox.endpoint }), sns, sqs: admin, configurationSet: CONFIGURATION_SET, queueUrl: await new Queues(admin, PREFIX).url(queueDefs.sesEvents) });
  sent.length = 0; // the wiring's own calls are the test's, not the notifier's

  // The spec's environment; quiet hours off so that marketing mail goes now whatever the hour, re-checks always fresh.
  const config = notifierConfig.readConfig({ ...(await containerEnv(spec)), QUIET_HOURS: 'off', RECHECK_MAX_AGE_SECONDS: '0' });
  const app = await buildApp(config, { sqs, ses, dynamodb, analytics: { engine } });
  t.teardown(() => app.close());
  await app.ready();
  const auth = { authorization: `Bearer ${SECRET_VALUES.NOTIFIER_API_KEYS}` };
  const member = (id: string) => world.members.find((m) => m.member_id === id) as { email: string };
  sandbox.sandbox.outcomes.script(member('W14').email, 'hard_bounce');

  t.equal((await app.inject({ url: '/ready' })).statusCode, 200, 'ready: tables, SES, queues');
  const planned = await app.inject({ method: 'POST', url: '/v1/campaign-runs', headers: auth, payload: { asOf, campaigns: ['win_back'] } });
  t.equal(planned.statusCode, 201, planned.body);
  const { runId } = planned.json<{ runId: string }>();
  let status = '';
  for (let i = 0; i < 300 && status !== 'finished'; i++) {
    status = (await app.inject({ url: `/v1/campaign-runs/${runId}`, headers: auth })).json<{ status: string }>().status;
    if (status !== 'finished') await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(status, 'finished', 'every planned email has an outcome');
  await sandbox.settled();
  for (let i = 0; i < 100 && !(await app.notifier.suppressions.get(member('W14').email)); i++) await new Promise((r) => setTimeout(r, 100));
  t.ok(await app.notifier.suppressions.get(member('W14').email), 'the bounce arrived through ses-events and suppressed the address');
  const mail = sandbox.sandbox.messages.list()[0];
  t.ok(mail, 'mail went out');
  const link = mail?.headers.find((h) => h.name === 'List-Unsubscribe')?.value ?? '';
  t.match(link, /^<https:\/\/notifier\.peakfitness\.com\//, 'unsubscribe links at PUBLIC_BASE_URL');
  const click = await app.inject({ method: 'POST', url: new URL(link.slice(1, -1)).pathname, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
  t.equal(click.statusCode, 200, 'a one-click unsubscribe');
  t.equal((await app.inject({ url: `/v1/sends?memberId=W14`, headers: auth })).statusCode, 200);
  t.equal((await app.inject({ url: '/v1/deliverability', headers: auth })).statusCode, 200);
  t.equal((await app.inject({ url: `/v1/sends/${encodeURIComponent(`win_back:W14:${asOf}`)}`, headers: auth })).statusCode < 500, true, 'one send looked up');
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/suppressions/${encodeURIComponent(member('W14').email)}`, headers: auth })).statusCode < 300, true, 'a suppression lifted by hand');
  // Every SES event handled and deleted before the app (then dynalite) stops: none is mid-write when they go.
  const { GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
  const eventsUrl = await new Queues(admin, PREFIX).url(queueDefs.sesEvents);
  for (let i = 0; i < 100; i++) {
    const { Attributes: a = {} } = await admin.send(new GetQueueAttributesCommand({ QueueUrl: eventsUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    if (a.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await app.close();

  const granted = grants(await taskPolicyDocument(spec.taskPolicy)).filter((g) => /^Allow (sqs|dynamodb|ses):/.test(g));
  const needed = [...new Set(sent.flatMap(notifierGrantFor))].sort();
  t.same(needed.filter((g) => !granted.includes(g)), [], 'every call is granted');
  t.same(
    granted.filter((g) => !needed.includes(g)),
    [`Allow sqs:ChangeMessageVisibility ${QUEUE_ARN('email-requests')}`],
    'every SQS, DynamoDB and SES grant is used, but the hold of a request (quiet hours, or a batch waiting > 20 s for send slots)',
  );
});
