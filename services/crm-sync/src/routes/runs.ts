import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import Type, { type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';
import { CRM_SYNC_OUTCOMES } from '@peak/contracts';
import type { Lake } from '@peak/lake';
import type { ServiceApp } from '@peak/service-kit';
import type { SyncRunner } from '../runner.js';
import { SyncBusyError } from '../sync/lock.js';
import { maskEmails } from '../sync/push.js';
import { latestRuns, RUNS_PREFIX, type SyncRun } from '../sync/state.js';
import { NOT_CONFIGURED_MESSAGE, refusals, RunsApiError } from './errors.js';

export type RunsRoutesOptions = {
  /** The runner and the lake it records runs in; undefined (no LAKE_URI): every route answers 503 NOT_CONFIGURED. */
  source: { runner: SyncRunner; lake: Lake } | undefined;
  /** Bearer keys (CRM_SYNC_API_KEYS, CRM_SYNC_API_KEY); none: every route answers 403 API_DISABLED. */
  apiKeys: readonly string[];
};

const BASE = '/v1/runs';
export const MAX_RUNS_LIMIT = 100;
/** The body is `{"dryRun": true}` at most. */
export const RUNS_BODY_LIMIT = 1024;
/** As `newRunId` makes them (state.ts): the time to the millisecond, then a suffix. Nothing else reaches the lake. */
export const RUN_ID_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}-\\d{3}Z-[0-9A-Za-z]{1,32}$';
const EXAMPLE_ID = '2026-12-07T11-00-00-123Z-3f9a';
const BODY_RULE = 'POST /v1/runs takes no body, or the JSON object {"dryRun": true|false}';

// ---- schemas

const count = (description: string) => Type.Integer({ minimum: 0, description });
const counts = Type.Object(
  {
    members: count('Members in the data'),
    changed: count('Members whose properties changed and were due to be sent'),
    sent: count('Members HubSpot accepted'),
    created: count('Of them, contacts HubSpot created'),
    updated: count('Of them, contacts HubSpot updated'),
    failed: count('Members HubSpot refused or that could not be sent'),
    retried: Type.Optional(count('Members sent again because they failed in an earlier run')),
    unchanged: count('Members whose properties were the same as last sent'),
    skipped: count('Cancelled or opted-out members never synced: not pushed'),
    duplicates: count('Member ids more than once in the data (the first row counted)'),
    requests: count('HubSpot API calls made'),
  },
  { additionalProperties: true, description: 'What the run did (counts added later come through as well)' },
);
const runFields = {
  runId: Type.String({ description: 'Run id: sorts by start time', examples: [EXAMPLE_ID] }),
  startedAt: Type.String({ format: 'date-time', description: 'Start (UTC)' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'End (UTC); null while running' }),
  asOf: Type.Union([Type.String({ format: 'date' }), Type.Null()], { description: "The data's last day the attributes are as of; null until the run has read the lake" }),
  dryRun: Type.Boolean({ description: 'A dry run: the diff only, nothing sent' }),
  fullResync: Type.Optional(Type.Boolean({ description: 'Every member was sent, changed or not' })),
  outcome: Type.Enum(CRM_SYNC_OUTCOMES, { description: 'running, succeeded, partial (some members failed or the run stopped early) or failed' }),
  counts,
  stoppedBecause: Type.Optional(Type.String({ description: 'Why the run stopped early (daily limit, HubSpot down, …) or failed' })),
  alert: Type.Optional(Type.Object({ reasons: Type.Array(Type.String()) }, { description: 'Set when the run needs a person\'s attention: the reasons, in words' })),
  links: Type.Object({ self: Type.String({ description: 'This run', examples: [`${BASE}/${EXAMPLE_ID}`] }) }),
};
const exampleCounts = { members: 60, changed: 41, sent: 41, created: 41, updated: 0, failed: 0, retried: 0, unchanged: 0, skipped: 19, duplicates: 0, requests: 1 };
const exampleRun = {
  runId: EXAMPLE_ID, startedAt: '2026-12-07T11:00:00.123Z', finishedAt: '2026-12-07T11:00:04.020Z', asOf: '2026-12-06', dryRun: false, fullResync: false,
  outcome: 'succeeded', counts: exampleCounts, links: { self: `${BASE}/${EXAMPLE_ID}` },
};

const runSummary = Type.Object(runFields, { additionalProperties: true, description: 'One run, without its per-member errors and preview' });
const runList = Type.Object(
  { runs: Type.Array(runSummary, { description: 'Newest first' }) },
  { description: 'The latest runs', examples: [{ runs: [exampleRun] }] },
);
const runDetail = Type.Object(
  {
    ...runFields,
    errors: Type.Array(
      Type.Object({
        memberId: Type.String(),
        category: Type.String({ description: "HubSpot's error category (VALIDATION_ERROR, …)" }),
        message: Type.String({ description: "HubSpot's message, emails masked (a***@example.com)" }),
      }),
      { description: 'Per-member failures (at most 1000; counts.failed has them all)' },
    ),
    preview: Type.Optional(
      Type.Array(
        Type.Object({
          memberId: Type.String(),
          action: Type.Optional(Type.Union([Type.Literal('create'), Type.Literal('update')], { description: 'create: crm-sync never synced this member; update: it did' })),
          reason: Type.String({ description: 'Why it would be sent (new, changed, …)' }),
          changed: Type.Optional(Type.Array(Type.String(), { description: 'The properties whose value would change' })),
          properties: Type.Record(Type.String(), Type.String(), { description: 'The contact properties it would send (the email left out)' }),
        }),
        { description: "A dry run's first changes: what it would send" },
      ),
    ),
    wouldSend: Type.Optional(
      Type.Object(
        {
          create: Type.Integer({ minimum: 0, description: 'Contacts it would create' }),
          update: Type.Integer({ minimum: 0, description: 'Contacts it would update' }),
          duplicateIds: Type.Array(Type.String(), { description: 'Member ids more than once in the data (the first 20); sent once, reported' }),
        },
        { description: "A dry run's totals (the changelog relation crm_sync_changes lists every member)" },
      ),
    ),
  },
  { additionalProperties: true, description: 'One run, as recorded in the lake (crm-sync/runs/<id>.json)', examples: [{ ...exampleRun, errors: [] }] },
);
const runStarted = Type.Object(
  {
    runId: runFields.runId,
    status: Type.Literal('running', { description: 'The run has started and recorded itself (its `outcome`)' }),
    dryRun: runFields.dryRun,
    links: runFields.links,
  },
  { description: 'The run started; follow it at links.self (also the Location header)', examples: [{ runId: EXAMPLE_ID, status: 'running', dryRun: false, links: exampleRun.links }] },
);
const startBody = Type.Object(
  { dryRun: Type.Optional(Type.Boolean({ default: false, description: 'Diff only: record what would be sent, send nothing (takes no lock)' })) },
  { additionalProperties: false, description: 'Optional: no body is a run ({})', examples: [{ dryRun: true }] },
);
const listQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: MAX_RUNS_LIMIT, default: 10, description: `How many runs (1–${MAX_RUNS_LIMIT})` }) },
  { additionalProperties: false },
);
const runParams = Type.Object({ id: Type.String({ pattern: RUN_ID_PATTERN, description: 'Run id', examples: [EXAMPLE_ID] }) });

/** The sentence a refused parameter gets (the schema check alone would say "must match pattern …"). */
const RULES: Readonly<Record<string, string>> = {
  dryRun: 'dryRun must be true or false',
  limit: `limit must be a whole number from 1 to ${MAX_RUNS_LIMIT}`,
  id: `a run id looks like ${EXAMPLE_ID} (as POST /v1/runs and GET /v1/runs answer them)`,
};

// ---- validation and refusals

/**
 * TypeBox's checker, not Fastify's Ajv: Ajv would coerce `"dryRun": "yes"` and strip unknown properties instead of
 * refusing them. No body is an empty one; query strings and params are converted (text to number) and defaulted.
 */
const strictCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  return (value) => {
    const given = httpPart === 'body' ? (value ?? {}) : Value.Default(schema, Value.Convert(schema, value));
    return check.Check(given) ? { value: given } : { error: check.Errors(given) as unknown as FastifySchemaValidationError[] };
  };
};

function refusal(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const unknown = errors.flatMap((e) => ((e.params as { additionalProperties?: string[] }).additionalProperties ?? []).map((p) => JSON.stringify(p)));
  if (unknown.length > 0) return new Error(dataVar === 'body' ? `unknown property ${unknown.join(', ')}: ${BODY_RULE}` : `unknown parameter ${unknown.join(', ')}: GET /v1/runs takes limit`);
  const name = errors[0]?.instancePath.split('/').pop() ?? '';
  if (RULES[name]) return new Error(RULES[name]);
  return new Error(dataVar === 'body' ? BODY_RULE : `${dataVar}${errors[0]?.instancePath ?? ''} ${errors[0]?.message ?? 'is invalid'}`);
}

/** Fastify's own refusals (body parsing) in this API's codes; thrown on to the shell's handler, which answers them. */
function translated(err: FastifyError): Error {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new RunsApiError('BODY_TOO_LARGE', `the body is larger than ${RUNS_BODY_LIMIT} bytes: ${BODY_RULE}`);
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new RunsApiError('UNSUPPORTED_MEDIA_TYPE', `${BODY_RULE}, sent as Content-Type: application/json`);
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new RunsApiError('BAD_REQUEST', 'the body is empty but Content-Type says JSON: send {} (or {"dryRun": true}), or no Content-Type');
  if (err.code?.startsWith('FST_ERR_CTP_') && err.statusCode === 400) return new RunsApiError('BAD_REQUEST', `${err.message}: ${BODY_RULE}`);
  return err;
}

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

/** Bearer keys compared as SHA-256 digests with timingSafeEqual, every key, no early exit (as ingest does). */
function bearerAuth(keys: readonly string[]) {
  const digests = keys.map(digest);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (digests.length === 0) throw new RunsApiError('API_DISABLED', 'the runs API is switched off: set CRM_SYNC_API_KEYS (or CRM_SYNC_API_KEY) on crm-sync');
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (presented === undefined) {
      reply.header('www-authenticate', 'Bearer realm="peak-crm-sync"');
      throw new RunsApiError('UNAUTHENTICATED', 'an API key is required: send `Authorization: Bearer <key>` with one of CRM_SYNC_API_KEYS');
    }
    const candidate = digest(presented);
    let valid = false;
    for (const d of digests) valid = timingSafeEqual(d, candidate) || valid;
    if (!valid) throw new RunsApiError('INVALID_API_KEY', 'this API key is not valid for crm-sync: use one of CRM_SYNC_API_KEYS');
  };
}

// ---- answers

const selfLink = (runId: string) => ({ self: `${BASE}/${runId}` });
/** A record as answered: emails masked even where a run failed on an unexpected error, never the preview's email. */
function answered(run: SyncRun) {
  const { stoppedBecause, errors, preview, ...rest } = run;
  return {
    ...rest,
    ...(stoppedBecause === undefined ? {} : { stoppedBecause: maskEmails(stoppedBecause) }),
    errors: errors.map((e) => ({ ...e, message: maskEmails(e.message) })),
    ...(preview ? { preview: preview.map((p) => ({ ...p, properties: Object.fromEntries(Object.entries(p.properties).filter(([k]) => k !== 'email')) })) } : {}),
    links: selfLink(run.runId),
  };
}

const summary = ({ errors: _errors, preview: _preview, ...rest }: ReturnType<typeof answered>) => rest;

/** `/v1/runs`: start a sync, list the latest runs, follow one. Every route needs a bearer key (the records hold member ids). */
export async function runsRoutes(app: ServiceApp, { source, apiKeys }: RunsRoutesOptions): Promise<void> {
  app.setValidatorCompiler(strictCompiler);
  app.setSchemaErrorFormatter(refusal);
  app.setErrorHandler((err: FastifyError) => {
    throw translated(err);
  });
  app.addHook('onRequest', bearerAuth(apiKeys));
  // Said in full, not as the shell's generic 5xx: the fix is the operator's, and naming a variable gives nothing away.
  app.addHook('onRequest', async (_request, reply) => {
    if (!source) return reply.code(503).send({ code: 'NOT_CONFIGURED', message: NOT_CONFIGURED_MESSAGE });
  });
  /** The runner and lake (the hook above has refused every request without them). */
  const configured = () => {
    if (!source) throw new RunsApiError('NOT_CONFIGURED', NOT_CONFIGURED_MESSAGE);
    return source;
  };
  const authRefusals = refusals(401, 403, 503);

  app.post(
    BASE,
    {
      bodyLimit: RUNS_BODY_LIMIT,
      schema: {
        tags: ['runs'],
        summary: 'Start a sync run',
        description:
          'Starts a sync in the background and answers 202 once the run has recorded itself: follow it at `links.self` (also `Location`). ' +
          'One run at a time: 409 RUN_IN_PROGRESS names the run going (in this process, or another holding the lake lock `crm-sync/lock.json`) and since when. ' +
          'A dry run diffs only, sends nothing and takes no lock. Needs `Authorization: Bearer <key>` (CRM_SYNC_API_KEYS).',
        body: startBody,
        response: { 202: runStarted, ...refusals(400, 409, 413, 415), ...authRefusals },
      },
    },
    async (request, reply) => {
      const { runner } = configured();
      const dryRun = request.body.dryRun ?? false;
      let runId: string;
      try {
        ({ runId } = await runner.start('api', dryRun));
      } catch (err) {
        if (!(err instanceof SyncBusyError)) throw err;
        const follow = err.current.runId ? `; follow it at ${BASE}/${err.current.runId}` : '; try again once it has finished';
        throw new RunsApiError('RUN_IN_PROGRESS', `${err.message}${follow}`);
      }
      const links = selfLink(runId);
      return reply.code(202).header('location', links.self).send({ runId, status: 'running' as const, dryRun, links });
    },
  );

  app.get(
    BASE,
    {
      schema: {
        tags: ['runs'],
        summary: 'The latest runs',
        description: 'The latest runs, newest first: when, the data\'s day, counts, outcome and why a run stopped. A run\'s errors are at its own link.',
        querystring: listQuery,
        response: { 200: runList, ...refusals(400), ...authRefusals },
      },
    },
    async (request) => {
      const runs = await latestRuns(configured().lake, request.query.limit);
      return { runs: runs.map((run) => summary(answered(run))) };
    },
  );

  app.get(
    `${BASE}/:id`,
    {
      schema: {
        tags: ['runs'],
        summary: 'One run',
        description: 'One run as recorded in the lake, with its per-member errors (emails masked) and, for a dry run, the first changes it would send.',
        params: runParams,
        response: { 200: runDetail, ...refusals(400, 404), ...authRefusals },
      },
    },
    async (request) => {
      const { id } = request.params;
      const bytes = await configured().lake.getBytes(`${RUNS_PREFIX}${id}.json`);
      if (!bytes) throw new RunsApiError('RUN_NOT_FOUND', `no run ${id} in the lake: GET ${BASE} lists the latest`);
      return answered(JSON.parse(bytes.toString('utf8')) as SyncRun);
    },
  );
}
