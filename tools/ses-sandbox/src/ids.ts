import { randomUUID } from 'node:crypto';

/**
 * An id in the shape SES gives message and feedback ids, e.g. `0100018c5b6f3a1e-6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f-000000`:
 * `0100`, the acceptance time in ms as 12 hex digits, a UUID, `000000`. The prefix varies by region in real SES (`0100`
 * in us-east-1, `0102`, `0107`, … elsewhere); the sandbox always uses `0100`. A random UUID makes collisions moot.
 */
export function sesId(at: number): string {
  const ms = Math.max(0, Math.floor(at)).toString(16).padStart(12, '0').slice(-12);
  return `0100${ms}-${randomUUID()}-000000`;
}

/** The pattern of `sesId` (tests and clients can check an id came from here). */
export const SES_ID_PATTERN = /^0100[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-000000$/;
