// Puts freshly run benchmark sections (<dir>/<name>.md, each starting "## <name>") into the results file,
// replacing the sections of the same name and keeping the others, in name order.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [file, dir] = process.argv.slice(2);
const HEADER = `# Benchmarks

Written by \`npm run bench -- --write [name…]\` (each section says when it ran and the command that produced it).
Figures from a shared 2-core machine: expect ±20%.
`;
const sections = new Map();
if (existsSync(file)) {
  for (const part of readFileSync(file, 'utf8').split(/^(?=## )/m).slice(1)) sections.set(part.slice(3, part.indexOf('\n')).trim(), part.trimEnd());
}
for (const f of readdirSync(dir)) if (f.endsWith('.md')) sections.set(f.slice(0, -3), readFileSync(join(dir, f), 'utf8').trimEnd());
writeFileSync(file, `${HEADER}\n${[...sections].sort(([a], [b]) => a.localeCompare(b)).map(([, s]) => s).join('\n\n')}\n`);
