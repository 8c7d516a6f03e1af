import t from 'tap';
import { limitSettings, readConfig } from '@peak/hubspot-sandbox';
import { auth, manualClock, OTHER, sandbox, TOKEN } from './helper.js';

const RATE_HEADERS = ['daily', 'daily-remaining', 'interval-milliseconds', 'max', 'remaining', 'secondly', 'secondly-remaining'].map((h) => `x-hubspot-ratelimit-${h}`);

type App = Awaited<ReturnType<typeof sandbox>>;
const get = (app: App, token = TOKEN) => app.inject({ method: 'GET', url: '/crm/v3/properties/contacts', headers: auth(token) });
const search = (app: App, token = TOKEN) => app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/search', headers: auth(token), payload: {} });

t.test('10-second limit: a rolling window per token, not a fixed one', async (t) => {
  const clock = manualClock();
  const app = await sandbox(t, { HUBSPOT_SANDBOX_RATE_LIMIT: '5' }, { now: clock.now });
  for (let i = 0; i < 3; i++) t.equal((await get(app)).statusCode, 200);
  clock.advance(5_000);
  for (let i = 0; i < 2; i++) t.equal((await get(app)).statusCode, 200);
  const limited = await get(app);
  t.equal(limited.statusCode, 429, 'the 6th within 10 s');
  t.same(Object.keys(limited.json()).sort(), ['category', 'correlationId', 'errorType', 'message', 'policyName', 'requestId', 'status']);
  t.match(limited.json(), {
    status: 'error',
    message: 'You have reached your ten_secondly_rolling limit.',
    errorType: 'RATE_LIMIT',
    policyName: 'TEN_SECONDLY_ROLLING',
    correlationId: limited.headers['x-hubspot-correlation-id'],
    requestId: /^[0-9a-f]{32}$/,
  });
  t.equal(limited.headers['x-hubspot-ratelimit-remaining'], '0');
  t.equal(limited.headers['retry-after'], undefined, 'HubSpot sends no Retry-After');
  t.equal((await get(app, OTHER)).statusCode, 200, 'another token has its own window');

  clock.advance(5_001); // the first three have left the window; the two from +5 s have not
  for (let i = 0; i < 3; i++) t.equal((await get(app)).statusCode, 200, `room for one of the first three (${i + 1})`);
  t.equal((await get(app)).statusCode, 429, 'a fixed window would have reset here');
  clock.advance(5_000);
  t.equal((await get(app)).statusCode, 200, 'and the rest roll out in turn');
});

t.test('headers: all seven X-HubSpot-RateLimit-* on CRM replies, errors included', async (t) => {
  const clock = manualClock();
  const app = await sandbox(t, { HUBSPOT_SANDBOX_TIER: 'professional', HUBSPOT_SANDBOX_DAILY_LIMIT: '1000' }, { now: clock.now });
  const first = await get(app);
  t.same(
    Object.fromEntries(RATE_HEADERS.map((h) => [h, first.headers[h]])),
    {
      'x-hubspot-ratelimit-daily': '1000',
      'x-hubspot-ratelimit-daily-remaining': '999',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-max': '190',
      'x-hubspot-ratelimit-remaining': '189',
      'x-hubspot-ratelimit-secondly': '19',
      'x-hubspot-ratelimit-secondly-remaining': '18',
    },
    'professional: 190 per 10 s, secondly a tenth of it',
  );
  await get(app);
  t.equal((await get(app)).headers['x-hubspot-ratelimit-secondly-remaining'], '16', 'secondly counts the last second');
  clock.advance(1_000);
  const later = await get(app);
  t.equal(later.headers['x-hubspot-ratelimit-secondly-remaining'], '18', 'and recovers after it (not enforced: deprecated)');
  t.equal(later.headers['x-hubspot-ratelimit-remaining'], '186');

  const invalid = await app.inject({ method: 'POST', url: '/crm/v3/objects/contacts/batch/upsert', headers: auth(), payload: { inputs: 'x' } });
  t.equal(invalid.statusCode, 400);
  for (const h of RATE_HEADERS) t.ok(invalid.headers[h] !== undefined, `${h} on a 400`);
  const unauthenticated = await get(app, 'pat-not-issued');
  t.equal(unauthenticated.headers['x-hubspot-ratelimit-max'], undefined, 'a 401 is not counted');
});

t.test('daily limit: per account, 429 DAILY, resets at midnight in the account\'s time zone', async (t) => {
  const clock = manualClock(Date.parse('2026-12-01T12:00:00Z')); // 07:00 in New York
  const app = await sandbox(t, { HUBSPOT_SANDBOX_DAILY_LIMIT: '3', HUBSPOT_SANDBOX_TIME_ZONE: 'America/New_York' }, { now: clock.now });
  t.equal((await get(app)).headers['x-hubspot-ratelimit-daily-remaining'], '2');
  t.equal((await get(app, OTHER)).headers['x-hubspot-ratelimit-daily-remaining'], '1', 'every token of the account counts');
  t.equal((await get(app)).headers['x-hubspot-ratelimit-daily-remaining'], '0');
  const limited = await get(app, OTHER);
  t.equal(limited.statusCode, 429);
  t.match(limited.json(), { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY', correlationId: String, requestId: String });
  t.equal(limited.headers['x-hubspot-ratelimit-daily-remaining'], '0');

  clock.set(Date.parse('2026-12-02T04:59:59Z')); // 23:59:59 in New York, already 2 December in UTC
  t.equal((await get(app)).statusCode, 429, 'still the same day in New York');
  clock.set(Date.parse('2026-12-02T05:00:00Z')); // midnight in New York
  const next = await get(app);
  t.equal(next.statusCode, 200, 'a new day');
  t.equal(next.headers['x-hubspot-ratelimit-daily-remaining'], '2');
});

t.test('search: its own 5 per second per account, no rate-limit headers, exempt from the 10-s limit, counted in the day', async (t) => {
  const clock = manualClock();
  const app = await sandbox(t, { HUBSPOT_SANDBOX_RATE_LIMIT: '1', HUBSPOT_SANDBOX_DAILY_LIMIT: '8' }, { now: clock.now });
  t.equal((await get(app)).statusCode, 200);
  t.equal((await get(app)).statusCode, 429, 'the 10-s limit is spent');
  for (let i = 0; i < 5; i++) {
    const res = await search(app, i % 2 ? OTHER : TOKEN);
    t.equal(res.statusCode, 200, `search ${i + 1}`);
    t.same(RATE_HEADERS.filter((h) => res.headers[h] !== undefined), [], 'no rate-limit headers');
  }
  const limited = await search(app);
  t.equal(limited.statusCode, 429, 'the 6th search in one second, whichever token');
  t.same(Object.keys(limited.json()).sort(), ['category', 'correlationId', 'message', 'status']);
  t.match(limited.json(), { status: 'error', message: 'You have reached your secondly limit.', category: 'RATE_LIMITS' });
  clock.advance(1_000);
  t.equal((await search(app)).statusCode, 200, 'the next second');
  t.equal((await search(app)).statusCode, 200);
  const daily = await search(app);
  t.equal(daily.statusCode, 429, '1 call + 7 searches spend a daily limit of 8');
  t.match(daily.json(), { policyName: 'DAILY' });
});

t.test('config: tiers set the limits, variables override them, the time zone is checked', async (t) => {
  const settings = (env: Record<string, string>) => limitSettings(readConfig(env));
  t.match(settings({}), { max: 100, windowMs: 10_000, daily: 250_000, timeZone: 'America/New_York', searchPerSecond: 5 });
  t.match(settings({ HUBSPOT_SANDBOX_TIER: 'free' }), { max: 100, daily: 250_000 });
  t.match(settings({ HUBSPOT_SANDBOX_TIER: 'professional' }), { max: 190, daily: 650_000 });
  t.match(settings({ HUBSPOT_SANDBOX_TIER: 'enterprise' }), { max: 190, daily: 1_000_000 });
  t.match(settings({ HUBSPOT_SANDBOX_TIER: 'professional', HUBSPOT_SANDBOX_DAILY_LIMIT: '625000', HUBSPOT_SANDBOX_RATE_LIMIT: '250' }), { max: 250, daily: 625_000 });
  t.throws(() => readConfig({ HUBSPOT_SANDBOX_TIER: 'gold' }), { name: 'ConfigError', message: /HUBSPOT_SANDBOX_TIER: must be one of free, starter, professional, enterprise/ });
  t.throws(() => readConfig({ HUBSPOT_SANDBOX_TIME_ZONE: 'Mars/Olympus' }), { name: 'ConfigError', message: /HUBSPOT_SANDBOX_TIME_ZONE: not a time zone/ });
});
