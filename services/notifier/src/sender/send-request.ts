/**
 * What happens to one `email-request`, in order: quiet hours (hold), reserve the dedupe key in the ledger (a
 * duplicate stops here), re-check everything that may have changed since planning — suppression, unsubscribes,
 * holdout, the member's latest visit and status, the frequency cap — then render, wait for a send slot, mark the key
 * `sending`, call SES once and record the outcome. Every path ends in a ledger state or leaves the message on the
 * queue for a later delivery; nothing is dropped without a record. See docs/campaigns.md "Sending".
 */
import type { MessageHeader, MessageTag, SESv2Client } from '@aws-sdk/client-sesv2';
import { inHoldout, type EmailRequest } from '@peak/contracts';
import type { FinalState, LedgerEntry, SendLedger, SendReason } from '../ledger/send-ledger.js';
import type { FrequencyCap, RecipientStore } from '../ledger/recipients.js';
import type { SuppressionStore } from '../ledger/suppressions.js';
import type { UnsubscribeTokens } from '../unsubscribe/tokens.js';
import type { MemberActivity } from './member-activity.js';
import type { SendPacer } from './pacer.js';
import { callSendEmail, type SesOutcome } from './ses-call.js';
import { secondsUntilQuietEnds, type QuietHours } from './quiet-hours.js';

export type RenderedEmail = { subject: string; html: string; text: string };
export type EmailLinks = { unsubscribeUrl: string; preferencesUrl: string };
export type Renderer = (request: EmailRequest, links: EmailLinks) => RenderedEmail;

export type SenderSettings = {
  from: string;
  configurationSet?: string;
  /** Public URL of the notifier, for the unsubscribe and preferences links. */
  publicBaseUrl: string;
  timeZone: string;
  /** Marketing emails per member per window (undefined: no cap). */
  cap?: FrequencyCap;
  quietHours?: QuietHours;
  holdoutShare: number;
  /** Rate-throttled calls retried in place before the message is left for a later delivery. */
  throttleRetries: number;
  /** How long a daily-quota stop lasts before sending is tried again. */
  quotaPauseMs: number;
};

export type SenderDeps = {
  ledger: SendLedger;
  recipients: RecipientStore;
  suppressions: SuppressionStore;
  activity: MemberActivity;
  ses: SESv2Client;
  pacer: SendPacer;
  tokens: UnsubscribeTokens;
  render: Renderer;
  settings: SenderSettings;
  /** Told when an email of a replayed planner run was already decided by an earlier run (its report counts it). */
  onAlreadyHandled?: (runId: string) => Promise<void>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
};

export type Outcome = FinalState | 'duplicate' | 'busy' | 'held' | 'retry';

/** `delete`: the message is done with. `hold`: keep it invisible for `seconds`. `retry`: leave it to come back. */
export type Disposition = { outcome: Outcome; action: 'delete' | 'hold' | 'retry'; seconds?: number; reason?: SendReason | string };

/** A delivery finding its key held by another sender looks again after this long (the holder usually decides in well under a second). */
export const BUSY_RECHECK_SECONDS = 5;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Message tag values allow only [A-Za-z0-9_-]: the dedupe key travels base64url-encoded, so events lead back to it. */
export const encodeTagValue = (value: string): string => Buffer.from(value, 'utf8').toString('base64url');
export const decodeTagValue = (value: string): string => Buffer.from(value, 'base64url').toString('utf8');
export const DEDUPE_TAG = 'dedupe_key';

export function emailLinks(tokens: UnsubscribeTokens, baseUrl: string, request: Pick<EmailRequest, 'memberId' | 'topic'>): EmailLinks {
  const topicToken = tokens.sign({ memberId: request.memberId, topic: request.topic });
  return { unsubscribeUrl: `${baseUrl}/u/${topicToken}`, preferencesUrl: `${baseUrl}/preferences/${topicToken}` };
}

export async function handleEmailRequest(request: EmailRequest, deps: SenderDeps): Promise<Disposition> {
  const now = deps.now ?? Date.now;
  const s = deps.settings;
  const marketing = request.kind === 'marketing';

  const pausedUntil = deps.pacer.pausedUntilMs;
  if (pausedUntil) return { outcome: 'held', action: 'hold', seconds: Math.ceil((pausedUntil - now()) / 1000), reason: 'sending paused' };
  const quiet = marketing ? secondsUntilQuietEnds(new Date(now()), s.quietHours, s.timeZone) : 0;
  if (quiet > 0) return { outcome: 'held', action: 'hold', seconds: quiet, reason: 'quiet hours' };

  const reservation = await deps.ledger.reserve(request);
  if (reservation.outcome === 'duplicate') {
    if (reservation.firstForRun) await deps.onAlreadyHandled?.(request.runId);
    return { outcome: 'duplicate', action: 'delete', reason: reservation.entry.state };
  }
  // Another sender is deciding it right now (two deliveries in flight): look again shortly, when it is decided.
  if (reservation.outcome === 'busy') return { outcome: 'busy', action: 'hold', seconds: BUSY_RECHECK_SECONDS, reason: 'another sender holds it' };
  if (reservation.outcome === 'ambiguous') {
    deps.log.warn({ dedupeKey: request.dedupeKey }, 'a sender stopped during its SES call for this email: recorded as unknown, not sent again');
    return { outcome: 'unknown', action: 'delete', reason: 'INTERRUPTED' };
  }
  const key = request.dedupeKey;
  const finish = async (state: FinalState, reason?: SendReason, detail?: string, messageId?: string): Promise<Disposition> => {
    const ok = await deps.ledger.finish(key, state, { ...(reason ? { reason } : {}), ...(detail ? { detail } : {}), ...(messageId ? { messageId } : {}) });
    if (!ok) deps.log.warn({ dedupeKey: key, state }, 'the reservation was taken over before its outcome was written');
    return { outcome: state, action: 'delete', ...(reason ? { reason } : {}) };
  };

  const decided = await recheck(request, deps, now);
  if (decided) return finish(decided.state, decided.reason, decided.detail);

  let capped = false;
  if (marketing && s.cap) {
    const claim = await deps.recipients.claimCapSlot(request.memberId, key, s.cap);
    if (claim.outcome === 'capped') return finish('capped', 'FREQUENCY_CAP', `${claim.recent.length} marketing emails since ${claim.recent[0]?.day ?? '?'}`);
    capped = true;
  }
  const giveBackSlot = async () => {
    if (capped) await deps.recipients.releaseCapSlot(request.memberId, key);
  };

  let email: RenderedEmail;
  const links = emailLinks(deps.tokens, s.publicBaseUrl, request);
  try {
    email = deps.render(request, links);
  } catch (err) {
    await giveBackSlot();
    return finish('failed', 'REJECTED', `template: ${(err as Error).message}`);
  }
  const input = sendEmailInput(request, email, links, s);

  for (let attempt = 1; ; attempt++) {
    const result = await deps.pacer.schedule(async (): Promise<SesOutcome | 'lost'> => {
      if (!(await deps.ledger.markSending(key))) return 'lost';
      await deps.pacer.startCall(); // the hard ceiling: never more than the rate in any second
      return callSendEmail(deps.ses, input);
    });
    if (result === 'lost') {
      deps.log.warn({ dedupeKey: key }, 'the reservation was taken over before the SES call: not sent by this sender');
      return { outcome: 'busy', action: 'delete', reason: 'taken over' };
    }
    switch (result.kind) {
      case 'accepted':
        return finish('sent', undefined, undefined, result.messageId);
      case 'ambiguous':
        deps.log.warn({ dedupeKey: key, reason: result.reason, err: result.message }, 'SES outcome unknown: recorded as unknown, never sent again (an SES event may still confirm it)');
        return finish('unknown', result.reason, result.message);
      case 'rejected':
        await giveBackSlot();
        return finish('failed', 'REJECTED', `${result.code}: ${result.message}`);
      case 'rate_throttled':
      case 'not_accepted':
        if (attempt <= s.throttleRetries) {
          await deps.ledger.release(key, `${result.kind}: ${result.message}`, { keepLease: true });
          await (deps.sleep ?? realSleep)(Math.min(5_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2));
          continue;
        }
        await deps.ledger.release(key, `${result.kind} ${attempt} times: ${result.message}`, { keepLease: false });
        await giveBackSlot();
        return { outcome: 'retry', action: 'retry', reason: result.kind };
      case 'quota_exhausted':
      case 'sending_paused': {
        const pauseMs = s.quotaPauseMs;
        deps.pacer.pause(pauseMs, result.kind === 'quota_exhausted' ? 'daily_quota' : 'sending_paused', result.message);
        await deps.ledger.release(key, result.message, { keepLease: false });
        await giveBackSlot();
        return { outcome: 'held', action: 'hold', seconds: Math.ceil(pauseMs / 1000), reason: result.kind };
      }
    }
  }
}

/** The send-time re-check: a reason not to send, or undefined to go on. */
async function recheck(request: EmailRequest, deps: SenderDeps, now: () => number): Promise<{ state: FinalState; reason: SendReason; detail?: string } | undefined> {
  if (Date.parse(request.expiresAt) <= now()) return { state: 'dropped', reason: 'EXPIRED', detail: `expired at ${request.expiresAt}` };
  const suppressed = await deps.suppressions.get(request.to);
  if (suppressed) return { state: 'suppressed', reason: suppressed.reason, detail: `since ${suppressed.at}` };
  if (request.kind !== 'marketing') return undefined;
  const unsubscribed = await deps.recipients.unsubscribedFrom(request.memberId, request.topic);
  if (unsubscribed) return { state: 'suppressed', reason: 'UNSUBSCRIBED', detail: `since ${unsubscribed.at} (${unsubscribed.source})` };
  if (inHoldout(request.memberId, deps.settings.holdoutShare)) return { state: 'dropped', reason: 'HOLDOUT' };
  const c = request.conditions;
  if (c?.noVisitSince || c?.activeMember) {
    const member = (await deps.activity.lookup([request.memberId])).get(request.memberId);
    if (!member) return { state: 'dropped', reason: 'UNKNOWN_MEMBER' };
    if (c.activeMember && member.status !== 'active') return { state: 'dropped', reason: 'NOT_ACTIVE', detail: `status ${member.status}` };
    if (c.noVisitSince && member.lastCheckInAt && Date.parse(member.lastCheckInAt) > Date.parse(c.noVisitSince)) {
      return { state: 'dropped', reason: 'CAME_BACK', detail: `checked in at ${member.lastCheckInAt}` };
    }
  }
  return undefined;
}

function sendEmailInput(request: EmailRequest, email: RenderedEmail, links: EmailLinks, s: SenderSettings) {
  // RFC 8058: one HTTPS URI that identifies member and list, and the one-click marker; each header once.
  const headers: MessageHeader[] = [
    { Name: 'List-Unsubscribe', Value: `<${links.unsubscribeUrl}>` },
    { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
  ];
  const tags: MessageTag[] = [
    { Name: DEDUPE_TAG, Value: encodeTagValue(request.dedupeKey) },
    { Name: 'campaign', Value: request.campaignId },
    { Name: 'kind', Value: request.kind },
  ];
  return {
    FromEmailAddress: s.from,
    Destination: { ToAddresses: [request.to] },
    Content: {
      Simple: {
        Subject: { Data: email.subject, Charset: 'UTF-8' },
        Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
        Headers: headers,
      },
    },
    EmailTags: tags,
    ...(s.configurationSet ? { ConfigurationSetName: s.configurationSet } : {}),
  };
}

export type { LedgerEntry };
