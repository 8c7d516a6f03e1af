/** `npm run infra:cost`: runs the program under mocks per stack and rewrites docs/cost.md. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCostDoc } from './cost-doc.js';
import { unknownTypes } from './cost-model.js';
import { registeredPerStack } from './run-stacks.js';

const stacks = await registeredPerStack();
const path = fileURLToPath(new URL('../../docs/cost.md', import.meta.url));
writeFileSync(path, renderCostDoc(stacks));
console.log(`wrote ${path}`);
const unknown = [...new Set(stacks.flatMap((s) => unknownTypes(s.resources)))];
if (unknown.length > 0) {
  console.error(`resource types the cost model does not know: ${unknown.join(', ')} (add them to infra/cost/cost-model.ts)`);
  process.exitCode = 1;
}
