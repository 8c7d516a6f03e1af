-- ETL of engagement (plan v1, duckdb): four statements, run in this order.

-- partitions: the days the batch's well-formed records name (before casting).
WITH src AS NOT MATERIALIZED (
  SELECT
    "__rec" AS "record_number",
    "__malformed" AS "malformed_detail",
    "__raw" AS "raw_record",
    "event_id" AS "raw_event_id",
    "member_id" AS "raw_member_id",
    "occurred_at" AS "raw_occurred_at",
    "event_type" AS "raw_event_type",
    "platform" AS "raw_platform",
    "session_id" AS "raw_session_id",
    "duration_seconds" AS "raw_duration_seconds"
  FROM "raw_input"
)
SELECT DISTINCT substr("raw_occurred_at", 1, 10) AS "day"
FROM src
WHERE "malformed_detail" IS NULL AND "raw_occurred_at" IS NOT NULL

-- later_duplicates: records whose key is kept elsewhere in the batch (first record wins).
WITH src AS NOT MATERIALIZED (
  SELECT
    "__rec" AS "record_number",
    "__malformed" AS "malformed_detail",
    "__raw" AS "raw_record",
    "event_id" AS "raw_event_id",
    "member_id" AS "raw_member_id",
    "occurred_at" AS "raw_occurred_at",
    "event_type" AS "raw_event_type",
    "platform" AS "raw_platform",
    "session_id" AS "raw_session_id",
    "duration_seconds" AS "raw_duration_seconds"
  FROM "raw_input"
),
repeated AS (
  SELECT "raw_event_id" FROM src
  WHERE "malformed_detail" IS NULL AND "raw_event_id" IS NOT NULL AND "raw_event_id" <> ''
  GROUP BY "raw_event_id"
  HAVING count(*) > 1
),
ranked AS (
  SELECT src."record_number", row_number() OVER (PARTITION BY src."raw_event_id" ORDER BY src."record_number") AS "occurrence"
  FROM src SEMI JOIN repeated ON src."raw_event_id" = repeated."raw_event_id"
  WHERE src."malformed_detail" IS NULL
)
SELECT "record_number" FROM ranked WHERE "occurrence" > 1

-- rejected_records: every record that fails a check, with all its reason codes.
WITH src AS NOT MATERIALIZED (
  SELECT
    "__rec" AS "record_number",
    "__malformed" AS "malformed_detail",
    "__raw" AS "raw_record",
    "event_id" AS "raw_event_id",
    "member_id" AS "raw_member_id",
    "occurred_at" AS "raw_occurred_at",
    "event_type" AS "raw_event_type",
    "platform" AS "raw_platform",
    "session_id" AS "raw_session_id",
    "duration_seconds" AS "raw_duration_seconds"
  FROM "raw_input"
),
typed AS (
  SELECT
    src.*,
    "raw_event_id" AS "event_id",
    "raw_member_id" AS "member_id",
    CASE WHEN regexp_matches("raw_occurred_at", '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$') THEN make_timestamp(epoch_us(TRY_CAST("raw_occurred_at" AS TIMESTAMPTZ))) END AS "occurred_at",
    "raw_event_type" AS "event_type",
    "raw_platform" AS "platform",
    "raw_session_id" AS "session_id",
    CASE WHEN regexp_matches("raw_duration_seconds", '^[+-]?[0-9]+$') THEN TRY_CAST("raw_duration_seconds" AS INTEGER) END AS "duration_seconds",
    ref_0."__key" AS "__known_member_id",
    "__later"."record_number" AS "__later_record",
    "__seen"."__version" AS "__seen_version"
  FROM src
  LEFT JOIN (SELECT DISTINCT "member_id" AS "__key" FROM "known_members") ref_0 ON ref_0."__key" = src."raw_member_id"
  LEFT JOIN "later_duplicates" "__later" ON "__later"."record_number" = src."record_number"
  LEFT JOIN (SELECT "event_id", TRUE AS "__version" FROM "processed_keys" GROUP BY "event_id") "__seen" ON "__seen"."event_id" = src."raw_event_id"
),
flagged AS (
  SELECT
    typed.*,
    ("malformed_detail" IS NOT NULL
      OR COALESCE(("raw_event_id" IS NULL OR "raw_event_id" = ''), FALSE)
      OR COALESCE((length("raw_event_id") > 64), FALSE)
      OR COALESCE(((NOT ("raw_event_id" IS NULL OR "raw_event_id" = '')) AND (NOT regexp_matches("raw_event_id", '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE(("raw_member_id" IS NULL OR "raw_member_id" = ''), FALSE)
      OR COALESCE(("raw_occurred_at" IS NULL OR "raw_occurred_at" = ''), FALSE)
      OR COALESCE(((NOT ("raw_occurred_at" IS NULL OR "raw_occurred_at" = '')) AND ("occurred_at" IS NULL)), FALSE)
      OR COALESCE(("raw_event_type" IS NULL OR "raw_event_type" = ''), FALSE)
      OR COALESCE(((NOT ("raw_event_type" IS NULL OR "raw_event_type" = '')) AND (NOT ("raw_event_type" IN ('app_open', 'schedule_view', 'class_view', 'booking_started', 'workout_logged', 'push_opened', 'email_opened', 'email_clicked', 'referral_sent')))), FALSE)
      OR COALESCE(("raw_platform" IS NULL OR "raw_platform" = ''), FALSE)
      OR COALESCE(((NOT ("raw_platform" IS NULL OR "raw_platform" = '')) AND (NOT ("raw_platform" IN ('ios', 'android', 'web')))), FALSE)
      OR COALESCE((length("raw_session_id") > 64), FALSE)
      OR COALESCE(((NOT ("raw_session_id" IS NULL OR "raw_session_id" = '')) AND (NOT regexp_matches("raw_session_id", '^[A-Za-z0-9_.:-]+$'))), FALSE)
      OR COALESCE(((NOT ("raw_duration_seconds" IS NULL OR "raw_duration_seconds" = '')) AND ("duration_seconds" IS NULL)), FALSE)
      OR COALESCE(("duration_seconds" < 0), FALSE)
      OR COALESCE(("duration_seconds" > 86400), FALSE)
      OR COALESCE(((NOT ("raw_member_id" IS NULL OR "raw_member_id" = '')) AND (NOT ("__known_member_id" IS NOT NULL))), FALSE)
      OR ("__later_record" IS NOT NULL)
      OR ("__seen_version" IS NOT NULL)) AS "__rejected"
  FROM typed
)
SELECT
  "record_number",
  "malformed_detail",
  "raw_record",
  "raw_event_id",
  "raw_member_id",
  "raw_occurred_at",
  "raw_event_type",
  "raw_platform",
  "raw_session_id",
  "raw_duration_seconds",
  CASE WHEN "malformed_detail" IS NOT NULL THEN list_sort(list_distinct([
      'MALFORMED_RECORD'])) ELSE list_sort(list_distinct([
      CASE WHEN COALESCE(("raw_event_id" IS NULL OR "raw_event_id" = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((length("raw_event_id") > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT ("raw_event_id" IS NULL OR "raw_event_id" = '')) AND (NOT regexp_matches("raw_event_id", '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(("raw_member_id" IS NULL OR "raw_member_id" = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE((length("raw_member_id") > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT ("raw_member_id" IS NULL OR "raw_member_id" = '')) AND (NOT regexp_matches("raw_member_id", '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(("raw_occurred_at" IS NULL OR "raw_occurred_at" = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT ("raw_occurred_at" IS NULL OR "raw_occurred_at" = '')) AND ("occurred_at" IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE(("raw_event_type" IS NULL OR "raw_event_type" = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT ("raw_event_type" IS NULL OR "raw_event_type" = '')) AND (NOT ("raw_event_type" IN ('app_open', 'schedule_view', 'class_view', 'booking_started', 'workout_logged', 'push_opened', 'email_opened', 'email_clicked', 'referral_sent')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE(("raw_platform" IS NULL OR "raw_platform" = ''), FALSE) THEN 'MISSING_REQUIRED' END,
      CASE WHEN COALESCE(((NOT ("raw_platform" IS NULL OR "raw_platform" = '')) AND (NOT ("raw_platform" IN ('ios', 'android', 'web')))), FALSE) THEN 'NOT_ALLOWED_VALUE' END,
      CASE WHEN COALESCE((length("raw_session_id") > 64), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT ("raw_session_id" IS NULL OR "raw_session_id" = '')) AND (NOT regexp_matches("raw_session_id", '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT' END,
      CASE WHEN COALESCE(((NOT ("raw_duration_seconds" IS NULL OR "raw_duration_seconds" = '')) AND ("duration_seconds" IS NULL)), FALSE) THEN 'BAD_TYPE' END,
      CASE WHEN COALESCE(("duration_seconds" < 0), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE(("duration_seconds" > 86400), FALSE) THEN 'OUT_OF_RANGE' END,
      CASE WHEN COALESCE(((NOT ("raw_member_id" IS NULL OR "raw_member_id" = '')) AND (NOT ("__known_member_id" IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE' END,
      CASE WHEN ("__later_record" IS NOT NULL) THEN 'DUPLICATE_IN_BATCH' END,
      CASE WHEN ("__seen_version" IS NOT NULL) THEN 'ALREADY_PROCESSED' END])) END AS "reasons",
  CASE WHEN "malformed_detail" IS NOT NULL THEN list_sort(list_distinct([
      'MALFORMED_RECORD:*'])) ELSE list_sort(list_distinct([
      CASE WHEN COALESCE(("raw_event_id" IS NULL OR "raw_event_id" = ''), FALSE) THEN 'MISSING_REQUIRED:event_id:required' END,
      CASE WHEN COALESCE((length("raw_event_id") > 64), FALSE) THEN 'BAD_FORMAT:event_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT ("raw_event_id" IS NULL OR "raw_event_id" = '')) AND (NOT regexp_matches("raw_event_id", '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:event_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE(("raw_member_id" IS NULL OR "raw_member_id" = ''), FALSE) THEN 'MISSING_REQUIRED:member_id:required' END,
      CASE WHEN COALESCE((length("raw_member_id") > 64), FALSE) THEN 'BAD_FORMAT:member_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT ("raw_member_id" IS NULL OR "raw_member_id" = '')) AND (NOT regexp_matches("raw_member_id", '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:member_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE(("raw_occurred_at" IS NULL OR "raw_occurred_at" = ''), FALSE) THEN 'MISSING_REQUIRED:occurred_at:required' END,
      CASE WHEN COALESCE(((NOT ("raw_occurred_at" IS NULL OR "raw_occurred_at" = '')) AND ("occurred_at" IS NULL)), FALSE) THEN 'BAD_TYPE:occurred_at:cast:TIMESTAMP' END,
      CASE WHEN COALESCE(("raw_event_type" IS NULL OR "raw_event_type" = ''), FALSE) THEN 'MISSING_REQUIRED:event_type:required' END,
      CASE WHEN COALESCE(((NOT ("raw_event_type" IS NULL OR "raw_event_type" = '')) AND (NOT ("raw_event_type" IN ('app_open', 'schedule_view', 'class_view', 'booking_started', 'workout_logged', 'push_opened', 'email_opened', 'email_clicked', 'referral_sent')))), FALSE) THEN 'NOT_ALLOWED_VALUE:event_type:enum' END,
      CASE WHEN COALESCE(("raw_platform" IS NULL OR "raw_platform" = ''), FALSE) THEN 'MISSING_REQUIRED:platform:required' END,
      CASE WHEN COALESCE(((NOT ("raw_platform" IS NULL OR "raw_platform" = '')) AND (NOT ("raw_platform" IN ('ios', 'android', 'web')))), FALSE) THEN 'NOT_ALLOWED_VALUE:platform:enum' END,
      CASE WHEN COALESCE((length("raw_session_id") > 64), FALSE) THEN 'BAD_FORMAT:session_id:maxLength:64' END,
      CASE WHEN COALESCE(((NOT ("raw_session_id" IS NULL OR "raw_session_id" = '')) AND (NOT regexp_matches("raw_session_id", '^[A-Za-z0-9_.:-]+$'))), FALSE) THEN 'BAD_FORMAT:session_id:pattern:^[A-Za-z0-9_.:-]+$' END,
      CASE WHEN COALESCE(((NOT ("raw_duration_seconds" IS NULL OR "raw_duration_seconds" = '')) AND ("duration_seconds" IS NULL)), FALSE) THEN 'BAD_TYPE:duration_seconds:cast:INTEGER' END,
      CASE WHEN COALESCE(("duration_seconds" < 0), FALSE) THEN 'OUT_OF_RANGE:duration_seconds:minimum:0' END,
      CASE WHEN COALESCE(("duration_seconds" > 86400), FALSE) THEN 'OUT_OF_RANGE:duration_seconds:maximum:86400' END,
      CASE WHEN COALESCE(((NOT ("raw_member_id" IS NULL OR "raw_member_id" = '')) AND (NOT ("__known_member_id" IS NOT NULL))), FALSE) THEN 'UNKNOWN_REFERENCE:member_id:references:members.member_id' END,
      CASE WHEN ("__later_record" IS NOT NULL) THEN 'DUPLICATE_IN_BATCH:event_id' END,
      CASE WHEN ("__seen_version" IS NOT NULL) THEN 'ALREADY_PROCESSED:event_id' END])) END AS "reason_details"
FROM flagged
WHERE "__rejected"

-- processed: the typed rows of every record that was not rejected, with their partition.
WITH src AS NOT MATERIALIZED (
  SELECT
    "__rec" AS "record_number",
    "__malformed" AS "malformed_detail",
    "__raw" AS "raw_record",
    "event_id" AS "raw_event_id",
    "member_id" AS "raw_member_id",
    "occurred_at" AS "raw_occurred_at",
    "event_type" AS "raw_event_type",
    "platform" AS "raw_platform",
    "session_id" AS "raw_session_id",
    "duration_seconds" AS "raw_duration_seconds"
  FROM "raw_input"
),
typed AS (
  SELECT
    "record_number",
    "raw_event_id" AS "event_id",
    "raw_member_id" AS "member_id",
    make_timestamp(epoch_us(TRY_CAST("raw_occurred_at" AS TIMESTAMPTZ))) AS "occurred_at",
    "raw_event_type" AS "event_type",
    "raw_platform" AS "platform",
    "raw_session_id" AS "session_id",
    TRY_CAST("raw_duration_seconds" AS INTEGER) AS "duration_seconds"
  FROM src ANTI JOIN "rejected_records" "__rejected" ON "__rejected"."record_number" = src."record_number"
)
SELECT
  "event_id",
  "member_id",
  "occurred_at",
  "event_type",
  "platform",
  "session_id",
  "duration_seconds",
  CAST("occurred_at" AS DATE) AS "dt"
FROM typed
