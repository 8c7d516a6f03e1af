/**
 * `npm run etl:bundle -- --out DIR`: writes `<dataset>.bundle.json` for every dataset — what the Glue job
 * (services/etl/glue/peak_etl_job.py) runs. Upload the folder next to the job script (see docs/pipeline.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DATASET_NAMES } from '@peak/contracts';
import { bundleToJson, jobBundle } from './bundle.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || !values.out) {
  console.log(`Usage: npm run etl:bundle -- --out DIR

Writes one <dataset>.bundle.json per dataset (${DATASET_NAMES.join(', ')}): the ETL plan as the
ordered DuckDB statements the Glue job runs.`);
  process.exit(values.out || values.help ? 0 : 2);
}

const out = resolve(values.out);
mkdirSync(out, { recursive: true });
for (const dataset of DATASET_NAMES) {
  const file = join(out, `${dataset}.bundle.json`);
  writeFileSync(file, bundleToJson(jobBundle(dataset)));
  console.log(`wrote ${file}`);
}
