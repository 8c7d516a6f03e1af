import t from 'tap';
import Type from 'typebox';
import { PeakError } from '@peak/contracts';
import { checkOutcome, createServiceApp, failureReason } from '@peak/service-kit';
import type { Teardown } from '@peak/service-kit/testing';

async function testApp(t: Teardown, readinessTimeoutMs?: number) {
  const app = await createServiceApp({ name: 'test', description: 'a test service', readinessTimeoutMs });
  t.teardown(() => app.close());
  return app;
}

t.test('unknown route: 404 JSON with a code that points at the docs', async (t) => {
  const app = await testApp(t);
  const res = await app.inject({ method: 'GET', url: '/nowhere' });
  t.equal(res.statusCode, 404);
  t.match(res.json(), { code: 'NOT_FOUND', message: /GET \/nowhere.*\/docs/ });
});

t.test('5xx: the client sees a generic message with the request id, never the error', async (t) => {
  const app = await testApp(t);
  app.get('/boom', async () => {
    throw new Error('database password is hunter2');
  });
  const res = await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'req-42' } });
  t.equal(res.statusCode, 500);
  t.match(res.json(), { code: 'INTERNAL', message: /req-42/ });
  t.notMatch(res.body, /hunter2/);
});

t.test('a hostile x-request-id is replaced, never echoed; a deliberate 5xx keeps its code', async (t) => {
  const app = await testApp(t);
  app.get('/down', async () => {
    throw new PeakError('the lake is unreachable at s3://internal-bucket', 'LAKE_UNAVAILABLE', 503);
  });
  for (const hostile of ['<script>alert(1)</script>', 'x'.repeat(500), 'a b\tc']) {
    const res = await app.inject({ method: 'GET', url: '/down', headers: { 'x-request-id': hostile } });
    t.equal(res.statusCode, 503);
    t.match(res.json(), { code: 'LAKE_UNAVAILABLE', message: /request id [0-9a-f-]{36}$/ });
    t.notMatch(res.body, /script|xxxxxxxx|internal-bucket/);
  }
});

t.test('a PeakError keeps its code and status', async (t) => {
  const app = await testApp(t);
  app.get('/conflict', async () => {
    throw new PeakError('that batch was already uploaded', 'DUPLICATE_BATCH', 409);
  });
  const res = await app.inject({ method: 'GET', url: '/conflict' });
  t.equal(res.statusCode, 409);
  t.same(res.json(), { code: 'DUPLICATE_BATCH', message: 'that batch was already uploaded' });
});

t.test('schema validation failure: 400 JSON naming the field', async (t) => {
  const app = await testApp(t);
  app.post('/things', { schema: { body: Type.Object({ count: Type.Integer({ minimum: 1 }) }) } }, async () => ({ ok: true }));
  const res = await app.inject({ method: 'POST', url: '/things', payload: { count: 'lots' } });
  t.equal(res.statusCode, 400);
  t.match(res.json(), { code: 'BAD_REQUEST', message: /count/ });
  const badJson = await app.inject({ method: 'POST', url: '/things', payload: '{"count":', headers: { 'content-type': 'application/json' } });
  t.equal(badJson.statusCode, 400);
  t.match(badJson.json(), { code: String, message: String });
});

t.test('/health and /ready with no dependencies', async (t) => {
  const app = await testApp(t);
  t.same((await app.inject({ method: 'GET', url: '/health' })).json(), { status: 'ok' });
  const ready = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', checks: {} });
});

/** An app whose pino lines (warn and up) are collected, to check what /ready logs. */
async function loggedApp(t: Teardown, opts: { readinessTimeoutMs?: number; readinessDetails?: boolean } = {}) {
  const lines: { level: number; check?: string; outcome?: string; reason?: string; msg: string }[] = [];
  const stream = { write: (line: string) => lines.push(JSON.parse(line)) };
  const app = await createServiceApp({ name: 'test', description: 'a test service', logger: { level: 'warn', stream }, ...opts });
  t.teardown(() => app.close());
  return { app, lines };
}

t.test('/ready: 200 when every check answers; 503 with a stable word per dependency, the reason only in the log', async (t) => {
  const { app, lines } = await loggedApp(t);
  let redisUp = true;
  app.readiness.set('sqs', async () => 'fine');
  app.readiness.set('redis', async () => {
    if (!redisUp) throw Object.assign(new Error('connect ECONNREFUSED 10.0.3.7:6379'), { code: 'ECONNREFUSED' });
  });
  app.readiness.set('lake', async () => {
    throw new Error('bucket internal-lake-prod: AccessDenied (HTTP 403)');
  });
  const down = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(down.statusCode, 503);
  t.same(down.json(), { status: 'not ready', checks: { sqs: 'ok', redis: 'ok', lake: 'error' } });
  redisUp = false;
  const both = await app.inject({ method: 'GET', url: '/ready' });
  t.same(both.json(), { status: 'not ready', checks: { sqs: 'ok', redis: 'unreachable', lake: 'error' } });
  t.notMatch(both.body, /10\.0\.3\.7|internal-lake-prod|ECONNREFUSED|AccessDenied/, 'no host, bucket or client text in the answer');
  t.match(
    lines.filter((l) => l.check === 'redis'),
    [{ level: 40, check: 'redis', outcome: 'unreachable', reason: 'connect ECONNREFUSED 10.0.3.7:6379' }],
    'the reason is logged at warn',
  );
  t.match(lines.find((l) => l.check === 'lake'), { level: 40, outcome: 'error', reason: /internal-lake-prod: AccessDenied/ });
});

t.test('/ready with readinessDetails (local development): the same words plus each reason under details', async (t) => {
  const { app } = await loggedApp(t, { readinessDetails: true });
  app.readiness.set('sqs', async () => 'fine');
  app.readiness.set('redis', async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
  });
  const res = await app.inject({ method: 'GET', url: '/ready' });
  t.same(res.json(), { status: 'not ready', checks: { sqs: 'ok', redis: 'unreachable' }, details: { redis: 'connect ECONNREFUSED 127.0.0.1:6379' } });
  app.readiness.delete('redis');
  t.same((await app.inject({ method: 'GET', url: '/ready' })).json(), { status: 'ready', checks: { sqs: 'ok' } }, 'no details when all is well');
});

t.test('/ready: a check that never answers fails as timeout, and its signal is aborted', async (t) => {
  const { app, lines } = await loggedApp(t, { readinessTimeoutMs: 100 });
  let abortedWith: unknown;
  app.readiness.set('slow', (signal) => {
    signal.addEventListener('abort', () => (abortedWith = signal.reason));
    return new Promise(() => {});
  });
  // A check that honours its signal: the abort ends the call itself (what AWS SDK sends and fetch do).
  app.readiness.set('cooperative', (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
  const started = Date.now();
  const res = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(res.statusCode, 503);
  t.same(res.json().checks, { slow: 'timeout', cooperative: 'timeout' });
  t.ok(Date.now() - started < 2_000, 'answered promptly');
  t.match(abortedWith, { name: 'TimeoutError' }, 'the timed-out check was told to stop');
  t.match(lines.find((l) => l.check === 'slow'), { outcome: 'timeout', reason: 'no answer within 100 ms' });
});

t.test('checkOutcome: unreachable for refused/unknown hosts (also wrapped or aggregated), timeout, error otherwise', async (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  t.equal(checkOutcome(refused), 'unreachable');
  t.equal(checkOutcome(new TypeError('fetch failed', { cause: refused })), 'unreachable');
  t.equal(checkOutcome(new Error('queue q: failed', { cause: new AggregateError([refused], '') })), 'unreachable');
  t.equal(checkOutcome(Object.assign(new Error('getaddrinfo ENOTFOUND lake.internal'), { code: 'ENOTFOUND' })), 'unreachable');
  t.equal(checkOutcome(new Error("Stream isn't writeable and enableOfflineQueue options is false")), 'unreachable');
  t.equal(checkOutcome(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), 'timeout');
  t.equal(checkOutcome(new Error('HubSpot answered 401 INVALID_AUTHENTICATION')), 'error');
  t.equal(checkOutcome('a string'), 'error');
});

t.test('failureReason: one readable line from any client error', async (t) => {
  t.equal(failureReason(new Error('plain')), 'plain');
  t.equal(failureReason('a string'), 'a string');
  const headBucket = Object.assign(new Error('UnknownError'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  t.equal(failureReason(headBucket), 'NotFound (HTTP 404)');
  t.equal(failureReason(new AggregateError([new Error('connect ECONNREFUSED ::1:80')], '')), 'connect ECONNREFUSED ::1:80');
  t.equal(failureReason(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') })), 'fetch failed: connect ECONNREFUSED 127.0.0.1:9');
  const wrapped = new Error('queue q: connect ECONNREFUSED 127.0.0.1:9', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
  t.equal(failureReason(wrapped), 'queue q: connect ECONNREFUSED 127.0.0.1:9', 'a cause already in the message is not repeated');
});
