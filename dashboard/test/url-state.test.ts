import t from 'tap';
import { DEFAULT_STATE, pageCount, pageOffset, parseHash, toHash, withFilter, type RouteState } from '../src/url-state.js';

const churn = (p: Partial<RouteState> = {}): RouteState => ({ view: 'churn', location: null, band: null, page: 1, ...p });

t.test('the start page: no hash, "#", "#/", a skip link', async (t) => {
  for (const hash of ['', '#', '#/', '#//', '#main', '#/status']) t.same(parseHash(hash), DEFAULT_STATE, JSON.stringify(hash));
  t.equal(toHash(DEFAULT_STATE), '#/');
});

t.test('churn filters round-trip through the URL', async (t) => {
  const cases: [RouteState, string][] = [
    [churn(), '#/churn'],
    [churn({ location: 'downtown' }), '#/churn?location=downtown'],
    [churn({ band: 'high' }), '#/churn?band=high'],
    [churn({ location: 'harbor view', band: 'medium', page: 3 }), '#/churn?location=harbor+view&band=medium&page=3'],
    [churn({ location: 'a&b=c?d#e' }), '#/churn?location=a%26b%3Dc%3Fd%23e'],
  ];
  for (const [state, hash] of cases) {
    t.equal(toHash(state), hash, `format ${hash}`);
    t.same(parseHash(hash), state, `parse ${hash}`);
    t.same(parseHash(toHash(state)), state, 'round trip');
  }
  t.same(parseHash('#/churn/?page=2'), churn({ page: 2 }), 'a trailing slash is the same view');
  t.same(parseHash('/churn?band=low'), churn({ band: 'low' }), 'a hash without its #');
  t.equal(toHash(churn({ band: 'low', location: 'x' })), '#/churn?location=x&band=low', 'one order of parameters whatever the object');
});

t.test('bad values fall back to the defaults instead of failing', async (t) => {
  t.same(parseHash('#/churn?band=extreme&page=0&location='), churn());
  t.same(parseHash('#/churn?page=-2'), churn());
  t.same(parseHash('#/churn?page=2.5'), churn());
  t.same(parseHash('#/churn?page=abc'), churn());
  t.same(parseHash('#/churn?page=9999999'), churn(), 'an absurd page');
  t.same(parseHash('#/churn?page=100000'), churn({ page: 100000 }));
  t.same(parseHash('#/churn?band=HIGH'), churn(), 'bands are lower case');
  t.same(parseHash(`#/churn?location=${'x'.repeat(101)}`), churn(), 'an overlong location');
  t.same(parseHash('#/churn?location=%20%20'), churn(), 'a blank location');
  t.same(parseHash('#/churn?location=%20downtown%20'), churn({ location: 'downtown' }), 'trimmed');
  t.equal(typeof parseHash('#/churn?location=%E0%A4%A').location, 'string', 'a malformed escape does not throw');
  t.same(parseHash('#/nope?band=high'), { ...DEFAULT_STATE, view: 'not-found' });
  t.equal(toHash({ ...DEFAULT_STATE, view: 'not-found' }), '#/');
  t.equal(toHash({ ...DEFAULT_STATE, location: 'ignored' }), '#/', 'the status page has no filters');
});

t.test('a new location or band starts again at page 1; a page change keeps the filters', async (t) => {
  const s = churn({ location: 'downtown', band: 'high', page: 4 });
  t.same(withFilter(s, { location: 'riverside' }), churn({ location: 'riverside', band: 'high', page: 1 }));
  t.same(withFilter(s, { location: null }), churn({ band: 'high', page: 1 }));
  t.same(withFilter(s, { band: 'low' }), churn({ location: 'downtown', band: 'low', page: 1 }));
  t.same(withFilter(s, { band: 'high' }), s, 'the same band keeps the page');
  t.same(withFilter(s, { location: 'downtown' }), s, 'the same location keeps the page');
  t.same(withFilter(s, { page: 5 }), churn({ location: 'downtown', band: 'high', page: 5 }));
  t.same(withFilter(s, { band: null, page: 2 }), churn({ location: 'downtown', page: 2 }), 'an explicit page wins');
  t.equal(s.page, 4, 'the old state is not changed');
});

t.test('pages and offsets', async (t) => {
  t.equal(pageOffset(1, 25), 0);
  t.equal(pageOffset(3, 25), 50);
  t.equal(pageOffset(0, 25), 0);
  t.equal(pageCount(0, 25), 1);
  t.equal(pageCount(25, 25), 1);
  t.equal(pageCount(26, 25), 2);
});
