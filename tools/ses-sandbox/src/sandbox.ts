import type { FastifyBaseLogger } from 'fastify';
import { clearStore } from 'aws-ses-v2-local/dist/store.js';
import { ConfigurationSets, type ConfigurationSet } from './config-sets.js';
import type { Counters, RefusalReason } from './counters.js';
import type { InnerEmulator, ViewerCopy } from './emulator.js';
import { DAILY_QUOTA_EXCEEDED, SesError } from './errors.js';
import { eventsFor, MATCHING_TYPE, type EventContext } from './events.js';
import { faultError, Faults, type Fault } from './faults.js';
import { sesId } from './ids.js';
import { SendLimits, type Admission, type QuotaSettings } from './limits.js';
import { MessageStore, type Answer, type EventRecord, type RecipientResult, type StoredMessage } from './messages.js';
import { isSimulatorAddress, Outcomes, type ScriptedOutcome } from './outcomes.js';
import type { EventPublisher } from './publisher.js';
import { SuppressionList, type SuppressionReason } from './suppression.js';
import { parseSendEmail, recipientsOf, type SendRequest } from './validate.js';

/** The account the sandbox plays: its quotas and switches (GetAccount reads them; `/_sandbox/account` changes them). */
export type AccountSettings = QuotaSettings & {
  sendingEnabled: boolean;
  /** Reasons SES adds addresses to the account's suppression list by itself (account-level suppression). */
  suppressedReasons: SuppressionReason[];
  /** What happens to a recipient nothing else decides for. */
  defaultOutcome: ScriptedOutcome;
};

export const DEFAULT_ACCOUNT: AccountSettings = {
  // A new production SES account's usual starting quotas.
  maxSendRate: 14,
  max24HourSend: 50_000,
  sendingEnabled: true,
  suppressedReasons: ['BOUNCE', 'COMPLAINT'],
  defaultOutcome: 'deliver',
};

/** An accepted send and how its answer must end (a fault of the accepting kind, if one applied). */
export type Accepted = { message: StoredMessage; fault?: Fault };

type Deps = {
  account: AccountSettings;
  context: EventContext;
  now: () => number;
  emulator: InnerEmulator;
  publisher: EventPublisher;
  /** How many accepted messages to keep for inspection (the oldest are dropped). */
  maxStoredMessages: number;
  /** Shared with the publisher, which counts what it publishes. */
  counters: Counters;
  log: FastifyBaseLogger;
};

/** The SES account the sandbox simulates: its state, and the whole life of a SendEmail call. */
export class Sandbox {
  readonly messages: MessageStore;
  readonly suppression = new SuppressionList();
  readonly configurationSets = new ConfigurationSets();
  readonly counters: Counters;
  readonly outcomes: Outcomes;
  readonly faults: Faults;
  readonly limits: SendLimits;
  readonly account: AccountSettings;
  readonly now: () => number;
  readonly context: EventContext;
  private readonly initial: AccountSettings;

  constructor(private readonly deps: Deps) {
    this.initial = structuredClone(deps.account);
    this.account = structuredClone(deps.account);
    this.now = deps.now;
    this.counters = deps.counters;
    this.messages = new MessageStore(deps.maxStoredMessages);
    this.context = deps.context;
    this.limits = new SendLimits(this.account);
    this.faults = new Faults(deps.now);
    this.outcomes = new Outcomes(this.account.defaultOutcome);
  }

  /** Changes the account's settings (the quotas apply to the next send). */
  configure(patch: Partial<AccountSettings>): AccountSettings {
    Object.assign(this.account, patch);
    this.outcomes.defaultOutcome = this.account.defaultOutcome;
    return this.account;
  }

  /**
   * SendEmail, in SES's order as far as the sandbox can tell: well-formed (400), configuration set exists (404),
   * sending enabled (SendingPausedException), injected refusals, the daily quota and the rate (429). A refusal stores,
   * counts and sends nothing. Then the message is accepted: forwarded to the inner emulator, stored, each recipient's
   * outcome decided (suppression list, scripted, simulator, default), the suppression list updated, and its events
   * queued for publishing after the answer.
   */
  async send(body: unknown, signal: AbortSignal): Promise<Accepted> {
    const request = this.refusing(() => parseSendEmail(body), (e) => (e.type === 'NotFoundException' ? 'not_found' : 'bad_request'));
    const set = request.configurationSet === undefined ? undefined : this.refusing(() => this.configurationSets.require(request.configurationSet ?? ''), () => 'not_found');
    if (!this.account.sendingEnabled) this.refuse('sending_paused', new SesError('SendingPausedException', 'Sending is paused for this account.'));
    if (set && !set.sendingEnabled) this.refuse('sending_paused', new SesError('SendingPausedException', `Sending is paused for configuration set <${set.name}>.`));
    const refusal = this.faults.refusal();
    if (refusal) this.refuse(`fault:${refusal.kind}`, faultError(refusal));

    const at = this.now();
    const recipients = recipientsOf(request);
    const admission = this.refusing(() => this.limits.admit(recipients.length, at), (e) => (e.message === DAILY_QUOTA_EXCEEDED ? 'daily_quota' : 'rate_limit'));
    const messageId = sesId(at);
    const copy = await this.forward(body, messageId, admission, signal);

    const message = this.accept(request, set, messageId, at, copy);
    const fault = this.faults.afterAccept();
    if (fault) {
      const answer: Answer = fault.kind === 'accept-then-hang' ? 'hung' : fault.kind === 'accept-then-reset' ? 'reset' : 'error';
      message.answer = answer;
      this.counters.value.unanswered[answer === 'hung' ? 'hung' : answer === 'reset' ? 'reset' : 'error'] += 1;
    }
    this.deps.publisher.publish(message.events);
    return { message, ...(fault ? { fault } : {}) };
  }

  /** GetAccount's answer. */
  getAccount(): Record<string, unknown> {
    const { max24HourSend, maxSendRate, sendingEnabled, suppressedReasons } = this.account;
    return {
      DedicatedIpAutoWarmupEnabled: false,
      EnforcementStatus: 'HEALTHY',
      ProductionAccessEnabled: true,
      SendingEnabled: sendingEnabled,
      SendQuota: { Max24HourSend: max24HourSend, MaxSendRate: maxSendRate, SentLast24Hours: this.limits.sentLast24Hours(this.now()) },
      SuppressionAttributes: { SuppressedReasons: [...suppressedReasons] },
      Details: {
        MailType: 'MARKETING',
        WebsiteURL: 'https://peakfitness.example',
        ContactLanguage: 'EN',
        UseCaseDescription: 'Local SES sandbox (tools/ses-sandbox)',
        AdditionalContactEmailAddresses: [],
        ReviewDetails: { Status: 'GRANTED', CaseId: 'ses-sandbox' },
      },
      VdmAttributes: { VdmEnabled: 'DISABLED' },
    };
  }

  /**
   * Back to a fresh account: no messages, counters, spent quota, faults, scripted outcomes or suppressed addresses, and
   * the account settings it started with. Configuration sets stay unless asked (tests usually create them once); the
   * inner emulator's store (shared by every aws-ses-v2-local in the process, templates included) only when asked.
   */
  reset({ configurationSets = false, viewer = false }: { configurationSets?: boolean; viewer?: boolean } = {}): void {
    this.messages.clear();
    this.counters.reset();
    this.limits.reset();
    this.faults.clear();
    this.outcomes.clear();
    this.suppression.clear();
    this.configure(structuredClone(this.initial));
    if (configurationSets) this.configurationSets.clear();
    if (viewer) clearStore();
  }

  private refuse(reason: RefusalReason, err: SesError): never {
    this.counters.refused(reason);
    throw err;
  }

  private refusing<T>(step: () => T, reason: (e: SesError) => RefusalReason): T {
    try {
      return step();
    } catch (err) {
      if (err instanceof SesError) this.refuse(reason(err), err);
      throw err;
    }
  }

  /** The emulator's copy; its refusal undoes the admission; its absence is logged and the send goes on. */
  private async forward(body: unknown, messageId: string, admission: Admission, signal: AbortSignal): Promise<ViewerCopy | undefined | 'failed'> {
    try {
      const copy = await this.deps.emulator.forwardSend(body, messageId, signal);
      this.counters.value.viewer.forwarded += 1;
      return copy;
    } catch (err) {
      if (err instanceof SesError) {
        this.limits.release(admission);
        this.refuse('emulator', err);
      }
      this.counters.value.viewer.failures += 1;
      this.deps.log.warn({ err, messageId }, 'the inner SES emulator did not take the message; it is accepted anyway');
      return 'failed';
    }
  }

  private accept(request: SendRequest, set: ConfigurationSet | undefined, messageId: string, at: number, copy: ViewerCopy | undefined | 'failed'): StoredMessage {
    const viewer = copy === 'failed' ? undefined : copy;
    const subject = request.kind === 'Simple' ? request.subject : (viewer?.subject ?? request.subject);
    const html = request.kind === 'Simple' ? request.html : viewer?.body.html;
    const text = request.kind === 'Simple' ? request.text : viewer?.body.text;
    const message: StoredMessage = {
      messageId,
      acceptedAt: new Date(at).toISOString(),
      kind: request.kind,
      from: request.from,
      fromAddress: request.fromAddress,
      replyTo: request.replyTo,
      to: request.to,
      cc: request.cc,
      bcc: request.bcc,
      ...(subject !== undefined ? { subject } : {}),
      ...(html !== undefined ? { html } : {}),
      ...(text !== undefined ? { text } : {}),
      headers: request.headers,
      tags: request.tags,
      ...(request.configurationSet !== undefined ? { configurationSet: request.configurationSet } : {}),
      ...(request.template ? { template: request.template } : {}),
      answer: 'answered',
      viewer: copy === 'failed' ? 'failed' : 'stored',
      recipients: recipientsOf(request).map((address) => this.decide(address, messageId, at, set)),
      events: [],
    };
    message.events = eventsFor(message, this.context).map((event): EventRecord => {
      const type = MATCHING_TYPE[event.eventType];
      const topics = [...(set?.destinations.values() ?? [])]
        .filter((d) => d.Enabled && d.SnsDestination && d.MatchingEventTypes.includes(type))
        .map((d) => d.SnsDestination?.TopicArn ?? '');
      return { eventType: event.eventType, status: topics.length > 0 ? 'pending' : 'not-published', topics, event };
    });
    const counted = this.counters.value;
    counted.sends += 1;
    counted.recipients += message.recipients.length;
    for (const e of message.events) {
      counted.events.generated[e.eventType] = (counted.events.generated[e.eventType] ?? 0) + 1;
      if (e.status === 'not-published') counted.events.notPublished += 1;
    }
    this.messages.add(message);
    return message;
  }

  /** One recipient's fate, and the suppression list entry a hard bounce or complaint adds (never for simulator addresses). */
  private decide(address: string, messageId: string, at: number, set: ConfigurationSet | undefined): RecipientResult {
    const { outcome, source } = this.outcomes.decide(address, this.suppression.get(address) !== undefined);
    const result: RecipientResult = { address, outcome, source };
    if (outcome === 'deliver') return result;
    result.feedbackId = sesId(at);
    if (outcome === 'hard_bounce') Object.assign(result, { bounceType: 'Permanent', bounceSubType: 'General' });
    if (outcome === 'soft_bounce') Object.assign(result, { bounceType: 'Transient', bounceSubType: 'MailboxFull' });
    if (outcome === 'suppressed') Object.assign(result, { bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList' });
    const reason: SuppressionReason | undefined = outcome === 'hard_bounce' ? 'BOUNCE' : outcome === 'complaint' ? 'COMPLAINT' : undefined;
    const reasons = set?.suppressedReasons ?? this.account.suppressedReasons;
    if (reason && reasons.includes(reason) && !isSimulatorAddress(address)) {
      this.suppression.put(address, reason, at, { messageId, feedbackId: result.feedbackId });
      result.addedToSuppressionList = reason;
    }
    return result;
  }
}
