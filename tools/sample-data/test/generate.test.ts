import { createHash } from 'node:crypto';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertValid, churnLabel, DATASET_NAMES, datasets } from '@peak/contracts';
import { parse } from 'csv-parse/sync';
import { END, generateInto, readRows, schemaOf } from './helpers.js';

t.test('every row of every file matches its contract (default formats)', async (t) => {
  const out = t.testdir();
  const result = await generateInto(out, { seed: 7, members: 300, days: 90 });
  t.same(readdirSync(join(out, 'exports')).sort(), DATASET_NAMES.map((d) => `${d}.${d === 'engagement' ? 'ndjson' : 'csv'}`).sort());
  t.notOk(existsSync(join(out, 'exports', 'churn_labels.csv')), 'ground truth is never beside the exports');
  for (const f of result.manifest.files) {
    const rows = readRows(out, f.file, f.dataset);
    t.equal(rows.length, f.rows, `${f.file}: manifest row count`);
    t.ok(rows.length > 0, `${f.file} has rows`);
    for (const row of rows) assertValid(schemaOf(f.dataset), row, `${f.file} row ${String(Object.values(row)[0])}`);
    const bytes = readFileSync(join(out, f.file));
    t.equal(bytes.length, f.bytes, `${f.file}: bytes`);
    t.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256, `${f.file}: sha256`);
    if (f.format === 'csv') {
      const [header] = parse(bytes, { to_line: 1 }) as string[][];
      const expected = f.dataset === 'churn_labels' ? Object.keys(churnLabel.properties) : [...datasets[f.dataset].columns];
      t.same(header, expected, `${f.file}: header in contract column order`);
    }
  }
  t.equal(result.manifest.generatedAt, END, 'generatedAt is the --end date, not the wall clock');
  t.match(result.manifest.options, { seed: 7, members: 300, locations: 4, days: 90, end: END, format: null, dirty: 0, timezone: 'America/New_York' });
  t.same(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')), result.manifest);
  t.same(result.dirty.defects, [], 'no defects when --dirty is 0');
});

t.test('JSON and NDJSON for every dataset also match the contracts', async (t) => {
  for (const format of ['json', 'ndjson'] as const) {
    const out = t.testdir({ [format]: {} });
    const result = await generateInto(join(out, format), { seed: 3, members: 120, days: 45, locations: 2, format });
    for (const f of result.manifest.files) {
      if (f.dataset === 'churn_labels') continue;
      t.equal(f.format, format);
      const rows = readRows(join(out, format), f.file, f.dataset);
      t.equal(rows.length, f.rows, `${f.file}: row count`);
      for (const row of rows) assertValid(schemaOf(f.dataset), row, `${f.file} row`);
    }
  }
});

t.test('UTF-8 names, plausible unique emails, readable location slugs', async (t) => {
  const out = t.testdir();
  await generateInto(out, { seed: 11, members: 800, days: 30, locations: 8 });
  const members = readRows(out, 'exports/members.csv', 'members');
  const emails = members.map((m) => m.email as string);
  t.equal(new Set(emails).size, emails.length, 'emails are unique');
  t.ok(emails.every((e) => /^[a-z0-9._-]+@[a-z.]+$/.test(e)), 'emails are plain ASCII addresses');
  t.ok(members.some((m) => /[^\x20-\x7e]/.test(`${String(m.first_name)}${String(m.last_name)}`)), 'some names carry accents');
  t.same(
    [...new Set(members.map((m) => m.home_location_id))].sort(),
    ['downtown', 'eastside', 'harborview', 'hillcrest', 'lakeside', 'northgate', 'riverside', 'westfield'],
  );
  t.ok(members.some((m) => (m.join_date as string) < '2026-06-01'), 'some members joined before the window');
});
