import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { PeakError } from '@peak/contracts';

/**
 * The SES v2 errors the sandbox answers, with the HTTP status the `@aws-sdk/client-sesv2` 3.1175 model gives each
 * (`dist-es/schemas/schemas_0.js`, the `httpError` trait). MissingAuthenticationTokenException is the gateway's, not
 * in SES's model: the SDK turns it into a plain `SESv2ServiceException` named so.
 */
export const SES_ERROR_STATUS = {
  AlreadyExistsException: 400,
  BadRequestException: 400,
  InternalServiceErrorException: 500,
  LimitExceededException: 400,
  MessageRejected: 400,
  MissingAuthenticationTokenException: 403,
  NotFoundException: 404,
  SendingPausedException: 400,
  TooManyRequestsException: 429,
} as const;

export type SesErrorType = keyof typeof SES_ERROR_STATUS;

/** The namespace suffix AWS's REST front end appends to `x-amzn-ErrorType` (probable); the SDK strips it. */
const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazonaws.sesv2/';

/** An error answered in SES v2's REST-JSON wire format (see `sendSesError`). */
export class SesError extends PeakError {
  constructor(
    readonly type: SesErrorType,
    message: string,
  ) {
    super(message, type, SES_ERROR_STATUS[type]);
  }
}

/**
 * SES v2 speaks AWS REST-JSON (`aws.protocols#restJson1`). `@aws-sdk/core`'s `AwsRestJsonProtocol.handleError` takes the
 * error name from, in this order, the `x-amzn-ErrorType` header, a body field `code` (any case), the body's `__type`
 * (`loadRestJsonErrorCode` in `@smithy/core/protocols`), cutting it at `:` / `,` and after `#`; the message from the
 * body's `message` or `Message`; `$metadata.httpStatusCode` from the status line and `$metadata.requestId` from
 * `x-amzn-RequestId`. A name in SES's model becomes that exception class; any other name a plain
 * `SESv2ServiceException` carrying it. The sandbox sends what SES sends: the header, and `{"message": …}` as the body
 * (a real 429 body, research §1: `{"message":"Maximum sending rate exceeded."}`).
 */
export function sendSesError(reply: FastifyReply, err: SesError): FastifyReply {
  if (!reply.hasHeader('x-amzn-requestid')) reply.header('x-amzn-RequestId', randomUUID());
  return reply
    .code(err.statusCode)
    .header('x-amzn-ErrorType', `${err.type}${ERROR_TYPE_SUFFIX}`)
    .type('application/json')
    .send({ message: err.message });
}

export const badRequest = (message: string) => new SesError('BadRequestException', message);
export const notFound = (message: string) => new SesError('NotFoundException', message);

/** SES's two 429 messages (research §1): clients tell the short wait from the long one by the text. */
export const MAX_SEND_RATE_EXCEEDED = 'Maximum sending rate exceeded.';
export const DAILY_QUOTA_EXCEEDED = 'Daily message quota exceeded.';
