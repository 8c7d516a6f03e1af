-- ETL of signups (plan v1, spark): four statements, run in this order.

-- partitions: the days the batch's well-formed records name (before casting).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `signup_id` AS `raw_signup_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `booked_at` AS `raw_booked_at`,
    `status` AS `raw_status`,
    `cancelled_at` AS `raw_cancelled_at`,
    `channel` AS `raw_channel`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
)
SELECT DISTINCT substr(`raw_booked_at`, 1, 10) AS `day`
FROM src
WHERE `malformed_detail` IS NULL AND `raw_booked_at` IS NOT NULL

-- later_duplicates: records whose key is kept elsewhere in the batch (newest updated_at, then first record wins).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `signup_id` AS `raw_signup_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `booked_at` AS `raw_booked_at`,
    `status` AS `raw_status`,
    `cancelled_at` AS `raw_cancelled_at`,
    `channel` AS `raw_channel`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
),
repeated AS (
  SELECT `raw_signup_id` FROM src
  WHERE `malformed_detail` IS NULL AND `raw_signup_id` IS NOT NULL AND `raw_signup_id` <> ''
  GROUP BY `raw_signup_id`
  HAVING count(*) > 1
),
ranked AS (
  SELECT src.`record_number`, row_number() OVER (PARTITION BY src.`raw_signup_id` ORDER BY CASE WHEN (`raw_updated_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_updated_at` AS TIMESTAMP) END DESC NULLS LAST, src.`record_number`) AS `occurrence`
  FROM src LEFT SEMI JOIN repeated ON src.`raw_signup_id` = repeated.`raw_signup_id`
  WHERE src.`malformed_detail` IS NULL
)
SELECT `record_number` FROM ranked WHERE `occurrence` > 1

-- rejected_records: every record that fails a check, with all its reason codes.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `signup_id` AS `raw_signup_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `booked_at` AS `raw_booked_at`,
    `status` AS `raw_status`,
    `cancelled_at` AS `raw_cancelled_at`,
    `channel` AS `raw_channel`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
),
typed AS (
  SELECT
    src.*,
    `raw_signup_id` AS `signup_id`,
    `raw_member_id` AS `member_id`,
    `raw_class_id` AS `class_id`,
    CASE WHEN (`raw_booked_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_booked_at` AS TIMESTAMP) END AS `booked_at`,
    `raw_status` AS `status`,
    CASE WHEN (`raw_cancelled_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_cancelled_at` AS TIMESTAMP) END AS `cancelled_at`,
    `raw_channel` AS `channel`,
    CASE WHEN (`raw_updated_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_updated_at` AS TIMESTAMP) END AS `updated_at`,
    ref_0.`__key` AS `__known_member_id`,
    ref_1.`__key` AS `__known_class_id`,
    `__later`.`record_number` AS `__later_record`,
    `__seen`.`__version` AS `__seen_version`
  FROM src
  LEFT JOIN (SELECT DISTINCT `member_id` AS `__key` FROM `known_members`) ref_0 ON ref_0.`__key` = src.`raw_member_id`
  LEFT JOIN (SELECT DISTINCT `class_id` AS `__key` FROM `known_classes`) ref_1 ON ref_1.`__key` = src.`raw_class_id`
  LEFT JOIN `later_duplicates` `__later` ON `__later`.`record_number` = src.`record_number`
  LEFT JOIN (SELECT `signup_id`, max(`updated_at`) AS `__version` FROM `processed_keys` GROUP BY `signup_id`) `__seen` ON `__seen`.`signup_id` = src.`raw_signup_id`
),
flagged AS (
  SELECT
    typed.*,
    (`malformed_detail` IS NOT NULL
      OR COALESCE((`raw_signup_id` IS NULL OR `raw_signup_id` = ''), FALSE)
      OR COALESCE((char_length(`raw_signup_id`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_signup_id` IS NULL OR `raw_signup_id` = '')) AND (NOT (`raw_signup_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE)
      OR COALESCE((`raw_class_id` IS NULL OR `raw_class_id` = ''), FALSE)
      OR COALESCE((`raw_booked_at` IS NULL OR `raw_booked_at` = ''), FALSE)
      OR COALESCE(((NOT (`raw_booked_at` IS NULL OR `raw_booked_at` = '')) AND (`booked_at` IS NULL)), FALSE)
      OR COALESCE((`raw_status` IS NULL OR `raw_status` = ''), FALSE)
      OR COALESCE(((NOT (`raw_status` IS NULL OR `raw_status` = '')) AND (NOT (`raw_status` IN ('booked', 'cancelled', 'late_cancelled', 'attended', 'no_show')))), FALSE)
      OR COALESCE(((NOT (`raw_cancelled_at` IS NULL OR `raw_cancelled_at` = '')) AND (`cancelled_at` IS NULL)), FALSE)
      OR COALESCE((`raw_channel` IS NULL OR `raw_channel` = ''), FALSE)
      OR COALESCE(((NOT (`raw_channel` IS NULL OR `raw_channel` = '')) AND (NOT (`raw_channel` IN ('app', 'web', 'front_desk', 'kiosk')))), FALSE)
      OR COALESCE((`raw_updated_at` IS NULL OR `raw_updated_at` = ''), FALSE)
      OR COALESCE(((NOT (`raw_updated_at` IS NULL OR `raw_updated_at` = '')) AND (`updated_at` IS NULL)), FALSE)
      OR COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`__known_member_id` IS NOT NULL))), FALSE)
      OR COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`__known_class_id` IS NOT NULL))), FALSE)
      OR (`__later_record` IS NOT NULL)
      OR (`__seen_version` IS NOT NULL AND (`updated_at` IS NULL OR `__seen_version` >= `updated_at`))) AS `__rejected`
  FROM typed
)
SELECT
  `record_number`,
  `malformed_detail`,
  `raw_record`,
  `raw_signup_id`,
  `raw_member_id`,
  `raw_class_id`,
  `raw_booked_at`,
  `raw_status`,
  `raw_cancelled_at`,
  `raw_channel`,
  `raw_updated_at`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_signup_id` IS NULL OR `raw_signup_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_signup_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_signup_id` IS NULL OR `raw_signup_id` = '')) AND (NOT (`raw_signup_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_member_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`raw_member_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_class_id` IS NULL OR `raw_class_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_class_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`raw_class_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_booked_at` IS NULL OR `raw_booked_at` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_booked_at` IS NULL OR `raw_booked_at` = '')) AND (`booked_at` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`raw_status` IS NULL OR `raw_status` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_status` IS NULL OR `raw_status` = '')) AND (NOT (`raw_status` IN ('booked', 'cancelled', 'late_cancelled', 'attended', 'no_show')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE(((NOT (`raw_cancelled_at` IS NULL OR `raw_cancelled_at` = '')) AND (`cancelled_at` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`raw_channel` IS NULL OR `raw_channel` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_channel` IS NULL OR `raw_channel` = '')) AND (NOT (`raw_channel` IN ('app', 'web', 'front_desk', 'kiosk')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE((`raw_updated_at` IS NULL OR `raw_updated_at` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_updated_at` IS NULL OR `raw_updated_at` = '')) AND (`updated_at` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`__known_member_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`__known_class_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH' END,
      CASE WHEN (`__seen_version` IS NOT NULL AND (`updated_at` IS NULL OR `__seen_version` >= `updated_at`)) THEN 'ALREADY_PROCESSED' END), x -> x IS NOT NULL))) END AS `reasons`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD:*'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_signup_id` IS NULL OR `raw_signup_id` = ''), FALSE) THEN 'MISSING_REQUIRED:signup_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_signup_id`) > 64), FALSE) THEN 'BAD_FORMAT:signup_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_signup_id` IS NULL OR `raw_signup_id` = '')) AND (NOT (`raw_signup_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:signup_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE) THEN 'MISSING_REQUIRED:member_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_member_id`) > 64), FALSE) THEN 'BAD_FORMAT:member_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`raw_member_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:member_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_class_id` IS NULL OR `raw_class_id` = ''), FALSE) THEN 'MISSING_REQUIRED:class_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_class_id`) > 64), FALSE) THEN 'BAD_FORMAT:class_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`raw_class_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:class_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_booked_at` IS NULL OR `raw_booked_at` = ''), FALSE) THEN 'MISSING_REQUIRED:booked_at:required' END,
      CASE WHEN COALESCE(((NOT (`raw_booked_at` IS NULL OR `raw_booked_at` = '')) AND (`booked_at` IS NULL)), FALSE) THEN 'BAD_TYPE:booked_at:cast:TIMESTAMP' END,
      CASE WHEN COALESCE((`raw_status` IS NULL OR `raw_status` = ''), FALSE) THEN 'MISSING_REQUIRED:status:required' END,
      CASE WHEN COALESCE(((NOT (`raw_status` IS NULL OR `raw_status` = '')) AND (NOT (`raw_status` IN ('booked', 'cancelled', 'late_cancelled', 'attended', 'no_show')))), FALSE) THEN 'NOT_ALLOWED_VALUE:status:enum' END,
      CASE WHEN COALESCE(((NOT (`raw_cancelled_at` IS NULL OR `raw_cancelled_at` = '')) AND (`cancelled_at` IS NULL)), FALSE) THEN 'BAD_TYPE:cancelled_at:cast:TIMESTAMP' END,
      CASE WHEN COALESCE((`raw_channel` IS NULL OR `raw_channel` = ''), FALSE) THEN 'MISSING_REQUIRED:channel:required' END,
      CASE WHEN COALESCE(((NOT (`raw_channel` IS NULL OR `raw_channel` = '')) AND (NOT (`raw_channel` IN ('app', 'web', 'front_desk', 'kiosk')))), FALSE) THEN 'NOT_ALLOWED_VALUE:channel:enum' END,
      CASE WHEN COALESCE((`raw_updated_at` IS NULL OR `raw_updated_at` = ''), FALSE) THEN 'MISSING_REQUIRED:updated_at:required' END,
      CASE WHEN COALESCE(((NOT (`raw_updated_at` IS NULL OR `raw_updated_at` = '')) AND (`updated_at` IS NULL)), FALSE) THEN 'BAD_TYPE:updated_at:cast:TIMESTAMP' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`__known_member_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE:member_id:references:members.member_id' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`__known_class_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE:class_id:references:classes.class_id' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH:signup_id' END,
      CASE WHEN (`__seen_version` IS NOT NULL AND (`updated_at` IS NULL OR `__seen_version` >= `updated_at`)) THEN 'ALREADY_PROCESSED:signup_id' END), x -> x IS NOT NULL))) END AS `reason_details`
FROM flagged
WHERE `__rejected`

-- processed: the typed rows of every record that was not rejected, with their partition.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `signup_id` AS `raw_signup_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `booked_at` AS `raw_booked_at`,
    `status` AS `raw_status`,
    `cancelled_at` AS `raw_cancelled_at`,
    `channel` AS `raw_channel`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
),
typed AS (
  SELECT
    `record_number`,
    `raw_signup_id` AS `signup_id`,
    `raw_member_id` AS `member_id`,
    `raw_class_id` AS `class_id`,
    try_cast(`raw_booked_at` AS TIMESTAMP) AS `booked_at`,
    `raw_status` AS `status`,
    try_cast(`raw_cancelled_at` AS TIMESTAMP) AS `cancelled_at`,
    `raw_channel` AS `channel`,
    try_cast(`raw_updated_at` AS TIMESTAMP) AS `updated_at`
  FROM src LEFT ANTI JOIN `rejected_records` `__rejected` ON `__rejected`.`record_number` = src.`record_number`
)
SELECT
  `signup_id`,
  `member_id`,
  `class_id`,
  `booked_at`,
  `status`,
  `cancelled_at`,
  `channel`,
  `updated_at`,
  to_date(`booked_at`) AS `dt`
FROM typed
