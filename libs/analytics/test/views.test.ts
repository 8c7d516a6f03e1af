import t from 'tap';
import {
  athenaViewDdl, checkPortableSql, DATASET_RELATIONS, datasetColumns, DERIVED_RELATIONS, derivedColumns, DIM_DATE, DuckDbEngine, EXAMPLE_ZONE, LAKE_RELATIONS, LOCAL_FACTS,
  relationColumns, starSchemaViews, writeLake,
} from '@peak/analytics';
import { derivedDatasets } from '@peak/contracts';

t.test('lake relations: every dataset, then every derived relation, each with its contract columns and dt', async (t) => {
  t.same(LAKE_RELATIONS, [...DATASET_RELATIONS, ...DERIVED_RELATIONS]);
  t.equal(new Set(LAKE_RELATIONS).size, LAKE_RELATIONS.length, 'no derived relation takes a dataset\'s name');
  for (const name of DATASET_RELATIONS) t.same(relationColumns(name), datasetColumns(name), name);
  for (const name of DERIVED_RELATIONS) {
    const contract = derivedDatasets[name];
    t.same(derivedColumns(name).map((c) => c.name), [...contract.columns, 'dt'], `${name}: contract columns, then dt`);
    t.same(relationColumns(name), derivedColumns(name), name);
    t.equal(derivedColumns(name).find((c) => c.name === contract.partitionBy)?.sqlType, 'DATE', `${name}: dt is ${contract.partitionBy}, a DATE column`);
  }
});

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

t.test('local day and hour: DuckDB\'s offset table agrees with the zone database at every awkward instant', async (t) => {
  const instants = [
    '2026-03-08T06:59:59Z', '2026-03-08T07:00:00Z', '2026-11-01T05:59:59Z', '2026-11-01T06:00:00Z', // New York DST both ways
    '2026-04-04T15:29:59Z', '2026-04-04T15:30:00Z', '2026-10-03T15:59:59Z', '2026-10-03T16:00:00Z', // Lord Howe: 30-minute DST
    '2026-06-30T23:59:59Z', '2026-07-01T00:00:00Z', '2026-01-01T04:59:00Z', '1990-05-05T12:34:56Z', '2150-01-01T03:00:00Z', // day edges, outside the table
  ];
  const root = t.testdir();
  await writeLake(root, {
    attendance: instants.map((at, i) => ({ checkin_id: `K${i}`, member_id: 'M1', class_id: null, location_id: 'downtown', checked_in_at: at, method: 'card' })),
  });
  for (const zone of ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Europe/London', 'UTC']) {
    const engine = new DuckDbEngine({ lakeRoot: root, timeZone: zone });
    const rows = (await engine.query('SELECT checked_in_at, local_date, local_hour, local_weekday FROM fact_attendance ORDER BY checked_in_at')).rows;
    await engine.close();
    const expected = [...instants].sort().map((at) => {
      const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at)).map((p) => [p.type, p.value]));
      const date = `${parts.year}-${parts.month}-${parts.day}`;
      return { checked_in_at: new Date(at).toISOString(), local_date: date, local_hour: Number(parts.hour), local_weekday: ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1 };
    });
    t.same(rows, expected, zone);
  }
});

t.test('LOCAL_FACTS: a fact_<dataset> view per entry, every dataset column plus local day, weekday and hour of a TIMESTAMP', async (t) => {
  for (const f of LOCAL_FACTS) {
    t.equal(datasetColumns(f.dataset).find((c) => c.name === f.timeColumn)?.sqlType, 'TIMESTAMP', `${f.dataset}.${f.timeColumn} is a TIMESTAMP column`);
  }
  const root = t.testdir();
  // 03:30Z on 1 July is 23:30 on 30 June in New York: the local day is the day before the UTC day (dt).
  await writeLake(root, {
    class_feedback: [{ feedback_id: 'F1', member_id: 'M1', class_id: 'C1', submitted_at: '2026-07-01T03:30:00Z', rating: 4, comment: null, would_recommend: null, channel: 'app' }],
  });
  const engine = new DuckDbEngine({ lakeRoot: root, timeZone: 'America/New_York' });
  t.teardown(() => engine.close());
  const result = await engine.query('SELECT * FROM fact_class_feedback');
  t.same(result.columns.map((c) => c.name), [...datasetColumns('class_feedback').map((c) => c.name), 'local_date', 'local_weekday', 'local_hour']);
  t.match(result.rows[0], { feedback_id: 'F1', rating: 4, dt: '2026-07-01', local_date: '2026-06-30', local_weekday: 2, local_hour: 23 });
});
