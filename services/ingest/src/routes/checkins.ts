import type { FastifyError } from 'fastify';
import { datasets, queues, type AttendanceEvent } from '@peak/contracts';
import type { ServiceApp } from '@peak/service-kit';
import { apiKeyAuth, requireOwner } from '../auth.js';
import { canonicalRow } from '../checkins/buffer.js';
import { publishBatched } from '../checkins/publish.js';
import { checkCheckins, MAX_CHECKINS_PER_REQUEST } from '../checkins/validate.js';
import { IngestError } from '../errors.js';
import { checkinsAccepted, checkinsBody, checkinsRefusals } from './schemas.js';

/** Largest check-ins body: 500 check-ins of the longest valid values fit in a quarter of it. */
export const MAX_CHECKINS_BODY_BYTES = 1024 * 1024;

export type CheckinRoutesOptions = { apiKeys: string };

const ACCEPTS = 'send one check-in object or a JSON array of them with Content-Type: application/json';

/** `/v1` (the register prefix): real-time check-ins from the door systems. */
export async function checkinRoutes(v1: ServiceApp, opts: CheckinRoutesOptions): Promise<void> {
  v1.decorateRequest('source', '');
  v1.addHook('onRequest', apiKeyAuth(opts.apiKeys));

  // JSON.parse, not Fastify's parser: a `__proto__` key is then reported as an unknown field of its
  // item (with its index) instead of refusing the body blind. No code here ever merges a parsed object.
  v1.removeAllContentTypeParsers();
  v1.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_CHECKINS_BODY_BYTES }, (request, body, done) => {
    const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') return done(new IngestError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not accepted; ${ACCEPTS}, uncompressed.`), undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new IngestError('INVALID_JSON', `The body is not valid JSON; ${ACCEPTS}.`), undefined);
    }
  });
  v1.addContentTypeParser('*', (request, _payload, done) => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim() || '(none)';
    done(new IngestError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type} is not accepted; ${ACCEPTS}.`), undefined);
  });
  v1.setErrorHandler((err: FastifyError, _request, _reply) => {
    // Fastify's own refusal, said in our words; everything else goes to the service's error handler.
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      throw new IngestError('BODY_TOO_LARGE', `The body is larger than ${MAX_CHECKINS_BODY_BYTES} bytes; send at most ${MAX_CHECKINS_PER_REQUEST} check-ins per request.`);
    }
    throw err;
  });

  v1.post(
    '/events/check-ins',
    {
      bodyLimit: MAX_CHECKINS_BODY_BYTES,
      schema: {
        tags: ['check-ins'],
        summary: 'Real-time check-ins from a door system (one, or up to 500)',
        description:
          'Every item is checked against the attendance contract and no `checkin_id` may appear twice: any problem refuses the whole request (400, each problem listed), so a retry sends the same body. ' +
          'Accepted check-ins are published to the `attendance-events` queue (live leaderboard) and kept on disk, then written to the raw zone in micro-batches (one NDJSON batch per source, announced on `raw-landed` like an upload). ' +
          '202 means both happened. A 503 means nothing was kept: send the same request again (check-ins delivered twice are loaded once).',
        body: checkinsBody,
        response: { 202: checkinsAccepted, ...checkinsRefusals },
      },
      // The body schema documents the route; the handler checks it item by item (Fastify's validator
      // would coerce types and stop at the first problem).
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      requireOwner(request, datasets.attendance);
      const verdict = checkCheckins(request.body as unknown);
      if (!verdict.ok) {
        if (verdict.reason === 'too-many') {
          throw new IngestError('TOO_MANY_CHECKINS', `The request holds ${verdict.count} check-ins; at most ${MAX_CHECKINS_PER_REQUEST} are accepted per request: split it.`);
        }
        if (verdict.reason === 'not-checkins') throw new IngestError(request.body === undefined ? 'EMPTY_BODY' : 'INVALID_CHECKINS', verdict.message);
        return reply.code(400).send({
          code: 'INVALID_CHECKINS',
          message: `${verdict.invalidItems} check-in(s) are invalid; nothing was accepted. Fix the items listed in errors and send the request again.`,
          errors: verdict.problems,
        });
      }
      const receivedAt = new Date().toISOString();
      const rows = verdict.rows.map(canonicalRow);
      const events: AttendanceEvent[] = rows.map((checkin) => ({ type: 'attendance-event', version: 1, checkin, receivedAt }));
      try {
        await publishBatched(v1.queues, queues.attendanceEvents, events);
      } catch (err) {
        request.log.error({ err }, 'attendance events not published');
        return reply.code(503).send({
          code: 'PUBLISH_FAILED',
          message: 'The check-ins could not be queued (SQS did not take them all); nothing was kept. Send the same request again: check-ins that arrive twice are loaded once.',
        });
      }
      try {
        await v1.checkins.append(rows.map((checkin) => ({ source: request.source, receivedAt, checkin })));
      } catch (err) {
        request.log.error({ err }, 'check-ins not spooled');
        return reply.code(503).send({
          code: 'SPOOL_FAILED',
          message: 'The check-ins could not be kept on disk for the lake; nothing was accepted. Send the same request again: check-ins that arrive twice are loaded once.',
        });
      }
      return reply.code(202).send({ accepted: rows.length, queued: events.length });
    },
  );
}
