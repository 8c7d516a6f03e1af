import { codedError } from '@peak/contracts';

/** Every refusal of the metrics API: its stable code and HTTP status (README.md beside this file lists them). */
export const METRICS_ERRORS = {
  BAD_REQUEST: 400, // a malformed, repeated or unknown query parameter (also what the schema check answers)
  UNKNOWN_METRIC: 400, // not in the analytics catalog; the message lists the cached metrics
  UNKNOWN_FILTER_VALUE: 400, // a location, class type or instructor the lake does not have; the message lists the known ones
  NOT_CACHED: 404, // a real metric or combination the refresher does not compute; the message lists what is cached
  NO_HISTORY: 404, // a member not at risk as of the last refresh: only those have a cached history
  WARMING: 503, // no refresh has completed yet (or the last one expired): Retry-After
  CACHE_UNAVAILABLE: 503, // Redis is down or did not answer in time: Retry-After
} as const;
export type MetricsErrorCode = keyof typeof METRICS_ERRORS;

export class MetricsApiError extends codedError(METRICS_ERRORS) {}
