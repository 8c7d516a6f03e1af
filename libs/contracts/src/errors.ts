/** Base of every error the platform raises on purpose: a stable `code` and a human message. */
export class PeakError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly statusCode = 500,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The base of an API's error class: its codes are the keys of `statuses`, and the HTTP status follows from the code.
 * `class IngestError extends codedError(INGEST_ERRORS) {}`.
 */
export function codedError<Code extends string>(statuses: Readonly<Record<Code, number>>) {
  return class CodedError extends PeakError {
    declare readonly code: Code;

    constructor(code: Code, message: string) {
      super(message, code, statuses[code]);
    }
  };
}

export class ContractError extends PeakError {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message, 'CONTRACT_VIOLATION', 400);
  }
}
