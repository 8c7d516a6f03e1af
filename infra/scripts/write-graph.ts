/**
 * Writes infra/graphs/<stack>.txt for every committed stack: the program's resource graph under the test mocks, one line
 * per resource (infra/test/fixtures/stacks.ts). Run after changing the program (`npm run infra:graph`), review the diff
 * and commit it; infra/test/policies.test.ts fails while a file differs from what the program makes.
 *   npx tsx infra/scripts/write-graph.ts [dev|prod …]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { graphFile, graphText, runStack, STACKS, type StackName } from '../test/fixtures/stacks.js';

const wanted = process.argv.slice(2);
const unknown = wanted.filter((s) => !(STACKS as readonly string[]).includes(s));
if (unknown.length > 0) {
  console.error(`unknown stack ${unknown.join(', ')}: one of ${STACKS.join(', ')}`);
  process.exit(2);
}
for (const stack of (wanted.length > 0 ? wanted : STACKS) as StackName[]) {
  const run = await runStack(stack);
  const file = graphFile(stack);
  mkdirSync(dirname(file.absolute), { recursive: true });
  writeFileSync(file.absolute, graphText(run));
  console.log(`${file.relative}: ${run.resources.length - 1} resources`);
}
