/** A tiny element builder: text is always set as text (never parsed as HTML), so API data cannot inject markup. */

type Attr = string | number | boolean | null | undefined;
type Handler = (ev: Event) => void;
export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr | Handler> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** `<code>` for a command, so it reads as one. */
export const code = (text: string): HTMLElement => h('code', {}, text);

/** A table with a caption, column headers and rows of cells (the first cell of each row a row header). */
export function dataTable(opts: { id?: string; caption: string; captionHidden?: boolean; headers: string[]; rows: Child[][]; numeric?: number[] }): HTMLTableElement {
  const numeric = new Set(opts.numeric ?? []);
  return h(
    'table',
    { id: opts.id, class: 'data' },
    h('caption', { class: opts.captionHidden ? 'visually-hidden' : null }, opts.caption),
    h('thead', {}, h('tr', {}, opts.headers.map((t, i) => h('th', { scope: 'col', class: numeric.has(i) ? 'num' : null }, t)))),
    h(
      'tbody',
      {},
      opts.rows.map((r) => h('tr', {}, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', { class: numeric.has(i) ? 'num' : null }, c))))),
    ),
  );
}
