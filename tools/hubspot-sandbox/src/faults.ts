import { randomUUID } from 'node:crypto';
import Type, { type Static } from 'typebox';
import { HubSpotError, rateLimited } from './errors.js';

const scope = {
  method: Type.Optional(Type.String({ pattern: '^[A-Z]+$', description: 'Only requests with this method (default: any)' })),
  path: Type.Optional(Type.String({ pattern: '^/', description: 'Only requests to this exact path, without query (default: any CRM path)' })),
  count: Type.Optional(Type.Integer({ minimum: 1, description: 'Applies to the next N matching requests (inputs, for input-error), then ends' })),
  forMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Applies for this many ms of the sandbox clock, then ends' })),
};

/**
 * What a test can make the sandbox do; without `count` or `forMs` a fault lasts until removed. No
 * `additionalProperties: false` in the members: Fastify's Ajv (removeAdditional) would strip one member's fields
 * while trying another.
 */
export const faultSpec = Type.Union([
  Type.Object(
    { kind: Type.Literal('rate-limit'), policy: Type.Optional(Type.Union([Type.Literal('TEN_SECONDLY_ROLLING'), Type.Literal('DAILY'), Type.Literal('SECONDLY')])), ...scope },
    { description: "A 429 storm with HubSpot's body for that policy (default TEN_SECONDLY_ROLLING)" },
  ),
  Type.Object(
    { kind: Type.Literal('server-error'), status: Type.Optional(Type.Integer({ minimum: 500, maximum: 599 })), message: Type.Optional(Type.String()), ...scope },
    { description: 'A 5xx (default 500)' },
  ),
  Type.Object(
    { kind: Type.Literal('locked'), ...scope },
    { description: "423 Locked, HubSpot's answer to upserting large volumes fast" },
  ),
  Type.Object(
    { kind: Type.Literal('delay'), ms: Type.Integer({ minimum: 1, maximum: 600_000 }), ...scope },
    { description: 'Answer matching requests this many ms late (real time), e.g. to trip a client timeout' },
  ),
  Type.Object(
    {
      kind: Type.Literal('input-error'),
      ids: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Upsert input ids (idProperty values; emails compared in lower case)' }),
      status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599, description: 'Status when it fails the whole batch (default 400)' })),
      category: Type.Optional(Type.String({ minLength: 1, description: 'Default VALIDATION_ERROR' })),
      message: Type.Optional(Type.String({ minLength: 1 })),
      subCategory: Type.Optional(Type.String({ minLength: 1 })),
      ...scope,
    },
    { description: 'Fail these upsert inputs: per input (207) when the batch carries objectWriteTraceIds, else the whole batch' },
  ),
]);

export type FaultSpec = Static<typeof faultSpec>;
export type Fault = FaultSpec & { id: string; applied: number; until?: number };
/** What faults do to one request: wait first, then (maybe) answer an error instead. */
export type RequestFault = { delayMs: number; error?: HubSpotError };

/** Injected failures: kept in order of creation; the first matching error wins, delays add up. */
export class Faults {
  private faults: Fault[] = [];

  constructor(private readonly now: () => number) {}

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: randomUUID(), applied: 0, ...(spec.forMs === undefined ? {} : { until: this.now() + spec.forMs }) };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.live();
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** The delay and error to apply to one CRM request (input errors are applied per input, see `forInput`). */
  forRequest(method: string, path: string): RequestFault {
    let delayMs = 0;
    let error: HubSpotError | undefined;
    for (const f of this.live()) {
      if (f.kind === 'input-error' || !matches(f, method, path) || (f.kind !== 'delay' && error)) continue;
      this.use(f);
      if (f.kind === 'delay') delayMs += f.ms;
      else error = errorOf(f);
    }
    return { delayMs, error };
  }

  /** The failure injected for one upsert input, given its normalised id. */
  forInput(method: string, path: string, id: string): HubSpotError | undefined {
    const f = this.live().find((f) => f.kind === 'input-error' && matches(f, method, path) && f.ids.some((i) => i === id || i.toLowerCase() === id));
    if (f?.kind !== 'input-error') return undefined;
    this.use(f);
    return new HubSpotError(f.status ?? 400, f.category ?? 'VALIDATION_ERROR', f.message ?? `Input ${id} failed (injected by the sandbox)`, f.subCategory ? { subCategory: f.subCategory } : {});
  }

  private use(f: Fault): void {
    f.applied++;
    if (f.count !== undefined && f.applied >= f.count) this.remove(f.id);
  }

  private live(): Fault[] {
    const at = this.now();
    this.faults = this.faults.filter((f) => f.until === undefined || at < f.until);
    return [...this.faults];
  }
}

const matches = (f: Fault, method: string, path: string) => (f.method === undefined || f.method === method) && (f.path === undefined || f.path === path);

/**
 * The error a fault answers. 429: HubSpot's bodies (errors.ts). 5xx and 423: HubSpot documents only the status
 * (423 "locks last 2 seconds"), so the bodies are the sandbox's, in HubSpot's error shape.
 */
function errorOf(f: Fault): HubSpotError | undefined {
  switch (f.kind) {
    case 'rate-limit':
      return rateLimited(f.policy ?? 'TEN_SECONDLY_ROLLING');
    case 'server-error':
      return new HubSpotError(f.status ?? 500, 'INTERNAL_ERROR', f.message ?? 'internal error');
    case 'locked':
      return new HubSpotError(423, 'LOCKED', 'The record is locked by a concurrent update; retry after at least 2 seconds');
    default:
      return undefined;
  }
}
