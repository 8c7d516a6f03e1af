import t from 'tap';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tables } from '@peak/contracts';
import { awsConfig, createServiceApp, dynamoOptions, dynamoPlugin, loadConfig, type DynamoPluginOptions } from '@peak/service-kit';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDb, waitFor } from '@peak/local-stack';
import { closedEndpoint, readiness, silentEndpoint, type Teardown } from '@peak/service-kit/testing';

const clientFor = (t: Teardown, endpoint: string): DynamoDBClient => {
  const client = new DynamoDBClient({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });
  t.teardown(() => client.destroy());
  return client;
};

async function appWith(t: Teardown, opts: Omit<DynamoPluginOptions, 'region'>, app: { readinessDetails?: boolean; readinessTimeoutMs?: number } = {}) {
  const built = await createServiceApp({ name: 'test', description: 'test', ...app });
  t.teardown(() => built.close());
  await built.register(dynamoPlugin, { region: LOCAL_REGION, ...opts });
  return built;
}

const used = [tables.emailSends, tables.emailSuppressions];

t.test('dynamoPlugin readiness: ok while every used table exists; error naming the table when one is missing', async (t) => {
  const dynamo = await startDynamoDb({ tables: used });
  t.teardown(() => dynamo.stop());
  const client = clientFor(t, dynamo.endpoint);

  const up = await appWith(t, { tablePrefix: '', uses: used, client });
  t.same(await readiness(up), { statusCode: 200, status: 'ready', checks: { dynamodb: 'ok' } });
  t.equal(up.dynamo.client, client, 'app.dynamo.client is the client passed in');
  t.equal(up.dynamo.table(tables.emailSends), 'email-sends', 'no prefix: the bare name');

  const missing = await appWith(t, { tablePrefix: '', uses: [...used, tables.campaignRuns], client }, { readinessDetails: true });
  t.match(await readiness(missing), {
    statusCode: 503,
    status: 'not ready',
    checks: { dynamodb: 'error' },
    details: { dynamodb: /^table campaign-runs: .*not found/ },
  });
  const quiet = await appWith(t, { tablePrefix: '', uses: [tables.campaignRuns], client });
  t.same(await readiness(quiet), { statusCode: 503, status: 'not ready', checks: { dynamodb: 'error' } }, 'without READY_DETAILS the name stays in the log');
});

t.test('dynamoPlugin: the table prefix names the physical tables it uses and checks', async (t) => {
  const dynamo = await startDynamoDb({ tables: used, tablePrefix: 'peak-test' });
  t.teardown(() => dynamo.stop());
  const client = clientFor(t, dynamo.endpoint);

  const app = await appWith(t, { tablePrefix: 'peak-test', uses: used, client });
  t.equal(app.dynamo.table(tables.emailSends), 'peak-test-email-sends', '<prefix>-<name>');
  t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: { dynamodb: 'ok' } });

  const unprefixed = await appWith(t, { tablePrefix: '', uses: used, client }, { readinessDetails: true });
  t.match(await readiness(unprefixed), { statusCode: 503, details: { dynamodb: /^table email-sends: .*not found/ } }, 'the bare names do not exist');

  const config = loadConfig(awsConfig, { TABLE_PREFIX: 'peak-dev' });
  t.same(dynamoOptions(config, used, client), { region: 'us-east-1', tablePrefix: 'peak-dev', uses: used, client }, 'dynamoOptions reads TABLE_PREFIX');
  t.equal(loadConfig(awsConfig, {}).TABLE_PREFIX, '', 'TABLE_PREFIX defaults to empty');
});

t.test('dynamoPlugin readiness: DynamoDB down is unreachable; hanging is a timeout, and the SDK call is cancelled', async (t) => {
  const down = await appWith(t, { tablePrefix: '', uses: used, client: clientFor(t, await closedEndpoint()) }, { readinessDetails: true });
  t.match(await readiness(down), { statusCode: 503, checks: { dynamodb: 'unreachable' }, details: { dynamodb: /^table email-sends: connect ECONNREFUSED/ } });

  const hung = await silentEndpoint(t);
  const app = await appWith(t, { tablePrefix: '', uses: used, client: clientFor(t, hung.url) }, { readinessTimeoutMs: 500 });
  t.same(await readiness(app), { statusCode: 503, status: 'not ready', checks: { dynamodb: 'timeout' } });
  // A cold client may be aborted before its first request is even written: ask until one reached the endpoint.
  for (let i = 0; i < 5 && hung.requests() === 0; i++) await readiness(app);
  t.ok(hung.requests() > 0, 'a check did reach the endpoint');
  await waitFor('every timed-out DescribeTable to close its connection', async () => hung.pending() === 0, 10_000);
  t.pass('no request left open');
});

t.test('dynamoPlugin without a client: the SDK finds the endpoint in AWS_ENDPOINT_URL_DYNAMODB; its own client is destroyed on close, a passed one is not', async (t) => {
  const dynamo = await startDynamoDb({ tables: used });
  t.teardown(() => dynamo.stop());
  const env = { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const app = await createServiceApp({ name: 'test', description: 'test' });
  await app.register(dynamoPlugin, { region: LOCAL_REGION, tablePrefix: '', uses: used });
  t.same(await readiness(app), { statusCode: 200, status: 'ready', checks: { dynamodb: 'ok' } }, 'ready against dynalite, configured from env only');
  let destroyed = false;
  const own = app.dynamo.client;
  const destroy = own.destroy.bind(own);
  own.destroy = () => ((destroyed = true), destroy());
  await app.close();
  t.ok(destroyed, 'the client it built is destroyed on close');

  const passed = clientFor(t, dynamo.endpoint);
  let passedDestroyed = false;
  const passedDestroy = passed.destroy.bind(passed);
  passed.destroy = () => ((passedDestroyed = true), passedDestroy());
  const other = await createServiceApp({ name: 'test', description: 'test' });
  await other.register(dynamoPlugin, { region: LOCAL_REGION, tablePrefix: '', uses: used, client: passed });
  await other.close();
  t.notOk(passedDestroyed, 'a client passed in is left to its owner');
});
