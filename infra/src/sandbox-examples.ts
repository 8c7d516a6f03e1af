import { readFileSync } from 'node:fs';

/** One example query of docs/sandbox.md: its bold numbered title and its SQL. */
export interface SandboxExample {
  title: string;
  sql: string;
}

/** docs/sandbox.md: the students' guide, whose examples run on both DuckDB and Athena (tools/sql-sandbox tests them). */
export const SANDBOX_DOC = new URL('../../docs/sandbox.md', import.meta.url);

/**
 * The examples of the guide, in order: each ```sql block with the `**N. Title.**` paragraph before it. Stored as named
 * queries of the student_sandbox workgroup, so a student finds them in the Athena console or `list-named-queries`.
 */
export function sandboxExamples(markdown: string = readFileSync(SANDBOX_DOC, 'utf8')): SandboxExample[] {
  const examples: SandboxExample[] = [];
  let title: string | undefined;
  for (const m of markdown.matchAll(/^\*\*(\d+)\. ([^*]+?)\.?\*\*|^```sql\n([\s\S]*?)^```/gm)) {
    if (m[1] !== undefined) title = `${m[1]}. ${(m[2] ?? '').trim()}`;
    else {
      if (title === undefined) throw new Error(`docs/sandbox.md: a sql block without a "**N. Title**" paragraph before it: ${JSON.stringify((m[3] ?? '').slice(0, 60))}`);
      examples.push({ title, sql: (m[3] ?? '').trim() });
      title = undefined;
    }
  }
  return examples;
}
