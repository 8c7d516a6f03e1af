/**
 * The portability checker: every rule it keeps is caught in a realistic snippet, a realistic portable
 * query passes clean, strings/comments/look-alike identifiers never trigger, and the star-schema views pass.
 */
import t from 'tap';
import { checkPortableSql, PORTABILITY_RULES } from '../src/portable-sql.js';
import { starSchemaViews } from '../src/views.js';

const ids = (sql: string) => checkPortableSql(sql).map((p) => p.id);

// One realistic snippet per rule id; a rule added without a snippet fails the coverage test below.
const CAUGHT: Record<string, string> = {
  // DuckDB only
  strftime: `SELECT strftime(checked_in_at, '%Y-%m') AS month, count(*) AS visits FROM attendance GROUP BY 1`,
  strptime: `SELECT * FROM members WHERE join_date >= strptime('01/02/2026', '%d/%m/%Y')`,
  epoch: `SELECT member_id, epoch(updated_at) AS updated_epoch FROM members`,
  epoch_ms: `SELECT checkin_id, epoch_ms(checked_in_at) AS scanned_ms FROM attendance`,
  epoch_us: `SELECT event_id, epoch_us(occurred_at) FROM engagement`,
  epoch_ns: `SELECT event_id, epoch_ns(occurred_at) FROM engagement`,
  make_date: `SELECT count(*) FROM members WHERE join_date >= make_date(2026, 1, 1)`,
  make_timestamp: `SELECT count(*) FROM attendance WHERE checked_in_at >= make_timestamp(2026, 1, 1, 0, 0, 0)`,
  today: `SELECT count(*) FROM classes WHERE CAST(starts_at AS DATE) = today()`,
  struct_pack: `SELECT struct_pack(id := member_id, plan := plan) AS member FROM members`,
  struct_extract: `SELECT struct_extract(m, 'plan') FROM (SELECT struct_pack(plan := plan) AS m FROM members) AS s`,
  list_value: `SELECT member_id FROM members WHERE list_contains(list_value('unlimited', 'annual_unlimited'), plan)`,
  'list_*': `SELECT list_distinct(array_agg(class_type)) FROM classes`,
  list: `SELECT member_id, list(class_id) AS classes FROM attendance GROUP BY member_id`,
  array_length: `SELECT member_id, array_length(array_agg(class_id)) FROM attendance GROUP BY member_id`,
  array_to_string: `SELECT array_to_string(array_agg(class_type), ', ') FROM classes`,
  array_contains: `SELECT array_contains(array_agg(method), 'app') FROM attendance`,
  array_has: `SELECT array_has(array_agg(method), 'app') FROM attendance`,
  len: `SELECT len(first_name) FROM members`,
  strlen: `SELECT max(strlen(class_name)) FROM classes`,
  string_split: `SELECT string_split(email, '@') FROM members`,
  str_split: `SELECT str_split(email, '@') FROM members`,
  string_agg: `SELECT location_id, string_agg(class_type, ',') FROM classes GROUP BY location_id`,
  group_concat: `SELECT location_id, group_concat(class_type) FROM classes GROUP BY location_id`,
  regexp_full_match: `SELECT count(*) FROM members WHERE regexp_full_match(member_id, 'M[0-9]{6}')`,
  regexp_matches: `SELECT count(*) FROM members WHERE regexp_matches(email, '@example\\.com$')`,
  regexp_split_to_array: `SELECT regexp_split_to_array(class_name, '\\s+') FROM classes`,
  isodow: `SELECT isodow(local_date) AS weekday, count(*) FROM fact_attendance GROUP BY 1`,
  isoyear: `SELECT isoyear(local_date), week(local_date), count(*) FROM fact_attendance GROUP BY 1, 2`,
  dayofweek: `SELECT dayofweek(checked_in_at) AS weekday, count(*) FROM attendance GROUP BY 1`,
  weekday: `SELECT weekday(local_date), count(*) FROM fact_attendance GROUP BY 1`,
  dayofmonth: `SELECT dayofmonth(join_date), count(*) FROM members GROUP BY 1`,
  dayofyear: `SELECT dayofyear(local_date), count(*) FROM fact_attendance GROUP BY 1`,
  weekofyear: `SELECT weekofyear(local_date), count(*) FROM fact_attendance GROUP BY 1`,
  yearweek: `SELECT yearweek(local_date) AS yw, count(*) FROM fact_attendance GROUP BY 1`,
  date_part: `SELECT date_part('year', join_date) AS cohort, count(*) FROM members GROUP BY 1`,
  datepart: `SELECT datepart('month', join_date), count(*) FROM members GROUP BY 1`,
  datediff: `SELECT avg(datediff('day', join_date, cancelled_on)) FROM members WHERE status = 'cancelled'`,
  datesub: `SELECT datesub('day', join_date, cancelled_on) FROM members`,
  date_sub: `SELECT date_sub('day', join_date, cancelled_on) FROM members`,
  datetrunc: `SELECT datetrunc('month', join_date), count(*) FROM members GROUP BY 1`,
  last_day: `SELECT last_day(join_date) FROM members`,
  age: `SELECT age(cancelled_on, join_date) FROM members`,
  time_bucket: `SELECT time_bucket(INTERVAL '15' MINUTE, checked_in_at) AS slot, count(*) FROM attendance GROUP BY 1`,
  generate_series: `SELECT d FROM generate_series(DATE '2026-01-01', DATE '2026-01-31', INTERVAL '1' DAY) AS s(d)`,
  range: `SELECT n FROM range(0, 24) AS hours(n)`,
  'read_*': `SELECT count(*) FROM read_parquet('lake/processed/attendance/*/*.parquet')`,
  parquet_scan: `SELECT count(*) FROM parquet_scan('lake/processed/members/*/*.parquet')`,
  parquet_schema: `SELECT * FROM parquet_schema('lake/processed/members/dt=2026-01-01/b1__0.parquet')`,
  approx_count_distinct: `SELECT approx_count_distinct(member_id) FROM attendance`,
  approx_quantile: `SELECT approx_quantile(duration_seconds, 0.9) FROM engagement`,
  quantile_cont: `SELECT quantile_cont(duration_minutes, 0.5) FROM classes`,
  quantile_disc: `SELECT quantile_disc(capacity, 0.5) FROM classes`,
  quantile: `SELECT quantile(capacity, 0.5) FROM classes`,
  median: `SELECT location_id, median(capacity) FROM classes GROUP BY location_id`,
  percentile_cont: `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY capacity) FROM classes`,
  mode: `SELECT mode(method) FROM attendance`,
  arg_max: `SELECT member_id, arg_max(plan, updated_at) FROM members GROUP BY member_id`,
  arg_min: `SELECT member_id, arg_min(plan, updated_at) FROM members GROUP BY member_id`,
  argmax: `SELECT member_id, argmax(plan, updated_at) FROM members GROUP BY member_id`,
  argmin: `SELECT member_id, argmin(plan, updated_at) FROM members GROUP BY member_id`,
  first: `SELECT member_id, first(class_id ORDER BY checked_in_at) FROM attendance GROUP BY member_id`,
  last: `SELECT member_id, last(class_id ORDER BY checked_in_at) FROM attendance GROUP BY member_id`,
  ifnull: `SELECT ifnull(class_id, 'open gym') FROM attendance`,
  printf: `SELECT printf('%s %s', first_name, last_name) FROM members`,
  trunc: `SELECT trunc(amount) FROM transactions`,
  hash: `SELECT hash(member_id) % 10 AS bucket FROM members`,
  levenshtein: `SELECT levenshtein(first_name, last_name) FROM members`,
  json_extract_string: `SELECT json_extract_string(description, '$.sku') FROM transactions`,
  columns: `SELECT max(COLUMNS('.*_at')) FROM signups`,
  // Trino only
  date_format: `SELECT date_format(checked_in_at, '%Y-%m') AS month, count(*) FROM attendance GROUP BY 1`,
  date_parse: `SELECT * FROM members WHERE join_date >= date_parse('01/02/2026', '%d/%m/%Y')`,
  format_datetime: `SELECT format_datetime(starts_at, 'EEEE') FROM classes`,
  parse_datetime: `SELECT parse_datetime('2026-01-05 07:00', 'yyyy-MM-dd HH:mm')`,
  day_of_week: `SELECT day_of_week(local_date) AS weekday, count(*) FROM fact_attendance GROUP BY 1`,
  dow: `SELECT dow(local_date), count(*) FROM fact_attendance GROUP BY 1`,
  day_of_month: `SELECT day_of_month(join_date), count(*) FROM members GROUP BY 1`,
  day_of_year: `SELECT day_of_year(local_date), count(*) FROM fact_attendance GROUP BY 1`,
  doy: `SELECT doy(local_date), count(*) FROM fact_attendance GROUP BY 1`,
  week_of_year: `SELECT week_of_year(local_date), count(*) FROM fact_attendance GROUP BY 1`,
  year_of_week: `SELECT year_of_week(local_date), count(*) FROM fact_attendance GROUP BY 1`,
  yow: `SELECT yow(local_date), count(*) FROM fact_attendance GROUP BY 1`,
  last_day_of_month: `SELECT last_day_of_month(join_date) FROM members`,
  from_unixtime: `SELECT from_unixtime(1767225600) AS cutoff`,
  to_unixtime: `SELECT to_unixtime(checked_in_at) FROM attendance`,
  from_iso8601_timestamp: `SELECT count(*) FROM attendance WHERE checked_in_at >= from_iso8601_timestamp('2026-01-01T00:00:00Z')`,
  from_iso8601_date: `SELECT count(*) FROM members WHERE join_date >= from_iso8601_date('2026-01-01')`,
  to_iso8601: `SELECT to_iso8601(checked_in_at) FROM attendance`,
  at_timezone: `SELECT at_timezone(checked_in_at, 'America/New_York') FROM attendance`,
  with_timezone: `SELECT with_timezone(checked_in_at, 'UTC') FROM attendance`,
  current_timezone: `SELECT current_timezone()`,
  approx_distinct: `SELECT approx_distinct(member_id) AS active_members FROM attendance`,
  approx_percentile: `SELECT approx_percentile(duration_seconds, 0.9) FROM engagement`,
  sequence: `SELECT d FROM UNNEST(sequence(DATE '2026-01-01', DATE '2026-01-31')) AS s(d)`,
  try: `SELECT try(amount / 0) FROM transactions`,
  element_at: `SELECT element_at(array_agg(class_id), 1) FROM attendance`,
  cardinality: `SELECT member_id, cardinality(array_agg(class_id)) FROM attendance GROUP BY member_id`,
  regexp_like: `SELECT count(*) FROM members WHERE regexp_like(email, '@example\\.com$')`,
  json_extract_scalar: `SELECT json_extract_scalar(description, '$.sku') FROM transactions`,
  json_parse: `SELECT json_parse(description) FROM transactions`,
  truncate: `SELECT truncate(amount) FROM transactions`,
  rand: `SELECT member_id FROM members ORDER BY rand() LIMIT 10`,
  every: `SELECT member_id, every(marketing_opt_in) FROM members GROUP BY member_id`,
  map_agg: `SELECT map_agg(plan, n) FROM (SELECT plan, count(*) AS n FROM members GROUP BY plan) AS p`,
  array_join: `SELECT array_join(array_agg(class_type), ', ') FROM classes`,
  transform: `SELECT transform(array_agg(capacity), c -> c * 2) FROM classes`,
  slice: `SELECT slice(array_agg(class_id), 1, 3) FROM attendance`,
  to_char: `SELECT to_char(checked_in_at, 'yyyy-mm-dd') FROM attendance`,
  to_date: `SELECT to_date('2026-01-05', 'yyyy-mm-dd')`,
  levenshtein_distance: `SELECT levenshtein_distance(first_name, last_name) FROM members`,
  // On both, different results
  date_add: `SELECT date_add('day', 7, join_date) AS first_week_end FROM members`,
  concat: `SELECT concat(first_name, ' ', last_name) AS full_name FROM members`,
  count_if: `SELECT location_id, count_if(method = 'app') AS app_visits FROM attendance GROUP BY location_id`,
  greatest: `SELECT greatest(booked_at, cancelled_at) AS last_change FROM signups`,
  least: `SELECT least(join_date, cancelled_on) FROM members`,
  regexp_replace: `SELECT regexp_replace(class_name, '\\s+', ' ') FROM classes`,
  regexp_extract: `SELECT regexp_extract(email, '@(.+)$', 1) AS domain FROM members`,
  split_part: `SELECT split_part(email, '@', 2) AS domain FROM members`,
  millisecond: `SELECT millisecond(checked_in_at) FROM attendance`,
  format: `SELECT format('%s (%s)', class_name, class_type) FROM classes`,
  md5: `SELECT md5(email) FROM members`,
  sha256: `SELECT sha256(email) FROM members`,
  to_timestamp: `SELECT to_timestamp(1767225600) AS cutoff`,
  timezone: `SELECT timezone('America/New_York', checked_in_at) FROM attendance`,
  array_position: `SELECT array_position(array_agg(method), 'app') FROM attendance`,
  reduce: `SELECT reduce(array_agg(capacity), 0, (s, x) -> s + x, s -> s) FROM classes`,
  listagg: `SELECT listagg(class_type, ',') WITHIN GROUP (ORDER BY class_type) FROM classes`,
  to_milliseconds: `SELECT to_milliseconds(INTERVAL '1' DAY)`,
  // Syntax and types
  'cast-operator': `SELECT checked_in_at::DATE AS day, count(*) FROM attendance GROUP BY 1`,
  ilike: `SELECT count(*) FROM classes WHERE class_name ILIKE '%spin%'`,
  'similar-to': `SELECT count(*) FROM members WHERE member_id SIMILAR TO 'M[0-9]+'`,
  qualify: `SELECT * FROM members QUALIFY row_number() OVER (PARTITION BY member_id ORDER BY updated_at DESC) = 1`,
  'star-modifier': `SELECT * EXCLUDE (email) FROM members`,
  'by-all': `SELECT location_id, class_type, count(*) FROM classes GROUP BY ALL`,
  'integer-division-operator': `SELECT duration_minutes // 15 AS quarter_hours FROM classes`,
  'power-operator': `SELECT capacity ^ 2 FROM classes`,
  'json-arrow': `SELECT description ->> '$.sku' FROM transactions`,
  'dollar-parameter': `SELECT count(*) FROM attendance WHERE dt BETWEEN $1 AND $2`,
  'list-literal': `SELECT count(*) FROM members WHERE list_has_any([plan], ['unlimited', 'annual_unlimited'])`,
  'struct-literal': `SELECT {'member': member_id, 'plan': plan} AS m FROM members`,
  pivot: `PIVOT classes ON class_type USING count(*)`,
  'special-join': `SELECT a.checkin_id, c.class_id FROM attendance AS a ASOF JOIN classes AS c ON a.checked_in_at >= c.starts_at`,
  'interval-literal': `SELECT count(*) FROM attendance WHERE checked_in_at >= current_timestamp - INTERVAL 7 DAY`,
  'duckdb-type': `SELECT CAST(birth_year AS STRING) FROM members`,
  'trino-type': `SELECT CAST('10.0.0.1' AS IPADDRESS)`,
  'unnest-in-select': `SELECT member_id, unnest(array_agg(class_id)) FROM attendance GROUP BY member_id`,
  'double-quoted-string': `SELECT count(*) FROM members WHERE status = "active"`,
  'integer-division': `SELECT sum(CASE WHEN status = 'attended' THEN 1 ELSE 0 END) / count(*) AS attendance_rate FROM signups`,
  'date-trunc-type': `SELECT date_trunc('month', join_date) AS cohort, count(*) FROM members GROUP BY 1`,
  'date-interval-type': `SELECT member_id, join_date + INTERVAL '30' DAY AS trial_end FROM members`,
  'date-diff-timestamps': `SELECT date_diff('day', booked_at, cancelled_at) AS notice_days FROM signups`,
  'avg-decimal': `SELECT location_id, avg(amount) AS avg_ticket FROM transactions GROUP BY location_id`,
  'timestamp-to-varchar': `SELECT CAST(checked_in_at AS VARCHAR) AS scanned FROM attendance`,
  'extract-field': `SELECT EXTRACT(DOW FROM local_date) AS weekday, count(*) FROM fact_attendance GROUP BY 1`,
};

t.test('every rule has a reason, an alternative, a unique id and a snippet here', async (t) => {
  const seen = new Set<string>();
  for (const r of PORTABILITY_RULES) {
    t.notOk(seen.has(r.id), `${r.id} is listed once`);
    seen.add(r.id);
    t.ok(r.reason.length > 10 && r.alternative.length > 3, `${r.id} says why and what to write instead`);
    t.ok(CAUGHT[r.id], `${r.id} has a snippet`);
  }
  t.same(Object.keys(CAUGHT).filter((id) => !seen.has(id)), [], 'no snippet for a rule that does not exist');
});

for (const r of PORTABILITY_RULES) {
  const sql = CAUGHT[r.id];
  if (sql === undefined) continue;
  t.test(`caught: ${r.id}`, async (t) => {
    const problems = checkPortableSql(sql);
    const hit = problems.find((p) => p.id === r.id);
    t.ok(hit, `${r.id} is reported in: ${sql}`);
    if (!hit) return;
    t.equal(hit.kind, r.kind);
    t.equal(sql.slice(hit.offset, hit.offset + hit.text.length), hit.text, 'offset points at the flagged text');
    t.equal(hit.line, 1);
    t.equal(hit.column, hit.offset + 1);
  });
}

const ZONE = 'America/New_York';
const PORTABLE_QUERY = `
-- Weekly visits per studio: share of app check-ins, unlimited-plan visits, tenure, ranks and running totals.
WITH visits AS (
  SELECT f.location_id,
         f.local_date,
         CAST(date_trunc('week', f.local_date) AS DATE) AS week_start,
         CAST(hour(CAST(f.checked_in_at AS TIMESTAMP WITH TIME ZONE) AT TIME ZONE '${ZONE}') AS INTEGER) AS local_hour,
         CAST(CAST(c.starts_at AS TIMESTAMP WITH TIME ZONE) AT TIME ZONE '${ZONE}' AS DATE) AS class_day,
         f.method,
         m.join_date,
         m.plan
  FROM fact_attendance AS f
  JOIN dim_members AS m ON m.member_id = f.member_id
  LEFT JOIN dim_classes AS c ON c.class_id = f.class_id
  WHERE f.dt BETWEEN DATE '2026-01-01' AND DATE '2026-03-31'
    AND f.local_date >= CAST(DATE '2026-01-01' + INTERVAL '1' DAY * 7 AS DATE)
    AND f.checked_in_at >= current_timestamp - INTERVAL '90' DAY
    AND f.method IN ('app', 'card')
),
weekly AS (
  SELECT location_id,
         week_start,
         count(*) AS visits,
         sum(CASE WHEN method = 'app' THEN 1 ELSE 0 END) AS app_visits,
         count(*) FILTER (WHERE plan IN ('unlimited', 'annual_unlimited')) AS unlimited_visits,
         count(DISTINCT class_day) AS class_days,
         avg(date_diff('day', join_date, local_date)) AS avg_tenure_days,
         max_by(local_hour, local_date) AS last_hour
  FROM visits
  GROUP BY location_id, week_start
)
SELECT location_id,
       week_start,
       visits,
       CAST(app_visits AS DOUBLE) / NULLIF(visits, 0) AS app_share,
       round(100 * CAST(unlimited_visits AS DOUBLE) / visits, 1) AS unlimited_pct,
       CASE WHEN visits >= 100 THEN 'busy' WHEN visits >= 20 THEN 'steady' ELSE 'quiet' END AS load_band,
       COALESCE(lag(visits) OVER (PARTITION BY location_id ORDER BY week_start), 0) AS previous_visits,
       rank() OVER (PARTITION BY week_start ORDER BY visits DESC) AS week_rank,
       sum(visits) OVER (PARTITION BY location_id ORDER BY week_start ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_visits,
       CAST(week_start + INTERVAL '6' DAY AS DATE) AS week_end,
       NULLIF(split_part('a,b', ',', 2), '') AS second_part,
       EXTRACT(YEAR FROM week_start) AS year
FROM weekly
WHERE week_start < CAST(date_trunc('month', current_date) AS DATE)
ORDER BY location_id, week_start
LIMIT 500`;

t.test('a realistic portable query passes clean', async (t) => {
  t.same(checkPortableSql(PORTABLE_QUERY), []);
});

t.test('strings, comments and identifiers that only contain a name never trigger', async (t) => {
  const sql = `
    SELECT 'strftime(x) :: ILIKE QUALIFY date_format(ts) "active"' AS note, -- epoch_ms(x), date_add('day', 1, d)
           last_date_add, my_strftime, dow_label, t.range, range_start, "date_format", 'it''s / 2' AS quoted,
           first_value(class_id) OVER (ORDER BY checked_in_at) AS first_class
    /* SELECT count(*) / count(*) FROM read_parquet('x') WHERE a ILIKE b QUALIFY x GROUP BY ALL */
    FROM attendance AS t
    ORDER BY checked_in_at NULLS LAST`;
  t.same(checkPortableSql(sql), []);
  t.same(ids(`SELECT "member_id", m."plan", count(*) AS "Check-ins" FROM members AS m GROUP BY 1, 2 ORDER BY "Check-ins" DESC`), [], 'quoted identifiers and aliases are identifiers');
  t.same(ids(`SELECT sum(x) OVER (ORDER BY d RANGE BETWEEN INTERVAL '7' DAY PRECEDING AND CURRENT ROW) FROM t`), [], 'an interval in a window frame is not date arithmetic');
});

t.test('the star-schema views are portable', async (t) => {
  const views = starSchemaViews(ZONE);
  t.ok(views.length >= 3);
  for (const view of views) t.same(checkPortableSql(view.sql), [], `${view.name} has no portability problems`);
});

t.test('integer division: flagged on exact operands, silent once an operand is DOUBLE or unknown', async (t) => {
  t.same(ids(`SELECT count(*) / count(DISTINCT member_id) FROM attendance`), ['integer-division']);
  t.same(ids(`SELECT sum(amount) / 12 FROM transactions`), ['integer-division'], 'DECIMAL / integer keeps its scale on Trino');
  t.same(ids(`SELECT sum(CASE WHEN status = 'attended' THEN 1 ELSE 0 END) * 100 / count(*) FROM signups`), ['integer-division'], 'the whole * chain is the left operand');
  t.same(ids(`SELECT capacity / 2, 7 / 2 FROM classes`), ['integer-division', 'integer-division'], 'INTEGER columns and literals');
  t.same(ids(`SELECT CAST(count(*) / 2 AS DOUBLE) FROM attendance`), ['integer-division'], 'casting the quotient is too late');
  t.same(ids(`SELECT count(*) OVER (PARTITION BY location_id) / 7 FROM attendance`), ['integer-division'], 'a window aggregate is still a count');
  t.same(ids(`SELECT CAST(count(*) AS DOUBLE) / count(DISTINCT member_id) FROM attendance`), []);
  t.same(ids(`SELECT count(*) / CAST(count(DISTINCT member_id) AS DOUBLE) FROM attendance`), []);
  t.same(ids(`SELECT avg(capacity) / 60, sum(amount) * 1e0 / 12, (a + b) / 2, x / 2 FROM t`), [], 'double or unknown operands are left alone');
});

t.test('DATE arithmetic and date_trunc: flagged unless cast back or plainly on timestamps', async (t) => {
  t.same(ids(`SELECT CAST(date_trunc('month', join_date) AS DATE) FROM members`), []);
  t.same(ids(`SELECT CAST(date_trunc('month', join_date) AS TIMESTAMP) FROM members`), []);
  t.same(ids(`SELECT date_trunc('hour', checked_in_at) FROM attendance`), [], 'of a TIMESTAMP column both return TIMESTAMP');
  t.same(ids(`SELECT CAST(date_trunc('month', join_date) AS VARCHAR) FROM members`), ['date-trunc-type']);
  t.same(ids(`SELECT checked_in_at + INTERVAL '1' HOUR FROM attendance`), [], 'TIMESTAMP + INTERVAL is TIMESTAMP on both');
  t.same(ids(`SELECT count(*) FROM attendance WHERE dt >= current_date - INTERVAL '7' DAY`), ['date-interval-type']);
  t.same(ids(`SELECT count(*) FROM attendance WHERE dt >= CAST(current_date - INTERVAL '7' DAY AS DATE)`), []);
  t.same(ids(`SELECT CAST((join_date + INTERVAL '1' MONTH) AS DATE) FROM members`), [], 'through plain parentheses');
  t.same(ids(`SELECT date_diff('day', CAST(booked_at AS DATE), CAST(cancelled_at AS DATE)) FROM signups`), []);
  t.same(ids(`SELECT date_diff('hour', booked_at, current_timestamp) FROM signups`), ['date-diff-timestamps']);
});

t.test('portable wrappers of differing functions are accepted', async (t) => {
  t.same(ids(`SELECT NULLIF(regexp_extract(email, '@(.+)$', 1), '') FROM members`), []);
  t.same(ids(`SELECT NULLIF(split_part(email, '@', 2), '') FROM members`), []);
  t.same(ids(`SELECT millisecond(checked_in_at) % 1000 FROM attendance`), []);
  t.same(ids(`SELECT coalesce(regexp_extract(email, '@(.+)$', 1), '') FROM members`), ['regexp_extract'], 'only NULLIF(…, \'\') evens out the no-match result');
});

t.test('more syntax: interval spellings, EXTRACT fields, types, unnest, quoted strings', async (t) => {
  t.same(ids(`SELECT INTERVAL '1 day', INTERVAL '2' DAYS, INTERVAL '1' WEEK, INTERVAL '7' DAY`), ['interval-literal', 'interval-literal', 'interval-literal']);
  t.same(ids(`SELECT EXTRACT(YEAR FROM d), EXTRACT(hour FROM ts), EXTRACT(DAY_OF_WEEK FROM d), EXTRACT(EPOCH FROM ts) FROM t`), ['extract-field', 'extract-field']);
  t.same(ids(`SELECT CAST(x AS TEXT), TRY_CAST(y AS HUGEINT), CAST(z AS VARBINARY), CAST(w AS DECIMAL(12,2)) FROM t`), ['duckdb-type', 'duckdb-type']);
  t.same(ids(`SELECT CAST(dt AS VARCHAR), CAST(amount AS VARCHAR), CAST(now() AS VARCHAR) FROM transactions`), ['timestamp-to-varchar'], 'dates and decimals print the same; timestamps do not');
  t.same(ids(`SELECT x FROM attendance CROSS JOIN UNNEST(ARRAY[1, 2]) AS u(x)`), [], 'UNNEST in FROM and ARRAY[…] are portable');
  t.same(ids(`SELECT * FROM members WHERE plan IN ("unlimited", 'intro_offer') OR email LIKE "%@example.com"`), ['double-quoted-string', 'double-quoted-string']);
  t.same(ids(`SELECT avg(CAST(amount AS DOUBLE)), avg(DISTINCT amount), avg(capacity) FROM transactions, classes`), ['avg-decimal']);
});

t.test('the default column types include the derived relations\' columns', async (t) => {
  t.same(ids(`SELECT member_id, CAST(scored_at AS VARCHAR), CAST(as_of AS VARCHAR) FROM member_churn_scores`), ['timestamp-to-varchar'], 'scored_at is known as a TIMESTAMP, as_of as a DATE');
  t.same(ids(`SELECT CAST(scored_at_x AS VARCHAR) FROM member_churn_scores`), [], 'an unknown column stays silent');
});

t.test('positions are 1-based lines and columns; custom column types feed the heuristics', async (t) => {
  const [problem] = checkPortableSql(`SELECT location_id,\n       strftime(checked_in_at, '%H') AS hour\nFROM attendance`);
  t.match(problem, { id: 'strftime', text: 'strftime', line: 2, column: 8 });
  t.same(ids(`SELECT visits / days FROM weekly`), []);
  t.same(checkPortableSql(`SELECT visits / days FROM weekly`, { columnTypes: { visits: 'BIGINT' } }).map((p) => p.id), ['integer-division']);
  t.same(checkPortableSql(`SELECT seen_at + INTERVAL '1' HOUR FROM t`, { columnTypes: { seen_at: 'TIMESTAMP' } }), []);
});
