import { PeakError } from '@peak/contracts';

/** Stable codes of every way the launcher refuses or fails to start (tests and the CLI match on them). */
export const platformErrorCodes = {
  portTaken: 'PORT_TAKEN',
  alreadyRunning: 'ALREADY_RUNNING',
  partFailed: 'PART_FAILED',
  missingEntry: 'MISSING_ENTRY',
  aborted: 'ABORTED',
  badOptions: 'BAD_OPTIONS',
  samplesFailed: 'SAMPLES_FAILED',
} as const;
export type PlatformErrorCode = (typeof platformErrorCodes)[keyof typeof platformErrorCodes];

export class PlatformError extends PeakError {
  constructor(
    message: string,
    override readonly code: PlatformErrorCode,
  ) {
    super(message, code);
  }
}
