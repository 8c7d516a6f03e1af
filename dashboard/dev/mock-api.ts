/**
 * A stand-in for the leaderboard service's churn API, with made-up data (dev/fake-churn.ts), for working on the
 * dashboard without the whole platform. It also serves dashboard/dist, so the built dashboard can be looked at:
 *
 *   npm run build --workspace dashboard && npm run mock --workspace dashboard -- --port 4100 [--scenario no-scores] [--delay 400]
 *   open http://127.0.0.1:4100/            (or: DASHBOARD_API_URL=http://127.0.0.1:4100 npm run dev --workspace dashboard)
 *
 * Scenarios: ok (default), no-scores (404 NO_SCORES), no-model (404 NO_MODEL, scores present), no-truth,
 * failing (500 on the churn API, /ready names a failing dependency). Loopback only.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BANDS, type Band } from '../src/api.js';
import { FAKE_STUDIOS, fakeMembers, fakeModel, fakePage, fakeSummary } from './fake-churn.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4100' }, scenario: { type: 'string', default: 'ok' }, delay: { type: 'string', default: '0' } } });
const scenario = values.scenario;
const delay = Number(values.delay);
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const members = fakeMembers();
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const answer = async (): Promise<void> => {
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const p = url.pathname;
    if (p === '/ready') {
      return scenario === 'failing'
        ? json(503, { status: 'unavailable', checks: { redis: 'ok', sqs: 'unreachable' }, details: { sqs: 'connect ECONNREFUSED 127.0.0.1:4020' } })
        : json(200, { status: 'ok', checks: { redis: 'ok', sqs: 'ok' } });
    }
    if (p.startsWith('/v1/churn/')) {
      if (scenario === 'failing') return json(500, { code: 'INTERNAL', message: 'the lake could not be read' });
      const location = url.searchParams.get('location') || null;
      if (location && !FAKE_STUDIOS.includes(location)) return json(400, { code: 'UNKNOWN_LOCATION', message: `no scored members have home location "${location}"` });
      if (p === '/v1/churn/model') return scenario === 'no-model' || scenario === 'no-scores' ? json(404, { code: 'NO_MODEL', message: 'no churn model has been trained yet' }) : json(200, fakeModel(scenario !== 'no-truth'));
      if (scenario === 'no-scores') return json(404, { code: 'NO_SCORES', message: 'no churn scores yet: run npm run churn -- train, then npm run churn -- score' });
      if (p === '/v1/churn/summary') return json(200, fakeSummary(members, location));
      if (p === '/v1/churn/members') {
        const band = url.searchParams.get('band') || null;
        const limit = Number(url.searchParams.get('limit') ?? '50');
        const offset = Number(url.searchParams.get('offset') ?? '0');
        if (band && !BANDS.includes(band as Band)) return json(400, { code: 'BAD_REQUEST', message: 'band must be one of high, medium, low' });
        if (!Number.isInteger(limit) || limit < 1 || limit > 200 || !Number.isInteger(offset) || offset < 0) return json(400, { code: 'BAD_REQUEST', message: 'limit 1..200, offset ≥ 0' });
        return json(200, fakePage(members, { location, band: band as Band | null, limit, offset }));
      }
    }
    if (p === '/docs') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('The mock has no API docs: the leaderboard service serves them at /docs.');
    }
    const file = normalize(join(dist, p === '/' ? 'index.html' : p));
    if (!file.startsWith(dist)) return json(404, { code: 'NOT_FOUND', message: p });
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      json(404, { code: 'NOT_FOUND', message: p === '/' ? 'dashboard/dist is not built: npm run build --workspace dashboard' : p });
    }
  };
  answer().catch((err: unknown) => json(500, { code: 'INTERNAL', message: String(err) }));
});

server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : values.port;
  console.log(`dashboard mock API (scenario ${scenario}) on http://127.0.0.1:${port}/ — made-up data, for development only`);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => server.close(() => process.exit(0)));
