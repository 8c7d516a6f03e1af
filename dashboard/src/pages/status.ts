/**
 * Status: the platform status card from `GET /ready` (one line per dependency, refreshed every 10 s) and the
 * honest note that leaderboards and metrics come once data flows. test/e2e/smoke.test.ts reads
 * "Every dependency answers." and `#checks li.ok .name` / `#checks li.failing`: keep them.
 */
import { api, errorText } from '../api.js';
import { fill, h } from '../dom.js';
import { checkLines, readySummary } from '../status-text.js';

export const STATUS_REFRESH_MS = 10_000;

export function mountStatus(root: HTMLElement): () => void {
  const summary = h('p', { class: 'muted', id: 'status-summary', role: 'status' }, 'Checking the dependencies…');
  const list = h('ul', { class: 'checks', id: 'checks' });
  fill(
    root,
    h('div', { class: 'page-head' }, h('h1', { id: 'page-title', tabindex: -1 }, 'Status')),
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'status-title' },
        h('h2', { id: 'status-title' }, 'Platform status'),
        summary,
        list,
        h('p', { class: 'muted small' }, 'From ', h('a', { href: '/ready' }, h('code', {}, '/ready')), ', refreshed every 10 seconds.'),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'boards-title' },
        h('h2', { id: 'boards-title' }, 'Leaderboards & metrics'),
        h(
          'p',
          {},
          'Attendance, retention and revenue metrics appear here once data flows through ',
          h('strong', {}, 'ingest → ETL'),
          ': upload the studios’ exports to ingest, the ETL validates them into the lake, and this service ranks members and caches the metrics.',
        ),
        h('p', {}, 'Classes attended per member, live, are on the ', h('a', { href: '#/leaderboard' }, 'Leaderboard'), ' page; churn risk per member on the ', h('a', { href: '#/churn' }, 'Churn risk'), ' page once the model has scored the members.'),
        h('p', { class: 'muted small' }, 'Nothing is shown until then: this page never displays made-up numbers.'),
      ),
    ),
  );

  let controller: AbortController | undefined;
  async function refresh(): Promise<void> {
    controller?.abort();
    const mine = (controller = new AbortController());
    try {
      const body = await api.ready({ signal: mine.signal });
      if (mine.signal.aborted) return;
      const lines = checkLines(body);
      list.replaceChildren(
        ...lines.map((l) =>
          h(
            'li',
            { class: l.ok ? 'ok' : 'failing' },
            h('span', { class: 'badge', role: 'img', 'aria-label': l.ok ? 'up' : 'down' }),
            h('span', { class: 'name' }, l.name),
            h('span', { class: 'detail' }, l.detail),
          ),
        ),
      );
      summary.textContent = readySummary(lines);
    } catch (err) {
      if (mine.signal.aborted) return;
      list.replaceChildren();
      summary.textContent = errorText(err);
    }
  }

  void refresh();
  const timer = window.setInterval(() => void refresh(), STATUS_REFRESH_MS);
  return () => {
    window.clearInterval(timer);
    controller?.abort();
  };
}
