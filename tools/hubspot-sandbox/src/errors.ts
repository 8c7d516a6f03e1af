import { randomBytes } from 'node:crypto';
import { PeakError } from '@peak/contracts';

/** An entry of HubSpot's `errors` array (`{ message, in?, code?, context? }`). */
export type HubSpotErrorDetail = { message: string; in?: string; code?: string; context?: Record<string, string[]> };

/** The sandbox's HubSpot account id, where HubSpot's messages name one (`… in portal ID …`, `portalId`). */
export const PORTAL_ID = 20_000_001;

/** HubSpot's documented maximum inputs per batch request. */
export const BATCH_LIMIT = 100;

/**
 * An error answered in HubSpot's documented shape
 * (https://developers.hubspot.com/docs/api-reference/error-handling):
 * `{ status: 'error', message, correlationId, category, errors?, context? }` plus any extra fields
 * the real API adds for that case (e.g. `policyName` on 429).
 */
export class HubSpotError extends PeakError {
  constructor(
    statusCode: number,
    readonly category: string,
    message: string,
    readonly extra: { errors?: HubSpotErrorDetail[]; context?: Record<string, string[]>; subCategory?: string; [key: string]: unknown } = {},
  ) {
    super(message, category, statusCode);
  }

  body(correlationId: string): Record<string, unknown> {
    return { status: 'error', message: this.message, correlationId, category: this.category, ...this.extra };
  }

  /** This error as one entry of a batch answer's `errors[]` (HubSpot's `StandardError`), with more context. */
  asBatchError(context: Record<string, string[]> = {}): BatchError {
    const { errors = [], context: own = {}, subCategory } = this.extra;
    return {
      status: 'error' as const,
      category: this.category,
      message: this.message,
      context: { ...own, ...context },
      errors,
      links: {},
      ...(subCategory === undefined ? {} : { subCategory }),
    };
  }
}

/** An entry of a batch answer's `errors[]` (the spec's `StandardError`). */
export type BatchError = {
  status: 'error';
  category: string;
  message: string;
  context: Record<string, string[]>;
  errors: HubSpotErrorDetail[];
  links: Record<string, string>;
  subCategory?: string;
};

/** One invalid property value, as HubSpot lists them inside a VALIDATION_ERROR message. */
export type PropertyProblem = { isValid: false; message: string; error: string; name: string; localizedErrorMessage: string; portalId: number };

export const propertyProblem = (name: string, error: string, message: string): PropertyProblem => ({
  isValid: false,
  message,
  error,
  name,
  localizedErrorMessage: message,
  portalId: PORTAL_ID,
});

/** HubSpot's answer to a write with invalid property values: the problems JSON-encoded in the message. */
export function invalidProperties(problems: PropertyProblem[]): HubSpotError {
  return new HubSpotError(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(problems)}`, {
    errors: problems.map((p) => ({ message: p.message, code: p.error, context: { propertyName: [p.name] } })),
  });
}

/** Text observed on `batch/read` in 2024 (research §1); assumed the same for every batch endpoint. */
export const tooManyInputs = () =>
  new HubSpotError(400, 'VALIDATION_ERROR', `The maximum number of inputs supported in a batch is ${BATCH_LIMIT}. Please reduce the number of items and try again`);

/** HubSpot refuses the whole batch, with or without trace ids (rudder's recorded reply, research §1). */
export const duplicateIds = (ids: string[]) =>
  new HubSpotError(400, 'VALIDATION_ERROR', `Duplicate IDs found in batch input: [${ids.join(', ')}]. IDs must be unique`, { context: { ids } });

/** "0-1" is HubSpot's object type id of contacts (segmentio/action-destinations#3957 quotes the full text). */
export const nonUniqueIdProperty = (name: string) =>
  new HubSpotError(400, 'VALIDATION_ERROR', `Unable to perform update/upsert by non-unique 0-1 property ${name} in portal ID ${PORTAL_ID}`);

export const contactExists = (existingId: string) => new HubSpotError(409, 'CONFLICT', `Contact already exists. Existing ID: ${existingId}`);

/** Which limit a 429 names: the two CRM limits, and search's own per-second limit. */
export type RatePolicy = 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY';

const requestId = () => randomBytes(16).toString('hex');

/**
 * HubSpot's 429 bodies. CRM limits: `errorType`/`policyName`/`requestId` as the usage guidelines show.
 * `category: 'RATE_LIMITS'` is not in HubSpot's documented bodies (unverified, seen in third-party code);
 * it stays because clients of the sandbox already print it. Search: the body grouparoo recorded in 2021–22.
 */
export function rateLimited(policy: RatePolicy): HubSpotError {
  if (policy === 'SECONDLY') return new HubSpotError(429, 'RATE_LIMITS', 'You have reached your secondly limit.');
  const message = policy === 'DAILY' ? 'You have reached your daily limit.' : 'You have reached your ten_secondly_rolling limit.';
  return new HubSpotError(429, 'RATE_LIMITS', message, { errorType: 'RATE_LIMIT', policyName: policy, requestId: requestId() });
}
