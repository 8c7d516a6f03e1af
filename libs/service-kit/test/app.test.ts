import t from 'tap';
import Type from 'typebox';
import { PeakError } from '@peak/contracts';
import { createServiceApp, failureReason } from '@peak/service-kit';
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

t.test('/ready: 200 when every check answers, 503 naming the failing one', async (t) => {
  const app = await testApp(t);
  let redisUp = true;
  app.readiness.set('sqs', async () => 'fine');
  app.readiness.set('redis', async () => {
    if (!redisUp) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
  });
  const up = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(up.statusCode, 200);
  t.same(up.json(), { status: 'ready', checks: { sqs: 'ok', redis: 'ok' } });
  redisUp = false;
  const down = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(down.statusCode, 503);
  t.same(down.json(), { status: 'not ready', checks: { sqs: 'ok', redis: 'failing: connect ECONNREFUSED 127.0.0.1:6379' } });
});

t.test('/ready: a check that never answers fails after the timeout instead of hanging', async (t) => {
  const app = await testApp(t, 100);
  app.readiness.set('slow', () => new Promise(() => {}));
  const started = Date.now();
  const res = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(res.statusCode, 503);
  t.same(res.json().checks, { slow: 'failing: no answer within 100 ms' });
  t.ok(Date.now() - started < 2_000, 'answered promptly');
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
