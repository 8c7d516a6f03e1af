-- ETL of classes (plan v1, spark): four statements, run in this order.

-- partitions: the days the batch's well-formed records name (before casting).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `class_id` AS `raw_class_id`,
    `location_id` AS `raw_location_id`,
    `class_type` AS `raw_class_type`,
    `class_name` AS `raw_class_name`,
    `instructor_id` AS `raw_instructor_id`,
    `instructor_name` AS `raw_instructor_name`,
    `starts_at` AS `raw_starts_at`,
    `duration_minutes` AS `raw_duration_minutes`,
    `capacity` AS `raw_capacity`,
    `cancelled` AS `raw_cancelled`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
)
SELECT DISTINCT substr(`raw_starts_at`, 1, 10) AS `day`
FROM src
WHERE `malformed_detail` IS NULL AND `raw_starts_at` IS NOT NULL

-- later_duplicates: records whose key is kept elsewhere in the batch (newest updated_at, then first record wins).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `class_id` AS `raw_class_id`,
    `location_id` AS `raw_location_id`,
    `class_type` AS `raw_class_type`,
    `class_name` AS `raw_class_name`,
    `instructor_id` AS `raw_instructor_id`,
    `instructor_name` AS `raw_instructor_name`,
    `starts_at` AS `raw_starts_at`,
    `duration_minutes` AS `raw_duration_minutes`,
    `capacity` AS `raw_capacity`,
    `cancelled` AS `raw_cancelled`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
),
repeated AS (
  SELECT `raw_class_id` FROM src
  WHERE `malformed_detail` IS NULL AND `raw_class_id` IS NOT NULL AND `raw_class_id` <> ''
  GROUP BY `raw_class_id`
  HAVING count(*) > 1
),
ranked AS (
  SELECT src.`record_number`, row_number() OVER (PARTITION BY src.`raw_class_id` ORDER BY CASE WHEN (`raw_updated_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_updated_at` AS TIMESTAMP) END DESC NULLS LAST, src.`record_number`) AS `occurrence`
  FROM src LEFT SEMI JOIN repeated ON src.`raw_class_id` = repeated.`raw_class_id`
  WHERE src.`malformed_detail` IS NULL
)
SELECT `record_number` FROM ranked WHERE `occurrence` > 1

-- rejected_records: every record that fails a check, with all its reason codes.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `class_id` AS `raw_class_id`,
    `location_id` AS `raw_location_id`,
    `class_type` AS `raw_class_type`,
    `class_name` AS `raw_class_name`,
    `instructor_id` AS `raw_instructor_id`,
    `instructor_name` AS `raw_instructor_name`,
    `starts_at` AS `raw_starts_at`,
    `duration_minutes` AS `raw_duration_minutes`,
    `capacity` AS `raw_capacity`,
    `cancelled` AS `raw_cancelled`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
),
typed AS (
  SELECT
    src.*,
    `raw_class_id` AS `class_id`,
    `raw_location_id` AS `location_id`,
    `raw_class_type` AS `class_type`,
    `raw_class_name` AS `class_name`,
    `raw_instructor_id` AS `instructor_id`,
    `raw_instructor_name` AS `instructor_name`,
    CASE WHEN (`raw_starts_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_starts_at` AS TIMESTAMP) END AS `starts_at`,
    CASE WHEN (`raw_duration_minutes` RLIKE '^[+-]?[0-9]+$') THEN try_cast(`raw_duration_minutes` AS INT) END AS `duration_minutes`,
    CASE WHEN (`raw_capacity` RLIKE '^[+-]?[0-9]+$') THEN try_cast(`raw_capacity` AS INT) END AS `capacity`,
    CASE WHEN (`raw_cancelled` RLIKE '^(true|false)$') THEN try_cast(`raw_cancelled` AS BOOLEAN) END AS `cancelled`,
    CASE WHEN (`raw_updated_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_updated_at` AS TIMESTAMP) END AS `updated_at`,
    `__later`.`record_number` AS `__later_record`,
    `__seen`.`__version` AS `__seen_version`
  FROM src
  LEFT JOIN `later_duplicates` `__later` ON `__later`.`record_number` = src.`record_number`
  LEFT JOIN (SELECT `class_id`, max(`updated_at`) AS `__version` FROM `processed_keys` GROUP BY `class_id`) `__seen` ON `__seen`.`class_id` = src.`raw_class_id`
),
flagged AS (
  SELECT
    typed.*,
    (`malformed_detail` IS NOT NULL
      OR COALESCE((`raw_class_id` IS NULL OR `raw_class_id` = ''), FALSE)
      OR COALESCE((char_length(`raw_class_id`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`raw_class_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((`raw_location_id` IS NULL OR `raw_location_id` = ''), FALSE)
      OR COALESCE((char_length(`raw_location_id`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_location_id` IS NULL OR `raw_location_id` = '')) AND (NOT (`raw_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((`raw_class_type` IS NULL OR `raw_class_type` = ''), FALSE)
      OR COALESCE(((NOT (`raw_class_type` IS NULL OR `raw_class_type` = '')) AND (NOT (`raw_class_type` IN ('yoga', 'hiit', 'spin', 'pilates', 'strength', 'boxing', 'barre', 'mobility')))), FALSE)
      OR COALESCE((`raw_class_name` IS NULL OR `raw_class_name` = ''), FALSE)
      OR COALESCE((char_length(`raw_class_name`) > 120), FALSE)
      OR COALESCE(((NOT (`raw_class_name` IS NULL OR `raw_class_name` = '')) AND (NOT (`raw_class_name` RLIKE '\\S'))), FALSE)
      OR COALESCE((`raw_instructor_id` IS NULL OR `raw_instructor_id` = ''), FALSE)
      OR COALESCE((char_length(`raw_instructor_id`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_instructor_id` IS NULL OR `raw_instructor_id` = '')) AND (NOT (`raw_instructor_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((`raw_instructor_name` IS NULL OR `raw_instructor_name` = ''), FALSE)
      OR COALESCE((char_length(`raw_instructor_name`) > 120), FALSE)
      OR COALESCE(((NOT (`raw_instructor_name` IS NULL OR `raw_instructor_name` = '')) AND (NOT (`raw_instructor_name` RLIKE '\\S'))), FALSE)
      OR COALESCE((`raw_starts_at` IS NULL OR `raw_starts_at` = ''), FALSE)
      OR COALESCE(((NOT (`raw_starts_at` IS NULL OR `raw_starts_at` = '')) AND (`starts_at` IS NULL)), FALSE)
      OR COALESCE((`raw_duration_minutes` IS NULL OR `raw_duration_minutes` = ''), FALSE)
      OR COALESCE(((NOT (`raw_duration_minutes` IS NULL OR `raw_duration_minutes` = '')) AND (`duration_minutes` IS NULL)), FALSE)
      OR COALESCE((`duration_minutes` < 10), FALSE)
      OR COALESCE((`duration_minutes` > 240), FALSE)
      OR COALESCE((`raw_capacity` IS NULL OR `raw_capacity` = ''), FALSE)
      OR COALESCE(((NOT (`raw_capacity` IS NULL OR `raw_capacity` = '')) AND (`capacity` IS NULL)), FALSE)
      OR COALESCE((`capacity` < 1), FALSE)
      OR COALESCE((`capacity` > 500), FALSE)
      OR COALESCE((`raw_cancelled` IS NULL OR `raw_cancelled` = ''), FALSE)
      OR COALESCE(((NOT (`raw_cancelled` IS NULL OR `raw_cancelled` = '')) AND (`cancelled` IS NULL)), FALSE)
      OR COALESCE((`raw_updated_at` IS NULL OR `raw_updated_at` = ''), FALSE)
      OR COALESCE(((NOT (`raw_updated_at` IS NULL OR `raw_updated_at` = '')) AND (`updated_at` IS NULL)), FALSE)
      OR (`__later_record` IS NOT NULL)
      OR (`__seen_version` IS NOT NULL AND (`updated_at` IS NULL OR `__seen_version` >= `updated_at`))) AS `__rejected`
  FROM typed
)
SELECT
  `record_number`,
  `malformed_detail`,
  `raw_record`,
  `raw_class_id`,
  `raw_location_id`,
  `raw_class_type`,
  `raw_class_name`,
  `raw_instructor_id`,
  `raw_instructor_name`,
  `raw_starts_at`,
  `raw_duration_minutes`,
  `raw_capacity`,
  `raw_cancelled`,
  `raw_updated_at`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_class_id` IS NULL OR `raw_class_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_class_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`raw_class_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_location_id` IS NULL OR `raw_location_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_location_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_location_id` IS NULL OR `raw_location_id` = '')) AND (NOT (`raw_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_class_type` IS NULL OR `raw_class_type` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_class_type` IS NULL OR `raw_class_type` = '')) AND (NOT (`raw_class_type` IN ('yoga', 'hiit', 'spin', 'pilates', 'strength', 'boxing', 'barre', 'mobility')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE((`raw_class_name` IS NULL OR `raw_class_name` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_class_name`) > 120), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_class_name` IS NULL OR `raw_class_name` = '')) AND (NOT (`raw_class_name` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_instructor_id` IS NULL OR `raw_instructor_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_instructor_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_instructor_id` IS NULL OR `raw_instructor_id` = '')) AND (NOT (`raw_instructor_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_instructor_name` IS NULL OR `raw_instructor_name` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_instructor_name`) > 120), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_instructor_name` IS NULL OR `raw_instructor_name` = '')) AND (NOT (`raw_instructor_name` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_starts_at` IS NULL OR `raw_starts_at` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_starts_at` IS NULL OR `raw_starts_at` = '')) AND (`starts_at` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`raw_duration_minutes` IS NULL OR `raw_duration_minutes` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_duration_minutes` IS NULL OR `raw_duration_minutes` = '')) AND (`duration_minutes` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`duration_minutes` < 10), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE((`duration_minutes` > 240), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE((`raw_capacity` IS NULL OR `raw_capacity` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_capacity` IS NULL OR `raw_capacity` = '')) AND (`capacity` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`capacity` < 1), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE((`capacity` > 500), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE((`raw_cancelled` IS NULL OR `raw_cancelled` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_cancelled` IS NULL OR `raw_cancelled` = '')) AND (`cancelled` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`raw_updated_at` IS NULL OR `raw_updated_at` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_updated_at` IS NULL OR `raw_updated_at` = '')) AND (`updated_at` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH' END,
      CASE WHEN (`__seen_version` IS NOT NULL AND (`updated_at` IS NULL OR `__seen_version` >= `updated_at`)) THEN 'ALREADY_PROCESSED' END), x -> x IS NOT NULL))) END AS `reasons`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD:*'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_class_id` IS NULL OR `raw_class_id` = ''), FALSE) THEN 'MISSING_REQUIRED:class_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_class_id`) > 64), FALSE) THEN 'BAD_FORMAT:class_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`raw_class_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:class_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_location_id` IS NULL OR `raw_location_id` = ''), FALSE) THEN 'MISSING_REQUIRED:location_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_location_id`) > 64), FALSE) THEN 'BAD_FORMAT:location_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_location_id` IS NULL OR `raw_location_id` = '')) AND (NOT (`raw_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:location_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_class_type` IS NULL OR `raw_class_type` = ''), FALSE) THEN 'MISSING_REQUIRED:class_type:required' END,
      CASE WHEN COALESCE(((NOT (`raw_class_type` IS NULL OR `raw_class_type` = '')) AND (NOT (`raw_class_type` IN ('yoga', 'hiit', 'spin', 'pilates', 'strength', 'boxing', 'barre', 'mobility')))), FALSE) THEN 'NOT_ALLOWED_VALUE:class_type:enum' END,
      CASE WHEN COALESCE((`raw_class_name` IS NULL OR `raw_class_name` = ''), FALSE) THEN 'MISSING_REQUIRED:class_name:required' END,
      CASE WHEN COALESCE((char_length(`raw_class_name`) > 120), FALSE) THEN 'BAD_FORMAT:class_name:maxLength:120' END,
      CASE WHEN COALESCE(((NOT (`raw_class_name` IS NULL OR `raw_class_name` = '')) AND (NOT (`raw_class_name` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT:class_name:pattern:\\S' END,
      CASE WHEN COALESCE((`raw_instructor_id` IS NULL OR `raw_instructor_id` = ''), FALSE) THEN 'MISSING_REQUIRED:instructor_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_instructor_id`) > 64), FALSE) THEN 'BAD_FORMAT:instructor_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_instructor_id` IS NULL OR `raw_instructor_id` = '')) AND (NOT (`raw_instructor_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:instructor_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_instructor_name` IS NULL OR `raw_instructor_name` = ''), FALSE) THEN 'MISSING_REQUIRED:instructor_name:required' END,
      CASE WHEN COALESCE((char_length(`raw_instructor_name`) > 120), FALSE) THEN 'BAD_FORMAT:instructor_name:maxLength:120' END,
      CASE WHEN COALESCE(((NOT (`raw_instructor_name` IS NULL OR `raw_instructor_name` = '')) AND (NOT (`raw_instructor_name` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT:instructor_name:pattern:\\S' END,
      CASE WHEN COALESCE((`raw_starts_at` IS NULL OR `raw_starts_at` = ''), FALSE) THEN 'MISSING_REQUIRED:starts_at:required' END,
      CASE WHEN COALESCE(((NOT (`raw_starts_at` IS NULL OR `raw_starts_at` = '')) AND (`starts_at` IS NULL)), FALSE) THEN 'BAD_TYPE:starts_at:cast:TIMESTAMP' END,
      CASE WHEN COALESCE((`raw_duration_minutes` IS NULL OR `raw_duration_minutes` = ''), FALSE) THEN 'MISSING_REQUIRED:duration_minutes:required' END,
      CASE WHEN COALESCE(((NOT (`raw_duration_minutes` IS NULL OR `raw_duration_minutes` = '')) AND (`duration_minutes` IS NULL)), FALSE) THEN 'BAD_TYPE:duration_minutes:cast:INTEGER' END,
      CASE WHEN COALESCE((`duration_minutes` < 10), FALSE) THEN 'OUT_OF_RANGE:duration_minutes:minimum:10' END,
      CASE WHEN COALESCE((`duration_minutes` > 240), FALSE) THEN 'OUT_OF_RANGE:duration_minutes:maximum:240' END,
      CASE WHEN COALESCE((`raw_capacity` IS NULL OR `raw_capacity` = ''), FALSE) THEN 'MISSING_REQUIRED:capacity:required' END,
      CASE WHEN COALESCE(((NOT (`raw_capacity` IS NULL OR `raw_capacity` = '')) AND (`capacity` IS NULL)), FALSE) THEN 'BAD_TYPE:capacity:cast:INTEGER' END,
      CASE WHEN COALESCE((`capacity` < 1), FALSE) THEN 'OUT_OF_RANGE:capacity:minimum:1' END,
      CASE WHEN COALESCE((`capacity` > 500), FALSE) THEN 'OUT_OF_RANGE:capacity:maximum:500' END,
      CASE WHEN COALESCE((`raw_cancelled` IS NULL OR `raw_cancelled` = ''), FALSE) THEN 'MISSING_REQUIRED:cancelled:required' END,
      CASE WHEN COALESCE(((NOT (`raw_cancelled` IS NULL OR `raw_cancelled` = '')) AND (`cancelled` IS NULL)), FALSE) THEN 'BAD_TYPE:cancelled:cast:BOOLEAN' END,
      CASE WHEN COALESCE((`raw_updated_at` IS NULL OR `raw_updated_at` = ''), FALSE) THEN 'MISSING_REQUIRED:updated_at:required' END,
      CASE WHEN COALESCE(((NOT (`raw_updated_at` IS NULL OR `raw_updated_at` = '')) AND (`updated_at` IS NULL)), FALSE) THEN 'BAD_TYPE:updated_at:cast:TIMESTAMP' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH:class_id' END,
      CASE WHEN (`__seen_version` IS NOT NULL AND (`updated_at` IS NULL OR `__seen_version` >= `updated_at`)) THEN 'ALREADY_PROCESSED:class_id' END), x -> x IS NOT NULL))) END AS `reason_details`
FROM flagged
WHERE `__rejected`

-- processed: the typed rows of every record that was not rejected, with their partition.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `class_id` AS `raw_class_id`,
    `location_id` AS `raw_location_id`,
    `class_type` AS `raw_class_type`,
    `class_name` AS `raw_class_name`,
    `instructor_id` AS `raw_instructor_id`,
    `instructor_name` AS `raw_instructor_name`,
    `starts_at` AS `raw_starts_at`,
    `duration_minutes` AS `raw_duration_minutes`,
    `capacity` AS `raw_capacity`,
    `cancelled` AS `raw_cancelled`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
),
typed AS (
  SELECT
    `record_number`,
    `raw_class_id` AS `class_id`,
    `raw_location_id` AS `location_id`,
    `raw_class_type` AS `class_type`,
    `raw_class_name` AS `class_name`,
    `raw_instructor_id` AS `instructor_id`,
    `raw_instructor_name` AS `instructor_name`,
    try_cast(`raw_starts_at` AS TIMESTAMP) AS `starts_at`,
    try_cast(`raw_duration_minutes` AS INT) AS `duration_minutes`,
    try_cast(`raw_capacity` AS INT) AS `capacity`,
    try_cast(`raw_cancelled` AS BOOLEAN) AS `cancelled`,
    try_cast(`raw_updated_at` AS TIMESTAMP) AS `updated_at`
  FROM src LEFT ANTI JOIN `rejected_records` `__rejected` ON `__rejected`.`record_number` = src.`record_number`
)
SELECT
  `class_id`,
  `location_id`,
  `class_type`,
  `class_name`,
  `instructor_id`,
  `instructor_name`,
  `starts_at`,
  `duration_minutes`,
  `capacity`,
  `cancelled`,
  `updated_at`,
  to_date(`starts_at`) AS `dt`
FROM typed
