import { PeakError } from '@peak/contracts';

export type SandboxErrorCode =
  | 'REFUSED' // not a single read-only query, or it reached for files, URLs, extensions or settings
  | 'QUERY_FAILED' // a read-only query DuckDB could not run (syntax, unknown column, bad cast…)
  | 'TIMEOUT' // ran past the time limit and was interrupted
  | 'NO_LAKE'; // the lake folder does not exist

const STATUS: Record<SandboxErrorCode, number> = { REFUSED: 400, QUERY_FAILED: 400, TIMEOUT: 422, NO_LAKE: 500 };

/** What a student did wrong (or the sandbox's limit hit), in words they can act on; never a stack trace. */
export class SandboxError extends PeakError {
  declare readonly code: SandboxErrorCode;
  constructor(code: SandboxErrorCode, message: string) {
    super(message, code, STATUS[code]);
  }
}
