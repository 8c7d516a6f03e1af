import { codedError } from '@peak/contracts';

/** Every refusal of the churn API: its stable code and HTTP status (the README lists them). */
export const CHURN_ERRORS = {
  BAD_REQUEST: 400, // a query parameter out of its documented range (also what the schema check answers)
  BAD_FILTER: 400,
  BAD_OPTION: 400,
  UNKNOWN_FILTER_VALUE: 400, // a location with no scores on the day; the message lists the known ones
  NO_SCORES: 404,
  NO_MODEL: 404,
  NOT_CONFIGURED: 503, // no LAKE_URI
  ANALYTICS_TIMEOUT: 503,
} as const;
export type ChurnErrorCode = keyof typeof CHURN_ERRORS;

export class ChurnApiError extends codedError(CHURN_ERRORS) {}

export const NO_SCORES_MESSAGE = 'no churn scores yet: run `npm run churn -- train` then `npm run churn -- score`';
export const NOT_CONFIGURED_MESSAGE =
  'the churn API reads the lake, and LAKE_URI is not set: set it (in AWS also ANALYTICS_ENGINE=athena, ATHENA_WORKGROUP and GLUE_DATABASE) and restart the leaderboard';
