import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { getStoreReadonly, type Email } from 'aws-ses-v2-local/dist/store.js';
import { SesError } from './errors.js';

/** Any `Authorization: AWS…` satisfies the emulator (it checks nothing else). */
const AUTHORIZATION = 'AWS4-HMAC-SHA256 Credential=ses-sandbox/forwarded';
/** Hop-by-hop and framing headers a proxy must not copy (fetch decodes bodies, so content-encoding goes too). */
const DROPPED = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'expect', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/** What the emulator made of a forwarded send: its copy (Template sends rendered, Raw ones parsed). */
export type ViewerCopy = Pick<Email, 'subject' | 'body'>;

/**
 * An in-process `aws-ses-v2-local` (2.10.2) on a private loopback port: the sandbox forwards every accepted send to it
 * so its mail viewer (`/`) and `/store` keep working, and proxies every route the sandbox does not answer itself
 * (templates, bulk sends, `/store`, `/clear-store`, `/get-emlContent`, v1 `POST /`). Its store is module-global: every
 * aws-ses-v2-local in the process shares it.
 */
export class InnerEmulator {
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<InnerEmulator> {
    const mod = await import('aws-ses-v2-local');
    // A CommonJS module with `exports.default`: Node's ESM loader nests it one level deeper than tsx does.
    type Start = (config?: { host?: string; port?: number }) => Promise<Server>;
    const loaded = mod.default as unknown as Start | { default: Start };
    const start: Start = typeof loaded === 'function' ? loaded : loaded.default;
    const server = await start({ host: '127.0.0.1', port: 0 });
    return new InnerEmulator(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  /**
   * Hands an accepted SendEmail body to the emulator and renames its copy to `messageId` (the emulator's own ids are
   * `ses-` + 9 digits), so `/store`, `/get-emlContent?messageId=` and the viewer show the id the caller got. A refusal
   * by the emulator (unknown template, rendering failure) comes back as the SES error it stands for; anything else
   * (the emulator unreachable) as a plain Error.
   */
  async forwardSend(body: unknown, messageId: string, signal: AbortSignal): Promise<ViewerCopy | undefined> {
    const res = await fetch(`${this.endpoint}/v2/email/outbound-emails`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: AUTHORIZATION },
      body: JSON.stringify(body),
      signal,
    });
    const text = await res.text();
    let parsed: { MessageId?: unknown; message?: unknown; detail?: unknown } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // not JSON: handled below by status
    }
    if (res.status === 200 && typeof parsed.MessageId === 'string') {
      const copy = getStoreReadonly().emails.find((e) => e.messageId === parsed.MessageId);
      if (!copy) return undefined;
      copy.messageId = messageId;
      return { subject: copy.subject, body: copy.body };
    }
    const detail = typeof parsed.detail === 'string' ? parsed.detail : typeof parsed.message === 'string' ? parsed.message : text.slice(0, 300);
    if (res.status === 404) throw new SesError('NotFoundException', typeof parsed.message === 'string' ? parsed.message : detail);
    if (res.status >= 400 && res.status < 500) throw new SesError('BadRequestException', detail);
    throw new Error(`the inner SES emulator answered ${res.status}: ${detail}`);
  }

  /** Passes a request through unchanged and its answer back (502 when the emulator cannot be reached). */
  async proxy(req: FastifyRequest, reply: FastifyReply, signal: AbortSignal): Promise<FastifyReply> {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || DROPPED.has(name)) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const body = Buffer.isBuffer(req.body) && req.body.length > 0 ? new Uint8Array(req.body) : undefined;
    let res: Response;
    try {
      res = await fetch(`${this.endpoint}${req.url}`, { method: req.method, headers, body, redirect: 'manual', signal });
    } catch (err) {
      req.log.warn({ err }, 'the inner SES emulator could not be reached');
      return reply.code(502).type('text/plain; charset=utf-8').send(`The inner SES emulator could not be reached: ${(err as Error).message}`);
    }
    reply.code(res.status);
    res.headers.forEach((value, name) => {
      if (!DROPPED.has(name)) reply.header(name, value);
    });
    return reply.send(Buffer.from(await res.arrayBuffer()));
  }

  /** Closes the emulator and its connections; safe to call more than once. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      this.server.closeAllConnections();
    });
    return this.stopped;
  }
}
