-- ETL of members (plan v1, spark): four statements, run in this order.

-- partitions: the days the batch's well-formed records name (before casting).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `member_id` AS `raw_member_id`,
    `email` AS `raw_email`,
    `first_name` AS `raw_first_name`,
    `last_name` AS `raw_last_name`,
    `home_location_id` AS `raw_home_location_id`,
    `join_date` AS `raw_join_date`,
    `plan` AS `raw_plan`,
    `status` AS `raw_status`,
    `cancelled_on` AS `raw_cancelled_on`,
    `birth_year` AS `raw_birth_year`,
    `marketing_opt_in` AS `raw_marketing_opt_in`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
)
SELECT DISTINCT substr(`raw_join_date`, 1, 10) AS `day`
FROM src
WHERE `malformed_detail` IS NULL AND `raw_join_date` IS NOT NULL

-- later_duplicates: records whose key is kept elsewhere in the batch (newest updated_at, then first record wins).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `member_id` AS `raw_member_id`,
    `email` AS `raw_email`,
    `first_name` AS `raw_first_name`,
    `last_name` AS `raw_last_name`,
    `home_location_id` AS `raw_home_location_id`,
    `join_date` AS `raw_join_date`,
    `plan` AS `raw_plan`,
    `status` AS `raw_status`,
    `cancelled_on` AS `raw_cancelled_on`,
    `birth_year` AS `raw_birth_year`,
    `marketing_opt_in` AS `raw_marketing_opt_in`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
),
repeated AS (
  SELECT `raw_member_id` FROM src
  WHERE `malformed_detail` IS NULL AND `raw_member_id` IS NOT NULL AND `raw_member_id` <> ''
  GROUP BY `raw_member_id`
  HAVING count(*) > 1
),
ranked AS (
  SELECT src.`record_number`, row_number() OVER (PARTITION BY src.`raw_member_id` ORDER BY CASE WHEN (`raw_updated_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_updated_at` AS TIMESTAMP) END DESC NULLS LAST, src.`record_number`) AS `occurrence`
  FROM src LEFT SEMI JOIN repeated ON src.`raw_member_id` = repeated.`raw_member_id`
  WHERE src.`malformed_detail` IS NULL
)
SELECT `record_number` FROM ranked WHERE `occurrence` > 1

-- rejected_records: every record that fails a check, with all its reason codes.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `member_id` AS `raw_member_id`,
    `email` AS `raw_email`,
    `first_name` AS `raw_first_name`,
    `last_name` AS `raw_last_name`,
    `home_location_id` AS `raw_home_location_id`,
    `join_date` AS `raw_join_date`,
    `plan` AS `raw_plan`,
    `status` AS `raw_status`,
    `cancelled_on` AS `raw_cancelled_on`,
    `birth_year` AS `raw_birth_year`,
    `marketing_opt_in` AS `raw_marketing_opt_in`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
),
typed AS (
  SELECT
    src.*,
    `raw_member_id` AS `member_id`,
    `raw_email` AS `email`,
    `raw_first_name` AS `first_name`,
    `raw_last_name` AS `last_name`,
    `raw_home_location_id` AS `home_location_id`,
    CASE WHEN (`raw_join_date` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') THEN try_cast(`raw_join_date` AS DATE) END AS `join_date`,
    `raw_plan` AS `plan`,
    `raw_status` AS `status`,
    CASE WHEN (`raw_cancelled_on` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') THEN try_cast(`raw_cancelled_on` AS DATE) END AS `cancelled_on`,
    CASE WHEN (`raw_birth_year` RLIKE '^[+-]?[0-9]+$') THEN try_cast(`raw_birth_year` AS INT) END AS `birth_year`,
    CASE WHEN (`raw_marketing_opt_in` RLIKE '^(true|false)$') THEN try_cast(`raw_marketing_opt_in` AS BOOLEAN) END AS `marketing_opt_in`,
    CASE WHEN (`raw_updated_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_updated_at` AS TIMESTAMP) END AS `updated_at`,
    `__later`.`record_number` AS `__later_record`,
    `__seen`.`__version` AS `__seen_version`
  FROM src
  LEFT JOIN `later_duplicates` `__later` ON `__later`.`record_number` = src.`record_number`
  LEFT JOIN (SELECT `member_id`, max(`updated_at`) AS `__version` FROM `processed_keys` GROUP BY `member_id`) `__seen` ON `__seen`.`member_id` = src.`raw_member_id`
),
flagged AS (
  SELECT
    typed.*,
    (`malformed_detail` IS NOT NULL
      OR COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE)
      OR COALESCE((char_length(`raw_member_id`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`raw_member_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((`raw_email` IS NULL OR `raw_email` = ''), FALSE)
      OR COALESCE((char_length(`raw_email`) > 254), FALSE)
      OR COALESCE(((NOT (`raw_email` IS NULL OR `raw_email` = '')) AND (NOT (`raw_email` RLIKE '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'))), FALSE)
      OR COALESCE((`raw_first_name` IS NULL OR `raw_first_name` = ''), FALSE)
      OR COALESCE((char_length(`raw_first_name`) > 80), FALSE)
      OR COALESCE(((NOT (`raw_first_name` IS NULL OR `raw_first_name` = '')) AND (NOT (`raw_first_name` RLIKE '\\S'))), FALSE)
      OR COALESCE((`raw_last_name` IS NULL OR `raw_last_name` = ''), FALSE)
      OR COALESCE((char_length(`raw_last_name`) > 80), FALSE)
      OR COALESCE(((NOT (`raw_last_name` IS NULL OR `raw_last_name` = '')) AND (NOT (`raw_last_name` RLIKE '\\S'))), FALSE)
      OR COALESCE((`raw_home_location_id` IS NULL OR `raw_home_location_id` = ''), FALSE)
      OR COALESCE((char_length(`raw_home_location_id`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_home_location_id` IS NULL OR `raw_home_location_id` = '')) AND (NOT (`raw_home_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((`raw_join_date` IS NULL OR `raw_join_date` = ''), FALSE)
      OR COALESCE(((NOT (`raw_join_date` IS NULL OR `raw_join_date` = '')) AND (`join_date` IS NULL)), FALSE)
      OR COALESCE((`raw_plan` IS NULL OR `raw_plan` = ''), FALSE)
      OR COALESCE(((NOT (`raw_plan` IS NULL OR `raw_plan` = '')) AND (NOT (`raw_plan` IN ('unlimited', 'eight_per_month', 'four_per_month', 'annual_unlimited', 'class_pack', 'intro_offer')))), FALSE)
      OR COALESCE((`raw_status` IS NULL OR `raw_status` = ''), FALSE)
      OR COALESCE(((NOT (`raw_status` IS NULL OR `raw_status` = '')) AND (NOT (`raw_status` IN ('active', 'frozen', 'cancelled')))), FALSE)
      OR COALESCE(((NOT (`raw_cancelled_on` IS NULL OR `raw_cancelled_on` = '')) AND (`cancelled_on` IS NULL)), FALSE)
      OR COALESCE(((NOT (`raw_birth_year` IS NULL OR `raw_birth_year` = '')) AND (`birth_year` IS NULL)), FALSE)
      OR COALESCE((`birth_year` < 1900), FALSE)
      OR COALESCE((`birth_year` > 2020), FALSE)
      OR COALESCE((`raw_marketing_opt_in` IS NULL OR `raw_marketing_opt_in` = ''), FALSE)
      OR COALESCE(((NOT (`raw_marketing_opt_in` IS NULL OR `raw_marketing_opt_in` = '')) AND (`marketing_opt_in` IS NULL)), FALSE)
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
  `raw_member_id`,
  `raw_email`,
  `raw_first_name`,
  `raw_last_name`,
  `raw_home_location_id`,
  `raw_join_date`,
  `raw_plan`,
  `raw_status`,
  `raw_cancelled_on`,
  `raw_birth_year`,
  `raw_marketing_opt_in`,
  `raw_updated_at`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_member_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`raw_member_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_email` IS NULL OR `raw_email` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_email`) > 254), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_email` IS NULL OR `raw_email` = '')) AND (NOT (`raw_email` RLIKE '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_first_name` IS NULL OR `raw_first_name` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_first_name`) > 80), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_first_name` IS NULL OR `raw_first_name` = '')) AND (NOT (`raw_first_name` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_last_name` IS NULL OR `raw_last_name` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_last_name`) > 80), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_last_name` IS NULL OR `raw_last_name` = '')) AND (NOT (`raw_last_name` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_home_location_id` IS NULL OR `raw_home_location_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_home_location_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_home_location_id` IS NULL OR `raw_home_location_id` = '')) AND (NOT (`raw_home_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_join_date` IS NULL OR `raw_join_date` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_join_date` IS NULL OR `raw_join_date` = '')) AND (`join_date` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`raw_plan` IS NULL OR `raw_plan` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_plan` IS NULL OR `raw_plan` = '')) AND (NOT (`raw_plan` IN ('unlimited', 'eight_per_month', 'four_per_month', 'annual_unlimited', 'class_pack', 'intro_offer')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE((`raw_status` IS NULL OR `raw_status` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_status` IS NULL OR `raw_status` = '')) AND (NOT (`raw_status` IN ('active', 'frozen', 'cancelled')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE(((NOT (`raw_cancelled_on` IS NULL OR `raw_cancelled_on` = '')) AND (`cancelled_on` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE(((NOT (`raw_birth_year` IS NULL OR `raw_birth_year` = '')) AND (`birth_year` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`birth_year` < 1900), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE((`birth_year` > 2020), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE((`raw_marketing_opt_in` IS NULL OR `raw_marketing_opt_in` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_marketing_opt_in` IS NULL OR `raw_marketing_opt_in` = '')) AND (`marketing_opt_in` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`raw_updated_at` IS NULL OR `raw_updated_at` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_updated_at` IS NULL OR `raw_updated_at` = '')) AND (`updated_at` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH' END,
      CASE WHEN (`__seen_version` IS NOT NULL AND (`updated_at` IS NULL OR `__seen_version` >= `updated_at`)) THEN 'ALREADY_PROCESSED' END), x -> x IS NOT NULL))) END AS `reasons`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD:*'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE) THEN 'MISSING_REQUIRED:member_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_member_id`) > 64), FALSE) THEN 'BAD_FORMAT:member_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`raw_member_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:member_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_email` IS NULL OR `raw_email` = ''), FALSE) THEN 'MISSING_REQUIRED:email:required' END,
      CASE WHEN COALESCE((char_length(`raw_email`) > 254), FALSE) THEN 'BAD_FORMAT:email:maxLength:254' END,
      CASE WHEN COALESCE(((NOT (`raw_email` IS NULL OR `raw_email` = '')) AND (NOT (`raw_email` RLIKE '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'))), FALSE) THEN 'BAD_FORMAT:email:format:email' END,
      CASE WHEN COALESCE((`raw_first_name` IS NULL OR `raw_first_name` = ''), FALSE) THEN 'MISSING_REQUIRED:first_name:required' END,
      CASE WHEN COALESCE((char_length(`raw_first_name`) > 80), FALSE) THEN 'BAD_FORMAT:first_name:maxLength:80' END,
      CASE WHEN COALESCE(((NOT (`raw_first_name` IS NULL OR `raw_first_name` = '')) AND (NOT (`raw_first_name` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT:first_name:pattern:\\S' END,
      CASE WHEN COALESCE((`raw_last_name` IS NULL OR `raw_last_name` = ''), FALSE) THEN 'MISSING_REQUIRED:last_name:required' END,
      CASE WHEN COALESCE((char_length(`raw_last_name`) > 80), FALSE) THEN 'BAD_FORMAT:last_name:maxLength:80' END,
      CASE WHEN COALESCE(((NOT (`raw_last_name` IS NULL OR `raw_last_name` = '')) AND (NOT (`raw_last_name` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT:last_name:pattern:\\S' END,
      CASE WHEN COALESCE((`raw_home_location_id` IS NULL OR `raw_home_location_id` = ''), FALSE) THEN 'MISSING_REQUIRED:home_location_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_home_location_id`) > 64), FALSE) THEN 'BAD_FORMAT:home_location_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_home_location_id` IS NULL OR `raw_home_location_id` = '')) AND (NOT (`raw_home_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:home_location_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_join_date` IS NULL OR `raw_join_date` = ''), FALSE) THEN 'MISSING_REQUIRED:join_date:required' END,
      CASE WHEN COALESCE(((NOT (`raw_join_date` IS NULL OR `raw_join_date` = '')) AND (`join_date` IS NULL)), FALSE) THEN 'BAD_TYPE:join_date:cast:DATE' END,
      CASE WHEN COALESCE((`raw_plan` IS NULL OR `raw_plan` = ''), FALSE) THEN 'MISSING_REQUIRED:plan:required' END,
      CASE WHEN COALESCE(((NOT (`raw_plan` IS NULL OR `raw_plan` = '')) AND (NOT (`raw_plan` IN ('unlimited', 'eight_per_month', 'four_per_month', 'annual_unlimited', 'class_pack', 'intro_offer')))), FALSE) THEN 'NOT_ALLOWED_VALUE:plan:enum' END,
      CASE WHEN COALESCE((`raw_status` IS NULL OR `raw_status` = ''), FALSE) THEN 'MISSING_REQUIRED:status:required' END,
      CASE WHEN COALESCE(((NOT (`raw_status` IS NULL OR `raw_status` = '')) AND (NOT (`raw_status` IN ('active', 'frozen', 'cancelled')))), FALSE) THEN 'NOT_ALLOWED_VALUE:status:enum' END,
      CASE WHEN COALESCE(((NOT (`raw_cancelled_on` IS NULL OR `raw_cancelled_on` = '')) AND (`cancelled_on` IS NULL)), FALSE) THEN 'BAD_TYPE:cancelled_on:cast:DATE' END,
      CASE WHEN COALESCE(((NOT (`raw_birth_year` IS NULL OR `raw_birth_year` = '')) AND (`birth_year` IS NULL)), FALSE) THEN 'BAD_TYPE:birth_year:cast:INTEGER' END,
      CASE WHEN COALESCE((`birth_year` < 1900), FALSE) THEN 'OUT_OF_RANGE:birth_year:minimum:1900' END,
      CASE WHEN COALESCE((`birth_year` > 2020), FALSE) THEN 'OUT_OF_RANGE:birth_year:maximum:2020' END,
      CASE WHEN COALESCE((`raw_marketing_opt_in` IS NULL OR `raw_marketing_opt_in` = ''), FALSE) THEN 'MISSING_REQUIRED:marketing_opt_in:required' END,
      CASE WHEN COALESCE(((NOT (`raw_marketing_opt_in` IS NULL OR `raw_marketing_opt_in` = '')) AND (`marketing_opt_in` IS NULL)), FALSE) THEN 'BAD_TYPE:marketing_opt_in:cast:BOOLEAN' END,
      CASE WHEN COALESCE((`raw_updated_at` IS NULL OR `raw_updated_at` = ''), FALSE) THEN 'MISSING_REQUIRED:updated_at:required' END,
      CASE WHEN COALESCE(((NOT (`raw_updated_at` IS NULL OR `raw_updated_at` = '')) AND (`updated_at` IS NULL)), FALSE) THEN 'BAD_TYPE:updated_at:cast:TIMESTAMP' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH:member_id' END,
      CASE WHEN (`__seen_version` IS NOT NULL AND (`updated_at` IS NULL OR `__seen_version` >= `updated_at`)) THEN 'ALREADY_PROCESSED:member_id' END), x -> x IS NOT NULL))) END AS `reason_details`
FROM flagged
WHERE `__rejected`

-- processed: the typed rows of every record that was not rejected, with their partition.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `member_id` AS `raw_member_id`,
    `email` AS `raw_email`,
    `first_name` AS `raw_first_name`,
    `last_name` AS `raw_last_name`,
    `home_location_id` AS `raw_home_location_id`,
    `join_date` AS `raw_join_date`,
    `plan` AS `raw_plan`,
    `status` AS `raw_status`,
    `cancelled_on` AS `raw_cancelled_on`,
    `birth_year` AS `raw_birth_year`,
    `marketing_opt_in` AS `raw_marketing_opt_in`,
    `updated_at` AS `raw_updated_at`
  FROM `raw_input`
),
typed AS (
  SELECT
    `record_number`,
    `raw_member_id` AS `member_id`,
    `raw_email` AS `email`,
    `raw_first_name` AS `first_name`,
    `raw_last_name` AS `last_name`,
    `raw_home_location_id` AS `home_location_id`,
    try_cast(`raw_join_date` AS DATE) AS `join_date`,
    `raw_plan` AS `plan`,
    `raw_status` AS `status`,
    try_cast(`raw_cancelled_on` AS DATE) AS `cancelled_on`,
    try_cast(`raw_birth_year` AS INT) AS `birth_year`,
    try_cast(`raw_marketing_opt_in` AS BOOLEAN) AS `marketing_opt_in`,
    try_cast(`raw_updated_at` AS TIMESTAMP) AS `updated_at`
  FROM src LEFT ANTI JOIN `rejected_records` `__rejected` ON `__rejected`.`record_number` = src.`record_number`
)
SELECT
  `member_id`,
  `email`,
  `first_name`,
  `last_name`,
  `home_location_id`,
  `join_date`,
  `plan`,
  `status`,
  `cancelled_on`,
  `birth_year`,
  `marketing_opt_in`,
  `updated_at`,
  to_date(`join_date`) AS `dt`
FROM typed
