import { PeakError } from '@peak/contracts';

export const newDatasetErrorCodes = {
  badUsage: 'BAD_USAGE',
  badName: 'BAD_NAME',
  datasetExists: 'DATASET_EXISTS',
  fileExists: 'FILE_EXISTS',
} as const;
export type NewDatasetErrorCode = (typeof newDatasetErrorCodes)[keyof typeof newDatasetErrorCodes];

/** Something the scaffolder refuses to do; the message says what to change. The CLI prints it and exits 2. */
export class NewDatasetError extends PeakError {
  constructor(message: string, code: NewDatasetErrorCode) {
    super(message, code, 400);
  }
}
