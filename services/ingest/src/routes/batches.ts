import { Readable } from 'node:stream';
import Type from 'typebox';
import { batchIdSchema, datasetNameSchema, datasets, DATASET_NAMES, type BatchRecord, type DatasetContract } from '@peak/contracts';
import { ingestDate, parseBatchId, type Lake } from '@peak/lake';
import type { ServiceApp } from '@peak/service-kit';
import { apiKeyAuth, requireOwner } from '../auth.js';
import { IngestError } from '../errors.js';
import { acceptUpload } from '../upload/accept-upload.js';
import { declaredUpload, UPLOAD_CONTENT_TYPES } from '../upload/declared.js';
import { authRefusals, batchIdParam, batchPage, batchView, datasetParam, errorBody, uploadAnswer, uploadBody, uploadRefusals } from './schemas.js';

export type BatchRoutesOptions = { apiKeys: string; maxUploadBytes: number };

/** `/v1` (the register prefix): upload an export, read a batch, list a day's batches. Every route needs an API key. */
export async function batchRoutes(v1: ServiceApp, opts: BatchRoutesOptions): Promise<void> {
  v1.decorateRequest('source', '');
  v1.addHook('onRequest', apiKeyAuth(opts.apiKeys));
  // Uploads are streamed: the handler gets the request stream itself, never a buffered body.
  v1.removeAllContentTypeParsers();
  v1.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  v1.post(
    '/datasets/:dataset/batches',
    {
      schema: {
        tags: ['batches'],
        summary: 'Upload one export file of a dataset',
        description:
          'The body is streamed into the raw zone as it is, checked on the way (size, gzip, format, CSV header). ' +
          'Answers 202 with the new batch, or 200 with `duplicate: true` and the existing batch when the same bytes were uploaded before.',
        params: datasetParam,
        consumes: UPLOAD_CONTENT_TYPES,
        body: uploadBody,
        response: { 200: uploadAnswer, 202: uploadAnswer, ...uploadRefusals },
      },
    },
    async (request, reply) => {
      const contract = contractOf(request.params.dataset);
      const declared = declaredUpload(request.headers);
      const declaredLength = Number(request.headers['content-length'] ?? 0);
      try {
        requireOwner(request, contract);
        if (declaredLength > opts.maxUploadBytes) {
          throw new IngestError('UPLOAD_TOO_LARGE', `Content-Length ${declaredLength} is over the limit of ${opts.maxUploadBytes} bytes (MAX_UPLOAD_BYTES); split the export or gzip it.`);
        }
        // Fastify parses nothing when a request has no body at all.
        const body = request.body instanceof Readable ? request.body : Readable.from([]);
        const deps = { lake: v1.lake, batches: v1.batches, queues: v1.queues, log: request.log };
        const { record, duplicate } = await acceptUpload(deps, { contract, source: request.source, body, declared, maxBytes: opts.maxUploadBytes });
        if (!duplicate) reply.header('location', `/v1/batches/${record.batchId}`);
        return reply.code(duplicate ? 200 : 202).send({ ...view(v1.lake, record), duplicate });
      } catch (err) {
        // The rest of a refused body is not worth reading: close the connection after the answer.
        if (!request.raw.complete) reply.header('connection', 'close');
        throw err;
      }
    },
  );

  v1.get(
    '/batches/:id',
    {
      schema: { tags: ['batches'], summary: 'One batch: status, counts, outputs', params: batchIdParam, response: { 200: batchView, 404: errorBody, ...authRefusals } },
    },
    async (request) => {
      const { id } = request.params;
      const record = await v1.batches.get(id);
      if (record) return view(v1.lake, record);
      throw new IngestError(
        'BATCH_NOT_FOUND',
        parseBatchId(id)
          ? `No batch ${id}.`
          : `${JSON.stringify(id.slice(0, 80))} is not a batch id; ids look like 20261125T090102123Z-attendance-1a2b3c4d (the batchId of an upload's answer).`,
      );
    },
  );

  v1.get(
    '/batches',
    {
      schema: {
        tags: ['batches'],
        summary: "One ingest day's batches, in the order received",
        querystring: Type.Object({
          date: Type.Optional(Type.String({ format: 'date', description: 'Ingest date (UTC), YYYY-MM-DD; default today' })),
          dataset: Type.Optional(datasetNameSchema),
          after: Type.Optional(batchIdSchema),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Batches per page' }),
        }),
        response: { 200: batchPage, 400: errorBody, ...authRefusals },
      },
    },
    async (request) => {
      const { date = ingestDate(new Date()), dataset, after, limit } = request.query;
      const page = await v1.batches.list({ date, dataset, after, limit });
      return { date, items: page.items.map((r) => view(v1.lake, r)), ...(page.next ? { next: page.next } : {}) };
    },
  );
}

function contractOf(name: string): DatasetContract {
  const contract = (Object.values(datasets) as DatasetContract[]).find((d) => d.name === name);
  if (contract) return contract;
  throw new IngestError('UNKNOWN_DATASET', `No dataset ${JSON.stringify(name.slice(0, 80))}; the datasets are ${DATASET_NAMES.join(', ')}.`);
}

const link = (lake: Lake, key: string) => {
  const path = lake.localPath(key);
  return path ? { key, path } : { key };
};

function view(lake: Lake, record: BatchRecord) {
  return {
    ...record,
    links: {
      self: `/v1/batches/${record.batchId}`,
      raw: link(lake, record.objectKey),
      ...(record.quarantineKey ? { quarantine: link(lake, record.quarantineKey) } : {}),
    },
  };
}
