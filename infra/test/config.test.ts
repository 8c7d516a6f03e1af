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
