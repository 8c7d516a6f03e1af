import type { Header } from './validate.js';

/**
 * The header block of a raw MIME message (everything before the first empty line), unfolded: continuation lines
 * (starting with space or tab) join the line before. Enough to record a Raw message's headers and check the
 * once-only fields; the body is left to the inner emulator's parser.
 */
export function rawHeaders(message: string): Header[] | undefined {
  const end = /\r?\n\r?\n/.exec(message);
  const block = end ? message.slice(0, end.index) : message;
  const headers: Header[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '') continue;
    const last = headers.at(-1);
    if (/^[ \t]/.test(line)) {
      if (!last) return undefined;
      last.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

export const headerValue = (headers: readonly Header[], name: string) => headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
export const headerValues = (headers: readonly Header[], name: string) => headers.filter((h) => h.name.toLowerCase() === name.toLowerCase()).map((h) => h.value);
