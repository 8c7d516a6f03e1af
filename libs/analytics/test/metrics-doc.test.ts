import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { METRICS } from '@peak/analytics';
import { renderMetricsDoc } from '../src/docs/metrics-doc.js';

const docPath = fileURLToPath(new URL('../../../docs/metrics.md', import.meta.url));

t.test('docs/metrics.md is the rendering of the catalog (npm run docs:metrics)', async (t) => {
  const doc = await renderMetricsDoc();
  t.equal(readFileSync(docPath, 'utf8'), doc, 'docs/metrics.md is up to date: run `npm run docs:metrics`');
  for (const m of METRICS) t.match(doc, `\`${m.id}\``, `${m.id} is documented`);
});
