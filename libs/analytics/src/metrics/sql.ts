import type { SqlParam } from '../engine.js';

/** SQL text with `?` placeholders and the values for them, in order. */
export type Sql = { readonly text: string; readonly params: readonly SqlParam[] };

const isSql = (v: unknown): v is Sql => typeof v === 'object' && v !== null && 'text' in v && 'params' in v;

/**
 * Tagged template: interpolated values become `?` placeholders (never SQL text); interpolated `Sql`
 * fragments are inlined with their own parameters, in order. The only way metric SQL is built.
 */
export function sql(strings: TemplateStringsArray, ...values: (SqlParam | Sql)[]): Sql {
  let text = strings[0] ?? '';
  const params: SqlParam[] = [];
  values.forEach((v, i) => {
    if (isSql(v)) {
      text += v.text;
      params.push(...v.params);
    } else {
      text += '?';
      params.push(v);
    }
    text += strings[i + 1] ?? '';
  });
  return { text, params };
}

/** SQL text known at build time (column names from an allowlist, keywords): never user input. */
export const trusted = (text: string): Sql => ({ text, params: [] });

export function joinSql(parts: readonly Sql[], separator: string): Sql {
  return { text: parts.map((p) => p.text).join(separator), params: parts.flatMap((p) => p.params) };
}

/**
 * A whole number that the catalog validated (an option such as a day count) as SQL text. For the few
 * places outside WHERE, where Athena accepts no `?` parameter; never for text from a request.
 */
export function integerLiteral(n: number): Sql {
  if (!Number.isSafeInteger(n)) throw new Error(`not a whole number: ${n}`);
  return trusted(String(n));
}

/** A date parameter, typed the same way on both engines. */
export const dateParam = (isoDate: string): Sql => sql`CAST(${isoDate} AS DATE)`;

const CLAUSES = new Set(['SELECT', 'FROM', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'ON', 'JOIN', 'VALUES', 'LIMIT', 'WINDOW', 'OVER', 'QUALIFY', 'UNION', 'EXCEPT', 'INTERSECT', 'WITH']);

/**
 * Where `?` placeholders sit outside a WHERE clause: Athena accepts execution parameters only in WHERE
 * ("SELECT ? FROM t" fails), so the catalog's tests require this to be empty. Parentheses inherit the
 * clause around them unless they open their own (a subquery's SELECT); strings and comments are skipped.
 */
export function placeholdersOutsideWhere(text: string): string[] {
  const stack: string[] = ['START'];
  const problems: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === "'") {
      i = text.indexOf("'", i + 1) + 1 || text.length;
      while (text[i] === "'") i = text.indexOf("'", i + 1) + 1 || text.length; // '' inside a literal
      continue;
    }
    if (ch === '"') { i = text.indexOf('"', i + 1) + 1 || text.length; continue; }
    if (text.startsWith('--', i)) { i = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i); continue; }
    if (ch === '(') { stack.push(stack.at(-1) as string); i++; continue; }
    if (ch === ')') { if (stack.length > 1) stack.pop(); i++; continue; }
    if (ch === '?') {
      if (stack.at(-1) !== 'WHERE') problems.push(`? in ${stack.at(-1)} near: ${text.slice(Math.max(0, i - 40), i + 10).replace(/\s+/g, ' ')}`);
      i++;
      continue;
    }
    const word = /^[A-Za-z_]+/.exec(text.slice(i, i + 20))?.[0];
    if (word) {
      const upper = word.toUpperCase();
      if (CLAUSES.has(upper) && !/[A-Za-z0-9_.]/.test(text[i - 1] ?? ' ')) stack[stack.length - 1] = upper;
      i += word.length;
      continue;
    }
    i++;
  }
  return problems;
}
