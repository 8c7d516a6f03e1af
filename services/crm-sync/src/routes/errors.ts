import Type from 'typebox';
import { codedError } from '@peak/contracts';

/** Every refusal of the runs API: its stable code and HTTP status (the README lists them). */
export const RUNS_ERRORS = {
  BAD_REQUEST: 400, // a body, parameter or run id that does not fit (the message says what does)
  UNAUTHENTICATED: 401,
  INVALID_API_KEY: 403,
  API_DISABLED: 403, // no CRM_SYNC_API_KEYS / CRM_SYNC_API_KEY
  RUN_NOT_FOUND: 404,
  RUN_IN_PROGRESS: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_CONFIGURED: 503, // no LAKE_URI
} as const;
export type RunsErrorCode = keyof typeof RUNS_ERRORS;

export class RunsApiError extends codedError(RUNS_ERRORS) {}

export const NOT_CONFIGURED_MESSAGE =
  'crm-sync reads the lake, and LAKE_URI is not set: set it (in AWS also ANALYTICS_ENGINE=athena, ATHENA_WORKGROUP and GLUE_DATABASE) and restart crm-sync';

/** What each refusal status looks like, for the OpenAPI document. */
const EXAMPLES: Readonly<Record<number, { code: RunsErrorCode; message: string }>> = {
  400: { code: 'BAD_REQUEST', message: 'dryRun must be true or false' },
  401: { code: 'UNAUTHENTICATED', message: 'an API key is required: send `Authorization: Bearer <key>` with one of CRM_SYNC_API_KEYS' },
  403: { code: 'INVALID_API_KEY', message: 'this API key is not valid for crm-sync: use one of CRM_SYNC_API_KEYS' },
  404: { code: 'RUN_NOT_FOUND', message: 'no run 2026-12-07T11-00-00-123Z-3f9a in the lake: GET /v1/runs lists the latest' },
  409: {
    code: 'RUN_IN_PROGRESS',
    message:
      "a sync is already running (run 2026-12-07T11-00-00-123Z-3f9a, started by schedule on ip-10-0-1-17, pid 1, at 2026-12-07T11:00:00.101Z); its lock's lease ends 2026-12-07T13:00:00.101Z; follow it at /v1/runs/2026-12-07T11-00-00-123Z-3f9a",
  },
  413: { code: 'BODY_TOO_LARGE', message: 'the body is larger than 1024 bytes: POST /v1/runs takes no body, or the JSON object {"dryRun": true|false}' },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'POST /v1/runs takes no body, or the JSON object {"dryRun": true|false}, sent as Content-Type: application/json' },
  503: { code: 'NOT_CONFIGURED', message: NOT_CONFIGURED_MESSAGE },
};

/** The body of a refusal (the service shell's JSON error shape), with an example for its status. */
const errorBody = (status: number) =>
  Type.Object(
    {
      code: Type.String({ description: `Stable error code: ${Object.keys(RUNS_ERRORS).join(', ')}` }),
      message: Type.String({ description: 'What went wrong and what to do about it' }),
    },
    { description: 'A refusal', ...(EXAMPLES[status] ? { examples: [EXAMPLES[status]] } : {}) },
  );

/** Response schemas for the given refusal statuses. */
export const refusals = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, errorBody(s)]));
