import { LAKE_RELATIONS, relationColumns } from './views.js';

/**
 * A lint for SQL text that must run unchanged on Athena (Trino, engine v3) and on DuckDB: it flags
 * functions and syntax that exist on only one of them, or exist on both and give different answers,
 * with the reason and the portable way to write it.
 *
 * It tokenises the text (string literals, quoted identifiers and comments are never matched as code;
 * a name only matches as a whole word followed by `(`), then applies the rule lists below. The type
 * traps (integer division, DATE arithmetic, …) are heuristics: they use the contracts' column types and
 * the obvious shape of an expression, and stay silent when they cannot tell (see each rule).
 *
 * Evidence noted on each entry: "duckdb" = checked on DuckDB 1.5.6 here (duckdb_functions() or running
 * it); "trino-docs" = Trino's documentation (function list, the function's page); "memory" = not checked
 * here. Athena v3 trails Trino releases, so a Trino-only function may be missing on Athena too — it is
 * flagged either way.
 */

export type PortabilityKind = 'duckdb-only' | 'trino-only' | 'differs' | 'mistake';

export type PortabilityRule = {
  /** The function name (`strftime`), a family (`list_*`), or a syntax/trap rule (`integer-division`). */
  id: string;
  kind: PortabilityKind;
  reason: string;
  alternative: string;
};

export type PortabilityProblem = PortabilityRule & {
  /** The flagged text as written. */
  text: string;
  /** Character offset in the SQL, and 1-based line and column. */
  offset: number;
  line: number;
  column: number;
};

export type PortabilityOptions = {
  /** Column name → SQL type, for the type heuristics. Default: every dataset and derived-relation column of the contracts (and dt). */
  columnTypes?: Readonly<Record<string, string>>;
};

type Rule = PortabilityRule;
const rule = (id: string, kind: PortabilityKind, reason: string, alternative: string): Rule => ({ id, kind, reason, alternative });

const ISO_WEEKDAY = "((date_diff('day', DATE '2001-01-01', d) % 7) + 7) % 7 + 1 (ISO weekday, as views.ts)";
const DAY_OF_YEAR = "date_diff('day', CAST(date_trunc('year', d) AS DATE), d) + 1";
const NEAREST_RANK = 'an exact percentile by nearest rank: row_number() OVER (ORDER BY x) against count(*) OVER ()';
const EPOCH = "TIMESTAMP '1970-01-01 00:00:00'";

/** Functions that exist on one engine only, or on both with different results. Matched as `name(`. */
const FUNCTION_RULES: readonly Rule[] = [
  // --- DuckDB only ---
  rule('strftime', 'duckdb-only', 'DuckDB formatting function; Trino has none by that name (its date_format/format_datetime are not in DuckDB)', 'CAST(CAST(ts AS DATE) AS VARCHAR) for the day, otherwise format in the application'), // duckdb: exists; trino-docs: not in function list
  rule('strptime', 'duckdb-only', 'DuckDB parsing function; Trino has none by that name', "CAST('2026-01-05' AS DATE) / CAST('2026-01-05 06:52:40' AS TIMESTAMP) for ISO text"), // duckdb: exists; trino-docs: not in function list
  rule('epoch', 'duckdb-only', 'DuckDB only (seconds since 1970)', `date_diff('second', ${EPOCH}, ts)`), // duckdb: exists; trino-docs: not in function list
  rule('epoch_ms', 'duckdb-only', 'DuckDB only (milliseconds since 1970, or the reverse conversion)', `date_diff('millisecond', ${EPOCH}, ts); for the reverse ${EPOCH} + n * INTERVAL '1' SECOND`), // duckdb: exists; trino-docs: not in function list
  rule('epoch_us', 'duckdb-only', 'DuckDB only (microseconds since 1970); Trino date_diff has no microsecond unit', `date_diff('millisecond', ${EPOCH}, ts)`), // duckdb: exists; trino-docs: not in list, date_diff units stop at millisecond
  rule('epoch_ns', 'duckdb-only', 'DuckDB only (nanoseconds since 1970)', `date_diff('millisecond', ${EPOCH}, ts)`), // duckdb: exists; trino-docs: not in function list
  rule('make_date', 'duckdb-only', 'DuckDB only; Trino has no such function', "a DATE literal or CAST('YYYY-MM-DD' AS DATE)"), // duckdb: exists; trino-docs: not in function list
  rule('make_timestamp', 'duckdb-only', 'DuckDB only; Trino has no such function', "a TIMESTAMP literal or CAST('YYYY-MM-DD HH:MM:SS' AS TIMESTAMP)"), // duckdb: exists; trino-docs: not in function list
  rule('today', 'duckdb-only', 'DuckDB only; Trino has no such function', 'current_date'), // duckdb: exists; trino-docs: not in function list
  rule('struct_pack', 'duckdb-only', 'DuckDB struct constructor; Trino has ROW types instead', 'separate columns (struct/row values do not come back the same from both engines)'), // duckdb: exists; trino-docs: not in function list
  rule('struct_extract', 'duckdb-only', 'DuckDB only; Trino has no such function', 'separate columns'), // duckdb: exists; trino-docs: not in function list
  rule('list_value', 'duckdb-only', 'DuckDB list constructor', 'ARRAY[a, b] (both engines)'), // duckdb: exists; trino-docs: not in function list
  rule('list_*', 'duckdb-only', 'DuckDB list functions (list_contains, list_aggregate, …); Trino has array functions under other names', 'ARRAY[…], array_agg, contains(array, x) or an unnest/join'), // duckdb: family exists; trino-docs: no list_ functions
  rule('list', 'duckdb-only', 'DuckDB aggregate alias of array_agg', 'array_agg(x)'), // duckdb: exists (aggregate); trino-docs: not in function list
  rule('array_length', 'duckdb-only', 'DuckDB only (Trino: cardinality, which DuckDB allows on maps only)', 'count the elements before aggregating them (count(*) over the rows)'), // duckdb: exists; trino-docs: not in function list
  rule('array_to_string', 'duckdb-only', 'DuckDB only (Trino: array_join, not in DuckDB)', 'array_agg(x) and join in the application'), // duckdb: exists; trino-docs: not in function list
  rule('array_contains', 'duckdb-only', 'DuckDB only; Trino has no such function', 'contains(array, x) (both engines)'), // duckdb: exists, contains(ARRAY[1,2], 1) runs too; trino-docs: only contains
  rule('array_has', 'duckdb-only', 'DuckDB only; Trino has no such function', 'contains(array, x) (both engines)'), // duckdb: exists; trino-docs: not in function list
  rule('len', 'duckdb-only', 'DuckDB only; Trino has no such function', 'length(s)'), // duckdb: exists; trino-docs: not in function list
  rule('strlen', 'duckdb-only', 'DuckDB only (and counts bytes, not characters)', 'length(s)'), // duckdb: exists; trino-docs: not in function list
  rule('string_split', 'duckdb-only', 'DuckDB only; Trino has no such function', 'split(s, delimiter) (both engines)'), // duckdb: exists, split too; trino-docs: only split
  rule('str_split', 'duckdb-only', 'DuckDB only; Trino has no such function', 'split(s, delimiter) (both engines)'), // duckdb: exists; trino-docs: not in function list
  rule('string_agg', 'duckdb-only', 'DuckDB only (Trino: listagg … WITHIN GROUP, which DuckDB rejects)', 'array_agg(x ORDER BY …) and join in the application'), // duckdb: exists; trino-docs: not in function list
  rule('group_concat', 'duckdb-only', 'DuckDB only; Trino has no such function', 'array_agg(x ORDER BY …) and join in the application'), // duckdb: exists; trino-docs: not in function list
  rule('regexp_full_match', 'duckdb-only', 'DuckDB only (Trino: regexp_like, not in DuckDB)', "a LIKE pattern, or validate the format in the ETL"), // duckdb: exists; trino-docs: not in function list
  rule('regexp_matches', 'duckdb-only', 'DuckDB only (Trino: regexp_like, not in DuckDB)', 'a LIKE pattern'), // duckdb: exists; trino-docs: not in function list
  rule('regexp_split_to_array', 'duckdb-only', 'DuckDB only (Trino: regexp_split)', 'split(s, delimiter) for a fixed delimiter'), // duckdb: exists; trino-docs: not in function list
  rule('isodow', 'duckdb-only', 'DuckDB only; Trino has no such function', ISO_WEEKDAY), // duckdb: exists; trino-docs: not in function list
  rule('isoyear', 'duckdb-only', 'DuckDB only (Trino: year_of_week, not in DuckDB)', 'a calendar dimension, or year(d) where the ISO-week year does not matter'), // duckdb: exists; trino-docs: not in function list
  rule('dayofweek', 'duckdb-only', 'DuckDB only, and counts from 0 = Sunday', ISO_WEEKDAY), // duckdb: exists; trino-docs: not in function list
  rule('weekday', 'duckdb-only', 'DuckDB only, 0 = Sunday', ISO_WEEKDAY), // duckdb: exists; trino-docs: not in function list
  rule('dayofmonth', 'duckdb-only', 'DuckDB only; Trino has no such function', 'day(d) (both engines)'), // duckdb: exists; trino-docs: not in list (day_of_month is Trino's)
  rule('dayofyear', 'duckdb-only', 'DuckDB only; Trino has no such function', DAY_OF_YEAR), // duckdb: exists; trino-docs: not in function list
  rule('weekofyear', 'duckdb-only', 'DuckDB only; Trino has no such function', 'week(d) (ISO week on both engines)'), // duckdb: exists; trino-docs: not in list (week_of_year is Trino's)
  rule('yearweek', 'duckdb-only', 'DuckDB only; Trino has no such function', 'year(d) * 100 + week(d) (mind ISO weeks at the turn of the year)'), // duckdb: exists; trino-docs: not in function list
  rule('date_part', 'duckdb-only', 'DuckDB only: Trino has no date_part at all, only EXTRACT', 'EXTRACT(YEAR FROM x) with a portable field, or year()/month()/day()/hour()'), // duckdb: exists; trino-docs: not in function list
  rule('datepart', 'duckdb-only', 'DuckDB alias of date_part', 'EXTRACT(YEAR FROM x) or year()/month()/day()/hour()'), // duckdb: exists; trino-docs: not in function list
  rule('datediff', 'duckdb-only', 'DuckDB alias; Trino only knows date_diff', "date_diff('day', a, b) on DATE values"), // duckdb: exists; trino-docs: not in function list
  rule('datesub', 'duckdb-only', 'DuckDB only; Trino has no such function', "date_diff('day', a, b) on DATE values"), // duckdb: exists; trino-docs: not in function list
  rule('date_sub', 'duckdb-only', 'DuckDB only (elapsed whole units)', "date_diff('day', a, b) on DATE values"), // duckdb: exists; trino-docs: not in function list
  rule('datetrunc', 'duckdb-only', 'DuckDB alias of date_trunc', "CAST(date_trunc('month', d) AS DATE)"), // duckdb: exists; trino-docs: not in function list
  rule('last_day', 'duckdb-only', 'DuckDB only (Trino: last_day_of_month, not in DuckDB)', "CAST(CAST(date_trunc('month', d) AS DATE) + INTERVAL '1' MONTH - INTERVAL '1' DAY AS DATE)"), // duckdb: exists; trino-docs: not in function list
  rule('age', 'duckdb-only', 'DuckDB only; Trino has no such function', "date_diff('day', a, b) on DATE values"), // duckdb: exists; trino-docs: not in function list
  rule('time_bucket', 'duckdb-only', 'DuckDB only; Trino has no such function', "CAST(date_trunc('hour', ts) AS TIMESTAMP)"), // duckdb: exists; trino-docs: not in function list
  rule('generate_series', 'duckdb-only', 'DuckDB table function (Trino: sequence + UNNEST, not in DuckDB)', 'days from the data (SELECT DISTINCT dt …) or a VALUES list'), // duckdb: exists (table); trino-docs: not in function list
  rule('range', 'duckdb-only', 'DuckDB table/list function', 'days from the data (SELECT DISTINCT dt …) or a VALUES list'), // duckdb: exists; trino-docs: not in function list
  rule('read_*', 'duckdb-only', 'DuckDB file readers (read_parquet, read_csv, read_json, …); Athena reads tables', 'the dataset relation (members, attendance, …), the same on both engines'), // duckdb: read_parquet/read_csv exist; trino-docs: none
  rule('parquet_scan', 'duckdb-only', 'DuckDB file reader', 'the dataset relation'), // duckdb: alias of read_parquet; trino-docs: none
  rule('parquet_schema', 'duckdb-only', 'DuckDB file metadata', 'the Glue catalog / DESCRIBE of the relation'), // duckdb: exists; trino-docs: none
  rule('approx_count_distinct', 'duckdb-only', 'DuckDB only (Trino: approx_distinct, not in DuckDB)', 'count(DISTINCT x)'), // duckdb: exists; trino-docs: not in function list
  rule('approx_quantile', 'duckdb-only', 'DuckDB only (Trino: approx_percentile)', NEAREST_RANK), // duckdb: exists; trino-docs: not in function list
  rule('quantile_cont', 'duckdb-only', 'DuckDB only; Trino has no such function', NEAREST_RANK), // duckdb: exists; trino-docs: not in function list
  rule('quantile_disc', 'duckdb-only', 'DuckDB only; Trino has no such function', NEAREST_RANK), // duckdb: family exists; trino-docs: not in function list
  rule('quantile', 'duckdb-only', 'DuckDB only; Trino has no such function', NEAREST_RANK), // duckdb: family exists; trino-docs: not in function list
  rule('median', 'duckdb-only', 'DuckDB only; Trino has no such function', NEAREST_RANK), // duckdb: exists; trino-docs: not in function list
  rule('percentile_cont', 'duckdb-only', 'ordered-set aggregate DuckDB accepts and Trino does not', NEAREST_RANK), // duckdb: WITHIN GROUP form runs; trino-docs: not in function list
  rule('mode', 'duckdb-only', 'DuckDB only; Trino has no such function', 'count(*) per value, then max_by(value, n)'), // duckdb: exists; trino-docs: not in function list
  rule('arg_max', 'duckdb-only', 'DuckDB name', 'max_by(x, y) (both engines)'), // duckdb: exists, max_by too; trino-docs: only max_by
  rule('arg_min', 'duckdb-only', 'DuckDB name', 'min_by(x, y) (both engines)'), // duckdb: exists, min_by too; trino-docs: only min_by
  rule('argmax', 'duckdb-only', 'DuckDB name', 'max_by(x, y) (both engines)'), // duckdb: runs; trino-docs: not in function list
  rule('argmin', 'duckdb-only', 'DuckDB name', 'min_by(x, y) (both engines)'), // duckdb: runs; trino-docs: not in function list
  rule('first', 'duckdb-only', 'DuckDB aggregate; in Trino first() exists only inside MATCH_RECOGNIZE', 'min_by(x, ordering) or first_value(x) OVER (…)'), // duckdb: exists (aggregate); trino-docs: navigation function only
  rule('last', 'duckdb-only', 'DuckDB aggregate; in Trino last() exists only inside MATCH_RECOGNIZE', 'max_by(x, ordering) or last_value(x) OVER (…)'), // duckdb: runs; trino-docs: navigation function only
  rule('ifnull', 'duckdb-only', 'DuckDB only; Trino has no such function', 'coalesce(a, b)'), // duckdb: runs; trino-docs: not in function list
  rule('printf', 'duckdb-only', 'DuckDB only; Trino has no such function', 'concatenate with ||, format in the application'), // duckdb: exists; trino-docs: not in function list
  rule('trunc', 'duckdb-only', 'DuckDB only (Trino: truncate, not in DuckDB)', 'CASE WHEN x < 0 THEN ceil(x) ELSE floor(x) END'), // duckdb: exists, truncate missing; trino-docs: only truncate
  rule('hash', 'duckdb-only', 'DuckDB only; Trino has no such function', 'compute keys/hashes in the ETL'), // duckdb: exists; trino-docs: not in function list
  rule('levenshtein', 'duckdb-only', 'DuckDB name (Trino: levenshtein_distance, not in DuckDB)', 'compute in the application'), // duckdb: exists; trino-docs: only levenshtein_distance
  rule('json_extract_string', 'duckdb-only', 'DuckDB JSON function (Trino: json_extract_scalar)', 'parse JSON in the ETL; the lake has no JSON columns'), // duckdb: exists; trino-docs: not in function list
  rule('columns', 'duckdb-only', 'DuckDB star expression', 'list the columns'), // duckdb: COLUMNS('x') runs; trino-docs: not in function list

  // --- Trino (Athena) only ---
  rule('date_format', 'trino-only', 'Trino only (MySQL-style format); DuckDB has strftime instead', 'CAST(CAST(ts AS DATE) AS VARCHAR) for the day, otherwise format in the application'), // trino-docs: datetime page; duckdb: missing
  rule('date_parse', 'trino-only', 'Trino only; DuckDB has no such function', "CAST('2026-01-05' AS DATE) / CAST('2026-01-05 06:52:40' AS TIMESTAMP) for ISO text"), // trino-docs: datetime page; duckdb: missing
  rule('format_datetime', 'trino-only', 'Trino only (Joda format)', 'format in the application'), // trino-docs: datetime page; duckdb: missing
  rule('parse_datetime', 'trino-only', 'Trino only (Joda format)', 'CAST(text AS TIMESTAMP) for ISO text'), // trino-docs: datetime page; duckdb: missing
  rule('day_of_week', 'trino-only', 'Trino only; DuckDB has no such function', ISO_WEEKDAY), // trino-docs: datetime page (ISO 1–7); duckdb: missing
  rule('dow', 'trino-only', 'Trino alias of day_of_week', ISO_WEEKDAY), // trino-docs: datetime page; duckdb: missing
  rule('day_of_month', 'trino-only', 'Trino only; DuckDB has no such function', 'day(d) (both engines)'), // trino-docs: datetime page; duckdb: missing
  rule('day_of_year', 'trino-only', 'Trino only; DuckDB has no such function', DAY_OF_YEAR), // trino-docs: datetime page; duckdb: missing
  rule('doy', 'trino-only', 'Trino alias of day_of_year', DAY_OF_YEAR), // trino-docs: datetime page; duckdb: missing
  rule('week_of_year', 'trino-only', 'Trino only; DuckDB has no such function', 'week(d) (ISO week on both engines)'), // trino-docs: datetime page; duckdb: missing
  rule('year_of_week', 'trino-only', 'Trino only; DuckDB has no such function', 'a calendar dimension, or year(d) where the ISO-week year does not matter'), // trino-docs: datetime page; duckdb: missing
  rule('yow', 'trino-only', 'Trino alias of year_of_week', 'a calendar dimension, or year(d)'), // trino-docs: datetime page; duckdb: missing
  rule('last_day_of_month', 'trino-only', 'Trino only; DuckDB has no such function', "CAST(CAST(date_trunc('month', d) AS DATE) + INTERVAL '1' MONTH - INTERVAL '1' DAY AS DATE)"), // trino-docs: datetime page; duckdb: missing
  rule('from_unixtime', 'trino-only', 'Trino only; DuckDB has no such function', `${EPOCH} + n * INTERVAL '1' SECOND`), // trino-docs: datetime page; duckdb: missing
  rule('to_unixtime', 'trino-only', 'Trino only; DuckDB has no such function', `date_diff('second', ${EPOCH}, ts)`), // trino-docs: datetime page; duckdb: missing
  rule('from_iso8601_timestamp', 'trino-only', 'Trino only; DuckDB has no such function', 'CAST(text AS TIMESTAMP)'), // trino-docs: datetime page; duckdb: missing
  rule('from_iso8601_date', 'trino-only', 'Trino only; DuckDB has no such function', 'CAST(text AS DATE)'), // trino-docs: datetime page; duckdb: missing
  rule('to_iso8601', 'trino-only', 'Trino only; DuckDB has no such function', 'CAST(d AS VARCHAR) for a DATE; format timestamps in the application'), // trino-docs: datetime page; duckdb: missing
  rule('at_timezone', 'trino-only', 'Trino only; DuckDB has no such function', "CAST(ts AS TIMESTAMP WITH TIME ZONE) AT TIME ZONE 'America/New_York'"), // trino-docs: datetime page; duckdb: missing
  rule('with_timezone', 'trino-only', 'Trino only; DuckDB has no such function', "CAST(ts AS TIMESTAMP WITH TIME ZONE) AT TIME ZONE 'America/New_York'"), // trino-docs: datetime page; duckdb: missing
  rule('current_timezone', 'trino-only', 'Trino only; DuckDB has no such function', 'nothing: both sessions run in UTC'), // trino-docs: datetime page; duckdb: missing
  rule('approx_distinct', 'trino-only', 'Trino only (DuckDB: approx_count_distinct)', 'count(DISTINCT x)'), // trino-docs: function list; duckdb: missing
  rule('approx_percentile', 'trino-only', 'Trino only (DuckDB: approx_quantile)', NEAREST_RANK), // trino-docs: function list; duckdb: missing
  rule('sequence', 'trino-only', 'Trino only (DuckDB: range/generate_series)', 'days from the data (SELECT DISTINCT dt …) or a VALUES list'), // trino-docs: function list; duckdb: missing
  rule('try', 'trino-only', 'Trino only; DuckDB has no such function', 'try_cast(x AS type) for conversions (both engines), NULLIF(divisor, 0) for division'), // trino-docs: function list; duckdb: missing
  rule('element_at', 'trino-only', 'Trino array/map function; DuckDB has it for maps only', 'arr[i] (1-based on both) with i known to be in range — or no arrays in shared SQL'), // trino-docs: function list; duckdb: element_at(list, i) is a binder error
  rule('cardinality', 'trino-only', 'Trino array/map size; DuckDB allows maps only', 'count the elements before aggregating them (count(*) over the rows)'), // trino-docs: function list; duckdb: "Cardinality can only operate on MAPs"
  rule('regexp_like', 'trino-only', 'Trino only (DuckDB: regexp_matches)', 'a LIKE pattern'), // trino-docs: regexp page; duckdb: missing
  rule('json_extract_scalar', 'trino-only', 'Trino only (DuckDB: json_extract_string)', 'parse JSON in the ETL; the lake has no JSON columns'), // trino-docs: function list; duckdb: missing
  rule('json_parse', 'trino-only', 'Trino only; DuckDB has no such function', 'parse JSON in the ETL'), // trino-docs: function list; duckdb: missing
  rule('truncate', 'trino-only', 'Trino only (DuckDB: trunc)', 'CASE WHEN x < 0 THEN ceil(x) ELSE floor(x) END'), // trino-docs: function list; duckdb: missing
  rule('rand', 'trino-only', 'Trino alias', 'random() (both engines)'), // trino-docs: function list; duckdb: missing
  rule('every', 'trino-only', 'Trino only; DuckDB has no such function', 'bool_and(x) (both engines)'), // trino-docs: function list; duckdb: missing
  rule('map_agg', 'trino-only', 'Trino only; DuckDB has no such function', 'one row per key instead of a map'), // trino-docs: function list; duckdb: missing
  rule('array_join', 'trino-only', 'Trino only (DuckDB: array_to_string)', 'array_agg(x) and join in the application'), // trino-docs: function list; duckdb: missing
  rule('transform', 'trino-only', 'Trino only; DuckDB has no such function', 'compute per row before aggregating into an array'), // trino-docs: function list; duckdb: missing
  rule('slice', 'trino-only', 'Trino only; DuckDB has no such function', 'filter rows before array_agg'), // trino-docs: function list; duckdb: missing
  rule('to_char', 'trino-only', 'Trino (Teradata) only', 'format in the application'), // trino-docs: function list; duckdb: missing
  rule('to_date', 'trino-only', 'Trino (Teradata) only', 'CAST(text AS DATE) for ISO text'), // trino-docs: function list; duckdb: missing
  rule('levenshtein_distance', 'trino-only', 'Trino only (DuckDB: levenshtein)', 'compute in the application'), // trino-docs: string page; duckdb: missing

  // --- on both, but different ---
  rule('date_add', 'differs', "Trino date_add(unit, n, x) keeps x's type; DuckDB's date_add(date, interval) is another signature and returns TIMESTAMP", "CAST(d + INTERVAL '1' DAY * n AS DATE) for days, ts + INTERVAL '1' HOUR * n for timestamps"), // trino-docs: datetime page; duckdb: date_add('day', 1, d) fails, date_add(d, INTERVAL 1 DAY) gives a TIMESTAMP
  rule('concat', 'differs', 'Trino returns NULL when any argument is NULL (like ||); DuckDB skips NULL arguments', "a || b (NULL-propagating on both); coalesce(x, '') where a NULL should vanish"), // trino-docs: string page (same as ||); duckdb: concat('a', NULL, 'b') = 'ab'
  rule('count_if', 'differs', 'DuckDB returns NULL when no row (or only NULL conditions) is counted; Trino returns 0', 'sum(CASE WHEN … THEN 1 ELSE 0 END), or coalesce(count_if(…), 0)'), // duckdb 1.5.6: count_if over no rows = NULL; trino-docs: counts TRUE values
  rule('greatest', 'differs', 'Trino returns NULL when any argument is NULL; DuckDB ignores NULLs', 'coalesce each argument first, or CASE'), // trino-docs: comparison page; duckdb: greatest(1, NULL, 3) = 3
  rule('least', 'differs', 'Trino returns NULL when any argument is NULL; DuckDB ignores NULLs', 'coalesce each argument first, or CASE'), // trino-docs: comparison page; duckdb: least(1, NULL) = 1
  rule('regexp_replace', 'differs', 'Trino replaces every match (Java regex); DuckDB only the first unless given the g option (RE2)', 'replace() for literal text; anything else in the ETL'), // trino-docs: regexp page; duckdb: regexp_replace('aaa','a','b') = 'baa'
  rule('regexp_extract', 'differs', "no match: DuckDB returns '' and Trino NULL; the regex dialects also differ (RE2 vs Java)", "NULLIF(regexp_extract(s, pattern), '') with a pattern in the common subset"), // duckdb: '' on no match; trino: NULL (memory), Java patterns (trino-docs)
  rule('split_part', 'differs', "past the last field DuckDB returns '' and Trino NULL", "NULLIF(split_part(s, delimiter, n), '')"), // trino-docs: string page; duckdb: split_part('a,b', ',', 5) = ''
  rule('millisecond', 'differs', 'Trino gives the millisecond of the second (0–999); DuckDB the milliseconds of the minute (0–59999)', 'millisecond(ts) % 1000'), // trino-docs: datetime page; duckdb: 00:00:01.5 → 1500
  rule('format', 'differs', "Trino's format is Java printf-style ('%s'); DuckDB's is fmt-style ('{}')", 'concatenate with ||'), // trino-docs: function list; duckdb: format('{}', 1) = '1'
  rule('md5', 'differs', 'Trino hashes varbinary to varbinary; DuckDB hashes text to hex text', 'compute hashes in the ETL'), // duckdb: md5('a') = hex text; trino: md5(varbinary) (memory)
  rule('sha256', 'differs', 'Trino hashes varbinary to varbinary; DuckDB hashes text to hex text', 'compute hashes in the ETL'), // duckdb: sha256('a') = hex text; trino: sha256(varbinary) (memory)
  rule('to_timestamp', 'differs', 'Trino to_timestamp(text, format) parses (Teradata); DuckDB to_timestamp(seconds) converts epoch seconds to TIMESTAMPTZ', `CAST(text AS TIMESTAMP), or ${EPOCH} + n * INTERVAL '1' SECOND`), // trino-docs: function list; duckdb: to_timestamp(1) = 1970-01-01 00:00:01+00
  rule('timezone', 'differs', "Trino timezone(ts) returns the zone name; DuckDB timezone(zone, ts) converts like AT TIME ZONE", "CAST(ts AS TIMESTAMP WITH TIME ZONE) AT TIME ZONE 'America/New_York'"), // trino-docs: datetime page; duckdb: timezone('America/New_York', ts) converts
  rule('array_position', 'differs', 'element missing: Trino returns 0, DuckDB NULL', 'coalesce(array_position(arr, x), 0)'), // duckdb: NULL when missing (run); trino: 0 (memory)
  rule('reduce', 'differs', 'Trino reduce(array, initial, input, output) and DuckDB reduce(list, lambda) take different arguments', 'aggregate the rows instead of an array'), // trino-docs: function list; duckdb: reduce([1,2,3], (a, b) -> a + b) runs
  rule('listagg', 'differs', 'Trino needs listagg(x, sep) WITHIN GROUP (ORDER BY …); DuckDB rejects WITHIN GROUP for it', 'array_agg(x ORDER BY …) and join in the application'), // trino-docs: function list; duckdb: "Unknown ordered aggregate listagg"
  rule('to_milliseconds', 'differs', 'Trino turns an interval into a number; DuckDB turns a number into an interval', "date_diff('millisecond', a, b)"), // trino-docs: datetime page; duckdb: to_milliseconds(5) is an INTERVAL
];

/** Syntax, operator and type rules, matched on tokens (see `checkPortableSql`). */
export const SYNTAX_RULES = {
  castOperator: rule('cast-operator', 'duckdb-only', 'the x::type cast is DuckDB/Postgres syntax; Trino rejects it', 'CAST(x AS type)'), // duckdb: runs; trino: not in its grammar (memory)
  ilike: rule('ilike', 'duckdb-only', 'ILIKE is DuckDB/Postgres only', "lower(x) LIKE lower('pattern')"), // duckdb: runs; trino-docs: only LIKE
  similarTo: rule('similar-to', 'duckdb-only', 'SIMILAR TO runs on DuckDB only', 'a LIKE pattern'), // duckdb: runs; trino: not supported (memory)
  qualify: rule('qualify', 'duckdb-only', 'QUALIFY is DuckDB only', 'filter the window result in an outer query: SELECT … FROM (SELECT …, row_number() OVER (…) AS rn …) WHERE rn = 1'), // duckdb: runs; trino-docs: not in the SELECT synopsis
  starModifier: rule('star-modifier', 'duckdb-only', 'SELECT * EXCLUDE/REPLACE/RENAME is DuckDB only', 'list the columns'), // duckdb: EXCLUDE/REPLACE/RENAME run; trino-docs: not in the SELECT synopsis
  byAll: rule('by-all', 'duckdb-only', 'GROUP BY ALL / ORDER BY ALL are DuckDB shorthands (in Trino GROUP BY ALL is a grouping-set quantifier, not "every column")', 'list the grouping/ordering expressions'), // duckdb: runs; trino-docs: SELECT synopsis (GROUP BY [ALL | DISTINCT], no ORDER BY ALL)
  integerDivisionOperator: rule('integer-division-operator', 'duckdb-only', 'the // operator is DuckDB only', 'CAST(floor(CAST(a AS DOUBLE) / b) AS BIGINT)'), // duckdb: 7 // 2 = 3; trino-docs: operator list has no //
  powerOperator: rule('power-operator', 'duckdb-only', '** and ^ are DuckDB power operators; Trino has none', 'power(a, b) (both engines)'), // duckdb: 2 ^ 3 = 8; trino-docs: operator list has no ^ or **
  jsonArrow: rule('json-arrow', 'duckdb-only', '->> is DuckDB JSON extraction', 'parse JSON in the ETL'), // duckdb: runs; trino-docs: operator list has -> (lambda) only
  dollarParameter: rule('dollar-parameter', 'duckdb-only', '$1 placeholders are DuckDB only; Athena binds ? in order', '? placeholders'), // duckdb: PREPARE … $1 runs; athena: ExecutionParameters bind ? (memory)
  listLiteral: rule('list-literal', 'duckdb-only', '[a, b] list literals are DuckDB only', 'ARRAY[a, b] (both engines)'), // duckdb: [1,2] runs; trino-docs: types page shows ARRAY[1, 2, 3] only
  structLiteral: rule('struct-literal', 'duckdb-only', "{'k': v} struct literals are DuckDB only", 'separate columns'), // duckdb: {'a': 1} runs; trino-docs: ROW(…) only
  pivot: rule('pivot', 'duckdb-only', 'PIVOT/UNPIVOT are DuckDB only', 'conditional aggregation: count_if(x = …) / sum(CASE WHEN … END)'), // duckdb: PIVOT t ON s USING sum(x) runs; trino-docs: not in the SELECT synopsis
  specialJoin: rule('special-join', 'duckdb-only', 'ASOF/POSITIONAL/SEMI/ANTI JOIN are DuckDB only', 'EXISTS / NOT EXISTS subqueries, or a join on a window-ranked subquery'), // duckdb: all four run; trino-docs: join types are INNER/LEFT/RIGHT/FULL/CROSS
  intervalLiteral: rule('interval-literal', 'duckdb-only', "Trino only accepts INTERVAL '<n>' <YEAR|MONTH|DAY|HOUR|MINUTE|SECOND> (quoted number, one singular unit, no WEEK); DuckDB also takes INTERVAL 1 DAY, '1 day', DAYS", "INTERVAL '7' DAY"), // duckdb: all four forms run; trino-docs: examples INTERVAL '2' DAY only, the rejections are memory
  duckdbType: rule('duckdb-type', 'duckdb-only', 'a DuckDB-only type name', 'VARCHAR, BIGINT, INTEGER, DOUBLE, DECIMAL(p,s), BOOLEAN, DATE, TIMESTAMP'), // duckdb: each name casts; trino-docs: not in the types page
  trinoType: rule('trino-type', 'trino-only', 'a Trino-only type name (IPADDRESS, sketches)', 'VARCHAR, BIGINT, INTEGER, DOUBLE, DECIMAL(p,s), BOOLEAN, DATE, TIMESTAMP'), // trino-docs: types page; duckdb: CAST(… AS IPADDRESS) is an unknown type
  unnestInSelect: rule('unnest-in-select', 'duckdb-only', 'unnest() as a select-list function is DuckDB only; Trino only has UNNEST in FROM', 'CROSS JOIN UNNEST(arr) AS t(x) (both engines)'), // duckdb: CROSS JOIN UNNEST runs; trino-docs: UNNEST is a from_item (memory for the select-list form)
  doubleQuotedString: rule('double-quoted-string', 'mistake', 'double quotes make an identifier on both engines, not a string: this fails (or reads a column of that name)', "single quotes: 'active'"), // duckdb: "a" → "Referenced column not found"; trino: identifiers (memory)
  integerDivision: rule('integer-division', 'differs', 'integer (and DECIMAL) division: Trino truncates (7 / 2 = 3; decimal keeps its scale), DuckDB returns DOUBLE (3.5)', 'CAST(a AS DOUBLE) / b — the cast on an operand, not around the quotient'), // duckdb: typeof(7 / 2) = DOUBLE; trino-docs: "integer division performs truncation"
  dateTruncType: rule('date-trunc-type', 'differs', 'date_trunc of a DATE: DuckDB returns TIMESTAMP, Trino a DATE', "CAST(date_trunc('month', d) AS DATE)"), // duckdb: typeof(date_trunc('month', DATE …)) = TIMESTAMP; trino-docs: "[same as input]"
  dateIntervalType: rule('date-interval-type', 'differs', 'DATE ± INTERVAL: DuckDB returns TIMESTAMP, Trino a DATE', "CAST(d + INTERVAL '1' DAY * n AS DATE)"), // duckdb: typeof(DATE + INTERVAL) = TIMESTAMP; trino-docs: date + interval '2' day = 2012-08-10
  dateDiffTimestamps: rule('date-diff-timestamps', 'differs', 'date_diff on TIMESTAMPs: DuckDB counts unit boundaries crossed (23:00 → 01:00 is 1 day), Trino whole units elapsed (0)', "date_diff('day', CAST(a AS DATE), CAST(b AS DATE)) for calendar days; a smaller unit for durations"), // duckdb: 1 (date_sub gives 0); trino-docs: "timestamp2 - timestamp1 expressed in unit"
  avgDecimal: rule('avg-decimal', 'differs', 'avg of a DECIMAL: Trino returns DECIMAL (rounded to its scale), DuckDB DOUBLE', 'avg(CAST(amount AS DOUBLE))'), // duckdb: typeof(avg(DECIMAL(12,2))) = DOUBLE; trino: decimal avg (memory)
  timestampToVarchar: rule('timestamp-to-varchar', 'differs', "CAST of a TIMESTAMP/DOUBLE to VARCHAR: DuckDB '2026-01-01 10:00:00' / '1.5', Trino '2026-01-01 10:00:00.000' / '1.5E0'", 'return the typed value (the engines normalise it) or CAST(CAST(ts AS DATE) AS VARCHAR)'), // duckdb: no fraction, 1.5; trino: timestamp(3) text and E-notation (memory)
  extractField: rule('extract-field', 'differs', 'EXTRACT field outside the common set: DOW is ISO 1–7 on Trino but 0 = Sunday on DuckDB; DAY_OF_WEEK, DOY… exist on one side only', `EXTRACT(YEAR|QUARTER|MONTH|WEEK|DAY|HOUR|MINUTE|SECOND FROM x); weekday: ${ISO_WEEKDAY}`), // duckdb: dow(Sunday) = 0, day_of_week rejected; trino-docs: extract field table
} as const satisfies Record<string, Rule>;

/** Every rule the checker applies (for docs and tests). */
export const PORTABILITY_RULES: readonly PortabilityRule[] = [...FUNCTION_RULES, ...Object.values(SYNTAX_RULES)];

const FUNCTIONS_BY_NAME = new Map(FUNCTION_RULES.filter((r) => !r.id.endsWith('*')).map((r) => [r.id, r]));
const FUNCTION_FAMILIES = FUNCTION_RULES.filter((r) => r.id.endsWith('*')).map((r) => ({ prefix: r.id.slice(0, -1), rule: r }));

// EXTRACT fields both engines accept with the same meaning (DuckDB run here; Trino docs' field table).
const PORTABLE_EXTRACT_FIELDS = new Set(['YEAR', 'QUARTER', 'MONTH', 'WEEK', 'DAY', 'HOUR', 'MINUTE', 'SECOND', 'TIMEZONE_HOUR', 'TIMEZONE_MINUTE']);
// Interval units Trino's literal grammar accepts (singular only).
const INTERVAL_UNITS = new Set(['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE', 'SECOND']);
// Type names only DuckDB understands in CAST (Trino spells them VARCHAR, VARBINARY, TIMESTAMP WITH TIME ZONE, …).
const DUCKDB_TYPES = new Set(['STRING', 'TEXT', 'HUGEINT', 'UHUGEINT', 'UBIGINT', 'UINTEGER', 'USMALLINT', 'UTINYINT', 'INT1', 'INT2', 'INT4', 'INT8', 'TIMESTAMPTZ', 'DATETIME', 'BLOB', 'BYTEA', 'BPCHAR', 'FLOAT4', 'FLOAT8', 'LONG', 'STRUCT', 'UNION']);
// Type names only Trino understands in CAST (DuckDB takes VARBINARY as BLOB, so that one is shared).
const TRINO_TYPES = new Set(['IPADDRESS', 'HYPERLOGLOG', 'P4HYPERLOGLOG', 'SETDIGEST', 'QDIGEST', 'TDIGEST']);

// ---------------------------------------------------------------------------------------------
// Tokens

type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'symbol' | 'param' | 'eof';
type Token = { kind: TokenKind; text: string; upper: string; start: number; end: number };

// Longest first, so `->>` is not read as `->` then `>`.
const MULTI_CHAR_SYMBOLS = ['->>', '::', '||', '<=', '>=', '<>', '!=', '->', '=>', '//', '**', ':='];

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const push = (kind: TokenKind, start: number, end: number) => {
    const text = sql.slice(start, end);
    tokens.push({ kind, text, upper: text.toUpperCase(), start, end });
  };
  let i = 0;
  while (i < sql.length) {
    const ch = sql.charAt(i);
    const next = sql.charAt(i + 1);
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '-' && next === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? sql.length : eol + 1;
    } else if (ch === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? sql.length : close + 2;
    } else if (ch === "'") {
      // E'…' (DuckDB) allows backslash escapes; X'…', U&'…' and plain strings only double the quote.
      const prev = tokens.at(-1);
      const prefixed = prev !== undefined && prev.end === i && (/^[EXBexb]$/.test(prev.text) || (prev.text === '&' && tokens.at(-2)?.upper === 'U'));
      const backslashEscapes = prefixed && prev.upper === 'E';
      let j = i + 1;
      while (j < sql.length) {
        const c = sql.charAt(j);
        if (backslashEscapes && c === '\\') j += 2;
        else if (c === "'" && sql.charAt(j + 1) === "'") j += 2;
        else if (c === "'") break;
        else j++;
      }
      let start = i;
      if (prefixed && prev) {
        start = prev.text === '&' ? (tokens.at(-2) as Token).start : prev.start;
        tokens.splice(prev.text === '&' ? -2 : -1);
      }
      i = Math.min(j + 1, sql.length);
      push('string', start, i);
    } else if (ch === '"') {
      let j = i + 1;
      while (j < sql.length && !(sql.charAt(j) === '"' && sql.charAt(j + 1) !== '"')) j += sql.charAt(j) === '"' ? 2 : 1;
      push('quoted', i, Math.min(j + 1, sql.length));
      i = Math.min(j + 1, sql.length);
    } else if (/\d/.test(ch) || (ch === '.' && /\d/.test(next))) {
      const m = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
      m.lastIndex = i;
      m.exec(sql);
      push('number', i, m.lastIndex);
      i = m.lastIndex;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /[A-Za-z_][A-Za-z0-9_$]*/y;
      m.lastIndex = i;
      m.exec(sql);
      push('word', i, m.lastIndex);
      i = m.lastIndex;
    } else if (ch === '$' && /\d/.test(next)) {
      const m = /\$\d+/y;
      m.lastIndex = i;
      m.exec(sql);
      push('param', i, m.lastIndex);
      i = m.lastIndex;
    } else if (ch === '?') {
      push('param', i, i + 1);
      i++;
    } else {
      const symbol = MULTI_CHAR_SYMBOLS.find((s) => sql.startsWith(s, i)) ?? ch;
      push('symbol', i, i + symbol.length);
      i += symbol.length;
    }
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Token navigation

/** Tokens plus bracket pairs and each token's innermost enclosing `(`. */
class TokenView {
  readonly pair = new Map<number, number>();
  readonly parent: number[] = [];
  private readonly eof: Token;

  constructor(
    readonly sql: string,
    readonly tokens: Token[],
  ) {
    this.eof = { kind: 'eof', text: '', upper: '', start: sql.length, end: sql.length };
    const stack: number[] = [];
    const opens: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
    tokens.forEach((token, i) => {
      this.parent[i] = stack.findLast((s) => tokens[s]?.text === '(') ?? -1;
      if (token.kind !== 'symbol') return;
      if (token.text === '(' || token.text === '[' || token.text === '{') stack.push(i);
      else if (token.text in opens) {
        // An unbalanced closer (bad SQL) is ignored rather than mispairing everything after it.
        const at = stack.findLastIndex((s) => tokens[s]?.text === opens[token.text]);
        if (at === -1) return;
        const open = stack[at] as number;
        stack.length = at;
        this.pair.set(open, i);
        this.pair.set(i, open);
      }
    });
  }

  at(i: number): Token {
    return this.tokens[i] ?? this.eof;
  }

  /** A word used as a function name: followed by `(`, not a qualified member. */
  isCall(i: number): boolean {
    return this.at(i).kind === 'word' && this.at(i + 1).text === '(' && this.at(i - 1).text !== '.';
  }

  /** Index of the `)` closing the call at `i` (or the last token when unbalanced). */
  callEnd(i: number): number {
    return this.pair.get(i + 1) ?? this.tokens.length - 1;
  }

  /** Token ranges [start, end) of a call's arguments, split at its own commas. */
  args(i: number): [number, number][] {
    const open = i + 1;
    const close = this.callEnd(i);
    const out: [number, number][] = [];
    let start = open + 1;
    for (let j = open + 1; j < close; j++) {
      const token = this.at(j);
      if (this.pair.has(j) && (token.text === '(' || token.text === '[' || token.text === '{')) j = this.pair.get(j) as number;
      else if (token.text === ',') {
        out.push([start, j]);
        start = j + 1;
      }
    }
    if (close > open + 1) out.push([start, close]);
    return out;
  }

  /** For CAST/TRY_CAST at `i`: the operand range and the target type's first word. */
  castOf(i: number): { operand: [number, number]; type: string } | undefined {
    if (!(this.at(i).upper === 'CAST' || this.at(i).upper === 'TRY_CAST') || !this.isCall(i)) return undefined;
    const close = this.callEnd(i);
    for (let j = i + 2; j < close; j++) {
      if (this.at(j).text === '(' && this.pair.has(j)) j = this.pair.get(j) as number;
      else if (this.at(j).upper === 'AS') return { operand: [i + 2, j], type: this.at(j + 1).upper };
    }
    return undefined;
  }

  /** The call whose parentheses directly enclose token `i` (its name's index), if any. */
  enclosingCall(i: number): number | undefined {
    const open = this.parent[i] ?? -1;
    return open > 0 && this.isCall(open - 1) ? open - 1 : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Rough typing of expressions, for the traps

type ValueKind = 'double' | 'exact' | 'exact-literal' | 'timestamp' | 'date' | 'interval' | 'unknown';

// Functions whose result is an exact number on both engines (integer counts, parts, sums of exact values).
const EXACT_FUNCTIONS = new Set(['count', 'count_if', 'sum', 'date_diff', 'length', 'strpos', 'position', 'row_number', 'rank', 'dense_rank', 'ntile', 'year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'extract', 'approx_distinct']);
// Functions whose result is DOUBLE on both engines (for exact inputs).
const DOUBLE_FUNCTIONS = new Set(['avg', 'stddev', 'stddev_samp', 'stddev_pop', 'variance', 'var_samp', 'var_pop', 'corr', 'covar_samp', 'covar_pop', 'sqrt', 'ln', 'log10', 'log2', 'exp', 'power', 'pow', 'random', 'percent_rank', 'cume_dist']);
const TIMESTAMP_WORDS = new Set(['CURRENT_TIMESTAMP', 'LOCALTIMESTAMP', 'NOW']);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);
const CLAUSE_WORDS = new Set(['SELECT', 'FROM', 'WHERE', 'GROUP', 'ORDER', 'HAVING', 'JOIN', 'ON', 'LIMIT', 'WINDOW', 'UNION', 'QUALIFY']);

function kindOfSqlType(type: string | undefined): ValueKind {
  const t = (type ?? '').toUpperCase();
  if (t === 'DOUBLE' || t === 'REAL' || t === 'FLOAT') return 'double';
  if (t === 'INTEGER' || t === 'INT' || t === 'BIGINT' || t === 'SMALLINT' || t === 'TINYINT' || t.startsWith('DECIMAL')) return 'exact';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t === 'DATE') return 'date';
  return 'unknown';
}

class Typer {
  constructor(
    private readonly v: TokenView,
    private readonly columnTypes: ReadonlyMap<string, string>,
  ) {}

  columnType(name: string): string | undefined {
    return this.columnTypes.get(name.toLowerCase());
  }

  /** Index just past the term (operand) starting at `s`. */
  termEnd(s: number): number {
    const v = this.v;
    let i = s;
    while (v.at(i).text === '-' || v.at(i).text === '+' || v.at(i).upper === 'NOT') i++;
    const token = v.at(i);
    if (token.upper === 'CASE') return this.caseEnd(i) + 1;
    if (token.upper === 'INTERVAL') return this.intervalEnd(i);
    if ((token.upper === 'DATE' || token.upper === 'TIMESTAMP') && v.at(i + 1).kind === 'string') return i + 2;
    if (token.text === '(' && v.pair.has(i)) return (v.pair.get(i) as number) + 1;
    if (v.isCall(i)) {
      let end = v.callEnd(i) + 1;
      // Trailing FILTER (…) / OVER (…) / OVER name belong to the call.
      while (v.at(end).upper === 'FILTER' || v.at(end).upper === 'OVER') {
        end = v.at(end + 1).text === '(' && v.pair.has(end + 1) ? (v.pair.get(end + 1) as number) + 1 : end + 2;
      }
      return end;
    }
    if (token.kind === 'word' || token.kind === 'quoted') {
      let end = i + 1;
      while (v.at(end).text === '.' && (v.at(end + 1).kind === 'word' || v.at(end + 1).kind === 'quoted')) end += 2;
      return end;
    }
    return i + 1;
  }

  /** Index of the first token of the term that ends at `e` (inclusive). */
  termStart(e: number): number {
    const v = this.v;
    const token = v.at(e);
    if (token.upper === 'END') return this.caseStart(e);
    if (token.text === ')' && v.pair.has(e)) {
      const open = v.pair.get(e) as number;
      const before = v.at(open - 1);
      if (before.upper === 'OVER' || before.upper === 'FILTER') return this.termStart(open - 2);
      return v.isCall(open - 1) ? open - 1 : open;
    }
    if (token.kind === 'string' && (v.at(e - 1).upper === 'DATE' || v.at(e - 1).upper === 'TIMESTAMP')) return e - 1;
    if (token.kind === 'word' && INTERVAL_UNITS.has(token.upper.replace(/S$/, '')) && v.at(e - 2).upper === 'INTERVAL') return e - 2;
    if (token.kind === 'word' && v.at(e - 1).upper === 'OVER') return this.termStart(e - 2);
    let start = e;
    while (v.at(start - 1).text === '.' && (v.at(start - 2).kind === 'word' || v.at(start - 2).kind === 'quoted')) start -= 2;
    return start;
  }

  private caseEnd(i: number): number {
    let depth = 0;
    for (let j = i; j < this.v.tokens.length; j++) {
      if (this.v.at(j).upper === 'CASE') depth++;
      else if (this.v.at(j).upper === 'END' && --depth === 0) return j;
    }
    return this.v.tokens.length - 1;
  }

  private caseStart(e: number): number {
    let depth = 0;
    for (let j = e; j >= 0; j--) {
      if (this.v.at(j).upper === 'END') depth++;
      else if (this.v.at(j).upper === 'CASE' && --depth === 0) return j;
    }
    return 0;
  }

  /** Index just past an INTERVAL literal starting at `i` (value and unit words). */
  intervalEnd(i: number): number {
    let end = i + 2;
    while (this.v.at(end).kind === 'word' && (INTERVAL_UNITS.has(this.v.at(end).upper.replace(/S$/, '')) || this.v.at(end).upper === 'WEEK' || this.v.at(end).upper === 'WEEKS' || this.v.at(end).upper === 'TO')) end++;
    return end;
  }

  /** Kind of the single term [s, e). */
  term(s: number, e: number): ValueKind {
    const v = this.v;
    let i = s;
    while (v.at(i).text === '-' || v.at(i).text === '+') i++;
    const token = v.at(i);
    if (token.kind === 'number') return /e/i.test(token.text) ? 'double' : 'exact-literal';
    if (token.upper === 'INTERVAL') return 'interval';
    if (token.upper === 'DATE' && v.at(i + 1).kind === 'string') return 'date';
    if (token.upper === 'TIMESTAMP' && v.at(i + 1).kind === 'string') return 'timestamp';
    if (token.upper === 'CURRENT_DATE') return 'date';
    if (TIMESTAMP_WORDS.has(token.upper) && (!v.isCall(i) || token.upper === 'NOW')) return 'timestamp';
    if (token.text === '(' && v.pair.get(i) === e - 1) return this.expression(i + 1, e - 1);
    const cast = v.castOf(i);
    if (cast) return kindOfSqlType(cast.type);
    if (v.isCall(i)) {
      const name = token.text.toLowerCase();
      if (EXACT_FUNCTIONS.has(name)) return 'exact';
      if (DOUBLE_FUNCTIONS.has(name)) return 'double';
      if (name === 'date_trunc') {
        const arg = v.args(i)[1];
        return arg && this.expression(arg[0], arg[1]) === 'timestamp' ? 'timestamp' : 'unknown';
      }
      return 'unknown';
    }
    if ((token.kind === 'word' || token.kind === 'quoted') && e - i >= 1) {
      const last = v.at(e - 1);
      const name = last.kind === 'quoted' ? last.text.slice(1, -1) : last.text;
      return kindOfSqlType(this.columnType(name));
    }
    return 'unknown';
  }

  /** Kind of an arithmetic expression [s, e): terms joined by + - * / %; anything else is unknown. */
  expression(s: number, e: number): ValueKind {
    const kinds: ValueKind[] = [];
    let i = s;
    while (i < e) {
      const end = Math.min(this.termEnd(i), e);
      kinds.push(this.term(i, end));
      // `x AT TIME ZONE 'zone'` keeps a timestamp a timestamp.
      let next = end;
      if (this.v.at(next).upper === 'AT' && this.v.at(next + 1).upper === 'TIME' && this.v.at(next + 2).upper === 'ZONE') next += 4;
      if (next >= e) break;
      if (!ARITHMETIC.has(this.v.at(next).text)) return 'unknown';
      i = next + 1;
    }
    return combine(kinds);
  }
}

function combine(kinds: ValueKind[]): ValueKind {
  if (kinds.length === 0) return 'unknown';
  if (kinds.includes('timestamp')) return 'timestamp';
  if (kinds.includes('date')) return kinds.includes('interval') ? 'unknown' : 'date';
  if (kinds.includes('double')) return 'double';
  if (kinds.includes('unknown') || kinds.includes('interval')) return 'unknown';
  if (kinds.includes('exact')) return 'exact';
  return 'exact-literal';
}

// ---------------------------------------------------------------------------------------------
// The checker

function defaultColumnTypes(): Map<string, string> {
  const types = new Map<string, string>();
  const conflicting = new Set<string>();
  for (const name of LAKE_RELATIONS) {
    for (const c of relationColumns(name)) {
      const known = types.get(c.name);
      if (known !== undefined && known !== c.sqlType) conflicting.add(c.name);
      types.set(c.name, c.sqlType);
    }
  }
  // A name typed differently in two relations tells nothing.
  for (const name of conflicting) types.delete(name);
  return types;
}

const DEFAULT_COLUMN_TYPES = defaultColumnTypes();

/** Problems in `sql` that would make it fail, or answer differently, on Athena vs DuckDB. Sorted by position. */
export function checkPortableSql(sql: string, options: PortabilityOptions = {}): PortabilityProblem[] {
  const columnTypes = new Map(DEFAULT_COLUMN_TYPES);
  for (const [name, type] of Object.entries(options.columnTypes ?? {})) columnTypes.set(name.toLowerCase(), type);
  const v = new TokenView(sql, tokenize(sql));
  const typer = new Typer(v, columnTypes);
  const problems: PortabilityProblem[] = [];
  const lineStarts = [0];
  for (let i = 0; i < sql.length; i++) if (sql.charAt(i) === '\n') lineStarts.push(i + 1);

  const report = (r: Rule, first: number, last = first) => {
    const start = v.at(first).start;
    const end = v.at(last).end;
    let line = 0;
    while (line + 1 < lineStarts.length && (lineStarts[line + 1] as number) <= start) line++;
    problems.push({ ...r, text: sql.slice(start, end), offset: start, line: line + 1, column: start - (lineStarts[line] as number) + 1 });
  };

  // Names that the statement itself declares (aliases), so a quoted reference to them is an identifier.
  const declared = new Set<string>([...columnTypes.keys(), ...LAKE_RELATIONS]);
  v.tokens.forEach((token, i) => {
    const name = (token.kind === 'quoted' ? token.text.slice(1, -1) : token.text).toLowerCase();
    const inCast = v.castOf(v.enclosingCall(i) ?? -1) !== undefined;
    // `expr AS name` (not a CAST target) and `name AS (` (a CTE).
    if ((v.at(i - 1).upper === 'AS' && !inCast) || (v.at(i + 1).upper === 'AS' && v.at(i + 2).text === '(')) declared.add(name);
  });

  for (let i = 0; i < v.tokens.length; i++) {
    const token = v.at(i);
    const prev = v.at(i - 1);
    const next = v.at(i + 1);

    if (v.isCall(i)) checkCall(i);

    if (token.kind === 'symbol') {
      if (token.text === '::') report(SYNTAX_RULES.castOperator, i, i + 1);
      else if (token.text === '//') report(SYNTAX_RULES.integerDivisionOperator, i);
      else if (token.text === '**' || token.text === '^') report(SYNTAX_RULES.powerOperator, i);
      else if (token.text === '->>') report(SYNTAX_RULES.jsonArrow, i);
      else if (token.text === '{') report(SYNTAX_RULES.structLiteral, i);
      else if (token.text === '[' && !(prev.kind === 'word' || prev.kind === 'quoted' || prev.text === ')' || prev.text === ']')) report(SYNTAX_RULES.listLiteral, i);
      else if (token.text === '/') checkDivision(i);
      else if (token.text === '*' && ['EXCLUDE', 'REPLACE', 'RENAME'].includes(next.upper) && (prev.upper === 'SELECT' || prev.upper === 'DISTINCT' || prev.text === ',' || prev.text === '.')) {
        report(SYNTAX_RULES.starModifier, i, i + 1);
      }
      continue;
    }
    if (token.kind === 'param' && token.text.startsWith('$')) report(SYNTAX_RULES.dollarParameter, i);
    if (token.kind === 'quoted') checkDoubleQuoted(i);
    if (token.kind !== 'word' || prev.text === '.') continue;

    switch (token.upper) {
      case 'ILIKE':
        report(SYNTAX_RULES.ilike, i);
        break;
      case 'SIMILAR':
        if (next.upper === 'TO') report(SYNTAX_RULES.similarTo, i, i + 1);
        break;
      case 'QUALIFY':
        report(SYNTAX_RULES.qualify, i);
        break;
      case 'PIVOT':
      case 'UNPIVOT':
        report(SYNTAX_RULES.pivot, i);
        break;
      case 'ASOF':
      case 'POSITIONAL':
      case 'SEMI':
      case 'ANTI':
        if (next.upper === 'JOIN') report(SYNTAX_RULES.specialJoin, i, i + 1);
        break;
      case 'GROUP':
      case 'ORDER':
        if (next.upper === 'BY' && v.at(i + 2).upper === 'ALL') report(SYNTAX_RULES.byAll, i, i + 2);
        break;
      case 'INTERVAL':
        checkInterval(i);
        break;
      case 'EXTRACT':
        if (next.text === '(' && !PORTABLE_EXTRACT_FIELDS.has(v.at(i + 2).upper)) report(SYNTAX_RULES.extractField, i + 2);
        break;
    }
  }

  function checkCall(i: number): void {
    const name = v.at(i).text.toLowerCase();
    const listed = FUNCTIONS_BY_NAME.get(name) ?? FUNCTION_FAMILIES.find((f) => name.startsWith(f.prefix))?.rule;
    if (listed && !exempt(name, i)) report(listed, i);

    const cast = v.castOf(i);
    if (cast) {
      if (DUCKDB_TYPES.has(cast.type)) report(SYNTAX_RULES.duckdbType, i, v.callEnd(i));
      else if (TRINO_TYPES.has(cast.type)) report(SYNTAX_RULES.trinoType, i, v.callEnd(i));
      else if (cast.type === 'VARCHAR' || cast.type === 'CHAR') {
        const kind = typer.expression(cast.operand[0], cast.operand[1]);
        if (kind === 'timestamp' || kind === 'double') report(SYNTAX_RULES.timestampToVarchar, i, v.callEnd(i));
      }
    }

    if (name === 'unnest' && !['FROM', 'JOIN'].includes(clauseOf(i))) report(SYNTAX_RULES.unnestInSelect, i);

    if (name === 'date_trunc') {
      const arg = v.args(i)[1];
      const ofTimestamp = arg !== undefined && typer.expression(arg[0], arg[1]) === 'timestamp';
      const caller = v.enclosingCall(i);
      const castType = caller === undefined ? undefined : v.castOf(caller);
      const wrapped = castType !== undefined && castType.operand[0] === i && castType.operand[1] === v.callEnd(i) + 1 && (castType.type === 'DATE' || castType.type === 'TIMESTAMP');
      if (!ofTimestamp && !wrapped) report(SYNTAX_RULES.dateTruncType, i, v.callEnd(i));
    }

    if (name === 'date_diff') {
      const args = v.args(i);
      if (args.slice(1).some(([s, e]) => typer.expression(s, e) === 'timestamp')) report(SYNTAX_RULES.dateDiffTimestamps, i, v.callEnd(i));
    }

    if (name === 'avg') {
      const [arg] = v.args(i);
      if (arg) {
        const s = v.at(arg[0]).upper === 'DISTINCT' ? arg[0] + 1 : arg[0];
        const last = v.at(arg[1] - 1);
        const cast = v.castOf(s);
        const single = typer.termEnd(s) === arg[1];
        const decimal = cast ? cast.type === 'DECIMAL' : single && (last.kind === 'word' || last.kind === 'quoted') && (typer.columnType(last.kind === 'quoted' ? last.text.slice(1, -1) : last.text) ?? '').startsWith('DECIMAL');
        if (decimal) report(SYNTAX_RULES.avgDecimal, i, v.callEnd(i));
      }
    }
  }

  /** The documented portable wrappers of a differing function, which make it safe. */
  function exempt(name: string, i: number): boolean {
    if (name === 'regexp_extract' || name === 'split_part') {
      // NULLIF(f(…), '') gives NULL for "no match / no such field" on both engines.
      const caller = v.enclosingCall(i);
      if (caller === undefined || v.at(caller).upper !== 'NULLIF') return false;
      const [first, second] = v.args(caller);
      return first !== undefined && first[0] === i && second !== undefined && v.at(second[0]).text === "''" && second[1] === second[0] + 1;
    }
    if (name === 'millisecond') return v.at(v.callEnd(i) + 1).text === '%' && v.at(v.callEnd(i) + 2).text === '1000';
    return false;
  }

  /** The clause keyword governing token `i` at its own nesting level. */
  function clauseOf(i: number): string {
    const level = v.parent[i];
    for (let j = i - 1; j >= 0; j--) {
      if (v.parent[j] !== level) continue;
      const upper = v.at(j).upper;
      if (upper === 'JOIN' || upper === 'FROM' || CLAUSE_WORDS.has(upper)) return upper;
    }
    return '';
  }

  function checkDivision(i: number): void {
    // Left operand: the whole chain of * / % before it (they bind left to right); right operand: one term.
    const kinds: ValueKind[] = [];
    let e = i - 1;
    for (;;) {
      const s = typer.termStart(e);
      kinds.push(typer.term(s, e + 1));
      if (['*', '/', '%'].includes(v.at(s - 1).text) && s - 2 >= 0) e = s - 2;
      else break;
    }
    const left = kinds.includes('double') ? 'double' : kinds.includes('unknown') || kinds.includes('timestamp') || kinds.includes('date') || kinds.includes('interval') ? 'unknown' : kinds.includes('exact') ? 'exact' : 'exact-literal';
    const rightEnd = typer.termEnd(i + 1);
    const right = typer.term(i + 1, rightEnd);
    if (left === 'double' || right === 'double') return;
    if (left === 'exact' || right === 'exact' || (left === 'exact-literal' && right === 'exact-literal')) report(SYNTAX_RULES.integerDivision, i);
  }

  function checkInterval(i: number): void {
    const value = v.at(i + 1);
    const unit = v.at(i + 2);
    if (value.kind === 'number' || (value.kind === 'string' && !INTERVAL_UNITS.has(unit.upper))) {
      report(SYNTAX_RULES.intervalLiteral, i, value.kind === 'string' && unit.kind === 'word' ? i + 2 : i + 1);
    }
    if (value.kind !== 'string' && value.kind !== 'number') return;
    const end = typer.intervalEnd(i);
    if (v.at(end).upper === 'PRECEDING' || v.at(end).upper === 'FOLLOWING') return; // a window frame, not arithmetic
    const arithmetic = ['+', '-', '*'].includes(v.at(i - 1).text) || ['+', '-', '*'].includes(v.at(end).text);
    if (!arithmetic) return;

    // Safe when cast back to DATE/TIMESTAMP (through plain parentheses), or when it is timestamp arithmetic.
    for (let open = v.parent[i] ?? -1; open >= 0; open = v.parent[open] ?? -1) {
      if (!v.isCall(open - 1)) continue;
      const cast = v.castOf(open - 1);
      if (cast && (cast.type === 'DATE' || cast.type === 'TIMESTAMP')) return;
      break;
    }
    const [s, e] = segmentAround(i);
    let j = s;
    while (j < e) {
      const termEnd = Math.max(typer.termEnd(j), j + 1);
      if (typer.term(j, termEnd) === 'timestamp') return;
      j = termEnd;
      while (j < e && ARITHMETIC.has(v.at(j).text)) j++;
      if (v.at(j).upper === 'AT' && v.at(j + 1).upper === 'TIME') j += 4;
    }
    report(SYNTAX_RULES.dateIntervalType, i, end - 1);
  }

  /** The arithmetic expression around token `i`: up to a separator or bracket at its own nesting level. */
  function segmentAround(i: number): [number, number] {
    const separator = (token: Token) =>
      token.kind === 'eof' ||
      (token.kind === 'symbol' && [',', '=', '<>', '!=', '<', '>', '<=', '>=', ';', '(', ')'].includes(token.text)) ||
      (token.kind === 'word' && ['AND', 'OR', 'NOT', 'WHEN', 'THEN', 'ELSE', 'END', 'BETWEEN', 'AS', 'IS', 'IN', 'LIKE', 'ON', 'WHERE', 'SELECT', 'FROM', 'HAVING', 'BY', 'OVER'].includes(token.upper));
    let s = i;
    for (;;) {
      const before = v.at(s - 1);
      if (before.text === ')' && v.pair.has(s - 1)) s = v.pair.get(s - 1) as number; // step over a group (a call's arguments too)
      else if (s - 1 < 0 || separator(before)) break;
      else s--;
    }
    let e = i;
    for (;;) {
      const token = v.at(e);
      if (token.text === '(' && v.pair.has(e)) e = (v.pair.get(e) as number) + 1;
      else if (separator(token)) break;
      else e++;
    }
    return [s, e];
  }

  function checkDoubleQuoted(i: number): void {
    const token = v.at(i);
    const body = token.text.slice(1, -1).replaceAll('""', '"');
    const prev = v.at(i - 1);
    const next = v.at(i + 1);
    if (prev.text === '.' || next.text === '.' || prev.upper === 'AS' || declared.has(body.toLowerCase())) return;
    const identifierShaped = /^[A-Za-z_][A-Za-z0-9_]*$/.test(body);
    const open = v.parent[i] ?? -1;
    const inInList = open > 0 && v.at(open - 1).upper === 'IN' && (prev.text === '(' || prev.text === ',');
    const valuePosition = ['=', '<>', '!=', '<', '>', '<=', '>=', '||'].includes(prev.text) || ['LIKE', 'THEN', 'ELSE', 'WHEN'].includes(prev.upper) || inInList;
    if (!identifierShaped || valuePosition) report(SYNTAX_RULES.doubleQuotedString, i);
  }

  return problems.sort((a, b) => a.offset - b.offset);
}
