/**
 * Policies over the whole program, as each committed stack (Pulumi.dev.yaml, Pulumi.prod.yaml) deploys it: every
 * resource of a kind must follow the rule, whichever component made it, so a new component is held to them too. Each
 * stack's program runs once; its resource graph is also compared with the committed infra/graphs/<stack>.txt here,
 * on the same run (one run per stack keeps this file to a few seconds).
 */
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { lakeZones } from '@peak/contracts';
import { list, type PolicyDocument, type Statement } from './fixtures/policies.js';
import { byType, type Registered } from './fixtures/pulumi-mocks.js';
import { graphFile, graphText, runStack, STACKS, type StackRun } from './fixtures/stacks.js';

const runs: StackRun[] = [];
for (const stack of STACKS) runs.push(await runStack(stack));
// After the runs: Pulumi resource modules load once the mocks are set.
const { QUERY_RESULTS_ZONE } = await import('../src/analytics.js');

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const prefixOf = (run: StackRun) => `peak-${run.config['peak-fitness:stage']}`;
const types = (run: StackRun, ...ts: string[]) => ts.flatMap((ty) => byType(run.resources, ty));
const BUCKET_TYPES = ['aws:s3/bucket:Bucket', 'aws:s3/bucketV2:BucketV2'];
const on = (run: StackRun, bucket: Registered, ...ts: string[]) => types(run, ...ts).filter((r) => r.inputs.bucket === bucket.id);
/** An IAM policy document, given as JSON text or an object; undefined for anything else (an ECR lifecycle policy, …). */
const parse = (value: unknown): PolicyDocument | undefined => {
  try {
    const doc = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
    return doc !== null && typeof doc === 'object' && 'Statement' in doc ? (doc as PolicyDocument) : undefined;
  } catch {
    return undefined;
  }
};

/** Every policy document in the program, wherever it sits: any `policy`/`assumeRolePolicy` input and roles' inline policies. */
function policyDocuments(run: StackRun): { where: string; resource: Registered; doc: PolicyDocument }[] {
  const found: { where: string; resource: Registered; doc: PolicyDocument }[] = [];
  for (const r of run.resources) {
    for (const key of ['policy', 'assumeRolePolicy']) {
      const doc = parse(r.inputs[key]);
      if (doc) found.push({ where: `${r.type} ${r.name} ${key}`, resource: r, doc });
    }
    for (const inline of (r.inputs.inlinePolicies ?? []) as { name?: string; policy?: string }[]) {
      const doc = parse(inline.policy);
      if (doc) found.push({ where: `${r.type} ${r.name} inline ${inline.name}`, resource: r, doc });
    }
  }
  return found;
}

// A document may hold one statement object instead of a list.
const statementsOf = (doc: PolicyDocument): Statement[] => {
  const s = doc.Statement as Statement | Statement[];
  return Array.isArray(s) ? s : [s];
};
const isPublicPrincipal = (p: unknown): boolean => p === '*' || (typeof p === 'object' && p !== null && list((p as { AWS?: string | string[] }).AWS ?? []).includes('*'));
/**
 * AWS's default key policy statement: the account's root may do `kms:*` on the key, which grants nothing by itself (it
 * lets IAM policies of the account grant the key). The one sanctioned `service:*`.
 */
const isKeyAdministration = (r: Registered, s: Statement): boolean =>
  r.type === 'aws:kms/key:Key' &&
  JSON.stringify(list(s.Action)) === '["kms:*"]' &&
  JSON.stringify(s.Principal) === JSON.stringify({ AWS: `arn:aws:iam::${ACCOUNT}:root` }) &&
  s.Condition === undefined;

/** What is wrong with one Allow statement: a wildcard action, `*` on `*`, a public principal, NotAction/NotResource. */
function allowProblems(r: Registered, s: Statement & { NotAction?: unknown; NotResource?: unknown; NotPrincipal?: unknown }): string[] {
  if (s.Effect !== 'Allow') return [];
  const problems: string[] = [];
  const actions = list(s.Action ?? []);
  const resources = list(s.Resource ?? []);
  if (s.NotAction !== undefined || s.NotResource !== undefined || s.NotPrincipal !== undefined) problems.push('allows by exclusion (NotAction/NotResource/NotPrincipal)');
  if (actions.includes('*')) problems.push(resources.includes('*') ? 'Action * on Resource *' : 'Action *');
  const serviceWide = actions.filter((a) => /^[a-z0-9-]+:\*$/i.test(a));
  if (serviceWide.length > 0 && !isKeyAdministration(r, s)) problems.push(`service-wide ${serviceWide.join(', ')}`);
  if (s.Principal !== undefined && isPublicPrincipal(s.Principal) && s.Condition === undefined) problems.push('Principal * without a condition (public)');
  return problems;
}

t.test('the statement rules catch what they are for', async (t) => {
  const r = { type: 'aws:iam/rolePolicy:RolePolicy', name: 'probe', id: 'probe', inputs: {} } as Registered;
  t.same(allowProblems(r, { Effect: 'Allow', Action: '*', Resource: '*' }), ['Action * on Resource *']);
  t.same(allowProblems(r, { Effect: 'Allow', Action: ['s3:GetObject', 's3:*'], Resource: 'arn:aws:s3:::b/*' }), ['service-wide s3:*']);
  t.same(allowProblems(r, { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'q', Principal: '*' }), ['Principal * without a condition (public)']);
  t.same(allowProblems(r, { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', NotAction: 'iam:*' } as Statement), ['allows by exclusion (NotAction/NotResource/NotPrincipal)']);
  t.same(allowProblems(r, { Effect: 'Deny', Action: 's3:*', Resource: '*', Principal: '*' }), [], 'a Deny is never a grant');
  const key = { ...r, type: 'aws:kms/key:Key' };
  t.same(allowProblems(key, { Effect: 'Allow', Action: 'kms:*', Resource: '*', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } }), [], "a key's default administration statement");
  t.same(allowProblems(key, { Effect: 'Allow', Action: 'kms:*', Resource: '*', Principal: { Service: 'cloudwatch.amazonaws.com' } }), ['service-wide kms:*'], 'but kms:* to anyone else');
});

for (const run of runs) {
  const prefix = prefixOf(run);
  const buckets = types(run, ...BUCKET_TYPES);
  const alertTopicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:${prefix}-alerts`;

  t.test(`${run.stack}: no bucket is public, every bucket is encrypted and TLS-only`, async (t) => {
    t.ok(buckets.length > 0, 'the stack has buckets to check');
    for (const b of buckets) {
      t.notOk(b.inputs.acl !== undefined && b.inputs.acl !== 'private', `${b.name}: no public canned ACL`);
      t.notOk(b.inputs.policy, `${b.name}: no inline policy (one BucketPolicy resource per bucket)`);
      const blocks = on(run, b, 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock');
      t.equal(blocks.length, 1, `${b.name}: one public access block`);
      t.match(blocks[0]?.inputs, { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, `${b.name}: all four guards on`);
      const sse = on(run, b, 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration', 'aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2');
      t.equal(sse.length, 1, `${b.name}: one default encryption configuration`);
      const algorithms = ((sse[0]?.inputs.rules ?? []) as { applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }[]).map((r) => r.applyServerSideEncryptionByDefault?.sseAlgorithm);
      t.ok(algorithms.length > 0 && algorithms.every((a) => a === 'AES256' || a === 'aws:kms' || a === 'aws:kms:dsse'), `${b.name}: encrypted by default (${algorithms.join(', ')})`);
      for (const acl of on(run, b, 'aws:s3/bucketAclV2:BucketAclV2', 'aws:s3/bucketAcl:BucketAcl')) {
        t.notOk(/public/i.test(String(acl.inputs.acl ?? '')) || JSON.stringify(acl.inputs).includes('AllUsers') || JSON.stringify(acl.inputs).includes('AuthenticatedUsers'), `${b.name}: ACL ${acl.name} grants no public access`);
      }
      // A bucket has one policy: two BucketPolicy resources would overwrite each other on every deploy.
      const policies = on(run, b, 'aws:s3/bucketPolicy:BucketPolicy');
      t.equal(policies.length, 1, `${b.name}: exactly one bucket policy`);
      const arn = `arn:aws:s3:::${b.name}-0a1b2c3`; // the mock's auto-name
      const tls = statementsOf(parse(policies[0]?.inputs.policy) ?? { Version: '', Statement: [] }).find(
        (s) => s.Effect === 'Deny' && s.Principal === '*' && list(s.Action).includes('s3:*') && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      );
      t.ok(tls, `${b.name}: denies every request without TLS`);
      t.same(list(tls?.Resource ?? []).sort(), [arn, `${arn}/*`], `${b.name}: on the bucket and its objects`);
    }
  });

  t.test(`${run.stack}: the lake's lifecycle rules are the retention table`, async (t) => {
    const lake = buckets.find((b) => b.name === `${prefix}-lake`);
    const configs = lake ? on(run, lake, 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', 'aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2') : [];
    t.equal(configs.length, 1, 'one lifecycle configuration on the lake bucket');
    const rules = (configs[0]?.inputs.rules ?? []) as { status: string; filter?: { prefix?: string }; expiration?: { days?: number } }[];
    const expected = Object.fromEntries(Object.values({ ...lakeZones, 'athena-results': QUERY_RESULTS_ZONE }).map((z) => [z.prefix, z.retentionDays]));
    t.same(Object.fromEntries(rules.filter((r) => r.status === 'Enabled').map((r) => [r.filter?.prefix, r.expiration?.days])), expected, 'raw 30 d, processed 365 d, … (lakeZones) and query results 7 d');
  });

  t.test(`${run.stack}: every work queue redrives to a dead-letter queue; every queue is encrypted`, async (t) => {
    const queues = byType(run.resources, 'aws:sqs/queue:Queue');
    const arnOf = (q: Registered) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${String(q.inputs.name)}`;
    const redriveOf = (q: Registered) => (q.inputs.redrivePolicy ? (JSON.parse(String(q.inputs.redrivePolicy)) as { deadLetterTargetArn?: string; maxReceiveCount?: number }) : undefined);
    const targets = new Set(queues.map((q) => redriveOf(q)?.deadLetterTargetArn).filter(Boolean));
    for (const q of queues) {
      t.ok(q.inputs.sqsManagedSseEnabled === true || typeof q.inputs.kmsMasterKeyId === 'string', `${String(q.inputs.name)}: encrypted`);
      if (targets.has(arnOf(q))) {
        t.notOk(q.inputs.redrivePolicy, `${String(q.inputs.name)} is a DLQ and redrives nowhere`);
        continue;
      }
      const redrive = redriveOf(q);
      t.ok(redrive && queues.some((d) => d !== q && arnOf(d) === redrive.deadLetterTargetArn), `${String(q.inputs.name)}: redrives to a DLQ of the stack`);
      t.ok((redrive?.maxReceiveCount ?? 0) >= 1, `${String(q.inputs.name)}: after a bounded number of receives`);
    }
  });

  t.test(`${run.stack}: no IAM statement grants * on *, a whole service, or the public`, async (t) => {
    const docs = policyDocuments(run);
    t.ok(docs.length >= 10, `${docs.length} policy documents found (roles, inline and managed policies, bucket/queue/topic/key policies)`);
    const problems = docs.flatMap(({ where, resource, doc }) => statementsOf(doc).flatMap((s) => allowProblems(resource, s).map((p) => `${where} ${s.Sid ?? ''}: ${p}`)));
    t.same(problems, [], 'no over-broad statement');
    // AWS managed policies that amount to the same thing.
    const attached = types(run, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'aws:iam/policyAttachment:PolicyAttachment', 'aws:iam/groupPolicyAttachment:GroupPolicyAttachment', 'aws:iam/userPolicyAttachment:UserPolicyAttachment');
    for (const a of attached) t.notMatch(String(a.inputs.policyArn), /:aws:policy\/(AdministratorAccess|PowerUserAccess|IAMFullAccess|\w*FullAccess)$/, `${a.name}: no AWS full-access policy`);
  });

  t.test(`${run.stack}: every log group expires`, async (t) => {
    const groups = types(run, 'aws:cloudwatch/logGroup:LogGroup');
    t.ok(groups.length > 0, 'the stack has log groups');
    for (const g of groups) t.ok(typeof g.inputs.retentionInDays === 'number' && g.inputs.retentionInDays > 0, `${String(g.inputs.name)}: retentionInDays ${String(g.inputs.retentionInDays)}`);
  });

  t.test(`${run.stack}: every alarm notifies the stack's alert topic, on ALARM and OK`, async (t) => {
    const alarms = types(run, 'aws:cloudwatch/metricAlarm:MetricAlarm', 'aws:cloudwatch/compositeAlarm:CompositeAlarm');
    t.ok(alarms.length > 0, 'the stack has alarms');
    for (const a of alarms) {
      const name = String(a.inputs.name ?? a.inputs.alarmName);
      t.same(a.inputs.alarmActions, [alertTopicArn], `${name}: alarm action → ${prefix}-alerts`);
      t.same(a.inputs.okActions, [alertTopicArn], `${name}: OK action → ${prefix}-alerts`);
      // The topic policy lets CloudWatch publish for alarms named `<prefix>-*` only.
      t.ok(name.startsWith(`${prefix}-`), `${name}: named ${prefix}-… (the topic policy's alarm pattern)`);
    }
    const topic = byType(run.resources, 'aws:sns/topic:Topic').find((x) => x.inputs.name === `${prefix}-alerts`);
    t.ok(topic, `the topic ${prefix}-alerts exists`);
    t.match(String(topic?.inputs.kmsMasterKeyId), /^arn:aws:kms:/, 'encrypted with a key of its own (CloudWatch cannot use aws/sns)');
    const budgets = byType(run.resources, 'aws:budgets/budget:Budget');
    t.equal(budgets.length, 1, 'one budget');
    for (const n of (budgets[0]?.inputs.notifications ?? []) as { subscriberSnsTopicArns?: string[] }[]) t.same(n.subscriberSnsTopicArns, [alertTopicArn], 'the budget notifies the alert topic');
  });

  t.test(`${run.stack}: every SNS topic is encrypted with a customer managed key`, async (t) => {
    for (const topic of byType(run.resources, 'aws:sns/topic:Topic')) {
      t.match(String(topic.inputs.kmsMasterKeyId), /^arn:aws:kms:/, `${String(topic.inputs.name)}: its own key, not alias/aws/sns (which AWS services cannot publish through)`);
    }
  });

  // "Every task role touches only its own resources": the services' roles join here as they are added. Until each role
  // has an allowlist of its own, two checks that hold for any role: no two task roles may write (or delete) under the
  // same lake prefix, except Athena's shared results; and a role reads only secrets named after its owner.
  t.test(`${run.stack}: task roles write only their own lake prefixes and read only their own secrets`, async (t) => {
    const roles = byType(run.resources, 'aws:iam/role:Role');
    const rolePolicies = byType(run.resources, 'aws:iam/rolePolicy:RolePolicy');
    const docsOf = (role: Registered) => [
      ...rolePolicies.filter((p) => p.inputs.role === role.id || p.inputs.role === role.inputs.name).map((p) => parse(p.inputs.policy)),
      ...((role.inputs.inlinePolicies ?? []) as { policy?: string }[]).map((p) => parse(p.policy)),
    ].filter((d): d is PolicyDocument => d !== undefined);
    // A job and the service of the same name are one owner (crm-sync's daily job and its API run the same sync).
    const owner = (role: Registered) => String(role.inputs.name).slice(`${prefix}-`.length).replace(/-(task|execution)$/, '').replace(/-service$/, '');
    // The batch registry (libs/lake, docs/pipeline.md): ingest creates a batch's record, the ETL moves it on.
    const SHARED_BY: Record<string, string[]> = { 'batches/*': ['ingest', 'etl'] };
    const SHARED_WRITES = [`${QUERY_RESULTS_ZONE.prefix}analytics/`];
    const writes = new Map<string, string[]>();
    for (const role of roles.filter((r) => String(r.inputs.name).endsWith('-task'))) {
      for (const s of docsOf(role).flatMap(statementsOf)) {
        if (s.Effect !== 'Allow' || !list(s.Action).some((a) => /^s3:(Put|Delete)Object/.test(a))) continue;
        for (const res of list(s.Resource)) {
          const key = res.replace(/^arn:aws:s3:::[^/]+\//, '');
          if (SHARED_WRITES.some((p) => key.startsWith(p))) continue;
          writes.set(key, [...(writes.get(key) ?? []), owner(role)]);
        }
      }
    }
    // Two roles conflict when one's prefix covers the other's (`processed/*` covers `processed/x/*`); one role's own
    // nested grants (`crm-sync/*` and `crm-sync/acks/*`) do not.
    const conflicts: string[] = [];
    for (const [a, ownersA] of writes) {
      const allowed = SHARED_BY[a];
      if (new Set(ownersA).size > 1 && !(allowed && ownersA.every((o) => allowed.includes(o)))) conflicts.push(`${a}: ${ownersA.join(', ')}`);
      for (const [b, ownersB] of writes) {
        if (a !== b && b.startsWith(a.replace(/\*$/, '')) && ownersA.some((o) => !ownersB.includes(o))) conflicts.push(`${a} (${ownersA.join(', ')}) covers ${b} (${ownersB.join(', ')})`);
      }
    }
    t.same(conflicts, [], `no lake prefix is written by two task roles (${writes.size} write grants)`);
    for (const role of roles) {
      for (const s of docsOf(role).flatMap(statementsOf)) {
        if (s.Effect !== 'Allow' || !list(s.Action).includes('secretsmanager:GetSecretValue')) continue;
        for (const res of list(s.Resource)) t.match(res, new RegExp(`:secret:${prefix}-${owner(role)}-`), `${String(role.inputs.name)} reads only its own secrets (${res.split(':').at(-1)})`);
      }
    }
  });

  // The leaderboard has no authentication of its own and serves member names and churn scores: whatever forwards to it
  // must sign users in first (HTTPS) or take only allowed sources on its port (plain HTTP, no sign-in possible there).
  t.test(`${run.stack}: nothing forwards to the leaderboard without the sign-in (HTTPS) or a source restriction (HTTP)`, async (t) => {
    type Action = { type?: string; order?: number; targetGroupArn?: string; forward?: { targetGroups?: { arn?: string }[] }; authenticateCognito?: { onUnauthenticatedRequest?: string }; authenticateOidc?: { onUnauthenticatedRequest?: string } };
    const board = types(run, 'aws:lb/targetGroup:TargetGroup').find((g) => g.inputs.name === `${prefix}-leaderboard`);
    t.ok(board, 'the leaderboard has a target group');
    const boardArn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${prefix}-leaderboard/73e2d6bc24d8a067`; // the mock's ARN
    const forwardsToBoard = (actions: unknown) => ((actions ?? []) as Action[]).some((a) => a.targetGroupArn === boardArn || (a.forward?.targetGroups ?? []).some((g) => g.arn === boardArn));
    const listeners = types(run, 'aws:lb/listener:Listener');
    t.same(listeners.filter((l) => forwardsToBoard(l.inputs.defaultActions)).map((l) => l.inputs.port), [], 'no listener forwards to it by default (no rule could put a sign-in first)');
    const rules = types(run, 'aws:lb/listenerRule:ListenerRule').filter((r) => forwardsToBoard(r.inputs.actions));
    t.ok(rules.length > 0, 'it is reached through listener rules');
    const lbGroup = types(run, 'aws:ec2/securityGroup:SecurityGroup').find((g) => g.inputs.name === `${prefix}-services-lb`);
    const ingress = types(run, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'aws:ec2/securityGroupRule:SecurityGroupRule').filter((r) => r.inputs.securityGroupId === lbGroup?.id && r.inputs.type !== 'egress');
    for (const rule of rules) {
      const port = Number(String(rule.inputs.listenerArn).split('/').pop()); // the mock's listener ARN ends with its port
      const listener = listeners.find((l) => l.inputs.port === port);
      if (listener?.inputs.protocol === 'HTTPS') {
        const [first] = [...(rule.inputs.actions as Action[])].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
        const unauthenticated = first?.authenticateCognito?.onUnauthenticatedRequest ?? first?.authenticateOidc?.onUnauthenticatedRequest ?? 'authenticate';
        t.ok(first?.type?.startsWith('authenticate-') && unauthenticated !== 'allow', `${rule.name}: signs in (${String(first?.type)}, ${unauthenticated}) before forwarding`);
      } else {
        const open = ingress.filter((r) => Number(r.inputs.fromPort) <= port && port <= Number(r.inputs.toPort) && (r.inputs.referencedSecurityGroupId === undefined || r.inputs.cidrIpv4 !== undefined));
        const broad = open.map((r) => String(r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6 ?? (r.inputs.cidrBlocks as string[] | undefined)?.join(',') ?? r.inputs.prefixListId)).filter((cidr) => cidr.split(',').some((c) => Number(c.split('/')[1] ?? 0) < 16));
        t.same(broad, [], `${rule.name}: port ${port} takes allowed sources only (${open.length} of them), no wide range`);
      }
    }
  });

  t.test(`${run.stack}: the resource graph is the committed infra/graphs/${run.stack}.txt`, async (t) => {
    const file = graphFile(run.stack);
    const committed = existsSync(file.absolute) ? readFileSync(file.absolute, 'utf8') : '';
    const actual = graphText(run);
    if (committed === actual) {
      t.pass(`${file.relative} is up to date (${actual.split('\n').length - 2} resources)`);
      return;
    }
    const [was, now] = [new Set(committed.split('\n')), new Set(actual.split('\n'))];
    t.same(
      { removed: [...was].filter((l) => !now.has(l)), added: [...now].filter((l) => !was.has(l)) },
      { removed: [], added: [] },
      `the ${run.stack} stack's resources differ from ${file.relative}: run \`npm run infra:graph\` and review the diff before committing it`,
    );
  });
}
