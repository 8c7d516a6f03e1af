import { codedError } from '@peak/contracts';

/** Every refusal of the leaderboard API: its stable code and HTTP status (the README lists them). */
export const BOARD_ERRORS = {
  BAD_REQUEST: 400, // a query or path parameter outside its documented form or range
  UNKNOWN_LOCATION: 400, // the message lists the studios that have boards
  BAD_PERIOD_KEY: 400, // a key that is not one of the period's (2026-W49, 2026-12, all)
  NOT_ON_BOARD: 404, // the member has no class on that board
  BOARD_GONE: 404, // a past period whose board expired (or a future one)
  REDIS_UNAVAILABLE: 503, // answered with Retry-After
} as const;
export type BoardErrorCode = keyof typeof BOARD_ERRORS;

export class BoardApiError extends codedError(BOARD_ERRORS) {}

/** Seconds a client should wait before asking again while Redis is down. */
export const REDIS_RETRY_AFTER_SECONDS = 5;
export const REDIS_UNAVAILABLE_MESSAGE = 'the leaderboards are stored in Redis, which is not answering right now; try again in a few seconds';
