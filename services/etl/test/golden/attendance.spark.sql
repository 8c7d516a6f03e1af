-- ETL of attendance (plan v1, spark): four statements, run in this order.

-- partitions: the days the batch's well-formed records name (before casting).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `checkin_id` AS `raw_checkin_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `location_id` AS `raw_location_id`,
    `checked_in_at` AS `raw_checked_in_at`,
    `method` AS `raw_method`
  FROM `raw_input`
)
SELECT DISTINCT substr(`raw_checked_in_at`, 1, 10) AS `day`
FROM src
WHERE `malformed_detail` IS NULL AND `raw_checked_in_at` IS NOT NULL

-- later_duplicates: records whose key is kept elsewhere in the batch (first record wins).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `checkin_id` AS `raw_checkin_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `location_id` AS `raw_location_id`,
    `checked_in_at` AS `raw_checked_in_at`,
    `method` AS `raw_method`
  FROM `raw_input`
),
repeated AS (
  SELECT `raw_checkin_id` FROM src
  WHERE `malformed_detail` IS NULL AND `raw_checkin_id` IS NOT NULL AND `raw_checkin_id` <> ''
  GROUP BY `raw_checkin_id`
  HAVING count(*) > 1
),
ranked AS (
  SELECT src.`record_number`, row_number() OVER (PARTITION BY src.`raw_checkin_id` ORDER BY src.`record_number`) AS `occurrence`
  FROM src LEFT SEMI JOIN repeated ON src.`raw_checkin_id` = repeated.`raw_checkin_id`
  WHERE src.`malformed_detail` IS NULL
)
SELECT `record_number` FROM ranked WHERE `occurrence` > 1

-- rejected_records: every record that fails a check, with all its reason codes.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `checkin_id` AS `raw_checkin_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `location_id` AS `raw_location_id`,
    `checked_in_at` AS `raw_checked_in_at`,
    `method` AS `raw_method`
  FROM `raw_input`
),
typed AS (
  SELECT
    src.*,
    `raw_checkin_id` AS `checkin_id`,
    `raw_member_id` AS `member_id`,
    `raw_class_id` AS `class_id`,
    `raw_location_id` AS `location_id`,
    CASE WHEN (`raw_checked_in_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_checked_in_at` AS TIMESTAMP) END AS `checked_in_at`,
    `raw_method` AS `method`,
    ref_0.`__key` AS `__known_member_id`,
    ref_1.`__key` AS `__known_class_id`,
    `__later`.`record_number` AS `__later_record`,
    `__seen`.`__version` AS `__seen_version`
  FROM src
  LEFT JOIN (SELECT DISTINCT `member_id` AS `__key` FROM `known_members`) ref_0 ON ref_0.`__key` = src.`raw_member_id`
  LEFT JOIN (SELECT DISTINCT `class_id` AS `__key` FROM `known_classes`) ref_1 ON ref_1.`__key` = src.`raw_class_id`
  LEFT JOIN `later_duplicates` `__later` ON `__later`.`record_number` = src.`record_number`
  LEFT JOIN (SELECT `checkin_id`, TRUE AS `__version` FROM `processed_keys` GROUP BY `checkin_id`) `__seen` ON `__seen`.`checkin_id` = src.`raw_checkin_id`
),
flagged AS (
  SELECT
    typed.*,
    (`malformed_detail` IS NOT NULL
      OR COALESCE((`raw_checkin_id` IS NULL OR `raw_checkin_id` = ''), FALSE)
      OR COALESCE((char_length(`raw_checkin_id`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_checkin_id` IS NULL OR `raw_checkin_id` = '')) AND (NOT (`raw_checkin_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE)
      OR COALESCE((`raw_location_id` IS NULL OR `raw_location_id` = ''), FALSE)
      OR COALESCE((char_length(`raw_location_id`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_location_id` IS NULL OR `raw_location_id` = '')) AND (NOT (`raw_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((`raw_checked_in_at` IS NULL OR `raw_checked_in_at` = ''), FALSE)
      OR COALESCE(((NOT (`raw_checked_in_at` IS NULL OR `raw_checked_in_at` = '')) AND (`checked_in_at` IS NULL)), FALSE)
      OR COALESCE((`raw_method` IS NULL OR `raw_method` = ''), FALSE)
      OR COALESCE(((NOT (`raw_method` IS NULL OR `raw_method` = '')) AND (NOT (`raw_method` IN ('app', 'card', 'front_desk', 'kiosk')))), FALSE)
      OR COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`__known_member_id` IS NOT NULL))), FALSE)
      OR COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`__known_class_id` IS NOT NULL))), FALSE)
      OR (`__later_record` IS NOT NULL)
      OR (`__seen_version` IS NOT NULL)) AS `__rejected`
  FROM typed
)
SELECT
  `record_number`,
  `malformed_detail`,
  `raw_record`,
  `raw_checkin_id`,
  `raw_member_id`,
  `raw_class_id`,
  `raw_location_id`,
  `raw_checked_in_at`,
  `raw_method`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_checkin_id` IS NULL OR `raw_checkin_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_checkin_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_checkin_id` IS NULL OR `raw_checkin_id` = '')) AND (NOT (`raw_checkin_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_member_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`raw_member_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((char_length(`raw_class_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`raw_class_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_location_id` IS NULL OR `raw_location_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_location_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_location_id` IS NULL OR `raw_location_id` = '')) AND (NOT (`raw_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_checked_in_at` IS NULL OR `raw_checked_in_at` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_checked_in_at` IS NULL OR `raw_checked_in_at` = '')) AND (`checked_in_at` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`raw_method` IS NULL OR `raw_method` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_method` IS NULL OR `raw_method` = '')) AND (NOT (`raw_method` IN ('app', 'card', 'front_desk', 'kiosk')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`__known_member_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`__known_class_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH' END,
      CASE WHEN (`__seen_version` IS NOT NULL) THEN 'ALREADY_PROCESSED' END), x -> x IS NOT NULL))) END AS `reasons`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD:*'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_checkin_id` IS NULL OR `raw_checkin_id` = ''), FALSE) THEN 'MISSING_REQUIRED:checkin_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_checkin_id`) > 64), FALSE) THEN 'BAD_FORMAT:checkin_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_checkin_id` IS NULL OR `raw_checkin_id` = '')) AND (NOT (`raw_checkin_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:checkin_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE) THEN 'MISSING_REQUIRED:member_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_member_id`) > 64), FALSE) THEN 'BAD_FORMAT:member_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`raw_member_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:member_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((char_length(`raw_class_id`) > 64), FALSE) THEN 'BAD_FORMAT:class_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`raw_class_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:class_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_location_id` IS NULL OR `raw_location_id` = ''), FALSE) THEN 'MISSING_REQUIRED:location_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_location_id`) > 64), FALSE) THEN 'BAD_FORMAT:location_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_location_id` IS NULL OR `raw_location_id` = '')) AND (NOT (`raw_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:location_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_checked_in_at` IS NULL OR `raw_checked_in_at` = ''), FALSE) THEN 'MISSING_REQUIRED:checked_in_at:required' END,
      CASE WHEN COALESCE(((NOT (`raw_checked_in_at` IS NULL OR `raw_checked_in_at` = '')) AND (`checked_in_at` IS NULL)), FALSE) THEN 'BAD_TYPE:checked_in_at:cast:TIMESTAMP' END,
      CASE WHEN COALESCE((`raw_method` IS NULL OR `raw_method` = ''), FALSE) THEN 'MISSING_REQUIRED:method:required' END,
      CASE WHEN COALESCE(((NOT (`raw_method` IS NULL OR `raw_method` = '')) AND (NOT (`raw_method` IN ('app', 'card', 'front_desk', 'kiosk')))), FALSE) THEN 'NOT_ALLOWED_VALUE:method:enum' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`__known_member_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE:member_id:references:members.member_id' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`__known_class_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE:class_id:references:classes.class_id' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH:checkin_id' END,
      CASE WHEN (`__seen_version` IS NOT NULL) THEN 'ALREADY_PROCESSED:checkin_id' END), x -> x IS NOT NULL))) END AS `reason_details`
FROM flagged
WHERE `__rejected`

-- processed: the typed rows of every record that was not rejected, with their partition.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `checkin_id` AS `raw_checkin_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `location_id` AS `raw_location_id`,
    `checked_in_at` AS `raw_checked_in_at`,
    `method` AS `raw_method`
  FROM `raw_input`
),
typed AS (
  SELECT
    `record_number`,
    `raw_checkin_id` AS `checkin_id`,
    `raw_member_id` AS `member_id`,
    `raw_class_id` AS `class_id`,
    `raw_location_id` AS `location_id`,
    try_cast(`raw_checked_in_at` AS TIMESTAMP) AS `checked_in_at`,
    `raw_method` AS `method`
  FROM src LEFT ANTI JOIN `rejected_records` `__rejected` ON `__rejected`.`record_number` = src.`record_number`
)
SELECT
  `checkin_id`,
  `member_id`,
  `class_id`,
  `location_id`,
  `checked_in_at`,
  `method`,
  to_date(`checked_in_at`) AS `dt`
FROM typed
