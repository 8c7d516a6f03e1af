/**
 * The planner over HTTP (bearer keys, NOTIFIER_API_KEYS): `POST /v1/campaign-runs` plans now — a dry run answers the
 * audience counts and a preview, a real run queues the emails and answers where to follow it — and
 * `GET /v1/campaign-runs/:runId` reports what became of every email of a run. The daily schedule uses the same runner.
 */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { PlanBusyError, type CampaignPlanner } from '../campaigns/planner.js';
import { AnnouncementError, announcementSchema, parseAnnouncement } from '../campaigns/announcement.js';
import { CAMPAIGN_IDS } from '../campaigns/catalog.js';
import { EmptyLakeError, PlanInputError } from '../campaigns/plan.js';
import { reportJson } from '../campaigns/report.js';
import { bearerAuth, NotifierApiError } from './api.js';

export type CampaignRunRoutesOptions = { planner: CampaignPlanner | undefined; apiKeys: readonly string[] };

const errorBody = Type.Object({ code: Type.String(), message: Type.String({ description: 'What went wrong and what to do' }) });

const body = Type.Object(
  {
    dryRun: Type.Boolean({ default: false, description: 'Show the audiences and the first members; queue and record nothing' }),
    asOf: Type.Optional(Type.String({ format: 'date', description: "The local day the data is read as of (default: the lake's last day)" })),
    campaigns: Type.Optional(
      Type.Array(Type.Union(CAMPAIGN_IDS.map((c) => Type.Literal(c))), { minItems: 1, maxItems: CAMPAIGN_IDS.length, uniqueItems: true, description: 'Default: those scheduled for the day (plus location_news with an announcement)' }),
    ),
    announcement: Type.Optional(announcementSchema),
  },
  { additionalProperties: false },
);

export async function campaignRunRoutes(app: FastifyInstance, opts: CampaignRunRoutesOptions): Promise<void> {
  app.addHook('preHandler', bearerAuth(opts.apiKeys, 'peak-notifier'));
  const security = [{ bearerAuth: [] }];
  const planner = () => {
    if (!opts.planner) throw new NotifierApiError('NOT_CONFIGURED', 'the planner reads the lake, and LAKE_URI is not set: set it and restart the notifier');
    return opts.planner;
  };

  app.post(
    '/v1/campaign-runs',
    {
      bodyLimit: 16 * 1024,
      schema: {
        tags: ['campaigns'],
        summary: 'Plan campaigns now (a dry run only reports); one run at a time per process',
        security,
        body,
        response: { 200: Type.Object({}, { additionalProperties: true, description: 'The dry run\'s report' }), 201: Type.Object({}, { additionalProperties: true, description: 'The run\'s report; follow it at links.self' }), 400: errorBody, 401: errorBody, 403: errorBody, 409: errorBody, 503: errorBody },
      },
    },
    async (req, reply) => {
      const b = req.body as { dryRun: boolean; asOf?: string; campaigns?: string[]; announcement?: unknown };
      let announcement;
      try {
        announcement = b.announcement === undefined ? undefined : parseAnnouncement(b.announcement, 'announcement');
      } catch (err) {
        if (err instanceof AnnouncementError) throw new NotifierApiError('BAD_REQUEST', err.message);
        throw err;
      }
      try {
        const report = await planner().plan({
          trigger: 'api',
          dryRun: b.dryRun,
          ...(b.asOf ? { asOf: b.asOf } : {}),
          ...(b.campaigns ? { campaigns: b.campaigns } : {}),
          ...(announcement ? { announcement } : {}),
        });
        const json = { ...reportJson(report), links: { self: `/v1/campaign-runs/${report.runId}` } };
        return reply.code(b.dryRun ? 200 : 201).header(b.dryRun ? 'x-dry-run' : 'location', b.dryRun ? 'true' : json.links.self).send(json);
      } catch (err) {
        if (err instanceof PlanInputError) throw new NotifierApiError('BAD_REQUEST', err.message);
        if (err instanceof EmptyLakeError) throw new NotifierApiError('NO_DATA', err.message);
        if (err instanceof PlanBusyError) throw new NotifierApiError('RUN_IN_PROGRESS', err.message);
        throw err;
      }
    },
  );

  app.get(
    '/v1/campaign-runs/:runId',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'What a planner run planned and what became of each email: sent, suppressed, capped, dropped, failed, or still awaiting',
        security,
        params: Type.Object({ runId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' }) }),
        response: { 404: errorBody, 401: errorBody, 403: errorBody, 503: errorBody },
      },
    },
    async (req) => {
      const { runId } = req.params as { runId: string };
      const status = await planner().status(runId);
      if (!status) throw new NotifierApiError('NOT_FOUND', `no planner run ${runId}: runs are listed in the planner's output and the notifier's logs`);
      return status;
    },
  );
}
