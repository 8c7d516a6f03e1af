/**
 * The queries the metrics cache batches with (fillGrain, instructorPerformanceSql with filter keys): portable SQL with
 * parameters only in WHERE, the metric's own SQL without keys, and on the example world their rows hold every filter
 * choice's answer — the grain's rows summed give the fill metrics', each key's rows are instructor_performance's.
 */
import t from 'tap';
import {
  checkFilters, checkPortableSql, DuckDbEngine, EXAMPLE_CLASS_TYPES, EXAMPLE_INSTRUCTORS, EXAMPLE_LOCATIONS, EXAMPLE_ZONE, FILL_GRAIN_COLUMNS, FILL_GROUP_COLUMNS,
  fillGrain, findMetric, INSTRUCTOR_FILTER_KEYS, INSTRUCTOR_KEY_COLUMNS, instructorPerformanceSql, placeholdersOutsideWhere, runMetric, writeExampleLake,
  type InstructorFilterKey, type MetricFilters, type Row, type Sql,
} from '@peak/analytics';

const from = '2026-01-15';
const to = '2026-03-31';
const all = checkFilters({ from, to, location: 'downtown', classType: 'spin', instructor: 'I01' });

t.test('portable SQL, parameters only in WHERE', async (t) => {
  const queries: [string, Sql][] = [
    ['fillGrain', fillGrain(from, to)],
    ['instructorPerformanceSql, every key', instructorPerformanceSql(checkFilters({ from, to }), INSTRUCTOR_FILTER_KEYS)],
    ['instructorPerformanceSql, every key and every filter', instructorPerformanceSql(all, INSTRUCTOR_FILTER_KEYS)],
    ...INSTRUCTOR_FILTER_KEYS.map((key): [string, Sql] => [`instructorPerformanceSql, key ${key}`, instructorPerformanceSql(checkFilters({ from, to }), [key])]),
  ];
  for (const [name, query] of queries) {
    t.same(checkPortableSql(query.text).map((p) => `${p.id}: ${p.text} (line ${p.line})`), [], `${name}: no single-engine SQL`);
    t.same(placeholdersOutsideWhere(query.text), [], `${name}: ? only in WHERE`);
    t.equal((query.text.match(/\?/g) ?? []).length, query.params.length, `${name}: one parameter per placeholder`);
  }
  t.notMatch(instructorPerformanceSql(all, INSTRUCTOR_FILTER_KEYS).text, /downtown|spin|I01/, 'filter values stay parameters');
});

t.test('without keys, instructorPerformanceSql is the metric; keys are checked', async (t) => {
  const metric = findMetric('instructor_performance');
  for (const f of [checkFilters({ from, to }), all]) t.same(instructorPerformanceSql(f), metric.build(f, {}), `${Object.keys(f).length} filters`);
  t.notMatch(instructorPerformanceSql(all).text, /keyed|filter_key/);
  t.throws(() => instructorPerformanceSql(all, []), /at least one filter key/);
  t.throws(() => instructorPerformanceSql(all, ['instructor' as InstructorFilterKey]), /no filter key "instructor"; the keys are none, location, classType, location\+classType/);
  t.match(instructorPerformanceSql(all, ['location', 'location']).text.match(/UNION ALL/g), null, 'a key given twice is one branch');
});

t.test('on the example world, every filter choice is in the batch queries\' rows', async (t) => {
  const root = t.testdir();
  await writeExampleLake(root);
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: EXAMPLE_ZONE });
  t.teardown(() => engine.close());
  const query = async (q: Sql) => engine.query(q.text, { params: q.params });
  const grain = await query(fillGrain(from, to));
  const keyed = await query(instructorPerformanceSql(checkFilters({ from, to }), INSTRUCTOR_FILTER_KEYS));
  t.same(grain.columns.slice(0, FILL_GRAIN_COLUMNS.length).map((c) => c.name), [...FILL_GRAIN_COLUMNS]);
  t.same(keyed.columns.slice(0, INSTRUCTOR_KEY_COLUMNS.length).map((c) => c.name), [...INSTRUCTOR_KEY_COLUMNS]);

  const choices: Omit<MetricFilters, 'from' | 'to'>[] = [{}];
  for (const location of EXAMPLE_LOCATIONS) choices.push({ location });
  for (const classType of EXAMPLE_CLASS_TYPES) choices.push({ classType }, ...EXAMPLE_LOCATIONS.map((location) => ({ location, classType })));
  for (const instructor of EXAMPLE_INSTRUCTORS) choices.push({ instructor }, ...EXAMPLE_LOCATIONS.map((location) => ({ location, instructor })));
  choices.push({ classType: 'aqua' }, { location: 'downtown', instructor: 'I99' }); // no classes: empty answers

  const keep = (r: Row, f: Omit<MetricFilters, 'from' | 'to'>) =>
    (f.location === undefined || r.location_id === f.location) && (f.classType === undefined || r.class_type === f.classType) && (f.instructor === undefined || r.instructor_id === f.instructor);
  let rows = 0;
  for (const f of choices) {
    for (const [metric, groupColumns] of Object.entries(FILL_GROUP_COLUMNS)) {
      const expected = await runMetric(engine, { metric, filters: { from, to, ...f } }).catch(() => undefined); // unknown values are refused
      const sums = new Map<string, Row>();
      for (const r of grain.rows.filter((r) => keep(r, f))) {
        const key = JSON.stringify(groupColumns.map((c) => r[c]));
        const g = sums.get(key) ?? { ...Object.fromEntries(groupColumns.map((c) => [c, r[c] ?? null])), classes: 0, capacity: 0, attendees: 0 };
        for (const c of ['classes', 'capacity', 'attendees']) g[c] = Number(g[c]) + Number(r[c]);
        sums.set(key, g);
      }
      const order = (a: Row, b: Row) => groupColumns.map((c) => ((a[c] as string | number) < (b[c] as string | number) ? -1 : a[c] === b[c] ? 0 : 1)).find((d) => d !== 0) ?? 0;
      const summed = [...sums.values()].sort(order).map((g) => ({ ...g, fill_rate: Number(g.attendees) / Number(g.capacity) }));
      if (expected) t.same(summed, expected.rows, `${metric} ${JSON.stringify(f)}: the grain summed (${summed.length} rows)`);
      else t.same(summed, [], `${metric} ${JSON.stringify(f)}: nothing in the grain either`);
      rows += summed.length;
    }
    const key = f.location !== undefined ? (f.classType !== undefined ? 'location+classType' : 'location') : f.classType !== undefined ? 'classType' : 'none';
    const picked = keyed.rows
      .filter((r) => r.filter_key === key && r.key_location === (f.location ?? '') && r.key_class_type === (f.classType ?? '') && (f.instructor === undefined || r.instructor_id === f.instructor))
      .map(({ filter_key: _k, key_location: _l, key_class_type: _c, ...rest }) => rest);
    const direct = await query(instructorPerformanceSql(checkFilters({ from, to, ...f })));
    t.same(picked, direct.rows, `instructor_performance ${JSON.stringify(f)}: its key's rows (${picked.length})`);
    t.same(keyed.columns.slice(INSTRUCTOR_KEY_COLUMNS.length), direct.columns, 'and its columns');
    rows += picked.length;
  }
  t.ok(rows > 100, `${rows} rows compared`);
});
