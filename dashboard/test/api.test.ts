import t, { type Test } from 'tap';
import { fakeMembers, fakePage } from '../dev/fake-churn.js';
import { api, ApiError, errorText, fetchAllMembers, getJson, withQuery, type Fetch, type MembersQuery } from '../src/api.js';

const respond = (status: number, body: unknown): Fetch => async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });

async function rejects(t: Test, p: Promise<unknown>, expected: { code?: string; status?: number; message?: string | RegExp }): Promise<void> {
  try {
    await p;
    t.fail('should have failed');
  } catch (err) {
    t.type(err, ApiError);
    t.match(err, expected);
  }
}

t.test('query strings leave out what is not set', async (t) => {
  t.equal(withQuery('/v1/churn/summary', { location: null }), '/v1/churn/summary');
  t.equal(withQuery('/v1/churn/summary', { location: '' }), '/v1/churn/summary');
  t.equal(withQuery('/v1/churn/members', { location: 'down town', band: 'high', limit: 25, offset: 0 }), '/v1/churn/members?location=down+town&band=high&limit=25&offset=0');
});

t.test('the API answers: bodies, codes and the statuses that still carry a body', async (t) => {
  t.same(await getJson('/x', { fetch: respond(200, { a: 1 }) }), { a: 1 });
  t.same(await getJson('/ready', { fetch: respond(503, { checks: {} }) }, [503]), { checks: {} }, '/ready answers 503 with its body');
  await rejects(t, getJson('/v1/churn/summary', { fetch: respond(404, { code: 'NO_SCORES', message: 'no scores yet' }) }), { code: 'NO_SCORES', status: 404, message: 'no scores yet' });
  await rejects(t, getJson('/v1/churn/summary', { fetch: respond(400, { code: 'UNKNOWN_LOCATION', message: 'no such studio' }) }), { code: 'UNKNOWN_LOCATION', status: 400 });
  await rejects(t, getJson('/x', { fetch: respond(500, { error: 'boom' }) }), { code: 'HTTP_500', message: '/x answered 500' });
  await rejects(t, getJson('/x', { fetch: respond(502, '<html>bad gateway</html>') }), { code: 'HTTP_502', message: '/x answered 502 without JSON' });
  await rejects(t, getJson('/x', { fetch: respond(200, 'not json') }), { code: 'BAD_RESPONSE' });
  await rejects(t, getJson('/x', { fetch: respond(200, [1, 2]) }), { code: 'BAD_RESPONSE' });
  const down: Fetch = async () => {
    throw new TypeError('Failed to fetch');
  };
  await rejects(t, getJson('/x', { fetch: down }), { code: 'UNREACHABLE', message: 'the leaderboard service does not answer (Failed to fetch)' });
  const ctl = new AbortController();
  ctl.abort();
  const aborted: Fetch = async () => {
    throw new DOMException('aborted', 'AbortError');
  };
  await rejects(t, getJson('/x', { fetch: aborted, signal: ctl.signal }), { code: 'ABORTED' });
});

t.test('the typed calls ask the contract paths and check the fields the pages use', async (t) => {
  const asked: string[] = [];
  const ok = (body: unknown): Fetch => async (url) => (asked.push(url), new Response(JSON.stringify(body)));
  const summary = { asOf: '2026-12-06', modelVersion: 'v', scoredAt: 'x', members: 0, meanScore: 0, bands: { high: 0, medium: 0, low: 0 }, locations: [], distribution: [] };
  await api.churnSummary('downtown', { fetch: ok(summary) });
  await api.churnMembers({ location: null, band: 'high', limit: 25, offset: 50 }, { fetch: ok({ asOf: 'd', total: 0, limit: 25, offset: 50, members: [] }) });
  await api.churnModel({ fetch: ok({ version: 'v', bands: {}, evaluation: {}, trainingWindow: {} }) });
  await api.ready({ fetch: ok({ status: 'ok', checks: {} }) });
  t.same(asked, ['/v1/churn/summary?location=downtown', '/v1/churn/members?band=high&limit=25&offset=50', '/v1/churn/model', '/ready']);
  await rejects(t, api.churnSummary(null, { fetch: ok({ ...summary, bands: undefined }) }), { code: 'BAD_RESPONSE', message: '/v1/churn/summary: "bands" is missing or not an object' });
  await rejects(t, api.churnMembers({ limit: 1, offset: 0 }, { fetch: ok({ asOf: 'd', total: '3', members: [] }) }), { message: /"total" is missing or not a number/ });
  await rejects(t, api.churnModel({ fetch: ok({ version: 'v' }) }), { code: 'BAD_RESPONSE' });
  await rejects(t, api.ready({ fetch: ok({ status: 'ok' }) }), { code: 'BAD_RESPONSE' });
});

t.test('errors read as sentences', async (t) => {
  t.equal(errorText(new ApiError('UNREACHABLE', 'the leaderboard service does not answer (Failed to fetch)')), 'The leaderboard service does not answer (Failed to fetch).');
  t.equal(errorText(new Error('Done.')), 'Done.');
  t.equal(errorText('plain'), 'Plain.');
  t.equal(errorText(new Error('  ')), 'Something went wrong.');
});

t.test('fetching every member of a filter: pages of 200, in order, up to the cap', async (t) => {
  const all = fakeMembers(450);
  const asked: MembersQuery[] = [];
  const page = async (q: MembersQuery) => (asked.push(q), fakePage(all, q));
  const progress: string[] = [];
  const got = await fetchAllMembers({ location: null, band: null }, page, { onProgress: (d, n) => progress.push(`${d}/${n}`) });
  t.equal(got.members.length, 450);
  t.same(got.members.map((m) => m.memberId), all.map((m) => m.memberId), 'every member once, riskiest first');
  t.equal(got.capped, false);
  t.equal(got.total, 450);
  t.equal(got.asOf, '2026-12-06');
  t.same(asked.map((q) => `${q.offset}+${q.limit}`), ['0+200', '200+200', '400+200']);
  t.same(progress, ['200/450', '400/450', '450/450']);

  asked.length = 0;
  const many = fakeMembers(2000);
  const lows = many.filter((m) => m.band === 'low');
  t.ok(lows.length > 250);
  const capped = await fetchAllMembers({ band: 'low' }, async (q) => (asked.push(q), fakePage(many, q)), { cap: 250 });
  t.equal(capped.members.length, 250);
  t.equal(capped.total, lows.length);
  t.equal(capped.capped, true, 'says it stopped early');
  t.same(asked.map((q) => `${q.offset}+${q.limit}+${q.band}`), ['0+200+low', '200+50+low'], 'the last page asks only for what fits');

  const exact = await fetchAllMembers({}, async (q) => fakePage(all.slice(0, 200), q), { cap: 200 });
  t.equal(exact.capped, false, 'exactly the cap is everything, not capped');

  const empty = await fetchAllMembers({ location: 'nowhere' }, page);
  t.same(empty, { asOf: '2026-12-06', total: 0, members: [], capped: false });

  let calls = 0;
  const shrinking = await fetchAllMembers({}, async (q) => (calls++, { ...fakePage(all, q), members: q.offset >= 200 ? [] : fakePage(all, q).members }));
  t.equal(shrinking.members.length, 200, 'an empty page ends the loop even if total said more');
  t.equal(calls, 2);
});

t.test('a new scoring run during the download is refused, not mixed in', async (t) => {
  const all = fakeMembers(300);
  await rejects(
    t,
    fetchAllMembers({}, async (q) => ({ ...fakePage(all, q), asOf: q.offset === 0 ? '2026-12-06' : '2026-12-07' })),
    { code: 'SCORES_CHANGED', message: /2026-12-06 → 2026-12-07/ },
  );
});
