import { PeakError } from '@peak/contracts';

/** An entry of HubSpot's `errors` array (`{ message, in?, code?, context? }`). */
export type HubSpotErrorDetail = { message: string; in?: string; code?: string; context?: Record<string, string[]> };

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
    readonly extra: { errors?: HubSpotErrorDetail[]; context?: Record<string, string[]>; [key: string]: unknown } = {},
  ) {
    super(message, category, statusCode);
  }

  body(correlationId: string): Record<string, unknown> {
    return { status: 'error', message: this.message, correlationId, category: this.category, ...this.extra };
  }
}

/** One invalid property value, as HubSpot lists them inside a VALIDATION_ERROR message. */
export type PropertyProblem = { isValid: false; message: string; error: string; name: string; localizedErrorMessage: string };

export const propertyProblem = (name: string, error: string, message: string): PropertyProblem => ({
  isValid: false,
  message,
  error,
  name,
  localizedErrorMessage: message,
});

/** HubSpot's answer to a write with invalid property values: the problems JSON-encoded in the message. */
export function invalidProperties(problems: PropertyProblem[]): HubSpotError {
  return new HubSpotError(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(problems)}`, {
    errors: problems.map((p) => ({ message: p.message, code: p.error, context: { propertyName: [p.name] } })),
  });
}
