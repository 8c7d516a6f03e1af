import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * fauxqs 1.9 ignores `If-None-Match: *` on PutObject and overwrites. Real S3 refuses to overwrite an
 * existing key with 412 PreconditionFailed — the conditional create that batch de-duplication relies
 * on — so this hook makes the emulator answer the same way. Conditional PUTs to one key run one at a
 * time, so two racing creates cannot both pass the existence check.
 */
export function enforceConditionalCreates(app: FastifyInstance): void {
  const queues = new Map<string, Promise<void>>();
  const held = new WeakMap<FastifyRequest, () => void>();

  app.addHook('preHandler', async (request, reply) => {
    if (!isConditionalCreate(request)) return;
    const path = request.url.split('?')[0] ?? request.url;
    held.set(request, await takeTurn(queues, path));
    const existing = await app.inject({ method: 'HEAD', url: path });
    if (existing.statusCode === 200) return reply.code(412).type('application/xml').send(preconditionFailedXml());
  });
  const finish = async (request: FastifyRequest) => {
    held.get(request)?.();
    held.delete(request);
  };
  app.addHook('onResponse', finish);
  app.addHook('onRequestAbort', finish);
}

/** PutObject (not UploadPart, not CopyObject) of a key, with `If-None-Match: *`. */
function isConditionalCreate(request: FastifyRequest): boolean {
  if (request.method !== 'PUT' || request.headers['if-none-match'] !== '*') return false;
  if (request.headers['x-amz-copy-source'] !== undefined) return false;
  const key = (request.params as { '*'?: string } | undefined)?.['*'];
  const query = request.query as Record<string, unknown> | undefined;
  return Boolean(key) && query?.uploadId === undefined;
}

/** Waits for the previous holder of `key` and returns the function that lets the next one in. */
async function takeTurn(queues: Map<string, Promise<void>>, key: string): Promise<() => void> {
  const previous = queues.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  queues.set(key, tail);
  await previous;
  return () => {
    release();
    if (queues.get(key) === tail) queues.delete(key);
  };
}

/** The body S3 sends with a failed write precondition (its error XML; the SDK reads Code and Message). */
function preconditionFailedXml(): string {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Error>',
    '  <Code>PreconditionFailed</Code>',
    '  <Message>At least one of the pre-conditions you specified did not hold</Message>',
    '  <Condition>If-None-Match</Condition>',
    `  <RequestId>${requestId}</RequestId>`,
    '  <HostId>fauxqs</HostId>',
    '</Error>',
  ].join('\n');
}
