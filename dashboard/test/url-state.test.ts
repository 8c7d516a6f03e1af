import t from 'tap';
import { DEFAULT_STATE, pageCount, pageOffset, parseHash, toHash, withFilter, type RouteState } from '../src/url-state.js';

const churn = (p: Partial<RouteState> = {}): RouteState => ({ ...DEFAULT_STATE, view: 'churn', ...p });
const board = (p: Partial<RouteState> = {}): RouteState => ({ ...DEFAULT_STATE, view: 'leaderboard', ...p });
const overview = (p: Partial<RouteState> = {}): RouteState => ({ ...DEFAULT_STATE, view: 'overview', ...p });

t.test('the start page is the overview: no hash, "#", "#/", "#/overview", a skip link', async (t) => {
  for (const hash of ['', '#', '#/', '#//', '#main', '#/overview']) t.same(parseHash(hash), DEFAULT_STATE, JSON.stringify(hash));
  t.equal(DEFAULT_STATE.view, 'overview');
  t.equal(toHash(DEFAULT_STATE), '#/');
  t.same(parseHash('#/status'), { ...DEFAULT_STATE, view: 'status' });
  t.equal(toHash({ ...DEFAULT_STATE, view: 'status', location: 'ignored' }), '#/status', 'the status page has no filters');
});

t.test('overview filters round-trip through the URL, defaults left out', async (t) => {
  const cases: [RouteState, string][] = [
    [overview(), '#/'],
    [overview({ location: 'downtown' }), '#/?location=downtown'],
    [overview({ range: '90_days' }), '#/?range=90_days'],
    [overview({ range: '30_days' }), '#/'],
    [overview({ classType: 'spin' }), '#/?classType=spin'],
    [overview({ instructor: 'I001', range: '7_days' }), '#/?range=7_days&instructor=I001'],
    [overview({ location: 'riverside', range: '12_months', classType: 'yoga', page: 3, member: 'M000042' }), '#/?location=riverside&range=12_months&classType=yoga&page=3&member=M000042'],
  ];
  for (const [state, hash] of cases) {
    t.equal(toHash(state), hash, `format ${hash}`);
    t.same(parseHash(hash), state, `parse ${hash}`);
  }
  t.same(parseHash('#/?range=forever&classType=%3Cscript%3E&member=..%2Fetc&instructor='), overview(), 'bad values fall back to the defaults');
  t.same(parseHash(`#/?member=${'M'.repeat(65)}`), overview(), 'an overlong member id');
  t.same(parseHash('#/?classType=spin&instructor=I001'), overview({ classType: 'spin' }), 'both class filters in a hand-made link: the class type wins');
  t.equal(toHash(overview({ classType: 'spin', instructor: 'I001' })), '#/?classType=spin', 'never both in a URL');
  t.equal(toHash({ ...churn({ location: 'x' }), range: '90_days', classType: 'spin', member: 'M1' }), '#/churn?location=x', 'the overview filters belong to the overview');
});

t.test('overview: a class type clears the instructor and back; a new filter goes back to page 1', async (t) => {
  const s = overview({ location: 'downtown', instructor: 'I001', page: 3 });
  t.same(withFilter(s, { classType: 'spin' }), overview({ location: 'downtown', classType: 'spin', page: 1 }));
  t.same(withFilter(overview({ classType: 'spin' }), { instructor: 'I002' }), overview({ instructor: 'I002' }));
  t.same(withFilter(s, { classType: null }), s, 'clearing an unset class type changes nothing');
  t.same(withFilter(s, { range: '7_days' }), overview({ location: 'downtown', instructor: 'I001', range: '7_days', page: 1 }));
  t.same(withFilter(s, { member: 'M0042' }), { ...s, member: 'M0042' }, 'opening a member keeps the page');
  t.same(withFilter(s, { page: 4 }), { ...s, page: 4 });
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

t.test('leaderboard boards round-trip through the URL, defaults left out', async (t) => {
  const cases: [RouteState, string][] = [
    [board(), '#/leaderboard'],
    [board({ location: 'downtown' }), '#/leaderboard?location=downtown'],
    [board({ period: 'month' }), '#/leaderboard?period=month'],
    [board({ period: 'all', page: 3 }), '#/leaderboard?period=all&page=3'],
    [board({ key: '2026-W49' }), '#/leaderboard?key=2026-W49'],
    [board({ location: 'downtown', period: 'month', key: '2026-11', page: 2 }), '#/leaderboard?location=downtown&period=month&key=2026-11&page=2'],
  ];
  for (const [state, hash] of cases) {
    t.equal(toHash(state), hash, `format ${hash}`);
    t.same(parseHash(hash), state, `parse ${hash}`);
  }
  t.equal(toHash(board({ page: 2, key: '2026-W49', location: 'x', period: 'week' })), '#/leaderboard?location=x&key=2026-W49&page=2', 'one order of parameters');
  t.equal(toHash(board({ band: 'high' })), '#/leaderboard', 'the churn band is not the leaderboard\'s');
  t.equal(toHash(churn({ period: 'month', key: '2026-11' })), '#/churn', 'nor the period the churn page\'s');
  t.same(parseHash('#/churn?period=month&key=2026-11'), churn(), 'the churn page ignores a period');
  t.same(parseHash('#/leaderboard?band=high'), board(), 'and the leaderboard a band');
});

t.test('leaderboard: bad values fall back to the defaults', async (t) => {
  t.same(parseHash('#/leaderboard?period=year'), board(), 'an unknown period: this week');
  t.same(parseHash('#/leaderboard?period=MONTH'), board(), 'periods are lower case');
  t.same(parseHash('#/leaderboard?period=month&key=2026-W49'), board({ period: 'month' }), 'a week key with a month: the current month');
  t.same(parseHash('#/leaderboard?key=2026-12'), board(), 'a month key with a week');
  t.same(parseHash('#/leaderboard?key=2026-W54'), board(), 'no week 54');
  t.same(parseHash('#/leaderboard?period=month&key=2026-13'), board({ period: 'month' }), 'no month 13');
  t.same(parseHash('#/leaderboard?period=all&key=all'), board({ period: 'all' }), 'all time has no key');
  t.same(parseHash('#/leaderboard?key=%3Cscript%3E&page=-1&location='), board());
  t.equal(toHash(board({ period: 'month', key: '2026-W49' })), '#/leaderboard?period=month', 'a key of the wrong form is not written either');
});

t.test('leaderboard: a new studio, period or key starts again at page 1; a new period at its current key', async (t) => {
  const s = board({ location: 'downtown', period: 'week', key: '2026-W49', page: 4 });
  t.same(withFilter(s, { location: 'riverside' }), board({ location: 'riverside', key: '2026-W49', page: 1 }));
  t.same(withFilter(s, { period: 'month' }), board({ location: 'downtown', period: 'month', page: 1 }), 'a week\'s key means nothing to a month');
  t.same(withFilter(s, { period: 'week' }), s, 'the same period keeps key and page');
  t.same(withFilter(s, { key: null }), board({ location: 'downtown', page: 1 }), 'back to this week');
  t.same(withFilter(s, { page: 2 }), { ...s, page: 2 });
  t.same(withFilter(s, { period: 'month', key: '2026-11' }), board({ location: 'downtown', period: 'month', key: '2026-11', page: 1 }));
});

t.test('pages and offsets', async (t) => {
  t.equal(pageOffset(1, 25), 0);
  t.equal(pageOffset(3, 25), 50);
  t.equal(pageOffset(0, 25), 0);
  t.equal(pageCount(0, 25), 1);
  t.equal(pageCount(25, 25), 1);
  t.equal(pageCount(26, 25), 2);
});
