/**
 * One SES event from the `ses-events` queue (configuration set → SNS → SQS). Permanent bounces and complaints
 * suppress the address (soft bounces do not); a complaint also unsubscribes the member from all marketing; a Send or
 * Delivery event for an email whose SES call ended ambiguously turns its `unknown` into `sent`. Every event is
 * counted once for the deliverability rates, however often SNS delivers it.
 */
import { assertValid, sesEvent, type SesEvent } from '@peak/contracts';
import type { RecipientStore } from '../ledger/recipients.js';
import type { SendLedger } from '../ledger/send-ledger.js';
import { normaliseAddress, type SuppressionStore } from '../ledger/suppressions.js';
import { DEDUPE_TAG, decodeTagValue } from '../sender/send-request.js';
import type { EventCounter, EventStore } from './event-store.js';

export type SesEventDeps = {
  ledger: SendLedger;
  recipients: RecipientStore;
  suppressions: SuppressionStore;
  events: EventStore;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
};

export type SesEventOutcome = { eventType: SesEvent['eventType']; counted: number; suppressed: string[]; confirmed: boolean };

/**
 * The SES event in an SQS body: as is with raw message delivery, or inside the SNS envelope
 * (`{"Type":"Notification","Message":"<event JSON>"}`) without it. Anything else is refused.
 */
export function parseSesEventBody(body: string | undefined): SesEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    throw new Error(`ses-event body is not JSON: ${(body ?? '').slice(0, 80)}`);
  }
  const envelope = parsed as { Type?: unknown; Message?: unknown };
  if (envelope && envelope.Type === 'Notification' && typeof envelope.Message === 'string') {
    try {
      parsed = JSON.parse(envelope.Message);
    } catch {
      throw new Error(`the SNS notification's Message is not JSON: ${envelope.Message.slice(0, 80)}`);
    }
  }
  return assertValid(sesEvent, parsed, 'ses-event');
}

const COUNTER: Partial<Record<SesEvent['eventType'], EventCounter>> = {
  Send: 'sends',
  Delivery: 'deliveries',
  Complaint: 'complaints',
  Reject: 'rejects',
  'Rendering Failure': 'renderingFailures',
  DeliveryDelay: 'delays',
};

function recipientsOf(event: SesEvent): string[] {
  if (event.eventType === 'Bounce') return (event.bounce?.bouncedRecipients ?? []).map((r) => r.emailAddress);
  if (event.eventType === 'Complaint') return (event.complaint?.complainedRecipients ?? []).map((r) => r.emailAddress);
  return event.mail.destination;
}

export async function handleSesEvent(event: SesEvent, deps: SesEventDeps): Promise<SesEventOutcome> {
  const outcome: SesEventOutcome = { eventType: event.eventType, counted: 0, suppressed: [], confirmed: false };
  const taggedKey = event.mail.tags?.[DEDUPE_TAG]?.[0];
  const dedupeKey = taggedKey ? decodeTagValue(taggedKey) : undefined;
  const at = new Date(event.mail.timestamp);
  const day = at.toISOString().slice(0, 10);
  const permanent = event.eventType === 'Bounce' && event.bounce?.bounceType === 'Permanent';

  for (const raw of recipientsOf(event)) {
    const address = normaliseAddress(raw);
    const first = await deps.events.firstSighting(`${event.mail.messageId}#${event.eventType}#${address}`, { eventType: event.eventType, messageId: event.mail.messageId, day, ...(dedupeKey ? { dedupeKey } : {}) }, at);
    if (first) {
      const counter = event.eventType === 'Bounce' ? (permanent ? 'hardBounces' : 'softBounces') : COUNTER[event.eventType];
      if (counter) {
        await deps.events.count(day, counter);
        outcome.counted++;
      }
    }
    // Suppression is idempotent by itself: done even for a redelivery, in case the first try failed half-way.
    if (permanent || event.eventType === 'Complaint') {
      const reason = permanent ? 'HARD_BOUNCE' : 'COMPLAINT';
      const detail = permanent ? event.bounce?.bounceSubType : event.complaint?.complaintFeedbackType;
      const feedbackId = permanent ? event.bounce?.feedbackId : event.complaint?.feedbackId;
      const added = await deps.suppressions.add({ address, reason, at: at.toISOString(), messageId: event.mail.messageId, ...(feedbackId ? { feedbackId } : {}), ...(detail ? { detail } : {}) });
      if (added) {
        outcome.suppressed.push(address);
        deps.log.info({ reason, messageId: event.mail.messageId }, 'address suppressed');
      }
    }
  }

  if (dedupeKey && event.eventType === 'Complaint') {
    const entry = await deps.ledger.get(dedupeKey);
    if (entry) await deps.recipients.setSubscription(entry.memberId, 'all', false, 'complaint');
  }
  if (dedupeKey && (event.eventType === 'Send' || event.eventType === 'Delivery')) {
    outcome.confirmed = await deps.ledger.confirmSent(dedupeKey, event.mail.messageId, at.toISOString());
    if (outcome.confirmed) deps.log.info({ dedupeKey, messageId: event.mail.messageId }, 'an email whose SES call ended ambiguously was sent after all');
  }
  return outcome;
}
