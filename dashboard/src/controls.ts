/**
 * Controls the pages share: a labelled filter `<select>`, a pager (range text, previous and next) and saving a
 * CSV as a download. DOM only; what the choices and texts are comes from the pages.
 */
import { fill, h } from './dom.js';

export type Choice = [value: string, text: string];

export type SelectField = { field: HTMLElement; select: HTMLSelectElement; set: (choices: readonly Choice[], value: string) => void };

/** `<span class="field"><label>…</label><select id=…>` calling `onChange(value)` when the reader picks another. */
export function selectField(opts: { id: string; name: string; label: string; choices: readonly Choice[]; onChange: (value: string) => void }): SelectField {
  const select = h('select', { id: opts.id, name: opts.name });
  const set = (choices: readonly Choice[], value: string) => {
    fill(select, choices.map(([v, text]) => h('option', { value: v }, text)));
    select.value = value;
  };
  set(opts.choices, opts.choices[0]?.[0] ?? '');
  select.addEventListener('change', () => opts.onChange(select.value));
  return { field: h('span', { class: 'field' }, h('label', { for: opts.id }, opts.label), select), select, set };
}

export type Pager = { el: HTMLElement; range: HTMLElement; show: (text: string, page: number, pages: number) => void; disable: () => void };

/** The range ("Members 1–25 of 40 · page 1 of 2", announced politely) and ← Previous / Next →. */
export function pager(ids: { range: string; prev: string; next: string }, go: (delta: -1 | 1) => void): Pager {
  const range = h('p', { id: ids.range, class: 'range', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', id: ids.prev, onclick: () => go(-1) }, '← Previous');
  const next = h('button', { type: 'button', id: ids.next, onclick: () => go(1) }, 'Next →');
  return {
    el: h('div', { class: 'pager' }, range, h('div', { class: 'group' }, prev, next)),
    range,
    show(text, page, pages) {
      range.textContent = text;
      prev.disabled = page <= 1;
      next.disabled = page >= pages;
    },
    disable() {
      range.textContent = '';
      prev.disabled = next.disabled = true;
    },
  };
}

/** Saves CSV text as a file (with a UTF-8 BOM, so Excel reads it as UTF-8) through a hidden link. */
export function saveCsv(csv: string, fileName: string): void {
  const blob = new Blob(['\ufeff', csv], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: fileName, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
