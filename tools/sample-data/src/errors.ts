import { PeakError } from '@peak/contracts';

/** Base of the errors the generator raises on purpose; `code` is stable for callers and tests. */
export class SampleDataError extends PeakError {
  constructor(message: string, code: string) {
    super(message, code, 400);
  }
}

/** A bad option value or flag: the CLI prints the message and exits with code 2. */
export class OptionError extends SampleDataError {
  constructor(message: string) {
    super(message, 'BAD_OPTION');
  }
}

/** The output folder holds files and `force` was not given. */
export class OutDirNotEmptyError extends SampleDataError {
  constructor(dir: string) {
    super(`output folder ${dir} is not empty; pass --force to overwrite it`, 'OUT_DIR_NOT_EMPTY');
  }
}
