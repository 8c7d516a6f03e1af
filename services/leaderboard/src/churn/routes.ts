import { MetricInputError, QueryError } from '@peak/analytics';
import { churnMembers, churnModelReport, churnSummary, NoModelError } from '@peak/churn';
import type { ServiceApp } from '@peak/service-kit';
import { queryRuleFormatter } from '../refusals.js';
import { ChurnAnswers, type ChurnAnswersOptions, type ChurnSource } from './answers.js';
import { ChurnApiError, CHURN_ERRORS, NO_SCORES_MESSAGE, NOT_CONFIGURED_MESSAGE, type ChurnErrorCode } from './errors.js';
import { churnMembersPage, churnModelReport as modelReportSchema, churnSummary as summarySchema, membersQuery, modelRefusals, QUERY_RULES, summaryQuery, scoresRefusals } from './schemas.js';

export type ChurnRoutesOptions = {
  /** Engine and lake to read; undefined (no LAKE_URI): every route answers 503 NOT_CONFIGURED. */
  source: ChurnSource | undefined;
  answers?: Omit<ChurnAnswersOptions, 'timeoutMs'>;
};

/** A dashboard waits this long for the engine at most (Athena can queue); then 503 ANALYTICS_TIMEOUT. */
export const CHURN_QUERY_TIMEOUT_MS = 30_000;

/** The library's refusals in the API's words; anything else is ours (500). */
async function asked<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof MetricInputError) throw new ChurnApiError(err.code in CHURN_ERRORS ? (err.code as ChurnErrorCode) : 'BAD_REQUEST', err.message);
    if (err instanceof NoModelError) throw new ChurnApiError('NO_MODEL', err.message);
    if (err instanceof QueryError && err.code === 'TIMEOUT') throw new ChurnApiError('ANALYTICS_TIMEOUT', err.message);
    throw err;
  }
}

/** `/v1/churn` (the register prefix): the newest churn scores at a glance, the riskiest members, the model's report. */
export async function churnRoutes(app: ServiceApp, opts: ChurnRoutesOptions): Promise<void> {
  const timeoutMs = CHURN_QUERY_TIMEOUT_MS;
  const live = opts.source && { engine: opts.source.engine, lake: opts.source.lake, answers: new ChurnAnswers(opts.source, { ...opts.answers, timeoutMs }) };
  /** The engine, lake and kept answers (the onRequest hook has already refused every request without them). */
  const configured = () => {
    if (!live) throw new ChurnApiError('NOT_CONFIGURED', NOT_CONFIGURED_MESSAGE);
    return live;
  };

  // Said in full, not as the shell's generic 5xx: the fix is the operator's, and naming a variable gives nothing away.
  app.addHook('onRequest', async (_request, reply) => {
    if (!live) return reply.code(503).send({ code: 'NOT_CONFIGURED', message: NOT_CONFIGURED_MESSAGE });
  });
  app.addHook('preValidation', async (request) => {
    const query = request.query as Record<string, unknown>;
    for (const [name, value] of Object.entries(query)) {
      if (Array.isArray(value)) throw new ChurnApiError('BAD_REQUEST', `${name} is given ${value.length} times; give it once`);
      if (value === '') delete query[name]; // `?location=` (a cleared filter) is the same as no location
    }
  });
  app.setSchemaErrorFormatter(queryRuleFormatter(QUERY_RULES));

  app.get(
    '/summary',
    {
      schema: {
        tags: ['churn'],
        summary: 'The newest churn scores at a glance',
        description:
          'Members scored on the newest day with scores, by risk band, per home studio and as a distribution of scores (20 bins). ' +
          'With `location`, all of it for that home studio only. 404 NO_SCORES until the scoring job has run.',
        querystring: summaryQuery,
        response: { 200: summarySchema, ...scoresRefusals },
      },
    },
    async (request) => {
      const { location } = request.query;
      const { engine, answers } = configured();
      const summary = await asked(() =>
        answers.answer('scores', JSON.stringify(['summary', location ?? null]), (day) =>
          day === undefined ? Promise.resolve(undefined) : churnSummary(engine, { ...(location === undefined ? {} : { location }), asOf: day, timeoutMs }),
        ),
      );
      if (!summary) throw new ChurnApiError('NO_SCORES', NO_SCORES_MESSAGE);
      return summary;
    },
  );

  app.get(
    '/members',
    {
      schema: {
        tags: ['churn'],
        summary: 'The scored members, riskiest first',
        description:
          'One page of the members scored on the newest day, by score (highest first, then member id), with name, plan, band and the factors raising ' +
          'their risk most. `total` counts every member the filters match. 404 NO_SCORES until the scoring job has run.',
        querystring: membersQuery,
        response: { 200: churnMembersPage, ...scoresRefusals },
      },
    },
    async (request) => {
      const { location, band, limit, offset } = request.query;
      const filters = { ...(location === undefined ? {} : { location }), ...(band === undefined ? {} : { band }) };
      const { engine, answers } = configured();
      const page = await asked(() =>
        answers.answer('scores', JSON.stringify(['members', location ?? null, band ?? null, limit, offset]), (day) =>
          day === undefined ? Promise.resolve(undefined) : churnMembers(engine, { ...filters, limit, offset, asOf: day, timeoutMs }),
        ),
      );
      if (!page) throw new ChurnApiError('NO_SCORES', NO_SCORES_MESSAGE);
      return page;
    },
  );

  app.get(
    '/model',
    {
      schema: {
        tags: ['churn'],
        summary: 'The promoted churn model and how well it does',
        description:
          'What the model predicts, what it was trained on, its evaluation (model and days-since-last-visit baseline, against the lake\'s labels and the ' +
          'ground truth when it was given, with reliability tables) and every training run in the registry, newest first. 404 NO_MODEL until one is promoted.',
        response: { 200: modelReportSchema, ...modelRefusals },
      },
    },
    async () => {
      const { lake, answers } = configured();
      return asked(() => answers.answer('model', 'model', () => churnModelReport(lake)));
    },
  );
}
