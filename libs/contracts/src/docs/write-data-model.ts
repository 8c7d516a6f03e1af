import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDataModel } from './data-model.js';

// Resolved from this file, not the cwd, so the script works from any directory.
const target = fileURLToPath(new URL('../../../../docs/data-model.md', import.meta.url));
writeFileSync(target, renderDataModel());
console.log(`wrote ${target}`);
