/**
 * One SendEmail call and what its outcome means for the ledger. SES v2 has no idempotency token, so the only safe
 * retry is of a call SES answered with an error (it accepted nothing). The SDK's own retries are off (`maxAttempts:
 * 1` on the client) because it would also retry timeouts and reset connections — the cases where SES may already have
 * accepted the message — and send it twice.
 */
import { SendEmailCommand, type SendEmailCommandInput, type SESv2Client } from '@aws-sdk/client-sesv2';

export type SesOutcome =
  | { kind: 'accepted'; messageId: string }
  /** 429 "Maximum sending rate exceeded": back off and call again. */
  | { kind: 'rate_throttled'; message: string }
  /** "Daily message quota exceeded": stop sending until the 24-hour window frees up. */
  | { kind: 'quota_exhausted'; message: string }
  /** Sending paused or account suspended: stop the sender, keep the messages, alarm. */
  | { kind: 'sending_paused'; message: string }
  /** SES refused this message for good (bad address, unverified sender, …). */
  | { kind: 'rejected'; code: string; message: string }
  /** SES answered with its own server error or the connection never opened: nothing was accepted, try again later. */
  | { kind: 'not_accepted'; code: string; message: string }
  /** No SES answer after the request left (timeout, reset, a proxy's 5xx): it may have been sent. */
  | { kind: 'ambiguous'; reason: 'TIMEOUT' | 'SERVER_ERROR_AFTER_SEND'; message: string };

/** SES errors that say the message itself will never be accepted. */
const REJECTIONS = new Set(['MessageRejected', 'BadRequestException', 'MailFromDomainNotVerifiedException', 'NotFoundException']);
/** Failures before a connection existed: the request never left. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Error names the SDK gives only to a parsed SES error body (a proxy's bare 502 gets none of these). */
const SES_SERVER_ERRORS = new Set(['InternalServiceErrorException']);

type SdkError = Error & { code?: string; $fault?: string; $metadata?: { httpStatusCode?: number }; $response?: unknown };

export function classifySesError(err: unknown): SesOutcome {
  const e = err as SdkError;
  const message = (e?.message ?? String(err)).slice(0, 300);
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? 'Error';
  if (status === undefined) {
    const code = e?.code ?? (e as { cause?: { code?: string } })?.cause?.code;
    if (code && NEVER_SENT.has(code)) return { kind: 'not_accepted', code, message };
    return { kind: 'ambiguous', reason: 'TIMEOUT', message: `${name}: ${message}` };
  }
  if (/daily message quota/i.test(message)) return { kind: 'quota_exhausted', message };
  if (name === 'TooManyRequestsException' || name === 'ThrottlingException' || name === 'LimitExceededException' || status === 429) return { kind: 'rate_throttled', message };
  if (name === 'SendingPausedException' || name === 'AccountSuspendedException') return { kind: 'sending_paused', message };
  if (REJECTIONS.has(name) || (status >= 400 && status < 500)) return { kind: 'rejected', code: name, message };
  if (SES_SERVER_ERRORS.has(name)) return { kind: 'not_accepted', code: name, message };
  return { kind: 'ambiguous', reason: 'SERVER_ERROR_AFTER_SEND', message: `${name} (HTTP ${status}): ${message}` };
}

export async function callSendEmail(ses: SESv2Client, input: SendEmailCommandInput, signal?: AbortSignal): Promise<SesOutcome> {
  try {
    const answer = await ses.send(new SendEmailCommand(input), signal ? { abortSignal: signal } : {});
    if (!answer.MessageId) return { kind: 'ambiguous', reason: 'SERVER_ERROR_AFTER_SEND', message: 'SES answered without a MessageId' };
    return { kind: 'accepted', messageId: answer.MessageId };
  } catch (err) {
    return classifySesError(err);
  }
}
