import t from 'tap';
import * as pulumi from '@pulumi/pulumi';

// Mocks first: Config reads the project name from the runtime settings.
await pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs }, 'peak-fitness', 'test', false);
const { loadStackConfig } = await import('../src/config.js');

t.test('a valid stage gives the name prefix and tags', async (t) => {
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:forceDestroyLake': 'true' });
  t.match(loadStackConfig(), { stage: 'dev', prefix: 'peak-dev', tags: { project: 'peak-fitness', stage: 'dev' }, forceDestroyLake: true });
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'prod' });
  t.equal(loadStackConfig().forceDestroyLake, false, 'forceDestroyLake defaults to false');
});

t.test('a missing or malformed stage stops the program', async (t) => {
  pulumi.runtime.setAllConfig({});
  t.throws(() => loadStackConfig(), /stage/, 'missing stage');
  for (const bad of ['Prod', 'dev_1', 'd', 'a-very-long-stage-name', '1dev']) {
    pulumi.runtime.setAllConfig({ 'peak-fitness:stage': bad });
    t.throws(() => loadStackConfig(), /stage/, `rejects ${JSON.stringify(bad)}`);
  }
});

t.test('analytics settings: the studios’ zone and the per-query scan caps, in megabytes', async (t) => {
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev' });
  t.match(
    loadStackConfig(),
    { studioTimeZone: 'America/New_York', sandboxScanLimitBytes: 1_000_000_000, analyticsScanLimitBytes: 100_000_000_000 },
    'defaults: New York, 1 GB a student query, 100 GB a service query',
  );
  pulumi.runtime.setAllConfig({
    'peak-fitness:stage': 'dev',
    'peak-fitness:studioTimeZone': 'Europe/Berlin',
    'peak-fitness:sandboxScanLimitMb': '10',
    'peak-fitness:analyticsScanLimitMb': '5000',
  });
  t.match(loadStackConfig(), { studioTimeZone: 'Europe/Berlin', sandboxScanLimitBytes: 10_000_000, analyticsScanLimitBytes: 5_000_000_000 }, '10 MB, Athena’s minimum, is accepted');
});

t.test('a scan cap below 10 MB or not a whole number of megabytes is refused with the key and the reason', async (t) => {
  for (const key of ['sandboxScanLimitMb', 'analyticsScanLimitMb']) {
    for (const bad of ['9', '0', '-100', '1.5', '1e9', '1GB', '']) {
      pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', [`peak-fitness:${key}`]: bad });
      t.throws(
        () => loadStackConfig(),
        new RegExp(`^peak-fitness:${key} must be a whole number of megabytes, at least 10 \\(Athena's minimum per-query cutoff is 10 MB\\)`),
        `${key} ${JSON.stringify(bad)} refused`,
      );
    }
  }
});

t.test('an unknown time zone is refused', async (t) => {
  for (const bad of ['Mars/Olympus_Mons', 'New York', 'EST5']) {
    pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:studioTimeZone': bad });
    t.throws(() => loadStackConfig(), /peak-fitness:studioTimeZone must be an IANA time zone name/, `refuses ${JSON.stringify(bad)}`);
  }
});

t.test('job settings: image tag, schedules and network default when their keys are absent', async (t) => {
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev' });
  t.same(
    (({ imageTag, churnSchedules, jobNetwork }) => ({ imageTag, churnSchedules, jobNetwork }))(loadStackConfig()),
    {
      imageTag: 'latest',
      churnSchedules: { train: 'cron(0 4 ? * MON *)', score: 'cron(0 5 * * ? *)' },
      jobNetwork: { subnetIds: undefined, securityGroupIds: undefined, assignPublicIp: undefined },
    },
    'latest; Mondays 04:00 and daily 05:00; the network left to JobNetwork (default VPC)',
  );
  pulumi.runtime.setAllConfig({
    'peak-fitness:stage': 'dev',
    'peak-fitness:imageTag': 'git-3f2a9c1',
    'peak-fitness:churnTrainSchedule': 'cron(30 3 ? * SUN *)',
    'peak-fitness:churnScoreSchedule': ' cron(15 6 ? * MON-FRI *) ',
    'peak-fitness:jobSubnetIds': 'subnet-0123abcd, subnet-0123456789abcdef0',
    'peak-fitness:jobSecurityGroupIds': 'sg-0a1b2c3d',
    'peak-fitness:jobAssignPublicIp': 'false',
  });
  t.match(loadStackConfig(), {
    imageTag: 'git-3f2a9c1',
    churnSchedules: { train: 'cron(30 3 ? * SUN *)', score: 'cron(15 6 ? * MON-FRI *)' },
    jobNetwork: { subnetIds: ['subnet-0123abcd', 'subnet-0123456789abcdef0'], securityGroupIds: ['sg-0a1b2c3d'], assignPublicIp: false },
  });
});

t.test('plausible EventBridge Scheduler cron expressions are accepted', async (t) => {
  for (const good of [
    'cron(0 5 * * ? *)',
    'cron(0 4 ? * MON *)',
    'cron(0/15 8-18 ? * MON-FRI *)',
    'cron(0 3 1,15 * ? *)',
    'cron(0 2 L * ? *)',
    'cron(0 2 15W JAN-JUN ? 2026-2030)',
    'cron(0 4 ? * 2#1 *)',
    'cron(0 4 ? * 6L *)',
    'cron(*/30 * ? * SAT,SUN *)',
  ]) {
    pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:churnScoreSchedule': good });
    t.equal(loadStackConfig().churnSchedules.score, good, good);
  }
});

t.test('a malformed cron expression is refused with the key and what is wrong', async (t) => {
  const cases: [string, RegExp][] = [
    ['0 5 * * *', /not of the form cron\(…\)/],
    ['rate(1 day)', /not of the form cron\(…\)/],
    ['cron(0 5 * * *)', /5 fields, not 6/],
    ['cron(0 5 * * ? * *)', /7 fields, not 6/],
    ['cron(60 5 * * ? *)', /minutes: "60" is not 0–59/],
    ['cron(0 24 * * ? *)', /hours: "24" is not 0–23/],
    ['cron(0 5 0 * ? *)', /day-of-month: "0" is not 1–31/],
    ['cron(0 5 ? 13 MON *)', /month: "13" is not 1–12 or JAN–DEC/],
    ['cron(0 5 ? * MONDAY *)', /day-of-week: "MONDAY" is not 1–7 or SUN–SAT/],
    ['cron(0 5 * * * *)', /exactly one of day-of-month and day-of-week must be "\?"/],
    ['cron(0 5 ? * ? *)', /exactly one of day-of-month and day-of-week must be "\?"/],
    ['cron(0 5 1 * MON *)', /exactly one of day-of-month and day-of-week must be "\?"/],
    ['cron(0 5 * * ? 1969)', /year: "1969" is not 1970–2199/],
    ['cron(0/0 5 * * ? *)', /minutes: bad step/],
    ['cron(0 5 1-2-3 * ? *)', /day-of-month: bad range/],
    ['cron(? 5 * * ? *)', /minutes: "\?" is not 0–59/],
    ['', /not of the form cron\(…\)/],
  ];
  for (const key of ['churnScoreSchedule', 'churnTrainSchedule', 'crmSyncSchedule']) {
    for (const [bad, why] of cases) {
      pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', [`peak-fitness:${key}`]: bad });
      t.throws(() => loadStackConfig(), new RegExp(`^peak-fitness:${key} must be an EventBridge Scheduler cron expression.*${why.source}`), `${key} ${JSON.stringify(bad)} refused`);
    }
  }
});

t.test('empty or malformed subnet and security group lists are refused, naming the key', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['jobSubnetIds', '', /the list is empty/],
    ['jobSubnetIds', ' , ,', /the list is empty/],
    ['jobSubnetIds', 'subnet-123', /"subnet-123" is not a subnet-… id/],
    ['jobSubnetIds', 'sg-0123abcd', /"sg-0123abcd" is not a subnet-… id/],
    ['jobSubnetIds', 'subnet-0123abcd subnet-0123abce', /is not a subnet-… id/],
    ['jobSubnetIds', 'subnet-0123abcd,subnet-0123abcd', /an id is listed twice/],
    ['jobSubnetIds', Array.from({ length: 17 }, (_, i) => `subnet-0123ab${String(i).padStart(2, '0')}`).join(','), /17 ids, more than EventBridge Scheduler accepts/],
    ['jobSecurityGroupIds', '', /the list is empty/],
    ['jobSecurityGroupIds', 'sg-xyz', /"sg-xyz" is not a sg-… id/],
    ['jobSecurityGroupIds', Array.from({ length: 6 }, (_, i) => `sg-0123ab0${i}`).join(','), /6 ids, more than EventBridge Scheduler accepts/],
  ];
  for (const [key, bad, why] of cases) {
    pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', [`peak-fitness:${key}`]: bad });
    t.throws(() => loadStackConfig(), new RegExp(`^peak-fitness:${key} must be a comma-separated list of 1 to \\d+ (subnet|sg)-… ids.*${why.source}`), `${key} ${JSON.stringify(bad)} refused`);
  }
});

t.test('a malformed image tag or public-IP flag is refused', async (t) => {
  for (const bad of ['', '-latest', '.x', 'has space', 'a:b', 'x'.repeat(129)]) {
    pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:imageTag': bad });
    t.throws(() => loadStackConfig(), /^peak-fitness:imageTag must be an image tag/, `imageTag ${JSON.stringify(bad.slice(0, 20))} refused`);
  }
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:jobAssignPublicIp': 'yes' });
  t.throws(() => loadStackConfig(), /jobAssignPublicIp/, 'jobAssignPublicIp must be true or false');
});

t.test('crm-sync: daily at 06:00 after the 05:00 scores, 95 HubSpot requests a 10 s, no daily budget, unless configured', async (t) => {
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev' });
  const config = loadStackConfig();
  t.same(config.crmSync, { schedule: 'cron(0 6 * * ? *)', requestsPerTenSeconds: 95 }, 'defaults; the budget absent, not undefined-valued');
  const hour = (cron: string) => Number(cron.slice('cron('.length).split(' ')[1]);
  t.ok(hour(config.crmSync.schedule) > hour(config.churnSchedules.score), 'the sync runs after the day’s churn scores, so it sends them');
  pulumi.runtime.setAllConfig({
    'peak-fitness:stage': 'dev',
    'peak-fitness:crmSyncSchedule': ' cron(30 6 ? * MON-SAT *) ',
    'peak-fitness:hubspotRequestsPer10s': '190',
    'peak-fitness:hubspotDailyBudget': ' 250000 ',
  });
  t.same(loadStackConfig().crmSync, { schedule: 'cron(30 6 ? * MON-SAT *)', requestsPerTenSeconds: 190, dailyBudget: 250_000 }, 'trimmed and parsed');
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:hubspotRequestsPer10s': '1000', 'peak-fitness:hubspotDailyBudget': '1' });
  t.match(loadStackConfig().crmSync, { requestsPerTenSeconds: 1000, dailyBudget: 1 }, 'the bounds crm-sync accepts');
});

t.test('HubSpot pacing out of crm-sync’s range, or not a whole number, is refused with the key and the bounds', async (t) => {
  for (const bad of ['0', '1001', '-5', '9.5', '95/10s', '1e2', '']) {
    pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:hubspotRequestsPer10s': bad });
    t.throws(() => loadStackConfig(), /^peak-fitness:hubspotRequestsPer10s must be a whole number from 1 to 1000 \(requests crm-sync sends to HubSpot in any 10 seconds/, `hubspotRequestsPer10s ${JSON.stringify(bad)} refused`);
  }
  for (const bad of ['0', '-1', '2.5', 'unlimited', '']) {
    pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:hubspotDailyBudget': bad });
    t.throws(() => loadStackConfig(), /^peak-fitness:hubspotDailyBudget must be a whole number at least 1 \(requests a crm-sync run may use/, `hubspotDailyBudget ${JSON.stringify(bad)} refused`);
  }
});

t.test('notifier settings: tables protected, no sending domain and the planner at 06:30, unless configured', async (t) => {
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev' });
  const config = loadStackConfig();
  t.same(
    (({ tables, email, campaignPlanner }) => ({ tables, email, campaignPlanner }))(config),
    { tables: { deletionProtection: true }, email: {}, campaignPlanner: { schedule: 'cron(30 6 * * ? *)' } },
    'deletion protection on, no emailDomain (absent, not undefined-valued), the planner daily at 06:30',
  );
  const minutes = (cron: string) => {
    const [m, h] = cron.slice('cron('.length).split(' ').map(Number) as [number, number];
    return h * 60 + m;
  };
  t.ok(minutes(config.campaignPlanner.schedule) > minutes(config.crmSync.schedule), 'the planner runs after crm-sync (06:00)');
  t.ok(minutes(config.crmSync.schedule) > minutes(config.churnSchedules.score), 'which runs after the churn scores (05:00)');
  pulumi.runtime.setAllConfig({
    'peak-fitness:stage': 'dev',
    'peak-fitness:tableDeletionProtection': 'false',
    'peak-fitness:emailDomain': ' Mail.PeakFitness.example ',
    'peak-fitness:notifierPostalAddress': ' Peak Fitness, 1 Main St, Springfield ',
    'peak-fitness:memberAppUrl': 'https://app.peakfitness.example',
    'peak-fitness:campaignPlannerSchedule': 'cron(0 7 ? * MON-FRI *)',
  });
  t.same(
    (({ tables, email, campaignPlanner }) => ({ tables, email, campaignPlanner }))(loadStackConfig()),
    {
      tables: { deletionProtection: false },
      email: { domain: 'mail.peakfitness.example', postalAddress: 'Peak Fitness, 1 Main St, Springfield', memberAppUrl: 'https://app.peakfitness.example' },
      campaignPlanner: { schedule: 'cron(0 7 ? * MON-FRI *)' },
    },
    'trimmed and lowercased domain, the footer address and app URL; the schedule as given',
  );
  for (const good of ['example.com', 'a.b.c.example.co.uk', 'xn--bcher-kva.example', 'mail-1.peak-fitness.io']) {
    pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:emailDomain': good, 'peak-fitness:notifierPostalAddress': 'Peak Fitness, 1 Main St, Springfield', 'peak-fitness:memberAppUrl': 'https://app.peakfitness.example' });
    t.equal(loadStackConfig().email.domain, good, `${good} accepted`);
  }
  // What every email must carry comes with the domain (the notifier's own defaults are placeholders).
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:emailDomain': 'mail.example.com', 'peak-fitness:memberAppUrl': 'https://app.example.com' });
  t.throws(() => loadStackConfig(), /^peak-fitness:notifierPostalAddress is required with emailDomain/, 'no postal address: refused');
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:emailDomain': 'mail.example.com', 'peak-fitness:notifierPostalAddress': 'Peak Fitness, 1 Main St' });
  t.throws(() => loadStackConfig(), /^peak-fitness:memberAppUrl is required with emailDomain: an https URL.*got null/, 'no member app URL: refused');
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:emailDomain': 'mail.example.com', 'peak-fitness:notifierPostalAddress': 'Peak Fitness, 1 Main St', 'peak-fitness:memberAppUrl': 'http://app.example.com' });
  t.throws(() => loadStackConfig(), /^peak-fitness:memberAppUrl is required with emailDomain: an https URL/, 'a plain-http member app URL: refused');
});

t.test('a malformed sending domain, protection flag or planner schedule is refused with the key and the reason', async (t) => {
  const domains: [string, RegExp][] = [
    ['hello@peakfitness.example', /the domain only, not an address/],
    ['https://peakfitness.example', /a bare domain, not a URL/],
    ['localhost', /got "localhost"/],
    ['', /got ""/],
    ['-bad.example.com', /got "-bad\.example\.com"/],
    ['bad-.example.com', /got "bad-\.example\.com"/],
    ['under_score.example.com', /got "under_score/],
    ['example.123', /got "example\.123"/],
    [`${'a'.repeat(64)}.example.com`, /got "a{64}/],
    ['two..dots.com', /got "two\.\.dots\.com"/],
  ];
  for (const [bad, why] of domains) {
    pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:emailDomain': bad });
    t.throws(() => loadStackConfig(), new RegExp(`^peak-fitness:emailDomain must be the domain the notifier sends from, such as mail\\.example\\.com.*${why.source}`), `emailDomain ${JSON.stringify(bad)} refused`);
  }
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:tableDeletionProtection': 'sometimes' });
  t.throws(() => loadStackConfig(), /tableDeletionProtection/, 'tableDeletionProtection must be true or false');
  for (const bad of ['cron(30 6 * * *)', 'cron(30 25 * * ? *)', 'rate(1 day)']) {
    pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:campaignPlannerSchedule': bad });
    t.throws(() => loadStackConfig(), /^peak-fitness:campaignPlannerSchedule must be an EventBridge Scheduler cron expression/, `campaignPlannerSchedule ${JSON.stringify(bad)} refused`);
  }
});

t.test('the services, cache, ETL and alert settings: defaults, and each refused with the key and the reason', async (t) => {
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev' });
  const defaults = loadStackConfig();
  t.same(
    (({ services, cache, etl, alerts }) => ({ services, cache, etl, alerts }))(defaults),
    {
      services: { loadBalancerDeletionProtection: false, logRetentionDays: 30, dashboardAllowedCidrs: [], dashboardSessionHours: 12, ingestTasks: 1, maxWorkerTasks: 2 },
      cache: { nodeType: 'cache.t3.micro', replicas: 0, snapshotRetentionDays: 1 },
      etl: { engine: 'duckdb', glueMaxCapacity: 0.0625, glueTimeoutMinutes: 60, duckdbVersion: '1.4.5' },
      alerts: { emails: [], budgetMonthlyUsd: 100 },
    },
    'plain HTTP, nobody may reach the dashboard, one ingest task, the free-tier cache node, the Python-shell ETL, no subscriber',
  );
  const certificate = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
  pulumi.runtime.setAllConfig({
    'peak-fitness:stage': 'prod',
    'peak-fitness:publicDomain': ' App.PeakFitness.example ',
    'peak-fitness:certificateArn': certificate,
    'peak-fitness:serviceSubnetIds': 'subnet-0123abcd,subnet-0456cdef',
    'peak-fitness:serviceAssignPublicIp': 'false',
    'peak-fitness:loadBalancerDeletionProtection': 'true',
    'peak-fitness:serviceLogRetentionDays': '90',
    'peak-fitness:ingestTasks': '2',
    'peak-fitness:maxWorkerTasks': '4',
    'peak-fitness:dashboardSessionHours': '8',
    'peak-fitness:cacheNodeType': 'cache.t4g.small',
    'peak-fitness:cacheReplicas': '1',
    'peak-fitness:cacheSnapshotRetentionDays': '7',
    'peak-fitness:etlGlueMaxCapacity': '1',
    'peak-fitness:etlGlueTimeoutMinutes': '120',
    'peak-fitness:alertEmails': 'ops@peakfitness.example',
    'peak-fitness:budgetMonthlyUsd': '300',
  });
  const configured = loadStackConfig();
  t.same(configured.services, {
    subnetIds: ['subnet-0123abcd', 'subnet-0456cdef'],
    assignPublicIp: false,
    https: { domain: 'app.peakfitness.example', certificateArn: certificate },
    loadBalancerDeletionProtection: true,
    logRetentionDays: 90,
    dashboardAllowedCidrs: [],
    dashboardSessionHours: 8,
    ingestTasks: 2,
    maxWorkerTasks: 4,
  });
  t.same(configured.cache, { nodeType: 'cache.t4g.small', replicas: 1, snapshotRetentionDays: 7 });
  t.match(configured.etl, { glueMaxCapacity: 1, glueTimeoutMinutes: 120 });
  t.same(configured.alerts, { emails: ['ops@peakfitness.example'], budgetMonthlyUsd: 300 });
  pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', 'peak-fitness:dashboardAllowedCidrs': '203.0.113.0/24, 198.51.100.7/32' });
  t.same(loadStackConfig().services.dashboardAllowedCidrs, ['203.0.113.0/24', '198.51.100.7/32'], 'the office and a VPN address');

  const refused: [Record<string, string>, RegExp][] = [
    [{ 'peak-fitness:publicDomain': 'app.example.com' }, /^peak-fitness:publicDomain and peak-fitness:certificateArn go together/],
    [{ 'peak-fitness:certificateArn': certificate }, /go together/],
    [{ 'peak-fitness:publicDomain': 'https://app.example.com', 'peak-fitness:certificateArn': certificate }, /^peak-fitness:publicDomain must be a DNS name/],
    [{ 'peak-fitness:publicDomain': 'app.example.com', 'peak-fitness:certificateArn': 'arn:aws:iam::123456789012:server-certificate/x' }, /^peak-fitness:certificateArn must be an ACM certificate ARN/],
    [{ 'peak-fitness:publicDomain': 'app.example.com', 'peak-fitness:certificateArn': certificate, 'peak-fitness:dashboardAllowedCidrs': '203.0.113.0/24' }, /dashboardAllowedCidrs applies without publicDomain only/],
    [{ 'peak-fitness:dashboardAllowedCidrs': '0.0.0.0/0' }, /dashboardAllowedCidrs/],
    [{ 'peak-fitness:serviceLogRetentionDays': '45' }, /^peak-fitness:serviceLogRetentionDays must be one of CloudWatch's retention periods/],
    [{ 'peak-fitness:ingestTasks': '0' }, /^peak-fitness:ingestTasks must be a whole number from 1 to 20/],
    [{ 'peak-fitness:maxWorkerTasks': '21' }, /^peak-fitness:maxWorkerTasks must be a whole number from 1 to 20/],
    [{ 'peak-fitness:dashboardSessionHours': '169' }, /^peak-fitness:dashboardSessionHours must be a whole number from 1 to 168/],
    [{ 'peak-fitness:cacheNodeType': 't3.micro' }, /^peak-fitness:cacheNodeType must be an ElastiCache node type such as cache\.t3\.micro/],
    [{ 'peak-fitness:cacheReplicas': '6' }, /^peak-fitness:cacheReplicas must be a whole number from 0 to 5/],
    [{ 'peak-fitness:etlEngine': 'flink' }, /^peak-fitness:etlEngine must be duckdb or spark/],
    [{ 'peak-fitness:etlGlueMaxCapacity': '2' }, /^peak-fitness:etlGlueMaxCapacity must be 0\.0625 or 1/],
    [{ 'peak-fitness:etlGlueTimeoutMinutes': '601' }, /^peak-fitness:etlGlueTimeoutMinutes must be a whole number from 1 to 600/],
    [{ 'peak-fitness:etlGlueDuckdbVersion': 'latest' }, /^peak-fitness:etlGlueDuckdbVersion must be a duckdb release/],
    [{ 'peak-fitness:budgetMonthlyUsd': '0' }, /budgetMonthlyUsd/],
    [{ 'peak-fitness:alertEmails': 'ops' }, /alertEmails/],
  ];
  for (const [keys, why] of refused) {
    pulumi.runtime.setAllConfig({ 'peak-fitness:stage': 'dev', ...keys });
    t.throws(() => loadStackConfig(), why, `${JSON.stringify(keys)} refused`);
  }
});
