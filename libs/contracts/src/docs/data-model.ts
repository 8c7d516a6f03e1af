import type { TSchema } from 'typebox';
import { allowedValues, columnMeta } from '../columns.js';
import type { DatasetContract } from '../dataset.js';
import { datasets } from '../datasets/index.js';
import { derivedDatasets, type DerivedContract } from '../derived.js';
import { churnLabel } from '../ground-truth.js';
import { batchHashKey, batchRecordKey, lakeZones, rawObjectKey, type LakeZone } from '../lake.js';
import { messages } from '../messages/index.js';
import { dlqName, queueList, type QueueDefinition } from '../queues.js';

/**
 * Renders docs/data-model.md from the contracts, so the reference never drifts from the code.
 * Pure: same contracts, same bytes (a test compares the committed file with this output).
 */

/** The subset of JSON Schema the contracts use; read structurally so any TypeBox schema renders. */
type Json = {
  type?: string;
  const?: unknown;
  anyOf?: Json[];
  properties?: Record<string, Json>;
  required?: string[];
  items?: Json;
  patternProperties?: Record<string, Json>;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  multipleOf?: number;
  description?: string;
  title?: string;
  examples?: unknown[];
};

const json = (schema: TSchema): Json => schema as Json;

/** The star schema the analytics layer builds over the processed zone (DESIGN.md); a target, not a contract. */
export const starSchema = [
  {
    table: 'fact_attendance',
    description: 'One row per check-in. Partitioned by `dt`.',
    columns: [
      { name: 'member_id', from: 'attendance.member_id' },
      { name: 'class_id', from: 'attendance.class_id (NULL for open-gym visits)' },
      { name: 'dt', from: 'UTC date of attendance.checked_in_at (the partition)' },
      { name: 'checked_in_at', from: 'attendance.checked_in_at' },
      { name: 'location_id', from: 'attendance.location_id' },
    ],
  },
  {
    table: 'dim_members',
    description: 'One row per member, newest version (by `updated_at`).',
    columns: [
      { name: 'member_id', from: 'members.member_id' },
      { name: 'email', from: 'members.email' },
      { name: 'home_location', from: 'members.home_location_id' },
      { name: 'join_date', from: 'members.join_date' },
      { name: 'plan', from: 'members.plan' },
      { name: 'status', from: 'members.status' },
    ],
  },
  {
    table: 'dim_classes',
    description: 'One row per class session, newest version (by `updated_at`).',
    columns: [
      { name: 'class_id', from: 'classes.class_id' },
      { name: 'class_type', from: 'classes.class_type' },
      { name: 'instructor', from: 'classes.instructor_name (classes.instructor_id is the instructor key)' },
      { name: 'location_id', from: 'classes.location_id' },
      { name: 'starts_at', from: 'classes.starts_at' },
      { name: 'capacity', from: 'classes.capacity' },
    ],
  },
] as const;

// ---------------------------------------------------------------- markdown helpers

/** Table cells must not break the row: pipes escaped, newlines flattened. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string): string => `\`${s}\``;
const sentence = (s: string): string => (s === '' || /[.!?]$/.test(s) ? s : `${s}.`);

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const anchor = (kind: 'dataset' | 'derived' | 'message', name: string): string => `${kind}-${name}`;
const datasetLink = (name: string): string => `[${name}](#${anchor('dataset', name)})`;

function literal(v: unknown): string {
  return typeof v === 'string' ? code(v) : code(JSON.stringify(v));
}

function duration(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) return `${seconds} s (${seconds / size} ${unit})`;
  }
  return `${seconds} s`;
}

// ---------------------------------------------------------------- schema → words

const FORMATS: Record<string, string> = {
  date: 'calendar date `YYYY-MM-DD`',
  'date-time': 'ISO 8601 instant with offset (`2026-01-05T07:30:00Z`), stored as UTC',
  email: 'email address',
};

/** Constraints of one schema in words: allowed values, range, format, length, pattern. */
export function describeConstraints(schema: Json): string {
  const parts: string[] = [];
  const values = schema.anyOf && schema.anyOf.every((s) => s.const !== undefined) ? schema.anyOf.map((s) => s.const) : undefined;
  if (values) parts.push(`one of ${values.map(literal).join(', ')}`);
  else if (schema.anyOf) {
    const alternatives = schema.anyOf.map((alt) => [typeName(alt), describeConstraints(alt)]).filter(([, d]) => d);
    if (alternatives.length) parts.push(alternatives.map(([t, d]) => `${t}: ${d}`).join('; '));
  }
  if (schema.const !== undefined) parts.push(`always ${literal(schema.const)}`);
  if (schema.format) parts.push(FORMATS[schema.format] ?? `format ${schema.format}`);
  if (schema.minimum !== undefined && schema.maximum !== undefined) parts.push(`${schema.minimum} to ${schema.maximum}`);
  else if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  else if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`);
  if (schema.multipleOf !== undefined) parts.push(`multiple of ${schema.multipleOf}`);
  if (schema.minLength !== undefined && schema.maxLength !== undefined) parts.push(`${schema.minLength}–${schema.maxLength} chars`);
  else if (schema.minLength === 1) parts.push('non-empty');
  else if (schema.minLength !== undefined) parts.push(`≥ ${schema.minLength} chars`);
  else if (schema.maxLength !== undefined) parts.push(`≤ ${schema.maxLength} chars`);
  if (schema.pattern) parts.push(`matches ${code(schema.pattern)}`);
  if (schema.type === 'boolean') parts.push('`true` or `false`');
  const items = schema.items && !schema.items.properties ? describeConstraints(schema.items) : '';
  if (items) parts.push(`each: ${items}`);
  const value = schema.patternProperties ? Object.values(schema.patternProperties)[0] : undefined;
  const values2 = value ? describeConstraints(value) : '';
  if (values2) parts.push(`each value: ${values2}`);
  return parts.join('; ');
}

/** A JSON type name for a message field (columns use their SQL type instead). */
function typeName(schema: Json): string {
  if (schema.const !== undefined) return typeof schema.const === 'number' ? 'integer' : typeof schema.const;
  if (schema.anyOf) {
    const names = [...new Set(schema.anyOf.map(typeName))];
    return names.join(' | ');
  }
  if (schema.type === 'array') return `array of ${schema.items ? typeName(schema.items) : 'any'}`;
  if (schema.type === 'object' && schema.patternProperties) {
    const value = Object.values(schema.patternProperties)[0];
    return `map of string → ${value ? typeName(value) : 'any'}`;
  }
  return schema.type ?? 'any';
}

/** The dataset whose row schema this is, when a message embeds a whole row. */
function embeddedDataset(schema: Json): DatasetContract | undefined {
  return Object.values(datasets).find((d) => (d.row as unknown) === schema);
}

type FieldRow = { path: string; type: string; required: string; constraints: string; description: string };

/** Flattens a message schema: nested objects (and objects in arrays) become dotted paths. */
export function messageFields(schema: TSchema): FieldRow[] {
  const rows: FieldRow[] = [];
  // `parent` is the nearest optional ancestor: a field required inside it is required only when it is present.
  const walk = (obj: Json, prefix: string, parent: string | undefined) => {
    const required = new Set(obj.required ?? []);
    for (const [name, prop] of Object.entries(obj.properties ?? {})) {
      const path = `${prefix}${name}`;
      const own = required.has(name);
      const dataset = embeddedDataset(prop);
      const element = prop.type === 'array' && prop.items?.properties ? prop.items : undefined;
      rows.push({
        path,
        type: dataset ? `object (${dataset.name} row)` : typeName(prop),
        required: !own ? 'optional' : parent ? `required in ${code(parent)}` : 'required',
        constraints: dataset
          ? `one row of the ${datasetLink(dataset.name)} dataset: same columns and rules`
          : describeConstraints(prop),
        description: dataset ? `One row of the ${dataset.name} dataset (${dataset.title.toLowerCase()})` : (prop.description ?? ''),
      });
      if (dataset) continue;
      const nextParent = own ? parent : path;
      if (prop.properties) walk(prop, `${path}.`, nextParent);
      if (element) walk(element, `${path}[].`, nextParent);
    }
  };
  walk(json(schema), '', undefined);
  return rows;
}

// ---------------------------------------------------------------- sections

function columnTable(row: TSchema): string {
  const schema = json(row);
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties ?? {}).map(([name, prop]) => {
    const meta = columnMeta(prop as TSchema);
    const values = allowedValues(prop as TSchema);
    const example = meta.examples?.[0];
    return [
      code(name),
      meta['x-sql'],
      required.has(name) ? 'required' : 'optional',
      values ? `one of ${values.map(code).join(', ')}` : describeConstraints(prop),
      meta.description,
      example === undefined ? '' : literal(example),
    ];
  });
  return table(['Column', 'SQL type', 'Required', 'Allowed values / constraints', 'Description', 'Example'], rows);
}

function sqlTypeOf(d: DatasetContract, column: string): string {
  const prop = d.row.properties[column];
  return prop ? columnMeta(prop)['x-sql'] : '?';
}

function datasetSection(d: DatasetContract): string {
  const refs = d.references.length
    ? d.references.map((r) => `${code(r.column)} → ${datasetLink(r.dataset)} (${datasets[r.dataset].primaryKey.map(code).join(', ')})`).join('; ')
    : 'none';
  const facts = [
    `- **Source system:** ${code(d.source)} (only its API keys, or an instance's such as ${code(`${d.source}-riverside`)}, may send it)`,
    `- **Primary key:** ${d.primaryKey.map(code).join(', ')}`,
    `- **Partition:** ${code('dt')} = UTC calendar date of ${code(d.partitionBy)} (${sqlTypeOf(d, d.partitionBy)})`,
    `- **References (checked by the ETL):** ${refs}`,
    `- **Version column:** ${
      d.versionColumn
        ? `${code(d.versionColumn)}: when a primary key arrives again, the row with the newest ${code(d.versionColumn)} wins`
        : 'none: rows are immutable, so a repeated primary key is a duplicate'
    }`,
    `- **Canonical CSV column order:** ${d.columns.map(code).join(', ')}`,
  ];
  return [`<a id="${anchor('dataset', d.name)}"></a>`, `### ${d.name}: ${d.title}`, '', d.description, '', ...facts, '', columnTable(d.row)].join('\n');
}

function derivedSection(d: DerivedContract): string {
  const partition = d.row.properties[d.partitionBy];
  const facts = [
    `- **Written by:** ${d.writer}`,
    `- **Location:** ${code(`${lakeZones.processed.prefix}${d.name}/dt=<YYYY-MM-DD>/`)} (Parquet)`,
    `- **Partition:** ${code('dt')} = ${code(d.partitionBy)} (${partition ? columnMeta(partition)['x-sql'] : '?'})`,
    `- **Column order:** ${d.columns.map(code).join(', ')}`,
  ];
  return [`<a id="${anchor('derived', d.name)}"></a>`, `### ${d.name}: ${d.title}`, '', d.description, '', ...facts, '', columnTable(d.row)].join('\n');
}

const derivedIntro = [
  '## Derived relations',
  '',
  "Parquet the platform's own jobs write to the processed zone: never ingested, so no ETL plan and no quarantine.",
  'Both query engines read each one exactly like a dataset (a Glue table with `dt` projected in AWS, a DuckDB view locally).',
].join('\n');

const messageKey = (q: QueueDefinition): string | undefined =>
  Object.entries(messages).find(([, schema]) => (schema as TSchema) === q.message)?.[0];

function messageSection(key: string, schema: TSchema): string {
  const s = json(schema);
  const title = s.title ?? key;
  const carriedBy = queueList.filter((q) => q.message === schema).map((q) => code(q.name));
  const rows = messageFields(schema).map((f) => [code(f.path), f.type, f.required, f.constraints, f.description]);
  const sentences = [
    sentence(s.description ?? ''),
    carriedBy.length ? `Carried by the ${carriedBy.join(', ')} queue.` : '',
    (schema as { additionalProperties?: unknown }).additionalProperties === false
      ? 'No other fields are allowed.'
      : 'Other fields may be present and are ignored.',
  ];
  return [
    `<a id="${anchor('message', title)}"></a>`,
    `### ${title}`,
    '',
    sentences.filter(Boolean).join(' '),
    '',
    table(['Field', 'Type', 'Required', 'Allowed values / constraints', 'Description'], rows),
  ].join('\n');
}

function queuesSection(): string {
  const rows = queueList.map((q) => {
    const key = messageKey(q);
    const title = key ? (json(messages[key as keyof typeof messages]).title ?? key) : '?';
    return [
      code(q.name),
      code(dlqName(q)),
      `${q.producer} → ${q.consumer}`,
      `[${title}](#${anchor('message', title)})`,
      duration(q.visibilityTimeoutSeconds),
      String(q.maxReceiveCount),
      duration(q.messageRetentionSeconds),
      duration(q.dlqRetentionSeconds),
      duration(q.receiveWaitTimeSeconds),
    ];
  });
  return [
    '## Queues',
    '',
    'Every queue has a dead-letter queue that receives a message after `maxReceiveCount` failed deliveries.',
    'In AWS the physical names are prefixed per stage: `peak-<stage>-<name>` (e.g. `peak-dev-raw-landed`).',
    '',
    table(
      ['Queue', 'DLQ', 'Producer → consumer', 'Message', 'Visibility timeout', 'Max receives', 'Retention', 'DLQ retention', 'Long-poll wait'],
      rows,
    ),
    '',
    ...queueList.map((q) => `- ${code(q.name)}: ${q.description}`),
  ].join('\n');
}

/** Key layout per zone. Raw and batch keys come from their key functions; the others follow the ETL's dt partitioning. */
const keyLayouts: Record<LakeZone, string> = {
  raw: rawObjectKey('<dataset>', '<ingest date>', '<batch id>', '<ext>'),
  processed: `${lakeZones.processed.prefix}<dataset>/dt=<YYYY-MM-DD>/… (Parquet)`,
  quarantine: `${lakeZones.quarantine.prefix}<dataset>/… (rejected rows, each with its reason code)`,
  batches: `${batchRecordKey('<batch id>')} and ${batchHashKey('<dataset>', '<sha256>')}`,
  models: `${lakeZones.models.prefix}<model>/<version>.json and ${lakeZones.models.prefix}<model>/registry.json`,
};

function lakeSection(): string {
  const rows = (Object.keys(lakeZones) as LakeZone[]).map((zone) => {
    const z = lakeZones[zone];
    return [zone, code(z.prefix), `${z.retentionDays} days`, code(keyLayouts[zone]), z.description];
  });
  return [
    '## Lake zones',
    '',
    'One bucket (or local folder), one prefix per zone. Objects expire after the zone retention (S3 lifecycle rules in `infra/`).',
    '',
    table(['Zone', 'Prefix', 'Retention', 'Key layout', 'Contents'], rows),
  ].join('\n');
}

function starSchemaSection(): string {
  const blocks = starSchema.map((t) =>
    [`### ${t.table}`, '', t.description, '', table(['Column', 'From'], t.columns.map((c) => [code(c.name), c.from]))].join('\n'),
  );
  return [
    '## Star schema (analytics target)',
    '',
    'The analytics layer builds this star schema over the processed zone (Athena views/CTAS in AWS, DuckDB locally).',
    'It is the target the analytics layer builds, derived from the datasets above; it is not an ingest contract.',
    '',
    blocks.join('\n\n'),
  ].join('\n');
}

function groundTruthSection(): string {
  const s = json(churnLabel);
  return [
    '## Ground truth: churn labels (not ingested)',
    '',
    `${sentence(s.description ?? '')} It records whether each member really churned, and when; churn models are scored against it.`,
    'It is written beside the exports, never inside them, and the platform never ingests it.',
    '',
    columnTable(churnLabel),
  ].join('\n');
}

export function renderDataModel(): string {
  const intro = [
    '# Data model',
    '',
    '<!-- Generated from libs/contracts. Do not edit by hand: edit the contracts, then `npm run docs:data-model`. -->',
    '',
    '> This file is generated from the contracts in `libs/contracts`. Edit the contracts, then run `npm run docs:data-model`.',
    '',
    'How data flows:',
    '',
    '1. **Raw.** Source systems upload exports (CSV/JSON) to ingest, which stores them unchanged in the raw zone',
    '   and announces each one on the `raw-landed` queue.',
    '2. **Processed.** The ETL casts every column to its SQL type, validates it against the dataset contract below',
    '   (required columns, allowed values, ranges, formats, references), keeps the newest version of each primary key,',
    '   and writes valid rows as Parquet to the processed zone, partitioned by `dt` (the UTC date of the partition column).',
    '   Invalid rows go to the quarantine zone with a reason code. For every batch: rows in = rows processed + rows quarantined.',
    '3. **Star schema.** The analytics layer builds `fact_attendance`, `dim_members` and `dim_classes` over the processed zone.',
    '',
    'Real-time check-ins take a shortcut: ingest validates each one as an attendance row and sends it on `attendance-events`.',
  ].join('\n');
  const sections = [
    intro,
    ['## Datasets', '', ...Object.values(datasets).map((d) => `- ${datasetLink(d.name)}: ${d.title}`)].join('\n'),
    ...Object.values(datasets).map(datasetSection),
    derivedIntro,
    ...Object.values(derivedDatasets).map(derivedSection),
    groundTruthSection(),
    ['## Messages', '', 'SQS message bodies (JSON). Consumers validate each body against its schema before acting on it.'].join('\n'),
    ...Object.entries(messages).map(([key, schema]) => messageSection(key, schema)),
    queuesSection(),
    lakeSection(),
    starSchemaSection(),
  ];
  return `${sections.join('\n\n')}\n`;
}
