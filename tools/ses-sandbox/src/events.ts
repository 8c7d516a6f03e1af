import { domainOf } from './addresses.js';
import type { EventTypeName } from './config-sets.js';
import type { RecipientResult, StoredMessage } from './messages.js';
import type { Header } from './validate.js';

/**
 * SES event publishing's JSON (research §3, [ev]: "Contents of event data that Amazon SES publishes to Amazon SNS"
 * and its examples): top-level `eventType`, `mail`, and one object named after the event. Only the event types the
 * sandbox produces are modelled.
 */
export type SesEventJson = {
  eventType: 'Send' | 'Delivery' | 'Bounce' | 'Complaint';
  mail: MailObject;
  send?: Record<string, never>;
  delivery?: { timestamp: string; processingTimeMillis: number; recipients: string[]; smtpResponse: string; reportingMTA: string };
  bounce?: {
    bounceType: 'Permanent' | 'Transient';
    bounceSubType: string;
    bouncedRecipients: { emailAddress: string; action: string; status: string; diagnosticCode: string }[];
    timestamp: string;
    feedbackId: string;
    reportingMTA: string;
  };
  complaint?: {
    complainedRecipients: { emailAddress: string }[];
    timestamp: string;
    feedbackId: string;
    userAgent: string;
    complaintFeedbackType: string;
    arrivalDate: string;
  };
};

export type MailObject = {
  timestamp: string;
  source: string;
  sourceArn: string;
  sendingAccountId: string;
  messageId: string;
  destination: string[];
  headersTruncated: boolean;
  headers: Header[];
  commonHeaders: { from: string[]; replyTo?: string[]; to?: string[]; cc?: string[]; date: string; messageId: string; subject?: string };
  tags: Record<string, string[]>;
};

export type EventContext = { region: string; accountId: string };

/** Which configuration-set event type (`MatchingEventTypes`) an event answers to. */
export const MATCHING_TYPE: Record<SesEventJson['eventType'], EventTypeName> = { Send: 'SEND', Delivery: 'DELIVERY', Bounce: 'BOUNCE', Complaint: 'COMPLAINT' };

/** SES leaves the headers out of `mail` past this size and says so (`headersTruncated`); the 10 KB figure is probable. */
const HEADERS_LIMIT_BYTES = 10 * 1024;
/** Simulated delays after acceptance, so events carry plausible, ordered timestamps (the sandbox publishes at once). */
const DELIVERY_AFTER_MS = 420;
const BOUNCE_AFTER_MS = 650;
const COMPLAINT_AFTER_MS = 1_500;

const iso = (ms: number) => new Date(ms).toISOString();

/** RFC 5322 date, as in a `Date:` header and `commonHeaders.date`. */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** The headers SES shows for a message: those it built (Simple/Template) plus the custom ones, or a Raw message's own. */
function messageHeaders(m: StoredMessage, at: number): Header[] {
  if (m.kind === 'Raw') return m.headers;
  const built: Header[] = [{ name: 'From', value: m.from }];
  if (m.replyTo.length) built.push({ name: 'Reply-To', value: m.replyTo.join(', ') });
  if (m.to.length) built.push({ name: 'To', value: m.to.join(', ') });
  if (m.cc.length) built.push({ name: 'Cc', value: m.cc.join(', ') });
  if (m.subject !== undefined) built.push({ name: 'Subject', value: m.subject });
  built.push({ name: 'MIME-Version', value: '1.0' });
  const both = m.html !== undefined && m.text !== undefined;
  built.push({
    name: 'Content-Type',
    value: both ? `multipart/alternative; boundary="----=_Part_${m.messageId.slice(4, 16)}"` : `text/${m.html !== undefined ? 'html' : 'plain'}; charset=UTF-8`,
  });
  const custom = m.headers.filter((h) => !['date', 'message-id'].includes(h.name.toLowerCase())); // SES replaces these two
  return [...built, ...custom, { name: 'Message-ID', value: `<${m.messageId}@email.amazonses.com>` }, { name: 'Date', value: rfc5322Date(at) }];
}

/**
 * `mail`: the same in every event of a message. `tags` holds SES's own (`ses:configuration-set`, `ses:from-domain`,
 * `ses:source-ip`, `ses:caller-identity`, `ses:operation`) and the message's `EmailTags` as `{name: [value]}`.
 */
export function mailObject(m: StoredMessage, ctx: EventContext): MailObject {
  const at = Date.parse(m.acceptedAt);
  const fromDomain = domainOf(m.fromAddress);
  const tags: Record<string, string[]> = {
    'ses:operation': ['SendEmail'],
    ...(m.configurationSet ? { 'ses:configuration-set': [m.configurationSet] } : {}),
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [fromDomain],
    'ses:caller-identity': ['ses-sandbox'],
  };
  for (const t of m.tags) (tags[t.name] ??= []).push(t.value);
  const all = messageHeaders(m, at);
  const truncated = Buffer.byteLength(JSON.stringify(all)) > HEADERS_LIMIT_BYTES;
  return {
    timestamp: m.acceptedAt,
    source: m.from,
    sourceArn: `arn:aws:ses:${ctx.region}:${ctx.accountId}:identity/${fromDomain}`,
    sendingAccountId: ctx.accountId,
    messageId: m.messageId,
    destination: [...m.to, ...m.cc, ...m.bcc],
    headersTruncated: truncated,
    headers: truncated ? [] : all,
    commonHeaders: {
      from: [m.from],
      ...(m.replyTo.length ? { replyTo: m.replyTo } : {}),
      ...(m.to.length ? { to: m.to } : {}),
      ...(m.cc.length ? { cc: m.cc } : {}),
      date: rfc5322Date(at),
      messageId: m.messageId,
      ...(m.subject !== undefined ? { subject: m.subject } : {}),
    },
    tags,
  };
}

function bounceOf(r: RecipientResult, at: number, ctx: EventContext): NonNullable<SesEventJson['bounce']> {
  const [bounceType, bounceSubType, status, diagnosticCode, reportingMTA] =
    r.outcome === 'suppressed'
      ? ([
          'Permanent',
          'OnAccountSuppressionList',
          '5.1.1',
          'Amazon SES did not send the message to this address because it is on the suppression list for your account. For more information about removing addresses from the suppression list, see the Amazon SES Developer Guide at https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html',
          'dns; amazonses.com',
        ] as const)
      : r.outcome === 'soft_bounce'
        ? (['Transient', 'MailboxFull', '4.2.2', 'smtp; 452 4.2.2 The email account that you tried to reach is over quota.', `dsn; sandbox-mta.${ctx.region}.amazonses.com`] as const)
        : (['Permanent', 'General', '5.1.1', 'smtp; 550 5.1.1 user unknown', `dsn; sandbox-mta.${ctx.region}.amazonses.com`] as const);
  return {
    bounceType,
    bounceSubType,
    bouncedRecipients: [{ emailAddress: r.address, action: 'failed', status, diagnosticCode }],
    timestamp: iso(at + BOUNCE_AFTER_MS),
    feedbackId: r.feedbackId ?? '',
    reportingMTA,
  };
}

/**
 * A message's events in SES's order: Send; then per recipient, Delivery or Bounce; then a Complaint per complaining
 * recipient. One Delivery/Bounce per recipient (SES delivers to each separately).
 */
export function eventsFor(m: StoredMessage, ctx: EventContext): SesEventJson[] {
  const mail = mailObject(m, ctx);
  const at = Date.parse(m.acceptedAt);
  const events: SesEventJson[] = [{ eventType: 'Send', mail, send: {} }];
  for (const r of m.recipients) {
    if (r.outcome === 'deliver' || r.outcome === 'complaint') {
      events.push({
        eventType: 'Delivery',
        mail,
        delivery: {
          timestamp: iso(at + DELIVERY_AFTER_MS),
          processingTimeMillis: DELIVERY_AFTER_MS,
          recipients: [r.address],
          smtpResponse: '250 2.6.0 Message received',
          reportingMTA: `sandbox-mta.smtp-out.${ctx.region}.amazonses.com`,
        },
      });
    } else {
      events.push({ eventType: 'Bounce', mail, bounce: bounceOf(r, at, ctx) });
    }
  }
  for (const r of m.recipients.filter((r) => r.outcome === 'complaint')) {
    events.push({
      eventType: 'Complaint',
      mail,
      complaint: {
        complainedRecipients: [{ emailAddress: r.address }],
        timestamp: iso(at + COMPLAINT_AFTER_MS),
        feedbackId: r.feedbackId ?? '',
        userAgent: r.source === 'simulator' ? 'Amazon SES Mailbox Simulator' : 'ses-sandbox',
        complaintFeedbackType: 'abuse',
        arrivalDate: iso(at + COMPLAINT_AFTER_MS),
      },
    });
  }
  return events;
}
