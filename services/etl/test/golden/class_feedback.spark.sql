-- ETL of class_feedback (plan v1, spark): four statements, run in this order.

-- partitions: the days the batch's well-formed records name (before casting).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `feedback_id` AS `raw_feedback_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `submitted_at` AS `raw_submitted_at`,
    `rating` AS `raw_rating`,
    `comment` AS `raw_comment`,
    `would_recommend` AS `raw_would_recommend`,
    `channel` AS `raw_channel`
  FROM `raw_input`
)
SELECT DISTINCT substr(`raw_submitted_at`, 1, 10) AS `day`
FROM src
WHERE `malformed_detail` IS NULL AND `raw_submitted_at` IS NOT NULL

-- later_duplicates: records whose key is kept elsewhere in the batch (first record wins).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `feedback_id` AS `raw_feedback_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `submitted_at` AS `raw_submitted_at`,
    `rating` AS `raw_rating`,
    `comment` AS `raw_comment`,
    `would_recommend` AS `raw_would_recommend`,
    `channel` AS `raw_channel`
  FROM `raw_input`
),
repeated AS (
  SELECT `raw_feedback_id` FROM src
  WHERE `malformed_detail` IS NULL AND `raw_feedback_id` IS NOT NULL AND `raw_feedback_id` <> ''
  GROUP BY `raw_feedback_id`
  HAVING count(*) > 1
),
ranked AS (
  SELECT src.`record_number`, row_number() OVER (PARTITION BY src.`raw_feedback_id` ORDER BY src.`record_number`) AS `occurrence`
  FROM src LEFT SEMI JOIN repeated ON src.`raw_feedback_id` = repeated.`raw_feedback_id`
  WHERE src.`malformed_detail` IS NULL
)
SELECT `record_number` FROM ranked WHERE `occurrence` > 1

-- rejected_records: every record that fails a check, with all its reason codes.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `feedback_id` AS `raw_feedback_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `submitted_at` AS `raw_submitted_at`,
    `rating` AS `raw_rating`,
    `comment` AS `raw_comment`,
    `would_recommend` AS `raw_would_recommend`,
    `channel` AS `raw_channel`
  FROM `raw_input`
),
typed AS (
  SELECT
    src.*,
    `raw_feedback_id` AS `feedback_id`,
    `raw_member_id` AS `member_id`,
    `raw_class_id` AS `class_id`,
    CASE WHEN (`raw_submitted_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_submitted_at` AS TIMESTAMP) END AS `submitted_at`,
    CASE WHEN (`raw_rating` RLIKE '^[+-]?[0-9]+$') THEN try_cast(`raw_rating` AS INT) END AS `rating`,
    `raw_comment` AS `comment`,
    CASE WHEN (`raw_would_recommend` RLIKE '^(true|false)$') THEN try_cast(`raw_would_recommend` AS BOOLEAN) END AS `would_recommend`,
    `raw_channel` AS `channel`,
    ref_0.`__key` AS `__known_member_id`,
    ref_1.`__key` AS `__known_class_id`,
    `__later`.`record_number` AS `__later_record`,
    `__seen`.`__version` AS `__seen_version`
  FROM src
  LEFT JOIN (SELECT DISTINCT `member_id` AS `__key` FROM `known_members`) ref_0 ON ref_0.`__key` = src.`raw_member_id`
  LEFT JOIN (SELECT DISTINCT `class_id` AS `__key` FROM `known_classes`) ref_1 ON ref_1.`__key` = src.`raw_class_id`
  LEFT JOIN `later_duplicates` `__later` ON `__later`.`record_number` = src.`record_number`
  LEFT JOIN (SELECT `feedback_id`, TRUE AS `__version` FROM `processed_keys` GROUP BY `feedback_id`) `__seen` ON `__seen`.`feedback_id` = src.`raw_feedback_id`
),
flagged AS (
  SELECT
    typed.*,
    (`malformed_detail` IS NOT NULL
      OR COALESCE((`raw_feedback_id` IS NULL OR `raw_feedback_id` = ''), FALSE)
      OR COALESCE((char_length(`raw_feedback_id`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_feedback_id` IS NULL OR `raw_feedback_id` = '')) AND (NOT (`raw_feedback_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE)
      OR COALESCE((`raw_class_id` IS NULL OR `raw_class_id` = ''), FALSE)
      OR COALESCE((`raw_submitted_at` IS NULL OR `raw_submitted_at` = ''), FALSE)
      OR COALESCE(((NOT (`raw_submitted_at` IS NULL OR `raw_submitted_at` = '')) AND (`submitted_at` IS NULL)), FALSE)
      OR COALESCE((`raw_rating` IS NULL OR `raw_rating` = ''), FALSE)
      OR COALESCE(((NOT (`raw_rating` IS NULL OR `raw_rating` = '')) AND (`rating` IS NULL)), FALSE)
      OR COALESCE((`rating` < 1), FALSE)
      OR COALESCE((`rating` > 5), FALSE)
      OR COALESCE((char_length(`raw_comment`) > 500), FALSE)
      OR COALESCE(((NOT (`raw_comment` IS NULL OR `raw_comment` = '')) AND (NOT (`raw_comment` RLIKE '\\S'))), FALSE)
      OR COALESCE(((NOT (`raw_would_recommend` IS NULL OR `raw_would_recommend` = '')) AND (`would_recommend` IS NULL)), FALSE)
      OR COALESCE((`raw_channel` IS NULL OR `raw_channel` = ''), FALSE)
      OR COALESCE(((NOT (`raw_channel` IS NULL OR `raw_channel` = '')) AND (NOT (`raw_channel` IN ('app', 'email', 'kiosk')))), FALSE)
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
  `raw_feedback_id`,
  `raw_member_id`,
  `raw_class_id`,
  `raw_submitted_at`,
  `raw_rating`,
  `raw_comment`,
  `raw_would_recommend`,
  `raw_channel`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_feedback_id` IS NULL OR `raw_feedback_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_feedback_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_feedback_id` IS NULL OR `raw_feedback_id` = '')) AND (NOT (`raw_feedback_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_member_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`raw_member_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_class_id` IS NULL OR `raw_class_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_class_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`raw_class_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_submitted_at` IS NULL OR `raw_submitted_at` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_submitted_at` IS NULL OR `raw_submitted_at` = '')) AND (`submitted_at` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`raw_rating` IS NULL OR `raw_rating` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_rating` IS NULL OR `raw_rating` = '')) AND (`rating` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`rating` < 1), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE((`rating` > 5), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE((char_length(`raw_comment`) > 500), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_comment` IS NULL OR `raw_comment` = '')) AND (NOT (`raw_comment` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_would_recommend` IS NULL OR `raw_would_recommend` = '')) AND (`would_recommend` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`raw_channel` IS NULL OR `raw_channel` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_channel` IS NULL OR `raw_channel` = '')) AND (NOT (`raw_channel` IN ('app', 'email', 'kiosk')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`__known_member_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`__known_class_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH' END,
      CASE WHEN (`__seen_version` IS NOT NULL) THEN 'ALREADY_PROCESSED' END), x -> x IS NOT NULL))) END AS `reasons`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD:*'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_feedback_id` IS NULL OR `raw_feedback_id` = ''), FALSE) THEN 'MISSING_REQUIRED:feedback_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_feedback_id`) > 64), FALSE) THEN 'BAD_FORMAT:feedback_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_feedback_id` IS NULL OR `raw_feedback_id` = '')) AND (NOT (`raw_feedback_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:feedback_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE) THEN 'MISSING_REQUIRED:member_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_member_id`) > 64), FALSE) THEN 'BAD_FORMAT:member_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`raw_member_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:member_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_class_id` IS NULL OR `raw_class_id` = ''), FALSE) THEN 'MISSING_REQUIRED:class_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_class_id`) > 64), FALSE) THEN 'BAD_FORMAT:class_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`raw_class_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:class_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_submitted_at` IS NULL OR `raw_submitted_at` = ''), FALSE) THEN 'MISSING_REQUIRED:submitted_at:required' END,
      CASE WHEN COALESCE(((NOT (`raw_submitted_at` IS NULL OR `raw_submitted_at` = '')) AND (`submitted_at` IS NULL)), FALSE) THEN 'BAD_TYPE:submitted_at:cast:TIMESTAMP' END,
      CASE WHEN COALESCE((`raw_rating` IS NULL OR `raw_rating` = ''), FALSE) THEN 'MISSING_REQUIRED:rating:required' END,
      CASE WHEN COALESCE(((NOT (`raw_rating` IS NULL OR `raw_rating` = '')) AND (`rating` IS NULL)), FALSE) THEN 'BAD_TYPE:rating:cast:INTEGER' END,
      CASE WHEN COALESCE((`rating` < 1), FALSE) THEN 'OUT_OF_RANGE:rating:minimum:1' END,
      CASE WHEN COALESCE((`rating` > 5), FALSE) THEN 'OUT_OF_RANGE:rating:maximum:5' END,
      CASE WHEN COALESCE((char_length(`raw_comment`) > 500), FALSE) THEN 'BAD_FORMAT:comment:maxLength:500' END,
      CASE WHEN COALESCE(((NOT (`raw_comment` IS NULL OR `raw_comment` = '')) AND (NOT (`raw_comment` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT:comment:pattern:\\S' END,
      CASE WHEN COALESCE(((NOT (`raw_would_recommend` IS NULL OR `raw_would_recommend` = '')) AND (`would_recommend` IS NULL)), FALSE) THEN 'BAD_TYPE:would_recommend:cast:BOOLEAN' END,
      CASE WHEN COALESCE((`raw_channel` IS NULL OR `raw_channel` = ''), FALSE) THEN 'MISSING_REQUIRED:channel:required' END,
      CASE WHEN COALESCE(((NOT (`raw_channel` IS NULL OR `raw_channel` = '')) AND (NOT (`raw_channel` IN ('app', 'email', 'kiosk')))), FALSE) THEN 'NOT_ALLOWED_VALUE:channel:enum' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`__known_member_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE:member_id:references:members.member_id' END,
      CASE WHEN COALESCE(((NOT (`raw_class_id` IS NULL OR `raw_class_id` = '')) AND (NOT (`__known_class_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE:class_id:references:classes.class_id' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH:feedback_id' END,
      CASE WHEN (`__seen_version` IS NOT NULL) THEN 'ALREADY_PROCESSED:feedback_id' END), x -> x IS NOT NULL))) END AS `reason_details`
FROM flagged
WHERE `__rejected`

-- processed: the typed rows of every record that was not rejected, with their partition.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `feedback_id` AS `raw_feedback_id`,
    `member_id` AS `raw_member_id`,
    `class_id` AS `raw_class_id`,
    `submitted_at` AS `raw_submitted_at`,
    `rating` AS `raw_rating`,
    `comment` AS `raw_comment`,
    `would_recommend` AS `raw_would_recommend`,
    `channel` AS `raw_channel`
  FROM `raw_input`
),
typed AS (
  SELECT
    `record_number`,
    `raw_feedback_id` AS `feedback_id`,
    `raw_member_id` AS `member_id`,
    `raw_class_id` AS `class_id`,
    try_cast(`raw_submitted_at` AS TIMESTAMP) AS `submitted_at`,
    try_cast(`raw_rating` AS INT) AS `rating`,
    `raw_comment` AS `comment`,
    try_cast(`raw_would_recommend` AS BOOLEAN) AS `would_recommend`,
    `raw_channel` AS `channel`
  FROM src LEFT ANTI JOIN `rejected_records` `__rejected` ON `__rejected`.`record_number` = src.`record_number`
)
SELECT
  `feedback_id`,
  `member_id`,
  `class_id`,
  `submitted_at`,
  `rating`,
  `comment`,
  `would_recommend`,
  `channel`,
  to_date(`submitted_at`) AS `dt`
FROM typed
