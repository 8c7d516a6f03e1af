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
