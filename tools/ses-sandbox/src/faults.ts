import { randomUUID } from 'node:crypto';
import Type, { type Static } from 'typebox';
import { literalUnion } from '@peak/contracts';
import { DAILY_QUOTA_EXCEEDED, MAX_SEND_RATE_EXCEEDED, SesError } from './errors.js';

const scope = {
  count: Type.Optional(Type.Integer({ minimum: 1, description: 'Applies to the next N SendEmail calls it can apply to, then ends' })),
  forMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Applies for this many ms of the sandbox clock, then ends' })),
  message: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'The error message to answer (refusing kinds and accept-then-error)' })),
};

/** Kinds that refuse the send: nothing is stored, counted or delivered. */
export const REFUSING_KINDS = ['throttle', 'daily-quota', 'server-error', 'sending-paused', 'message-rejected'] as const;
/** Kinds that accept the send (stored, counted against the quotas, events published) and then answer badly or not at all. */
export const ACCEPTING_KINDS = ['accept-then-hang', 'accept-then-reset', 'accept-then-error'] as const;
export type FaultKind = (typeof REFUSING_KINDS)[number] | (typeof ACCEPTING_KINDS)[number];

/**
 * What a test can make SendEmail do. Without `count` or `forMs` a fault lasts until removed. Faults apply after the
 * request is found well-formed (a malformed one still gets its 400); refusing kinds before the quotas, accepting
 * kinds only to sends the quotas let through.
 */
export const faultSpec = Type.Object(
  {
    kind: literalUnion([...REFUSING_KINDS, ...ACCEPTING_KINDS] as const, {
      description:
        'throttle: 429 TooManyRequestsException "Maximum sending rate exceeded."; daily-quota: 429 "Daily message quota exceeded."; ' +
        'server-error: 500 InternalServiceErrorException; sending-paused: 400 SendingPausedException; message-rejected: 400 MessageRejected; ' +
        'accept-then-hang: the message is accepted but the answer never comes (until the client gives up or the sandbox stops); ' +
        'accept-then-reset: accepted, then the connection is reset; accept-then-error: accepted, then 500 InternalServiceErrorException',
    }),
    ...scope,
  },
  { additionalProperties: false },
);

export type FaultSpec = Static<typeof faultSpec>;
export type Fault = FaultSpec & { id: string; applied: number; until?: number };

const DEFAULT_MESSAGES: Record<FaultKind, string> = {
  throttle: MAX_SEND_RATE_EXCEEDED,
  'daily-quota': DAILY_QUOTA_EXCEEDED,
  'server-error': 'Internal service error (injected by the SES sandbox).',
  'sending-paused': 'Sending is paused for this account.',
  // SES's sandbox-mode refusal, the most common MessageRejected (research §1).
  'message-rejected': 'Email address is not verified. The following identities failed the check in region US-EAST-1: (injected by the SES sandbox)',
  'accept-then-hang': '',
  'accept-then-reset': '',
  'accept-then-error': 'Internal service error (injected by the SES sandbox; the message was accepted).',
};

/** The error a refusing fault answers. */
export function faultError(f: Pick<Fault, 'kind' | 'message'>): SesError {
  const message = f.message ?? DEFAULT_MESSAGES[f.kind];
  switch (f.kind) {
    case 'throttle':
    case 'daily-quota':
      return new SesError('TooManyRequestsException', message);
    case 'sending-paused':
      return new SesError('SendingPausedException', message);
    case 'message-rejected':
      return new SesError('MessageRejected', message);
    default:
      return new SesError('InternalServiceErrorException', message);
  }
}

/** Injected SendEmail failures, in order of creation: the first live one of the asked phase applies. */
export class Faults {
  private faults: Fault[] = [];

  constructor(private readonly now: () => number) {}

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: randomUUID(), applied: 0, ...(spec.forMs === undefined ? {} : { until: this.now() + spec.forMs }) };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.live();
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** The refusing fault for this send, if any (used up by one application). */
  refusal(): Fault | undefined {
    return this.take((f) => (REFUSING_KINDS as readonly string[]).includes(f.kind));
  }

  /** The accepting fault for a send the quotas let through, if any. */
  afterAccept(): Fault | undefined {
    return this.take((f) => (ACCEPTING_KINDS as readonly string[]).includes(f.kind));
  }

  private take(match: (f: Fault) => boolean): Fault | undefined {
    const f = this.live().find(match);
    if (!f) return undefined;
    f.applied++;
    if (f.count !== undefined && f.applied >= f.count) this.remove(f.id);
    return { ...f };
  }

  private live(): Fault[] {
    const at = this.now();
    this.faults = this.faults.filter((f) => f.until === undefined || at < f.until);
    return this.faults;
  }
}
