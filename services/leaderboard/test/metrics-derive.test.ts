/**
 * derive.ts, the batched metrics' answers worked out from one query per range: SQL's order (NULLs last, text by code
 * point), sums and one division, the empty answer of a filter value without classes, the instructor table picked by
 * filter key; then, on a hand-made lake full of edge cases (capacity 0 or NULL, NULL and non-ASCII group values, a
 * class type with no class in the range, cancelled classes), every derived answer against the metric's own SQL.
 */
import t from 'tap';
import { DuckDbEngine, EXAMPLE_ZONE, fillGrain, FILL_GROUP_COLUMNS, instructorPerformanceSql, checkFilters, runMetric, writeLake, type ColumnInfo, type FixtureRow, type Row, type SqlValue } from '@peak/analytics';
import { batchQuery, checkBatch, compareSqlValues, deriveAnswer, deriveByFilterKey, deriveFill, instructorFilterKey, type Answer, type CombinationFilters } from '../src/metrics/derive.js';
import { FILTER_SETS } from '../src/metrics/plan.js';

const GRAIN_COLUMNS: ColumnInfo[] = [
  { name: 'location_id', type: 'VARCHAR' }, { name: 'class_type', type: 'VARCHAR' }, { name: 'instructor_id', type: 'VARCHAR' },
  { name: 'local_weekday', type: 'INTEGER' }, { name: 'local_hour', type: 'INTEGER' },
  { name: 'classes', type: 'BIGINT' }, { name: 'capacity', type: 'BIGINT' }, { name: 'attendees', type: 'BIGINT' }, { name: 'fill_rate', type: 'DOUBLE' },
];
const cell = (location_id: string | null, class_type: string | null, instructor_id: string, local_weekday: number, local_hour: number, classes: number, capacity: number | null, attendees: number): Row => ({
  location_id, class_type, instructor_id, local_weekday, local_hour, classes, capacity, attendees, fill_rate: capacity ? attendees / capacity : null,
});
const grainOf = (rows: Row[]): Answer => ({ columns: GRAIN_COLUMNS, rows });

t.test('SQL order: NULLs last, text by code point, numbers by value', async (t) => {
  const sorted = (values: SqlValue[]) => [...values].sort(compareSqlValues);
  t.same(sorted([null, 'b', 'a', null, 'B']), ['B', 'a', 'b', null, null]);
  t.same(sorted([10, null, 2, 7]), [2, 7, 10, null]);
  t.same(sorted(['\u{1F600}', '\uE000', 'z', 'é']), ['z', 'é', '\uE000', '\u{1F600}'], 'U+E000 before U+1F600, as UTF-8 bytes order them');
  t.ok('\u{1F600}' < '\uE000', 'where JavaScript\'s < says otherwise');
  t.same(sorted(['ab', 'a', 'abc', '']), ['', 'a', 'ab', 'abc'], 'a prefix first');
  t.equal(compareSqlValues('x', 'x'), 0);
  t.same(sorted([true, false, null]), [false, true, null]);
});

t.test('fill: filtered, grouped, summed, one division, in the group columns\' order', async (t) => {
  const grain = grainOf([
    cell('riverside', 'spin', 'I02', 3, 18, 2, 40, 30),
    cell('downtown', 'yoga', 'I01', 1, 7, 1, 20, 5),
    cell('downtown', 'spin', 'I01', 1, 7, 3, 60, 45),
    cell('downtown', 'spin', 'I02', 1, 7, 1, 20, 20),
    cell('downtown', 'spin', 'I01', 1, 18, 1, 20, 10),
    cell(null, 'spin', 'I03', 2, 9, 1, 10, 1),
    cell('downtown', null, 'I03', 5, 12, 1, 30, 3),
  ]);
  const byType = deriveFill(FILL_GROUP_COLUMNS.fill_by_class_type, grain, {});
  t.same(byType.columns.map((c) => `${c.name} ${c.type}`), ['class_type VARCHAR', 'classes BIGINT', 'capacity BIGINT', 'attendees BIGINT', 'fill_rate DOUBLE']);
  t.same(byType.rows, [
    { class_type: 'spin', classes: 8, capacity: 150, attendees: 106, fill_rate: 106 / 150 },
    { class_type: 'yoga', classes: 1, capacity: 20, attendees: 5, fill_rate: 0.25 },
    { class_type: null, classes: 1, capacity: 30, attendees: 3, fill_rate: 0.1 },
  ], 'a NULL group last; the rate is attendees ÷ capacity of the sums, not a mean of rates');
  const heat = deriveFill(FILL_GROUP_COLUMNS.class_fill_heatmap, grain, { classType: 'spin' });
  t.same(heat.rows.map((r) => [r.location_id, r.local_weekday, r.local_hour, r.classes]), [
    ['downtown', 1, 7, 4], ['downtown', 1, 18, 1], ['riverside', 3, 18, 2], [null, 2, 9, 1],
  ], 'ties on a column go to the next one; NULL location last');
  t.same(deriveFill(FILL_GROUP_COLUMNS.class_fill_heatmap, grain, { location: 'downtown', instructor: 'I01' }).rows.map((r) => [r.local_hour, r.attendees]), [[7, 50], [18, 10]], 'filters combine');
  const none = deriveFill(FILL_GROUP_COLUMNS.fill_by_class_type, grain, { location: 'northgate' });
  t.same(none, { columns: byType.columns, rows: [] }, 'a filter value without classes: the columns and no rows, as the SQL');
  t.same(deriveFill(FILL_GROUP_COLUMNS.fill_by_class_type, grainOf([]), {}), { columns: byType.columns, rows: [] }, 'an empty range too');
  t.throws(() => deriveFill(['class_type'], { columns: GRAIN_COLUMNS.slice(0, 5), rows: [] }, {}), /the batch query has no column classes/);
});

t.test('fill: capacity 0 and NULL as the SQL divides them', async (t) => {
  const grain = grainOf([
    cell('downtown', 'a', 'I01', 1, 7, 1, 0, 4),
    cell('downtown', 'b', 'I01', 1, 7, 1, 0, 0),
    cell('downtown', 'c', 'I01', 1, 7, 1, null, 2),
    cell('downtown', 'c', 'I01', 1, 8, 1, 10, 3),
    cell('downtown', 'd', 'I01', 1, 7, 2, null, 0),
  ]);
  const rates = deriveFill(['class_type'], grain, {}).rows.map((r) => [r.class_type, r.capacity, r.fill_rate]);
  t.same(rates, [['a', 0, Infinity], ['b', 0, NaN], ['c', 10, 0.5], ['d', null, null]], 'x ÷ 0 is Infinity, 0 ÷ 0 NaN (JSON null both); a NULL capacity is skipped by sum, all NULL is NULL');
  const root = t.testdir();
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: EXAMPLE_ZONE });
  t.teardown(() => engine.close());
  const sql = await engine.query(`SELECT CAST(sum(a) AS DOUBLE) / sum(c) AS x, CAST(sum(z) AS DOUBLE) / sum(c) AS y, CAST(sum(a) AS DOUBLE) / sum(n) AS w
    FROM (SELECT 4 AS a, 0 AS z, 0 AS c, CAST(NULL AS INTEGER) AS n) AS t`);
  t.same(sql.rows, [{ x: Infinity, y: NaN, w: null }], 'DuckDB divides the same way');
});

t.test('instructor table: the filter key\'s rows, an instructor filter picks its row', async (t) => {
  const columns: ColumnInfo[] = [
    { name: 'filter_key', type: 'VARCHAR' }, { name: 'key_location', type: 'VARCHAR' }, { name: 'key_class_type', type: 'VARCHAR' },
    { name: 'instructor_id', type: 'VARCHAR' }, { name: 'classes', type: 'BIGINT' }, { name: 'repeat_member_share', type: 'DOUBLE' },
  ];
  const row = (filter_key: string, key_location: string, key_class_type: string, instructor_id: string, classes: number): Row => ({ filter_key, key_location, key_class_type, instructor_id, classes, repeat_member_share: null });
  const keyed: Answer = {
    columns,
    rows: [
      row('classType', '', 'spin', 'I01', 3), row('classType', '', 'spin', 'I02', 1),
      row('location', 'downtown', '', 'I01', 4), row('location', 'downtown', '', 'I02', 2), row('location', 'riverside', '', 'I02', 5),
      row('location+classType', 'downtown', 'spin', 'I02', 1),
      row('none', '', '', 'I01', 4), row('none', '', '', 'I02', 7),
    ],
  };
  const pick = (f: CombinationFilters) => deriveByFilterKey(keyed, f).rows.map((r) => `${r.instructor_id}:${r.classes}`);
  t.same(deriveByFilterKey(keyed, {}).columns.map((c) => c.name), ['instructor_id', 'classes', 'repeat_member_share'], 'without the key columns');
  t.same(deriveByFilterKey(keyed, {}).rows[0], { instructor_id: 'I01', classes: 4, repeat_member_share: null }, 'rows without them, the rest as the query gave it');
  t.same(pick({}), ['I01:4', 'I02:7']);
  t.same(pick({ location: 'downtown' }), ['I01:4', 'I02:2'], 'in the query\'s order');
  t.same(pick({ classType: 'spin' }), ['I01:3', 'I02:1']);
  t.same(pick({ location: 'downtown', classType: 'spin' }), ['I02:1']);
  t.same(pick({ instructor: 'I02' }), ['I02:7']);
  t.same(pick({ location: 'riverside', instructor: 'I02' }), ['I02:5']);
  t.same(pick({ location: 'riverside', instructor: 'I01' }), [], 'an instructor without classes there: no rows');
  t.same(pick({ location: 'northgate' }), [], 'a location without classes: no rows');
  t.same(FILTER_SETS.map((set) => instructorFilterKey(Object.fromEntries(set === 'none' ? [] : set.split('+').map((f) => [f, 'x'])))), ['none', 'location', 'classType', 'location+classType', 'none', 'location']);
  t.throws(() => deriveByFilterKey({ columns: columns.slice(3), rows: [] }, {}), /no column filter_key/);
});

t.test('batch queries and the metrics each kind answers', async (t) => {
  t.same(batchQuery('fill-grain', '2026-03-01', '2026-03-31', [{}]), fillGrain('2026-03-01', '2026-03-31'));
  const keys = (filters: CombinationFilters[]) => batchQuery('by-filter-key', '2026-03-01', '2026-03-31', filters);
  t.same(keys([{ instructor: 'I01' }, {}]), instructorPerformanceSql(checkFilters({ from: '2026-03-01', to: '2026-03-31' }), ['none']), 'only the keys the combinations need');
  t.same(keys([{ location: 'x', instructor: 'I01' }, { classType: 'spin' }, { location: 'x', classType: 'spin' }]), instructorPerformanceSql(checkFilters({ from: '2026-03-01', to: '2026-03-31' }), ['location', 'classType', 'location+classType']));
  t.doesNotThrow(() => checkBatch('class_fill_heatmap', 'fill-grain'));
  t.throws(() => checkBatch('active_members', 'fill-grain'), /active_members cannot be batched as fill-grain: that batch answers class_fill_heatmap, fill_by_class_type only/);
  t.throws(() => checkBatch('fill_by_class_type', 'by-filter-key'), /that batch answers instructor_performance only/);
});

t.test('on a lake of edge cases, every derived answer is the metric\'s own', async (t) => {
  const root = t.testdir();
  const classes: FixtureRow[] = [];
  const attendance: FixtureRow[] = [];
  const signups: FixtureRow[] = [];
  const addClass = (c: Partial<FixtureRow> & { starts_at: string }, members: string[] = [], bookings: string[] = []) => {
    const class_id = `C${String(classes.length + 1).padStart(4, '0')}`;
    classes.push({ class_id, location_id: 'downtown', class_type: 'spin', class_name: 'x', instructor_id: 'I01', instructor_name: `Name ${classes.length}`, duration_minutes: 45, capacity: 10, cancelled: false, updated_at: '2026-01-01T00:00:00Z', ...c });
    for (const m of members) attendance.push({ checkin_id: `K${attendance.length + 1}`, member_id: m, class_id, location_id: String(c.location_id ?? 'downtown'), checked_in_at: c.starts_at, method: 'card' });
    for (const status of bookings) signups.push({ signup_id: `S${signups.length + 1}`, member_id: 'M1', class_id, booked_at: '2026-02-20T10:00:00Z', status, cancelled_at: null, channel: 'app', updated_at: '2026-02-20T10:00:00Z' });
  };
  addClass({ starts_at: '2026-03-02T15:00:00Z' }, ['M1', 'M2', 'M2'], ['attended', 'no_show', 'cancelled']); // a double scan is one attendee
  addClass({ starts_at: '2026-03-02T15:00:00Z', instructor_id: 'I02' }, ['M1']); // the same cell, another instructor; no bookings
  addClass({ starts_at: '2026-03-03T16:00:00Z', capacity: 0 }, ['M1', 'M3']); // Infinity
  addClass({ starts_at: '2026-03-04T16:00:00Z', class_type: 'yoga', capacity: 0 }); // 0 ÷ 0 in its own groups
  addClass({ starts_at: '2026-03-05T17:00:00Z', class_type: 'yoga', capacity: null }, ['M4']); // skipped by sum
  addClass({ starts_at: '2026-03-06T17:00:00Z', class_type: 'hiit', capacity: null }, ['M4']); // all NULL: NULL
  addClass({ starts_at: '2026-03-07T18:00:00Z', location_id: 'riverside', class_type: '\u{1F600}', instructor_id: 'I03' }, ['M5']);
  addClass({ starts_at: '2026-03-07T18:00:00Z', location_id: 'riverside', class_type: '\uE000', instructor_id: 'I03' }, ['M5']);
  addClass({ starts_at: '2026-03-08T19:00:00Z', location_id: 'riverside', class_type: 'Zumba', instructor_id: 'I03' });
  addClass({ starts_at: '2026-03-09T19:00:00Z', location_id: 'riverside', class_type: null, instructor_id: 'I02' }, ['M1']);
  addClass({ starts_at: '2026-03-10T19:00:00Z', location_id: null, class_type: 'spin', instructor_id: 'I02' }, ['M2']);
  addClass({ starts_at: '2026-03-11T20:00:00Z', class_type: 'pilates', cancelled: true }, ['M1']); // only cancelled: no classes
  addClass({ starts_at: '2026-05-11T20:00:00Z', class_type: 'barre', instructor_id: 'I04' }, ['M1']); // only after the range
  await writeLake(root, { classes, attendance, signups });
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: EXAMPLE_ZONE });
  t.teardown(() => engine.close());

  const from = '2026-03-01';
  const to = '2026-03-31';
  const choices: CombinationFilters[] = [{}];
  for (const location of ['downtown', 'riverside']) choices.push({ location });
  for (const classType of ['spin', 'yoga', 'hiit', 'Zumba', 'pilates', 'barre']) choices.push({ classType }, { location: 'downtown', classType }, { location: 'riverside', classType });
  for (const instructor of ['I01', 'I02', 'I03', 'I04']) choices.push({ instructor }, { location: 'downtown', instructor }, { location: 'riverside', instructor });
  const run = async (q: { text: string; params: readonly unknown[] }) => engine.query(q.text, { params: q.params as never });
  const grain = await run(batchQuery('fill-grain', from, to, choices));
  const keyed = await run(batchQuery('by-filter-key', from, to, choices));
  let empty = 0;
  let rows = 0;
  for (const metric of ['fill_by_class_type', 'class_fill_heatmap', 'instructor_performance']) {
    const batch = metric === 'instructor_performance' ? keyed : grain;
    for (const f of choices) {
      const expected = await runMetric(engine, { metric, filters: { from, to, ...f } });
      const derived = deriveAnswer(metric === 'instructor_performance' ? 'by-filter-key' : 'fill-grain', metric, batch, f);
      t.equal(JSON.stringify(derived), JSON.stringify({ columns: expected.columns, rows: expected.rows }), `${metric} ${JSON.stringify(f)}: ${expected.rows.length} rows, the same JSON`);
      const rates = (a: Pick<Answer, 'rows'>) => a.rows.map((r) => r.fill_rate);
      t.ok(rates(derived).every((rate, i) => Object.is(rate, rates(expected)[i])), 'the same fill rates, Infinity and NaN included');
      if (expected.rows.length === 0) empty++;
      rows += expected.rows.length;
    }
  }
  const unfiltered = deriveAnswer('fill-grain', 'fill_by_class_type', grain, {}).rows.map((r) => r.class_type);
  t.same(unfiltered, ['Zumba', 'hiit', 'spin', 'yoga', '\uE000', '\u{1F600}', null], 'the edge cases are there: code point order, NULL last');
  t.ok(empty >= 10, `${empty} empty answers compared (filter values without classes in the range)`);
  t.ok(rows > 50, `${rows} rows compared`);
});
