import t from 'tap';
import { athenaViewDdl, checkPortableSql, DIM_DATE, DuckDbEngine, EXAMPLE_ZONE, starSchemaViews } from '@peak/analytics';

t.test('the star schema views are portable SQL; only dim_date is engine-specific', async (t) => {
  for (const v of starSchemaViews(EXAMPLE_ZONE)) t.same(checkPortableSql(v.sql).map((p) => p.id), [], v.name);
  t.ok(checkPortableSql(DIM_DATE.duckdb).length > 0, 'dim_date for DuckDB uses DuckDB-only functions (range, isodow)');
  t.ok(checkPortableSql(DIM_DATE.athena).length > 0, 'dim_date for Athena uses Trino-only ones (sequence, day_of_week)');
  const ddl = athenaViewDdl(EXAMPLE_ZONE);
  t.equal(ddl.length, starSchemaViews(EXAMPLE_ZONE).length + 1);
  t.match(ddl[0], /^CREATE OR REPLACE VIEW dim_date AS/, 'dim_date first: nothing depends on it, metrics do');
  t.throws(() => athenaViewDdl("UTC'; DROP TABLE x; --"), /not an IANA time zone name/, 'the zone is checked before it enters SQL');
});

t.test('dim_date on DuckDB: every day 2000–2100, ISO weekdays, month starts', async (t) => {
  const engine = new DuckDbEngine({ lakeRoot: t.testdir(), timeZone: EXAMPLE_ZONE });
  t.teardown(() => engine.close());
  const [row] = (await engine.query(`SELECT count(*) AS days, min(calendar_date) AS first, max(calendar_date) AS last,
    count(DISTINCT month_start) AS months, min(iso_weekday) AS lo, max(iso_weekday) AS hi FROM dim_date`)).rows;
  t.same(row, { days: 36890, first: '2000-01-01', last: '2100-12-31', months: 1212, lo: 1, hi: 7 });
  const [wed] = (await engine.query(`SELECT iso_weekday, month_start, year_number FROM dim_date WHERE calendar_date = CAST(? AS DATE)`, { params: ['2026-11-25'] })).rows;
  t.same(wed, { iso_weekday: 3, month_start: '2026-11-01', year_number: 2026 }, '2026-11-25 is a Wednesday');
});
