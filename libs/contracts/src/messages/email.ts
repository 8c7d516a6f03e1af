import Type, { type Static } from 'typebox';
import { literalUnion } from '../columns.js';

/**
 * The email contracts shared by the campaign planner (producer of `email-requests`), the notifier (its consumer)
 * and the SES event stream. Topics are what a member can opt out of one by one; `transactional` mail (the welcome)
 * ignores topics, the holdout and the frequency cap, but never suppression.
 */
export const EMAIL_TOPICS = ['win_back', 'onboarding', 'milestones', 'location_news', 'leaderboard'] as const;
export type EmailTopic = (typeof EMAIL_TOPICS)[number];

export const EMAIL_TEMPLATES = ['welcome', 'first_visit_nudge', 'habit', 'win_back', 'milestone', 'location_news', 'leaderboard_climb'] as const;
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

export const EMAIL_KINDS = ['marketing', 'transactional'] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

const isoTime = (description: string) => Type.String({ format: 'date-time', description });
const slug = (description: string) => Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$', description });

export const emailRequest = Type.Object(
  {
    type: Type.Literal('email-request', { description: 'Message type; a consumer refuses any other' }),
    version: Type.Literal(1, { description: 'Contract version of the body' }),
    requestId: Type.String({ minLength: 1, maxLength: 128, description: 'Identifier of this request (for tracing)' }),
    dedupeKey: Type.String({
      minLength: 1,
      maxLength: 180, // base64url-encoded it still fits an SES message tag (≤ 256), so events lead back to it
      pattern: '^[\\x21-\\x7e]+$',
      description: 'Same key = same email: `<campaign>:<member>:<period>`; it is sent at most once, whatever is redelivered',
    }),
    campaignId: slug('Campaign that planned the email (e.g. `win_back`)'),
    runId: Type.String({ minLength: 1, maxLength: 128, description: 'The planner run that asked for it; its report counts this email' }),
    kind: literalUnion(EMAIL_KINDS, { description: 'marketing mail honours the holdout, topic opt-outs, the frequency cap and quiet hours; transactional mail only suppression' }),
    topic: literalUnion(EMAIL_TOPICS, { description: 'Preference topic a member can unsubscribe from' }),
    template: literalUnion(EMAIL_TEMPLATES, { description: 'Template the notifier renders (HTML + text)' }),
    memberId: Type.String({ minLength: 1, maxLength: 64, description: 'Member the email is for' }),
    to: Type.String({ format: 'email', maxLength: 254, description: 'Recipient address' }),
    locationId: Type.String({ minLength: 1, maxLength: 64, description: 'Home location of the member (campaigns are per location)' }),
    variables: Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }), Type.Union([Type.String({ maxLength: 2000 }), Type.Number()]), {
      maxProperties: 32,
      description: 'Template variables by name (member-supplied text is escaped when rendered)',
    }),
    conditions: Type.Optional(
      Type.Object(
        {
          noVisitSince: Type.Optional(isoTime('Drop the email if the member checked in after this instant (a win-back for someone who came back)')),
          activeMember: Type.Optional(Type.Boolean({ description: 'Drop the email if the membership is frozen or cancelled by send time' })),
        },
        { additionalProperties: false, description: 'What must still hold at send time; the notifier re-checks it just before sending' },
      ),
    ),
    requestedAt: isoTime('When the campaign planner asked for it'),
    expiresAt: isoTime('After this instant the email is stale and dropped (e.g. a weekly note a week later)'),
  },
  { additionalProperties: false, title: 'email-request', description: 'Send one templated email to one member' },
);
export type EmailRequest = Static<typeof emailRequest>;

const recipients = (what: string) =>
  Type.Array(Type.Object({ emailAddress: Type.String({ description: `Address that ${what}` }) }, { description: `A recipient that ${what}` }), {
    description: `Recipients that ${what}`,
  });

/** The subset of an SES event (configuration set → SNS → SQS) the notifier reads; SES sends more fields. */
export const sesEvent = Type.Object(
  {
    eventType: literalUnion(
      ['Send', 'Delivery', 'Bounce', 'Complaint', 'Reject', 'Open', 'Click', 'DeliveryDelay', 'Subscription', 'Rendering Failure'],
      { description: 'What happened to the message (SES spells one with a space: `Rendering Failure`)' },
    ),
    mail: Type.Object(
      {
        messageId: Type.String({ description: 'SES message id (returned by SendEmail)' }),
        timestamp: isoTime('When SES accepted the message'),
        destination: Type.Array(Type.String(), { description: 'Recipient addresses' }),
        tags: Type.Optional(
          Type.Record(Type.String(), Type.Array(Type.String()), { description: 'Message tags as `{name: [value]}`; ours carry the dedupe key hash' }),
        ),
      },
      { description: 'The message the event is about' },
    ),
    bounce: Type.Optional(
      Type.Object(
        {
          bounceType: Type.Union([Type.Literal('Permanent'), Type.Literal('Transient'), Type.Literal('Undetermined')], {
            description: 'Only Permanent bounces suppress the address',
          }),
          bounceSubType: Type.Optional(Type.String({ description: 'e.g. General, NoEmail, OnAccountSuppressionList, MailboxFull' })),
          bouncedRecipients: recipients('bounced'),
          feedbackId: Type.Optional(Type.String({ description: 'SES feedback id' })),
        },
        { description: 'Present when eventType = Bounce' },
      ),
    ),
    complaint: Type.Optional(
      Type.Object(
        {
          complainedRecipients: recipients('marked the email as spam'),
          complaintFeedbackType: Type.Optional(Type.String({ description: 'e.g. abuse' })),
          feedbackId: Type.Optional(Type.String({ description: 'SES feedback id' })),
        },
        { description: 'Present when eventType = Complaint' },
      ),
    ),
  },
  { title: 'ses-event', description: 'SES send/delivery/bounce/complaint event; bounces and complaints feed the suppression list' },
);
export type SesEvent = Static<typeof sesEvent>;
