import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DatasetContract } from '@peak/contracts';
import { IngestError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The source system whose API key authenticated the request. */
    source: string;
  }
}

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

/**
 * API keys from INGEST_API_KEYS (`source:key,…`). A presented key is compared with every known key
 * as SHA-256 digests with timingSafeEqual: fixed length, no early exit, so the time taken says
 * nothing about how much of a key was right.
 */
export function apiKeyAuth(pairs: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const keys = pairs.split(',').map((pair) => {
    const at = pair.indexOf(':');
    return { source: pair.slice(0, at), digest: digest(pair.slice(at + 1)) };
  });
  return async (request, reply) => {
    const presented = presentedKey(request);
    if (presented === undefined) {
      reply.header('www-authenticate', 'Bearer realm="peak-ingest"');
      throw new IngestError('UNAUTHENTICATED', 'An API key is required: send `Authorization: Bearer <key>` or `x-api-key: <key>`.');
    }
    const candidate = digest(presented);
    let source: string | undefined;
    for (const key of keys) if (timingSafeEqual(key.digest, candidate) && source === undefined) source = key.source;
    if (source === undefined) throw new IngestError('INVALID_API_KEY', 'This API key is not valid; ask the platform team for the key of your source system.');
    request.source = source;
  };
}

function presentedKey(request: FastifyRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  const header = request.headers['x-api-key'];
  const key = bearer ?? (typeof header === 'string' ? header.trim() : undefined);
  return key ? key : undefined;
}

/**
 * Each dataset has one source system (its contract's `source`): only that system's keys may send its rows — its own
 * (`door-system`) or an instance's (`door-system-riverside`, for one system per studio).
 */
export function requireOwner(request: FastifyRequest, contract: Pick<DatasetContract, 'name' | 'source'>): void {
  if (request.source === contract.source || request.source.startsWith(`${contract.source}-`)) return;
  throw new IngestError('WRONG_SOURCE', `This API key belongs to ${request.source}, but ${contract.name} come from ${contract.source}: send them with a ${contract.source} key.`);
}
