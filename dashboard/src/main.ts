/**
 * The dashboard's shell: hash routing between the pages (state in the URL, see url-state.ts), the nav's
 * current page, the page title, and focus moved to the new page's heading when the page changes.
 * The churn page (and ECharts with it) is loaded only when first opened.
 */
import { h, fill } from './dom.js';
import type { Navigate, Page } from './pages/churn.js';
import { mountStatus } from './pages/status.js';
import { parseHash, toHash, type RouteState, type View } from './url-state.js';

const TITLES: Record<View, string> = {
  status: 'Peak Fitness · Engagement dashboard',
  churn: 'Churn risk · Peak Fitness',
  'not-found': 'Page not found · Peak Fitness',
};

const main = document.getElementById('main') as HTMLElement;
let current: { view: View; page: Page | null } | null = null;
let rendered = '';
let generation = 0;
/** The state to mount with: the newest, even if it changed while the churn page's code was loading. */
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
    h('section', { class: 'card' }, h('p', {}, 'There is no such page. Go to ', h('a', { href: '#/' }, 'Status'), ' or ', h('a', { href: '#/churn' }, 'Churn risk'), '.')),
  );
  return { update: () => {}, unmount: () => {} };
}

function markNav(state: RouteState): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('.nav a[data-view]')) {
    if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    // The churn link keeps the studio chosen last, so going back to it keeps the filter.
    if (a.dataset.view === 'churn' && state.view === 'churn') a.href = toHash({ ...state, band: null, page: 1 });
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
  if (state.view === 'churn') {
    fill(main, h('p', { class: 'placeholder', role: 'status' }, 'Loading the churn page…'));
    try {
      const { mountChurn } = await import('./pages/churn.js');
      if (mine !== generation) return; // the reader went elsewhere meanwhile
      page = mountChurn(main, latest, navigate);
    } catch (err) {
      if (mine !== generation) return;
      fill(main, h('div', { class: 'card alert', role: 'alert' }, h('p', {}, `The churn page could not be loaded (${(err as Error).message}). Reload the page to try again.`)));
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
  // One canonical URL per view: a hand-typed "#/churn?page=0&band=x" becomes "#/churn".
  if (state.view === 'churn' && location.hash !== toHash(state)) history.replaceState(null, '', toHash(state));
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
