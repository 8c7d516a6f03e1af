/** Bad requests get a clear MetricInputError (never an engine error); filter values never reach SQL text. */
import t, { type Test } from 'tap';
import { checkFilters, checkPortableSql, DuckDbEngine, EXAMPLE_ZONE, METRICS, placeholdersOutsideWhere, resolveOptions, runMetric, writeExampleLake } from '@peak/analytics';

const root = t.testdir({ empty: {} });
await writeExampleLake(`${root}/lake`);
const engine = new DuckDbEngine({ lakeRoot: `${root}/lake`, timeZone: EXAMPLE_ZONE });
const emptyEngine = new DuckDbEngine({ lakeRoot: `${root}/empty`, timeZone: EXAMPLE_ZONE });
t.teardown(async () => {
  await engine.close();
  await emptyEngine.close();
});
const ok = { from: '2026-03-01', to: '2026-03-31' };

const refused = async (t: Test, request: Parameters<typeof runMetric>[1], code: string, message: RegExp) => {
  await t.rejects(runMetric(engine, request), { name: 'MetricInputError', code, message }, `${code}: ${message}`);
};

t.test('dates and ranges', async (t) => {
  for (const bad of ['2026-3-01', '01/03/2026', '2026-02-30', '', 20260301, null, "2026-03-01' OR '1'='1", '1999-12-31', '2101-01-01']) {
    await refused(t, { metric: 'active_members', filters: { ...ok, from: bad } }, 'BAD_DATE', /from must be a calendar date|outside/);
  }
  await refused(t, { metric: 'active_members', filters: { from: '2026-04-01', to: '2026-03-01' } }, 'BAD_RANGE', /after to .* swap them/);
  await refused(t, { metric: 'churn_monthly', filters: { from: '2000-01-01', to: '2099-12-31' } }, 'BAD_RANGE', /at most 1098/);
  t.same(checkFilters({ from: '2026-03-01', to: '2026-03-01' }), { from: '2026-03-01', to: '2026-03-01' }, 'a one-day range is fine');
});

t.test('filter values: shape, then existence', async (t) => {
  for (const [name, value] of [['location', "downtown' OR '1'='1"], ['location', 'x; DROP TABLE members'], ['instructor', 'I0"1'], ['classType', 'a'.repeat(65)], ['location', 42]] as const) {
    await refused(t, { metric: 'visits_per_member_per_week', filters: { ...ok, [name]: value } }, 'BAD_FILTER', new RegExp(`^${name} must be an identifier`));
  }
  await refused(t, { metric: 'visits_per_member_per_week', filters: { ...ok, location: 'atlantis' } }, 'UNKNOWN_FILTER_VALUE', /no location "atlantis" in the data; known: downtown, riverside/);
  await refused(t, { metric: 'at_risk_members', filters: { ...ok, instructor: 'I99' } }, 'UNKNOWN_FILTER_VALUE', /no instructor "I99".*known: I01, I02, I03/);
  await refused(t, { metric: 'at_risk_members', filters: { ...ok, classType: 'zumba' } }, 'UNKNOWN_FILTER_VALUE', /no classType "zumba".*known: hiit, spin, yoga/);
  await t.rejects(runMetric(emptyEngine, { metric: 'active_members', filters: { ...ok, location: 'downtown' } }), { code: 'UNKNOWN_FILTER_VALUE', message: /the lake has none yet/ });
});

t.test('metrics and options', async (t) => {
  await refused(t, { metric: 'nope', filters: ok }, 'UNKNOWN_METRIC', /unknown metric "nope"; the catalog has: active_members/);
  await refused(t, { metric: 'active_members', filters: ok, options: { windowDays: 0 } }, 'BAD_OPTION', /windowDays must be a whole number from 1 to 365/);
  await refused(t, { metric: 'active_members', filters: ok, options: { windowDays: '30 OR 1=1' } }, 'BAD_OPTION', /windowDays must be a whole number/);
  await refused(t, { metric: 'active_members', filters: ok, options: { window: 30 } }, 'BAD_OPTION', /has no option "window"; it has: windowDays/);
  await refused(t, { metric: 'at_risk_members', filters: ok, options: { minDaysSince: 30 } }, 'BAD_OPTION', /minDaysSince \(30\) must be smaller than windowDays \(30\)/);
  await refused(t, { metric: 'member_features', filters: ok, options: { minDaysSince: 20, windowDays: 10 } }, 'BAD_OPTION', /minDaysSince \(20\) must be smaller than windowDays \(10\)/);
  await refused(t, { metric: 'churn_monthly', filters: ok, options: { churnBy: 'vibes' } }, 'BAD_OPTION', /churnBy must be one of inactivity, cancellation/);
  await refused(t, { metric: 'visits_per_member_per_week', filters: ok, options: { x: 1 } }, 'BAD_OPTION', /has no option "x"$/);
  t.same(resolveOptions(METRICS.find((m) => m.id === 'churn_monthly')!, { inactivityDays: '45' }), { churnBy: 'inactivity', inactivityDays: 45 }, 'numbers may come as URL text');
});

t.test('filter values are parameters, never SQL text', async (t) => {
  const filters = checkFilters({ from: '2026-03-01', to: '2026-03-31', location: 'zz-location-zz', classType: 'zz-type-zz', instructor: 'zz-instructor-zz' });
  for (const m of METRICS) {
    const built = m.build(filters, resolveOptions(m));
    t.notMatch(built.text, /zz-|2026-03/, `${m.id}: no filter value in the SQL text`);
    t.equal((built.text.match(/\?/g) ?? []).length, built.params.length, `${m.id}: one parameter per placeholder`);
    for (const v of ['zz-location-zz', 'zz-type-zz', 'zz-instructor-zz']) t.ok(built.params.includes(v), `${m.id}: ${v} is a parameter`);
  }
});

t.test('an empty lake answers zeros and empty tables, not errors', async (t) => {
  for (const m of METRICS) {
    const answer = await runMetric(emptyEngine, { metric: m.id, filters: ok });
    t.same(answer.columns.map((c) => c.name), m.columns.map((c) => c.name), `${m.id}: the documented columns`);
    t.same(answer.columns.map((c) => c.type), m.columns.map((c) => c.type), `${m.id}: the documented types`);
    t.ok(answer.rows.every((r) => Object.values(r).every((v) => v === null || v === 0 || typeof v === 'string' || typeof v === 'number')), `${m.id}: ${answer.rows.length} rows`);
  }
  t.same((await runMetric(emptyEngine, { metric: 'active_members', filters: ok })).rows, [{ as_of: '2026-03-31', active_members: 0 }]);
  t.same((await runMetric(emptyEngine, { metric: 'churn_monthly', filters: ok })).rows, [{ month: '2026-03-01', members_start: 0, joined: 0, churned: 0, members_end: 0, net_change: 0, churn_rate: null }]);
});


t.test('Athena takes `?` only in WHERE: every metric keeps its parameters there', async (t) => {
  t.match(placeholdersOutsideWhere('SELECT ? AS x FROM t'), [/^\? in SELECT near: SELECT \? AS x/], 'the check finds a SELECT-list parameter');
  t.equal(placeholdersOutsideWhere("SELECT a FROM t JOIN u ON u.k = ? WHERE b = '?'").length, 1, 'and one in ON, not one inside a string');
  t.same(placeholdersOutsideWhere('SELECT a FROM t WHERE b IN (SELECT c FROM u WHERE d = CAST(? AS DATE)) AND (e = ? OR f = ?)'), [], 'nested WHERE and parentheses are fine');
  const filters = checkFilters({ from: '2026-01-15', to: '2026-03-31', location: 'downtown', classType: 'spin', instructor: 'I01' });
  for (const m of METRICS) {
    for (const f of [filters, checkFilters({ from: '2026-01-15', to: '2026-03-31' })]) {
      const built = m.build(f, resolveOptions(m));
      t.same(placeholdersOutsideWhere(built.text), [], `${m.id}${f.location ? ' (all filters)' : ''}`);
    }
  }
});

t.test('every metric is portable SQL (the checker of Athena-only / DuckDB-only functions)', async (t) => {
  const filters = checkFilters({ from: '2026-01-15', to: '2026-03-31', location: 'downtown', classType: 'spin', instructor: 'I01' });
  for (const m of METRICS) {
    const problems = checkPortableSql(m.build(filters, resolveOptions(m)).text);
    t.same(problems.map((p) => `${p.id}: ${p.text} (line ${p.line}) — ${p.alternative}`), [], m.id);
  }
});
