-- ETL of transactions (plan v1, spark): four statements, run in this order.

-- partitions: the days the batch's well-formed records name (before casting).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `transaction_id` AS `raw_transaction_id`,
    `member_id` AS `raw_member_id`,
    `location_id` AS `raw_location_id`,
    `occurred_at` AS `raw_occurred_at`,
    `type` AS `raw_type`,
    `amount` AS `raw_amount`,
    `currency` AS `raw_currency`,
    `status` AS `raw_status`,
    `refund_of` AS `raw_refund_of`,
    `description` AS `raw_description`
  FROM `raw_input`
)
SELECT DISTINCT substr(`raw_occurred_at`, 1, 10) AS `day`
FROM src
WHERE `malformed_detail` IS NULL AND `raw_occurred_at` IS NOT NULL

-- later_duplicates: records whose key is kept elsewhere in the batch (first record wins).
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `transaction_id` AS `raw_transaction_id`,
    `member_id` AS `raw_member_id`,
    `location_id` AS `raw_location_id`,
    `occurred_at` AS `raw_occurred_at`,
    `type` AS `raw_type`,
    `amount` AS `raw_amount`,
    `currency` AS `raw_currency`,
    `status` AS `raw_status`,
    `refund_of` AS `raw_refund_of`,
    `description` AS `raw_description`
  FROM `raw_input`
),
repeated AS (
  SELECT `raw_transaction_id` FROM src
  WHERE `malformed_detail` IS NULL AND `raw_transaction_id` IS NOT NULL AND `raw_transaction_id` <> ''
  GROUP BY `raw_transaction_id`
  HAVING count(*) > 1
),
ranked AS (
  SELECT src.`record_number`, row_number() OVER (PARTITION BY src.`raw_transaction_id` ORDER BY src.`record_number`) AS `occurrence`
  FROM src LEFT SEMI JOIN repeated ON src.`raw_transaction_id` = repeated.`raw_transaction_id`
  WHERE src.`malformed_detail` IS NULL
)
SELECT `record_number` FROM ranked WHERE `occurrence` > 1

-- rejected_records: every record that fails a check, with all its reason codes.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `transaction_id` AS `raw_transaction_id`,
    `member_id` AS `raw_member_id`,
    `location_id` AS `raw_location_id`,
    `occurred_at` AS `raw_occurred_at`,
    `type` AS `raw_type`,
    `amount` AS `raw_amount`,
    `currency` AS `raw_currency`,
    `status` AS `raw_status`,
    `refund_of` AS `raw_refund_of`,
    `description` AS `raw_description`
  FROM `raw_input`
),
typed AS (
  SELECT
    src.*,
    `raw_transaction_id` AS `transaction_id`,
    `raw_member_id` AS `member_id`,
    `raw_location_id` AS `location_id`,
    CASE WHEN (`raw_occurred_at` RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN try_cast(`raw_occurred_at` AS TIMESTAMP) END AS `occurred_at`,
    `raw_type` AS `type`,
    CASE WHEN (`raw_amount` RLIKE '^[+-]?[0-9]+(\\.[0-9]+)?$') THEN try_cast(`raw_amount` AS DECIMAL(12,2)) END AS `amount`,
    `raw_currency` AS `currency`,
    `raw_status` AS `status`,
    `raw_refund_of` AS `refund_of`,
    `raw_description` AS `description`,
    ref_0.`__key` AS `__known_member_id`,
    `__later`.`record_number` AS `__later_record`,
    `__seen`.`__version` AS `__seen_version`
  FROM src
  LEFT JOIN (SELECT DISTINCT `member_id` AS `__key` FROM `known_members`) ref_0 ON ref_0.`__key` = src.`raw_member_id`
  LEFT JOIN `later_duplicates` `__later` ON `__later`.`record_number` = src.`record_number`
  LEFT JOIN (SELECT `transaction_id`, TRUE AS `__version` FROM `processed_keys` GROUP BY `transaction_id`) `__seen` ON `__seen`.`transaction_id` = src.`raw_transaction_id`
),
flagged AS (
  SELECT
    typed.*,
    (`malformed_detail` IS NOT NULL
      OR COALESCE((`raw_transaction_id` IS NULL OR `raw_transaction_id` = ''), FALSE)
      OR COALESCE((char_length(`raw_transaction_id`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_transaction_id` IS NULL OR `raw_transaction_id` = '')) AND (NOT (`raw_transaction_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE)
      OR COALESCE((`raw_location_id` IS NULL OR `raw_location_id` = ''), FALSE)
      OR COALESCE((char_length(`raw_location_id`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_location_id` IS NULL OR `raw_location_id` = '')) AND (NOT (`raw_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((`raw_occurred_at` IS NULL OR `raw_occurred_at` = ''), FALSE)
      OR COALESCE(((NOT (`raw_occurred_at` IS NULL OR `raw_occurred_at` = '')) AND (`occurred_at` IS NULL)), FALSE)
      OR COALESCE((`raw_type` IS NULL OR `raw_type` = ''), FALSE)
      OR COALESCE(((NOT (`raw_type` IS NULL OR `raw_type` = '')) AND (NOT (`raw_type` IN ('membership', 'drop_in', 'class_pack', 'retail', 'refund')))), FALSE)
      OR COALESCE((`raw_amount` IS NULL OR `raw_amount` = ''), FALSE)
      OR COALESCE(((NOT (`raw_amount` IS NULL OR `raw_amount` = '')) AND (`amount` IS NULL)), FALSE)
      OR COALESCE((`amount` < 0), FALSE)
      OR COALESCE((`amount` > 100000), FALSE)
      OR COALESCE((CASE WHEN (`raw_amount` RLIKE '^[+-]?[0-9]+(\\.[0-9]+)?$') THEN try_cast(`raw_amount` AS DECIMAL(38,10)) END <> round(CASE WHEN (`raw_amount` RLIKE '^[+-]?[0-9]+(\\.[0-9]+)?$') THEN try_cast(`raw_amount` AS DECIMAL(38,10)) END, 2)), FALSE)
      OR COALESCE((`raw_currency` IS NULL OR `raw_currency` = ''), FALSE)
      OR COALESCE(((NOT (`raw_currency` IS NULL OR `raw_currency` = '')) AND (NOT (`raw_currency` IN ('USD')))), FALSE)
      OR COALESCE((`raw_status` IS NULL OR `raw_status` = ''), FALSE)
      OR COALESCE(((NOT (`raw_status` IS NULL OR `raw_status` = '')) AND (NOT (`raw_status` IN ('settled', 'pending', 'failed')))), FALSE)
      OR COALESCE((char_length(`raw_refund_of`) > 64), FALSE)
      OR COALESCE(((NOT (`raw_refund_of` IS NULL OR `raw_refund_of` = '')) AND (NOT (`raw_refund_of` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE((char_length(`raw_description`) > 200), FALSE)
      OR COALESCE(((NOT (`raw_description` IS NULL OR `raw_description` = '')) AND (NOT (`raw_description` RLIKE '\\S'))), FALSE)
      OR COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`__known_member_id` IS NOT NULL))), FALSE)
      OR (`__later_record` IS NOT NULL)
      OR (`__seen_version` IS NOT NULL)) AS `__rejected`
  FROM typed
)
SELECT
  `record_number`,
  `malformed_detail`,
  `raw_record`,
  `raw_transaction_id`,
  `raw_member_id`,
  `raw_location_id`,
  `raw_occurred_at`,
  `raw_type`,
  `raw_amount`,
  `raw_currency`,
  `raw_status`,
  `raw_refund_of`,
  `raw_description`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_transaction_id` IS NULL OR `raw_transaction_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_transaction_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_transaction_id` IS NULL OR `raw_transaction_id` = '')) AND (NOT (`raw_transaction_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_member_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`raw_member_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_location_id` IS NULL OR `raw_location_id` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((char_length(`raw_location_id`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_location_id` IS NULL OR `raw_location_id` = '')) AND (NOT (`raw_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((`raw_occurred_at` IS NULL OR `raw_occurred_at` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_occurred_at` IS NULL OR `raw_occurred_at` = '')) AND (`occurred_at` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`raw_type` IS NULL OR `raw_type` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_type` IS NULL OR `raw_type` = '')) AND (NOT (`raw_type` IN ('membership', 'drop_in', 'class_pack', 'retail', 'refund')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE((`raw_amount` IS NULL OR `raw_amount` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_amount` IS NULL OR `raw_amount` = '')) AND (`amount` IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE((`amount` < 0), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE((`amount` > 100000), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE((CASE WHEN (`raw_amount` RLIKE '^[+-]?[0-9]+(\\.[0-9]+)?$') THEN try_cast(`raw_amount` AS DECIMAL(38,10)) END <> round(CASE WHEN (`raw_amount` RLIKE '^[+-]?[0-9]+(\\.[0-9]+)?$') THEN try_cast(`raw_amount` AS DECIMAL(38,10)) END, 2)), FALSE) THEN 'BAD_PRECISION' END,
      CASE WHEN COALESCE((`raw_currency` IS NULL OR `raw_currency` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_currency` IS NULL OR `raw_currency` = '')) AND (NOT (`raw_currency` IN ('USD')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE((`raw_status` IS NULL OR `raw_status` = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT (`raw_status` IS NULL OR `raw_status` = '')) AND (NOT (`raw_status` IN ('settled', 'pending', 'failed')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE((char_length(`raw_refund_of`) > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_refund_of` IS NULL OR `raw_refund_of` = '')) AND (NOT (`raw_refund_of` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE((char_length(`raw_description`) > 200), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_description` IS NULL OR `raw_description` = '')) AND (NOT (`raw_description` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`__known_member_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH' END,
      CASE WHEN (`__seen_version` IS NOT NULL) THEN 'ALREADY_PROCESSED' END), x -> x IS NOT NULL))) END AS `reasons`,
  CASE WHEN `malformed_detail` IS NOT NULL THEN array_sort(array_distinct(filter(array(
      'MALFORMED_RECORD:*'), x -> x IS NOT NULL))) ELSE array_sort(array_distinct(filter(array(
      CASE WHEN COALESCE((`raw_transaction_id` IS NULL OR `raw_transaction_id` = ''), FALSE) THEN 'MISSING_REQUIRED:transaction_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_transaction_id`) > 64), FALSE) THEN 'BAD_FORMAT:transaction_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_transaction_id` IS NULL OR `raw_transaction_id` = '')) AND (NOT (`raw_transaction_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:transaction_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_member_id` IS NULL OR `raw_member_id` = ''), FALSE) THEN 'MISSING_REQUIRED:member_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_member_id`) > 64), FALSE) THEN 'BAD_FORMAT:member_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`raw_member_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:member_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_location_id` IS NULL OR `raw_location_id` = ''), FALSE) THEN 'MISSING_REQUIRED:location_id:required' END,
      CASE WHEN COALESCE((char_length(`raw_location_id`) > 64), FALSE) THEN 'BAD_FORMAT:location_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_location_id` IS NULL OR `raw_location_id` = '')) AND (NOT (`raw_location_id` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:location_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((`raw_occurred_at` IS NULL OR `raw_occurred_at` = ''), FALSE) THEN 'MISSING_REQUIRED:occurred_at:required' END,
      CASE WHEN COALESCE(((NOT (`raw_occurred_at` IS NULL OR `raw_occurred_at` = '')) AND (`occurred_at` IS NULL)), FALSE) THEN 'BAD_TYPE:occurred_at:cast:TIMESTAMP' END,
      CASE WHEN COALESCE((`raw_type` IS NULL OR `raw_type` = ''), FALSE) THEN 'MISSING_REQUIRED:type:required' END,
      CASE WHEN COALESCE(((NOT (`raw_type` IS NULL OR `raw_type` = '')) AND (NOT (`raw_type` IN ('membership', 'drop_in', 'class_pack', 'retail', 'refund')))), FALSE) THEN 'NOT_ALLOWED_VALUE:type:enum' END,
      CASE WHEN COALESCE((`raw_amount` IS NULL OR `raw_amount` = ''), FALSE) THEN 'MISSING_REQUIRED:amount:required' END,
      CASE WHEN COALESCE(((NOT (`raw_amount` IS NULL OR `raw_amount` = '')) AND (`amount` IS NULL)), FALSE) THEN 'BAD_TYPE:amount:cast:DECIMAL(12,2)' END,
      CASE WHEN COALESCE((`amount` < 0), FALSE) THEN 'OUT_OF_RANGE:amount:minimum:0' END,
      CASE WHEN COALESCE((`amount` > 100000), FALSE) THEN 'OUT_OF_RANGE:amount:maximum:100000' END,
      CASE WHEN COALESCE((CASE WHEN (`raw_amount` RLIKE '^[+-]?[0-9]+(\\.[0-9]+)?$') THEN try_cast(`raw_amount` AS DECIMAL(38,10)) END <> round(CASE WHEN (`raw_amount` RLIKE '^[+-]?[0-9]+(\\.[0-9]+)?$') THEN try_cast(`raw_amount` AS DECIMAL(38,10)) END, 2)), FALSE) THEN 'BAD_PRECISION:amount:multipleOf:0.01' END,
      CASE WHEN COALESCE((`raw_currency` IS NULL OR `raw_currency` = ''), FALSE) THEN 'MISSING_REQUIRED:currency:required' END,
      CASE WHEN COALESCE(((NOT (`raw_currency` IS NULL OR `raw_currency` = '')) AND (NOT (`raw_currency` IN ('USD')))), FALSE) THEN 'NOT_ALLOWED_VALUE:currency:enum' END,
      CASE WHEN COALESCE((`raw_status` IS NULL OR `raw_status` = ''), FALSE) THEN 'MISSING_REQUIRED:status:required' END,
      CASE WHEN COALESCE(((NOT (`raw_status` IS NULL OR `raw_status` = '')) AND (NOT (`raw_status` IN ('settled', 'pending', 'failed')))), FALSE) THEN 'NOT_ALLOWED_VALUE:status:enum' END,
      CASE WHEN COALESCE((char_length(`raw_refund_of`) > 64), FALSE) THEN 'BAD_FORMAT:refund_of:maxLength:64' END,
      CASE WHEN COALESCE(((NOT (`raw_refund_of` IS NULL OR `raw_refund_of` = '')) AND (NOT (`raw_refund_of` RLIKE '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:refund_of:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE((char_length(`raw_description`) > 200), FALSE) THEN 'BAD_FORMAT:description:maxLength:200' END,
      CASE WHEN COALESCE(((NOT (`raw_description` IS NULL OR `raw_description` = '')) AND (NOT (`raw_description` RLIKE '\\S'))), FALSE) THEN 'BAD_FORMAT:description:pattern:\\S' END,
      CASE WHEN COALESCE(((NOT (`raw_member_id` IS NULL OR `raw_member_id` = '')) AND (NOT (`__known_member_id` IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE:member_id:references:members.member_id' END,
      CASE WHEN (`__later_record` IS NOT NULL) THEN 'DUPLICATE_IN_BATCH:transaction_id' END,
      CASE WHEN (`__seen_version` IS NOT NULL) THEN 'ALREADY_PROCESSED:transaction_id' END), x -> x IS NOT NULL))) END AS `reason_details`
FROM flagged
WHERE `__rejected`

-- processed: the typed rows of every record that was not rejected, with their partition.
WITH src AS (
  SELECT
    `__rec` AS `record_number`,
    `__malformed` AS `malformed_detail`,
    `__raw` AS `raw_record`,
    `transaction_id` AS `raw_transaction_id`,
    `member_id` AS `raw_member_id`,
    `location_id` AS `raw_location_id`,
    `occurred_at` AS `raw_occurred_at`,
    `type` AS `raw_type`,
    `amount` AS `raw_amount`,
    `currency` AS `raw_currency`,
    `status` AS `raw_status`,
    `refund_of` AS `raw_refund_of`,
    `description` AS `raw_description`
  FROM `raw_input`
),
typed AS (
  SELECT
    `record_number`,
    `raw_transaction_id` AS `transaction_id`,
    `raw_member_id` AS `member_id`,
    `raw_location_id` AS `location_id`,
    try_cast(`raw_occurred_at` AS TIMESTAMP) AS `occurred_at`,
    `raw_type` AS `type`,
    try_cast(`raw_amount` AS DECIMAL(12,2)) AS `amount`,
    `raw_currency` AS `currency`,
    `raw_status` AS `status`,
    `raw_refund_of` AS `refund_of`,
    `raw_description` AS `description`
  FROM src LEFT ANTI JOIN `rejected_records` `__rejected` ON `__rejected`.`record_number` = src.`record_number`
)
SELECT
  `transaction_id`,
  `member_id`,
  `location_id`,
  `occurred_at`,
  `type`,
  `amount`,
  `currency`,
  `status`,
  `refund_of`,
  `description`,
  to_date(`occurred_at`) AS `dt`
FROM typed
