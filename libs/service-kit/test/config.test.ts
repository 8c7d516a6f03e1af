import t from 'tap';
import Type from 'typebox';
import { awsConfig, baseConfig, ConfigError, loadConfig, servicePort } from '@peak/service-kit';

const schema = {
  ...baseConfig,
  PORT: servicePort(4100),
  ...awsConfig,
  WIDGETS: Type.Integer({ minimum: 1, description: 'How many widgets to keep' }),
  ENABLED: Type.Boolean({ default: false, description: 'Whether the widget shop is open' }),
  TOKEN: Type.String({ minLength: 8, description: 'Secret for the widget API' }),
  SHOP_URL: Type.Optional(Type.String({ format: 'uri', description: 'Public URL of the shop' })),
};

t.test('applies defaults and converts strings to numbers and booleans', async (t) => {
  const config = loadConfig(schema, { WIDGETS: '12', ENABLED: 'true', TOKEN: 'abcdefgh' });
  t.same(config, {
    HOST: '127.0.0.1',
    PORT: 4100,
    LOG_LEVEL: 'info',
    READY_DETAILS: false,
    AWS_REGION: 'us-east-1',
    QUEUE_PREFIX: '',
    TABLE_PREFIX: '',
    WIDGETS: 12,
    ENABLED: true,
    TOKEN: 'abcdefgh',
  });
});

t.test('an empty variable counts as unset', async (t) => {
  const config = loadConfig(schema, { WIDGETS: '1', TOKEN: 'abcdefgh', PORT: '', SHOP_URL: '' });
  t.equal(config.PORT, 4100);
  t.equal(config.SHOP_URL, undefined);
});

t.test('lists every problem at once, each with the variable, its description and the value', async (t) => {
  const err = t.throws(() =>
    loadConfig(schema, { WIDGETS: 'many', LOG_LEVEL: 'loud', SHOP_URL: 'not a url', PORT: '70000' }),
  ) as ConfigError;
  t.ok(err instanceof ConfigError);
  t.equal(err.code, 'CONFIG_INVALID');
  t.equal(err.problems.length, 5, err.message);
  t.match(err.message, /TOKEN: required but not set \(Secret for the widget API\)/);
  t.match(err.message, /WIDGETS: must be integer \(How many widgets to keep\); got "many"/);
  t.match(err.message, /LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/);
  t.match(err.message, /SHOP_URL: must match format "uri" \(Public URL of the shop\); got "not a url"/);
  t.match(err.message, /PORT: must be <= 65535/);
  t.match(err.message, /\.env\.example/);
});

t.test('reads process.env by default', async (t) => {
  t.teardown(() => {
    delete process.env.WIDGETS;
    delete process.env.TOKEN;
  });
  process.env.WIDGETS = '3';
  process.env.TOKEN = 'from-process-env';
  t.equal(loadConfig(schema).TOKEN, 'from-process-env');
});
