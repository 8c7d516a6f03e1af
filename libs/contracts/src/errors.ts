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

export class ContractError extends PeakError {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message, 'CONTRACT_VIOLATION', 400);
  }
}
