import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyError, FastifyReply } from 'fastify';
import Type from 'typebox';
import type { ServiceApp } from '@peak/service-kit';
import { badRequest, SesError, sendSesError } from './errors.js';
import { faultError } from './faults.js';
import type { Sandbox } from './sandbox.js';
import { isReason, SUPPRESSION_REASONS, type SuppressedDestination } from './suppression.js';

export type SesApiOptions = {
  sandbox: Sandbox;
  /** Aborted when the app closes: cuts forwards and publishes short. */
  closing: AbortSignal;
  /** Answers withheld by accept-then-hang, destroyed when the app closes. */
  held: Set<ServerResponse>;
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const tags = ['ses'];
/** SES v2 timestamps in JSON bodies: epoch seconds (restJson1's default timestamp format). */
const epochSeconds = (ms: number) => ms / 1_000;
/** A query timestamp: the SDK sends ISO 8601; epoch seconds are accepted too. */
function queryTime(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1_000 : Date.parse(value);
  if (Number.isNaN(ms)) throw badRequest(`${name} is not a valid timestamp.`);
  return ms;
}

const summary = (e: SuppressedDestination) => ({ EmailAddress: e.emailAddress, Reason: e.reason, LastUpdateTime: epochSeconds(e.lastUpdateTime) });

/** Withholds the answer: the connection stays open until the client gives up or the app closes. */
function hold(reply: FastifyReply, held: Set<ServerResponse>): FastifyReply {
  reply.hijack();
  const res = reply.raw;
  held.add(res);
  res.once('close', () => held.delete(res));
  return reply;
}

/**
 * The SES v2 operations the sandbox answers itself, mounted at `/v2/email` (paths, methods and member names as
 * `@aws-sdk/client-sesv2` sends them). Every answer carries `x-amzn-RequestId`; every error is SES's REST-JSON error
 * (`sendSesError`). Like SES, a request without an `Authorization: AWS…` header is refused (the SDK always signs;
 * the signature itself is not checked).
 */
export async function sesApi(api: ServiceApp, { sandbox, closing, held }: SesApiOptions): Promise<void> {
  api.addHook('onRequest', async (req, reply) => {
    reply.header('x-amzn-RequestId', randomUUID());
    if (!req.headers.authorization?.startsWith('AWS')) throw new SesError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  });

  api.removeAllContentTypeParsers();
  api.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(badRequest('The request body is not valid JSON.'), undefined);
    }
  });
  api.addContentTypeParser('*', { parseAs: 'buffer' }, (req, _body, done) => done(badRequest(`Expected a JSON body, got Content-Type ${req.headers['content-type'] ?? '(none)'}.`), undefined));

  api.setErrorHandler((err: FastifyError | SesError, req, reply) => {
    if (err instanceof SesError) return sendSesError(reply, err);
    const status = err.statusCode ?? 500;
    if (status < 500) return sendSesError(reply, badRequest(err.message));
    req.log.error({ err }, 'SES sandbox request failed');
    return sendSesError(reply, new SesError('InternalServiceErrorException', 'Internal service error.'));
  });

  // ---- SendEmail, account ----
  api.post('/outbound-emails', { schema: { tags, summary: 'SendEmail: validation, quotas, suppression, outcomes, events; faults apply here' } }, async (req, reply) => {
    const { message, fault } = await sandbox.send(req.body, closing);
    if (fault?.kind === 'accept-then-hang') return hold(reply, held);
    if (fault?.kind === 'accept-then-reset') {
      reply.hijack();
      reply.raw.destroy();
      return reply;
    }
    if (fault?.kind === 'accept-then-error') throw faultError(fault);
    return { MessageId: message.messageId };
  });

  api.get('/account', { schema: { tags, summary: 'GetAccount: SendQuota from the sandbox settings and the recipients of the last 24 h' } }, async () => sandbox.getAccount());

  api.put('/account/sending', { schema: { tags, summary: 'PutAccountSendingAttributes: pause or resume sending' } }, async (req) => {
    const body: unknown = req.body;
    if (!isObject(body) || typeof body.SendingEnabled !== 'boolean') throw badRequest('SendingEnabled must be a boolean.');
    sandbox.configure({ sendingEnabled: body.SendingEnabled });
    return {};
  });

  api.put('/account/suppression', { schema: { tags, summary: 'PutAccountSuppressionAttributes: the reasons SES adds addresses by itself' } }, async (req) => {
    const body: unknown = req.body;
    const reasons = isObject(body) ? body.SuppressedReasons : undefined;
    if (!Array.isArray(reasons) || !reasons.every(isReason)) throw badRequest(`SuppressedReasons must be a list of ${SUPPRESSION_REASONS.join(' and/or ')}.`);
    sandbox.configure({ suppressedReasons: [...new Set(reasons)] });
    return {};
  });

  // ---- Account-level suppression list ----
  api.put('/suppression/addresses', { schema: { tags, summary: 'PutSuppressedDestination' } }, async (req) => {
    const body: unknown = req.body;
    if (!isObject(body) || typeof body.EmailAddress !== 'string') throw badRequest('EmailAddress is required.');
    if (!isReason(body.Reason)) throw badRequest(`Reason must be one of ${SUPPRESSION_REASONS.join(', ')}.`);
    sandbox.suppression.put(body.EmailAddress, body.Reason, sandbox.now());
    return {};
  });

  api.get(
    '/suppression/addresses',
    {
      schema: {
        tags,
        summary: 'ListSuppressedDestinations: Reason (repeatable), StartDate, EndDate, NextToken, PageSize',
        querystring: Type.Object({
          Reason: Type.Optional(Type.Array(Type.String())),
          StartDate: Type.Optional(Type.String()),
          EndDate: Type.Optional(Type.String()),
          NextToken: Type.Optional(Type.String()),
          PageSize: Type.Optional(Type.Integer()),
        }),
      },
    },
    async (req) => {
      const { Reason, StartDate, EndDate, NextToken, PageSize } = req.query;
      if (Reason && !Reason.every(isReason)) throw badRequest(`Reason must be one of ${SUPPRESSION_REASONS.join(', ')}.`);
      const startDate = queryTime(StartDate, 'StartDate');
      const endDate = queryTime(EndDate, 'EndDate');
      const page = sandbox.suppression.list({
        ...(Reason ? { reasons: Reason.filter(isReason) } : {}),
        ...(startDate !== undefined ? { startDate } : {}),
        ...(endDate !== undefined ? { endDate } : {}),
        ...(NextToken !== undefined ? { nextToken: NextToken } : {}),
        ...(PageSize !== undefined ? { pageSize: PageSize } : {}),
      });
      return { SuppressedDestinationSummaries: page.entries.map(summary), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
    },
  );

  const address = { params: Type.Object({ EmailAddress: Type.String() }) };
  api.get('/suppression/addresses/:EmailAddress', { schema: { tags, summary: 'GetSuppressedDestination', ...address } }, async (req) => {
    const e = sandbox.suppression.require(req.params.EmailAddress);
    return {
      SuppressedDestination: {
        ...summary(e),
        Attributes: { ...(e.attributes?.messageId ? { MessageId: e.attributes.messageId } : {}), ...(e.attributes?.feedbackId ? { FeedbackId: e.attributes.feedbackId } : {}) },
      },
    };
  });

  api.delete('/suppression/addresses/:EmailAddress', { schema: { tags, summary: 'DeleteSuppressedDestination', ...address } }, async (req) => {
    sandbox.suppression.delete(req.params.EmailAddress);
    return {};
  });

  // ---- Configuration sets and their event destinations ----
  const sets = sandbox.configurationSets;
  const setParams = { params: Type.Object({ ConfigurationSetName: Type.String() }) };
  const destParams = { params: Type.Object({ ConfigurationSetName: Type.String(), EventDestinationName: Type.String() }) };

  api.post('/configuration-sets', { schema: { tags, summary: 'CreateConfigurationSet' } }, async (req) => {
    sets.create(req.body);
    return {};
  });
  api.get('/configuration-sets', { schema: { tags, summary: 'ListConfigurationSets (one page: every set)' } }, async () => ({ ConfigurationSets: sets.names() }));
  api.get('/configuration-sets/:ConfigurationSetName', { schema: { tags, summary: 'GetConfigurationSet', ...setParams } }, async (req) => sets.describe(req.params.ConfigurationSetName));
  api.delete('/configuration-sets/:ConfigurationSetName', { schema: { tags, summary: 'DeleteConfigurationSet', ...setParams } }, async (req) => {
    sets.delete(req.params.ConfigurationSetName);
    return {};
  });
  api.put('/configuration-sets/:ConfigurationSetName/sending', { schema: { tags, summary: 'PutConfigurationSetSendingOptions', ...setParams } }, async (req) => {
    sets.putSendingOptions(req.params.ConfigurationSetName, req.body ?? {});
    return {};
  });
  api.put('/configuration-sets/:ConfigurationSetName/suppression-options', { schema: { tags, summary: 'PutConfigurationSetSuppressionOptions', ...setParams } }, async (req) => {
    sets.putSuppressionOptions(req.params.ConfigurationSetName, req.body ?? {});
    return {};
  });
  api.post('/configuration-sets/:ConfigurationSetName/event-destinations', { schema: { tags, summary: 'CreateConfigurationSetEventDestination', ...setParams } }, async (req) => {
    sets.addDestination(req.params.ConfigurationSetName, req.body);
    return {};
  });
  api.get('/configuration-sets/:ConfigurationSetName/event-destinations', { schema: { tags, summary: 'GetConfigurationSetEventDestinations', ...setParams } }, async (req) => ({
    EventDestinations: [...sets.require(req.params.ConfigurationSetName).destinations.values()],
  }));
  api.put('/configuration-sets/:ConfigurationSetName/event-destinations/:EventDestinationName', { schema: { tags, summary: 'UpdateConfigurationSetEventDestination', ...destParams } }, async (req) => {
    sets.updateDestination(req.params.ConfigurationSetName, req.params.EventDestinationName, req.body);
    return {};
  });
  api.delete('/configuration-sets/:ConfigurationSetName/event-destinations/:EventDestinationName', { schema: { tags, summary: 'DeleteConfigurationSetEventDestination', ...destParams } }, async (req) => {
    sets.deleteDestination(req.params.ConfigurationSetName, req.params.EventDestinationName);
    return {};
  });
}
