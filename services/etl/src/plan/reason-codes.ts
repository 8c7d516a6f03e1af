/**
 * The closed list of reasons a record is quarantined. Every quarantined row carries at least one;
 * downstream dashboards and alerts key on these strings, so add codes, never rename them.
 */
export const REASON_CODES = {
  MALFORMED_RECORD:
    'The record could not be read as a row: wrong field count, unterminated quote, unparsable JSON line, a key not in the contract, an object or array as a column value, or invalid UTF-8 bytes (e.g. Latin-1 text).',
  MISSING_REQUIRED: 'A required column is absent or empty.',
  BAD_TYPE: 'The text does not cast to the column type (bad date/timestamp/number/boolean, e.g. 01/05/2026, 2026-02-30, $149.00).',
  OUT_OF_RANGE: 'A number is below the minimum or above the maximum of the column (e.g. a negative amount).',
  BAD_FORMAT: 'Text breaks the column format: length bounds, pattern (e.g. whitespace in an id) or email shape.',
  NOT_ALLOWED_VALUE: 'An enum column holds a value outside its allowed list.',
  BAD_PRECISION: 'A money amount has more decimals than the column allows (2).',
  DUPLICATE_IN_BATCH: 'The primary key occurs more than once in the batch; the newest version (then the first record) is kept.',
  UNKNOWN_REFERENCE: 'A foreign key names no known row of the referenced dataset (e.g. an unknown member or class).',
  ALREADY_PROCESSED:
    'An earlier batch already loaded this primary key with the same or a newer version (datasets without a version column: at all), e.g. a nightly export repeating real-time check-ins.',
} as const;

export type ReasonCode = keyof typeof REASON_CODES;
export const REASON_CODE_LIST = Object.keys(REASON_CODES) as ReasonCode[];
