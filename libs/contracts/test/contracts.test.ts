import t from 'tap';
import type { TSchema } from 'typebox';
import {
  allowedValues,
  assertValid,
  BATCH_STATUSES,
  batchHashKey,
  batchRecord,
  batchRecordKey,
  churnLabel,
  columnMeta,
  ContractError,
  DATASET_NAMES,
  datasets,
  dlqName,
  isValid,
  lakeZones,
  loadWaves,
  messages,
  physicalQueueName,
  queueList,
  queues,
  rawObjectKey,
  SQL_TYPES,
  type DatasetContract,
} from '@peak/contracts';

type Json = {
  type?: string;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  required?: string[];
  properties?: Record<string, Json>;
};

const all = Object.values(datasets) as DatasetContract[];
const props = (d: DatasetContract): Record<string, TSchema> => d.row.properties;
const sqlOf = (d: DatasetContract, column: string): string | undefined => {
  const prop = props(d)[column];
  return prop ? columnMeta(prop)['x-sql'] : undefined;
};
const requiredOf = (d: DatasetContract): string[] => (d.row as unknown as Json).required ?? [];

/** One row built from the column examples: every column filled. */
function exampleRow(row: TSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries((row as unknown as { properties: Record<string, TSchema> }).properties)) {
    out[name] = columnMeta(prop).examples?.[0];
  }
  return out;
}

// ---------------------------------------------------------------- dataset structure

t.test('the dataset registry lists every dataset name once, under its own name', async (t) => {
  t.same(Object.keys(datasets).sort(), [...DATASET_NAMES].sort());
  for (const [key, d] of Object.entries(datasets)) t.equal(d.name, key, `datasets.${key}.name`);
});

t.test('columns equal the row schema keys, in order', async (t) => {
  for (const d of all) t.same([...d.columns], Object.keys(props(d)), d.name);
});

t.test('primary key, partition, version column and references name real columns', async (t) => {
  for (const d of all) {
    const columns = new Set<string>(d.columns);
    const required = new Set(requiredOf(d));
    t.ok(d.primaryKey.length > 0, `${d.name} has a primary key`);
    for (const k of d.primaryKey) {
      t.ok(columns.has(k), `${d.name} primary key ${k} is a column`);
      t.ok(required.has(k), `${d.name} primary key ${k} is required (a NULL key cannot be deduplicated)`);
    }
    t.ok(columns.has(d.partitionBy), `${d.name} partitionBy ${d.partitionBy} is a column`);
    t.ok(required.has(d.partitionBy), `${d.name} partitionBy ${d.partitionBy} is required (every row needs a dt)`);
    t.ok(['DATE', 'TIMESTAMP'].includes(sqlOf(d, d.partitionBy) ?? ''), `${d.name} partitionBy ${d.partitionBy} is a DATE or TIMESTAMP`);
    if (d.versionColumn !== undefined) {
      t.ok(columns.has(d.versionColumn), `${d.name} versionColumn ${d.versionColumn} is a column`);
      t.ok(required.has(d.versionColumn), `${d.name} versionColumn is required (newest-wins needs a value)`);
      t.equal(sqlOf(d, d.versionColumn), 'TIMESTAMP', `${d.name} versionColumn is a TIMESTAMP`);
    }
    for (const ref of d.references) {
      t.ok(columns.has(ref.column), `${d.name} reference column ${ref.column} is a column`);
      const target = (datasets as Record<string, DatasetContract>)[ref.dataset];
      t.ok(target, `${d.name}.${ref.column} references dataset ${ref.dataset}, which exists`);
      if (!target) continue;
      t.equal(target.primaryKey.length, 1, `${ref.dataset} has a single-column key to reference`);
      const key = target.primaryKey[0] ?? '';
      t.equal(sqlOf(d, ref.column), sqlOf(target, key), `${d.name}.${ref.column} has the type of ${ref.dataset}.${key}`);
    }
  }
});

t.test('load waves: every dataset once, each after the datasets it references', async (t) => {
  const waves = loadWaves();
  t.same(waves.flat().sort(), [...DATASET_NAMES].sort(), 'every dataset is in exactly one wave');
  t.same(waves[0], ['members', 'classes'], 'the referenced dimensions load first');
  const waveOf = new Map(waves.flatMap((w, i) => w.map((d) => [d, i] as const)));
  for (const d of all) {
    for (const ref of d.references) t.ok((waveOf.get(ref.dataset) ?? Infinity) < (waveOf.get(d.name) ?? -1), `${d.name} loads after ${ref.dataset}`);
  }
  t.equal(waveOf.get('class_feedback'), 1, 'class_feedback waits for members and classes only');
});

// ---------------------------------------------------------------- columns

t.test('every column has an x-sql type, a description and an example that validates', async (t) => {
  const rows: [string, TSchema][] = [...all.map((d) => [d.name, d.row] as [string, TSchema]), ['churn label', churnLabel]];
  for (const [name, row] of rows) {
    for (const [column, prop] of Object.entries((row as unknown as { properties: Record<string, TSchema> }).properties)) {
      const meta = columnMeta(prop);
      t.ok((SQL_TYPES as readonly string[]).includes(meta['x-sql']), `${name}.${column} x-sql ${meta['x-sql']} is known`);
      t.ok(meta.description.trim().length > 0, `${name}.${column} has a description`);
      t.equal(meta.examples?.length, 1, `${name}.${column} has an example`);
      t.ok(isValid(prop, meta.examples?.[0]), `${name}.${column} example ${JSON.stringify(meta.examples?.[0])} is valid`);
    }
  }
});

t.test('rows built from the examples validate; missing required columns and extra columns do not', async (t) => {
  for (const d of all) {
    const full = exampleRow(d.row);
    t.ok(isValid(d.row, full), `${d.name}: full example row is valid`);
    const required = new Set(requiredOf(d));
    const minimal = Object.fromEntries(Object.entries(full).filter(([k]) => required.has(k)));
    t.ok(isValid(d.row, minimal), `${d.name}: example row without its optional columns is valid`);
    for (const k of required) {
      const { [k]: _drop, ...without } = full;
      t.notOk(isValid(d.row, without), `${d.name}: row without required ${k} is rejected`);
    }
    t.notOk(isValid(d.row, { ...full, unexpected_column: 'x' }), `${d.name}: unknown column is rejected`);
  }
  t.ok(isValid(churnLabel, exampleRow(churnLabel)), 'churn label example row is valid');
});

t.test('column builders reject bad values', async (t) => {
  for (const d of all) {
    for (const [column, prop] of Object.entries(props(d))) {
      const where = `${d.name}.${column}`;
      const s = prop as unknown as Json;
      const values = allowedValues(prop);
      if (values) {
        t.ok(values.length > 0, `${where} enum has values`);
        t.notOk(isValid(prop, '__not_a_value__'), `${where} enum rejects an unknown value`);
        t.notOk(isValid(prop, values[0]?.toUpperCase() === values[0] ? values[0]?.toLowerCase() : values[0]?.toUpperCase()), `${where} enum is case-sensitive`);
        continue;
      }
      switch (columnMeta(prop)['x-sql']) {
        case 'DATE':
          for (const bad of ['2026-02-30', 'not-a-date', '2026-1-5', '2026-01-05T07:00:00Z', '']) t.notOk(isValid(prop, bad), `${where} rejects ${JSON.stringify(bad)}`);
          t.ok(isValid(prop, '2024-02-29'), `${where} accepts a leap day`);
          break;
        case 'TIMESTAMP':
          for (const bad of ['2026-02-30T07:00:00Z', 'not-a-date', '2026-01-05', '2026-01-05 07:00:00', '2026-01-05T07:00:00']) {
            t.notOk(isValid(prop, bad), `${where} rejects ${JSON.stringify(bad)}`);
          }
          t.ok(isValid(prop, '2026-01-05T07:00:00+01:00'), `${where} accepts an offset`);
          break;
        case 'DECIMAL(12,2)':
          for (const bad of [-0.01, -1, 12.345, 0.001, Number.NaN, '12.00']) t.notOk(isValid(prop, bad), `${where} rejects ${bad}`);
          for (const good of [0, 0.07, 19.99, 149, 1234.56]) t.ok(isValid(prop, good), `${where} accepts ${good}`);
          break;
        case 'INTEGER':
          t.notOk(isValid(prop, 1.5), `${where} rejects a fraction`);
          t.notOk(isValid(prop, (s.minimum ?? 0) - 1), `${where} rejects below minimum`);
          t.notOk(isValid(prop, (s.maximum ?? 0) + 1), `${where} rejects above maximum`);
          t.notOk(isValid(prop, '45'), `${where} rejects a string`);
          break;
        case 'BOOLEAN':
          for (const bad of ['true', 1, null]) t.notOk(isValid(prop, bad), `${where} rejects ${JSON.stringify(bad)}`);
          break;
        case 'VARCHAR':
          t.notOk(isValid(prop, ''), `${where} rejects empty`);
          t.notOk(isValid(prop, 'x'.repeat((s.maxLength ?? 0) + 1)), `${where} rejects longer than ${s.maxLength}`);
          // Every text column refuses blank values; identifiers refuse any whitespace at all.
          for (const bad of [' ', '\t', '\n  ']) t.notOk(isValid(prop, bad), `${where} rejects blank ${JSON.stringify(bad)}`);
          if (s.pattern?.startsWith('^[A-Za-z0-9')) {
            for (const bad of ['M 42', 'M42\n', ' M42']) t.notOk(isValid(prop, bad), `${where} (id) rejects ${JSON.stringify(bad)}`);
          }
          if (s.format === 'email') t.notOk(isValid(prop, 'not-an-email'), `${where} rejects a non-email`);
          break;
        default:
          t.fail(`${where}: no bad-value check for ${columnMeta(prop)['x-sql']}`);
      }
    }
  }
});

t.test('assertValid throws a ContractError that lists each violation with its path', async (t) => {
  const row = { ...exampleRow(datasets.members.row), plan: 'gold', email: 'nope' };
  const err = (() => {
    try {
      assertValid(datasets.members.row, row, 'members row');
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  t.ok(err instanceof ContractError, 'throws a ContractError');
  if (!(err instanceof ContractError)) return;
  t.equal(err.code, 'CONTRACT_VIOLATION');
  t.equal(err.statusCode, 400);
  t.ok(err.problems.some((p) => p.startsWith('/plan')), 'names /plan');
  t.ok(err.problems.some((p) => p.startsWith('/email')), 'names /email');
});

// ---------------------------------------------------------------- messages and queues

const checkin = exampleRow(datasets.attendance.row);

/** One valid body per queue, written by hand (not derived from the schema, so the schema is what is tested). */
const validBodies: Record<string, Record<string, unknown>> = {
  'raw-landed': {
    type: 'raw-landed',
    version: 1,
    batchId: 'b_20260105_0001',
    dataset: 'attendance',
    objectKey: rawObjectKey('attendance', '2026-01-05', 'b_20260105_0001', 'csv'),
    format: 'csv',
    compression: 'gzip',
    contentSha256: 'a'.repeat(64),
    bytes: 12_345,
    source: 'door-system',
    receivedAt: '2026-01-05T07:00:00Z',
  },
  'batch-processed': {
    type: 'batch-processed',
    version: 1,
    batchId: 'b_20260105_0001',
    dataset: 'attendance',
    status: 'processed',
    rowsIn: 100,
    rowsProcessed: 97,
    rowsQuarantined: 3,
    reasons: { invalid_timestamp: 2, unknown_member: 1 },
    partitions: ['2026-01-04', '2026-01-05'],
    error: undefined,
    processedAt: '2026-01-05T07:01:00Z',
  },
  'attendance-events': { type: 'attendance-event', version: 1, checkin, receivedAt: '2026-01-05T06:52:41Z' },
  'email-requests': {
    type: 'email-request',
    version: 1,
    requestId: 'req-1',
    dedupeKey: 'win_back:M000042:2026-01-05',
    campaignId: 'win_back',
    runId: 'plan-2026-01-05',
    kind: 'marketing',
    topic: 'win_back',
    template: 'win_back',
    memberId: 'M000042',
    to: 'ana.diaz@example.com',
    locationId: 'downtown',
    variables: { firstName: 'Ana', daysSinceVisit: 15 },
    conditions: { noVisitSince: '2025-12-21T18:30:00Z', activeMember: true },
    requestedAt: '2026-01-05T06:00:00Z',
    expiresAt: '2026-01-07T06:00:00Z',
  },
  'ses-events': {
    eventType: 'Bounce',
    mail: { messageId: '0100018c-abc', timestamp: '2026-01-05T09:00:01Z', destination: ['ana.diaz@example.com'] },
    bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'ana.diaz@example.com' }] },
  },
};
for (const body of Object.values(validBodies)) for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];

t.test('every queue message schema accepts a valid body and rejects it with any required field removed', async (t) => {
  for (const q of queueList) {
    const body = validBodies[q.name];
    t.ok(body, `${q.name} has a hand-written example (add one when adding a queue)`);
    if (!body) continue;
    t.ok(isValid(q.message, body), `${q.name}: the example is valid`);
    const required = (q.message as unknown as Json).required ?? [];
    t.ok(required.length > 0, `${q.name}: the message has required fields`);
    for (const field of required) {
      const { [field]: _drop, ...without } = body;
      t.notOk(isValid(q.message, without), `${q.name}: rejected without ${field}`);
    }
  }
});

t.test('message schemas reject what their consumers must never act on', async (t) => {
  const raw = validBodies['raw-landed'] ?? {};
  t.notOk(isValid(messages.rawLanded, { ...raw, version: 2 }), 'an unknown version');
  t.notOk(isValid(messages.rawLanded, { ...raw, type: 'batch-processed' }), 'another message type');
  t.notOk(isValid(messages.rawLanded, { ...raw, dataset: 'payments' }), 'an unknown dataset');
  t.notOk(isValid(messages.rawLanded, { ...raw, extra: 1 }), 'an unknown field');
  t.notOk(isValid(messages.rawLanded, { ...raw, batchId: 'short' }), 'a too short batch id');
  t.notOk(isValid(messages.attendanceEvent, { ...validBodies['attendance-events'], checkin: { ...checkin, method: 'teleport' } }), 'a check-in that is not a valid attendance row');
  t.notOk(isValid(messages.batchProcessed, { ...validBodies['batch-processed'], partitions: ['2026-02-30'] }), 'an impossible partition date');
  t.notOk(isValid(messages.emailRequest, { ...validBodies['email-requests'], template: 'spam' }), 'an unknown template');
  t.ok(isValid(messages.sesEvent, { ...validBodies['ses-events'], eventType: 'Delivery', delivery: { smtpResponse: '250 ok' } }), 'SES fields the notifier does not read are allowed');
});

t.test('every message field and every queue is described', async (t) => {
  const walk = (schema: Json, path: string) => {
    for (const [name, prop] of Object.entries(schema.properties ?? {})) {
      const p = `${path}.${name}`;
      t.ok((prop as { description?: string }).description, `${p} has a description`);
      walk(prop, p);
      const items = (prop as { items?: Json }).items;
      if (items) walk(items, `${p}[]`);
    }
  };
  for (const [key, schema] of Object.entries(messages)) {
    t.ok((schema as { title?: string }).title, `${key} has a title`);
    t.ok((schema as { description?: string }).description, `${key} has a description`);
    walk(schema as unknown as Json, key);
  }
  for (const q of queueList) t.ok(q.description && q.producer && q.consumer, `${q.name} has a description, a producer and a consumer`);
});

t.test('queue names are unique, valid in SQS and their DLQ names are derived', async (t) => {
  t.same(queueList, Object.values(queues), 'queueList is every queue');
  const names = queueList.map((q) => q.name);
  const dlqs = queueList.map(dlqName);
  t.equal(new Set(names).size, names.length, 'queue names are unique');
  t.equal(new Set([...names, ...dlqs]).size, names.length * 2, 'no DLQ name collides with a queue name');
  for (const q of queueList) {
    t.equal(dlqName(q), `${q.name}-dlq`, `${q.name} DLQ name is derived`);
    // The longest stage prefix we expect, so every stage's physical names stay within SQS limits.
    const physical = physicalQueueName(dlqName(q), 'peak-staging');
    t.match(physical, /^[A-Za-z0-9_-]{1,80}$/, `${physical} is a valid SQS name (≤ 80 chars, [A-Za-z0-9_-])`);
  }
  t.equal(physicalQueueName('raw-landed', 'peak-dev'), 'peak-dev-raw-landed');
  t.equal(physicalQueueName('raw-landed'), 'raw-landed', 'no prefix locally');
  t.ok(new Set(queueList.map((q) => q.message)).size === queueList.length, 'each queue carries its own message type');
  for (const q of queueList) t.ok(Object.values(messages).includes(q.message as never), `${q.name} carries a registered message`);
});

t.test('queue settings are within SQS limits', async (t) => {
  const between = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  for (const q of queueList) {
    t.ok(between(q.visibilityTimeoutSeconds, 0, 43_200), `${q.name} visibility timeout ${q.visibilityTimeoutSeconds} in 0–43200`);
    t.ok(between(q.messageRetentionSeconds, 60, 1_209_600), `${q.name} retention ${q.messageRetentionSeconds} in 60–1209600`);
    t.ok(between(q.dlqRetentionSeconds, 60, 1_209_600), `${q.name} DLQ retention ${q.dlqRetentionSeconds} in 60–1209600`);
    t.ok(between(q.maxReceiveCount, 1, 1_000), `${q.name} maxReceiveCount ${q.maxReceiveCount} in 1–1000`);
    t.ok(between(q.receiveWaitTimeSeconds, 0, 20), `${q.name} receive wait ${q.receiveWaitTimeSeconds} in 0–20`);
    // SQS keeps a message's original enqueue time when it moves to the DLQ: a shorter DLQ retention would drop it early.
    t.ok(q.dlqRetentionSeconds >= q.messageRetentionSeconds, `${q.name} DLQ keeps messages at least as long as the queue`);
  }
});

// ---------------------------------------------------------------- lake

t.test('lake zones have distinct prefixes, positive retention, and raw keys follow the layout', async (t) => {
  const zones = Object.values(lakeZones);
  t.equal(new Set(zones.map((z) => z.prefix)).size, zones.length, 'prefixes are unique');
  for (const [name, z] of Object.entries(lakeZones)) {
    t.equal(z.prefix, `${name}/`, `${name} prefix is the zone name`);
    t.ok(Number.isInteger(z.retentionDays) && z.retentionDays > 0, `${name} retention is a positive number of days`);
  }
  t.ok(lakeZones.processed.retentionDays >= lakeZones.raw.retentionDays, 'processed data outlives its raw source');
  t.equal(rawObjectKey('members', '2026-01-05', 'b_1234567', 'csv.gz'), 'raw/members/dt=2026-01-05/b_1234567.csv.gz');
  t.equal(batchRecordKey('b_1234567'), 'batches/b_1234567.json');
  t.equal(batchHashKey('members', 'ab12'), 'batches/by-sha256/members/ab12');
});

t.test('batch record: what ingest writes validates, counts and statuses are checked', async (t) => {
  const received = {
    batchId: '20261125T090102123Z-attendance-1a2b3c4d',
    dataset: 'attendance',
    source: 'door-system',
    format: 'csv',
    compression: 'gzip',
    objectKey: 'raw/attendance/dt=2026-11-25/20261125T090102123Z-attendance-1a2b3c4d.csv.gz',
    contentSha256: 'f'.repeat(64),
    bytes: 1234,
    receivedAt: '2026-11-25T09:01:02.123Z',
    status: 'received',
    updatedAt: '2026-11-25T09:01:02.123Z',
    attempts: 0,
  };
  t.ok(isValid(batchRecord, received), 'a received batch');
  const processed = { ...received, status: 'processed', attempts: 1, rowsIn: 3, rowsProcessed: 2, rowsQuarantined: 1, reasons: { BAD_TYPE: 1 },
    partitions: ['2026-11-24'], quarantineKey: 'quarantine/attendance/x.parquet', processedKeys: ['processed/attendance/dt=2026-11-24/x__0.parquet'] };
  t.ok(isValid(batchRecord, processed), 'a processed batch with its outputs');
  t.notOk(isValid(batchRecord, { ...received, status: 'done' }), 'unknown status');
  t.notOk(isValid(batchRecord, { ...received, attempts: 1.5 }), 'attempts is an integer');
  t.notOk(isValid(batchRecord, { ...received, extra: 1 }), 'no unknown fields');
  t.same([...BATCH_STATUSES], ['received', 'processing', 'processed', 'failed']);
});
