/**
 * The dashboard's shell: hash routing between the pages (state in the URL, see url-state.ts), the nav's
 * current page, the page title, and focus moved to the new page's heading when the page changes.
 * The overview and churn pages (and ECharts with them) and the leaderboard page are loaded only when first opened.
 */
import { h, fill } from './dom.js';
import type { Navigate, Page } from './pages/types.js';
import { mountStatus } from './pages/status.js';
import { parseHash, toHash, type RouteState, type View } from './url-state.js';

const TITLES: Record<View, string> = {
  overview: 'Peak Fitness · Engagement dashboard',
  status: 'Status · Peak Fitness',
  churn: 'Churn risk · Peak Fitness',
  leaderboard: 'Leaderboard · Peak Fitness',
  'not-found': 'Page not found · Peak Fitness',
};

type Mount = (root: HTMLElement, state: RouteState, navigate: Navigate) => Page;
/** Pages whose code is fetched when first opened: the words for "Loading the … page", and the loader. */
const LAZY: Partial<Record<View, { name: string; load: () => Promise<Mount> }>> = {
  overview: { name: 'overview', load: () => import('./pages/overview.js').then((m) => m.mountOverview) },
  churn: { name: 'churn', load: () => import('./pages/churn.js').then((m) => m.mountChurn) },
  leaderboard: { name: 'leaderboard', load: () => import('./pages/leaderboard.js').then((m) => m.mountLeaderboard) },
};

const main = document.getElementById('main') as HTMLElement;
let current: { view: View; page: Page | null } | null = null;
let rendered = '';
let generation = 0;
/** The state to mount with: the newest, even if it changed while the page's code was loading. */
let latest: RouteState = parseHash(location.hash);

const navigate: Navigate = (state, { replace = false } = {}) => {
  const hash = toHash(state);
  if (replace) history.replaceState(null, '', hash);
  else if (location.hash !== hash) history.pushState(null, '', hash);
  render();
};

function notFound(root: HTMLElement): Page {
  fill(
    root,
    h('div', { class: 'page-head' }, h('h1', { id: 'page-title', tabindex: -1 }, 'Page not found')),
    h(
      'section',
      { class: 'card' },
      h('p', {}, 'There is no such page. Go to the ', h('a', { href: '#/' }, 'Overview'), ', ', h('a', { href: '#/leaderboard' }, 'Leaderboard'), ', ', h('a', { href: '#/churn' }, 'Churn risk'), ' or ', h('a', { href: '#/status' }, 'Status'), '.'),
    ),
  );
  return { update: () => {}, unmount: () => {} };
}

function markNav(state: RouteState): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('.nav a[data-view]')) {
    if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    // A page's link keeps the board or studio chosen last, so going back to it keeps the filter.
    if (a.dataset.view === 'churn' && state.view === 'churn') a.href = toHash({ ...state, band: null, page: 1 });
    if (a.dataset.view === 'leaderboard' && state.view === 'leaderboard') a.href = toHash({ ...state, key: null, page: 1 });
    if (a.dataset.view === 'overview' && state.view === 'overview') a.href = toHash({ ...state, member: null, page: 1 });
  }
}

function focusHeading(): void {
  const heading = document.getElementById('page-title');
  (heading ?? main).focus({ preventScroll: false });
}

async function mount(state: RouteState, first: boolean): Promise<void> {
  const mine = ++generation;
  current?.page?.unmount();
  current = { view: state.view, page: null };
  let page: Page;
  const lazy = LAZY[state.view];
  if (lazy) {
    fill(main, h('p', { class: 'placeholder', role: 'status' }, `Loading the ${lazy.name} page…`));
    try {
      const mountPage = await lazy.load();
      if (mine !== generation) return; // the reader went elsewhere meanwhile
      page = mountPage(main, latest, navigate);
    } catch (err) {
      if (mine !== generation) return;
      fill(main, h('div', { class: 'card alert', role: 'alert' }, h('p', {}, `The ${lazy.name} page could not be loaded (${(err as Error).message}). Reload the page to try again.`)));
      return;
    }
  } else if (state.view === 'status') {
    const unmount = mountStatus(main);
    page = { update: () => {}, unmount };
  } else page = notFound(main);
  current.page = page;
  if (!first) focusHeading();
}

function render(first = false): void {
  const state = parseHash(location.hash);
  // One canonical URL per view: a hand-typed "#/churn?page=0&band=x" becomes "#/churn" (and "" stays "").
  if (LAZY[state.view] && location.hash && location.hash !== toHash(state)) history.replaceState(null, '', toHash(state));
  const key = state.view === 'not-found' ? location.hash : toHash(state);
  if (key === rendered && !first) return;
  rendered = key;
  latest = state;
  document.title = TITLES[state.view];
  markNav(state);
  if (current && current.view === state.view) current.page?.update(state); // page still loading: it mounts with `latest`
  else void mount(state, first);
}

window.addEventListener('hashchange', () => render());
window.addEventListener('popstate', () => render());
document.getElementById('skip-link')?.addEventListener('click', (ev) => {
  ev.preventDefault(); // "#main" is not a route: move focus without touching the URL
  focusHeading();
});
render(true);
