/** `npm run docs:metrics`: rewrites docs/metrics.md from the catalog. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderMetricsDoc } from './metrics-doc.js';

const path = fileURLToPath(new URL('../../../../docs/metrics.md', import.meta.url));
writeFileSync(path, await renderMetricsDoc());
console.log(`wrote ${path}`);
