import Type from 'typebox';
import { literalUnion, PeakError } from '@peak/contracts';
import type { ServiceApp } from '@peak/service-kit';
import { faultSpec } from './faults.js';
import { SCRIPTABLE_OUTCOMES } from './outcomes.js';
import type { EventPublisher } from './publisher.js';
import type { Sandbox } from './sandbox.js';
import { SUPPRESSION_REASONS } from './suppression.js';

export type AdminOptions = { sandbox: Sandbox; publisher: EventPublisher };

const tags = ['sandbox'];
const notFound = (message: string) => new PeakError(message, 'NOT_FOUND', 404);

/** `since` as an ISO date-time or epoch milliseconds. */
function sinceOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) throw new PeakError(`since must be an ISO date-time or epoch milliseconds; got ${JSON.stringify(value)}`, 'BAD_REQUEST', 400);
  return ms;
}

const accountPatch = Type.Object(
  {
    maxSendRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Recipients per second (MaxSendRate)' })),
    max24HourSend: Type.Optional(Type.Integer({ minimum: -1, description: 'Recipients per rolling 24 h (Max24HourSend); -1 = unlimited' })),
    sendingEnabled: Type.Optional(Type.Boolean({ description: 'false: every send is refused with SendingPausedException' })),
    suppressedReasons: Type.Optional(Type.Array(literalUnion(SUPPRESSION_REASONS), { description: 'Reasons SES adds addresses to the suppression list by itself' })),
    defaultOutcome: Type.Optional(literalUnion(SCRIPTABLE_OUTCOMES, { description: 'Outcome of recipients nothing else decides for' })),
  },
  { additionalProperties: false },
);

/**
 * The sandbox's own controls, at /_sandbox (no auth, not SES-shaped, not rate limited): read what was sent, script
 * outcomes, inject faults, change the account, read counters, reset.
 */
export async function adminRoutes(admin: ServiceApp, { sandbox, publisher }: AdminOptions): Promise<void> {
  admin.get(
    '/messages',
    {
      schema: {
        tags,
        summary: 'Accepted messages, oldest first, with headers, tags, configuration set, each recipient\'s outcome and the events generated',
        querystring: Type.Object({
          to: Type.Optional(Type.String({ description: 'Only messages with this recipient (To, Cc or Bcc; any case)' })),
          configurationSet: Type.Optional(Type.String({ description: 'Only messages sent through this configuration set' })),
          since: Type.Optional(Type.String({ description: 'Only messages accepted at or after this instant (ISO date-time or epoch ms)' })),
        }),
      },
    },
    async (req) => {
      const since = sinceOf(req.query.since);
      return {
        dropped: sandbox.messages.dropped,
        messages: sandbox.messages.list({
          ...(req.query.to !== undefined ? { to: req.query.to } : {}),
          ...(req.query.configurationSet !== undefined ? { configurationSet: req.query.configurationSet } : {}),
          ...(since !== undefined ? { since } : {}),
        }),
      };
    },
  );
  admin.get('/messages/:messageId', { schema: { tags, summary: 'One accepted message', params: Type.Object({ messageId: Type.String() }) } }, async (req) => {
    const message = sandbox.messages.get(req.params.messageId);
    if (!message) throw notFound(`No message ${req.params.messageId}`);
    return message;
  });

  admin.get('/counters', { schema: { tags, summary: 'Sends, recipients, unanswered sends, refusals by reason, events generated/published/failed, viewer forwards' } }, async () =>
    sandbox.counters.snapshot(),
  );
  admin.post('/events/flush', { schema: { tags, summary: 'Wait until every event queued so far is published (or failed); answers the counters' } }, async () => {
    await publisher.settled();
    return sandbox.counters.snapshot();
  });

  admin.post(
    '/faults',
    { schema: { tags, summary: 'Inject a SendEmail fault: throttle, daily-quota, server-error, sending-paused, message-rejected, accept-then-hang/-reset/-error', body: faultSpec } },
    async (req, reply) => reply.code(201).send(sandbox.faults.add(req.body)),
  );
  admin.get('/faults', { schema: { tags, summary: 'Faults still in force, with how often each applied' } }, async () => ({ faults: sandbox.faults.list() }));
  admin.delete('/faults', { schema: { tags, summary: 'Remove every fault' } }, async (_req, reply) => {
    sandbox.faults.clear();
    return reply.code(204).send();
  });
  admin.delete('/faults/:id', { schema: { tags, summary: 'Remove one fault', params: Type.Object({ id: Type.String() }) } }, async (req, reply) => {
    if (!sandbox.faults.remove(req.params.id)) throw notFound(`No fault ${req.params.id}`);
    return reply.code(204).send();
  });

  const addressParams = Type.Object({ address: Type.String({ description: 'An email address (URL-encoded)' }) });
  admin.get('/outcomes', { schema: { tags, summary: 'Scripted outcomes by address' } }, async () => ({ outcomes: sandbox.outcomes.list() }));
  admin.put(
    '/outcomes/:address',
    {
      schema: {
        tags,
        summary: 'Script what happens to mail for one address: deliver, hard_bounce (Permanent/General), soft_bounce (Transient/MailboxFull), complaint (delivery + complaint)',
        params: addressParams,
        body: Type.Object({ outcome: literalUnion(SCRIPTABLE_OUTCOMES) }, { additionalProperties: false }),
      },
    },
    async (req) => sandbox.outcomes.script(req.params.address, req.body.outcome),
  );
  admin.delete('/outcomes/:address', { schema: { tags, summary: 'Forget the scripted outcome of one address', params: addressParams } }, async (req, reply) => {
    if (!sandbox.outcomes.remove(req.params.address)) throw notFound(`No outcome scripted for ${req.params.address}`);
    return reply.code(204).send();
  });
  admin.delete('/outcomes', { schema: { tags, summary: 'Forget every scripted outcome' } }, async (_req, reply) => {
    sandbox.outcomes.clear();
    return reply.code(204).send();
  });

  admin.get('/account', { schema: { tags, summary: 'The account settings: quotas, sending, automatic suppression reasons, default outcome' } }, async () => sandbox.account);
  admin.patch('/account', { schema: { tags, summary: 'Change account settings (the quotas apply from the next send)', body: accountPatch } }, async (req) => {
    const { suppressedReasons, ...rest } = req.body;
    return sandbox.configure({ ...rest, ...(suppressedReasons ? { suppressedReasons: [...new Set(suppressedReasons)] } : {}) });
  });

  admin.post(
    '/reset',
    {
      schema: {
        tags,
        summary: 'A fresh account: no messages, counters, spent quota, faults, scripted outcomes or suppressed addresses; settings as started',
        querystring: Type.Object({
          configurationSets: Type.Optional(Type.Boolean({ description: 'Remove the configuration sets too (default false)' })),
          viewer: Type.Optional(Type.Boolean({ description: "Clear the inner emulator's store too, templates included (default false)" })),
        }),
      },
    },
    async (req, reply) => {
      sandbox.reset(req.query);
      return reply.code(204).send();
    },
  );
}
