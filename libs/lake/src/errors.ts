import { PeakError } from '@peak/contracts';

/** A key or prefix the lake refuses: it could escape the lake folder or is not a plain object name. */
export class InvalidLakeKeyError extends PeakError {
  constructor(key: string, reason: string) {
    super(`invalid lake key ${JSON.stringify(key)}: ${reason}`, 'LAKE_INVALID_KEY', 400);
  }
}

export class InvalidLakeUriError extends PeakError {
  constructor(uri: string, reason: string) {
    super(`invalid lake URI ${JSON.stringify(uri)}: ${reason}; use file:///absolute/folder or s3://bucket[/prefix]`, 'LAKE_INVALID_URI', 500);
  }
}

export class BatchNotFoundError extends PeakError {
  constructor(batchId: string) {
    super(`no batch ${batchId}`, 'BATCH_NOT_FOUND', 404);
  }
}

export class BatchTransitionError extends PeakError {
  constructor(batchId: string, from: string, to: string) {
    super(`batch ${batchId} cannot go from ${from} to ${to}`, 'BATCH_INVALID_TRANSITION', 409);
  }
}
